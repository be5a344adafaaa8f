/* tls.Server without IO: options, SNI contexts, ticket keys, accept, and
 * Node's server events. The engine's side of SNI and of the events is in
 * pump.c (the ClientHello is held until the context is decided). */
#include "server.h"

#include <gnutls/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "handle.h"
#include "api_impl.h"

static struct tlsplug_server *get(const void *h)
{
    return tp_handle_get(h, TP_TAG_SERVER);
}

static int server_new(struct tlsplug_context *ctx, tlsplug_server **out);

int tp_api_server_new(tlsplug_context *ctx_h, tlsplug_server **out)
{
    struct tlsplug_context *ctx = tp_context_get_held(ctx_h);
    if (!ctx)
        return TLSPLUG_E_BADHANDLE;
    int rc = out ? server_new(ctx, out) : TLSPLUG_E_INVAL;
    tp_context_release(ctx); /* the server holds its own reference */
    return rc;
}

static int server_new(struct tlsplug_context *ctx, tlsplug_server **out)
{
    tp_context_set_staple_hook(tp_ocsp_staple); /* only servers raise OCSPRequest */
    int rc = tp_context_acquire(ctx); /* a server's context must be usable now */
    if (rc)
        return rc;
    struct tlsplug_server *srv = calloc(1, sizeof *srv);
    if (!srv) {
        tp_context_release(ctx);
        return TLSPLUG_E_NOMEM;
    }
    tp_error_clear(&srv->err);
    atomic_init(&srv->refs, 1);
    srv->ctx = ctx;
    srv->reject_unauthorized = 1;
    srv->handshake_timeout_ms = 120000; /* Node's default */
    srv->max_connections = -1;
    srv->session_timeout = 300;          /* Node's default */
    srv->session_cache_size = TP_SESSION_CACHE_DEFAULT;
    memcpy(srv->ticket_keys, ctx->ticket_keys, sizeof srv->ticket_keys);
    srv->handle = tp_handle_new(TP_TAG_SERVER, srv);
    if (!srv->handle) {
        tp_context_release(ctx);
        free(srv);
        return TLSPLUG_E_NOMEM;
    }
    *out = (tlsplug_server *)srv->handle;
    return TLSPLUG_OK;
}

void tp_server_release(struct tlsplug_server *srv)
{
    if (atomic_fetch_sub_explicit(&srv->refs, 1, memory_order_acq_rel) != 1)
        return;
    tp_queue_clear(&srv->queue);
    for (size_t i = 0; i < srv->nsni; i++) {
        free(srv->sni[i].pattern);
        tp_context_release(srv->sni[i].ctx);
    }
    free(srv->sni);
    free(srv->alpn);
    tp_store_release(srv->store);
    tp_context_release(srv->ctx);
    tp_error_clear(&srv->err);
    gnutls_memset(srv->ticket_keys, 0, sizeof srv->ticket_keys);
    free(srv);
}

int tp_api_server_free(tlsplug_server *h)
{
    if (!h)
        return TLSPLUG_OK;
    struct tlsplug_server *srv = get(h);
    if (!srv || tp_handle_retire(h, TP_TAG_SERVER) != 0)
        return TLSPLUG_E_BADHANDLE;
    srv->freed = 1;
    tp_queue_clear(&srv->queue);
    if (srv->listener)
        srv->listener_detach(srv->listener); /* stops listening, without events */
    tp_server_release(srv);
    return TLSPLUG_OK;
}

/* ---------------------------------------------------------------- options */

/* The boolean options share one shape (as the socket's do): the int field
 * at `offset` takes 0 or 1, for the sockets accepted from now on. */
static int set_flag(tlsplug_server *h, size_t offset, int value)
{
    struct tlsplug_server *srv = get(h);
    if (!srv)
        return TLSPLUG_E_BADHANDLE;
    *(int *)((char *)srv + offset) = value != 0;
    return TLSPLUG_OK;
}

#define FLAG(field) offsetof(struct tlsplug_server, field)

static int alpn_exclusive(struct tlsplug_server *srv)
{
    return tp_fail(&srv->err, TLSPLUG_E_INVAL, "ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS",
                   "The ALPNCallback and ALPNProtocols TLS options are mutually exclusive");
}

int tp_api_server_set_request_cert(tlsplug_server *h, int value)
{
    return set_flag(h, FLAG(request_cert), value);
}

int tp_api_server_set_reject_unauthorized(tlsplug_server *h, int value)
{
    return set_flag(h, FLAG(reject_unauthorized), value);
}

int tp_api_server_set_sni_callback(tlsplug_server *h, int value)
{
    return set_flag(h, FLAG(sni_callback), value);
}

int tp_api_server_set_alpn_callback(tlsplug_server *h, int value)
{
    struct tlsplug_server *srv = get(h);
    if (!srv)
        return TLSPLUG_E_BADHANDLE;
    if (value && srv->alpn)
        return alpn_exclusive(srv);
    srv->alpn_callback = value != 0;
    return TLSPLUG_OK;
}

int tp_api_server_set_session_store(tlsplug_server *h, int value)
{
    return set_flag(h, FLAG(session_store), value);
}

int tp_api_server_set_ocsp(tlsplug_server *h, int value)
{
    return set_flag(h, FLAG(ocsp), value);
}

int tp_api_server_set_keylog(tlsplug_server *h, int value)
{
    return set_flag(h, FLAG(keylog), value);
}

int tp_api_server_set_session_timeout(tlsplug_server *h, unsigned seconds)
{
    struct tlsplug_server *srv = get(h);
    if (!srv)
        return TLSPLUG_E_BADHANDLE;
    if (seconds == 0 || seconds > 604800) /* GnuTLS's cap: a week */
        return tp_fail(&srv->err, TLSPLUG_E_INVAL, "ERR_OUT_OF_RANGE",
                       "sessionTimeout: %u is outside 1..604800 seconds", seconds);
    srv->session_timeout = seconds;
    return TLSPLUG_OK;
}

int tp_api_server_set_handshake_timeout(tlsplug_server *h, size_t ms)
{
    struct tlsplug_server *srv = get(h);
    if (!srv)
        return TLSPLUG_E_BADHANDLE;
    srv->handshake_timeout_ms = ms;
    return TLSPLUG_OK;
}

int tp_api_server_set_alpn_protocols(tlsplug_server *h, const uint8_t *protocols,
                                     size_t len)
{
    struct tlsplug_server *srv = get(h);
    if (!srv)
        return TLSPLUG_E_BADHANDLE;
    if (srv->alpn_callback)
        return alpn_exclusive(srv);
    /* Checked now, as each accepted socket will check it. */
    if (!tp_alpn_valid(protocols, len))
        return tp_fail(&srv->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_VALUE",
                       "ALPNProtocols: expected length-prefixed, non-empty names");
    uint8_t *copy = malloc(len);
    if (!copy)
        return tp_fail(&srv->err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY", "out of memory");
    memcpy(copy, protocols, len);
    free(srv->alpn);
    srv->alpn = copy;
    srv->alpn_len = len;
    return TLSPLUG_OK;
}

int tp_api_server_set_alpn_list(tlsplug_server *h, const char *names)
{
    struct tlsplug_server *srv = get(h);
    if (!srv)
        return TLSPLUG_E_BADHANDLE;
    uint8_t *wire = NULL;
    size_t len = 0;
    int rc = tp_alpn_from_list(names, &wire, &len, &srv->err);
    if (rc == TLSPLUG_OK)
        rc = tp_api_server_set_alpn_protocols(h, wire, len);
    free(wire);
    return rc;
}

/* A context the server will serve: frozen now, so a bad one is reported
 * here rather than at some client's handshake. */
static struct tlsplug_context *usable_context(struct tlsplug_server *srv, tlsplug_context *h,
                                              int *rc)
{
    struct tlsplug_context *ctx = tp_context_get_held(h);
    if (!ctx) {
        *rc = TLSPLUG_E_BADHANDLE;
        return NULL;
    }
    *rc = tp_context_acquire(ctx);
    tp_context_release(ctx); /* acquire took the server's reference */
    if (*rc) {
        tp_fail(&srv->err, *rc, "ERR_TLS_INVALID_CONTEXT", "the context cannot be used: %s",
                tp_error_message(&ctx->err));
        return NULL;
    }
    return ctx;
}

int tp_api_server_add_context(tlsplug_server *h, const char *hostname,
                              tlsplug_context *ctx_h)
{
    struct tlsplug_server *srv = get(h);
    if (!srv)
        return TLSPLUG_E_BADHANDLE;
    if (!hostname || !*hostname) /* Node's code and message */
        return tp_fail(&srv->err, TLSPLUG_E_INVAL, "ERR_TLS_REQUIRED_SERVER_NAME",
                       "\"servername\" is required parameter for Server.addContext");
    int rc;
    struct tlsplug_context *ctx = usable_context(srv, ctx_h, &rc);
    if (!ctx)
        return rc;
    tp_sni_entry *grown = realloc(srv->sni, (srv->nsni + 1) * sizeof *grown);
    char *pattern = grown ? strdup(hostname) : NULL;
    if (!pattern) {
        if (grown)
            srv->sni = grown;
        tp_context_release(ctx);
        return tp_fail(&srv->err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY", "out of memory");
    }
    srv->sni = grown;
    srv->sni[srv->nsni++] = (tp_sni_entry){pattern, ctx};
    return TLSPLUG_OK;
}

int tp_api_server_set_secure_context(tlsplug_server *h, tlsplug_context *ctx_h)
{
    struct tlsplug_server *srv = get(h);
    if (!srv)
        return TLSPLUG_E_BADHANDLE;
    int rc;
    struct tlsplug_context *ctx = usable_context(srv, ctx_h, &rc);
    if (!ctx)
        return rc;
    tp_context_release(srv->ctx);
    srv->ctx = ctx;
    return TLSPLUG_OK;
}

/* Node's addContext pattern: the hostname with '*' as [^.]*, anchored. */
static int pattern_match(const char *pat, const char *name)
{
    if (!*pat)
        return !*name;
    if (*pat == '*') {
        for (const char *n = name;; n++) {
            if (pattern_match(pat + 1, n))
                return 1;
            if (!*n || *n == '.')
                return 0;
        }
    }
    return *pat == *name && pattern_match(pat + 1, name + 1);
}

struct tlsplug_context *tp_server_match(struct tlsplug_server *srv, const char *servername)
{
    for (size_t i = srv->nsni; i-- > 0;) /* the latest added wins, as in Node */
        if (pattern_match(srv->sni[i].pattern, servername))
            return srv->sni[i].ctx;
    return NULL;
}

/* ---------------------------------------------------------------- ticket keys */

int tp_api_server_get_ticket_keys(tlsplug_server *h, uint8_t *buf, size_t cap,
                                  size_t *len)
{
    struct tlsplug_server *srv = get(h);
    if (!srv)
        return TLSPLUG_E_BADHANDLE;
    return tp_copy_bytes(srv->ticket_keys, sizeof srv->ticket_keys, buf, cap, len);
}

int tp_api_server_set_ticket_keys(tlsplug_server *h, const uint8_t *keys, size_t len)
{
    struct tlsplug_server *srv = get(h);
    if (!srv)
        return TLSPLUG_E_BADHANDLE;
    if (!keys || len != sizeof srv->ticket_keys)
        return tp_fail(&srv->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_VALUE",
                       "Session ticket keys must be a 48-byte buffer");
    memcpy(srv->ticket_keys, keys, len);
    return TLSPLUG_OK;
}

/* ---------------------------------------------------------------- events */

int tp_api_server_on(tlsplug_server *h, int event, tlsplug_event_cb cb,
                     uintptr_t userdata)
{
    struct tlsplug_server *srv = get(h);
    if (!srv)
        return TLSPLUG_E_BADHANDLE;
    /* The server's events are the registry's (`source` lists "server"). */
    if (!tp_event_raised_by(event, TP_TAG_SERVER))
        return tp_fail(&srv->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_VALUE",
                       "server_on: %d is not a server event", event);
    srv->on[event].cb = cb;
    srv->on[event].userdata = cb ? userdata : 0;
    return TLSPLUG_OK;
}

int tp_api_server_set_event_queue(tlsplug_server *h, int enabled)
{
    struct tlsplug_server *srv = get(h);
    if (!srv)
        return TLSPLUG_E_BADHANDLE;
    tp_queue_enable(&srv->queue, enabled);
    return TLSPLUG_OK;
}

int tp_api_server_next_event(tlsplug_server *h, int *event, tlsplug_socket **subject,
                             uint8_t *buf, size_t cap, size_t *len)
{
    struct tlsplug_server *srv = get(h);
    if (!srv)
        return TLSPLUG_E_BADHANDLE;
    if (!event || !subject || !len || (cap && !buf))
        return TLSPLUG_E_INVAL;
    uintptr_t who = 0;
    int rc = tp_queue_pop(&srv->queue, event, &who, buf, cap, len);
    if (rc == TLSPLUG_OK)
        *subject = (tlsplug_socket *)who;
    return rc;
}

void tp_server_emit(struct tlsplug_server *srv, int event, struct tlsplug_socket *s,
                    const void *data, size_t len)
{
    if (srv->freed)
        return;
    if (srv->on[event].cb) {
        srv->on[event].cb(srv->on[event].userdata, (void *)srv->handle, event,
                          s ? (void *)s->handle : NULL, data, len);
        return;
    }
    tp_queue_push(&srv->queue, event, s ? s->handle : 0, data, len);
}

/* ---------------------------------------------------------------- accept */

static int listens(struct tlsplug_server *srv, int event)
{
    return event != TLSPLUG_EV_KEYLOG || srv->keylog;
}

/* What the engine may ask of the server that accepted a socket (socket.h,
 * "seams"). */
static const tp_owner server_owner = {
    .emit = tp_server_emit,
    .listens = listens,
    .hello_stages = tp_hello_stages,
    .release = tp_server_release,
};

int tp_api_server_accept(tlsplug_server *h, size_t now_ms, tlsplug_socket **out)
{
    struct tlsplug_server *srv = get(h);
    if (!srv)
        return TLSPLUG_E_BADHANDLE;
    if (!out)
        return TLSPLUG_E_INVAL;
    tlsplug_socket *sh;
    struct tlsplug_socket *s;
    int rc = tp_socket_create(srv->ctx, TLSPLUG_ROLE_SERVER, &s, &sh);
    if (rc)
        return tp_fail(&srv->err, rc, "ERR_TLS_INVALID_CONTEXT", "accept: cannot create a socket");
    s->request_cert = srv->request_cert;
    s->keylog |= srv->keylog;
    s->reject_unauthorized = srv->reject_unauthorized;
    if (srv->handshake_timeout_ms)
        s->deadline_ms = now_ms + srv->handshake_timeout_ms;
    rc = srv->alpn ? tp_api_socket_set_alpn_protocols(sh, srv->alpn, srv->alpn_len) : TLSPLUG_OK;
    if (rc == TLSPLUG_OK)
        rc = tp_socket_use_ticket_keys(s, srv->ticket_keys);
    if (rc == TLSPLUG_OK) {
        /* Sessions (ids and tickets) stay resumable for sessionTimeout. */
        gnutls_db_set_cache_expiration(s->session, (int)srv->session_timeout);
        if (srv->session_store || tp_server_store(srv))
            tp_session_store_attach(s);
    }
    if (rc == TLSPLUG_OK) {
        s->server = srv;
        s->owner = &server_owner;
        atomic_fetch_add_explicit(&srv->refs, 1, memory_order_relaxed);
        rc = tp_api_socket_start(sh);
    }
    if (rc) {
        tp_error_copy(&srv->err, &s->err);
        tp_api_socket_free(sh);
        return rc;
    }
    *out = sh;
    return TLSPLUG_OK;
}
