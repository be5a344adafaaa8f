/* libFuzzer target: arbitrary bytes into the pump, through the public API.
 *
 * Built twice (tests/fuzz/CMakeLists.txt): FUZZ_CLIENT=0 feeds a fresh
 * server socket (the bytes are the client's first flight and what follows);
 * FUZZ_CLIENT=1 feeds a client socket that has sent its ClientHello (the
 * bytes are the server's answer).
 *
 * Input layout: byte 0 holds flags, byte 1 the chunking parameter, the rest
 * is the payload.
 *
 *   flags & 3     what is fed: 0 the payload as is; 1 a genuine first
 *                 flight (captured at start-up) with bytes XORed at
 *                 positions the payload names; 2 the genuine flight cut
 *                 short, then the payload; 3 the genuine flight, then the
 *                 payload
 *   flags & 4     read() delivery (no `data` callback)
 *   flags & 8     feed_eof once everything is fed
 *   flags & 16    the event queue instead of callbacks
 *   flags & 32    fixed chunks of (byte1 & 127) + 1 bytes
 *   flags & 64    chunk sizes 1..4096 from a PRNG seeded with byte1
 *   flags & 128   cleartext written before and between the feeds
 *
 * Besides memory errors (ASan, UBSan) the target aborts on broken
 * promises of the ABI: an undocumented status, a status that is not sticky
 * after a fatal error, a fatal error without Node's code, an event after
 * `close` or a second `error`, a state that contradicts itself.
 */
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tlsplug.h"

#ifndef FUZZ_CLIENT
#define FUZZ_CLIENT 0
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_ASSERT(cond)                                                                      \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "fuzz_pump: %s:%d: broken promise: %s\n", __FILE__, __LINE__,   \
                    #cond);                                                                  \
            abort();                                                                         \
        }                                                                                    \
    } while (0)

#define FZ_OK(expr) FZ_ASSERT((expr) == TLSPLUG_OK)

static tlsplug_context *server_ctx, *client_ctx;
static uint8_t *tpl; /* the genuine first flight the victim expects */
static size_t tpl_len;

/* ---- start-up: credentials and the genuine flights ------------------------ */

static void make_credentials(gnutls_datum_t *key_pem, gnutls_datum_t *cert_pem)
{
    gnutls_x509_privkey_t key;
    gnutls_x509_crt_t crt;
    FZ_ASSERT(gnutls_x509_privkey_init(&key) == 0);
    unsigned bits = GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1);
    FZ_ASSERT(gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA, bits, 0) == 0);
    FZ_ASSERT(gnutls_x509_crt_init(&crt) == 0);
    time_t now = time(NULL);
    unsigned char serial = 1;
    FZ_ASSERT(gnutls_x509_crt_set_version(crt, 3) == 0);
    FZ_ASSERT(gnutls_x509_crt_set_serial(crt, &serial, 1) == 0);
    FZ_ASSERT(gnutls_x509_crt_set_activation_time(crt, now - 3600) == 0);
    FZ_ASSERT(gnutls_x509_crt_set_expiration_time(crt, now + 86400) == 0);
    FZ_ASSERT(gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, "localhost",
                                            9) == 0);
    FZ_ASSERT(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, "localhost", 9,
                                                   GNUTLS_FSAN_SET) == 0);
    FZ_ASSERT(gnutls_x509_crt_set_key(crt, key) == 0);
    FZ_ASSERT(gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0) == 0);
    FZ_ASSERT(gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, key_pem) == 0);
    FZ_ASSERT(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, cert_pem) == 0);
    gnutls_x509_crt_deinit(crt);
    gnutls_x509_privkey_deinit(key);
}

static uint8_t *take_output(tlsplug_socket *s, size_t *len)
{
    FZ_OK(tlsplug_socket_pending_output(s, len));
    uint8_t *buf = malloc(*len ? *len : 1);
    FZ_ASSERT(buf);
    size_t got = 0;
    if (*len)
        FZ_OK(tlsplug_socket_pull(s, buf, *len, &got));
    FZ_ASSERT(got == *len);
    return buf;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    gnutls_datum_t key, cert;
    make_credentials(&key, &cert);
    FZ_OK(tlsplug_context_new(&server_ctx));
    FZ_OK(tlsplug_context_add_key(server_ctx, key.data, key.size, NULL));
    FZ_OK(tlsplug_context_add_cert(server_ctx, cert.data, cert.size));
    FZ_OK(tlsplug_context_new(&client_ctx));
    FZ_OK(tlsplug_context_add_ca(client_ctx, cert.data, cert.size));
    gnutls_free(key.data);
    gnutls_free(cert.data);

    /* One genuine exchange: the ClientHello, and the server's answer. */
    tlsplug_socket *c, *s;
    FZ_OK(tlsplug_socket_new(client_ctx, TLSPLUG_ROLE_CLIENT, &c));
    FZ_OK(tlsplug_socket_new(server_ctx, TLSPLUG_ROLE_SERVER, &s));
    FZ_OK(tlsplug_socket_set_servername(c, "localhost"));
    FZ_OK(tlsplug_socket_start(c));
    FZ_OK(tlsplug_socket_start(s));
    size_t hello_len, flight_len;
    uint8_t *hello = take_output(c, &hello_len);
    FZ_OK(tlsplug_socket_feed(s, hello, hello_len));
    uint8_t *flight = take_output(s, &flight_len);
    FZ_ASSERT(hello_len > 0 && flight_len > 0);
    if (FUZZ_CLIENT) {
        tpl = flight, tpl_len = flight_len;
        free(hello);
    } else {
        tpl = hello, tpl_len = hello_len;
        free(flight);
    }
    FZ_OK(tlsplug_socket_free(c));
    FZ_OK(tlsplug_socket_free(s));
    return 0;
}

/* ---- one run ------------------------------------------------------------- */

typedef struct run {
    tlsplug_socket *sock;
    int closed, errors, secure;
    int fatal; /* the sticky status, once a call answered one */
    uint8_t buf[16384];
} run;

static void on_event(uintptr_t ud, void *source, int event, void *subject, const uint8_t *data,
                     size_t len)
{
    run *r = (run *)ud;
    FZ_ASSERT(source == r->sock && subject == NULL);
    FZ_ASSERT(!r->closed); /* nothing after `close` */
    switch (event) {
    case TLSPLUG_EV_SECURE_CONNECT:
    case TLSPLUG_EV_SECURE:
        FZ_ASSERT(event == (FUZZ_CLIENT ? TLSPLUG_EV_SECURE_CONNECT : TLSPLUG_EV_SECURE));
        FZ_ASSERT(r->secure++ == 0);
        break;
    case TLSPLUG_EV_DATA:
        FZ_ASSERT(data && len > 0 && r->secure);
        break;
    case TLSPLUG_EV_ERROR:
        FZ_ASSERT(r->errors++ == 0);
        FZ_ASSERT(data && len > 0);
        break;
    case TLSPLUG_EV_CLOSE:
        FZ_ASSERT(len == 1 && data && data[0] == (r->errors > 0));
        r->closed = 1;
        break;
    case TLSPLUG_EV_END:
        FZ_ASSERT(len == 0);
        break;
    default:
        FZ_ASSERT(0 && "unknown event");
    }
}

static int is_status(int rc)
{
    return rc == TLSPLUG_OK || rc == TLSPLUG_E_TLS || rc == TLSPLUG_E_VERIFY ||
           rc == TLSPLUG_E_CLOSED || rc == TLSPLUG_E_AGAIN;
}

/* After any pump call: the status is one the header allows, a fatal one
 * carries Node's code and stays. */
static void check_status(run *r, int rc)
{
    FZ_ASSERT(is_status(rc));
    if (rc == TLSPLUG_E_TLS || rc == TLSPLUG_E_VERIFY) {
        FZ_ASSERT(!r->fatal || r->fatal == rc);
        r->fatal = rc;
        char code[64];
        size_t n = 0;
        FZ_OK(tlsplug_error_get(r->sock, TLSPLUG_ERROR_CODE, code, sizeof code, &n));
        FZ_ASSERT(n > 0 && (strncmp(code, "ERR_", 4) == 0 || strcmp(code, "ECONNRESET") == 0 ||
                            strncmp(code, "CERT_", 5) == 0 || strstr(code, "CERT")));
    } else if (r->fatal) {
        FZ_ASSERT(rc == r->fatal || rc == TLSPLUG_E_AGAIN); /* sticky (pull may say E_AGAIN) */
    }
    unsigned f = 0;
    FZ_OK(tlsplug_socket_state(r->sock, &f));
    if (f & TLSPLUG_STATE_ERROR)
        FZ_ASSERT(f & TLSPLUG_STATE_CLOSED);
    if (f & TLSPLUG_STATE_CLOSED)
        FZ_ASSERT(!(f & (TLSPLUG_STATE_WANT_INPUT | TLSPLUG_STATE_READABLE |
                         TLSPLUG_STATE_WRITABLE | TLSPLUG_STATE_HANDSHAKING)));
}

/* Drain the output (pull or peek+consume) and, in read mode, the cleartext. */
static void service(run *r, int read_mode, unsigned *rng)
{
    for (int i = 0; i < 1000; i++) {
        size_t n = 0;
        *rng = *rng * 1103515245u + 12345u;
        if (*rng & 0x10000) {
            int rc = tlsplug_socket_pull(r->sock, r->buf, 1 + (*rng >> 20) % sizeof r->buf, &n);
            if (rc == TLSPLUG_E_AGAIN)
                break;
            FZ_OK(rc);
        } else {
            const uint8_t *view;
            int rc = tlsplug_socket_peek_output(r->sock, &view, &n);
            if (rc == TLSPLUG_E_AGAIN)
                break;
            FZ_OK(rc);
            FZ_ASSERT(n > 0);
            FZ_OK(tlsplug_socket_consume_output(r->sock, n));
        }
    }
    if (!read_mode)
        return;
    for (int i = 0; i < 100000; i++) {
        unsigned f = 0;
        FZ_OK(tlsplug_socket_state(r->sock, &f));
        if (!(f & TLSPLUG_STATE_READABLE))
            break;
        size_t n = 0;
        int rc = tlsplug_socket_read(r->sock, r->buf, sizeof r->buf, &n);
        check_status(r, rc);
        if (rc != TLSPLUG_OK || n == 0)
            break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    unsigned flags = data[0], chunk = data[1];
    const uint8_t *payload = data + 2;
    size_t plen = size - 2;
    int read_mode = (flags & 4) != 0;

    /* What is fed. */
    uint8_t *stream = NULL;
    size_t slen = 0;
    switch (flags & 3) {
    case 0:
        stream = malloc(plen ? plen : 1);
        memcpy(stream, payload, plen);
        slen = plen;
        break;
    case 1: /* XOR patches: (offset hi, offset lo, mask) triples */
        stream = malloc(tpl_len);
        memcpy(stream, tpl, tpl_len);
        slen = tpl_len;
        for (size_t i = 0; i + 3 <= plen; i += 3)
            stream[((size_t)payload[i] << 8 | payload[i + 1]) % tpl_len] ^= payload[i + 2];
        break;
    default: { /* the genuine flight, cut (2) or whole (3), then the payload */
        size_t cut = tpl_len;
        if ((flags & 3) == 2 && plen >= 2) {
            cut = ((size_t)payload[0] << 8 | payload[1]) % tpl_len;
            payload += 2, plen -= 2;
        }
        stream = malloc(cut + plen + 1);
        memcpy(stream, tpl, cut);
        memcpy(stream + cut, payload, plen);
        slen = cut + plen;
        break;
    }
    }
    FZ_ASSERT(stream);

    static run r;
    memset(&r, 0, sizeof r);
    FZ_OK(tlsplug_socket_new(FUZZ_CLIENT ? client_ctx : server_ctx,
                             FUZZ_CLIENT ? TLSPLUG_ROLE_CLIENT : TLSPLUG_ROLE_SERVER, &r.sock));
    if (flags & 16) {
        FZ_OK(tlsplug_socket_set_event_queue(r.sock, 1));
    } else {
        for (int ev = TLSPLUG_EV_SECURE_CONNECT; ev <= TLSPLUG_EV_ERROR; ev++)
            if (!(ev == TLSPLUG_EV_DATA && read_mode))
                FZ_OK(tlsplug_socket_on(r.sock, ev, on_event, (uintptr_t)&r));
    }
    if (FUZZ_CLIENT) {
        FZ_OK(tlsplug_socket_set_servername(r.sock, "localhost"));
        FZ_OK(tlsplug_socket_set_reject_unauthorized(r.sock, chunk & 1));
    }
    static const uint8_t hello[] = "hello from the fuzzer";
    if (flags & 128)
        FZ_OK(tlsplug_socket_write(r.sock, hello, sizeof hello));
    FZ_OK(tlsplug_socket_start(r.sock));
    unsigned rng = chunk;
    service(&r, read_mode, &rng); /* the client's ClientHello goes nowhere */

    size_t off = 0;
    while (off < slen) {
        size_t n = slen - off;
        if (flags & 32) {
            n = (chunk & 127) + 1u;
        } else if (flags & 64) {
            rng = rng * 1103515245u + 12345u;
            n = 1 + (rng >> 16) % 4096;
        }
        if (n > slen - off)
            n = slen - off;
        int rc = tlsplug_socket_feed(r.sock, stream + off, n);
        check_status(&r, rc);
        off += n;
        if (rc != TLSPLUG_OK)
            break;
        if (flags & 128) {
            rc = tlsplug_socket_write(r.sock, stream + off - n, n);
            check_status(&r, rc);
        }
        service(&r, read_mode, &rng);
    }
    if (flags & 8)
        check_status(&r, tlsplug_socket_feed_eof(r.sock));
    service(&r, read_mode, &rng);
    if (r.fatal) {
        /* Sticky, whatever comes next. */
        uint8_t b = 0;
        check_status(&r, tlsplug_socket_feed(r.sock, &b, 1));
        check_status(&r, tlsplug_socket_write(r.sock, &b, 1));
        check_status(&r, tlsplug_socket_end(r.sock));
    }

    /* The getters answer something documented whatever the state. */
    char text[256];
    size_t n = 0;
    int iv = 0;
    int rc = tlsplug_socket_get_protocol(r.sock, text, sizeof text, &n);
    FZ_ASSERT(rc == TLSPLUG_OK || rc == TLSPLUG_E_UNAVAILABLE);
    rc = tlsplug_socket_get_cipher(r.sock, TLSPLUG_CIPHER_NAME, text, sizeof text, &n);
    FZ_ASSERT(rc == TLSPLUG_OK || rc == TLSPLUG_E_UNAVAILABLE);
    rc = tlsplug_socket_get_servername(r.sock, text, sizeof text, &n);
    FZ_ASSERT(rc == TLSPLUG_OK || rc == TLSPLUG_E_UNAVAILABLE);
    rc = tlsplug_socket_authorization_error(r.sock, text, sizeof text, &n);
    FZ_ASSERT(rc == TLSPLUG_OK || rc == TLSPLUG_E_UNAVAILABLE);
    FZ_OK(tlsplug_socket_authorized(r.sock, &iv));

    /* A polite end, then a hard one; the queue, drained. */
    rc = tlsplug_socket_end(r.sock);
    FZ_ASSERT(rc == TLSPLUG_OK || rc == r.fatal);
    service(&r, read_mode, &rng);
    FZ_OK(tlsplug_socket_destroy(r.sock, NULL, NULL));
    for (int i = 0; i < 64; i++) {
        int ev = 0;
        if (tlsplug_socket_next_event(r.sock, &ev, (uint8_t *)text, sizeof text, &n) != TLSPLUG_OK)
            break;
        FZ_ASSERT(ev >= TLSPLUG_EV_SECURE_CONNECT && ev <= TLSPLUG_EV_ERROR &&
                  ev != TLSPLUG_EV_DATA);
    }
    FZ_OK(tlsplug_socket_free(r.sock));
    free(stream);
    return 0;
}
