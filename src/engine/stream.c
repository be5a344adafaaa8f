/* Node's stream behaviour of a TLSSocket: pause/resume, and the write
 * buffer's high-water mark and `drain`. (The options of the transport under
 * it, which need a loop, are the loop's: loop/loop_stream.c.) */
#include "socket.h"
#include "api_impl.h"

size_t tp_socket_buffered(const struct tlsplug_socket *s)
{
    size_t n = tp_socket_pending_len(s) + tp_buf_len(&s->out);
    if (s->transport)
        n += s->transport->inflight(s->transport_ctx);
    return n;
}

void tp_socket_maybe_drain(struct tlsplug_socket *s)
{
    if (!s->need_drain || tp_socket_buffered(s) != 0 || s->closed)
        return;
    s->need_drain = 0;
    tp_emit(s, TLSPLUG_EV_DRAIN, NULL, 0);
}

int tp_api_socket_pause(tlsplug_socket *h)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    s->paused = 1; /* the pump stops delivering; a loop stops reading (kick) */
    return tp_socket_leave(s, TLSPLUG_OK);
}

int tp_api_socket_resume(tlsplug_socket *h)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    int rc = TLSPLUG_OK;
    if (s->paused) {
        s->paused = 0;
        if (s->transport)
            s->transport->defer_pump(s->transport_ctx); /* delivered from the loop, as Node does */
        else if (s->depth == 1)
            rc = tp_pump(s); /* (nested in a callback, the running drain goes on) */
    }
    return tp_socket_leave(s, rc);
}

int tp_api_socket_set_high_water_mark(tlsplug_socket *h, size_t bytes)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    if (bytes == 0)
        return tp_socket_leave(s, tp_fail(&s->err, TLSPLUG_E_INVAL, "ERR_OUT_OF_RANGE",
                                          "highWaterMark must be at least 1 byte"));
    s->hwm = bytes;
    return tp_socket_leave(s, TLSPLUG_OK);
}

int tp_api_socket_buffer_size(tlsplug_socket *h, size_t *bytes)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    if (!bytes)
        return tp_socket_leave(s, TLSPLUG_E_INVAL);
    *bytes = tp_socket_buffered(s);
    return tp_socket_leave(s, TLSPLUG_OK);
}

