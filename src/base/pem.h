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

/* The length of the DER SEQUENCE at the start of `p` (header included),
 * or 0 when it is not one; `header` (optional) gets the header's length.
 * OpenSSL's TRUSTED CERTIFICATE is the certificate's DER followed by its
 * trust settings; a certificate's signed part is the SEQUENCE inside. */
size_t tp_der_sequence_len(const uint8_t *p, size_t n, size_t *header);

#endif
