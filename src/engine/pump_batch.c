/* The batched pump entry points: one call per transport read or write for
 * hosts where each call is costly (cgo, ctypes, Fiddle).
 *
 * tlsplug_socket_feed_read feeds ciphertext and decrypts every record that
 * fits into the host's buffer; tlsplug_socket_write_pull encrypts cleartext
 * and hands the records back in the host's buffer. GnuTLS reads records
 * straight from the bytes the host lends (only what it leaves is copied),
 * writes cleartext straight into the host's buffer, and pushes its records
 * straight into the host's window while nothing older waits in `out`. Both
 * answer the socket's state, so the host knows without another call
 * whether to pull or to poll events. */
#include <string.h>

#include "handle.h"

#include "socket.h"
#include "api_impl.h"

/* Decrypt records into buf until it is full or the input runs out. A close
 * or a fatal error after some records answers those records: the end or
 * the sticky error is the next call's answer. */
static int read_batch(struct tlsplug_socket *s, uint8_t *buf, size_t cap, size_t *got)
{
    *got = 0;
    if (s->fatal)
        return tp_socket_sticky(s);
    if (s->peer_ended || (s->closed && !s->had_error))
        return TLSPLUG_OK; /* end of stream */
    if (s->closed)
        return tp_fail(&s->err, TLSPLUG_E_CLOSED, "ERR_SOCKET_CLOSED", "the socket is closed");
    if (!s->secure || tp_socket_waiting(s)) {
        s->read_blocked = 1;
        return TLSPLUG_E_AGAIN;
    }
    size_t n = 0;
    for (int retries = 0; n < cap;) {
        size_t one = 0;
        int rc = tp_pump_recv(s, buf + n, cap - n, &one);
        if (rc < 0) {
            if (n)
                break;
            return rc;
        }
        if (rc == TP_RECV_DATA) {
            n += one;
            retries = 0;
            continue;
        }
        if (rc == TP_RECV_EOF || s->freed || s->closed)
            break;
        if (rc == TP_RECV_WAIT) {
            if (n)
                break;
            s->read_blocked = 1;
            return TLSPLUG_E_AGAIN;
        }
        if (++retries >= MAX_SPINS)
            return tp_pump_tls_failure(s, GNUTLS_E_INTERNAL_ERROR, "read made no progress");
    }
    *got = n;
    return TLSPLUG_OK;
}

/* Take the host's ciphertext: lent while GnuTLS can read it in this call,
 * else queued behind what waits. */
static int take_input(struct tlsplug_socket *s, const uint8_t *data, size_t len)
{
    if (s->fatal)
        return tp_socket_sticky(s);
    if (s->closed)
        return tp_fail(&s->err, TLSPLUG_E_CLOSED, "ERR_SOCKET_CLOSED", "the socket is closed");
    if (s->in_eof)
        return tp_fail(&s->err, TLSPLUG_E_STATE, "ERR_STREAM_PUSH_AFTER_EOF",
                       "feed_read: the transport already ended");
    if (s->secure && !s->renegotiating && tp_buf_len(&s->in) == 0 && s->lent_len == 0 &&
        !tp_socket_waiting(s)) {
        s->lent = data;
        s->lent_len = len;
    } else if (tp_pump_keep_lent(s) != 0 || tp_buf_append(&s->in, data, len) != 0) {
        return tp_fail(&s->err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY", "feed_read: out of memory");
    }
    s->bytes_fed += len;
    s->read_blocked = 0;
    return tp_pump(s);
}

int tp_api_socket_feed_read(tlsplug_socket *h, const uint8_t *data, size_t len, uint8_t *buf,
                            size_t cap, size_t *len_out, unsigned *state)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    if (!len_out || !state || !buf || cap == 0 || (!data && len))
        return tp_socket_leave(s, tp_fail(&s->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_VALUE",
                                          "feed_read: a buffer of at least one byte, "
                                          "len_out and state are needed"));
    *len_out = 0;
    if (tp_socket_has_callback(s, TLSPLUG_EV_DATA)) {
        *state = tp_pump_state(s);
        return tp_socket_leave(s, tp_fail(&s->err, TLSPLUG_E_STATE, "ERR_TLS_INVALID_STATE",
                                          "feed_read: the socket has a data callback; "
                                          "use tlsplug_socket_feed"));
    }
    int rc = len ? take_input(s, data, len) : TLSPLUG_OK;
    if (rc == TLSPLUG_OK && !s->freed)
        rc = read_batch(s, buf, cap, len_out);
    if (s->freed) { /* by a callback: what was lent is dropped with it */
        s->lent = NULL;
        s->lent_len = 0;
        *state = TLSPLUG_STATE_CLOSED;
        return tp_socket_leave(s, rc);
    }
    if (tp_pump_keep_lent(s) != 0 && rc >= 0)
        rc = tp_fail(&s->err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY", "feed_read: out of memory");
    tp_buf_release_if_empty(&s->in);
    *state = s->freed ? TLSPLUG_STATE_CLOSED : tp_pump_state(s);
    return tp_socket_leave(s, rc);
}

int tp_api_socket_write_pull(tlsplug_socket *h, const uint8_t *data, size_t len, uint8_t *buf,
                             size_t cap, size_t *len_out, unsigned *state)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    if (!len_out || !state || (!buf && cap) || (!data && len))
        return tp_socket_leave(s, tp_fail(&s->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_VALUE",
                                          "write_pull: NULL buffer, len_out or state"));
    struct tp_window w = {buf, cap, 0};
    /* What waits goes first; the new records follow it. */
    if (!s->hold_output && tp_buf_len(&s->out))
        w.len = tp_buf_take(&s->out, buf, cap);
    int rc = TLSPLUG_OK;
    if (len) {
        struct tp_window *outer = s->window; /* a write_pull from a callback */
        s->window = &w;
        rc = tp_pump_write(s, data, len);
        s->window = outer;
    }
    *len_out = w.len;
    if (!s->freed) {
        s->bytes_pulled += w.len;
        tp_buf_release_if_empty(&s->out);
        tp_socket_maybe_drain(s);
        if (rc == TLSPLUG_OK && tp_buf_len(&s->out) && !s->hold_output)
            rc = TLSPLUG_E_BUFSIZE;
    }
    *state = s->freed ? TLSPLUG_STATE_CLOSED : tp_pump_state(s);
    return tp_socket_leave(s, rc);
}
