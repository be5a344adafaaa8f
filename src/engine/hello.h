/* ClientHello reader for the server's hello hold.
 *
 * GnuTLS cannot park a handshake inside its callbacks (docs/GNUTLS.md,
 * "the hello hold"), so a server socket holds the client's first flight,
 * reads the ClientHello here, lets the host answer Node's async requests
 * (SNI, resumeSession, OCSPRequest), and only then lets GnuTLS see the
 * bytes. The reader never consumes input: GnuTLS later reads the very
 * bytes the client sent, and owns every verdict on them.
 *
 * The reader is incremental: each call walks only the records that
 * arrived since the last one, so a hello cut into many small records costs
 * time linear in its size. What it holds is capped (TP_HELLO_MAX_MESSAGE,
 * TP_HELLO_MAX_HELD); past a cap the bytes go to GnuTLS, which refuses
 * what it would refuse from any client.
 */
#ifndef TLSPLUG_HELLO_H
#define TLSPLUG_HELLO_H

#include <stddef.h>
#include <stdint.h>

/* The largest ClientHello message the reader joins (GnuTLS's own limit on
 * a handshake message it buffers is the same 128 KiB). */
#define TP_HELLO_MAX_MESSAGE (128u * 1024u)
/* The most ciphertext held before the hello is whole: the largest hello in
 * one-byte records (6 bytes each on the wire) fits. */
#define TP_HELLO_MAX_HELD (6u * TP_HELLO_MAX_MESSAGE + 5u)

enum tp_hello_status {
    TP_HELLO_MORE = 0,     /* a complete ClientHello has not arrived yet */
    TP_HELLO_DONE = 1,     /* parsed; fields below are set */
    TP_HELLO_PASS = 2,     /* not a ClientHello this reader takes (SSLv2 hello, garbage,
                              another record type first, over a cap): hand the bytes
                              to GnuTLS and let it judge */
    TP_HELLO_HTTP = 3,     /* a plain HTTP request (Node's ERR_SSL_HTTP_REQUEST) */
};

typedef struct tp_hello {
    /* What the ClientHello said, set when the reader answers DONE. */
    char servername[256];     /* SNI host_name, "" when absent */
    uint8_t session_id[32];   /* legacy_session_id */
    uint8_t session_id_len;
    uint8_t *suites;          /* cipher_suites as sent (2-byte ids), all of them */
    size_t suites_len;        /* in bytes */
    uint8_t alpn[256];        /* ALPN protocol_name_list as sent (len-prefixed names) */
    uint16_t alpn_len;        /* 0 when the client sent no ALPN */
    uint8_t status_request;   /* status_request (OCSP) extension present */
    uint8_t ticket;           /* non-empty session_ticket extension */
    uint8_t psk;              /* pre_shared_key extension (TLS 1.3 resumption) */
    uint8_t early_data;       /* early_data extension */
    uint8_t fallback_scsv;    /* TLS_FALLBACK_SCSV among the suites (RFC 7507) */
    uint16_t max_version;     /* highest version offered (supported_versions or legacy) */
    uint8_t versions;         /* versions offered: bit n = 0x0301 + n (TLS 1.n); from
                               * supported_versions, else TLS 1.0 up to the legacy one */
    uint8_t ffdhe;            /* supported_groups names an FFDHE group (RFC 7919) */

    /* The reader's state between calls. */
    size_t scanned;           /* input bytes walked: whole records only */
    uint8_t head[4];          /* the message's header, which may itself be cut */
    uint8_t *joined;          /* the message, when it spans records */
    size_t have;              /* message bytes seen so far */
    size_t want;              /* the message's length with its header; 0 while unknown */

    /* The server's questions to its host about this hello, in Node's order
     * (server_hello.c), and the answers GnuTLS's callbacks read during the
     * handshake; they go with the hello when the handshake ends. */
    uint8_t stage;            /* 0 SNI, 1 resumeSession, 2 OCSPRequest, 3 ALPN, 4 released */
    int awaiting_sni;         /* waiting for tlsplug_socket_sni_done() (the *_done
                               * functions take these flags' addresses) */
    int awaiting_resume;      /* waiting for tlsplug_socket_resume_session_done() */
    int awaiting_ocsp;        /* waiting for tlsplug_socket_ocsp_done() */
    int awaiting_alpn;        /* waiting for tlsplug_socket_alpn_callback_done() */
    struct tp_answer *resume_answer; /* the host's answer to resumeSession, or NULL */
    struct tp_answer *ocsp_answer;   /* the host's answer to OCSPRequest, or NULL */
} tp_hello;

/* Whether the hello offers a version in [lo, hi] (wire numbers, 0x0303 = TLS 1.2). */
int tp_hello_offers_version(const tp_hello *h, unsigned lo, unsigned hi);

/* A reader with nothing read; NULL when out of memory. */
tp_hello *tp_hello_new(void);
void tp_hello_free(tp_hello *h);

/* Read the held input `p`/`n`: everything the client sent so far, from
 * its first byte (the caller appends, never consumes, while it holds). */
enum tp_hello_status tp_hello_read(tp_hello *h, const uint8_t *p, size_t n);

#endif
