/* Node's certificate object (tlsSocket.getPeerCertificate(), the
 * "Certificate Object" of the tls docs) built from a GnuTLS certificate,
 * as JSON, field by field as Node 20 / OpenSSL 3.0 make it
 * (src/crypto/crypto_common.cc X509ToObject; docs/GNUTLS.md, "Verification and certificates").
 *
 * Members, in Node's order (a member Node leaves undefined is left out):
 *   subject, issuer      objects in DER order; keys are OpenSSL's short names
 *                        (CN, O, OU, GN, SN, emailAddress, jurisdictionC, ...)
 *                        or the dotted OID; a key seen twice, in separate RDNs
 *                        or inside one multi-valued RDN, becomes an array
 *   subjectaltname       "DNS:a, IP Address:1.2.3.4, email:x, URI:y" (only
 *                        with the extension; null when it cannot be parsed)
 *   infoAccess           {"OCSP - URI": [...], "CA Issuers - URI": [...]}
 *   ca                   true only with basicConstraints CA:TRUE and, when
 *                        keyUsage is present, keyCertSign (X509_check_ca == 1)
 *   RSA keys:            modulus (uppercase hex), bits, exponent ("0x10001"),
 *                        pubkey (the SubjectPublicKeyInfo DER)
 *   EC keys:             bits, pubkey (the uncompressed point 04||X||Y),
 *                        asn1Curve ("prime256v1"), nistCurve ("P-256")
 *   valid_from, valid_to "Jan  1 00:00:00 2030 GMT"
 *   fingerprint, fingerprint256, fingerprint512   "AB:CD:..."
 *   ext_key_usage        ["1.3.6.1.5.5.7.3.1", ...] (only with the extension)
 *   serialNumber         uppercase hex, whole bytes (OpenSSL's BN_bn2hex)
 *   raw                  the certificate's DER
 *
 * Bytes: JSON has no byte strings, so `pubkey` and `raw` are base64 strings
 * (standard alphabet, padded); bindings turn them back into bytes.
 *
 * Text: strings are UTF-8 with JSON escapes for '"', '\\' and control
 * characters (as JSON.stringify writes them). DN values are converted as
 * OpenSSL's ASN1_STRING_to_UTF8 does (UTF8String as is; BMPString UCS-2;
 * UniversalString UCS-4; Printable, IA5, Teletex, Numeric, Visible and the
 * time types byte by byte as Latin-1). A byte that cannot be decoded for its
 * string type (invalid UTF-8 in a UTF8String; a BMPString of odd length or
 * with surrogates; a type OpenSSL cannot convert, whose bytes are all taken)
 * becomes the code point U+0000..U+00FF of the same value, so no byte is
 * lost; in other strings (subjectaltname) such a byte is written "\u00XX".
 * Node never shows such values (OpenSSL 3.0 refuses these certificates when
 * it parses them), so this is tlsplug's own rule.
 *
 * Known gaps (GnuTLS does not give what is needed): EC keys on curves GnuTLS
 * lacks (brainpool, secp256k1) come out without bits/pubkey/asn1Curve/
 * nistCurve; an otherName access location in infoAccess is "<unsupported>"
 * where Node names a few kinds (XmppAddr:..., GnuTLS keeps no type OID).
 */
#ifndef TLSPLUG_CERTOBJ_H
#define TLSPLUG_CERTOBJ_H

#include <gnutls/x509.h>

#include "buf.h"

/* Append the object for `crt` to `out`. With `open` set the closing '}' is
 * left off, so the caller can add members (issuerCertificate) and close it.
 * Answers TLSPLUG_OK, TLSPLUG_E_NOMEM or TLSPLUG_E_INTERNAL (the DER could
 * not be exported); on failure `out` may hold a partial object. */
int tp_certobj_json(gnutls_x509_crt_t crt, tp_buf *out, int open);

/* One field of the object, a TLSPLUG_CERT_* value, appended to `out` as
 * UTF-8 text (no NUL), or as DER for TLSPLUG_CERT_RAW. Answers TLSPLUG_OK,
 * TLSPLUG_E_UNAVAILABLE when the certificate lacks the field (no CN, no
 * subjectAltName), TLSPLUG_E_INVAL for an unknown field, TLSPLUG_E_NOMEM or
 * TLSPLUG_E_INTERNAL. */
int tp_certobj_field(gnutls_x509_crt_t crt, int field, tp_buf *out);

#endif
