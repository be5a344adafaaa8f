/* TLSSocket: lifecycle, options, events (the engine is in pump.c). */
#include "socket.h"

#include <stdlib.h>
#include <time.h>
#include <string.h>

#include "defaults.h"
#include "handle.h"
#include "api_impl.h"

struct tlsplug_socket *tp_socket_enter(const void *h)
{
    struct tlsplug_socket *s = tp_handle_get(h, TP_TAG_SOCKET);
    if (s)
        s->depth++;
    return s;
}

static void socket_destroy(struct tlsplug_socket *s)
{
    if (s->transport)
        s->transport->detach(s->transport_ctx); /* closes it; the driver forgets s */
    if (s->queue)
        tp_queue_clear(s->queue);
    free(s->queue);
    free(s->on);
    if (s->session)
        gnutls_deinit(s->session);
    tp_buf_free(&s->in);
    tp_buf_free(&s->out);
    tp_socket_drop_pending(s);
    free(s->servername);
    tp_hello_free(s->hello);
    free(s->sni);
    free(s->alpn);
    free(s->ticket);
    free(s->offered_ticket);
    free(s->resumed);
    free(s->finished);
    tp_socket_clear_auth_code(s);
    tp_psk_free(s);
    tp_error_clear(&s->err);
    if (s->sticky) {
        tp_error_clear(s->sticky);
        free(s->sticky);
    }
    if (s->owner)
        s->owner->release(s->server);
    tp_context_release(s->ctx);
    free(s);
}

int tp_socket_leave(struct tlsplug_socket *s, int rc)
{
    if (--s->depth == 0) {
        if (s->freed)
            socket_destroy(s);
        else if (s->transport)
            s->transport->after_call(s->transport_ctx); /* send what the call produced */
    }
    return rc;
}

/* Record a socket_new failure on the context, which other threads may be
 * using: under its lock. */
static int context_fail(struct tlsplug_context *ctx, int status, int gnutls_err, const char *msg)
{
    pthread_mutex_lock(&ctx->lock);
    if (gnutls_err)
        tp_fail_gnutls(&ctx->err, status, gnutls_err, -1, 0, msg);
    else
        tp_fail(&ctx->err, status, status == TLSPLUG_E_NOMEM ? "ERR_OUT_OF_MEMORY" : "ERR_INVALID_ARG_VALUE",
                "%s", msg);
    pthread_mutex_unlock(&ctx->lock);
    return status;
}

int tp_api_socket_new(tlsplug_context *ctx_h, int role, tlsplug_socket **out)
{
    struct tlsplug_context *ctx = tp_context_get_held(ctx_h);
    if (!ctx)
        return TLSPLUG_E_BADHANDLE;
    int rc;
    if (!out || (role != TLSPLUG_ROLE_CLIENT && role != TLSPLUG_ROLE_SERVER)) {
        rc = context_fail(ctx, TLSPLUG_E_INVAL, 0,
                          "socket_new: role must be TLSPLUG_ROLE_CLIENT or TLSPLUG_ROLE_SERVER");
    } else {
        struct tlsplug_socket *s;
        rc = tp_socket_create(ctx, role, &s, out);
    }
    tp_context_release(ctx); /* the socket holds its own reference */
    return rc;
}

int tp_socket_create(struct tlsplug_context *ctx, int role, struct tlsplug_socket **out_s,
                     tlsplug_socket **out)
{
    int rc = tp_context_acquire(ctx);
    if (rc)
        return rc;
    struct tlsplug_socket *s = calloc(1, sizeof *s);
    if (!s) {
        tp_context_release(ctx);
        return context_fail(ctx, TLSPLUG_E_NOMEM, 0, "out of memory");
    }
    tp_error_clear(&s->err);
    s->ctx = ctx;
    s->role = role;
    s->reject_unauthorized = 1;
    s->min_dh_size = 1024; /* Node's default minDHSize */
    s->hwm = 16384;        /* Node's default writableHighWaterMark */
    tp_defaults d;
    if (tp_defaults_get(&d) == 0) {
        s->reneg_limit = d.reneg_limit;
        s->reneg_window_s = d.reneg_window;
        tp_defaults_free(&d);
    } else {
        s->reneg_limit = 3, s->reneg_window_s = 600;
    }

    unsigned flags = GNUTLS_NONBLOCK;
    /* OpenSSL and Node send their certificate even when its issuer is not
     * in the server's CA list; GnuTLS needs this flag to do the same. */
    flags |= role == TLSPLUG_ROLE_CLIENT ? GNUTLS_CLIENT | GNUTLS_FORCE_CLIENT_CERT : GNUTLS_SERVER;
    if (tp_context_no_tickets(ctx)) /* SSL_OP_NO_TICKET */
        flags |= GNUTLS_NO_TICKETS;
    /* TLS 1.3 has no renegotiation: a server asks for a client certificate
     * after the handshake with post-handshake authentication instead. GnuTLS
     * needs the flag at init on both sides (the client offers it in its
     * hello, the server accepts the offer), and with it keeps the whole
     * handshake transcript for the session's life (~4 KiB), offer or not, so
     * it is set only where it can be used:
     * - a client whose context has a certificate: one without would answer a
     *   request with an empty Certificate, so it does not offer at all and
     *   renegotiate({requestCert}) reports that (as with OpenSSL's and
     *   Node's clients, which do not offer by default);
     * - a server whose context has `ca`, the CAs to verify a client's
     *   certificate against; a server without them cannot ask later. */
    if (role == TLSPLUG_ROLE_SERVER ? ctx->have_ca : ctx->nchains > 0 && ctx->nkeys > 0)
        flags |= GNUTLS_POST_HANDSHAKE_AUTH;
    int err = gnutls_init(&s->session, flags);
    if (err == 0)
        err = gnutls_priority_set(s->session, ctx->priority_cache[role == TLSPLUG_ROLE_SERVER]);
    if (err == 0)
        err = gnutls_credentials_set(s->session, GNUTLS_CRD_CERTIFICATE, ctx->cred);
    if (err == 0 && ctx->psk)
        err = tp_psk_attach(s);
    if (err == 0 && role == TLSPLUG_ROLE_SERVER && !tp_context_no_tickets(ctx)) {
        gnutls_datum_t key = {ctx->stek, sizeof ctx->stek};
        err = gnutls_session_ticket_enable_server(s->session, &key);
    }
    if (err < 0) {
        socket_destroy(s);
        return context_fail(ctx, err == GNUTLS_E_MEMORY_ERROR ? TLSPLUG_E_NOMEM : TLSPLUG_E_INTERNAL,
                            err, "socket_new");
    }
    gnutls_session_set_ptr(s->session, s);
    tp_pump_attach(s);
    tp_hooks_attach(s);
    s->handle = tp_handle_new(TP_TAG_SOCKET, s);
    if (!s->handle) {
        socket_destroy(s);
        return context_fail(ctx, TLSPLUG_E_NOMEM, 0, "out of memory");
    }
    *out = (tlsplug_socket *)s->handle;
    *out_s = s;
    return TLSPLUG_OK;
}

int tp_api_socket_free(tlsplug_socket *h)
{
    if (!h)
        return TLSPLUG_OK;
    struct tlsplug_socket *s = tp_handle_get(h, TP_TAG_SOCKET);
    if (!s || tp_handle_retire(h, TP_TAG_SOCKET) != 0)
        return TLSPLUG_E_BADHANDLE;
    s->freed = 1;
    if (s->depth == 0)
        socket_destroy(s);
    return TLSPLUG_OK;
}

/* Options that shape the handshake can change only before it starts. */
static int before_start(struct tlsplug_socket *s, const char *what)
{
    if (s->started)
        return tp_fail(&s->err, TLSPLUG_E_STATE, "ERR_TLS_INVALID_STATE",
                       "%s: the handshake has already started", what);
    return TLSPLUG_OK;
}

int tp_api_socket_set_servername(tlsplug_socket *h, const char *name)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    int rc = s->role == TLSPLUG_ROLE_SERVER
                 ? tp_fail(&s->err, TLSPLUG_E_STATE, "ERR_TLS_SNI_FROM_SERVER",
                           "Cannot issue SNI from a TLS server-side socket")
                 : before_start(s, "servername");
    if (rc == TLSPLUG_OK) {
        char *copy = NULL;
        if (name && *name) {
            size_t n = strlen(name);
            if (n > 255)
                rc = tp_fail(&s->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_VALUE",
                             "servername: longer than 255 bytes");
            else if (!(copy = strdup(name)))
                rc = tp_fail(&s->err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY", "out of memory");
        }
        if (rc == TLSPLUG_OK) {
            free(s->servername);
            s->servername = copy;
        }
    }
    return tp_socket_leave(s, rc);
}

/* The boolean options share one shape (as the server's do): the flag
 * takes 0 or 1; an option that only matters before the handshake names
 * itself in `pre_start_only`. */
enum flag { REJECT_UNAUTHORIZED, REQUEST_CERT, ALLOW_HALF_OPEN, CUSTOM_IDENTITY, REQUEST_OCSP };

static int set_flag(tlsplug_socket *h, enum flag flag, int value, const char *pre_start_only)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    int rc = pre_start_only ? before_start(s, pre_start_only) : TLSPLUG_OK;
    if (rc != TLSPLUG_OK)
        return tp_socket_leave(s, rc);
    switch (flag) { /* one bit each: no address to write through */
    case REJECT_UNAUTHORIZED: s->reject_unauthorized = value != 0; break;
    case REQUEST_CERT: s->request_cert = value != 0; break;
    case ALLOW_HALF_OPEN: s->allow_half_open = value != 0; break;
    case CUSTOM_IDENTITY: s->custom_identity = value != 0; break;
    case REQUEST_OCSP: s->request_ocsp = value != 0; break;
    }
    return tp_socket_leave(s, TLSPLUG_OK);
}

/* Any time: Node's tests add the 'keylog' listener right after connect(),
 * when the ClientHello may already be out; the secrets come later. */
int tp_api_socket_set_keylog(tlsplug_socket *h, int enabled)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    s->keylog = enabled != 0;
    if (s->started)
        tp_keylog_apply(s);
    return tp_socket_leave(s, TLSPLUG_OK);
}

int tp_api_socket_set_check_server_identity(tlsplug_socket *h, int custom)
{
    return set_flag(h, CUSTOM_IDENTITY, custom, "checkServerIdentity");
}

int tp_api_socket_set_request_ocsp(tlsplug_socket *h, int request)
{
    return set_flag(h, REQUEST_OCSP, request, "requestOCSP");
}

int tp_api_socket_set_min_dh_size(tlsplug_socket *h, unsigned bits)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    int rc = before_start(s, "minDHSize");
    if (rc == TLSPLUG_OK && bits == 0)
        rc = tp_fail(&s->err, TLSPLUG_E_INVAL, "ERR_OUT_OF_RANGE",
                     "The value of \"options.minDHSize\" is out of range. It must be > 0. Received 0");
    if (rc == TLSPLUG_OK)
        s->min_dh_size = bits;
    return tp_socket_leave(s, rc);
}

int tp_api_secure_pair_new(tlsplug_context *ctx, int is_server, int request_cert,
                           int reject_unauthorized, tlsplug_socket **out)
{
    if (!out)
        return tp_handle_get(ctx, TP_TAG_CONTEXT) ? TLSPLUG_E_INVAL : TLSPLUG_E_BADHANDLE;
    tlsplug_socket *h;
    int rc = tp_api_socket_new(ctx, is_server ? TLSPLUG_ROLE_SERVER : TLSPLUG_ROLE_CLIENT, &h);
    if (rc)
        return rc;
    struct tlsplug_socket *s = tp_handle_get(h, TP_TAG_SOCKET);
    s->pair = 1;
    s->request_cert = request_cert != 0;
    s->reject_unauthorized = reject_unauthorized != 0;
    rc = tp_api_socket_start(h);
    if (rc) {
        tp_api_socket_free(h);
        return rc;
    }
    *out = h;
    return TLSPLUG_OK;
}

int tp_api_socket_set_reject_unauthorized(tlsplug_socket *h, int reject)
{
    return set_flag(h, REJECT_UNAUTHORIZED, reject, "rejectUnauthorized");
}

int tp_api_socket_set_request_cert(tlsplug_socket *h, int request)
{
    return set_flag(h, REQUEST_CERT, request, "requestCert");
}

int tp_api_socket_set_allow_half_open(tlsplug_socket *h, int allow)
{
    return set_flag(h, ALLOW_HALF_OPEN, allow, NULL);
}

/* Set, replace or (cb NULL) remove the callback of `event` in the socket's
 * dense table; -1 when out of memory (nothing changed). */
static int set_callback(struct tlsplug_socket *s, int event, tlsplug_event_cb cb, uintptr_t userdata)
{
    uint64_t bit = (uint64_t)1 << event;
    size_t at = (size_t)__builtin_popcountll(s->on_mask & (bit - 1));
    size_t n = (size_t)__builtin_popcountll(s->on_mask);
    if (s->on_mask & bit) {
        if (cb) {
            s->on[at] = (struct tp_callback){cb, userdata};
            return 0;
        }
        memmove(&s->on[at], &s->on[at + 1], (n - at - 1) * sizeof *s->on);
        s->on_mask &= ~bit;
        if (n == 1) {
            free(s->on);
            s->on = NULL;
        }
        return 0;
    }
    if (!cb)
        return 0;
    struct tp_callback *on = realloc(s->on, (n + 1) * sizeof *on);
    if (!on)
        return -1;
    memmove(&on[at + 1], &on[at], (n - at) * sizeof *on);
    on[at] = (struct tp_callback){cb, userdata};
    s->on = on;
    s->on_mask |= bit;
    return 0;
}

int tp_api_socket_on(tlsplug_socket *h, int event, tlsplug_event_cb cb,
                     uintptr_t userdata)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    if (event <= 0 || event >= TP_EV_COUNT)
        return tp_socket_leave(s, tp_fail(&s->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_VALUE",
                                          "on: unknown event %d", event));
    if (set_callback(s, event, cb, userdata) < 0)
        return tp_socket_leave(s, tp_fail(&s->err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY",
                                          "on: out of memory"));
    return tp_socket_leave(s, TLSPLUG_OK);
}

int tp_api_socket_set_event_queue(tlsplug_socket *h, int enabled)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    s->queue_on = enabled != 0;
    if (!s->queue_on && s->queue) { /* turning it off drops what waits */
        tp_queue_clear(s->queue);
        free(s->queue);
        s->queue = NULL;
    }
    return tp_socket_leave(s, TLSPLUG_OK);
}

int tp_api_socket_next_event(tlsplug_socket *h, int *event, uint8_t *buf,
                             size_t cap, size_t *len)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    if (!event || !len || (cap && !buf))
        return tp_socket_leave(s, TLSPLUG_E_INVAL);
    if (!s->queue) /* never turned on: nothing waits */
        return tp_socket_leave(s, TLSPLUG_E_AGAIN);
    return tp_socket_leave(s, tp_queue_pop(s->queue, event, NULL, buf, cap, len));
}

void tp_socket_flush_batch(struct tlsplug_socket *s)
{
    size_t n = s->batch_len;
    s->batch_len = 0;
    if (n)
        tp_emit(s, TLSPLUG_EV_DATA, s->batch, n);
}

/* Queue an event for next_event, making the queue with its first event.
 * Out of memory the event is dropped, as tp_queue_push drops one. */
static void queue_event(struct tlsplug_socket *s, int event, const void *data, size_t len)
{
    if (!s->queue && (s->queue = calloc(1, sizeof *s->queue)) != NULL)
        tp_queue_enable(s->queue, 1);
    if (s->queue)
        tp_queue_push(s->queue, event, 0, data, len);
}

void tp_emit(struct tlsplug_socket *s, int event, const void *data, size_t len)
{
    if (event != TLSPLUG_EV_DATA && s->batch_len)
        tp_socket_flush_batch(s); /* the cleartext decrypted before this event goes first */
    if (s->freed)
        return; /* the handle is dead: nobody may hear of it again */
    const struct tp_callback *on = tp_socket_callback(s, event);
    if (on) {
        on->cb(on->userdata, (void *)s->handle, event, NULL, data, len);
        return;
    }
    if (event != TLSPLUG_EV_DATA && s->queue_on) /* cleartext is read(), not queued */
        queue_event(s, event, data, len);
}

void tp_socket_set_transport(struct tlsplug_socket *s, const tp_transport *t, void *ctx)
{
    s->transport = t;
    s->transport_ctx = t ? ctx : NULL;
}

void tp_socket_drop_pending(struct tlsplug_socket *s)
{
    if (!s->pending)
        return;
    tp_buf_free(s->pending);
    free(s->pending);
    s->pending = NULL;
}

void tp_socket_close(struct tlsplug_socket *s)
{
    if (s->closed)
        return;
    s->closed = 1;
    tp_socket_drop_pending(s);
    /* On a loop, Node's `close` means the transport is closed too: the
     * connection emits it once its fd is (tp_conn_kick closes it). */
    if (!s->transport)
        tp_socket_emit_close(s);
}

void tp_socket_emit_close(struct tlsplug_socket *s)
{
    uint8_t had_error = (uint8_t)s->had_error;
    tp_emit(s, TLSPLUG_EV_CLOSE, &had_error, 1);
}

int tp_socket_net_fail(struct tlsplug_socket *s, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tp_vfail(&s->err, TLSPLUG_E_NET, code, fmt, ap);
    va_end(ap);
    return tp_socket_fatal(s, TLSPLUG_E_NET);
}

int tp_socket_fatal(struct tlsplug_socket *s, int status)
{
    if (s->fatal || s->closed)
        return s->fatal ? s->fatal : status;
    s->fatal = status;
    /* Every later call shows the fatal error again (door.c): its record is
     * made now, so a healthy socket carries none. Out of memory, the
     * status alone is sticky (the detail of the failing call stays). */
    tp_error *sticky = calloc(1, sizeof *sticky);
    if (sticky) {
        tp_error_copy(sticky, &s->err);
        s->sticky = sticky;
    }
    s->had_error = 1;
    tp_emit(s, TLSPLUG_EV_ERROR, tp_error_code(&s->err), strlen(tp_error_code(&s->err)));
    /* A connection that fails before it was secure is the server's
     * tlsClientError (Node's clientError). */
    if (s->started != 2 && !s->freed) {
        const char *code = tp_error_code(s->sticky ? s->sticky : &s->err);
        tp_socket_owner_emit(s, TLSPLUG_EV_TLS_CLIENT_ERROR, code, strlen(code));
    }
    tp_socket_close(s);
    return status;
}

int tp_socket_sticky(struct tlsplug_socket *s)
{
    if (s->sticky)
        tp_error_copy(&s->err, s->sticky);
    return s->fatal;
}

int tp_socket_use_ticket_keys(struct tlsplug_socket *s, const uint8_t keys[48])
{
    if (tp_context_no_tickets(s->ctx))
        return TLSPLUG_OK;
    uint8_t stek[64];
    int err = tp_derive_stek(keys, s->ctx->session_id_context, stek);
    gnutls_datum_t key = {stek, sizeof stek};
    if (err == 0)
        err = gnutls_session_ticket_enable_server(s->session, &key);
    gnutls_memset(stek, 0, sizeof stek);
    return err < 0 ? tp_fail_gnutls(&s->err, TLSPLUG_E_INTERNAL, err, -1, 0, "ticket keys")
                   : TLSPLUG_OK;
}

int tp_socket_switch_context(struct tlsplug_socket *s, struct tlsplug_context *ctx)
{
    if (ctx == s->ctx)
        return TLSPLUG_OK;
    int rc = tp_context_acquire(ctx);
    if (rc)
        return tp_fail(&s->err, rc, "ERR_TLS_INVALID_CONTEXT", "SNI context: %s",
                       tp_error_message(&ctx->err));
    int err = gnutls_credentials_set(s->session, GNUTLS_CRD_CERTIFICATE, ctx->cred);
    if (err == 0)
        err = gnutls_priority_set(s->session, ctx->priority_cache[1]);
    if (err < 0) {
        tp_context_release(ctx);
        return tp_fail_gnutls(&s->err, TLSPLUG_E_INTERNAL, err, -1, 0, "SNI context");
    }
    tp_context_release(s->ctx);
    s->ctx = ctx;
    return TLSPLUG_OK;
}

static uint64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int tp_socket_count_handshake(struct tlsplug_socket *s)
{
    if (s->role != TLSPLUG_ROLE_SERVER)
        return TLSPLUG_OK;
    uint64_t now = monotonic_ms(), last = s->last_handshake_ms;
    s->last_handshake_ms = now ? now : 1;
    if (last == 0)
        return TLSPLUG_OK; /* the first handshake */
    if (now - last >= (uint64_t)s->reneg_window_s * 1000u)
        s->handshakes = 1;
    else
        s->handshakes++;
    if (s->handshakes <= s->reneg_limit)
        return TLSPLUG_OK;
    tp_fail(&s->err, TLSPLUG_E_TLS, "ERR_TLS_SESSION_ATTACK",
            "TLS session renegotiation attack detected");
    return tp_socket_fatal(s, TLSPLUG_E_TLS);
}
