/* The sans-IO pump: ciphertext in (feed), ciphertext out (pull), cleartext
 * in (write) and out (the `data` event or read), one GnuTLS session between.
 *
 * GnuTLS reads and writes through in-memory transport functions: pushes
 * append to `out`; pulls take from the bytes a feed lends, then from `in`,
 * and report EAGAIN when there are none. The `starved` flag and the
 * count of bytes GnuTLS pulled (tp_socket_pulled) tell a real "needs
 * input" from GnuTLS's habit of answering EAGAIN after each partial
 * handshake message and each post-handshake message (docs/GNUTLS.md, "The
 * pump's transport"). Nothing here knows about file descriptors: a
 * driver's transport (the loop's
 * connection) may take a push or serve a pull straight from the fd
 * through its send_now and recv_now (socket.h, "seams").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/ocsp.h>

#include "socket.h"
#include "suites.h"


/* ---------------------------------------------------------------- transport */

/* Copy what fits of the records into the host's window (write_pull):
 * answers how many bytes it took. */
static size_t push_window(struct tp_window *w, const giovec_t *iov, int iovcnt)
{
    size_t took = 0;
    for (int i = 0; i < iovcnt && w->len < w->cap; i++) {
        size_t k = iov[i].iov_len < w->cap - w->len ? iov[i].iov_len : w->cap - w->len;
        memcpy(w->buf + w->len, iov[i].iov_base, k);
        w->len += k;
        took += k;
        if (k < iov[i].iov_len)
            break;
    }
    return took;
}

/* Queue what the fd (or the host's window) did not take (all of it
 * without either). */
static ssize_t push_rest(struct tlsplug_socket *s, const giovec_t *iov, int iovcnt, size_t sent)
{
    ssize_t total = 0;
    for (int i = 0; i < iovcnt; i++) {
        const uint8_t *base = iov[i].iov_base;
        size_t len = iov[i].iov_len, skip = sent < len ? sent : len;
        sent -= skip;
        if (len > skip && tp_buf_append(&s->out, base + skip, len - skip) != 0) {
            gnutls_transport_set_errno(s->session, ENOMEM);
            return -1;
        }
        total += (ssize_t)len;
    }
    return total;
}

/* On a loop, records go straight to the fd when nothing waits before them
 * (the kernel's copy is the only one); the rest waits in `out`. A server
 * that stores sessions keeps its handshake's records in `out`: GnuTLS
 * stores the session (newSession) only after it wrote its Finished, and
 * Node sends that Finished only once newSession is answered. */
static ssize_t vec_push_fn(gnutls_transport_ptr_t p, const giovec_t *iov, int iovcnt)
{
    struct tlsplug_socket *s = p;
    /* A server with a session store keeps its handshake records until it
     * is secure, where the newSession hold applies (they must not reach
     * the peer before the store answered). */
    size_t sent = 0;
    if (tp_buf_len(&s->out) == 0 && !(s->stores_sessions && !s->secure)) {
        if (s->transport)
            sent = s->transport->send_now(s->transport_ctx, iov, iovcnt);
        else if (s->window && !s->hold_output)
            sent = push_window(s->window, iov, iovcnt);
    }
    return push_rest(s, iov, iovcnt, sent);
}

static ssize_t push_fn(gnutls_transport_ptr_t p, const void *data, size_t n)
{
    giovec_t one = {(void *)data, n};
    return vec_push_fn(p, &one, 1);
}

/* How much a loop's socket reads from its fd at once: a few full records. */
#define TP_READ_BATCH (64u * 1024u)

static ssize_t pull_from(struct tlsplug_socket *s, void *data, size_t n)
{
    if (s->lent_len) {
        size_t k = n < s->lent_len ? n : s->lent_len;
        memcpy(data, s->lent, k);
        s->lent += k;
        s->lent_len -= k;
        return (ssize_t)k;
    }
    if (tp_buf_len(&s->in) == 0) {
        if (s->in_eof)
            return 0;
        /* On a loop, read the fd: a batch of records in one system call
         * (GnuTLS asks for each record's 5-byte header, then its body: two
         * calls per record if read as asked), kept in `in` while GnuTLS
         * takes it, and released once it is all taken. */
        uint8_t *room = s->transport ? tp_buf_reserve(&s->in, TP_READ_BATCH) : NULL;
        ssize_t got = room ? s->transport->recv_now(s->transport_ctx, room, TP_READ_BATCH) : -1;
        if (got > 0) {
            s->bytes_fed += (size_t)got;
            s->in.tail += (size_t)got;
            size_t k = tp_buf_take(&s->in, data, n);
            tp_buf_release_if_empty(&s->in);
            return (ssize_t)k;
        }
        tp_buf_release_if_empty(&s->in);
        if (got == 0) {
            s->in_eof = 1;
            return 0;
        }
        s->starved = 1;
        gnutls_transport_set_errno(s->session, EAGAIN);
        return -1;
    }
    size_t k = tp_buf_take(&s->in, data, n);
    if (s->transport)
        tp_buf_release_if_empty(&s->in); /* an idle socket holds no batch */
    return (ssize_t)k;
}

static ssize_t pull_fn(gnutls_transport_ptr_t p, void *data, size_t n)
{
    struct tlsplug_socket *s = p;
    ssize_t got = pull_from(s, data, n);
    if (got == 5 && n == 5) /* GnuTLS takes each record's header on its own */
        s->last_record_type = ((const uint8_t *)data)[0];
    return got;
}

/* Always installed: GnuTLS's default treats the transport as an fd. */
static int pull_timeout_fn(gnutls_transport_ptr_t p, unsigned ms)
{
    (void)ms;
    struct tlsplug_socket *s = p;
    return tp_in_len(s) > 0 || s->in_eof;
}

void tp_pump_attach(struct tlsplug_socket *s)
{
    gnutls_transport_set_ptr(s->session, s);
    gnutls_transport_set_push_function(s->session, push_fn);
    gnutls_transport_set_vec_push_function(s->session, vec_push_fn);
    gnutls_transport_set_pull_function(s->session, pull_fn);
    gnutls_transport_set_pull_timeout_function(s->session, pull_timeout_fn);
}

/* ---------------------------------------------------------------- failures */

/* A GnuTLS failure: send the alert that fits (GnuTLS sends none by itself
 * on a fatal error), record Node's code, go fatal. */
/* A record cut short by the end of the transport is a truncation,
 * whatever length error GnuTLS reports for it. */
static int as_truncation(const struct tlsplug_socket *s, int err)
{
    if (s->in_eof && tp_in_len(s) == 0 && err == GNUTLS_E_UNEXPECTED_PACKET_LENGTH)
        return GNUTLS_E_PREMATURE_TERMINATION;
    return err;
}

/* A record that cannot be parsed on a secure connection: Node's
 * ERR_SSL_WRONG_VERSION_NUMBER, which OpenSSL (and so Node) answers with
 * protocol_version, checking the record's version first; GnuTLS would pick
 * unexpected_message, record_overflow, ... by the fault. (Before the
 * handshake GnuTLS's choice stays: tests/hostile holds it to gnutls-serv.) */
static int unparsable_record(const struct tlsplug_socket *s, int err)
{
    return s->secure && (err == GNUTLS_E_UNEXPECTED_PACKET || err == GNUTLS_E_UNEXPECTED_PACKET_LENGTH ||
                         err == GNUTLS_E_UNSUPPORTED_VERSION_PACKET || err == GNUTLS_E_RECORD_OVERFLOW);
}

/* Send a fatal alert of our choosing; answers it, or -1 when it could not go. */
static int send_fatal(struct tlsplug_socket *s, gnutls_alert_description_t alert)
{
    return gnutls_alert_send(s->session, GNUTLS_AL_FATAL, alert) < 0 ? -1 : (int)alert;
}

/* A server refusing a well-formed hello that offers no version it allows
 * (GnuTLS says UNSUPPORTED_VERSION_PACKET, as for a garbled record; OpenSSL,
 * and so Node, say ERR_SSL_UNSUPPORTED_PROTOCOL, with protocol_version). */
static int no_common_version(const struct tlsplug_socket *s)
{
    int lo, hi;
    return s->role == TLSPLUG_ROLE_SERVER && s->hello && s->hello->versions &&
           tp_context_version_range(s->ctx, &lo, &hi) &&
           !tp_hello_offers_version(s->hello, tp_wire_version(lo), tp_wire_version(hi));
}

/* A TLS 1.2 handshake record on a secure connection that holds no
 * handshake message the peer may send: GnuTLS says UNEXPECTED_PACKET, as
 * for an unparsable record; OpenSSL, and so Node, say unexpected_message
 * (ERR_SSL_UNEXPECTED_MESSAGE). The record's header tells the two apart. */
static int unexpected_handshake(const struct tlsplug_socket *s, int err)
{
    return s->secure && err == GNUTLS_E_UNEXPECTED_PACKET && s->last_record_type == 22 &&
                   gnutls_protocol_get_version(s->session) != GNUTLS_TLS1_3
               ? GNUTLS_E_UNEXPECTED_HANDSHAKE_PACKET
               : err;
}

/* A server that found no suite because it can sign with none of the
 * client's signature algorithms: OpenSSL (and Node) name that cause,
 * ERR_SSL_NO_SHARED_SIGNATURE_ALGORITHMS, where GnuTLS finds no suite. */
static int no_shared_sigalgs(struct tlsplug_socket *s, int err, int dir)
{
    const struct tp_sigalg *shared[1];
    unsigned npeer;
    return s->role == TLSPLUG_ROLE_SERVER && !s->secure && dir != TLSPLUG_ALERT_RECEIVED &&
           (err == GNUTLS_E_NO_CIPHER_SUITES || err == GNUTLS_E_INSUFFICIENT_CREDENTIALS) &&
           tp_socket_shared_sigalgs(s, shared, 1, &npeer) == 0 && npeer > 0;
}

int tp_pump_tls_failure(struct tlsplug_socket *s, int err, const char *what)
{
    err = unexpected_handshake(s, as_truncation(s, err));
    int alert = -1, dir = TLSPLUG_ALERT_NONE;
    if (err == GNUTLS_E_FATAL_ALERT_RECEIVED) {
        alert = (int)gnutls_alert_get(s->session);
        dir = TLSPLUG_ALERT_RECEIVED;
    } else if (err != GNUTLS_E_PREMATURE_TERMINATION && !s->in_eof) {
        int level;
        int a = gnutls_error_to_alert(err, &level), psk = tp_psk_refusal_alert(s, err);
        if (psk >= 0) {
            a = gnutls_alert_send(s->session, GNUTLS_AL_FATAL, (gnutls_alert_description_t)psk) < 0
                    ? -1 : psk;
        } else if (err == GNUTLS_E_NO_CERTIFICATE_FOUND &&
            gnutls_protocol_get_version(s->session) != GNUTLS_TLS1_3) {
            /* GnuTLS would say decode_error; OpenSSL and Node say handshake_failure. */
            a = send_fatal(s, GNUTLS_A_HANDSHAKE_FAILURE);
        } else if (unparsable_record(s, err)) {
            a = send_fatal(s, GNUTLS_A_PROTOCOL_VERSION);
        } else if (a >= 0 && gnutls_alert_send_appropriate(s->session, err) < 0) {
            a = -1;
        }
        if (a >= 0) {
            alert = a;
            dir = TLSPLUG_ALERT_SENT;
        }
    }
    tp_fail_gnutls(&s->err, TLSPLUG_E_TLS, err, alert, dir, what);
    if (s->sni_no_cert && !s->secure && dir != TLSPLUG_ALERT_RECEIVED) {
        /* GnuTLS finds no suite for the missing key; Node (OpenSSL) fails
         * earlier, installing the SNI context's absent certificate. */
        tp_error_set_code(&s->err, "ERR_SSL_PASSED_A_NULL_PARAMETER");
        tp_error_set_message(&s->err, "the SNICallback's context has no certificate: "
                                      "passed a null parameter");
    }
    const tp_suite *refused = err == GNUTLS_E_UNKNOWN_CIPHER_SUITE && s->role == TLSPLUG_ROLE_CLIENT
                                  ? tp_suite_by_id(s->suite[0], s->suite[1]) : NULL;
    if (refused)
        tp_error_set_message(&s->err, "the server chose %s, which `ciphers` does not allow: with "
                             "TLS 1.3 on, GnuTLS also offers the TLS 1.2 suites pairing the "
                             "allowed key exchanges with the TLS 1.3 ciphers", refused->openssl);
    if (no_shared_sigalgs(s, err, dir)) {
        tp_error_set_code(&s->err, "ERR_SSL_NO_SHARED_SIGNATURE_ALGORITHMS");
        tp_error_set_message(&s->err, "no shared signature algorithms: the client's "
                                      "signature_algorithms and `sigalgs` have none in common");
    }
    if (err == GNUTLS_E_UNSUPPORTED_VERSION_PACKET && no_common_version(s))
        tp_error_set_code(&s->err, "ERR_SSL_UNSUPPORTED_PROTOCOL"); /* not a garbled record */
    else if (err == GNUTLS_E_UNSUPPORTED_VERSION_PACKET && s->role == TLSPLUG_ROLE_SERVER &&
             s->hello && s->hello->max_version && s->hello->max_version < 0x0301)
        tp_error_set_code(&s->err, "ERR_SSL_VERSION_TOO_LOW"); /* an SSL 3.0 hello, as OpenSSL */
    if (err == GNUTLS_E_PREMATURE_TERMINATION && !s->secure)
        tp_error_set_message(&s->err, "%s", tp_socket_hangup_message(s));
    return tp_socket_fatal(s, TLSPLUG_E_TLS);
}

/* ---------------------------------------------------------------- writing */

int tp_pump_send(struct tlsplug_socket *s, const uint8_t *p, size_t n)
{
    int spins = 0;
    while (n > 0) {
        /* setMaxSendFragment: cut records here rather than negotiate a
         * record size limit, which would also bind the peer. */
        size_t chunk = s->max_fragment && n > s->max_fragment ? s->max_fragment : n;
        ssize_t w = gnutls_record_send(s->session, p, chunk);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        /* The push function never blocks, so EAGAIN can only be transient. */
        if ((w == GNUTLS_E_AGAIN || w == GNUTLS_E_INTERRUPTED) && ++spins < MAX_SPINS)
            continue;
        return tp_pump_tls_failure(s, (int)w, "write");
    }
    return TLSPLUG_OK;
}

void tp_pump_maybe_close(struct tlsplug_socket *s)
{
    if (s->ended && s->peer_ended)
        tp_socket_close(s);
}

/* Queue close_notify once the handshake allows it (Node's end()). */
int tp_pump_end(struct tlsplug_socket *s)
{
    s->end_requested = 1;
    if (s->ended || s->closed || !s->secure || s->renegotiating)
        return TLSPLUG_OK; /* handshake_done() comes back here */
    int err;
    int spins = 0;
    do
        err = gnutls_bye(s->session, GNUTLS_SHUT_WR);
    while ((err == GNUTLS_E_AGAIN || err == GNUTLS_E_INTERRUPTED) && ++spins < MAX_SPINS);
    if (err < 0)
        return tp_pump_tls_failure(s, err, "end");
    s->ended = 1;
    tp_pump_maybe_close(s);
    return TLSPLUG_OK;
}

/* The peer will send no more: Node's `end`, and with allowHalfOpen false
 * our own end follows at once. */
static void on_peer_end(struct tlsplug_socket *s)
{
    if (s->peer_ended)
        return;
    s->peer_ended = 1;
    tp_emit(s, TLSPLUG_EV_END, NULL, 0);
    if (s->freed || s->closed)
        return;
    if (!s->allow_half_open)
        tp_pump_end(s);
    tp_pump_maybe_close(s);
}

/* ---------------------------------------------------------------- handshake */

/* Node's minDHSize: the handshake completes, then a small prime destroys. */
static int check_dh_size(struct tlsplug_socket *s)
{
    const char *type, *name;
    unsigned size;
    if (s->role != TLSPLUG_ROLE_CLIENT || tp_socket_ephemeral(s, &type, &name, &size) != 0 ||
        strcmp(type, "DH") != 0 || size >= s->min_dh_size)
        return TLSPLUG_OK;
    tp_fail(&s->err, TLSPLUG_E_TLS, "ERR_TLS_DH_PARAM_SIZE", "DH parameter size %u is less than %u",
            size, s->min_dh_size);
    return tp_socket_fatal(s, TLSPLUG_E_TLS);
}

int tp_pump_finish_secure(struct tlsplug_socket *s)
{
    if (s->hold_output) { /* newSession is not answered yet */
        s->finish_pending = 1;
        return TLSPLUG_OK;
    }
    /* Writes made while the handshake ran go first, then the event. */
    if (s->pending) {
        tp_buf *held = s->pending;
        s->pending = NULL;
        int rc = tp_buf_len(held) ? tp_pump_send(s, tp_buf_peek(held), tp_buf_len(held)) : 0;
        tp_buf_free(held);
        free(held);
        if (rc)
            return rc;
    }
    if (s->started == 1) {
        s->started = 2; /* the secure event is emitted once */
        if (s->request_ocsp && s->role == TLSPLUG_ROLE_CLIENT && !s->freed) {
            /* Node's OCSPResponse comes whenever it was asked for: null
             * (an empty payload) when the server stapled nothing. */
            gnutls_datum_t staple = {NULL, 0};
            if (gnutls_ocsp_status_request_get(s->session, &staple) != 0)
                staple.size = 0;
            tp_emit(s, TLSPLUG_EV_OCSP_RESPONSE, staple.data, staple.size);
        }
        if (s->freed || s->closed)
            return TLSPLUG_OK;
        int ev = s->role == TLSPLUG_ROLE_CLIENT && !s->pair ? TLSPLUG_EV_SECURE_CONNECT
                                                            : TLSPLUG_EV_SECURE;
        s->deadline_ms = 0; /* the handshake timeout is over */
        tp_emit(s, ev, NULL, 0);
        /* A TLS 1.2 client's session follows secureConnect, as in Node. */
        if (!s->freed)
            tp_session_handshake_done(s);
        if (s->freed || s->closed)
            return TLSPLUG_OK;
        tp_socket_owner_emit(s, TLSPLUG_EV_SECURE_CONNECTION, NULL, 0);
        if (s->freed || s->closed)
            return TLSPLUG_OK;
    }
    if (s->end_requested)
        return tp_pump_end(s);
    return TLSPLUG_OK;
}

static int handshake_done(struct tlsplug_socket *s)
{
    tp_hello_free(s->hello); /* the ClientHello has served its purpose */
    s->hello = NULL;
    if (s->secure) { /* a renegotiation finished */
        s->renegotiating = 0;
        if (s->reneg_requested) {
            s->reneg_requested = 0;
            /* A server that asked for a certificate judges it again. */
            if (s->role == TLSPLUG_ROLE_SERVER && s->request_cert) {
                int rc = tp_socket_verify_peer(s);
                if (rc != TLSPLUG_OK)
                    return tp_socket_fatal(s, rc);
            }
            int rc = tp_pump_finish_secure(s);
            if (rc == TLSPLUG_OK && !s->freed && !s->closed)
                tp_emit(s, TLSPLUG_EV_RENEGOTIATED, NULL, 0);
            return rc;
        }
        return tp_pump_finish_secure(s);
    }
    /* Node checks the DH size first, then the certificate. */
    int rc = check_dh_size(s);
    if (rc)
        return rc;
    rc = tp_socket_verify_peer(s);
    s->secure = 1;
    if (rc == TP_VERIFY_ASK_HOST) {
        /* The host judges the name, now or later: hold everything until
         * tlsplug_socket_check_server_identity_done(), which finishes. */
        s->awaiting_identity = 1;
        const char *host = tp_socket_identity_host(s);
        tp_emit(s, TLSPLUG_EV_CHECK_SERVER_IDENTITY, host, strlen(host));
        return TLSPLUG_OK;
    }
    if (rc != TLSPLUG_OK) /* rejectUnauthorized: Node destroys with the error */
        return tp_socket_fatal(s, rc);
    return tp_pump_finish_secure(s);
}

/* GnuTLS answers EAGAIN after each record that carries only part of a
 * handshake message (a large certificate chain, a hello cut small), even
 * when the next records are already here. Only an EAGAIN that found the
 * transport empty wants input; after one that took bytes, GnuTLS must be
 * called again, or a message spanning records stalls for good. */
static int progressed(const struct tlsplug_socket *s, size_t pulled_before)
{
    return !s->starved && tp_socket_pulled(s) != pulled_before;
}

int tp_pump_handshake_step(struct tlsplug_socket *s)
{
    /* Bounded by the input: each round without progress counts. */
    for (int idle = 0; idle < MAX_SPINS;) {
        s->starved = 0;
        size_t before = tp_socket_pulled(s);
        int err = s->reauth ? gnutls_reauth(s->session, 0) : gnutls_handshake(s->session);
        if (err == 0) {
            s->reauth = 0;
            return handshake_done(s);
        }
        if (err == GNUTLS_E_AGAIN && progressed(s, before))
            continue;
        if (err == GNUTLS_E_AGAIN || err == GNUTLS_E_INTERRUPTED ||
            err == GNUTLS_E_GOT_APPLICATION_DATA)
            return TLSPLUG_OK; /* needs input, or the host must read first */
        if (s->secure && as_truncation(s, err) == GNUTLS_E_PREMATURE_TERMINATION) {
            /* The transport ended during a renegotiation: as on any secure
             * connection, Node takes that as the peer's end, no error (a
             * server cutting a renegotiating client off closes it so). */
            s->renegotiating = 0;
            on_peer_end(s);
            return TLSPLUG_OK;
        }
        if (err != GNUTLS_E_WARNING_ALERT_RECEIVED)
            return tp_pump_tls_failure(s, err, "handshake");
        if (!progressed(s, before))
            idle++;
    }
    return tp_pump_tls_failure(s, GNUTLS_E_INTERNAL_ERROR, "handshake made no progress");
}

/* Server: hold the client's first flight until the ClientHello is read
 * and the host has answered what Node asks about it (server_hello.c). */
static int release_hello(struct tlsplug_socket *s)
{
    if (!s->hello_parsed) {
        if (!s->hello && !(s->hello = tp_hello_new())) {
            tp_fail(&s->err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY", "out of memory");
            return tp_socket_fatal(s, TLSPLUG_E_NOMEM);
        }
        /* Nothing is taken from `in` while the hello is held, so the
         * reader sees the client's bytes from the first and goes on where
         * it stopped. */
        enum tp_hello_status st = tp_hello_read(s->hello, tp_buf_peek(&s->in), tp_buf_len(&s->in));
        if (st == TP_HELLO_MORE && !s->in_eof)
            return TLSPLUG_OK;
        if (st == TP_HELLO_HTTP) {
            tp_fail(&s->err, TLSPLUG_E_TLS, "ERR_SSL_HTTP_REQUEST",
                    "http request: the client sent plain HTTP to a TLS port");
            return tp_socket_fatal(s, TLSPLUG_E_TLS);
        }
        s->hello_parsed = 1;
        if (st != TP_HELLO_DONE) {
            /* Cut short by EOF, or not a hello we read: GnuTLS judges it. */
            s->hello_released = 1;
            return TLSPLUG_OK;
        }
        if (s->hello->servername[0] && !(s->sni = strdup(s->hello->servername))) {
            tp_fail(&s->err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY", "out of memory");
            return tp_socket_fatal(s, TLSPLUG_E_NOMEM);
        }
    }
    if (s->owner)
        return s->owner->hello_stages(s);
    s->hello_released = 1; /* a plain server socket: nothing to ask the host */
    return TLSPLUG_OK;
}

/* ---------------------------------------------------------------- reading */

/* What a non-positive answer of gnutls_record_recv means for the pump:
 * TP_RECV_RETRY, TP_RECV_WAIT (needs input), TP_RECV_EOF, or a fatal status. */
static int recv_outcome(struct tlsplug_socket *s, ssize_t n, size_t pulled_before)
{
    n = as_truncation(s, (int)n);
    if (n == 0) {
        on_peer_end(s);
        return TP_RECV_EOF;
    }
    switch (n) {
    case GNUTLS_E_AGAIN:
        /* EAGAIN after a post-handshake message (a TLS 1.3 ticket, a key
         * update) while input is still buffered: go round again. */
        if (!progressed(s, pulled_before))
            return TP_RECV_WAIT;
        return TP_RECV_RETRY;
    case GNUTLS_E_INTERRUPTED:
    case GNUTLS_E_WARNING_ALERT_RECEIVED:
        return TP_RECV_RETRY;
    case GNUTLS_E_REHANDSHAKE: {
        /* TLS 1.2: the peer asks for a new handshake. Node accepts it
         * (the tls.Server work limits how often) unless told not to. */
        if (s->no_renegotiation || tp_context_no_renegotiation(s->ctx)) {
            tp_fail(&s->err, TLSPLUG_E_TLS, "ERR_TLS_RENEGOTIATION_DISABLED",
                    "TLS session renegotiation disabled for this socket");
            return tp_socket_fatal(s, TLSPLUG_E_TLS);
        }
        int rc = tp_socket_count_handshake(s);
        if (rc)
            return rc;
        s->renegotiating = 1;
        rc = tp_pump_handshake_step(s);
        return rc < 0 ? rc : TP_RECV_RETRY;
    }
    case GNUTLS_E_REAUTH_REQUEST: {
        /* TLS 1.3: the server asks for our certificate after the handshake. */
        s->reauth = 1;
        s->renegotiating = 1;
        int rc = tp_pump_handshake_step(s);
        return rc < 0 ? rc : TP_RECV_RETRY;
    }
    case GNUTLS_E_PREMATURE_TERMINATION:
        /* The transport ended without close_notify. Once the handshake is
         * done Node takes that as the peer's end (`end`, then `close`
         * without error; a partial record is dropped), as browsers and
         * most servers hang up that way; before it, it is ECONNRESET. */
        if (s->ended || s->secure) {
            on_peer_end(s);
            return TP_RECV_EOF;
        }
        return tp_pump_tls_failure(s, (int)n, "read");
    default:
        if (!gnutls_error_is_fatal((int)n))
            return TP_RECV_RETRY;
        return tp_pump_tls_failure(s, (int)n, "read");
    }
}

/* Before reading a record: continue a renegotiation; 0 or a fatal status. */
static int recv_begin(struct tlsplug_socket *s)
{
    if (s->renegotiating) {
        int rc = tp_pump_handshake_step(s);
        if (rc < 0)
            return rc;
    }
    s->starved = 0;
    return 0;
}

/* Read one record's worth into buf, continuing a renegotiation first.
 * Answers TP_RECV_DATA with *got > 0, another RECV_* value, or a fatal status. */
int tp_pump_recv(struct tlsplug_socket *s, uint8_t *buf, size_t cap, size_t *got)
{
    int rc = recv_begin(s);
    if (rc < 0)
        return rc;
    size_t before = tp_socket_pulled(s);
    ssize_t n = gnutls_record_recv(s->session, buf, cap);
    if (n > 0) {
        *got = (size_t)n;
        return TP_RECV_DATA;
    }
    return recv_outcome(s, n, before);
}

/* The same for one whole record left where GnuTLS decrypted it (no copy,
 * docs/GNUTLS.md): with TP_RECV_DATA, *pkt holds it until
 * gnutls_packet_deinit. */
static int recv_packet(struct tlsplug_socket *s, gnutls_packet_t *pkt)
{
    int rc = recv_begin(s);
    if (rc < 0)
        return rc;
    size_t before = tp_socket_pulled(s);
    ssize_t n = gnutls_record_recv_packet(s->session, pkt);
    if (n > 0)
        return TP_RECV_DATA;
    if (*pkt) /* not expected with n <= 0; never leaked */
        gnutls_packet_deinit(*pkt);
    *pkt = NULL;
    return recv_outcome(s, n, before);
}

/* Callback mode: decrypt everything fed and hand it to the `data` callback,
 * with set_data_batch the records that are here together in one event (a
 * host's callback can cost more than a record's decryption: ctypes,
 * Fiddle). The batch lives
 * in s->batch while it fills, so that any other event flushes it first
 * (tp_emit) and the order of events stays Node's. */
#define RECORD_MAX 16384u

/* The default, one record per event: each record is handed to the callback
 * from GnuTLS's own buffer. */
static int drain_records(struct tlsplug_socket *s)
{
    uint8_t *outer = s->batch;
    int rc = TLSPLUG_OK;
    for (int retries = 0;;) {
        if (s->closed || s->freed || s->peer_ended || s->paused || !tp_socket_has_callback(s, TLSPLUG_EV_DATA))
            break;
        gnutls_packet_t pkt = NULL;
        rc = recv_packet(s, &pkt);
        if (rc < 0 || rc == TP_RECV_WAIT || rc == TP_RECV_EOF)
            break;
        if (rc == TP_RECV_DATA) {
            retries = 0;
            gnutls_datum_t d;
            gnutls_packet_get(pkt, &d, NULL);
            s->batch = d.data;
            s->batch_len = d.size;
            tp_socket_flush_batch(s); /* the callback may have paused, ended or freed */
            gnutls_packet_deinit(pkt);
        } else if (++retries >= MAX_SPINS) {
            rc = tp_pump_tls_failure(s, GNUTLS_E_INTERNAL_ERROR, "read made no progress");
            break;
        }
    }
    s->batch = outer;
    return rc < 0 ? rc : TLSPLUG_OK;
}

static int drain(struct tlsplug_socket *s)
{
    /* Out of memory, a record per event: the default's way. */
    uint8_t *heap = s->data_batch ? malloc(s->data_batch) : NULL;
    if (!heap)
        return drain_records(s);
    uint8_t *buf = heap, *outer = s->batch;
    size_t cap = s->data_batch;
    int rc = TLSPLUG_OK;
    s->batch = buf;
    /* Bounded by the input; `retries` guards against a loop that consumes
     * nothing, which GnuTLS should never produce. */
    for (int retries = 0;;) {
        if (s->closed || s->freed || s->peer_ended || s->paused || !tp_socket_has_callback(s, TLSPLUG_EV_DATA))
            break;
        if (cap - s->batch_len < RECORD_MAX) {
            tp_socket_flush_batch(s);
            continue; /* the callback may have paused, ended or freed */
        }
        size_t got = 0;
        rc = tp_pump_recv(s, buf + s->batch_len, cap - s->batch_len, &got);
        if (rc < 0 || rc == TP_RECV_WAIT || rc == TP_RECV_EOF)
            break;
        if (rc == TP_RECV_DATA) {
            retries = 0;
            s->batch_len += got;
        } else if (++retries >= MAX_SPINS) {
            tp_socket_flush_batch(s);
            rc = tp_pump_tls_failure(s, GNUTLS_E_INTERNAL_ERROR, "read made no progress");
            break;
        }
    }
    tp_socket_flush_batch(s);
    s->batch = outer;
    free(heap);
    return rc < 0 ? rc : TLSPLUG_OK;
}

int tp_pump(struct tlsplug_socket *s)
{
    if (s->fatal)
        return tp_socket_sticky(s);
    if (s->closed || !s->started || tp_socket_waiting(s))
        return TLSPLUG_OK; /* input waits until the host has answered */
    if (s->role == TLSPLUG_ROLE_SERVER && !s->hello_released) {
        int rc = release_hello(s);
        if (rc || !s->hello_released)
            return rc;
    }
    if (!s->secure) {
        int rc = tp_pump_handshake_step(s);
        if (rc || s->freed || s->closed)
            return rc;
        if (!s->secure) {
            /* GnuTLS may wait on a partial record even after the transport
             * ended; with nothing left to read, the handshake is over. */
            if (s->in_eof && tp_in_len(s) == 0 && !s->awaiting_identity)
                return tp_pump_tls_failure(s, GNUTLS_E_PREMATURE_TERMINATION, "handshake");
            return TLSPLUG_OK;
        }
    }
    /* In read mode (no `data` callback) records wait for read(). */
    return tp_socket_has_callback(s, TLSPLUG_EV_DATA) ? drain(s) : TLSPLUG_OK;
}
