/* ClientHello pre-parser.
 *
 * GnuTLS cannot park a handshake inside its callbacks (GNUTLS_MAP.md
 * section 0), so a server socket holds the client's first flight, reads the
 * ClientHello here, lets the host answer Node's async requests (SNI,
 * resumeSession, OCSPRequest), and only then lets GnuTLS see the bytes.
 * The parser never consumes input; it reads what has been fed so far.
 */
#ifndef TLSPLUG_HELLO_H
#define TLSPLUG_HELLO_H

#include <stddef.h>
#include <stdint.h>

enum tp_hello_status {
    TP_HELLO_MORE = 0,     /* a complete ClientHello has not arrived yet */
    TP_HELLO_DONE = 1,     /* parsed; fields below are set */
    TP_HELLO_PASS = 2,     /* not a parseable TLS ClientHello (SSLv2 hello, garbage):
                              hand the bytes to GnuTLS and let it judge */
    TP_HELLO_HTTP = 3,     /* a plain HTTP request (Node's ERR_SSL_HTTP_REQUEST) */
};

typedef struct tp_hello {
    char servername[256];     /* SNI host_name, "" when absent */
    uint8_t session_id[32];   /* legacy_session_id */
    uint8_t session_id_len;
    uint8_t suites[512];      /* cipher_suites as sent (2-byte ids), cut at 256 suites */
    uint16_t suites_len;
    uint8_t alpn[256];        /* ALPN protocol_name_list as sent (len-prefixed names) */
    uint16_t alpn_len;        /* 0 when the client sent no ALPN */
    uint8_t status_request;   /* status_request (OCSP) extension present */
    uint8_t ticket;           /* non-empty session_ticket extension */
    uint8_t psk;              /* pre_shared_key extension (TLS 1.3 resumption) */
    uint8_t early_data;       /* early_data extension */
    uint16_t max_version;     /* highest version offered (supported_versions or legacy) */
} tp_hello;

/* Parse the start of a client's first flight. */
enum tp_hello_status tp_hello_parse(const uint8_t *p, size_t n, tp_hello *out);

#endif
