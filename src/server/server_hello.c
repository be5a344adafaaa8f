/* A server socket's ClientHello, held before GnuTLS sees it while the
 * host answers Node's asynchronous questions, in Node's order: the SNI
 * context, then resumeSession, then OCSPRequest (docs/GNUTLS.md, "The
 * hello hold": GnuTLS cannot pause inside its own callbacks, so they only
 * read the answers stashed here). Also the newSession side of the session
 * store and the OCSP staple. */
#include <gnutls/gnutls.h>
#include <stdlib.h>
#include <string.h>

#include "handle.h"
#include "server.h"
#include "api_impl.h"

/* ---------------------------------------------------------------- stages */

static int stage_sni(struct tlsplug_socket *s, struct tlsplug_server *srv)
{
    if (srv->sni_callback) {
        s->hello->awaiting_sni = 1;
        tp_server_emit(srv, TLSPLUG_EV_SNI_CALLBACK, s, s->sni, strlen(s->sni));
        return TLSPLUG_OK;
    }
    struct tlsplug_context *ctx = tp_server_match(srv, s->sni);
    if (ctx && tp_socket_switch_context(s, ctx) != TLSPLUG_OK)
        return tp_socket_fatal(s, s->err.status);
    return TLSPLUG_OK;
}

/* A session's key in a library store: the sessionIdContext, then the id,
 * so one context's sessions never resume under another (malloc'd). Its
 * value is laid out as the host's resumeSession answer (retrieve_fn). */
static uint8_t *store_key(struct tlsplug_socket *s, const uint8_t *id, size_t idlen, size_t *klen)
{
    const char *sid = s->ctx->session_id_context ? s->ctx->session_id_context : "";
    size_t sidlen = strlen(sid);
    uint8_t *key = sidlen <= 255 ? malloc(1 + sidlen + idlen) : NULL;
    if (key) {
        key[0] = (uint8_t)sidlen;
        memcpy(key + 1, sid, sidlen);
        memcpy(key + 1 + sidlen, id, idlen);
        *klen = 1 + sidlen + idlen;
    }
    return key;
}

/* Keep the host's answer (none when empty), replacing an earlier one;
 * -1 when out of memory. */
static int keep_answer(const uint8_t *data, size_t len, struct tp_answer **out)
{
    if (!data || !len)
        return 0;
    struct tp_answer *a = malloc(sizeof *a + len);
    if (!a)
        return -1;
    a->len = len;
    memcpy(a->data, data, len);
    free(*out);
    *out = a;
    return 0;
}

/* Ask the library's store; it answers now, or later through
 * tp_server_store_dispatch (the socket waits as for resumeSession). */
static int ask_store(struct tlsplug_socket *s, struct tp_store *st)
{
    size_t klen;
    uint8_t *key = store_key(s, s->hello->session_id, s->hello->session_id_len, &klen);
    if (!key)
        return TLSPLUG_OK; /* a full handshake */
    uint8_t *val = NULL;
    size_t vlen = 0;
    s->hello->awaiting_resume = 1;
    if (st->ops->get(st, key, klen, s->handle, &val, &vlen)) {
        s->hello->awaiting_resume = 0;
        keep_answer(val, vlen, &s->hello->resume_answer); /* out of memory: a full handshake */
        free(val);
    }
    free(key);
    return TLSPLUG_OK;
}

static int stage_resume(struct tlsplug_socket *s, struct tlsplug_server *srv)
{
    /* Node asks only when the client offers an id and no ticket. */
    if (s->hello->session_id_len == 0 || s->hello->ticket)
        return TLSPLUG_OK;
    if (!srv->session_store) {
        struct tp_store *st = tp_server_store(srv);
        return st ? ask_store(s, st) : TLSPLUG_OK;
    }
    s->hello->awaiting_resume = 1;
    tp_server_emit(srv, TLSPLUG_EV_RESUME_SESSION, s, s->hello->session_id,
                   s->hello->session_id_len);
    return TLSPLUG_OK;
}

static int stage_ocsp(struct tlsplug_socket *s, struct tlsplug_server *srv)
{
    if (!srv->ocsp || !s->hello->status_request || s->ctx->nchains == 0)
        return TLSPLUG_OK;
    /* The context's certificate (after SNI) and its issuer, as Node passes. */
    tp_chain *chain = &s->ctx->chains[0];
    gnutls_datum_t cert = {NULL, 0}, issuer = {NULL, 0};
    int err = gnutls_x509_crt_export2(chain->certs[0], GNUTLS_X509_FMT_DER, &cert);
    if (err == 0 && chain->n > 1)
        err = gnutls_x509_crt_export2(chain->certs[1], GNUTLS_X509_FMT_DER, &issuer);
    uint8_t *payload = err == 0 ? malloc(4 + cert.size + issuer.size) : NULL;
    if (payload) {
        payload[0] = (uint8_t)(cert.size >> 24), payload[1] = (uint8_t)(cert.size >> 16);
        payload[2] = (uint8_t)(cert.size >> 8), payload[3] = (uint8_t)cert.size;
        memcpy(payload + 4, cert.data, cert.size);
        if (issuer.size)
            memcpy(payload + 4 + cert.size, issuer.data, issuer.size);
        s->hello->awaiting_ocsp = 1;
        tp_server_emit(srv, TLSPLUG_EV_OCSP_REQUEST, s, payload, 4 + cert.size + issuer.size);
        free(payload);
    }
    gnutls_free(cert.data);
    gnutls_free(issuer.data);
    if (!payload) {
        tp_fail(&s->err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY", "OCSPRequest: out of memory");
        return tp_socket_fatal(s, TLSPLUG_E_NOMEM);
    }
    return TLSPLUG_OK;
}

static int stage_alpn(struct tlsplug_socket *s, struct tlsplug_server *srv)
{
    /* Node calls ALPNCallback only for a client that offers ALPN. */
    if (!srv->alpn_callback || s->hello->alpn_len == 0)
        return TLSPLUG_OK;
    s->hello->awaiting_alpn = 1;
    tp_server_emit(srv, TLSPLUG_EV_ALPN_CALLBACK, s, s->hello->alpn, s->hello->alpn_len);
    return TLSPLUG_OK;
}

#define STAGES 4

int tp_hello_stages(struct tlsplug_socket *s)
{
    struct tlsplug_server *srv = s->server;
    static int (*const stages[STAGES])(struct tlsplug_socket *, struct tlsplug_server *) = {
        stage_sni, stage_resume, stage_ocsp, stage_alpn};
    tp_hello *h = s->hello; /* lives until the handshake ends, after these */
    while (h && h->stage < STAGES && !tp_socket_waiting(s) && !s->closed) {
        int stage = h->stage++;
        /* A plain server socket, or a hello that named no server: skip. */
        if (!srv || srv->freed || (stage == 0 && !s->sni))
            continue;
        int rc = stages[stage](s, srv);
        if (rc)
            return rc;
    }
    if ((!h || h->stage == STAGES) && !tp_socket_waiting(s))
        s->hello_released = 1;
    return s->fatal ? tp_socket_sticky(s) : TLSPLUG_OK;
}

/* ---------------------------------------------------------------- answers */

/* Which answer a *_done function gives; NULL when the socket holds no
 * hello (a client, or the handshake is over), so none is pending. */
static int *awaiting(struct tlsplug_socket *s, int question)
{
    tp_hello *h = s->hello;
    if (question == TLSPLUG_EV_NEW_SESSION)
        return &s->hold_output;
    if (!h)
        return NULL;
    switch (question) {
    case TLSPLUG_EV_SNI_CALLBACK: return &h->awaiting_sni;
    case TLSPLUG_EV_RESUME_SESSION: return &h->awaiting_resume;
    case TLSPLUG_EV_OCSP_REQUEST: return &h->awaiting_ocsp;
    default: return &h->awaiting_alpn; /* TLSPLUG_EV_ALPN_CALLBACK */
    }
}

/* The common start of the *_done functions: the socket, entered, with the
 * question marked answered; NULL with *rc set when it was not pending. */
static struct tlsplug_socket *answering(tlsplug_socket *h, int question, const char *what, int *rc)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s) {
        *rc = TLSPLUG_E_BADHANDLE;
        return NULL;
    }
    int *pending = awaiting(s, question);
    if (!pending || !*pending || s->closed) {
        *rc = tp_socket_leave(s, tp_fail(&s->err, TLSPLUG_E_STATE, "ERR_TLS_INVALID_STATE",
                                         "%s: no answer is pending", what));
        return NULL;
    }
    *pending = 0;
    return s;
}

/* Go on after an answer; from inside the event's callback the outer call
 * goes on by itself. */
static int resume_after_answer(struct tlsplug_socket *s)
{
    int rc = s->depth == 1 ? tp_pump(s) : TLSPLUG_OK;
    return tp_socket_leave(s, rc);
}

static int copy_answer(struct tlsplug_socket *s, const uint8_t *data, size_t len,
                       struct tp_answer **out)
{
    if (keep_answer(data, len, out) < 0) {
        tp_fail(&s->err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY", "out of memory");
        return tp_socket_fatal(s, TLSPLUG_E_NOMEM);
    }
    return TLSPLUG_OK;
}

static int sni_done(tlsplug_socket *h, struct tlsplug_context *ctx, const char *error);

int tp_api_socket_sni_done(tlsplug_socket *h, tlsplug_context *ctx_h, const char *error)
{
    struct tlsplug_context *ctx = NULL;
    if (ctx_h && !(ctx = tp_context_get_held(ctx_h)))
        return TLSPLUG_E_BADHANDLE; /* a context that is no context */
    int rc = sni_done(h, ctx, error);
    if (ctx)
        tp_context_release(ctx); /* the socket took its own reference if it switched */
    return rc;
}

static int sni_done(tlsplug_socket *h, struct tlsplug_context *ctx, const char *error)
{
    int rc;
    struct tlsplug_socket *s = answering(h, TLSPLUG_EV_SNI_CALLBACK, "sni_done", &rc);
    if (!s)
        return rc;
    if (error) {
        /* Node destroys the socket with the callback's error. */
        tp_fail(&s->err, TLSPLUG_E_TLS, "ERR_TLS_SNI_CALLBACK", "%s", error);
        return tp_socket_leave(s, tp_socket_fatal(s, TLSPLUG_E_TLS));
    }
    rc = ctx ? tp_socket_switch_context(s, ctx) : TLSPLUG_OK;
    if (rc)
        return tp_socket_leave(s, tp_socket_fatal(s, rc));
    s->sni_no_cert = ctx && s->ctx->nkeys == 0;
    return resume_after_answer(s);
}

int tp_api_socket_resume_session_done(tlsplug_socket *h, const uint8_t *data, size_t len)
{
    int rc;
    struct tlsplug_socket *s = answering(h, TLSPLUG_EV_RESUME_SESSION, "resume_session_done", &rc);
    if (!s)
        return rc;
    rc = copy_answer(s, data, len, &s->hello->resume_answer);
    return rc ? tp_socket_leave(s, rc) : resume_after_answer(s);
}

int tp_api_socket_ocsp_done(tlsplug_socket *h, const uint8_t *response, size_t len)
{
    int rc;
    struct tlsplug_socket *s = answering(h, TLSPLUG_EV_OCSP_REQUEST, "ocsp_done", &rc);
    if (!s)
        return rc;
    rc = copy_answer(s, response, len, &s->hello->ocsp_answer);
    return rc ? tp_socket_leave(s, rc) : resume_after_answer(s);
}

/* Whether the wire-form list holds this name. */
static int offered(const uint8_t *list, size_t n, const uint8_t *name, size_t len)
{
    for (size_t i = 0; i < n; i += 1 + list[i])
        if (list[i] == len && i + 1 + len <= n && memcmp(list + i + 1, name, len) == 0)
            return 1;
    return 0;
}

int tp_api_socket_alpn_callback_done(tlsplug_socket *h, const uint8_t *protocol, size_t len)
{
    int rc;
    struct tlsplug_socket *s = answering(h, TLSPLUG_EV_ALPN_CALLBACK, "alpn_callback_done", &rc);
    if (!s)
        return rc;
    if (!protocol) {
        s->alpn_refuse = 1; /* GnuTLS refuses it, with the alert (hooks.c) */
        return resume_after_answer(s);
    }
    if (!offered(s->hello->alpn, s->hello->alpn_len, protocol, len)) {
        /* Node destroys the socket, no alert: the client sees a reset. */
        tp_fail(&s->err, TLSPLUG_E_TLS, "ERR_TLS_ALPN_CALLBACK_INVALID_RESULT",
                "ALPN callback returned a value (%.*s) that did not match any of the "
                "client's offered protocols", (int)(len > 255 ? 255 : len), (const char *)protocol);
        return tp_socket_leave(s, tp_socket_fatal(s, TLSPLUG_E_TLS));
    }
    rc = tp_alpn_choose(s, protocol, len);
    if (rc)
        return tp_socket_leave(s, tp_socket_fatal(s, rc));
    return resume_after_answer(s);
}

int tp_api_socket_new_session_done(tlsplug_socket *h)
{
    int rc;
    struct tlsplug_socket *s = answering(h, TLSPLUG_EV_NEW_SESSION, "new_session_done", &rc);
    if (!s)
        return rc;
    if (s->finish_pending) {
        s->finish_pending = 0;
        rc = tp_pump_finish_secure(s);
        if (rc)
            return tp_socket_leave(s, rc);
    }
    return resume_after_answer(s);
}

/* ---------------------------------------------------------------- GnuTLS's side */

/* The session blob handed to the host carries the sessionIdContext in
 * front, so a session from one context never resumes under another. */
/* A library store keeps the session without holding the connection. */
static void put_in_store(struct tlsplug_socket *s, struct tp_store *st, gnutls_datum_t id,
                         gnutls_datum_t data)
{
    size_t klen;
    uint8_t *key = store_key(s, id.data, id.size, &klen);
    size_t sidlen = key ? key[0] : 0;
    uint8_t *val = key ? malloc(1 + sidlen + data.size) : NULL;
    if (val) {
        memcpy(val, key, 1 + sidlen);
        memcpy(val + 1 + sidlen, data.data, data.size);
        st->ops->put(st, key, klen, val, 1 + sidlen + data.size, s->server->session_timeout);
        gnutls_memset(val, 0, 1 + sidlen + data.size);
    }
    free(val);
    free(key);
}

static int store_fn(void *ptr, gnutls_datum_t key, gnutls_datum_t data)
{
    struct tlsplug_socket *s = ptr;
    if (s->server && !s->server->session_store) {
        struct tp_store *st = tp_server_store(s->server);
        if (st)
            put_in_store(s, st, key, data);
        return 0;
    }
    const char *sid = s->ctx->session_id_context ? s->ctx->session_id_context : "";
    size_t sidlen = strlen(sid);
    size_t n = 1 + key.size + 1 + sidlen + data.size;
    uint8_t *payload = key.size <= 255 ? malloc(n) : NULL;
    if (!payload)
        return 0; /* no store: a full handshake next time */
    uint8_t *w = payload;
    *w++ = (uint8_t)key.size;
    memcpy(w, key.data, key.size), w += key.size;
    *w++ = (uint8_t)sidlen;
    memcpy(w, sid, sidlen), w += sidlen;
    memcpy(w, data.data, data.size);
    /* Node holds the connection until the host stored it. */
    s->hold_output = 1;
    if (s->server && !s->server->freed)
        tp_server_emit(s->server, TLSPLUG_EV_NEW_SESSION, s, payload, n);
    else
        s->hold_output = 0;
    free(payload);
    return 0;
}

static gnutls_datum_t retrieve_fn(void *ptr, gnutls_datum_t key)
{
    (void)key; /* the host answered for the id this client offered */
    struct tlsplug_socket *s = ptr;
    gnutls_datum_t out = {NULL, 0};
    const char *sid = s->ctx->session_id_context ? s->ctx->session_id_context : "";
    size_t sidlen = strlen(sid);
    const struct tp_answer *a = s->hello ? s->hello->resume_answer : NULL;
    if (!a || a->len < 1 + sidlen || a->data[0] != sidlen || memcmp(a->data + 1, sid, sidlen) != 0)
        return out; /* unknown, or another context's session */
    size_t n = a->len - 1 - sidlen;
    if (n && (out.data = gnutls_malloc(n))) {
        memcpy(out.data, a->data + 1 + sidlen, n);
        out.size = (unsigned)n;
    }
    return out;
}

static int remove_fn(void *ptr, gnutls_datum_t key)
{
    struct tlsplug_socket *s = ptr;
    if (!s->server || s->server->session_store)
        return 0; /* the host's store expires its own entries */
    struct tp_store *st = tp_server_store(s->server);
    size_t klen;
    uint8_t *k = st ? store_key(s, key.data, key.size, &klen) : NULL;
    if (k)
        st->ops->del(st, k, klen);
    free(k);
    return 0;
}

void tp_session_store_attach(struct tlsplug_socket *s)
{
    s->stores_sessions = 1;
    gnutls_db_set_ptr(s->session, s);
    gnutls_db_set_store_function(s->session, store_fn);
    gnutls_db_set_retrieve_function(s->session, retrieve_fn);
    gnutls_db_set_remove_function(s->session, remove_fn);
}

/* Installed on every context's credentials; only server sockets whose host
 * answered OCSPRequest with a response staple one. */
int tp_ocsp_staple(gnutls_session_t session, gnutls_datum_t *response)
{
    struct tlsplug_socket *s = gnutls_session_get_ptr(session);
    const struct tp_answer *a = s && s->hello ? s->hello->ocsp_answer : NULL;
    if (!a)
        return GNUTLS_E_NO_CERTIFICATE_STATUS;
    if (!(response->data = gnutls_malloc(a->len)))
        return GNUTLS_E_MEMORY_ERROR;
    memcpy(response->data, a->data, a->len);
    response->size = (unsigned)a->len;
    return 0;
}
