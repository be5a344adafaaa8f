/* Node's certificate getters: tlsSocket.getPeerCertificate([detailed]),
 * getCertificate(), single fields for C hosts, the certificate object of
 * any DER certificate, and tls.checkServerIdentity(). The objects are
 * certobj.c's JSON. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "certobj.h"
#include "identity.h"
#include "socket.h"
#include "api_impl.h"

/* getPeerCertificate(true) follows at most this many issuers; a trust
 * store whose cross-signed roots name each other stops here. */
#define CHAIN_MAX 32

/* Copy n bytes of text and a NUL into (buf, cap, len). */
static int copy_text(const void *p, size_t n, void *buf, size_t cap, size_t *len)
{
    if (n + 1 > cap) {
        *len = n;
        return TLSPLUG_E_BUFSIZE;
    }
    if (n)
        memcpy(buf, p, n);
    ((char *)buf)[n] = 0;
    *len = n;
    return TLSPLUG_OK;
}

/* A buffer's bytes; never NULL (an empty tp_buf has no data, and NULL + 0
 * is undefined). */
static const uint8_t *bytes_of(const tp_buf *b)
{
    return b->data ? tp_buf_peek(b) : (const uint8_t *)"";
}

static int copy_buf(const tp_buf *b, void *buf, size_t cap, size_t *len)
{
    return copy_text(bytes_of(b), tp_buf_len(b), buf, cap, len);
}

static int append(tp_buf *b, const char *s)
{
    return tp_buf_append(b, s, strlen(s)) < 0 ? TLSPLUG_E_NOMEM : TLSPLUG_OK;
}

static gnutls_x509_crt_t import_der(const gnutls_datum_t *der)
{
    gnutls_x509_crt_t crt;
    if (gnutls_x509_crt_init(&crt) < 0)
        return NULL;
    if (gnutls_x509_crt_import(crt, der, GNUTLS_X509_FMT_DER) < 0) {
        gnutls_x509_crt_deinit(crt);
        return NULL;
    }
    return crt;
}

/* OpenSSL's X509_check_issued(issuer, subject) == X509_V_OK: names and key
 * identifiers match, and the issuer's keyUsage (if any) allows signing
 * certificates. */
static int issued_by(gnutls_x509_crt_t subject, gnutls_x509_crt_t issuer)
{
    if (gnutls_x509_crt_check_issuer(subject, issuer) != 1)
        return 0;
    unsigned ku = 0;
    return gnutls_x509_crt_get_key_usage(issuer, &ku, NULL) < 0 || (ku & GNUTLS_KEY_KEY_CERT_SIGN);
}

/* ---- getPeerCertificate(true) ------------------------------------------- */

typedef struct path {
    gnutls_x509_crt_t crt[CHAIN_MAX];
    int owned[CHAIN_MAX]; /* came from the trust list (a copy to free) */
    unsigned len;
} path;

/* Node's GetPeerCert(): from the leaf, the presented certificates that
 * issued the last one, in whatever order they came (AddIssuerChainToObject,
 * with X509_check_issued); then issuers from the context's trust store
 * until a self-issued certificate (GetLastIssuedCert). The store lookup
 * (X509_STORE_CTX_get1_issuer, like gnutls_x509_trust_list_get_issuer)
 * matches names and key identifiers but not keyUsage, and does not care
 * whether the chain verified. */
static void build_path(struct tlsplug_socket *s, gnutls_x509_crt_t *chain, unsigned n, path *p)
{
    unsigned char used[CHAIN_MAX] = {0};
    p->crt[0] = chain[0];
    p->owned[0] = 0;
    p->len = 1;
    while (p->len < CHAIN_MAX) {
        unsigned i;
        for (i = 1; i < n; i++)
            if (!used[i] && issued_by(p->crt[p->len - 1], chain[i]))
                break;
        if (i >= n)
            break;
        used[i] = 1;
        p->crt[p->len] = chain[i];
        p->owned[p->len++] = 0;
    }
    gnutls_x509_trust_list_t tl = tp_context_trust(s->ctx);
    while (tl && p->len < CHAIN_MAX && !issued_by(p->crt[p->len - 1], p->crt[p->len - 1])) {
        gnutls_x509_crt_t iss;
        if (gnutls_x509_trust_list_get_issuer(tl, p->crt[p->len - 1], &iss, GNUTLS_TL_GET_COPY) < 0)
            break;
        p->crt[p->len] = iss;
        p->owned[p->len++] = 1;
        /* A self-signed certificate without keyCertSign is not self-issued
         * for OpenSSL, but the store still answers it as its own issuer.
         * Node adds that answer once more (the store's copy is another
         * object than the peer's), then stops when the store answers the
         * very certificate it had answered before. */
        if (p->owned[p->len - 2] && gnutls_x509_crt_equals(iss, p->crt[p->len - 2]))
            break;
    }
}

static int detailed_json(struct tlsplug_socket *s, gnutls_x509_crt_t *chain, unsigned n,
                         tp_buf *out)
{
    path p;
    build_path(s, chain, n, &p);
    int rc = TLSPLUG_OK;
    for (unsigned k = 0; k < p.len && !rc; k++) {
        if (k)
            rc = append(out, ",\"issuerCertificate\":");
        if (!rc)
            rc = tp_certobj_json(p.crt[k], out, 1);
    }
    /* The root's issuerCertificate is the root itself: Node's circular
     * reference, which JSON can only name. */
    if (!rc && issued_by(p.crt[p.len - 1], p.crt[p.len - 1]))
        rc = append(out, ",\"issuerCertificate\":\"[Circular]\"");
    for (unsigned k = 0; k < p.len && !rc; k++)
        rc = append(out, "}");
    for (unsigned k = 0; k < p.len; k++)
        if (p.owned[k])
            gnutls_x509_crt_deinit(p.crt[k]);
    return rc;
}

/* The peer's chain as GnuTLS parsed it; *n = 0 when the peer sent none.
 * Answers the certificates imported (the leaf at least) or NULL. */
static gnutls_x509_crt_t *peer_chain(struct tlsplug_socket *s, unsigned *n, int *rc)
{
    unsigned count = 0;
    const gnutls_datum_t *raw = gnutls_certificate_get_peers(s->session, &count);
    *rc = TLSPLUG_OK;
    *n = 0;
    if (!raw || count == 0)
        return NULL;
    if (count > CHAIN_MAX)
        count = CHAIN_MAX;
    gnutls_x509_crt_t *crt = calloc(count, sizeof *crt);
    if (!crt) {
        *rc = TLSPLUG_E_NOMEM;
        return NULL;
    }
    for (; *n < count; (*n)++)
        if (!(crt[*n] = import_der(&raw[*n])))
            break;
    if (*n == 0) { /* GnuTLS took it in the handshake: only memory can fail here */
        free(crt);
        *rc = TLSPLUG_E_NOMEM;
        return NULL;
    }
    return crt;
}

static void free_chain(gnutls_x509_crt_t *crt, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        gnutls_x509_crt_deinit(crt[i]);
    free(crt);
}

/* Record a failure on the socket and answer it. The registry gives these
 * functions no E_INTERNAL: GnuTLS parsed the certificate in the handshake,
 * so what can still fail is memory. */
static int fail(struct tlsplug_socket *s, int rc, const char *what)
{
    if (rc == TLSPLUG_E_NOMEM || rc == TLSPLUG_E_INTERNAL)
        return tp_fail(&s->err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY", "%s: out of memory%s",
                       what, rc == TLSPLUG_E_INTERNAL ? " (exporting the certificate failed)" : "");
    return rc;
}

int tp_api_socket_get_peer_certificate(tlsplug_socket *h, int detailed, char *buf,
                                       size_t cap, size_t *len)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    if (!len || (cap && !buf))
        return tp_socket_leave(s, tp_fail(&s->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_VALUE",
                                          "get_peer_certificate: no output buffer"));
    if (!s->secure)
        return tp_socket_leave(s, TLSPLUG_E_UNAVAILABLE);
    tp_buf out = {0};
    unsigned n;
    int rc;
    gnutls_x509_crt_t *chain = peer_chain(s, &n, &rc);
    if (!rc && !chain)
        rc = append(&out, "{}"); /* Node: no certificate is {} */
    else if (!rc)
        rc = detailed ? detailed_json(s, chain, n, &out) : tp_certobj_json(chain[0], &out, 0);
    if (chain)
        free_chain(chain, n);
    rc = rc ? fail(s, rc, "get_peer_certificate") : copy_buf(&out, buf, cap, len);
    tp_buf_free(&out);
    return tp_socket_leave(s, rc);
}

int tp_api_socket_get_certificate(tlsplug_socket *h, char *buf, size_t cap,
                                  size_t *len)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    if (!len || (cap && !buf))
        return tp_socket_leave(s, tp_fail(&s->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_VALUE",
                                          "get_certificate: no output buffer"));
    if (!s->secure)
        return tp_socket_leave(s, TLSPLUG_E_UNAVAILABLE);
    tp_buf out = {0};
    int rc;
    const gnutls_datum_t *ours = gnutls_certificate_get_ours(s->session);
    if (!ours) {
        rc = append(&out, "{}");
    } else {
        gnutls_x509_crt_t crt = import_der(ours);
        rc = crt ? tp_certobj_json(crt, &out, 0) : TLSPLUG_E_NOMEM;
        if (crt)
            gnutls_x509_crt_deinit(crt);
    }
    rc = rc ? fail(s, rc, "get_certificate") : copy_buf(&out, buf, cap, len);
    tp_buf_free(&out);
    return tp_socket_leave(s, rc);
}

int tp_api_socket_peer_cert_field(tlsplug_socket *h, unsigned depth, int field,
                                  uint8_t *buf, size_t cap, size_t *len)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    if (!len || (cap && !buf))
        return tp_socket_leave(s, tp_fail(&s->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_VALUE",
                                          "peer_cert_field: no output buffer"));
    if (field < TLSPLUG_CERT_SUBJECT_CN || field > TLSPLUG_CERT_RAW)
        return tp_socket_leave(s, tp_fail(&s->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_VALUE",
                                          "peer_cert_field: unknown field %d", field));
    if (!s->secure)
        return tp_socket_leave(s, TLSPLUG_E_UNAVAILABLE);
    unsigned count = 0;
    const gnutls_datum_t *raw = gnutls_certificate_get_peers(s->session, &count);
    if (!raw || depth >= count)
        return tp_socket_leave(s, TLSPLUG_E_UNAVAILABLE);
    gnutls_x509_crt_t crt = import_der(&raw[depth]);
    tp_buf out = {0};
    int rc = crt ? tp_certobj_field(crt, field, &out) : TLSPLUG_E_NOMEM;
    if (crt)
        gnutls_x509_crt_deinit(crt);
    if (rc == TLSPLUG_OK)
        rc = field == TLSPLUG_CERT_RAW
                 ? tp_copy_bytes(bytes_of(&out), tp_buf_len(&out), buf, cap, len)
                 : copy_buf(&out, buf, cap, len);
    else if (rc != TLSPLUG_E_UNAVAILABLE) {
        /* The registry gives this function no E_NOMEM: the field cannot be
         * had now, and the handle says why. */
        fail(s, rc, "peer_cert_field");
        rc = TLSPLUG_E_UNAVAILABLE;
    }
    tp_buf_free(&out);
    return tp_socket_leave(s, rc);
}

/* ---- no socket ----------------------------------------------------------- */

gnutls_x509_crt_t tp_cert_import_der(const uint8_t *der, size_t der_len)
{
    if (der_len == 0 || der_len > UINT_MAX)
        return NULL;
    gnutls_datum_t d = {(unsigned char *)der, (unsigned)der_len};
    return import_der(&d);
}

int tp_api_cert_to_json(const uint8_t *der, size_t der_len, char *buf, size_t cap,
                        size_t *len)
{
    if (!der || !len || (cap && !buf))
        return TLSPLUG_E_INVAL;
    gnutls_x509_crt_t crt = tp_cert_import_der(der, der_len);
    if (!crt)
        return TLSPLUG_E_CREDENTIALS;
    tp_buf out = {0};
    int rc = tp_certobj_json(crt, &out, 0);
    gnutls_x509_crt_deinit(crt);
    if (rc == TLSPLUG_OK)
        rc = copy_buf(&out, buf, cap, len);
    else if (rc == TLSPLUG_E_INTERNAL) /* GnuTLS took it, its DER walk did not */
        rc = TLSPLUG_E_CREDENTIALS;
    tp_buf_free(&out);
    return rc;
}

int tp_api_check_server_identity(const char *hostname, const uint8_t *der,
                                 size_t der_len, char *reason, size_t cap, size_t *len)
{
    if (!hostname || !der || !len || (cap && !reason))
        return TLSPLUG_E_INVAL;
    gnutls_x509_crt_t crt = tp_cert_import_der(der, der_len);
    if (!crt)
        return TLSPLUG_E_CREDENTIALS;
    /* identity.c truncates the reason to its buffer: grow it until the
     * text fits with room to spare. */
    char *why = NULL;
    size_t n = 0;
    int rc = 0;
    for (size_t wcap = 256;; wcap *= 2) {
        char *w = realloc(why, wcap);
        if (!w) {
            free(why);
            why = NULL;
            rc = -1;
            break;
        }
        why = w;
        why[0] = 0; /* a match writes nothing */
        rc = tp_check_server_identity(hostname, crt, why, wcap);
        if (rc == 0)
            break;
        n = strnlen(why, wcap);
        if (n + 1 < wcap || wcap >= ((size_t)1 << 24))
            break;
    }
    gnutls_x509_crt_deinit(crt);
    if (rc == 0) {
        free(why);
        if (cap)
            reason[0] = 0;
        *len = 0;
        return TLSPLUG_OK;
    }
    if (!why)
        return TLSPLUG_E_NOMEM;
    /* A mismatch always answers E_VERIFY (never E_BUFSIZE, which would
     * blur "does not match" with "buffer too small"): *len is the reason's
     * full length, and the reason is copied as far as it fits. */
    *len = n;
    if (cap) {
        size_t k = n < cap - 1 ? n : cap - 1;
        memcpy(reason, why, k);
        reason[k] = 0;
    }
    free(why);
    return TLSPLUG_E_VERIFY;
}
