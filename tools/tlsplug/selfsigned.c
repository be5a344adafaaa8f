/* selfsigned: the throwaway certificate (see selfsigned.h). */
#include "selfsigned.h"

#include <arpa/inet.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The PEM export of `what` as a malloc'd C string; NULL on failure. */
static char *pem_string(const gnutls_datum_t *d)
{
    char *s = malloc(d->size + 1);
    if (s) {
        memcpy(s, d->data, d->size);
        s[d->size] = '\0';
    }
    return s;
}

static int add_ip(gnutls_x509_crt_t crt, int family, const char *text)
{
    unsigned char addr[16];
    if (inet_pton(family, text, addr) != 1)
        return GNUTLS_E_INVALID_REQUEST;
    return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, addr,
                                                family == AF_INET ? 4 : 16, GNUTLS_FSAN_APPEND);
}

int selfsigned_make(char **key_pem, char **cert_pem, char *err, size_t cap)
{
    gnutls_x509_privkey_t key = NULL;
    gnutls_x509_crt_t crt = NULL;
    gnutls_datum_t kd = {NULL, 0}, cd = {NULL, 0};
    unsigned char serial[16];
    time_t now = time(NULL);
    const char *step = "key";
    /* Each step runs only while the ones before succeeded. */
    int rc = gnutls_x509_privkey_init(&key);
    if (rc >= 0)
        rc = gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
                                          GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
    if (rc >= 0 && (step = "certificate", 1))
        rc = gnutls_x509_crt_init(&crt);
    if (rc >= 0)
        rc = gnutls_x509_crt_set_key(crt, key);
    if (rc >= 0)
        rc = gnutls_x509_crt_set_version(crt, 3);
    if (rc >= 0)
        rc = gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof serial);
    serial[0] &= 0x7f; /* a positive serial number */
    if (rc >= 0)
        rc = gnutls_x509_crt_set_serial(crt, serial, sizeof serial);
    if (rc >= 0)
        rc = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, "localhost", 9);
    if (rc >= 0)
        rc = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0,
                                           "tlsplug throwaway", 17);
    /* An hour of slack for clocks that disagree a little. */
    if (rc >= 0)
        rc = gnutls_x509_crt_set_activation_time(crt, now - 3600);
    if (rc >= 0)
        rc = gnutls_x509_crt_set_expiration_time(crt, now + 7 * 24 * 3600);
    if (rc >= 0)
        rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, "localhost", 9,
                                                  GNUTLS_FSAN_APPEND);
    if (rc >= 0)
        rc = add_ip(crt, AF_INET, "127.0.0.1");
    if (rc >= 0)
        rc = add_ip(crt, AF_INET6, "::1");
    /* Its own trust anchor when a client is given it with --ca: a CA
     * certificate is what both GnuTLS and OpenSSL accept as a root. */
    if (rc >= 0)
        rc = gnutls_x509_crt_set_basic_constraints(crt, 1, 0);
    if (rc >= 0)
        rc = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE |
                                                    GNUTLS_KEY_KEY_CERT_SIGN);
    if (rc >= 0)
        rc = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0);
    if (rc >= 0)
        rc = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0);
    if (rc >= 0 && (step = "export", 1))
        rc = gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN, &kd);
    if (rc >= 0)
        rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cd);
    if (rc >= 0) {
        *key_pem = pem_string(&kd);
        *cert_pem = pem_string(&cd);
        if (!*key_pem || !*cert_pem) {
            free(*key_pem);
            free(*cert_pem);
            rc = GNUTLS_E_MEMORY_ERROR;
        }
    }
    if (rc < 0)
        snprintf(err, cap, "making the throwaway %s: %s", step, gnutls_strerror(rc));
    gnutls_free(kd.data);
    gnutls_free(cd.data);
    gnutls_x509_crt_deinit(crt);
    gnutls_x509_privkey_deinit(key);
    return rc < 0 ? -1 : 0;
}
