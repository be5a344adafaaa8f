/* A server's session store (store.h): the embedded cache it resumes TLS
 * 1.2 session ids from by default, or the one the host chose by URL, and
 * how their answers reach the sockets waiting for them. The host's own
 * newSession/resumeSession events, when installed, replace both. */
#include <stdlib.h>
#include <string.h>

#include "handle.h"
#include "server.h"
#include "api_impl.h"

static struct tlsplug_server *get(const void *h)
{
    return tp_handle_get(h, TP_TAG_SERVER);
}

struct tp_store *tp_server_store(struct tlsplug_server *srv)
{
    if (srv->session_store)
        return NULL; /* the host keeps the sessions */
    if (!srv->store && srv->session_cache_size)
        srv->store = tp_store_memory_new(srv->session_cache_size); /* NULL: no cache */
    return srv->store;
}

int tp_api_server_set_session_cache_size(tlsplug_server *h, size_t sessions)
{
    struct tlsplug_server *srv = get(h);
    if (!srv)
        return TLSPLUG_E_BADHANDLE;
    srv->session_cache_size = sessions;
    if (srv->store)
        tp_store_memory_resize(srv->store, sessions);
    return TLSPLUG_OK;
}

int tp_api_server_use_session_store(tlsplug_server *h, const char *url)
{
    struct tlsplug_server *srv = get(h);
    if (!srv)
        return TLSPLUG_E_BADHANDLE;
    if (!url || !*url)
        return tp_fail(&srv->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_VALUE",
                       "session store: a URL is needed (memory, redis://..., redis+unix://...)");
    struct tp_store *st;
    int rc = tp_store_open(url, srv->session_cache_size, &st, &srv->err);
    if (rc)
        return rc;
    tp_store_release(srv->store);
    srv->store = st;
    return TLSPLUG_OK;
}

int tp_api_server_get_session_store_failures(tlsplug_server *h, size_t *count)
{
    struct tlsplug_server *srv = get(h);
    if (!srv)
        return TLSPLUG_E_BADHANDLE;
    if (!count)
        return TLSPLUG_E_INVAL;
    *count = srv->store ? atomic_load(&srv->store->failures) : 0;
    return TLSPLUG_OK;
}

int tp_api_server_session_store_fd(tlsplug_server *h, int *fd)
{
    struct tlsplug_server *srv = get(h);
    if (!srv)
        return TLSPLUG_E_BADHANDLE;
    if (!fd)
        return TLSPLUG_E_INVAL;
    struct tp_store *st = tp_server_store(srv);
    *fd = st ? st->ops->fd(st) : -1;
    return *fd >= 0 ? TLSPLUG_OK : TLSPLUG_E_UNAVAILABLE;
}

int tp_api_server_session_store_dispatch(tlsplug_server *h)
{
    struct tlsplug_server *srv = get(h);
    if (!srv)
        return TLSPLUG_E_BADHANDLE;
    if (srv->store)
        tp_server_store_dispatch(srv->store);
    return TLSPLUG_OK;
}

void tp_server_store_dispatch(struct tp_store *st)
{
    uintptr_t who;
    uint8_t *val;
    size_t vlen;
    while (st->ops->take_answer(st, &who, &val, &vlen)) {
        /* The socket may have gone, or closed (a handshake timeout) meanwhile. */
        struct tlsplug_socket *s = tp_socket_enter((void *)who);
        int waiting = s && s->hello && s->hello->awaiting_resume && !s->closed;
        if (s)
            tp_socket_leave(s, 0);
        if (waiting)
            tp_api_socket_resume_session_done((tlsplug_socket *)who, val, vlen);
        free(val);
    }
}
