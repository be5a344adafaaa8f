/* Node's tls.rootCertificates: the certificates a context without `ca`
 * trusts, which for tlsplug is the system's trust store. */
#include <string.h>

#include <gnutls/x509.h>

#include "buf.h"
#include "error.h"
#include "tlsplug.h"
#include "api_impl.h"

/* Whether `der` is already among the certificates kept in `seen` (each
 * DER preceded by its length as a size_t). */
static int seen_before(const tp_buf *seen, const gnutls_datum_t *der)
{
    const uint8_t *p = tp_buf_peek(seen), *end = p + tp_buf_len(seen);
    while (p < end) {
        size_t n;
        memcpy(&n, p, sizeof n);
        p += sizeof n;
        if (n == der->size && memcmp(p, der->data, n) == 0)
            return 1;
        p += n;
    }
    return 0;
}

static int append_roots(gnutls_x509_trust_list_t list, tp_buf *pems)
{
    gnutls_x509_trust_list_iter_t iter = NULL;
    gnutls_x509_crt_t crt;
    tp_buf seen = {0};
    int rc = TLSPLUG_OK, err;
    while (rc == TLSPLUG_OK && (err = gnutls_x509_trust_list_iter_get_ca(list, &iter, &crt)) == 0) {
        gnutls_datum_t der = {NULL, 0}, pem = {NULL, 0};
        if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) < 0 ||
            gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &pem) < 0)
            rc = TLSPLUG_E_INTERNAL;
        else if (!seen_before(&seen, &der)) {
            size_t n = der.size;
            if (tp_buf_append(&seen, &n, sizeof n) || tp_buf_append(&seen, der.data, n) ||
                tp_buf_append(pems, pem.data, pem.size))
                rc = TLSPLUG_E_NOMEM;
        }
        gnutls_free(der.data);
        gnutls_free(pem.data);
        gnutls_x509_crt_deinit(crt);
    }
    gnutls_x509_trust_list_iter_deinit(iter);
    tp_buf_free(&seen);
    if (rc == TLSPLUG_OK && err != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
        rc = TLSPLUG_E_INTERNAL;
    return rc;
}

int tp_api_root_certificates(char *buf, size_t cap, size_t *len)
{
    if (!len || (cap && !buf))
        return TLSPLUG_E_INVAL;
    gnutls_x509_trust_list_t list;
    if (gnutls_x509_trust_list_init(&list, 0) < 0)
        return TLSPLUG_E_NOMEM;
    tp_buf pems = {0};
    int rc = gnutls_x509_trust_list_add_system_trust(list, 0, 0) < 0 ? TLSPLUG_E_INTERNAL
                                                                      : append_roots(list, &pems);
    gnutls_x509_trust_list_deinit(list, 1);
    if (rc == TLSPLUG_OK && tp_buf_append(&pems, "", 1))
        rc = TLSPLUG_E_NOMEM;
    if (rc == TLSPLUG_OK)
        rc = tp_copy_string((const char *)tp_buf_peek(&pems), buf, cap, len);
    tp_buf_free(&pems);
    return rc;
}
