/* Node's X509Certificate checks over a DER certificate: checkHost,
 * checkEmail, checkIP (GnuTLS's own matchers), checkIssued, verify. */
#include <arpa/inet.h>
#include <limits.h>
#include <string.h>

#include <gnutls/abstract.h>

#include "pem.h"
#include "socket.h"
#include "api_impl.h"

static int check_ip(gnutls_x509_crt_t crt, const char *text)
{
    unsigned char ip[16];
    if (inet_pton(AF_INET, text, ip) == 1)
        return gnutls_x509_crt_check_ip(crt, ip, 4, 0) ? 1 : 0;
    if (inet_pton(AF_INET6, text, ip) == 1)
        return gnutls_x509_crt_check_ip(crt, ip, 16, 0) ? 1 : 0;
    return -1;
}

int tp_api_x509_check(const uint8_t *der, size_t der_len, int kind, const char *value, int *match)
{
    if (!der || !value || !match)
        return TLSPLUG_E_INVAL;
    gnutls_x509_crt_t crt = tp_cert_import_der(der, der_len);
    if (!crt)
        return TLSPLUG_E_CREDENTIALS;
    int m = -1;
    switch (kind) {
    case TLSPLUG_X509_CHECK_HOST: m = gnutls_x509_crt_check_hostname2(crt, value, 0) ? 1 : 0; break;
    case TLSPLUG_X509_CHECK_EMAIL: m = gnutls_x509_crt_check_email(crt, value, 0) ? 1 : 0; break;
    case TLSPLUG_X509_CHECK_IP: m = check_ip(crt, value); break;
    default: break;
    }
    gnutls_x509_crt_deinit(crt);
    if (m < 0)
        return TLSPLUG_E_INVAL;
    *match = m;
    return TLSPLUG_OK;
}

int tp_api_x509_check_issued(const uint8_t *der, size_t der_len, const uint8_t *issuer,
                             size_t issuer_len, int *issued)
{
    if (!der || !issuer || !issued)
        return TLSPLUG_E_INVAL;
    gnutls_x509_crt_t crt = tp_cert_import_der(der, der_len);
    gnutls_x509_crt_t by = tp_cert_import_der(issuer, issuer_len);
    int rc = TLSPLUG_E_CREDENTIALS;
    if (crt && by) {
        *issued = gnutls_x509_crt_check_issuer(crt, by) ? 1 : 0;
        rc = TLSPLUG_OK;
    }
    if (crt)
        gnutls_x509_crt_deinit(crt);
    if (by)
        gnutls_x509_crt_deinit(by);
    return rc;
}

/* A public key from SubjectPublicKeyInfo or from a certificate, each PEM
 * or DER. */
static gnutls_pubkey_t import_key(const uint8_t *key, size_t len)
{
    gnutls_pubkey_t pub;
    if (len == 0 || len > UINT_MAX || gnutls_pubkey_init(&pub) < 0)
        return NULL;
    gnutls_datum_t d = {(unsigned char *)key, (unsigned)len};
    if (gnutls_pubkey_import(pub, &d, GNUTLS_X509_FMT_DER) == 0 ||
        gnutls_pubkey_import(pub, &d, GNUTLS_X509_FMT_PEM) == 0)
        return pub;
    gnutls_x509_crt_t crt;
    int ok = 0;
    if (gnutls_x509_crt_init(&crt) == 0) {
        ok = (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) == 0 ||
              gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) == 0) &&
             gnutls_pubkey_import_x509(pub, crt, 0) == 0;
        gnutls_x509_crt_deinit(crt);
    }
    if (ok)
        return pub;
    gnutls_pubkey_deinit(pub);
    return NULL;
}

int tp_api_x509_verify(const uint8_t *der, size_t der_len, const uint8_t *key, size_t key_len,
                       int *valid)
{
    if (!der || !key || !valid)
        return TLSPLUG_E_INVAL;
    gnutls_x509_crt_t crt = tp_cert_import_der(der, der_len);
    gnutls_pubkey_t pub = crt ? import_key(key, key_len) : NULL;
    int rc = TLSPLUG_E_CREDENTIALS;
    size_t outer_h;
    /* Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm,
     * signatureValue }: the signed bytes are tbsCertificate whole. */
    size_t outer = pub ? tp_der_sequence_len(der, der_len, &outer_h) : 0;
    size_t tbs = outer ? tp_der_sequence_len(der + outer_h, outer - outer_h, NULL) : 0;
    gnutls_datum_t sig = {NULL, 0};
    size_t sig_size = 0;
    if (tbs && gnutls_x509_crt_get_signature(crt, NULL, &sig_size) == GNUTLS_E_SHORT_MEMORY_BUFFER &&
        (sig.data = gnutls_malloc(sig_size)) &&
        gnutls_x509_crt_get_signature(crt, (char *)sig.data, &sig_size) == 0) {
        sig.size = (unsigned)sig_size;
        gnutls_datum_t data = {(unsigned char *)der + outer_h, (unsigned)tbs};
        int algo = gnutls_x509_crt_get_signature_algorithm(crt);
        *valid = gnutls_pubkey_verify_data2(pub, (gnutls_sign_algorithm_t)algo, 0, &data, &sig) >= 0;
        rc = TLSPLUG_OK;
    }
    gnutls_free(sig.data);
    if (pub)
        gnutls_pubkey_deinit(pub);
    if (crt)
        gnutls_x509_crt_deinit(crt);
    return rc;
}
