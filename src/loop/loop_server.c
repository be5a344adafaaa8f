/* tls.Server on a loop: listen, accept (each connection a loop-owned
 * server socket), maxConnections, address, close. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "handle.h"
#include "loop.h"
#include "api_impl.h"

static void unlink_listener(tp_listener *l)
{
    if (l->prev)
        l->prev->next = l->next;
    else if (l->loop->listeners == l)
        l->loop->listeners = l->next;
    if (l->next)
        l->next->prev = l->prev;
    l->prev = l->next = NULL;
    tp_listener_undue(l); /* off the queue, or off the batch being run */
    tp_listener_unwatch_store(l);
}

static void free_listener(tp_listener *l)
{
    unlink_listener(l);
    free(l->path);
    free(l);
}

/* close(): the server's CLOSE once the handle is closed and the last
 * connection ended. */
static void maybe_finish(tp_listener *l)
{
    if (l->handle_closed && l->srv && l->srv->connections == 0)
        tp_loop_due_listener(l, TP_LDUE_CLOSE);
}

static void on_listener_closed(uv_handle_t *h)
{
    tp_listener *l = h->data;
    l->handle_closed = 1;
    if (!l->srv) {
        free_listener(l); /* detached or abandoned: nobody waits for it */
        return;
    }
    maybe_finish(l);
}

void tp_listener_connection_closed(struct tlsplug_server *srv)
{
    if (srv->listener && srv->listener->closing)
        maybe_finish(srv->listener);
}

void tp_listener_run_due(tp_listener *l)
{
    unsigned due = l->due;
    l->due = 0;
    struct tlsplug_server *srv = l->srv;
    if (!srv)
        return;
    if ((due & TP_LDUE_LISTENING) && !l->closing)
        tp_server_emit(srv, TLSPLUG_EV_LISTENING, NULL, NULL, 0);
    if (due & TP_LDUE_CLOSE) {
        /* The server may listen again from its close callback. */
        srv->listener = NULL;
        l->srv = NULL;
        free_listener(l);
        tp_server_acquire(srv); /* the callback may free the server */
        tp_server_emit(srv, TLSPLUG_EV_CLOSE, NULL, NULL, 0);
        tp_server_release(srv);
        tp_server_release(srv); /* the listener's reference */
    }
}

/* Stop listening without events: the server or the loop is being freed. */
static void drop(tp_listener *l)
{
    struct tlsplug_server *srv = l->srv;
    if (srv) {
        srv->listener = NULL;
        l->srv = NULL;
        tp_server_release(srv);
    }
    unlink_listener(l);
    if (l->handle_closed)
        free_listener(l);
    else if (!l->closing) {
        l->closing = 1;
        uv_close(&l->io.handle, on_listener_closed);
    } /* else the close in flight frees it */
}

void tp_listener_detach(tp_listener *l)
{
    drop(l);
}

void tp_listener_abandon(tp_listener *l)
{
    drop(l);
}

/* ---------------------------------------------------------------- accepting */

static void free_handle(uv_handle_t *h)
{
    free(h);
}

static void refuse(tp_listener *l)
{
    /* maxConnections: accept and close at once, as Node does. */
    uv_stream_t *tmp = malloc(l->is_pipe ? sizeof(uv_pipe_t) : sizeof(uv_tcp_t));
    if (!tmp)
        return;
    if (l->is_pipe)
        uv_pipe_init(&l->loop->uv, (uv_pipe_t *)tmp, 0);
    else
        uv_tcp_init(&l->loop->uv, (uv_tcp_t *)tmp);
    uv_accept(&l->io.stream, tmp);
    uv_close((uv_handle_t *)tmp, free_handle);
}

static void on_connection(uv_stream_t *server, int status)
{
    tp_listener *l = server->data;
    struct tlsplug_server *srv = l->srv;
    if (!srv || l->closing)
        return;
    if (status < 0) {
        tp_fail(&srv->err, TLSPLUG_E_NET, tp_uv_code(status), "accept %s", tp_uv_code(status));
        tp_server_emit(srv, TLSPLUG_EV_ERROR, NULL, tp_error_code(&srv->err), strlen(tp_error_code(&srv->err)));
        return;
    }
    if (srv->max_connections >= 0 && srv->connections >= (size_t)srv->max_connections) {
        refuse(l);
        return;
    }
    tlsplug_socket *sh;
    if (tp_api_server_accept((tlsplug_server *)srv->handle, (size_t)uv_now(&l->loop->uv), &sh) != 0) {
        refuse(l); /* the detail is on the server */
        return;
    }
    struct tlsplug_socket *s = tp_socket_enter(sh);
    tp_conn *c = tp_conn_new(l->loop, s, l->is_pipe);
    if (!c) {
        tp_socket_leave(s, 0);
        tp_api_socket_free(sh);
        refuse(l);
        return;
    }
    c->owned = 1;
    if (uv_accept(&l->io.stream, &c->io.stream) != 0) {
        tp_driver_close_quietly(s); /* nothing was connected: no events */
        tp_conn_close(c);
        tp_socket_leave(s, 0);
        return;
    }
    tp_listener_watch_store(l);
    tp_server_acquire(srv);
    c->srv = srv;
    srv->connections++;
    tp_conn_connected(c);
    tp_server_emit(srv, TLSPLUG_EV_CONNECTION, s, NULL, 0);
    tp_socket_leave(s, 0); /* the kick starts reading */
}

/* ---------------------------------------------------------------- listening */

static int listen_fail(struct tlsplug_server *srv, tp_listener *l, int err, const char *where)
{
    l->closing = 1;
    l->srv = NULL;
    uv_close(&l->io.handle, on_listener_closed); /* frees it */
    return tp_fail(&srv->err, TLSPLUG_E_NET, tp_uv_code(err), "listen %s: %s %s", tp_uv_code(err),
                   uv_strerror(err), where);
}

/* Node listens on "::" (both families) when no host is given, on
 * "0.0.0.0" where IPv6 is not available. */
static int ipv6_available(void)
{
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    close(fd);
    return 1;
}

static int resolve_bind_address(const char *host, int port, struct sockaddr_storage *ss)
{
    if (!host)
        host = ipv6_available() ? "::" : "0.0.0.0";
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)ss) == 0 ||
        uv_ip6_addr(host, port, (struct sockaddr_in6 *)ss) == 0)
        return 0;
    /* A name: resolved here, as Node's listen does before binding. */
    uv_loop_t tmp;
    uv_getaddrinfo_t req;
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    if (uv_loop_init(&tmp) != 0)
        return UV_ENOMEM;
    /* Without a callback libuv resolves on this thread: no worker ever
     * holds `tmp`, which has no handle and closes at once. */
    int err = uv_getaddrinfo(&tmp, &req, NULL, host, NULL, &hints);
    uv_loop_close(&tmp);
    if (err)
        return err;
    struct addrinfo *a = req.addrinfo;
    while (a && a->ai_family != AF_INET && a->ai_family != AF_INET6)
        a = a->ai_next;
    if (!a) {
        uv_freeaddrinfo(req.addrinfo);
        return UV_EAI_NODATA;
    }
    memcpy(ss, a->ai_addr, a->ai_addrlen);
    if (ss->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
    uv_freeaddrinfo(req.addrinfo);
    return 0;
}

/* `fd` >= 0: listen on the host's socket (listen_fd) instead of binding. */
static int listen_common(tlsplug_loop *lh, tlsplug_server *sh, const char *host, int port,
                         const char *path, int fd, int backlog)
{
    struct tlsplug_loop *loop = tp_loop_enter(lh);
    struct tlsplug_server *srv = loop ? tp_handle_get(sh, TP_TAG_SERVER) : NULL;
    if (!srv)
        return TLSPLUG_E_BADHANDLE;
    if (srv->listener)
        return tp_fail(&srv->err, TLSPLUG_E_STATE, "ERR_SERVER_ALREADY_LISTEN",
                       "Listen method has been called more than once without closing.");
    if (path && !*path)
        return tp_fail(&srv->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_VALUE",
                       "listen: the path must be a non-empty string");
    if (!path && (port < 0 || port > 65535))
        return tp_fail(&srv->err, TLSPLUG_E_INVAL, "ERR_SOCKET_BAD_PORT",
                       "Port should be >= 0 and < 65536. Received %d.", port);
    if (backlog < 0)
        return tp_fail(&srv->err, TLSPLUG_E_INVAL, "ERR_OUT_OF_RANGE",
                       "listen: backlog must not be negative");
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof ss;
    if (fd >= 0) {
        if (getsockname(fd, (struct sockaddr *)&ss, &sslen) != 0)
            return tp_fail(&srv->err, TLSPLUG_E_INVAL, "EBADF", "listen: %d is not a socket", fd);
        /* A Unix socket keeps its path for address(). */
        if (ss.ss_family == AF_UNIX)
            path = ((struct sockaddr_un *)&ss)->sun_path;
    } else if (!path) {
        int err = resolve_bind_address(host, port, &ss);
        if (err)
            return tp_fail(&srv->err, TLSPLUG_E_NET, tp_uv_code(err), "getaddrinfo %s %s",
                           tp_uv_code(err), host);
    }
    tp_listener *l = calloc(1, sizeof *l);
    if (!l || (path && !(l->path = strdup(path)))) {
        free(l);
        return TLSPLUG_E_NOMEM;
    }
    l->loop = loop;
    l->srv = srv;
    l->is_pipe = path != NULL;
    if (path)
        uv_pipe_init(&loop->uv, &l->io.pipe, 0);
    else
        uv_tcp_init(&loop->uv, &l->io.tcp);
    l->io.handle.data = l;
    char where[300];
    if (path) {
        snprintf(where, sizeof where, "%s", path);
    } else {
        char text[INET6_ADDRSTRLEN] = "";
        int p = port, family;
        tp_sockaddr_describe((struct sockaddr *)&ss, text, sizeof text, &p, &family);
        snprintf(where, sizeof where, "%s:%d", text, p);
    }
    int err;
    if (fd >= 0)
        err = path ? uv_pipe_open(&l->io.pipe, fd) : uv_tcp_open(&l->io.tcp, fd);
    else
        err = path ? uv_pipe_bind(&l->io.pipe, path) : uv_tcp_bind(&l->io.tcp, (struct sockaddr *)&ss, 0);
    if (err == 0)
        err = uv_listen(&l->io.stream, backlog ? backlog : 511, on_connection);
    if (err)
        return listen_fail(srv, l, err, where);
    tp_server_acquire(srv);
    srv->listener = l;
    srv->listener_detach = tp_listener_detach;
    l->next = loop->listeners;
    if (loop->listeners)
        loop->listeners->prev = l;
    loop->listeners = l;
    tp_loop_due_listener(l, TP_LDUE_LISTENING);
    return TLSPLUG_OK;
}

int tp_api_loop_listen(tlsplug_loop *loop, tlsplug_server *srv, const char *host,
                       int port, int backlog)
{
    return listen_common(loop, srv, host, port, NULL, -1, backlog);
}

int tp_api_loop_listen_fd(tlsplug_loop *loop, tlsplug_server *srv, int fd, int backlog)
{
    if (fd < 0)
        return tp_loop_enter(loop) && tp_handle_get(srv, TP_TAG_SERVER) ? TLSPLUG_E_INVAL
                                                                         : TLSPLUG_E_BADHANDLE;
    return listen_common(loop, srv, NULL, 0, NULL, fd, backlog);
}

int tp_api_loop_listen_path(tlsplug_loop *loop, tlsplug_server *srv, const char *path,
                            int backlog)
{
    if (!path)
        return tp_loop_enter(loop) && tp_handle_get(srv, TP_TAG_SERVER) ? TLSPLUG_E_INVAL
                                                                         : TLSPLUG_E_BADHANDLE;
    return listen_common(loop, srv, NULL, 0, path, -1, backlog);
}

/* ---------------------------------------------------------------- the server's side */

int tp_api_server_address(tlsplug_server *h, char *buf, size_t cap, size_t *len,
                          int *port, int *family)
{
    struct tlsplug_server *srv = tp_handle_get(h, TP_TAG_SERVER);
    if (!srv)
        return TLSPLUG_E_BADHANDLE;
    if (!len || !port || !family || (cap && !buf))
        return TLSPLUG_E_INVAL;
    tp_listener *l = srv->listener;
    if (!l || l->closing)
        return tp_fail(&srv->err, TLSPLUG_E_STATE, "ERR_SERVER_NOT_RUNNING",
                       "Server is not running.");
    if (l->is_pipe) {
        int rc = tp_copy_string(l->path, buf, cap, len);
        if (rc == TLSPLUG_OK)
            *port = 0, *family = 0;
        return rc;
    }
    struct sockaddr_storage ss;
    int n = sizeof ss;
    int err = uv_tcp_getsockname(&l->io.tcp, (struct sockaddr *)&ss, &n);
    if (err)
        return tp_fail(&srv->err, TLSPLUG_E_NET, tp_uv_code(err), "address: %s", uv_strerror(err));
    char text[INET6_ADDRSTRLEN];
    int p, fam;
    if (tp_sockaddr_describe((struct sockaddr *)&ss, text, sizeof text, &p, &fam) != 0)
        return tp_fail(&srv->err, TLSPLUG_E_INTERNAL, "", "address: an unknown address family");
    int rc = tp_copy_string(text, buf, cap, len);
    if (rc == TLSPLUG_OK)
        *port = p, *family = fam;
    return rc;
}

int tp_api_server_close(tlsplug_server *h)
{
    struct tlsplug_server *srv = tp_handle_get(h, TP_TAG_SERVER);
    if (!srv)
        return TLSPLUG_E_BADHANDLE;
    tp_listener *l = srv->listener;
    if (!l || l->closing)
        return tp_fail(&srv->err, TLSPLUG_E_STATE, "ERR_SERVER_NOT_RUNNING",
                       "Server is not running.");
    l->closing = 1;
    uv_close(&l->io.handle, on_listener_closed);
    return TLSPLUG_OK;
}

int tp_api_server_set_max_connections(tlsplug_server *h, int max)
{
    struct tlsplug_server *srv = tp_handle_get(h, TP_TAG_SERVER);
    if (!srv)
        return TLSPLUG_E_BADHANDLE;
    srv->max_connections = max < 0 ? -1 : max;
    return TLSPLUG_OK;
}

int tp_api_server_get_connections(tlsplug_server *h, size_t *count)
{
    struct tlsplug_server *srv = tp_handle_get(h, TP_TAG_SERVER);
    if (!srv)
        return TLSPLUG_E_BADHANDLE;
    if (!count)
        return TLSPLUG_E_INVAL;
    *count = srv->connections;
    return TLSPLUG_OK;
}
