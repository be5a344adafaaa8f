/* Reading certificates from PEM as Node accepts them: the types
 * "CERTIFICATE", "X509 CERTIFICATE" and "TRUSTED CERTIFICATE" (OpenSSL's
 * form with trust settings appended, which GnuTLS does not read). */
#ifndef TLSPLUG_PEM_H
#define TLSPLUG_PEM_H

#include <gnutls/x509.h>
#include <stddef.h>
#include <stdint.h>

/* Import every certificate block of `pem`, in order; other blocks are
 * skipped. Answers 0 (the list is gnutls_free'd by the caller, each
 * certificate deinit'ed), or a GnuTLS error; no certificate at all is
 * GNUTLS_E_BASE64_DECODING_ERROR. */
int tp_pem_import_certs(const uint8_t *pem, size_t len, gnutls_x509_crt_t **out, unsigned *n);

#endif
