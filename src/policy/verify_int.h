/* Internals shared by verify.c (path building, the entry point) and
 * verify_checks.c / verify_crl.c (OpenSSL's checks, replayed in its order). */
#ifndef TLSPLUG_VERIFY_INT_H
#define TLSPLUG_VERIFY_INT_H

#include "verify.h"

/* OpenSSL's X509_V_ERR_* that the replay can find; verify.c holds the code
 * and message Node shows for each. */
typedef enum tp_verr {
    TP_V_OK = 0,
    TP_V_UNABLE_TO_GET_ISSUER_CERT,
    TP_V_UNABLE_TO_GET_CRL,
    TP_V_CERT_SIGNATURE_FAILURE,
    TP_V_CRL_SIGNATURE_FAILURE,
    TP_V_CERT_NOT_YET_VALID,
    TP_V_CERT_HAS_EXPIRED,
    TP_V_CRL_NOT_YET_VALID,
    TP_V_CRL_HAS_EXPIRED,
    TP_V_DEPTH_ZERO_SELF_SIGNED_CERT,
    TP_V_SELF_SIGNED_CERT_IN_CHAIN,
    TP_V_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
    TP_V_UNABLE_TO_VERIFY_LEAF_SIGNATURE,
    TP_V_CERT_REVOKED,
    TP_V_INVALID_CA,
    TP_V_PATH_LENGTH_EXCEEDED,
    TP_V_INVALID_PURPOSE,
    TP_V_CERT_REJECTED,
    /* Codes Node has no name for: it reports them as UNSPECIFIED. */
    TP_V_KEYUSAGE_NO_CERTSIGN,
    TP_V_KEYUSAGE_NO_CRL_SIGN,
    TP_V_UNHANDLED_CRITICAL_EXTENSION,
    TP_V_CA_MD_TOO_WEAK,
    TP_V_PERMITTED_VIOLATION
} tp_verr;

/* GnuTLS's DEFAULT_MAX_VERIFY_DEPTH; OpenSSL's default depth is larger, but
 * a peer never needs more. */
#define TP_VERIFY_MAX_DEPTH 16

/* The path OpenSSL would build: crt[0] is the leaf; crt[0..num_untrusted)
 * came from the peer, the rest from the trust list. */
typedef struct tp_vpath {
    gnutls_x509_crt_t crt[TP_VERIFY_MAX_DEPTH];
    /* tp_v_self_issued(crt[i]), worked out once as the path is built: the
     * stages ask it often, and each answer parses names and key ids. */
    unsigned char self[TP_VERIFY_MAX_DEPTH];
    /* crt[i]'s issuer name is its own subject name, as GnuTLS compares
     * names (self-issued, or not only for want of matching key ids). */
    unsigned char self_named[TP_VERIFY_MAX_DEPTH];
    /* crt[i]'s signature by crt[i + 1] is known good: GnuTLS's own
     * verification checked exactly that pair (verify.c), so the replay
     * need not check it again. */
    unsigned char sig_ok[TP_VERIFY_MAX_DEPTH];
    unsigned len;
    unsigned num_untrusted;
    time_t now;
    tp_verr err; /* the last error found so far: the one Node reports */
} tp_vpath;

/* Helpers over GnuTLS's accessors (verify_checks.c). */
int tp_v_self_issued(gnutls_x509_crt_t x);
/* tp_v_self_issued(), also setting *named to 1 when x's issuer name is its
 * subject name as GnuTLS compares names (or that could not be ruled out). */
int tp_v_self_issued_named(gnutls_x509_crt_t x, int *named);
/* 1 when x has a keyUsage extension that allows none of `mask` (GNUTLS_KEY_*). */
int tp_v_ku_reject(gnutls_x509_crt_t x, unsigned mask);
/* 1 when `sub`'s signature verifies with `iss`'s key. */
int tp_v_signature_ok(gnutls_x509_crt_t sub, gnutls_x509_crt_t iss);
/* 1 when a and b (raw DER DNs) are identical. */
int tp_v_same_dn(const gnutls_datum_t *a, const gnutls_datum_t *b);

/* OpenSSL's stages, each recording errors into p->err in OpenSSL's order. */
void tp_v_check_extensions(tp_vpath *p, tp_purpose purpose);
void tp_v_check_auth_level(tp_vpath *p);
void tp_v_check_revocation(tp_vpath *p, const gnutls_x509_crl_t *crls, unsigned ncrls);
void tp_v_check_signatures_and_times(tp_vpath *p);

#endif
