/* Bad input from the network ends in `error` with a clear Node code, then
 * `close` with hadError 1; the feed answers TLSPLUG_E_TLS and the failure
 * is sticky. Never a crash, never a hang.
 *
 *  - seeded random garbage (several hundred inputs) to a fresh server and
 *    to a client waiting for the ServerHello: ERR_SSL_*;
 *  - a plain HTTP request to a server: ERR_SSL_HTTP_REQUEST; an HTTP
 *    response to a client: ERR_SSL_WRONG_VERSION_NUMBER;
 *  - one byte of an application record flipped in flight:
 *    ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC on the receiver, which
 *    sends bad_record_mac; any byte of a record flipped: an error, and not
 *    one corrupted byte delivered.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pair.h"

#define GARBAGE_RUNS (T_SANITIZE ? 300 : 1000) /* per side */
#define GARBAGE_LIMIT (256 * 1024) /* more than any record or ClientHello may claim */

static int is_ssl_code(const char *code)
{
    return strncmp(code, "ERR_SSL_", 8) == 0;
}

/* A fresh pair with only `victim`'s role started; a client victim has sent
 * its ClientHello (dropped) and waits for the server. */
static pt_side *victim_of(pt_pair *p, int client, uint64_t seed)
{
    pt_pair_new(p, PT_CLIENT, PT_SERVER, (int)(seed & 1), seed);
    pt_side *v = client ? &p->c : &p->s;
    CHECK_OK(tlsplug_socket_start(v->sock));
    pt_discard_output(v);
    p->frag.max_feed = t_rng_range(&p->rng, 1, 64);
    return v;
}

/* Feed garbage until the victim fails; answers how many bytes it took. */
static size_t feed_garbage(pt_pair *p, pt_side *v, uint8_t *buf, size_t n, int *used_eof)
{
    size_t total = 0;
    int rc = TLSPLUG_OK;
    *used_eof = 0;
    while (rc == TLSPLUG_OK && total < GARBAGE_LIMIT) {
        rc = pt_feed(p, v, buf, n);
        total += n;
        n = t_rng_range(&p->rng, 1, 4096);
        t_rng_bytes(&p->rng, buf, n);
    }
    if (rc == TLSPLUG_OK) {
        /* Still waiting for a long record: the transport ends. */
        *used_eof = 1;
        rc = tlsplug_socket_feed_eof(v->sock);
    }
    CHECKF(rc == TLSPLUG_E_TLS, "%s: garbage answered %s (events %s)", v->name,
           tlsplug_status_name(rc), pt_log(v));
    return total;
}

/* Which codes the garbage produced, for the log. */
typedef struct tally {
    char code[12][64];
    int count[12];
    int n;
} tally;

static void tally_add(tally *t, const char *code)
{
    int i = 0;
    while (i < t->n && strcmp(t->code[i], code) != 0)
        i++;
    if (i == t->n) {
        if (t->n == 12)
            return;
        snprintf(t->code[t->n++], sizeof t->code[0], "%s", code);
    }
    t->count[i]++;
}

static void tally_print(const tally *t)
{
    for (int i = 0; i < t->n; i++)
        printf("      %5d %s\n", t->count[i], t->code[i]);
}

static void garbage(int client)
{
    tally codes = {0};
    t_rng rng;
    t_rng_seed(&rng, t_seed() ^ (client ? 0xc11e : 0x5e7e));
    uint8_t *buf = malloc(4096);
    CHECK(buf);
    int eofs = 0;
    for (int i = 0; i < GARBAGE_RUNS; i++) {
        uint64_t seed = t_rng_next(&rng);
        t_case("garbage #%d to the %s (seed %llu)", i, client ? "client" : "server",
               (unsigned long long)seed);
        pt_pair p;
        pt_side *v = victim_of(&p, client, seed);
        size_t n = t_rng_range(&p.rng, 1, 2048);
        t_rng_bytes(&p.rng, buf, n);
        /* Some inputs start like a TLS record, to get past the first checks. */
        static const uint8_t hello_head[] = {22, 3, 1, 0, 64, 1}; /* record + ClientHello type */
        if (i % 4 == 1) {
            buf[0] = 22; /* a handshake record, any version */
            if (n > 2)
                buf[1] = 3, buf[2] = (uint8_t)(i % 5);
        } else if (i % 4 == 2 && n > sizeof hello_head) {
            memcpy(buf, hello_head, sizeof hello_head);
        } else if (i % 4 == 3) {
            buf[0] |= 0x80; /* an SSLv2-style header */
        }
        int used_eof = 0;
        feed_garbage(&p, v, buf, n, &used_eof);
        eofs += used_eof;
        CHECKF(is_ssl_code(v->error_code) || (used_eof && !strcmp(v->error_code, "ECONNRESET")),
               "%s: garbage gave error code \"%s\"", v->name, v->error_code);
        pt_expect_fatal(v, TLSPLUG_E_TLS, NULL);
        CHECK(v->counts[TLSPLUG_EV_SECURE] + v->counts[TLSPLUG_EV_SECURE_CONNECT] == 0);
        tally_add(&codes, v->error_code);
        pt_pair_free(&p);
    }
    free(buf);
    printf("  %d garbage inputs to the %s: all failed cleanly (%d needed the transport's end)\n",
           GARBAGE_RUNS, client ? "client" : "server", eofs);
    tally_print(&codes);
}

static void plaintext(int client, const char *text, const char *code, size_t max_feed)
{
    t_case("\"%.*s\" to the %s, feeds of 1..%zu", (int)strcspn(text, "\r"), text,
           client ? "client" : "server", max_feed);
    pt_pair p;
    pt_side *v = victim_of(&p, client, t_seed());
    p.frag.max_feed = max_feed;
    CHECK_RC(pt_feed(&p, v, (const uint8_t *)text, strlen(text)), TLSPLUG_E_TLS);
    pt_expect_fatal(v, TLSPLUG_E_TLS, code);
    pt_pair_free(&p);
}

/* Flip one byte of an application record's body: the MAC fails. */
static void flip_body(const char *version, int read_mode, int from_client, uint64_t seed);

static uint64_t flip_at;   /* offset in the sender's ciphertext */
static uint8_t flip_mask;
static pt_side *flip_from;

static void flip_tamper(pt_pair *p, pt_side *from, uint64_t off, uint8_t *data, size_t n)
{
    (void)p;
    if (from == flip_from && flip_at >= off && flip_at < off + n)
        data[flip_at - off] ^= flip_mask;
}

static void flip_body(const char *version, int read_mode, int from_client, uint64_t seed)
{
    t_case("byte flipped in a record body, %s, %s, from the %s", version,
           read_mode ? "read()" : "data callback", from_client ? "client" : "server");
    pt_creds server = PT_SERVER;
    server.min_version = server.max_version = version;
    pt_pair p;
    pt_pair_new(&p, PT_CLIENT, server, read_mode, seed);
    pt_handshake(&p);
    pt_side *from = from_client ? &p.c : &p.s, *to = from_client ? &p.s : &p.c;

    size_t r = t_rng_range(&p.rng, 1, 16000), wire = 0;
    pt_write_once(&p, from, r); /* one record */
    CHECK_OK(tlsplug_socket_pending_output(from->sock, &wire));
    CHECKF(wire > 5 + r && wire < 5 + r + 64, "%zu cleartext bytes made %zu on the wire", r, wire);
    flip_from = from;
    flip_at = p.sent[from_client ? 0 : 1] + 5 + t_rng_below(&p.rng, wire - 5);
    flip_mask = (uint8_t)t_rng_range(&p.rng, 1, 255);
    p.tamper = flip_tamper;
    p.frag.max_feed = 1000;
    pt_run(&p);
    CHECKF(to->rx_bytes == 0, "%s accepted %llu bytes of a corrupted record", to->name,
           (unsigned long long)to->rx_bytes);
    /* The call that met the record (feed, or read() in read mode) said so. */
    CHECKF(to->last_err == TLSPLUG_E_TLS && from->last_err == TLSPLUG_E_TLS,
           "%s answered %s, %s answered %s", to->name, tlsplug_status_name(to->last_err),
           from->name, tlsplug_status_name(from->last_err));
    pt_expect_fatal(to, TLSPLUG_E_TLS, "ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC");
    int alert = -1, dir = -1;
    CHECK_OK(tlsplug_error_detail(to->sock, NULL, NULL, &alert, &dir));
    CHECKF(alert == 20 && dir == TLSPLUG_ALERT_SENT, "%s: alert %d direction %d", to->name, alert,
           dir);
    /* The sender gets the bad_record_mac alert. */
    pt_expect_fatal(from, TLSPLUG_E_TLS, "ERR_SSL_SSLV3_ALERT_BAD_RECORD_MAC");
    CHECK_OK(tlsplug_error_detail(from->sock, NULL, NULL, &alert, &dir));
    CHECKF(alert == 20 && dir == TLSPLUG_ALERT_RECEIVED, "%s: alert %d direction %d", from->name,
           alert, dir);
    pt_pair_free(&p);
}

/* Flip any byte (header included) of one of several records: the receiver
 * fails, after delivering exactly the records before the damaged one. */
static void flip_anywhere(int runs)
{
    t_rng rng;
    t_rng_seed(&rng, t_seed() ^ 0xf119);
    int by_code[3] = {0}; /* MAC failures, other ERR_SSL_*, ECONNRESET */
    for (int i = 0; i < runs; i++) {
        uint64_t seed = t_rng_next(&rng);
        const char *version = i % 2 ? "TLSv1.3" : "TLSv1.2";
        t_case("flip anywhere #%d, %s (seed %llu)", i, version, (unsigned long long)seed);
        pt_creds server = PT_SERVER;
        server.min_version = server.max_version = version;
        pt_pair p;
        pt_pair_new(&p, PT_CLIENT, server, (i / 2) % 2, seed);
        p.frag.max_feed = 512;
        pt_handshake(&p);
        /* Four writes of r bytes: four records of `wire` bytes each. */
        size_t r = t_rng_range(&p.rng, 1, 3000), wire = 0;
        for (int k = 0; k < 4; k++) {
            size_t before = 0, after = 0;
            CHECK_OK(tlsplug_socket_pending_output(p.c.sock, &before));
            pt_write_once(&p, &p.c, r);
            CHECK_OK(tlsplug_socket_pending_output(p.c.sock, &after));
            CHECK(!wire || after - before == wire);
            wire = after - before;
        }
        uint64_t pos = t_rng_below(&p.rng, 4 * wire);
        flip_from = &p.c;
        flip_at = p.sent[0] + pos;
        flip_mask = (uint8_t)t_rng_range(&p.rng, 1, 255);
        p.tamper = flip_tamper;
        pt_run(&p);
        if (p.s.counts[TLSPLUG_EV_ERROR] == 0)
            CHECK_RC(tlsplug_socket_feed_eof(p.s.sock), TLSPLUG_E_TLS); /* a length grew */
        else
            CHECK_RC(p.s.last_err, TLSPLUG_E_TLS);
        size_t in_rec = pos % wire, intact = (size_t)(pos / wire) * r;
        CHECKF(p.s.rx_bytes == intact,
               "flip at record %zu byte %zu: %llu bytes delivered, expected the %zu before it",
               (size_t)(pos / wire), in_rec, (unsigned long long)p.s.rx_bytes, intact);
        const char *code = p.s.error_code;
        CHECKF(is_ssl_code(code) || (in_rec >= 3 && in_rec <= 4 && !strcmp(code, "ECONNRESET")),
               "flip at byte %zu of a record: error \"%s\"", in_rec, code);
        pt_expect_fatal(&p.s, TLSPLUG_E_TLS, NULL);
        by_code[!strcmp(code, "ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC") ? 0
                : is_ssl_code(code)                                         ? 1
                                                                            : 2]++;
        pt_pair_free(&p);
    }
    printf("  %d records flipped anywhere: %d bad MAC, %d other ERR_SSL_*, %d ECONNRESET\n", runs,
           by_code[0], by_code[1], by_code[2]);
}

int main(void)
{
    t_init("pump_bad_input", 6);
    t_rng rng;
    t_rng_seed(&rng, t_seed());

    const char *get = "GET / HTTP/1.1\r\n\r\n";
    plaintext(0, get, "ERR_SSL_HTTP_REQUEST", 100);
    plaintext(0, get, "ERR_SSL_HTTP_REQUEST", 1);
    plaintext(0, "POST /form HTTP/1.1\r\nHost: x\r\n\r\n", "ERR_SSL_HTTP_REQUEST", 3);
    plaintext(0, "CONNECT example.com:443 HTTP/1.1\r\n\r\n", "ERR_SSL_HTTP_REQUEST", 100);
    plaintext(1, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n",
              "ERR_SSL_WRONG_VERSION_NUMBER", 100);
    plaintext(1, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n",
              "ERR_SSL_WRONG_VERSION_NUMBER", 1);
    printf("  plain HTTP: ERR_SSL_HTTP_REQUEST (server), ERR_SSL_WRONG_VERSION_NUMBER (client)\n");

    garbage(0);
    garbage(1);

    static const char *const versions[] = {"TLSv1.2", "TLSv1.3"};
    for (int v = 0; v < 2; v++)
        for (int read_mode = 0; read_mode < 2; read_mode++)
            for (int from_client = 0; from_client < 2; from_client++)
                flip_body(versions[v], read_mode, from_client, t_rng_next(&rng));
    printf("  flipped body byte: bad MAC on the receiver, bad_record_mac alert to the sender\n");

    flip_anywhere(T_SANITIZE ? 200 : 600);
    return t_done();
}
