/* Handshake messages that span records, in both roles, and the server's
 * answer to TLS_FALLBACK_SCSV.
 *
 * TLS lets a peer cut a handshake message into any number of records. The
 * client's hello is re-framed here (2 records at every split point, 3
 * records, 1-byte records, one feed or one feed per record), and so is a
 * TLS 1.2 server's plaintext flight (512-byte records, as `openssl s_server
 * -max_send_frag 512` sends it). Each feed of a whole flight must be
 * answered by that same feed: no extra empty feeds, no stall. The server's
 * hello hold must still read the hello (SNICallback sees the name). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pair.h"

#define MAX_FLIGHT (64 * 1024)

typedef struct flight {
    uint8_t bytes[MAX_FLIGHT];
    size_t len;
} flight;

/* Everything the side has waiting. */
static void take_output(pt_side *side, flight *f)
{
    size_t n = 0;
    f->len = 0;
    for (;;) {
        CHECK(f->len < sizeof f->bytes);
        int rc = tlsplug_socket_pull(side->sock, f->bytes + f->len, sizeof f->bytes - f->len, &n);
        if (rc == TLSPLUG_E_AGAIN)
            return; /* nothing more waits */
        CHECK_OK(rc);
        f->len += n;
    }
}

/* The payload of the leading handshake records (type 22) of a flight, and
 * the record version they carried. */
static size_t handshake_payload(const flight *f, uint8_t *out, uint8_t version[2])
{
    size_t at = 0, n = 0;
    while (at + 5 <= f->len && f->bytes[at] == 22) {
        size_t len = (size_t)f->bytes[at + 3] << 8 | f->bytes[at + 4];
        CHECK(at + 5 + len <= f->len);
        memcpy(version, f->bytes + at + 1, 2);
        memcpy(out + n, f->bytes + at + 5, len);
        n += len;
        at += 5 + len;
    }
    CHECK(at == f->len); /* a plaintext flight: handshake records only */
    return n;
}

/* Cut `payload` into records at the given sizes (the rest in one last
 * record); answers the length of the framed bytes in `out`. */
static size_t frame(const uint8_t *payload, size_t n, const uint8_t version[2],
                    const size_t *cuts, size_t ncuts, size_t every, uint8_t *out, size_t *ends,
                    size_t *nrec)
{
    size_t at = 0, len = 0, k = 0;
    *nrec = 0;
    while (at < n) {
        size_t take = k < ncuts ? cuts[k++] : every ? every : n - at;
        take = take < n - at ? take : n - at;
        out[len++] = 22, out[len++] = version[0], out[len++] = version[1];
        out[len++] = (uint8_t)(take >> 8), out[len++] = (uint8_t)take;
        memcpy(out + len, payload + at, take);
        len += take, at += take;
        ends[(*nrec)++] = len;
    }
    return len;
}

typedef struct sni_seen {
    int count;
    char name[256];
} sni_seen;

static void on_server(uintptr_t ud, void *src, int ev, void *subj, const uint8_t *d, size_t n)
{
    (void)src;
    sni_seen *seen = (sni_seen *)ud;
    if (ev != TLSPLUG_EV_SNI_CALLBACK)
        return;
    seen->count++;
    snprintf(seen->name, sizeof seen->name, "%.*s", (int)n, (const char *)d);
    CHECK_OK(tlsplug_socket_sni_done(subj, NULL, NULL)); /* keep the server's context */
}

/* A pair whose server comes from a tls.Server with an SNICallback. */
static void pair_with_server(pt_pair *p, tlsplug_server **srv, sni_seen *seen, const char *version)
{
    pt_creds server = PT_SERVER, client = PT_CLIENT;
    server.max_version = version;
    tlsplug_context *sctx = pt_context(server), *cctx = pt_context(client);
    CHECK_OK(tlsplug_server_new(sctx, srv));
    CHECK_OK(tlsplug_server_set_sni_callback(*srv, 1));
    CHECK_OK(tlsplug_server_on(*srv, TLSPLUG_EV_SNI_CALLBACK, on_server, (uintptr_t)seen));
    pt_pair_init(p, cctx, sctx, 0, t_seed());
    tlsplug_socket *s;
    CHECK_OK(tlsplug_server_accept(*srv, 0, &s));
    pt_pair_adopt_server(p, s);
    CHECK_OK(tlsplug_context_free(sctx));
    CHECK_OK(tlsplug_context_free(cctx));
}

static uint8_t payload[MAX_FLIGHT], framed[MAX_FLIGHT * 6];
static size_t ends[MAX_FLIGHT];

/* Re-frame the client's hello; feed it in one call or one call per record;
 * the server must answer with the last of those feeds. */
static void hello_in_records(const char *version, const size_t *cuts, size_t ncuts, size_t every,
                             int feed_per_record)
{
    pt_pair p;
    tlsplug_server *srv;
    sni_seen seen = {0};
    pair_with_server(&p, &srv, &seen, version);
    CHECK_OK(tlsplug_socket_start(p.c.sock));
    static flight hello;
    take_output(&p.c, &hello);
    uint8_t rv[2];
    size_t n = handshake_payload(&hello, payload, rv), nrec;
    size_t len = frame(payload, n, rv, cuts, ncuts, every, framed, ends, &nrec);
    size_t from = 0;
    for (size_t r = 0; r < nrec; r++) {
        if (!feed_per_record && r + 1 < nrec)
            continue;
        CHECK_OK(tlsplug_socket_feed(p.s.sock, framed + from, ends[r] - from));
        from = ends[r];
        if (r + 1 < nrec) /* the hello is not whole yet: nothing to say */
            CHECK(!(t_state(p.s.sock) & TLSPLUG_STATE_HAS_OUTPUT));
    }
    CHECK(from == len);
    CHECKF(t_state(p.s.sock) & TLSPLUG_STATE_HAS_OUTPUT,
           "%s: a hello in %zu records got no answer", version, nrec);
    CHECK(seen.count == 1);
    CHECK_STR(seen.name, "localhost");
    pt_run(&p);
    CHECK(p.c.counts[TLSPLUG_EV_SECURE_CONNECT] == 1 && p.s.counts[TLSPLUG_EV_SECURE] == 1);
    CHECK_STR(pt_get(p.s.sock, tlsplug_socket_get_protocol), version);
    pt_pair_free(&p);
    CHECK_OK(tlsplug_server_free(srv));
}

static void client_hello_records(const char *version)
{
    t_case("%s: a ClientHello in 2 records, cut at every byte", version);
    pt_pair probe;
    pt_pair_new(&probe, PT_CLIENT, PT_SERVER, 0, t_seed());
    CHECK_OK(tlsplug_socket_start(probe.c.sock));
    static flight hello;
    take_output(&probe.c, &hello);
    pt_pair_free(&probe);
    size_t n = hello.len - 5;
    for (size_t cut = 1; cut < n; cut += cut < 8 || n - cut < 8 ? 1 : 37)
        hello_in_records(version, &cut, 1, 0, 0);

    t_case("%s: a ClientHello in 3 records, fed together and one by one", version);
    size_t three[] = {n / 3, n / 3};
    hello_in_records(version, three, 2, 0, 0);
    hello_in_records(version, three, 2, 0, 1);
    size_t header_cut[] = {2, 1}; /* the 4-byte message header itself cut */
    hello_in_records(version, header_cut, 2, 0, 1);

    t_case("%s: a ClientHello in 1-byte records, in one feed and in one feed each", version);
    hello_in_records(version, NULL, 0, 1, 0);
    hello_in_records(version, NULL, 0, 1, 1);
}

static void server_flight_records(void)
{
    t_case("TLSv1.2: the server's flight in 512-byte records answered by one feed");
    pt_pair p;
    pt_creds server = PT_SERVER;
    server.max_version = "TLSv1.2";
    pt_pair_new(&p, PT_CLIENT, server, 0, t_seed());
    pt_pair_start(&p);
    static flight f;
    take_output(&p.c, &f);
    CHECK_OK(tlsplug_socket_feed(p.s.sock, f.bytes, f.len));
    take_output(&p.s, &f); /* ServerHello, Certificate, ServerKeyExchange, ServerHelloDone */
    uint8_t rv[2];
    size_t n = handshake_payload(&f, payload, rv), nrec;
    CHECK(n > 1024); /* the chain alone spans several 512-byte records */
    size_t len = frame(payload, n, rv, NULL, 0, 512, framed, ends, &nrec);
    CHECK_OK(tlsplug_socket_feed(p.c.sock, framed, len));
    CHECKF(t_state(p.c.sock) & TLSPLUG_STATE_HAS_OUTPUT,
           "the client did not answer a flight in %zu records", nrec);
    pt_run(&p);
    CHECK(p.c.counts[TLSPLUG_EV_SECURE_CONNECT] == 1 && p.s.counts[TLSPLUG_EV_SECURE] == 1);
    CHECK(pt_authorized(p.c.sock) == 1);
    pt_pair_free(&p);
}

/* Insert TLS_FALLBACK_SCSV first among the hello's suites. */
static size_t add_scsv(const uint8_t *msg, size_t n, uint8_t *out)
{
    size_t at = 4 + 2 + 32;
    at += 1 + msg[at];                                      /* session id */
    size_t suites = (size_t)msg[at] << 8 | msg[at + 1];
    memcpy(out, msg, at);
    out[at] = (uint8_t)((suites + 2) >> 8), out[at + 1] = (uint8_t)(suites + 2);
    out[at + 2] = 0x56, out[at + 3] = 0x00;
    memcpy(out + at + 4, msg + at + 2, n - at - 2);
    size_t body = n + 2 - 4;
    out[1] = (uint8_t)(body >> 16), out[2] = (uint8_t)(body >> 8), out[3] = (uint8_t)body;
    return n + 2;
}

/* A TLS 1.2 client hello carrying the SCSV, to a server whose highest
 * version is `server_max`. */
static void fallback(const char *server_max, int refused)
{
    pt_pair p;
    pt_creds client = PT_CLIENT, server = PT_SERVER;
    client.max_version = "TLSv1.2";
    server.max_version = server_max;
    pt_pair_new(&p, client, server, 0, t_seed());
    pt_pair_start(&p);
    static flight hello;
    take_output(&p.c, &hello);
    uint8_t rv[2];
    size_t n = handshake_payload(&hello, payload, rv), nrec;
    static uint8_t with_scsv[MAX_FLIGHT];
    size_t m = add_scsv(payload, n, with_scsv);
    size_t len = frame(with_scsv, m, rv, NULL, 0, 0, framed, ends, &nrec);
    int rc = tlsplug_socket_feed(p.s.sock, framed, len);
    if (!refused) {
        CHECK_OK(rc);
        CHECK(t_state(p.s.sock) & TLSPLUG_STATE_HAS_OUTPUT); /* a ServerHello */
        pt_pair_free(&p);
        return;
    }
    CHECK_RC(rc, TLSPLUG_E_TLS);
    CHECK_STR(p.s.error_code, "ERR_SSL_INAPPROPRIATE_FALLBACK");
    int status, gerr, alert, dir;
    CHECK_OK(tlsplug_error_detail(p.s.sock, &status, &gerr, &alert, &dir));
    CHECK(alert == 86 && dir == TLSPLUG_ALERT_SENT); /* inappropriate_fallback */
    /* The alert reaches the client, which fails with Node's code for it. */
    take_output(&p.s, &hello);
    CHECK(hello.len == 7 && hello.bytes[0] == 21 && hello.bytes[6] == 86);
    pt_pair_free(&p);
}

static void fallback_scsv(void)
{
    t_case("TLS_FALLBACK_SCSV below the server's best version: inappropriate_fallback");
    fallback("TLSv1.3", 1);
    t_case("TLS_FALLBACK_SCSV at the server's best version: an ordinary handshake");
    fallback("TLSv1.2", 0);
}

int main(void)
{
    t_init("pump_hello_records", 12);
    client_hello_records("TLSv1.2");
    client_hello_records("TLSv1.3");
    server_flight_records();
    fallback_scsv();
    return t_done();
}
