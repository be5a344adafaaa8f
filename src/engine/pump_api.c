/* The pump's entry points: the public functions that feed, pull, write,
 * read, end and query a socket. The engine behind them is pump.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handle.h"

#include "identity.h"
#include "socket.h"
#include "api_impl.h"



int tp_api_socket_start(tlsplug_socket *h)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    if (s->started || s->closed)
        return tp_socket_leave(s, tp_fail(&s->err, TLSPLUG_E_STATE, "ERR_TLS_INVALID_STATE",
                                          "start: the socket was already started"));
    int err = 0;
    if (s->role == TLSPLUG_ROLE_CLIENT) {
        /* Node sends SNI only for host names, never for IP addresses. */
        if (s->servername && !tp_is_ip(s->servername))
            err = gnutls_server_name_set(s->session, GNUTLS_NAME_DNS, s->servername,
                                         strlen(s->servername));
    } else {
        gnutls_certificate_server_set_request(
            s->session, !s->request_cert      ? GNUTLS_CERT_IGNORE
                        : s->reject_unauthorized ? GNUTLS_CERT_REQUIRE
                                                 : GNUTLS_CERT_REQUEST);
    }
    if (err == 0)
        err = tp_alpn_apply(s);
    if (err < 0)
        return tp_socket_leave(s, tp_pump_tls_failure(s, err, "start"));
    tp_keylog_apply(s);
    s->started = 1;
    tp_socket_count_handshake(s); /* the first: the renegotiation window starts */
    return tp_socket_leave(s, tp_pump(s));
}

/* The checks every pump entry point shares. */
static int pump_usable(struct tlsplug_socket *s)
{
    if (s->fatal)
        return tp_socket_sticky(s);
    if (s->closed)
        return tp_fail(&s->err, TLSPLUG_E_CLOSED, "ERR_SOCKET_CLOSED", "the socket is closed");
    return TLSPLUG_OK;
}

int tp_pump_keep_lent(struct tlsplug_socket *s)
{
    if (!s->lent_len)
        return 0;
    int rc = tp_buf_append(&s->in, s->lent, s->lent_len);
    s->lent = NULL;
    s->lent_len = 0;
    return rc;
}

int tp_api_socket_feed(tlsplug_socket *h, const uint8_t *data, size_t len)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    int rc = pump_usable(s);
    if (rc)
        return tp_socket_leave(s, rc);
    if (!data && len)
        return tp_socket_leave(s, tp_fail(&s->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_TYPE",
                                          "feed: data is NULL"));
    if (s->in_eof)
        return tp_socket_leave(s, tp_fail(&s->err, TLSPLUG_E_STATE, "ERR_STREAM_PUSH_AFTER_EOF",
                                          "feed: the transport already ended"));
    return tp_socket_leave(s, tp_pump_feed(s, data, len));
}

int tp_pump_feed(struct tlsplug_socket *s, const uint8_t *data, size_t len)
{
    int rc = TLSPLUG_OK;
    /* Once secure, in callback mode, GnuTLS reads records straight from
     * the caller's buffer while this call lasts (one copy fewer); only what
     * it leaves is kept. */
    if (s->secure && !s->renegotiating && tp_socket_has_callback(s, TLSPLUG_EV_DATA) && !s->paused &&
        tp_buf_len(&s->in) == 0 && s->lent_len == 0 && !tp_socket_waiting(s) && len) {
        s->lent = data;
        s->lent_len = len;
    } else if (tp_pump_keep_lent(s) != 0 || tp_buf_append(&s->in, data, len) != 0) {
        /* (A feed from inside a callback of a feed that lent its bytes:
         * those come first.) */
        return tp_fail(&s->err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY", "feed: out of memory");
    }
    s->bytes_fed += len;
    s->read_blocked = 0;
    rc = tp_pump(s);
    if (tp_pump_keep_lent(s) != 0 && rc == TLSPLUG_OK)
        rc = tp_fail(&s->err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY", "feed: out of memory");
    if (!s->freed && tp_socket_has_callback(s, TLSPLUG_EV_DATA) && !s->paused)
        tp_buf_release_if_empty(&s->in);
    return rc;
}

int tp_api_socket_feed_eof(tlsplug_socket *h)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    if (s->fatal)
        return tp_socket_leave(s, tp_socket_sticky(s));
    if (s->closed || s->in_eof)
        return tp_socket_leave(s, TLSPLUG_OK);
    s->in_eof = 1;
    s->read_blocked = 0;
    int rc = TLSPLUG_OK;
    if (!s->started) {
        tp_fail_gnutls(&s->err, TLSPLUG_E_TLS, GNUTLS_E_PREMATURE_TERMINATION, -1, 0, NULL);
        tp_error_set_message(&s->err, "%s", tp_socket_hangup_message(s));
        rc = tp_socket_fatal(s, TLSPLUG_E_TLS);
    } else if (s->peer_ended) {
        tp_pump_maybe_close(s); /* the ordinary end of a closed session */
    } else {
        rc = tp_pump(s);
    }
    return tp_socket_leave(s, rc);
}

int tp_api_socket_pull(tlsplug_socket *h, uint8_t *buf, size_t cap, size_t *len)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    if (!len || (!buf && cap))
        return tp_socket_leave(s, TLSPLUG_E_INVAL);
    if (tp_buf_len(&s->out) == 0 || s->hold_output)
        return tp_socket_leave(s, TLSPLUG_E_AGAIN);
    *len = tp_buf_take(&s->out, buf, cap);
    s->bytes_pulled += *len;
    tp_buf_release_if_empty(&s->out);
    tp_socket_maybe_drain(s);
    return tp_socket_leave(s, TLSPLUG_OK);
}

int tp_api_socket_peek_output(tlsplug_socket *h, const uint8_t **data, size_t *len)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    if (!data || !len)
        return tp_socket_leave(s, TLSPLUG_E_INVAL);
    if (tp_buf_len(&s->out) == 0 || s->hold_output)
        return tp_socket_leave(s, TLSPLUG_E_AGAIN);
    *data = tp_buf_peek(&s->out);
    *len = tp_buf_len(&s->out);
    return tp_socket_leave(s, TLSPLUG_OK);
}

int tp_api_socket_consume_output(tlsplug_socket *h, size_t n)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    if (n > tp_buf_len(&s->out))
        return tp_socket_leave(s, tp_fail(&s->err, TLSPLUG_E_INVAL, "ERR_OUT_OF_RANGE",
                                          "consume_output: %zu bytes, only %zu pending", n,
                                          tp_buf_len(&s->out)));
    tp_buf_consume(&s->out, n);
    s->bytes_pulled += n;
    tp_buf_release_if_empty(&s->out);
    tp_socket_maybe_drain(s);
    return tp_socket_leave(s, TLSPLUG_OK);
}

int tp_api_socket_pending_output(tlsplug_socket *h, size_t *len)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    if (!len)
        return tp_socket_leave(s, TLSPLUG_E_INVAL);
    *len = s->hold_output ? 0 : tp_buf_len(&s->out);
    return tp_socket_leave(s, TLSPLUG_OK);
}

int tp_api_socket_write(tlsplug_socket *h, const uint8_t *data, size_t len)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    return tp_socket_leave(s, tp_pump_write(s, data, len));
}

int tp_pump_write(struct tlsplug_socket *s, const uint8_t *data, size_t len)
{
    int rc = pump_usable(s);
    if (rc)
        return rc;
    if (!data && len)
        return tp_fail(&s->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_TYPE", "write: data is NULL");
    if (s->end_requested)
        return tp_fail(&s->err, TLSPLUG_E_CLOSED, "ERR_STREAM_WRITE_AFTER_END", "write after end");
    if (len == 0)
        return TLSPLUG_OK;
    if (!s->secure || s->renegotiating || s->awaiting_identity) {
        if ((!s->pending && !(s->pending = calloc(1, sizeof *s->pending))) ||
            tp_buf_append(s->pending, data, len) != 0)
            rc = tp_fail(&s->err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY", "write: out of memory");
    } else {
        rc = tp_pump_send(s, data, len);
    }
    /* Node's write() answers false from here on, until `drain`. */
    if (rc == TLSPLUG_OK && tp_socket_buffered(s) >= s->hwm)
        s->need_drain = 1;
    return rc;
}

int tp_api_socket_read(tlsplug_socket *h, uint8_t *buf, size_t cap, size_t *len)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    if (!len || !buf || cap == 0)
        return tp_socket_leave(s, tp_fail(&s->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_VALUE",
                                          "read: a buffer of at least one byte is needed"));
    if (s->fatal)
        return tp_socket_leave(s, tp_socket_sticky(s));
    if (s->peer_ended || (s->closed && !s->had_error)) {
        *len = 0; /* end of stream */
        return tp_socket_leave(s, TLSPLUG_OK);
    }
    if (s->closed)
        return tp_socket_leave(s, tp_fail(&s->err, TLSPLUG_E_CLOSED, "ERR_SOCKET_CLOSED",
                                          "the socket is closed"));
    if (!s->secure || tp_socket_waiting(s)) {
        s->read_blocked = 1;
        return tp_socket_leave(s, TLSPLUG_E_AGAIN);
    }
    for (int retries = 0; retries < MAX_SPINS; retries++) {
        size_t got = 0;
        int rc = tp_pump_recv(s, buf, cap, &got);
        if (rc < 0)
            return tp_socket_leave(s, rc);
        if (rc == TP_RECV_DATA) {
            *len = got;
            break;
        }
        if (rc == TP_RECV_EOF) {
            *len = 0;
            break;
        }
        if (rc == TP_RECV_WAIT) {
            s->read_blocked = 1;
            tp_buf_release_if_empty(&s->in);
            return tp_socket_leave(s, TLSPLUG_E_AGAIN);
        }
        if (s->freed || s->closed) {
            *len = 0;
            break;
        }
    }
    return tp_socket_leave(s, TLSPLUG_OK);
}

int tp_api_socket_end(tlsplug_socket *h)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    if (s->fatal)
        return tp_socket_leave(s, tp_socket_sticky(s));
    if (s->closed || s->end_requested)
        return tp_socket_leave(s, TLSPLUG_OK);
    return tp_socket_leave(s, tp_pump_end(s));
}

int tp_api_socket_destroy(tlsplug_socket *h, const char *code, const char *message)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    if (!s->closed) {
        if (code || message) {
            tp_fail(&s->err, TLSPLUG_E_CLOSED, code ? code : "", "%s",
                    message ? message : code);
            s->had_error = 1;
            tp_emit(s, TLSPLUG_EV_ERROR, tp_error_code(&s->err), strlen(tp_error_code(&s->err)));
        }
        tp_socket_close(s);
    }
    return tp_socket_leave(s, TLSPLUG_OK);
}

unsigned tp_pump_state(struct tlsplug_socket *s)
{
    unsigned f = 0;
    int open = !s->closed;
    if (open && s->started && (!s->secure || s->renegotiating || s->awaiting_identity))
        f |= TLSPLUG_STATE_HANDSHAKING;
    if (open && tp_socket_waiting(s))
        f |= TLSPLUG_STATE_PAUSED;
    if (open && s->secure && !s->awaiting_identity)
        f |= TLSPLUG_STATE_SECURE;
    if (tp_buf_len(&s->out) && !s->hold_output)
        f |= TLSPLUG_STATE_HAS_OUTPUT;
    int readable = open && s->secure && !s->awaiting_identity && !tp_socket_has_callback(s, TLSPLUG_EV_DATA) && !s->read_blocked &&
                   (tp_buf_len(&s->in) || gnutls_record_check_pending(s->session) ||
                    s->peer_ended || s->in_eof);
    if (readable)
        f |= TLSPLUG_STATE_READABLE;
    if (open && s->started && !s->peer_ended && !s->in_eof && !readable && !tp_socket_waiting(s))
        f |= TLSPLUG_STATE_WANT_INPUT;
    if (open && !s->end_requested)
        f |= TLSPLUG_STATE_WRITABLE;
    if (s->peer_ended)
        f |= TLSPLUG_STATE_PEER_ENDED;
    if (s->ended || s->end_requested)
        f |= TLSPLUG_STATE_ENDED;
    if (s->closed)
        f |= TLSPLUG_STATE_CLOSED;
    if (s->had_error)
        f |= TLSPLUG_STATE_ERROR;
    if (open && s->need_drain)
        f |= TLSPLUG_STATE_NEED_DRAIN;
    if (s->queue && s->queue->head)
        f |= TLSPLUG_STATE_EVENTS;
    return f;
}

int tp_api_socket_state(tlsplug_socket *h, unsigned *flags)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    if (!flags)
        return tp_socket_leave(s, TLSPLUG_E_INVAL);
    *flags = tp_pump_state(s);
    return tp_socket_leave(s, TLSPLUG_OK);
}

int tp_api_socket_check_server_identity_done(tlsplug_socket *h, const char *code,
                                             const char *message)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    if (!s->awaiting_identity || s->closed)
        return tp_socket_leave(s, tp_fail(&s->err, TLSPLUG_E_STATE, "ERR_TLS_INVALID_STATE",
                                          "check_server_identity_done: no check is pending"));
    s->awaiting_identity = 0;
    int rc = TLSPLUG_OK;
    if (code || message) {
        /* Node: authorizationError = err.code || err.message. */
        tp_fail(&s->err, TLSPLUG_E_VERIFY, code ? code : "", "%s", message ? message : code);
        rc = tp_socket_unauthorized(s, code ? code : message);
        if (rc)
            return tp_socket_leave(s, tp_socket_fatal(s, rc));
    } else {
        s->authorized = 1;
    }
    rc = tp_pump_finish_secure(s);
    if (rc == TLSPLUG_OK && !s->freed && !s->closed)
        rc = tp_pump(s); /* what arrived while the host was thinking */
    return tp_socket_leave(s, rc);
}

int tp_api_socket_set_max_send_fragment(tlsplug_socket *h, size_t size)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    if (size < 512 || size > 16384)
        return tp_socket_leave(s, tp_fail(&s->err, TLSPLUG_E_INVAL, "ERR_OUT_OF_RANGE",
                                          "setMaxSendFragment: %zu is outside 512..16384", size));
    s->max_fragment = (uint16_t)size;
    return tp_socket_leave(s, TLSPLUG_OK);
}

int tp_api_socket_set_data_batch(tlsplug_socket *h, size_t size)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    if (size < 16384 || size > 1048576)
        return tp_socket_leave(s, tp_fail(&s->err, TLSPLUG_E_INVAL, "ERR_OUT_OF_RANGE",
                                          "set_data_batch: %zu is outside 16384..1048576", size));
    s->data_batch = size > 16384 ? (unsigned)size : 0;
    return tp_socket_leave(s, TLSPLUG_OK);
}

int tp_api_socket_disable_renegotiation(tlsplug_socket *h)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    s->no_renegotiation = 1;
    return tp_socket_leave(s, TLSPLUG_OK);
}

int tp_api_socket_tick(tlsplug_socket *h, size_t now_ms)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    int rc = TLSPLUG_OK;
    if (s->fatal)
        rc = tp_socket_sticky(s);
    else if (s->deadline_ms && !s->closed && now_ms >= s->deadline_ms) {
        s->deadline_ms = 0;
        tp_fail(&s->err, TLSPLUG_E_TLS, "ERR_TLS_HANDSHAKE_TIMEOUT", "TLS handshake timeout");
        rc = tp_socket_fatal(s, TLSPLUG_E_TLS);
    }
    return tp_socket_leave(s, rc);
}

int tp_api_socket_next_timeout(tlsplug_socket *h, size_t *at_ms)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    if (!at_ms)
        return tp_socket_leave(s, TLSPLUG_E_INVAL);
    if (!s->deadline_ms || s->closed)
        return tp_socket_leave(s, TLSPLUG_E_UNAVAILABLE);
    *at_ms = s->deadline_ms;
    return tp_socket_leave(s, TLSPLUG_OK);
}


int tp_api_socket_renegotiate(tlsplug_socket *h, int request_cert,
                              int reject_unauthorized)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    if (s->fatal)
        return tp_socket_leave(s, tp_socket_sticky(s));
    if (!s->secure || s->closed || s->renegotiating || s->end_requested)
        return tp_socket_leave(s, tp_fail(&s->err, TLSPLUG_E_STATE, "ERR_TLS_INVALID_STATE",
                                          "renegotiate: the socket is not secure and idle"));
    int tls13 = gnutls_protocol_get_version(s->session) == GNUTLS_TLS1_3;
    if (tls13 && (s->role != TLSPLUG_ROLE_SERVER || !request_cert))
        /* Node's code: OpenSSL's SSL_renegotiate refuses TLS 1.3 so. */
        return tp_socket_leave(s, tp_fail(&s->err, TLSPLUG_E_UNSUPPORTED, "ERR_SSL_WRONG_SSL_VERSION",
                                          "TLS 1.3 has no renegotiation; a server may ask for a "
                                          "client certificate (requestCert), which uses "
                                          "post-handshake authentication"));
    int rc = tp_socket_count_handshake(s);
    if (rc)
        return tp_socket_leave(s, rc);
    s->reneg_requested = 1;
    s->renegotiating = 1;
    if (s->role == TLSPLUG_ROLE_SERVER) {
        s->request_cert = request_cert != 0;
        s->reject_unauthorized = reject_unauthorized != 0;
        gnutls_certificate_server_set_request(
            s->session, !s->request_cert ? GNUTLS_CERT_IGNORE
                                         : s->reject_unauthorized ? GNUTLS_CERT_REQUIRE
                                                                  : GNUTLS_CERT_REQUEST);
        if (tls13) {
            /* Post-handshake authentication: a CertificateRequest now. */
            if (!(gnutls_session_get_flags(s->session) & GNUTLS_SFLAGS_POST_HANDSHAKE_AUTH)) {
                s->reneg_requested = s->renegotiating = 0;
                return tp_socket_leave(s, tp_fail(&s->err, TLSPLUG_E_UNSUPPORTED, "ERR_TLS_RENEGOTIATE",
                                                  "post-handshake authentication was not "
                                                  "agreed: the client did not offer it, or "
                                                  "this server's context has no `ca`"));
            }
            s->reauth = 1;
            return tp_socket_leave(s, tp_pump_handshake_step(s));
        }
        int err = gnutls_rehandshake(s->session); /* the HelloRequest */
        if (err < 0)
            return tp_socket_leave(s, tp_pump_tls_failure(s, err, "renegotiate"));
        return tp_socket_leave(s, TLSPLUG_OK); /* the client's hello drives the rest */
    }
    return tp_socket_leave(s, tp_pump_handshake_step(s));
}

