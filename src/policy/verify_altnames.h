/* A certificate's subject alternative names and subject CNs, as Node 20
 * shows them in the peer certificate object (docs/GNUTLS.md, "Verification and certificates"): the
 * `subjectaltname` string ("DNS:a, IP Address:1.2.3.4, ...", with Node's
 * JSON-style quoting of unsafe names) and `subject.CN`. identity.c checks
 * hostnames against them; the peer-certificate code can reuse them. */
#ifndef TLSPLUG_VERIFY_ALTNAMES_H
#define TLSPLUG_VERIFY_ALTNAMES_H

#include <gnutls/x509.h>
#include <stddef.h>

#include "buf.h"

typedef struct tp_name {
    unsigned type; /* GNUTLS_SAN_* (DNS, IP, ...); 0 for a subject CN */
    unsigned char *data;
    size_t len; /* DNS/email/URI/CN: the text (may hold any byte); IP: 4 or 16 bytes */
} tp_name;

typedef struct tp_names {
    int has_san;   /* the certificate has a subjectAltName extension */
    tp_buf text;   /* Node's `subjectaltname`, NUL-terminated when has_san */
    tp_name *san;  /* the entries, in certificate order */
    unsigned nsan;
    tp_name *cn;   /* subject CN values, in DN order, as UTF-8 */
    unsigned ncn;
} tp_names;

/* Fill `out` from `crt`; 0, or -1 when out of memory (out is then freed). */
int tp_names_get(gnutls_x509_crt_t crt, tp_names *out);

/* What a host-name match reads, and only that: the DNS and IP entries (in
 * certificate order) and the subject CNs; no `text`, and has_san is not
 * set. Taken from GnuTLS's parse of the certificate, without decoding the
 * extension again. 0, or -1 when tp_names_get() is needed (out is then
 * freed). */
int tp_names_get_matchable(gnutls_x509_crt_t crt, tp_names *out);
void tp_names_free(tp_names *n);

#endif
