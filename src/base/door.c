/* The door around every public call: see door.h. */
#include "door.h"

#include <string.h>

#include "abi_tables.h"

static void lock(tp_object *o)
{
    if (o->err_lock)
        pthread_mutex_lock(o->err_lock);
}

static void unlock(tp_object *o)
{
    if (o->err_lock)
        pthread_mutex_unlock(o->err_lock);
}

static int same_text(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* The record already is a copy of the sticky one (no need to copy again:
 * a dead socket's calls then allocate nothing). */
static int is_copy(const tp_error *e, const tp_error *sticky)
{
    return e->status == sticky->status && e->gnutls == sticky->gnutls &&
           e->alert == sticky->alert && e->alert_dir == sticky->alert_dir &&
           e->call == sticky->call && same_text(e->code, sticky->code) &&
           same_text(e->message, sticky->message);
}

/* The outermost call begins: the previous call's detail goes, unless it
 * is the sticky failure, which every later call shows again. Out of line
 * and rare: a live handle has no detail most of the time. */
static void fresh(tp_door *d, tp_object *o)
{
    lock(o);
    tp_error *sticky = o->sticky;
    d->sticky_before = sticky ? sticky->status : 0;
    if (d->sticky_before) {
        if (!is_copy(&o->err, sticky))
            tp_error_copy(&o->err, sticky);
    } else if (o->err.status || o->err.message || o->err.call) {
        tp_error_clear(&o->err);
    }
    unlock(o);
}

void tp_door_enter(tp_door *d, const void *handle, enum tp_tag tag)
{
    d->handle = handle;
    d->tag = tag;
    d->sticky_before = 0;
    tp_object *o = d->obj = tp_handle_get(handle, tag);
    if (!o) {
        d->outer = 0;
        return;
    }
    d->outer = atomic_fetch_add_explicit(&o->door_depth, 1, memory_order_acq_rel) == 0;
    /* Unlocked peek for the common case (nothing to clear): only a context
     * is shared across threads, and it takes the locked path always. */
    if (d->outer && (o->err_lock || o->err.status || o->err.message || o->err.call ||
                     (o->sticky && o->sticky->status)))
        fresh(d, o);
}

/* A failure of the outermost call: give it a detail when the call
 * recorded none, and name the call. */
static void complete(tp_door *d, tp_object *o, int rc, const char *call)
{
    lock(o);
    if (o->err.status == 0) {
        const char *name = tp_status_name(rc);
        tp_fail(&o->err, rc, "", "%s failed: %s", call, name);
    }
    o->err.call = call;
    /* The call made the failure sticky (a socket's fatal error): the
     * later calls that show it again name this call too. */
    if (o->sticky && o->sticky->status && !d->sticky_before && !o->sticky->call)
        o->sticky->call = call;
    unlock(o);
}

int tp_door_leave(tp_door *d, int rc, const char *call)
{
    tp_object *o = d->obj;
    /* Freed by the call (tlsplug_socket_free, or a callback freeing it):
     * the object may be gone, so it is not touched. */
    if (!o || tp_handle_get(d->handle, d->tag) != o)
        return rc;
    if (d->outer && rc < 0 && rc != TLSPLUG_E_AGAIN && rc != TLSPLUG_E_BUFSIZE)
        complete(d, o, rc, call);
    atomic_fetch_sub_explicit(&o->door_depth, 1, memory_order_acq_rel);
    return rc;
}
