/* tlsplug_loop: a libuv loop, how it runs (alone or embedded in a host's
 * loop), its deferred work, and Node's timers. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "handle.h"
#include "loop.h"
#include "api_impl.h"

struct tp_timer {
    uv_timer_t uv;
    struct tlsplug_loop *loop;
    size_t id;
    size_t repeat_ms;
    tlsplug_event_cb cb;
    uintptr_t userdata;
    int cleared;
    tp_timer *next;
};

struct tlsplug_loop *tp_loop_enter(const void *h)
{
    return tp_handle_get(h, TP_TAG_LOOP);
}

int tp_sockaddr_describe(const struct sockaddr *sa, char *text, size_t cap, int *port, int *family)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
        uv_ip4_name(a, text, cap);
        *port = ntohs(a->sin_port);
        *family = 4;
        return 0;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
        uv_ip6_name(a, text, cap);
        *port = ntohs(a->sin6_port);
        *family = 6;
        return 0;
    }
    return -1;
}

const char *tp_uv_code(int err)
{
    /* Node reports a name that does not resolve as ENOTFOUND. */
    if (err == UV_EAI_NONAME || err == UV_EAI_NODATA)
        return "ENOTFOUND";
    return uv_err_name(err);
}

void tp_sigpipe_hold(tp_sigpipe_guard *g)
{
    /* A host that ignores SIGPIPE (Node, Python, most servers) needs no
     * guard: one syscall instead of four per run call. */
    struct sigaction sa;
    g->active = !(sigaction(SIGPIPE, NULL, &sa) == 0 && !(sa.sa_flags & SA_SIGINFO) &&
                  sa.sa_handler == SIG_IGN);
    if (!g->active)
        return;
    sigset_t set, pending;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, &g->old);
    sigpending(&pending);
    g->was_pending = sigismember(&pending, SIGPIPE) == 1;
}

void tp_sigpipe_release(tp_sigpipe_guard *g)
{
    if (!g->active)
        return;
    sigset_t set, pending;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    sigpending(&pending);
    if (!g->was_pending && sigismember(&pending, SIGPIPE) == 1) {
        struct timespec now = {0, 0};
        sigtimedwait(&set, NULL, &now); /* ours: take it back */
    }
    pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

/* Held from the first queued write to the end of the run call: the mask
 * is this thread's, so it must be back as the host had it when the run
 * returns, and libuv's write() of a queued request happens only inside a
 * run. */
static void hold_while_writing(struct tlsplug_loop *loop)
{
    if (loop->writes_queued && loop->running && !loop->run_guard_held) {
        tp_sigpipe_hold(&loop->run_guard);
        loop->run_guard_held = 1;
    }
}

void tp_loop_write_queued(struct tlsplug_loop *loop)
{
    loop->writes_queued++;
    hold_while_writing(loop);
}

void tp_loop_write_done(struct tlsplug_loop *loop)
{
    loop->writes_queued--;
}

/* ---------------------------------------------------------------- deferred work */

/* The due lists are doubly linked through a pointer to the link that
 * points at the item, so an item is unlinked in O(1) from whichever list
 * holds it: the queue, or the batch being run (see struct tlsplug_loop). */
#define DUE_PUSH(head, item)                                                   \
    do {                                                                       \
        (item)->due_next = *(head);                                            \
        if (*(head))                                                           \
            (*(head))->due_pprev = &(item)->due_next;                          \
        *(head) = (item);                                                      \
        (item)->due_pprev = (head);                                            \
    } while (0)

#define DUE_UNLINK(item)                                                       \
    do {                                                                       \
        if ((item)->due_pprev) {                                               \
            *(item)->due_pprev = (item)->due_next;                             \
            if ((item)->due_next)                                              \
                (item)->due_next->due_pprev = (item)->due_pprev;               \
            (item)->due_next = NULL;                                           \
            (item)->due_pprev = NULL;                                          \
        }                                                                      \
    } while (0)

/* Move the whole queue to the batch (the batch is empty between turns). */
#define DUE_TAKE(batch, queue)                                                 \
    do {                                                                       \
        *(batch) = *(queue);                                                   \
        *(queue) = NULL;                                                       \
        if (*(batch))                                                          \
            (*(batch))->due_pprev = (batch);                                   \
    } while (0)

void tp_conn_undue(tp_conn *c)
{
    DUE_UNLINK(c);
}

void tp_listener_undue(tp_listener *l)
{
    DUE_UNLINK(l);
}

static void run_due(uv_idle_t *idle)
{
    struct tlsplug_loop *loop = idle->data;
    /* This turn runs what was queued before it: work queued meanwhile waits
     * for the next turn (so a callback cannot starve the loop). Each item
     * leaves the batch before it runs; one freed by another's callback has
     * left it already (its free unlinks it). */
    DUE_TAKE(&loop->batch_listeners, &loop->due_listeners);
    DUE_TAKE(&loop->batch_conns, &loop->due_conns);
    tp_listener *l;
    while ((l = loop->batch_listeners)) {
        DUE_UNLINK(l);
        tp_listener_run_due(l);
    }
    tp_conn *c;
    while ((c = loop->batch_conns)) {
        DUE_UNLINK(c);
        tp_conn_run_due(c);
    }
    if (!loop->due_conns && !loop->due_listeners)
        uv_idle_stop(&loop->idle);
}

void tp_loop_wake(struct tlsplug_loop *loop)
{
    if (!uv_is_active((uv_handle_t *)&loop->idle))
        uv_idle_start(&loop->idle, run_due);
}

void tp_conn_due(tp_conn *c, unsigned what)
{
    c->due |= what;
    if (!c->due_pprev)
        DUE_PUSH(&c->loop->due_conns, c);
    tp_loop_wake(c->loop);
}

void tp_loop_due_listener(tp_listener *l, unsigned what)
{
    l->due |= what;
    if (!l->due_pprev)
        DUE_PUSH(&l->loop->due_listeners, l);
    tp_loop_wake(l->loop);
}

/* ---------------------------------------------------------------- lifecycle */

int tp_api_loop_new(tlsplug_loop **out)
{
    if (!out)
        return TLSPLUG_E_INVAL;
    struct tlsplug_loop *loop = calloc(1, sizeof *loop);
    if (!loop)
        return TLSPLUG_E_NOMEM;
    tp_error_clear(&loop->err);
    if (uv_loop_init(&loop->uv) != 0) {
        free(loop);
        return TLSPLUG_E_INTERNAL;
    }
    uv_idle_init(&loop->uv, &loop->idle);
    loop->idle.data = loop;
    uv_timer_init(&loop->uv, &loop->run_deadline);
    uv_unref((uv_handle_t *)&loop->run_deadline); /* it never keeps the loop alive */
    loop->run_deadline.data = loop;
    loop->next_timer_id = 1;
    loop->handle = tp_handle_new(TP_TAG_LOOP, loop);
    if (!loop->handle) {
        uv_close((uv_handle_t *)&loop->idle, NULL);
        uv_close((uv_handle_t *)&loop->run_deadline, NULL);
        uv_run(&loop->uv, UV_RUN_NOWAIT);
        uv_loop_close(&loop->uv);
        free(loop);
        return TLSPLUG_E_NOMEM;
    }
    *out = (tlsplug_loop *)loop->handle;
    return TLSPLUG_OK;
}

static void free_timer(uv_handle_t *h)
{
    free(h->data);
}

int tp_api_loop_free(tlsplug_loop *h)
{
    if (!h)
        return TLSPLUG_OK;
    struct tlsplug_loop *loop = tp_loop_enter(h);
    if (!loop)
        return TLSPLUG_E_BADHANDLE;
    if (loop->running)
        return tp_fail(&loop->err, TLSPLUG_E_STATE, "ERR_INVALID_STATE",
                       "loop_free: called from inside the loop's own run");
    if (tp_handle_retire(h, TP_TAG_LOOP) != 0)
        return TLSPLUG_E_BADHANDLE;
    /* Everything still on the loop ends now, silently, as in a process
     * that exits: the handles are closed and their memory goes below. */
    while (loop->listeners)
        tp_listener_abandon(loop->listeners);
    while (loop->conns)
        tp_conn_abandon(loop->conns);
    for (tp_timer *t = loop->timers, *next; t; t = next) {
        next = t->next;
        t->uv.data = t;
        uv_close((uv_handle_t *)&t->uv, free_timer);
    }
    loop->timers = NULL;
    uv_close((uv_handle_t *)&loop->idle, NULL);
    uv_close((uv_handle_t *)&loop->run_deadline, NULL);
    /* From here nothing on the loop can reach the host: no socket, server
     * or timer is left on it and the idle handle that runs deferred work is
     * closed. What remains are close callbacks (one turn), cancelled
     * requests (their callbacks come in the next turns) and name lookups
     * that a worker thread was already running when tp_conn_close tried to
     * cancel them. Those cannot be stopped, and the worker writes into
     * this loop when getaddrinfo returns: wait for them. UV_RUN_ONCE sleeps
     * until the worker's wake-up; the wait is as long as the lookup, which
     * the system resolver's own timeouts bound. */
    int spins = 0;
    while (uv_loop_close(&loop->uv) == UV_EBUSY) {
        if (loop->lookups > 0) {
            uv_run(&loop->uv, UV_RUN_ONCE);
        } else if (spins++ < 1000) {
            uv_run(&loop->uv, UV_RUN_NOWAIT);
        } else {
            /* A handle that never closes would be a bug here; libuv may
             * still use the memory, so it is kept rather than freed. */
            return TLSPLUG_OK;
        }
    }
    tp_error_clear(&loop->err);
    free(loop);
    return TLSPLUG_OK;
}

/* ---------------------------------------------------------------- running */

static int alive(struct tlsplug_loop *loop)
{
    return uv_loop_alive(&loop->uv) || loop->due_conns || loop->due_listeners;
}

/* tlsplug_loop_run_for's deadline. */
static void stop_on_deadline(uv_timer_t *t)
{
    uv_stop(t->loop);
}

static int run(tlsplug_loop *h, uv_run_mode mode, size_t timeout_ms, int with_deadline,
               int *alive_out)
{
    struct tlsplug_loop *loop = tp_loop_enter(h);
    if (!loop)
        return TLSPLUG_E_BADHANDLE;
    if (loop->running)
        return tp_fail(&loop->err, TLSPLUG_E_STATE, "ERR_INVALID_STATE",
                       "run: the loop is already running (a run call from one of its callbacks)");
    if (with_deadline)
        uv_timer_start(&loop->run_deadline, stop_on_deadline, timeout_ms, 0);
    loop->running = 1;
    hold_while_writing(loop); /* libuv may write() the queued requests */
    uv_run(&loop->uv, mode);
    if (loop->run_guard_held)
        tp_sigpipe_release(&loop->run_guard);
    loop->run_guard_held = 0;
    loop->running = 0;
    if (with_deadline)
        uv_timer_stop(&loop->run_deadline);
    if (alive_out)
        *alive_out = alive(loop);
    return TLSPLUG_OK;
}

int tp_api_loop_run(tlsplug_loop *h)
{
    return run(h, UV_RUN_DEFAULT, 0, 0, NULL);
}

int tp_api_loop_run_once(tlsplug_loop *h, int *alive_out)
{
    if (!alive_out)
        return tp_loop_enter(h) ? TLSPLUG_E_INVAL : TLSPLUG_E_BADHANDLE;
    return run(h, UV_RUN_NOWAIT, 0, 0, alive_out);
}

int tp_api_loop_run_for(tlsplug_loop *h, size_t timeout_ms, int *alive_out)
{
    if (!alive_out)
        return tp_loop_enter(h) ? TLSPLUG_E_INVAL : TLSPLUG_E_BADHANDLE;
    return run(h, UV_RUN_DEFAULT, timeout_ms, 1, alive_out);
}

int tp_api_loop_stop(tlsplug_loop *h)
{
    struct tlsplug_loop *loop = tp_loop_enter(h);
    if (!loop)
        return TLSPLUG_E_BADHANDLE;
    uv_stop(&loop->uv);
    return TLSPLUG_OK;
}

int tp_api_loop_backend_fd(tlsplug_loop *h, int *fd)
{
    struct tlsplug_loop *loop = tp_loop_enter(h);
    if (!loop)
        return TLSPLUG_E_BADHANDLE;
    if (!fd)
        return TLSPLUG_E_INVAL;
    *fd = uv_backend_fd(&loop->uv);
    return TLSPLUG_OK;
}

int tp_api_loop_next_timeout(tlsplug_loop *h, int *ms)
{
    struct tlsplug_loop *loop = tp_loop_enter(h);
    if (!loop)
        return TLSPLUG_E_BADHANDLE;
    if (!ms)
        return TLSPLUG_E_INVAL;
    /* libuv answers 0 for pending callbacks and idle handles (our due work),
     * but also 0 for a loop with nothing left: that is "never" here. */
    *ms = alive(loop) ? uv_backend_timeout(&loop->uv) : -1;
    return TLSPLUG_OK;
}

int tp_api_loop_alive(tlsplug_loop *h, int *alive_out)
{
    struct tlsplug_loop *loop = tp_loop_enter(h);
    if (!loop)
        return TLSPLUG_E_BADHANDLE;
    if (!alive_out)
        return TLSPLUG_E_INVAL;
    *alive_out = alive(loop);
    return TLSPLUG_OK;
}

/* ---------------------------------------------------------------- timers */

static void unlink_timer(tp_timer *t)
{
    for (tp_timer **p = &t->loop->timers; *p; p = &(*p)->next)
        if (*p == t) {
            *p = t->next;
            return;
        }
}

static void clear_timer(tp_timer *t)
{
    t->cleared = 1;
    unlink_timer(t);
    uv_timer_stop(&t->uv);
    t->uv.data = t;
    uv_close((uv_handle_t *)&t->uv, free_timer);
}

static void on_timer(uv_timer_t *u)
{
    tp_timer *t = u->data;
    struct tlsplug_loop *loop = t->loop;
    uint64_t id = t->id;
    uintptr_t loop_handle = loop->handle;
    t->cb(t->userdata, (void *)loop_handle, TLSPLUG_EV_TIMER, NULL, (const uint8_t *)&id,
          sizeof id);
    /* The callback may have cleared it (then it is closing already). */
    if (!t->cleared && t->repeat_ms == 0)
        clear_timer(t);
}

int tp_api_loop_set_timer(tlsplug_loop *h, size_t delay_ms, size_t repeat_ms,
                          tlsplug_event_cb cb, uintptr_t userdata, size_t *id)
{
    struct tlsplug_loop *loop = tp_loop_enter(h);
    if (!loop)
        return TLSPLUG_E_BADHANDLE;
    if (!cb || !id)
        return tp_fail(&loop->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_TYPE",
                       "set_timer: the callback and id must not be NULL");
    tp_timer *t = calloc(1, sizeof *t);
    if (!t)
        return TLSPLUG_E_NOMEM;
    uv_timer_init(&loop->uv, &t->uv);
    t->uv.data = t;
    t->loop = loop;
    t->id = loop->next_timer_id++;
    t->repeat_ms = repeat_ms;
    t->cb = cb;
    t->userdata = userdata;
    t->next = loop->timers;
    loop->timers = t;
    uv_timer_start(&t->uv, on_timer, delay_ms, repeat_ms);
    *id = t->id;
    return TLSPLUG_OK;
}

int tp_api_loop_clear_timer(tlsplug_loop *h, size_t id)
{
    struct tlsplug_loop *loop = tp_loop_enter(h);
    if (!loop)
        return TLSPLUG_E_BADHANDLE;
    for (tp_timer *t = loop->timers; t; t = t->next)
        if (t->id == id) {
            clear_timer(t);
            break;
        }
    return TLSPLUG_OK;
}
