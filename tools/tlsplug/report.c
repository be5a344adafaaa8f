/* report: a secure connection, as text or JSON (see report.h). */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/ocsp.h>
#include <gnutls/x509.h>

/* ---- getters with a growing buffer ---------------------------------------- */

/* A string getter's answer, malloc'd; NULL when unavailable. */
typedef int (*str_getter)(tlsplug_socket *, char *, size_t, size_t *);

static char *get_str(tlsplug_socket *sock, str_getter get)
{
    size_t cap = 256, len = 0;
    for (int tries = 0; tries < 4; tries++) {
        char *buf = malloc(cap);
        if (!buf)
            return NULL;
        int rc = get(sock, buf, cap, &len);
        if (rc == TLSPLUG_OK)
            return buf;
        free(buf);
        if (rc != TLSPLUG_E_BUFSIZE)
            return NULL;
        cap = len + 1 > cap * 2 ? len + 1 : cap * 2;
    }
    return NULL;
}

static int peer_cert_detailed(tlsplug_socket *s, char *b, size_t c, size_t *l)
{
    return tlsplug_socket_get_peer_certificate(s, 1, b, c, l);
}
static int cipher_name(tlsplug_socket *s, char *b, size_t c, size_t *l)
{
    return tlsplug_socket_get_cipher(s, TLSPLUG_CIPHER_NAME, b, c, l);
}
static int cipher_std(tlsplug_socket *s, char *b, size_t c, size_t *l)
{
    return tlsplug_socket_get_cipher(s, TLSPLUG_CIPHER_STANDARD_NAME, b, c, l);
}
static int cipher_version(tlsplug_socket *s, char *b, size_t c, size_t *l)
{
    return tlsplug_socket_get_cipher(s, TLSPLUG_CIPHER_VERSION, b, c, l);
}

/* One certificate field at a depth, malloc'd (NUL-terminated); NULL when
 * there is none. */
static uint8_t *cert_field(tlsplug_socket *sock, unsigned depth, int field, size_t *len)
{
    size_t cap = 4096;
    for (int tries = 0; tries < 4; tries++) {
        uint8_t *buf = malloc(cap + 1);
        if (!buf)
            return NULL;
        int rc = tlsplug_socket_peer_cert_field(sock, depth, field, buf, cap, len);
        if (rc == TLSPLUG_OK) {
            buf[*len < cap ? *len : cap] = 0;
            return buf;
        }
        free(buf);
        if (rc != TLSPLUG_E_BUFSIZE)
            return NULL;
        cap = *len + 1 > cap * 2 ? *len + 1 : cap * 2;
    }
    return NULL;
}

/* ---- a tiny reader of the flat JSON the library gives --------------------- */

/* The string value of "key" in a flat object, in out; 0 when found. */
static int json_str(const char *json, const char *key, char *out, size_t cap)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *p = json ? strstr(json, pat) : NULL;
    if (!p)
        return -1;
    p += strlen(pat);
    size_t n = strcspn(p, "\"");
    snprintf(out, cap, "%.*s", (int)n, p);
    return 0;
}

static long json_num(const char *json, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = json ? strstr(json, pat) : NULL;
    return p ? strtol(p + strlen(pat), NULL, 10) : -1;
}

/* ---- GnuTLS views of one certificate -------------------------------------- */

struct certview {
    char *subject, *issuer, *pem; /* gnutls_malloc'd */
    char key[96];
};

static void certview_free(struct certview *v)
{
    gnutls_free(v->subject), gnutls_free(v->issuer), gnutls_free(v->pem);
}

static void certview_make(const uint8_t *der, size_t len, struct certview *v)
{
    memset(v, 0, sizeof *v);
    snprintf(v->key, sizeof v->key, "(unreadable)");
    gnutls_x509_crt_t crt;
    if (gnutls_x509_crt_init(&crt) < 0)
        return;
    gnutls_datum_t d = {(unsigned char *)der, (unsigned)len}, out = {NULL, 0};
    if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) == 0) {
        if (gnutls_x509_crt_get_dn3(crt, &out, 0) == 0)
            v->subject = (char *)out.data;
        if (gnutls_x509_crt_get_issuer_dn3(crt, &out, 0) == 0)
            v->issuer = (char *)out.data;
        if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &out) == 0)
            v->pem = (char *)out.data;
        unsigned bits = 0;
        int pk = gnutls_x509_crt_get_pk_algorithm(crt, &bits);
        gnutls_ecc_curve_t curve;
        if (pk >= 0 && gnutls_x509_crt_get_pk_ecc_raw(crt, &curve, NULL, NULL) == 0)
            snprintf(v->key, sizeof v->key, "%s %s (%u bits)", gnutls_pk_get_name(pk),
                     gnutls_ecc_curve_get_name(curve), bits);
        else if (pk >= 0)
            snprintf(v->key, sizeof v->key, "%s (%u bits)", gnutls_pk_get_name(pk), bits);
    }
    gnutls_x509_crt_deinit(crt);
}

/* ---- OCSP ----------------------------------------------------------------- */

/* "good", "revoked", "unknown", or why it cannot be read; `verified`
 * tells whether its signature checked out against the issuer (depth 1). */
static const char *ocsp_status(tlsplug_socket *sock, const struct report_opts *o, int *verified)
{
    *verified = 0;
    if (!o->ocsp)
        return "none";
    gnutls_ocsp_resp_t resp;
    if (gnutls_ocsp_resp_init(&resp) < 0)
        return "unreadable";
    const char *what = "unreadable";
    gnutls_datum_t d = {(unsigned char *)o->ocsp, (unsigned)o->ocsp_len};
    unsigned cert_status = 0;
    if (gnutls_ocsp_resp_import(resp, &d) == 0 &&
        gnutls_ocsp_resp_get_single(resp, 0, NULL, NULL, NULL, NULL, &cert_status, NULL, NULL, NULL,
                                    NULL) == 0) {
        what = cert_status == GNUTLS_OCSP_CERT_GOOD      ? "good"
               : cert_status == GNUTLS_OCSP_CERT_REVOKED ? "revoked"
                                                         : "unknown";
        size_t len;
        uint8_t *issuer = cert_field(sock, 1, TLSPLUG_CERT_RAW, &len);
        gnutls_x509_crt_t crt;
        if (issuer && gnutls_x509_crt_init(&crt) == 0) {
            gnutls_datum_t id = {issuer, (unsigned)len};
            unsigned v = 1;
            if (gnutls_x509_crt_import(crt, &id, GNUTLS_X509_FMT_DER) == 0 &&
                gnutls_ocsp_resp_verify_direct(resp, crt, &v, 0) == 0 && v == 0)
                *verified = 1;
            gnutls_x509_crt_deinit(crt);
        }
        free(issuer);
    }
    gnutls_ocsp_resp_deinit(resp);
    return what;
}

/* ---- text ----------------------------------------------------------------- */

void report_text(FILE *to, tlsplug_socket *sock, const struct report_opts *o)
{
    char buf[256];
    size_t len;
    int authorized = 0, reused = 0;
    tlsplug_socket_authorized(sock, &authorized);
    if (authorized)
        fprintf(to, "client connected authorized\n");
    else if (tlsplug_socket_authorization_error(sock, buf, sizeof buf, &len) == TLSPLUG_OK)
        fprintf(to, "client connected unauthorized: %s\n", buf);
    else
        fprintf(to, "client connected unauthorized\n");
    char *protocol = get_str(sock, tlsplug_socket_get_protocol);
    char *name = get_str(sock, cipher_name);
    fprintf(to, "protocol: %s\n", protocol ? protocol : "(unknown)");
    fprintf(to, "cipher: %s\n", name ? name : "(unknown)");
    if (tlsplug_socket_get_alpn_protocol(sock, buf, sizeof buf, &len) != TLSPLUG_OK)
        snprintf(buf, sizeof buf, "(none)"); /* Node's alpnProtocol false */
    fprintf(to, "alpn: %s\n", buf);
    free(protocol), free(name);
    if (o->brief)
        return;

    char *std = get_str(sock, cipher_std), *eph = get_str(sock, tlsplug_socket_get_ephemeral_key_info);
    char group[64] = "", type[16] = "";
    fprintf(to, "cipher standard name: %s\n", std ? std : "(unknown)");
    if (eph && json_str(eph, "type", type, sizeof type) == 0) {
        if (json_str(eph, "name", group, sizeof group) != 0)
            snprintf(group, sizeof group, "%s", type); /* finite-field DH has no name */
        fprintf(to, "group: %s (%s, %ld bits)\n", group, type, json_num(eph, "size"));
    } else {
        fprintf(to, "group: (none: the key exchange was not ephemeral)\n");
    }
    /* What openssl s_client calls the peer signature type and digest. */
    char *sig = get_str(sock, tlsplug_socket_get_peer_signature_algorithm);
    fprintf(to, "peer signature scheme: %s\n",
            sig ? sig : "(none: the server signed nothing, e.g. a resumed session)");
    free(std), free(eph), free(sig);
    if (!o->no_sni && tlsplug_socket_get_servername(sock, buf, sizeof buf, &len) == TLSPLUG_OK)
        fprintf(to, "servername: %s\n", buf);
    else
        fprintf(to, "servername: (none sent)\n");
    tlsplug_socket_is_session_reused(sock, &reused);
    fprintf(to, "session: %s\n", reused ? "resumed" : "new");
    if (!o->ocsp_requested) {
        fprintf(to, "OCSP staple: not requested (--ocsp)\n");
    } else {
        int verified;
        const char *st = ocsp_status(sock, o, &verified);
        if (o->ocsp)
            fprintf(to, "OCSP staple: %s (%zu bytes, signature %s)\n", st, o->ocsp_len,
                    verified ? "verified by the issuer" : "NOT verified");
        else
            fprintf(to, "OCSP staple: none\n");
    }
    for (unsigned depth = 0;; depth++) {
        size_t dlen;
        uint8_t *der = cert_field(sock, depth, TLSPLUG_CERT_RAW, &dlen);
        if (!der) {
            if (depth == 0)
                fprintf(to, "peer certificate: none\n");
            break;
        }
        if (depth == 0)
            fprintf(to, "peer certificate chain:\n");
        struct certview v;
        certview_make(der, dlen, &v);
        static const struct { int field; const char *label; } fields[] = {
            {TLSPLUG_CERT_SUBJECT_ALT_NAME, "subjectaltname"},
            {TLSPLUG_CERT_VALID_FROM, "valid_from"},
            {TLSPLUG_CERT_VALID_TO, "valid_to"},
            {TLSPLUG_CERT_SERIAL_NUMBER, "serial"},
            {TLSPLUG_CERT_FINGERPRINT256, "sha256"},
            {TLSPLUG_CERT_FINGERPRINT, "sha1"},
        };
        fprintf(to, " %u subject: %s\n", depth, v.subject ? v.subject : "(unreadable)");
        fprintf(to, "   issuer: %s\n", v.issuer ? v.issuer : "(unreadable)");
        for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
            size_t flen;
            uint8_t *f = cert_field(sock, depth, fields[i].field, &flen);
            fprintf(to, "   %s: %s\n", fields[i].label, f ? (char *)f : "(none)");
            free(f);
        }
        fprintf(to, "   key: %s\n", v.key);
        if (o->showcerts && v.pem)
            fprintf(to, "%s", v.pem);
        certview_free(&v);
        free(der);
    }
}

/* ---- JSON ----------------------------------------------------------------- */

static void json_string(FILE *to, const char *s)
{
    fputc('"', to);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(to, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", to);
        else if (c < 0x20)
            fprintf(to, "\\u%04x", c);
        else
            fputc(c, to);
    }
    fputc('"', to);
}

/* A string, or the JSON literal `none` when s is NULL. */
static void json_opt(FILE *to, const char *s, const char *none)
{
    if (s)
        json_string(to, s);
    else
        fputs(none, to);
}

int report_json(FILE *to, tlsplug_socket *sock, const struct report_opts *o)
{
    char buf[256];
    size_t len;
    int authorized = 0, reused = 0;
    tlsplug_socket_authorized(sock, &authorized);
    tlsplug_socket_is_session_reused(sock, &reused);
    char *protocol = get_str(sock, tlsplug_socket_get_protocol), *name = get_str(sock, cipher_name),
         *std = get_str(sock, cipher_std), *ver = get_str(sock, cipher_version),
         *eph = get_str(sock, tlsplug_socket_get_ephemeral_key_info),
         *peer = get_str(sock, peer_cert_detailed),
         *sig = get_str(sock, tlsplug_socket_get_peer_signature_algorithm);
    fprintf(to, "{\"authorized\":%s,\"authorizationError\":", authorized ? "true" : "false");
    json_opt(to, tlsplug_socket_authorization_error(sock, buf, sizeof buf, &len) == TLSPLUG_OK ? buf : NULL,
             "null");
    fputs(",\"protocol\":", to);
    json_opt(to, protocol, "null");
    fputs(",\"cipher\":{\"name\":", to);
    json_opt(to, name, "null");
    fputs(",\"standardName\":", to);
    json_opt(to, std, "null");
    fputs(",\"version\":", to);
    json_opt(to, ver, "null");
    fprintf(to, "},\"ephemeralKeyInfo\":%s,\"peerSignatureAlgorithm\":", eph ? eph : "null");
    json_opt(to, sig, "null");
    fputs(",\"alpnProtocol\":", to);
    json_opt(to, tlsplug_socket_get_alpn_protocol(sock, buf, sizeof buf, &len) == TLSPLUG_OK ? buf : NULL,
             "false");
    fputs(",\"servername\":", to);
    json_opt(to, !o->no_sni && tlsplug_socket_get_servername(sock, buf, sizeof buf, &len) == TLSPLUG_OK
                     ? buf : NULL, "false");
    fprintf(to, ",\"sessionReused\":%s", reused ? "true" : "false");
    if (o->ocsp_requested) {
        int verified;
        const char *st = ocsp_status(sock, o, &verified);
        fprintf(to, ",\"ocsp\":{\"stapled\":%s,\"status\":\"%s\",\"length\":%zu,\"verified\":%s}",
                o->ocsp ? "true" : "false", st, o->ocsp_len, verified ? "true" : "false");
    }
    fprintf(to, ",\"peerCertificate\":%s", peer ? peer : "null");
    if (o->showcerts) {
        fputs(",\"peerChainPEM\":[", to);
        for (unsigned depth = 0;; depth++) {
            size_t dlen;
            uint8_t *der = cert_field(sock, depth, TLSPLUG_CERT_RAW, &dlen);
            if (!der)
                break;
            struct certview v;
            certview_make(der, dlen, &v);
            if (depth)
                fputc(',', to);
            json_opt(to, v.pem, "null");
            certview_free(&v);
            free(der);
        }
        fputc(']', to);
    }
    fputs("}\n", to);
    fflush(to);
    free(protocol), free(name), free(std), free(ver), free(eph), free(peer), free(sig);
    return 0;
}

void report_json_error(FILE *to, const char *code, const char *message, const char *kind)
{
    fputs("{\"error\":{\"code\":", to);
    json_opt(to, code && *code ? code : NULL, "null");
    fputs(",\"message\":", to);
    json_opt(to, message && *message ? message : NULL, "null");
    fputs(",\"kind\":", to);
    json_string(to, kind);
    fputs("}}\n", to);
    fflush(to);
}
