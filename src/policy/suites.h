/* Cipher suite names: GnuTLS negotiates by id; Node reports OpenSSL's name
 * and the IANA name. The table (suites_table.h) is generated at development
 * time by tools/gen_suites.py from `openssl ciphers` joined with GnuTLS's
 * suite list. */
#ifndef TLSPLUG_SUITES_H
#define TLSPLUG_SUITES_H

#include <gnutls/gnutls.h>
#include <stdint.h>

typedef struct tp_suite {
    uint8_t id[2];
    const char *openssl; /* OpenSSL's name; the IANA name for TLS 1.3 suites */
    const char *iana;    /* the IANA (RFC) name, Node's standardName */
    const char *version; /* its minimum protocol as OpenSSL names it, Node's version */
} tp_suite;

/* The suite with this id, or NULL when GnuTLS or OpenSSL does not know it. */
const tp_suite *tp_suite_by_id(uint8_t id0, uint8_t id1);

/* The suite negotiated on `s`, or NULL before the handshake. */
const tp_suite *tp_suite_of_session(gnutls_session_t s);

#endif
