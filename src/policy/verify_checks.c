/* OpenSSL 3.0's per-certificate checks (crypto/x509/x509_vfy.c, v3_purp.c),
 * replayed over GnuTLS's accessors so that the last error found is the one
 * OpenSSL, and so Node, reports. Each function names the OpenSSL function it
 * follows. */
#include <gnutls/x509-ext.h>
#include <string.h>

#include "verify_int.h"

/* 1 when x's subject and issuer names differ as RFC 4514 strings, made
 * from the certificate's own parse (0 when either cannot be made). */
static int dn_strings_differ(gnutls_x509_crt_t x)
{
    gnutls_datum_t subj = {NULL, 0}, iss = {NULL, 0};
    int differ = gnutls_x509_crt_get_dn3(x, &subj, 0) >= 0 &&
                 gnutls_x509_crt_get_issuer_dn3(x, &iss, 0) >= 0 && !tp_v_same_dn(&subj, &iss);
    gnutls_free(subj.data);
    gnutls_free(iss.data);
    return differ;
}

int tp_v_self_issued_named(gnutls_x509_crt_t x, int *named)
{
    /* Subject == issuer, and the AKID (if any) names the cert's own key:
     * OpenSSL's EXFLAG_SS test, which ignores the signature. That is
     * gnutls_x509_crt_check_issuer(x, x), which, when the two names differ
     * in their bytes, compares their RFC 4514 strings, decoding each name
     * again to make them. The same strings come from the certificate's own
     * parse for less, and when they differ the answer is no; otherwise
     * GnuTLS answers. */
    gnutls_datum_t subj = {NULL, 0}, iss = {NULL, 0};
    int same_bytes = gnutls_x509_crt_get_raw_dn(x, &subj) >= 0 &&
                     gnutls_x509_crt_get_raw_issuer_dn(x, &iss) >= 0 && tp_v_same_dn(&subj, &iss);
    gnutls_free(subj.data);
    gnutls_free(iss.data);
    *named = same_bytes || !dn_strings_differ(x);
    return *named && gnutls_x509_crt_check_issuer(x, x) == 1;
}

int tp_v_self_issued(gnutls_x509_crt_t x)
{
    int named;
    return tp_v_self_issued_named(x, &named);
}

int tp_v_ku_reject(gnutls_x509_crt_t x, unsigned mask)
{
    unsigned ku = 0;
    if (gnutls_x509_crt_get_key_usage(x, &ku, NULL) < 0)
        return 0; /* no keyUsage extension: anything goes */
    return (ku & mask) == 0;
}

int tp_v_same_dn(const gnutls_datum_t *a, const gnutls_datum_t *b)
{
    return a->size == b->size && memcmp(a->data, b->data, a->size) == 0;
}

int tp_v_signature_ok(gnutls_x509_crt_t sub, gnutls_x509_crt_t iss)
{
    /* Only the signature: CA flags, times and digest strength are checked
     * separately, in OpenSSL's order. DO_NOT_ALLOW_SAME stops GnuTLS from
     * accepting a certificate identical to its "CA" without checking. */
    unsigned st = 0;
    unsigned flags = GNUTLS_VERIFY_DISABLE_CA_SIGN | GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
                     GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS | GNUTLS_VERIFY_ALLOW_BROKEN |
                     GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1 |
                     GNUTLS_VERIFY_DO_NOT_ALLOW_SAME | GNUTLS_VERIFY_ALLOW_ANY_X509_V1_CA_CRT;
    if (gnutls_x509_crt_verify(sub, &iss, 1, flags, &st) < 0)
        return 0;
    return (st & (GNUTLS_CERT_SIGNATURE_FAILURE | GNUTLS_CERT_SIGNER_NOT_FOUND)) == 0;
}

/* OpenSSL's check_ca(): 0 = not a CA; 1 = basicConstraints CA; 3 = v1
 * self-issued root; 4 = no basicConstraints but keyUsage with keyCertSign. */
static int check_ca(gnutls_x509_crt_t x)
{
    if (tp_v_ku_reject(x, GNUTLS_KEY_KEY_CERT_SIGN))
        return 0;
    unsigned ca = 0;
    int bc = gnutls_x509_crt_get_basic_constraints(x, NULL, &ca, NULL);
    if (bc >= 0)
        return ca ? 1 : 0;
    if (gnutls_x509_crt_get_version(x) == 1 && tp_v_self_issued(x))
        return 3;
    unsigned ku;
    if (gnutls_x509_crt_get_key_usage(x, &ku, NULL) >= 0)
        return 4;
    return 0;
}

/* OpenSSL's xku_reject(): an extendedKeyUsage extension that lists none of
 * the wanted purposes (anyExtendedKeyUsage does not count). The extension
 * is decoded once, where gnutls_x509_crt_get_key_purpose_oid() would decode
 * it again for each purpose; an OID its 128-byte buffer would not hold
 * counts as seen and matches nothing, as it did with that call. */
static int xku_reject(gnutls_x509_crt_t x, const char *const *want)
{
    gnutls_datum_t der = {NULL, 0};
    gnutls_x509_key_purposes_t kp = NULL;
    int seen = 0;
    if (gnutls_x509_crt_get_extension_by_oid2(x, GNUTLS_X509EXT_OID_EXTENDED_KEY_USAGE, 0, &der,
                                              NULL) < 0)
        return 0;
    if (gnutls_x509_key_purpose_init(&kp) < 0 || gnutls_x509_ext_import_key_purposes(&der, kp, 0) < 0)
        goto done;
    for (unsigned i = 0;; i++) {
        gnutls_datum_t d;
        if (gnutls_x509_key_purpose_get(kp, i, &d) < 0)
            break;
        seen = 1;
        char oid[128];
        if (d.size >= sizeof oid)
            continue;
        memcpy(oid, d.data, d.size);
        oid[d.size] = 0;
        for (const char *const *w = want; *w; w++)
            if (strcmp(oid, *w) == 0) {
                seen = 0;
                goto done;
            }
    }
done:
    if (kp)
        gnutls_x509_key_purpose_deinit(kp);
    gnutls_free(der.data);
    return seen;
}

/* OpenSSL's check_purpose_ssl_server / _ssl_client (Netscape cert types,
 * which GnuTLS does not parse, aside). 1 = acceptable. `ca` is check_ca(x)
 * for a CA (require_ca), which the caller has already worked out. */
static int purpose_ok(gnutls_x509_crt_t x, tp_purpose purpose, int require_ca, int ca)
{
    static const char *const server_kp[] = {GNUTLS_KP_TLS_WWW_SERVER, "2.16.840.1.113730.4.1",
                                            "1.3.6.1.4.1.311.10.3.3", NULL};
    static const char *const client_kp[] = {GNUTLS_KP_TLS_WWW_CLIENT, NULL};
    int server = purpose == TP_PURPOSE_SSL_SERVER;
    if (xku_reject(x, server ? server_kp : client_kp))
        return 0;
    if (require_ca)
        return ca != 0;
    unsigned ku = GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_KEY_AGREEMENT;
    if (server)
        ku |= GNUTLS_KEY_KEY_ENCIPHERMENT;
    return !tp_v_ku_reject(x, ku);
}

/* Extensions OpenSSL understands (X509_supported_extension); a critical
 * extension outside this list fails verification. */
static int unhandled_critical(gnutls_x509_crt_t x)
{
    static const char *const known[] = {
        "2.16.840.1.113730.1.1", /* nsCertType */
        "2.5.29.15",             /* keyUsage */
        "2.5.29.17",             /* subjectAltName */
        "2.5.29.19",             /* basicConstraints */
        "2.5.29.32",             /* certificatePolicies */
        "2.5.29.31",             /* cRLDistributionPoints */
        "2.5.29.37",             /* extKeyUsage */
        "1.3.6.1.5.5.7.1.7",     /* sbgp-ipAddrBlock */
        "1.3.6.1.5.5.7.1.8",     /* sbgp-autonomousSysNum */
        "1.3.6.1.5.5.7.48.1.5",  /* OCSP noCheck */
        "2.5.29.36",             /* policyConstraints */
        "1.3.6.1.5.5.7.1.14",    /* proxyCertInfo */
        "2.5.29.30",             /* nameConstraints */
        "2.5.29.33",             /* policyMappings */
        "2.5.29.54",             /* inhibitAnyPolicy */
        NULL};
    for (unsigned i = 0;; i++) {
        char oid[128];
        size_t sz = sizeof oid;
        unsigned crit = 0;
        int r = gnutls_x509_crt_get_extension_info(x, i, oid, &sz, &crit);
        if (r == GNUTLS_E_SHORT_MEMORY_BUFFER) {
            if (crit)
                return 1;
            continue;
        }
        if (r < 0)
            return 0;
        if (!crit)
            continue;
        int ok = 0;
        for (const char *const *k = known; *k && !ok; k++)
            ok = strcmp(oid, *k) == 0;
        if (!ok)
            return 1;
    }
}

/* OpenSSL's check_extensions(), leaf first. */
void tp_v_check_extensions(tp_vpath *p, tp_purpose purpose)
{
    int plen = 0;
    for (unsigned i = 0; i < p->len; i++) {
        gnutls_x509_crt_t x = p->crt[i];
        if (unhandled_critical(x))
            p->err = TP_V_UNHANDLED_CRITICAL_EXTENSION;
        int ca = 0;
        if (i > 0) {
            /* An intermediate must say CA:TRUE; the top may be a v1 root. */
            ca = check_ca(x);
            if (ca == 0 || (i + 1 < p->len && ca != 1))
                p->err = TP_V_INVALID_CA;
        }
        /* Trust-list certificates that are self-issued are trusted for any
         * purpose (OpenSSL's trust_compat); the rest must suit it. */
        int trusted_self = i >= p->num_untrusted && p->self[i];
        if (purpose != TP_PURPOSE_NONE && !trusted_self && !purpose_ok(x, purpose, i > 0, ca))
            p->err = TP_V_INVALID_PURPOSE;
        int pathlen = -1;
        unsigned ca_flag;
        if (gnutls_x509_crt_get_basic_constraints(x, NULL, &ca_flag, &pathlen) < 0)
            pathlen = -1;
        if (i > 1 && pathlen >= 0 && plen > pathlen)
            p->err = TP_V_PATH_LENGTH_EXCEEDED;
        if (i > 0 && !p->self[i])
            plen++;
    }
}

/* OpenSSL's check_auth_level() at Node's default security level 1: every
 * signature except the top's needs 80 bits of strength; OpenSSL 3.0 rates
 * SHA-1 at 63 and MD5 at 39. */
void tp_v_check_auth_level(tp_vpath *p)
{
    for (unsigned i = 0; i + 1 < p->len; i++) {
        int sign = gnutls_x509_crt_get_signature_algorithm(p->crt[i]);
        gnutls_digest_algorithm_t h = gnutls_sign_get_hash_algorithm((gnutls_sign_algorithm_t)sign);
        if (h == GNUTLS_DIG_SHA1 || h == GNUTLS_DIG_MD5 || h == GNUTLS_DIG_MD2)
            p->err = TP_V_CA_MD_TOO_WEAK;
    }
}

/* OpenSSL's x509_check_cert_time(). */
static void check_time(tp_vpath *p, gnutls_x509_crt_t x)
{
    time_t nb = gnutls_x509_crt_get_activation_time(x);
    time_t na = gnutls_x509_crt_get_expiration_time(x);
    if (nb != (time_t)-1 && nb > p->now)
        p->err = TP_V_CERT_NOT_YET_VALID;
    /* (time_t)-1 is also GnuTLS's answer for 99991231235959Z, "no expiry". */
    if (na != (time_t)-1 && na <= p->now)
        p->err = TP_V_CERT_HAS_EXPIRED;
}

/* OpenSSL's internal_verify(): from the top down, each certificate's
 * signature by the one above it, then its validity times. A top that is not
 * self-issued has no known issuer: its own times are not checked (unless it
 * is the only certificate, whose signature is then unverifiable). */
void tp_v_check_signatures_and_times(tp_vpath *p)
{
    int n = (int)p->len - 1;
    gnutls_x509_crt_t xi = p->crt[n], xs = xi;
    if (!p->self[n]) {
        if (n == 0) {
            p->err = TP_V_UNABLE_TO_VERIFY_LEAF_SIGNATURE;
            check_time(p, xi);
            return;
        }
        xs = p->crt[--n];
    }
    for (;;) {
        if (xs != xi) {
            if (tp_v_ku_reject(xi, GNUTLS_KEY_KEY_CERT_SIGN))
                p->err = TP_V_KEYUSAGE_NO_CERTSIGN;
            /* xs is crt[n], xi crt[n + 1]: GnuTLS may have checked it. */
            if (!p->sig_ok[n] && !tp_v_signature_ok(xs, xi))
                p->err = TP_V_CERT_SIGNATURE_FAILURE;
        }
        check_time(p, xs);
        if (--n < 0)
            break;
        xi = xs;
        xs = p->crt[n];
    }
}
