/* The createSecureContext options beyond key, cert and ca: protocol
 * selection, suites, groups, DH parameters, PKCS#12, CRLs, session id
 * context. Each is checked when set, as Node throws from
 * createSecureContext; the GnuTLS priority is assembled when the context
 * freezes (context.c). */
#include <gnutls/pkcs12.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include "ciphers.h"
#include "context.h"
#include "sigalgs.h"
#include "tlsplug.h"
#include "api_impl.h"

/* ---------------------------------------------------------------- secureProtocol */

/* As Node: TLS_method allows every version; SSLv23_method keeps the
 * default minimum (tls.DEFAULT_MIN_VERSION, min 0 here) and stops at
 * TLS 1.2. */
static const struct {
    const char *method; /* without the _method/_client_method/_server_method suffix */
    int min, max;
} methods[] = {
    {"TLS", GNUTLS_TLS1_0, GNUTLS_TLS1_3},   {"SSLv23", 0, GNUTLS_TLS1_2},
    {"TLSv1", GNUTLS_TLS1_0, GNUTLS_TLS1_0}, {"TLSv1_1", GNUTLS_TLS1_1, GNUTLS_TLS1_1},
    {"TLSv1_2", GNUTLS_TLS1_2, GNUTLS_TLS1_2},
};

int tp_api_context_set_secure_protocol(tlsplug_context *h, const char *method)
{
    int rc;
    struct tlsplug_context *c = tp_context_for_setter(h, NULL, NULL, 0, &rc);
    if (!c)
        return rc;
    if (!method)
        return tp_fail(&c->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_TYPE", "secureProtocol: NULL");
    if (strncmp(method, "SSLv2_", 6) == 0 || strncmp(method, "SSLv3_", 6) == 0)
        return tp_fail(&c->err, TLSPLUG_E_INVAL, "ERR_TLS_INVALID_PROTOCOL_METHOD",
                       "%.5s methods disabled", method);
    static const char *const suffixes[] = {"_method", "_client_method", "_server_method"};
    for (size_t i = 0; i < sizeof methods / sizeof *methods; i++) {
        size_t n = strlen(methods[i].method);
        if (strncmp(method, methods[i].method, n) != 0)
            continue;
        for (size_t j = 0; j < 3; j++) {
            if (strcmp(method + n, suffixes[j]) != 0)
                continue;
            if (c->versions_set)
                return tp_fail(&c->err, TLSPLUG_E_INVAL, "ERR_TLS_PROTOCOL_VERSION_CONFLICT",
                               "TLS protocol version conflicts with secureProtocol \"%s\"", method);
            rc = tp_context_set_string(c, &c->secure_protocol, method);
            if (rc == TLSPLUG_OK) {
                if (methods[i].min)
                    c->min_version = methods[i].min;
                c->max_version = methods[i].max;
            }
            return rc;
        }
    }
    return tp_fail(&c->err, TLSPLUG_E_INVAL, "ERR_TLS_INVALID_PROTOCOL_METHOD",
                   "Unknown method: %s", method);
}

/* ---------------------------------------------------------------- secureOptions */

/* OpenSSL 3's SSL_OP_* values (Node's crypto.constants). */
#define OP_NO_TICKET 0x00004000u
#define OP_NO_COMPRESSION 0x00020000u
#define OP_CIPHER_SERVER_PREFERENCE 0x00400000u
#define OP_NO_SSLv3 0x02000000u
#define OP_NO_TLSv1 0x04000000u
#define OP_NO_TLSv1_2 0x08000000u
#define OP_NO_TLSv1_1 0x10000000u
#define OP_NO_TLSv1_3 0x20000000u
#define OP_NO_RENEGOTIATION 0x40000000u
#define OP_SUPPORTED                                                                       \
    (OP_NO_TICKET | OP_NO_COMPRESSION | OP_CIPHER_SERVER_PREFERENCE | OP_NO_SSLv3 |        \
     OP_NO_TLSv1 | OP_NO_TLSv1_1 | OP_NO_TLSv1_2 | OP_NO_TLSv1_3 | OP_NO_RENEGOTIATION)

int tp_api_context_set_secure_options(tlsplug_context *h, unsigned options)
{
    int rc;
    struct tlsplug_context *c = tp_context_for_setter(h, NULL, NULL, 0, &rc);
    if (!c)
        return rc;
    unsigned rest = options & ~OP_SUPPORTED;
    if (rest) {
        unsigned bit = rest & -rest;
        return tp_fail(&c->err, TLSPLUG_E_UNSUPPORTED, "ERR_TLS_UNSUPPORTED_SECURE_OPTION",
                       "secureOptions: bit 0x%x has no GnuTLS equivalent (supported: NO_TICKET, "
                       "NO_TLSv1*, CIPHER_SERVER_PREFERENCE, NO_RENEGOTIATION, NO_SSLv2/3, "
                       "NO_COMPRESSION)",
                       bit);
    }
    c->secure_options = options;
    return TLSPLUG_OK;
}

int tp_context_no_tickets(const struct tlsplug_context *c)
{
    return (c->secure_options & OP_NO_TICKET) != 0;
}

int tp_context_no_renegotiation(const struct tlsplug_context *c)
{
    return (c->secure_options & OP_NO_RENEGOTIATION) != 0;
}

/* The version range after secureOptions' NO_TLSv1* bits; 0 when empty. */
int tp_context_version_range(const struct tlsplug_context *c, int *min, int *max)
{
    static const struct {
        int version;
        unsigned bit;
    } off[] = {{GNUTLS_TLS1_0, OP_NO_TLSv1},
               {GNUTLS_TLS1_1, OP_NO_TLSv1_1},
               {GNUTLS_TLS1_2, OP_NO_TLSv1_2},
               {GNUTLS_TLS1_3, OP_NO_TLSv1_3}};
    int lo = 0, hi = 0;
    for (size_t i = 0; i < 4; i++) {
        int v = off[i].version;
        if (v < c->min_version || v > c->max_version || (c->secure_options & off[i].bit))
            continue;
        if (!lo)
            lo = v;
        hi = v;
    }
    *min = lo;
    *max = hi;
    return lo != 0;
}

int tp_context_server_precedence(const struct tlsplug_context *c)
{
    return c->honor_cipher_order || (c->secure_options & OP_CIPHER_SERVER_PREFERENCE);
}

/* ---------------------------------------------------------------- ciphers */

int tp_api_context_set_ciphers(tlsplug_context *h, const char *ciphers)
{
    int rc;
    struct tlsplug_context *c = tp_context_for_setter(h, NULL, NULL, 0, &rc);
    if (!c)
        return rc;
    if (!ciphers)
        return tp_fail(&c->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_TYPE", "ciphers: NULL");
    /* Refuse a bad list now, as Node throws from createSecureContext; the
     * freeze compiles it again with the final versions. */
    tp_cipher_policy *check = NULL;
    rc = tp_ciphers_compile(ciphers, NULL, NULL, &check, &c->err);
    tp_cipher_policy_free(check);
    if (rc)
        return rc;
    return tp_context_set_string(c, &c->ciphers, ciphers);
}

int tp_api_context_set_priority(tlsplug_context *h, const char *priority)
{
    int rc;
    struct tlsplug_context *c = tp_context_for_setter(h, NULL, NULL, 0, &rc);
    if (!c)
        return rc;
    if (priority) {
        gnutls_priority_t p;
        const char *errpos = NULL;
        int err = gnutls_priority_init2(&p, priority, &errpos, 0);
        if (err < 0)
            return tp_fail(&c->err, TLSPLUG_E_INVAL, "ERR_TLS_INVALID_PRIORITY",
                           "GnuTLS priority string refused at \"%s\": %s",
                           errpos ? errpos : priority, gnutls_strerror(err));
        gnutls_priority_deinit(p);
    }
    return tp_context_set_string(c, &c->priority, priority);
}

int tp_api_context_set_honor_cipher_order(tlsplug_context *h, int honor)
{
    int rc;
    struct tlsplug_context *c = tp_context_for_setter(h, NULL, NULL, 0, &rc);
    if (!c)
        return rc;
    c->honor_cipher_order = honor != 0;
    return TLSPLUG_OK;
}

/* ---------------------------------------------------------------- ecdhCurve */

static const struct {
    const char *name;
    const char *token;
} groups[] = {
    {"P-256", "GROUP-SECP256R1"},    {"prime256v1", "GROUP-SECP256R1"},
    {"secp256r1", "GROUP-SECP256R1"}, {"P-384", "GROUP-SECP384R1"},
    {"secp384r1", "GROUP-SECP384R1"}, {"P-521", "GROUP-SECP521R1"},
    {"secp521r1", "GROUP-SECP521R1"}, {"X25519", "GROUP-X25519"},
    {"X448", "GROUP-X448"},           {"ffdhe2048", "GROUP-FFDHE2048"},
    {"ffdhe3072", "GROUP-FFDHE3072"}, {"ffdhe4096", "GROUP-FFDHE4096"},
    {"ffdhe6144", "GROUP-FFDHE6144"}, {"ffdhe8192", "GROUP-FFDHE8192"},
};

/* OpenSSL 3's default group order, which Node's "auto" means. */
static const char *const auto_groups[] = {"X25519", "P-256", "X448", "P-521", "P-384",
                                          "ffdhe2048", "ffdhe3072", "ffdhe4096",
                                          "ffdhe6144", "ffdhe8192"};

static const char *group_token(const char *name, size_t n)
{
    for (size_t i = 0; i < sizeof groups / sizeof *groups; i++)
        if (strlen(groups[i].name) == n && strncasecmp(groups[i].name, name, n) == 0)
            return groups[i].token;
    return NULL;
}

/* Append "+TOKEN" for each name of `list` (':'-separated) to buf; with
 * skip_ffdhe, leave the FFDHE groups out. Answers the count, or -1 for an
 * unknown name. */
static int append_groups(const char *list, int skip_ffdhe, char *buf, size_t cap)
{
    int count = 0;
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ":");
        const char *tok = group_token(p, n);
        if (!tok)
            return -1;
        if (!(skip_ffdhe && strstr(tok, "FFDHE")) && !strstr(buf, tok)) {
            size_t len = strlen(buf);
            snprintf(buf + len, cap - len, "%s+%s", len ? ":" : "", tok);
            count++;
        }
        p += n;
        if (*p == ':')
            p++;
    }
    return count;
}

int tp_api_context_set_ecdh_curve(tlsplug_context *h, const char *curves)
{
    int rc;
    struct tlsplug_context *c = tp_context_for_setter(h, NULL, NULL, 0, &rc);
    if (!c)
        return rc;
    char scratch[512] = "";
    if (!curves || !*curves ||
        (strcmp(curves, "auto") != 0 && append_groups(curves, 0, scratch, sizeof scratch) < 0))
        return tp_fail(&c->err, TLSPLUG_E_INVAL, "ERR_CRYPTO_OPERATION_FAILED",
                       "Failed to set ECDH curve: unknown curve in \"%s\"", curves ? curves : "");
    return tp_context_set_string(c, &c->ecdh_curve, curves);
}

int tp_context_groups(struct tlsplug_context *c, int ffdhe, char *buf, size_t cap)
{
    buf[0] = 0;
    /* With custom DH parameters, GnuTLS would replace them by an FFDHE group
     * (docs/GNUTLS.md, "Key exchange parameters"): the caller says when to
     * leave the FFDHE groups out. */
    int skip_ffdhe = !ffdhe;
    const char *list = c->ecdh_curve && strcmp(c->ecdh_curve, "auto") != 0 ? c->ecdh_curve : NULL;
    if (!list) {
        for (size_t i = 0; i < sizeof auto_groups / sizeof *auto_groups; i++)
            append_groups(auto_groups[i], skip_ffdhe, buf, cap);
        return TLSPLUG_OK;
    }
    int n = append_groups(list, skip_ffdhe, buf, cap);
    if (n == 0 && skip_ffdhe) /* only FFDHE groups named: keep them */
        n = append_groups(list, 0, buf, cap);
    if (n <= 0)
        return tp_fail(&c->err, TLSPLUG_E_INVAL, "ERR_CRYPTO_OPERATION_FAILED",
                       "Failed to set ECDH curve: no usable group in \"%s\"", list);
    return TLSPLUG_OK;
}

/* ---------------------------------------------------------------- sigalgs */

int tp_api_context_set_sigalgs(tlsplug_context *h, const char *sigalgs)
{
    int rc;
    struct tlsplug_context *c = tp_context_for_setter(h, NULL, NULL, 0, &rc);
    if (!c)
        return rc;
    if (!sigalgs || !*sigalgs)
        return tp_fail(&c->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_VALUE",
                       "The property 'options.sigalgs' is invalid. Received ''");
    /* GnuTLS's list replaces the default (SIGN-ALL, and the DSA keywords
     * a DSS suite adds) wherever a priority is made. */
    char tokens[TP_SIGALGS_TOKENS_MAX] = ":-SIGN-ALL:", bad[64];
    size_t head = strlen(tokens);
    switch (tp_sigalgs_tokens(sigalgs, tokens + head, sizeof tokens - head, bad, sizeof bad)) {
    case 0: break;
    case -1:
        return tp_fail(&c->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_VALUE",
                       "Failed to set sigalgs: unknown or repeated signature algorithm \"%s\" in \"%s\"",
                       bad, sigalgs);
    default:
        return tp_fail(&c->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_VALUE",
                       "Failed to set sigalgs: list too long");
    }
    return tp_context_set_string(c, &c->sigalgs, tokens);
}

const char *tp_context_sign_tokens(const struct tlsplug_context *c)
{
    return c->sigalgs ? c->sigalgs : "";
}

/* ---------------------------------------------------------------- dhparam */

/* The size in bits of a big-endian number. */
static unsigned prime_bits(const gnutls_datum_t *p)
{
    size_t i = 0;
    while (i < p->size && p->data[i] == 0)
        i++;
    if (i == p->size)
        return 0;
    unsigned bits = (unsigned)(p->size - i - 1) * 8;
    for (unsigned top = p->data[i]; top; top >>= 1)
        bits++;
    return bits;
}

int tp_api_context_set_dhparam(tlsplug_context *h, const uint8_t *pem, size_t len)
{
    int rc;
    struct tlsplug_context *c = tp_context_for_setter(h, "dhparam", pem, len, &rc);
    if (!c)
        return rc;
    gnutls_dh_params_t dh;
    if (gnutls_dh_params_init(&dh) < 0)
        return tp_fail(&c->err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY", "out of memory");
    gnutls_datum_t d = {(unsigned char *)pem, (unsigned)len};
    int err = gnutls_dh_params_import_pkcs3(dh, &d, GNUTLS_X509_FMT_PEM);
    unsigned bits = 0;
    if (err == 0) {
        gnutls_datum_t prime, gen;
        err = gnutls_dh_params_export_raw(dh, &prime, &gen, NULL);
        if (err == 0) {
            bits = prime_bits(&prime);
            gnutls_free(prime.data);
            gnutls_free(gen.data);
        }
    }
    if (err < 0) {
        gnutls_dh_params_deinit(dh);
        /* Node discards invalid parameters silently; a library user is
         * better served by being told. */
        tp_fail_gnutls(&c->err, TLSPLUG_E_CREDENTIALS, err, -1, 0, "dhparam: not PKCS#3 DH parameters");
        tp_error_set_code(&c->err, "ERR_INVALID_ARG_VALUE");
        return TLSPLUG_E_CREDENTIALS;
    }
    if (bits < 1024) {
        gnutls_dh_params_deinit(dh);
        return tp_fail(&c->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_VALUE",
                       "DH parameter is less than 1024 bits");
    }
    if (c->dh)
        gnutls_dh_params_deinit(c->dh);
    c->dh = dh;
    return TLSPLUG_OK;
}

/* ---------------------------------------------------------------- pfx */

int tp_api_context_add_pfx(tlsplug_context *h, const uint8_t *pfx, size_t len,
                           const char *passphrase)
{
    int rc;
    struct tlsplug_context *c = tp_context_for_setter(h, "pfx", pfx, len, &rc);
    if (!c)
        return rc;
    gnutls_pkcs12_t p12;
    if (gnutls_pkcs12_init(&p12) < 0)
        return tp_fail(&c->err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY", "out of memory");
    gnutls_datum_t d = {(unsigned char *)pfx, (unsigned)len};
    int err = gnutls_pkcs12_import(p12, &d, GNUTLS_X509_FMT_DER, 0);
    if (err < 0)
        err = gnutls_pkcs12_import(p12, &d, GNUTLS_X509_FMT_PEM, 0);
    if (err < 0) {
        gnutls_pkcs12_deinit(p12);
        tp_fail_gnutls(&c->err, TLSPLUG_E_CREDENTIALS, err, -1, 0, "pfx: not a PKCS#12 bundle");
        tp_error_set_code(&c->err, "ERR_CRYPTO_OPERATION_FAILED");
        return TLSPLUG_E_CREDENTIALS;
    }
    const char *pass = passphrase ? passphrase : "";
    if (gnutls_pkcs12_verify_mac(p12, pass) < 0) {
        gnutls_pkcs12_deinit(p12);
        return tp_fail(&c->err, TLSPLUG_E_CREDENTIALS, "ERR_CRYPTO_OPERATION_FAILED",
                       "mac verify failure (wrong pfx passphrase)");
    }
    gnutls_x509_privkey_t key = NULL;
    gnutls_x509_crt_t *chain = NULL, *extra = NULL;
    unsigned nchain = 0, nextra = 0;
    err = gnutls_pkcs12_simple_parse(p12, pass, &key, &chain, &nchain, &extra, &nextra, NULL, 0);
    gnutls_pkcs12_deinit(p12);
    for (unsigned i = 0; i < nextra; i++)
        gnutls_x509_crt_deinit(extra[i]);
    gnutls_free(extra);
    if (err < 0 || !key || nchain == 0) {
        /* A bundle without a private key (a certificate-only export) gets
         * Node's words for it; the other failures keep GnuTLS's reason. */
        int keyless = !key && (err >= 0 || err == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE);
        if (key)
            gnutls_x509_privkey_deinit(key);
        for (unsigned i = 0; i < nchain; i++)
            gnutls_x509_crt_deinit(chain[i]);
        gnutls_free(chain);
        if (keyless)
            return tp_fail(&c->err, TLSPLUG_E_CREDENTIALS, "ERR_CRYPTO_OPERATION_FAILED",
                           "Unable to load private key from PFX data");
        tp_fail_gnutls(&c->err, TLSPLUG_E_CREDENTIALS, err < 0 ? err : GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE,
                       -1, 0, "pfx: no key and certificate in the bundle");
        tp_error_set_code(&c->err, "ERR_CRYPTO_OPERATION_FAILED");
        return TLSPLUG_E_CREDENTIALS;
    }
    return tp_context_add_pair(c, key, chain, nchain);
}

/* ---------------------------------------------------------------- crl */

int tp_api_context_add_crl(tlsplug_context *h, const uint8_t *pem, size_t len)
{
    int rc;
    struct tlsplug_context *c = tp_context_for_setter(h, "crl", pem, len, &rc);
    if (!c)
        return rc;
    gnutls_x509_crl_t crl;
    if (gnutls_x509_crl_init(&crl) < 0)
        return tp_fail(&c->err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY", "out of memory");
    /* As Node: the first CRL of a PEM buffer. */
    gnutls_datum_t d = {(unsigned char *)pem, (unsigned)len};
    int err = gnutls_x509_crl_import(crl, &d, GNUTLS_X509_FMT_PEM);
    if (err < 0) {
        gnutls_x509_crl_deinit(crl);
        return tp_fail(&c->err, TLSPLUG_E_CREDENTIALS, "ERR_CRYPTO_OPERATION_FAILED",
                       "Failed to parse CRL: %s", gnutls_strerror(err));
    }
    gnutls_x509_crl_t *crls = realloc(c->crls, (c->ncrls + 1) * sizeof *crls);
    if (!crls) {
        gnutls_x509_crl_deinit(crl);
        return tp_fail(&c->err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY", "out of memory");
    }
    crls[c->ncrls++] = crl;
    c->crls = crls;
    return TLSPLUG_OK;
}

/* ---------------------------------------------------------------- sessionIdContext */

int tp_api_context_set_session_id_context(tlsplug_context *h, const char *value)
{
    int rc;
    struct tlsplug_context *c = tp_context_for_setter(h, NULL, NULL, 0, &rc);
    if (!c)
        return rc;
    if (!value)
        return tp_fail(&c->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_TYPE",
                       "The \"options.sessionIdContext\" property must be of type string");
    /* OpenSSL's SSL_MAX_SID_CTX_LENGTH; Node passes a 32-hex-digit default. */
    if (strlen(value) > 32)
        return tp_fail(&c->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_VALUE",
                       "sessionIdContext: longer than 32 bytes");
    return tp_context_set_string(c, &c->session_id_context, value);
}

int tp_api_context_set_session_key(tlsplug_context *h, const uint8_t *key, size_t len)
{
    int rc;
    struct tlsplug_context *c = tp_context_for_setter(h, NULL, NULL, 0, &rc);
    if (!c)
        return rc;
    /* At least SHA-256's output, at most its block: HMAC uses either whole. */
    if (!key || len < 32 || len > sizeof c->session_key)
        return tp_fail(&c->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_VALUE",
                       "sessionKey: must be 32 to 64 bytes");
    memcpy(c->session_key, key, len);
    c->session_key_len = len;
    return TLSPLUG_OK;
}

/* ---------------------------------------------------------------- PSK */

/* OpenSSL's PSK_MAX_IDENTITY_LEN: a longer hint is refused. */
#define TP_PSK_MAX_IDENTITY 256

int tp_api_context_set_psk(tlsplug_context *h, int enabled, const char *hint)
{
    int rc;
    struct tlsplug_context *c = tp_context_for_setter(h, NULL, NULL, 0, &rc);
    if (!c)
        return rc;
    if (hint && strlen(hint) > TP_PSK_MAX_IDENTITY)
        return tp_fail(&c->err, TLSPLUG_E_INVAL, "ERR_TLS_PSK_SET_IDENTIY_HINT_FAILED",
                       "Failed to set PSK identity hint: longer than %d bytes",
                       TP_PSK_MAX_IDENTITY);
    rc = tp_context_set_string(c, &c->psk_hint, hint);
    if (rc)
        return rc;
    c->psk = enabled != 0;
    return TLSPLUG_OK;
}
