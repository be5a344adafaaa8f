/* The options of the transport under a TLSSocket on a loop, as Node's
 * net.Socket has them: setTimeout, setNoDelay, setKeepAlive, the addresses,
 * and the `lookup` option. A socket the host drives itself has none. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "handle.h"
#include "loop.h"
#include "api_impl.h"

/* The transport options need a loop's connection. */
static int on_loop(struct tlsplug_socket *s, const char *what)
{
    if (!tp_conn_of(s))
        return tp_driver_refuse(s, TLSPLUG_E_STATE, "ERR_SOCKET_NOT_ON_LOOP",
                                "%s: the socket is not on a loop (tlsplug_loop_connect or "
                                "_adopt); a host that drives the pump keeps its own transport",
                                what);
    return TLSPLUG_OK;
}

int tp_api_socket_set_timeout(tlsplug_socket *h, size_t ms)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    int rc = on_loop(s, "setTimeout");
    if (rc == TLSPLUG_OK) {
        tp_conn *c = tp_conn_of(s);
        c->timeout_ms = ms;
        c->timeout_fired = 0;
        c->last_activity = uv_now(&c->loop->uv);
    }
    return tp_socket_leave(s, rc); /* the kick arms the timer */
}

static int apply_tcp(tp_conn *c, struct tlsplug_socket *s)
{
    if (!c->connected || c->is_pipe || c->closing)
        return TLSPLUG_OK; /* applied when it connects (tp_conn_connected) */
    int err = 0;
    if (c->no_delay >= 0)
        err = uv_tcp_nodelay(&c->io.tcp, c->no_delay);
    if (err == 0 && c->keep_alive >= 0) {
        if (c->keep_alive && c->keep_alive_delay_s == 0) {
            /* Node: an initialDelay of 0 keeps the system's idle time. */
            uv_os_fd_t fd;
            int on = 1;
            err = uv_fileno(&c->io.handle, &fd);
            if (err == 0 && setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) != 0)
                err = uv_translate_sys_error(errno);
        } else {
            err = uv_tcp_keepalive(&c->io.tcp, c->keep_alive, c->keep_alive_delay_s);
        }
    }
    if (err)
        return tp_driver_refuse(s, TLSPLUG_E_NET, tp_uv_code(err), "setsockopt: %s",
                                uv_strerror(err));
    return TLSPLUG_OK;
}

int tp_conn_apply_tcp(tp_conn *c)
{
    return c->sock ? apply_tcp(c, c->sock) : TLSPLUG_OK;
}

int tp_api_socket_set_no_delay(tlsplug_socket *h, int no_delay)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    int rc = on_loop(s, "setNoDelay");
    if (rc == TLSPLUG_OK) {
        tp_conn *c = tp_conn_of(s);
        c->no_delay = no_delay != 0;
        rc = apply_tcp(c, s);
    }
    return tp_socket_leave(s, rc);
}

int tp_api_socket_set_keep_alive(tlsplug_socket *h, int enable, size_t initial_delay_ms)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    int rc = on_loop(s, "setKeepAlive");
    if (rc == TLSPLUG_OK) {
        tp_conn *c = tp_conn_of(s);
        c->keep_alive = enable != 0;
        /* TCP counts whole seconds: round a positive delay up to one. */
        size_t secs = (initial_delay_ms + 999) / 1000;
        c->keep_alive_delay_s = secs > 32767 ? 32767 : (unsigned)secs;
        rc = apply_tcp(c, s);
    }
    return tp_socket_leave(s, rc);
}

int tp_conn_address(tp_conn *c, int side, char *text, size_t cap, int *port, int *family)
{
    if (c->is_pipe) {
        size_t n = cap;
        int err = side == TLSPLUG_ADDRESS_LOCAL ? uv_pipe_getsockname(&c->io.pipe, text, &n)
                                                : uv_pipe_getpeername(&c->io.pipe, text, &n);
        if (err)
            text[0] = '\0'; /* an unnamed end: Node shows "" */
        else
            text[n < cap ? n : cap - 1] = '\0';
        *port = 0;
        *family = 0;
        return 0;
    }
    struct sockaddr_storage ss;
    int len = sizeof ss;
    int err = side == TLSPLUG_ADDRESS_LOCAL
                  ? uv_tcp_getsockname(&c->io.tcp, (struct sockaddr *)&ss, &len)
                  : uv_tcp_getpeername(&c->io.tcp, (struct sockaddr *)&ss, &len);
    return err ? -1 : tp_sockaddr_describe((struct sockaddr *)&ss, text, cap, port, family);
}

int tp_api_socket_address(tlsplug_socket *h, int side, char *buf, size_t cap,
                          size_t *len, int *port, int *family)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    if (!len || !port || !family || (cap && !buf) ||
        (side != TLSPLUG_ADDRESS_LOCAL && side != TLSPLUG_ADDRESS_REMOTE))
        return tp_socket_leave(s, TLSPLUG_E_INVAL);
    tp_conn *c = tp_conn_of(s);
    char text[256];
    int p = 0, fam = 0;
    if (!c || !c->connected || c->closing || tp_conn_address(c, side, text, sizeof text, &p, &fam))
        return tp_socket_leave(s, tp_driver_refuse(s, TLSPLUG_E_UNAVAILABLE, "",
                                                   "the socket has no connected transport"));
    int rc = tp_copy_string(text, buf, cap, len);
    if (rc == TLSPLUG_OK) {
        *port = p;
        *family = fam;
    }
    return tp_socket_leave(s, rc);
}

int tp_api_socket_set_lookup(tlsplug_socket *h, int enabled)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    if (tp_driver_has_transport(s) || tp_driver_started(s))
        return tp_socket_leave(s, tp_driver_refuse(s, TLSPLUG_E_STATE, "ERR_TLS_INVALID_STATE",
                                                   "lookup: set it before tlsplug_loop_connect"));
    tp_driver_set_host_lookup(s, enabled);
    return tp_socket_leave(s, TLSPLUG_OK);
}

int tp_api_socket_lookup_done(tlsplug_socket *h, const char *address, const char *code)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    tp_conn *c = tp_conn_of(s);
    if (!c || !c->awaiting_lookup)
        return tp_socket_leave(s, tp_driver_refuse(s, TLSPLUG_E_STATE, "ERR_TLS_INVALID_STATE",
                                                   "lookup_done: no lookup is pending"));
    c->awaiting_lookup = 0;
    tp_conn_lookup_answer(c, address, code);
    return tp_socket_leave(s, TLSPLUG_OK);
}
