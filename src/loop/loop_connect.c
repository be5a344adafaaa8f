/* tls.connect on a loop: host and port (resolved by libuv, or by the host
 * with the `lookup` option), a Unix socket path, or an fd the host already
 * connected. The handshake starts once the transport is up. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "handle.h"
#include "identity.h"
#include "loop.h"
#include "api_impl.h"

static void free_addrs(tp_conn *c)
{
    if (c->dial->addrs)
        uv_freeaddrinfo(c->dial->addrs);
    c->dial->addrs = c->dial->next_addr = NULL;
}

void tp_conn_free_dial(tp_conn *c)
{
    if (!c->dial)
        return;
    free_addrs(c);
    free(c->dial->host);
    free(c->dial);
    c->dial = NULL;
}

/* Emit an event on the connection's socket from the loop. */
static void emit(tp_conn *c, int event, const char *text)
{
    struct tlsplug_socket *s = c->sock;
    tp_driver_enter(s);
    tp_driver_emit(s, event, text, text ? strlen(text) : 0);
    tp_driver_leave(s);
}

static void on_connect(uv_connect_t *req, int status);

static void connect_to(tp_conn *c, const struct sockaddr *sa)
{
    struct sockaddr_storage ss;
    memcpy(&ss, sa, sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                              : sizeof(struct sockaddr_in));
    if (ss.ss_family == AF_INET6)
        ((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)c->dial->port);
    else
        ((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)c->dial->port);
    char text[INET6_ADDRSTRLEN];
    int port, family;
    tp_sockaddr_describe((struct sockaddr *)&ss, text, sizeof text, &port, &family);
    snprintf(c->dial->attempt, sizeof c->dial->attempt, "%s:%d", text, port);
    c->dial->connect_req.data = c;
    c->connecting = 1;
    int err = uv_tcp_connect(&c->dial->connect_req, &c->io.tcp, (struct sockaddr *)&ss, on_connect);
    if (err) {
        c->connecting = 0;
        tp_conn_fail(c, "connect", err, c->dial->attempt);
    }
}

/* The next resolved address to try (IPv4 or IPv6), or NULL. */
static struct addrinfo *next_candidate(tp_conn *c)
{
    while (c->dial->next_addr && c->dial->next_addr->ai_family != AF_INET && c->dial->next_addr->ai_family != AF_INET6)
        c->dial->next_addr = c->dial->next_addr->ai_next;
    struct addrinfo *a = c->dial->next_addr;
    if (a)
        c->dial->next_addr = a->ai_next;
    return a;
}

/* The next address, after a failed attempt: on a fresh handle (a socket
 * whose connect failed is not reliably reusable). */
static void on_retry_closed(uv_handle_t *h)
{
    tp_conn *c = h->data;
    c->retrying = 0;
    if (c->closing || !c->sock) {
        /* Closed meanwhile: tp_conn_close left the handle to us. */
        tp_conn_io_closed(c);
        return;
    }
    uv_tcp_init(&c->loop->uv, &c->io.tcp);
    c->io.handle.data = c;
    struct addrinfo *a = next_candidate(c);
    if (a)
        connect_to(c, a->ai_addr);
    else
        tp_conn_fail(c, "connect", c->dial->last_connect_err, c->dial->attempt);
}

static void on_connect(uv_connect_t *req, int status)
{
    tp_conn *c = req->data;
    c->connecting = 0;
    if (c->closing || !c->sock)
        return; /* the close in progress finishes the connection */
    if (status < 0) {
        c->dial->last_connect_err = status;
        if (c->dial->next_addr) {
            c->retrying = 1;
            uv_close(&c->io.handle, on_retry_closed);
        } else {
            tp_conn_fail(c, "connect", status, c->dial->attempt);
        }
        return;
    }
    tp_conn_free_dial(c); /* connected: the requests, names and addresses go */
    tp_conn_connected(c);
    emit(c, TLSPLUG_EV_CONNECT, NULL);
    if (c->sock && !tp_driver_closed(c->sock) && !tp_driver_started(c->sock))
        tp_api_socket_start((tlsplug_socket *)c->sock_handle); /* its kick starts reading */
}

/* Node's default lookup order before v17 (and its `family: 0` result):
 * IPv4 addresses first. Where the name has both, the next one is tried
 * when one is refused. */
static struct addrinfo *ipv4_first(struct addrinfo *res)
{
    struct addrinfo *v4 = NULL, **v4t = &v4, *rest = NULL, **rt = &rest;
    for (struct addrinfo *a = res, *next; a; a = next) {
        next = a->ai_next;
        a->ai_next = NULL;
        if (a->ai_family == AF_INET) {
            *v4t = a;
            v4t = &a->ai_next;
        } else {
            *rt = a;
            rt = &a->ai_next;
        }
    }
    *v4t = rest;
    return v4;
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    tp_conn *c = req->data;
    c->gai_active = 0;
    c->loop->lookups--;
    if (c->closing || !c->sock) {
        if (res)
            uv_freeaddrinfo(res);
        tp_conn_release(c);
        return;
    }
    if (status < 0) {
        tp_conn_fail(c, "getaddrinfo", status, c->dial->host);
    } else {
        c->dial->addrs = c->dial->next_addr = ipv4_first(res);
        struct addrinfo *a = next_candidate(c);
        if (!a) {
            tp_conn_fail(c, "getaddrinfo", UV_EAI_NODATA, c->dial->host);
        } else {
            char text[INET6_ADDRSTRLEN];
            int port, family;
            tp_sockaddr_describe(a->ai_addr, text, sizeof text, &port, &family);
            emit(c, TLSPLUG_EV_LOOKUP, text);
            if (c->sock && !tp_driver_closed(c->sock) && !c->closing)
                connect_to(c, a->ai_addr);
        }
    }
    tp_conn_release(c);
}

static int parse_ip(const char *text, int port, struct sockaddr_storage *ss)
{
    if (uv_ip4_addr(text, port, (struct sockaddr_in *)ss) == 0)
        return 0;
    return uv_ip6_addr(text, port, (struct sockaddr_in6 *)ss);
}

void tp_conn_start_connect(tp_conn *c)
{
    if (c->is_pipe) {
        snprintf(c->dial->attempt, sizeof c->dial->attempt, "%s", c->dial->host);
        c->dial->connect_req.data = c;
        c->connecting = 1;
        uv_pipe_connect(&c->dial->connect_req, &c->io.pipe, c->dial->host, on_connect);
        return;
    }
    struct sockaddr_storage ss;
    if (parse_ip(c->dial->host, c->dial->port, &ss) == 0) {
        connect_to(c, (struct sockaddr *)&ss); /* an address needs no lookup (nor event) */
        return;
    }
    if (tp_driver_host_lookup(c->sock)) {
        c->awaiting_lookup = 1;
        emit(c, TLSPLUG_EV_LOOKUP_REQUEST, c->dial->host);
        return;
    }
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    c->dial->gai_req.data = c;
    int err = uv_getaddrinfo(&c->loop->uv, &c->dial->gai_req, on_resolved, c->dial->host, NULL, &hints);
    if (err) {
        tp_conn_fail(c, "getaddrinfo", err, c->dial->host);
        return;
    }
    c->gai_active = 1;
    c->loop->lookups++; /* tlsplug_loop_free waits for it */
    c->ops++;           /* on_resolved releases it */
}

void tp_conn_lookup_answer(tp_conn *c, const char *address, const char *code)
{
    struct tlsplug_socket *s = c->sock;
    if (!address) {
        tp_driver_fail(s, code && *code ? code : "ENOTFOUND", "getaddrinfo %s %s",
                       code && *code ? code : "ENOTFOUND", c->dial->host);
        return;
    }
    struct sockaddr_storage ss;
    if (parse_ip(address, c->dial->port, &ss) != 0) {
        tp_driver_fail(s, "ERR_INVALID_IP_ADDRESS", "Invalid IP address: %s", address);
        return;
    }
    tp_driver_emit(s, TLSPLUG_EV_LOOKUP, address, strlen(address));
    if (!tp_driver_freed(s) && !tp_driver_closed(s))
        connect_to(c, (struct sockaddr *)&ss);
}

/* ---------------------------------------------------------------- entry points */

/* The checks the three ways of connecting share; answers a status. */
static int attachable(struct tlsplug_loop *loop, struct tlsplug_socket *s, int client_only)
{
    (void)loop;
    if (client_only && !tp_driver_is_client(s))
        return tp_driver_refuse(s, TLSPLUG_E_STATE, "ERR_TLS_INVALID_STATE",
                                "connect: the socket is not a client");
    if (tp_driver_has_transport(s) || tp_driver_started(s) || tp_driver_closed(s))
        return tp_driver_refuse(s, TLSPLUG_E_STATE, "ERR_TLS_INVALID_STATE",
                                "connect: the socket is already started or on a loop");
    return TLSPLUG_OK;
}

static int connect_common(tlsplug_loop *lh, tlsplug_socket *sh, const char *host, int port,
                          int is_pipe)
{
    struct tlsplug_loop *loop = tp_loop_enter(lh);
    struct tlsplug_socket *s = loop ? tp_socket_enter(sh) : NULL;
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    int rc = attachable(loop, s, 1);
    if (rc)
        return tp_socket_leave(s, rc);
    if (is_pipe && (!host || !*host))
        return tp_socket_leave(s, tp_driver_refuse(s, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_TYPE",
                                                   "connect: the path must be a non-empty string"));
    if (!is_pipe && (port < 0 || port > 65535))
        return tp_socket_leave(s, tp_driver_refuse(s, TLSPLUG_E_INVAL, "ERR_SOCKET_BAD_PORT",
                                                   "Port should be >= 0 and < 65536. Received %d.",
                                                   port));
    int host_given = host != NULL;
    if (!host)
        host = "localhost";
    /* Node checks the certificate against servername, else the host (an
     * address included; SNI itself is sent only for names). Without a
     * host it sends no SNI and checks against localhost, the default. */
    if (!is_pipe && host_given && tp_driver_default_servername(s, host) != TLSPLUG_OK)
        return tp_socket_leave(s, TLSPLUG_E_NOMEM);
    tp_dial *dial = calloc(1, sizeof *dial);
    char *copy = dial ? strdup(host) : NULL;
    tp_conn *c = copy ? tp_conn_new(loop, s, is_pipe) : NULL;
    if (!c) {
        free(copy);
        free(dial);
        return tp_socket_leave(s, TLSPLUG_E_NOMEM);
    }
    c->dial = dial;
    dial->host = copy;
    dial->port = port;
    tp_conn_due(c, TP_DUE_RESOLVE); /* events come from the loop, not from here */
    return tp_socket_leave(s, TLSPLUG_OK);
}

int tp_api_loop_connect(tlsplug_loop *loop, tlsplug_socket *sock, const char *host,
                        int port)
{
    return connect_common(loop, sock, host, port, 0);
}

int tp_api_loop_connect_path(tlsplug_loop *loop, tlsplug_socket *sock, const char *path)
{
    return connect_common(loop, sock, path, 0, 1);
}

int tp_api_loop_adopt(tlsplug_loop *lh, tlsplug_socket *sh, int fd)
{
    struct tlsplug_loop *loop = tp_loop_enter(lh);
    struct tlsplug_socket *s = loop ? tp_socket_enter(sh) : NULL;
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    int rc = attachable(loop, s, 0);
    if (rc)
        return tp_socket_leave(s, rc);
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (fd < 0 || getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return tp_socket_leave(s, tp_driver_refuse(s, TLSPLUG_E_INVAL, "EBADF",
                                                   "adopt: %d is not a socket", fd));
    int is_pipe = ss.ss_family == AF_UNIX;
    tp_conn *c = tp_conn_new(loop, s, is_pipe);
    if (!c)
        return tp_socket_leave(s, TLSPLUG_E_NOMEM);
    int err = is_pipe ? uv_pipe_open(&c->io.pipe, fd) : uv_tcp_open(&c->io.tcp, fd);
    if (err) {
        /* The fd stays the host's: close the handle without it. */
        tp_driver_detach(s);
        c->sock = NULL;
        tp_conn_close(c);
        return tp_socket_leave(s, tp_driver_refuse(s, TLSPLUG_E_NET, tp_uv_code(err),
                                                   "adopt: %s", uv_strerror(err)));
    }
    tp_conn_connected(c);
    rc = tp_api_socket_start(sh); /* nested: the kick comes as we leave */
    return tp_socket_leave(s, rc);
}
