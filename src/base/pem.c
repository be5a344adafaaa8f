/* PEM certificate blocks of the three types Node accepts (see pem.h). */
#include "pem.h"

#include <gnutls/gnutls.h>
#include <string.h>

size_t tp_der_sequence_len(const uint8_t *p, size_t n, size_t *header)
{
    if (n < 2 || p[0] != 0x30)
        return 0;
    size_t len = p[1], hdr = 2;
    if (len & 0x80) {
        size_t bytes = len & 0x7f;
        if (bytes == 0 || bytes > 4 || n < 2 + bytes)
            return 0;
        len = 0;
        for (size_t i = 0; i < bytes; i++)
            len = (len << 8) | p[2 + i];
        hdr += bytes;
    }
    if (header)
        *header = hdr;
    return hdr + len <= n ? hdr + len : 0;
}

static const char *find(const uint8_t *p, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (p[i] == (uint8_t)needle[0] && memcmp(p + i, needle, k) == 0)
            return (const char *)p + i;
    return NULL;
}

static int append(gnutls_x509_crt_t **list, unsigned *n, const gnutls_datum_t *der)
{
    gnutls_x509_crt_t crt;
    int err = gnutls_x509_crt_init(&crt);
    if (err < 0)
        return err;
    if ((err = gnutls_x509_crt_import(crt, der, GNUTLS_X509_FMT_DER)) < 0) {
        gnutls_x509_crt_deinit(crt);
        return err;
    }
    gnutls_x509_crt_t *grown = gnutls_realloc(*list, (*n + 1) * sizeof *grown);
    if (!grown) {
        gnutls_x509_crt_deinit(crt);
        return GNUTLS_E_MEMORY_ERROR;
    }
    grown[(*n)++] = crt;
    *list = grown;
    return 0;
}

int tp_pem_import_certs(const uint8_t *pem, size_t len, gnutls_x509_crt_t **out, unsigned *n)
{
    static const char *const types[] = {"TRUSTED CERTIFICATE", "X509 CERTIFICATE", "CERTIFICATE"};
    gnutls_x509_crt_t *list = NULL;
    unsigned count = 0;
    int err = 0;
    const uint8_t *p = pem, *end = pem + len;
    const char *begin;
    while (err == 0 && (begin = find(p, (size_t)(end - p), "-----BEGIN ")) != NULL) {
        const uint8_t *label = (const uint8_t *)begin + 11;
        const char *type = NULL;
        for (size_t i = 0; i < 3 && !type; i++) {
            size_t k = strlen(types[i]);
            if ((size_t)(end - label) >= k + 5 && memcmp(label, types[i], k) == 0 &&
                memcmp(label + k, "-----", 5) == 0)
                type = types[i];
        }
        const char *stop = find(label, (size_t)(end - label), "-----END ");
        if (!stop)
            break;
        const uint8_t *next = (const uint8_t *)stop + 9;
        while (next < end && *next != '\n')
            next++;
        if (type) {
            gnutls_datum_t block = {(unsigned char *)begin, (unsigned)(next - (const uint8_t *)begin)};
            gnutls_datum_t der = {NULL, 0};
            err = gnutls_pem_base64_decode2(type, &block, &der);
            if (err == 0) {
                gnutls_datum_t cert = {der.data, (unsigned)tp_der_sequence_len(der.data, der.size, NULL)};
                err = cert.size ? append(&list, &count, &cert) : GNUTLS_E_ASN1_DER_ERROR;
                gnutls_free(der.data);
            }
        }
        p = next;
    }
    if (err == 0 && count == 0)
        err = GNUTLS_E_BASE64_DECODING_ERROR;
    if (err < 0) {
        for (unsigned i = 0; i < count; i++)
            gnutls_x509_crt_deinit(list[i]);
        gnutls_free(list);
        return err;
    }
    *out = list;
    *n = count;
    return 0;
}
