/* The transport ends (feed_eof) without a close_notify. During the
 * handshake that is a reset: `error` ECONNRESET, `close` with hadError,
 * never `end`. After the handshake Node takes it as the peer's end (checked
 * against Node 20 with a peer that sends FIN without close_notify): the
 * cleartext that arrived is delivered, a partial record is not, then `end`
 * and `close` without error. After a close_notify it is the ordinary
 * close. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pair.h"

static void move_part(pt_pair *p, pt_side *from, pt_side *to, size_t keep_out)
{
    /* Move all but the last `keep_out` pending bytes. */
    size_t pending = 0;
    CHECK_OK(tlsplug_socket_pending_output(from->sock, &pending));
    CHECK(pending >= keep_out);
    const uint8_t *view = NULL;
    size_t vlen = 0;
    if (pending == keep_out)
        return;
    CHECK_OK(tlsplug_socket_peek_output(from->sock, &view, &vlen));
    uint8_t *copy = malloc(pending - keep_out);
    CHECK(copy);
    memcpy(copy, view, pending - keep_out);
    CHECK_OK(tlsplug_socket_consume_output(from->sock, pending - keep_out));
    CHECK_OK(pt_feed(p, to, copy, pending - keep_out));
    free(copy);
}

static void expect_reset(pt_side *v, int rc)
{
    CHECKF(rc == TLSPLUG_E_TLS, "%s: feed_eof answered %s", v->name, tlsplug_status_name(rc));
    CHECK(v->counts[TLSPLUG_EV_END] == 0);
    pt_expect_fatal(v, TLSPLUG_E_TLS, "ECONNRESET");
}

/* The transport ends at some point of the handshake. `stage` says how far
 * it got: 0 = the victim received nothing, 1 = part of the peer's first
 * record, or all of it and part of the next record's header, 2 = the whole
 * first flight (the victim answered and waits). */
static void during_handshake(int client_victim, int stage, const char *version, uint64_t seed)
{
    t_case("EOF during the handshake: %s, stage %d, %s", client_victim ? "client" : "server",
           stage, version);
    pt_creds server = PT_SERVER;
    server.min_version = server.max_version = version;
    pt_pair p;
    pt_pair_new(&p, PT_CLIENT, server, (int)(seed & 1), seed);
    pt_pair_start(&p);
    pt_side *v = client_victim ? &p.c : &p.s;
    if (client_victim)
        pt_transfer(&p, &p.c, &p.s); /* the ClientHello; the server's flight waits */
    pt_side *peer = client_victim ? &p.s : &p.c;
    size_t pending = 0;
    CHECK_OK(tlsplug_socket_pending_output(peer->sock, &pending));
    CHECK(pending > 10);
    if (stage == 1) {
        /* The first record's length is in its header. (A TLS 1.3 server's
         * output may go on past its Finished, so a cut further on could
         * leave the client with a complete handshake.) */
        const uint8_t *view = NULL;
        size_t vlen = 0;
        CHECK_OK(tlsplug_socket_peek_output(peer->sock, &view, &vlen));
        size_t first = 5 + ((size_t)view[3] << 8 | view[4]);
        size_t cut = t_rng_range(&p.rng, 1, first + 4 < pending - 1 ? first + 4 : pending - 1);
        move_part(&p, peer, v, pending - cut);
    }
    else if (stage == 2)
        move_part(&p, peer, v, 0);
    CHECK(v->counts[TLSPLUG_EV_ERROR] == 0 && !(t_state(v->sock) & TLSPLUG_STATE_SECURE));
    expect_reset(v, tlsplug_socket_feed_eof(v->sock));
    CHECK(v->counts[TLSPLUG_EV_SECURE] + v->counts[TLSPLUG_EV_SECURE_CONNECT] == 0);
    if (client_victim) {
        char msg[256];
        size_t n = 0;
        CHECK_OK(tlsplug_error_get(v->sock, TLSPLUG_ERROR_MESSAGE, msg, sizeof msg, &n));
        CHECKF(strstr(msg, "disconnected before secure TLS connection was established"),
               "client message \"%s\"", msg);
    }
    pt_pair_free(&p);
}

/* After the handshake, both open: cleartext already fed is delivered, then
 * the peer's end. `partial` also feeds the first bytes of one more record,
 * which must not come out. */
static void after_handshake(int client_victim, int read_mode, int partial, const char *version,
                            uint64_t seed)
{
    t_case("EOF after the handshake: %s, %s, %s%s", client_victim ? "client" : "server",
           read_mode ? "read()" : "data callback", version, partial ? ", partial record" : "");
    pt_creds server = PT_SERVER;
    server.min_version = server.max_version = version;
    pt_pair p;
    pt_pair_new(&p, PT_CLIENT, server, read_mode, seed);
    pt_handshake(&p);
    pt_side *v = client_victim ? &p.c : &p.s, *peer = client_victim ? &p.s : &p.c;

    /* Some cleartext, fed but (in read mode) not read yet. */
    size_t n = t_rng_range(&p.rng, 1, 40000);
    pt_write(&p, peer, n);
    size_t pending = 0;
    CHECK_OK(tlsplug_socket_pending_output(peer->sock, &pending));
    v->read_mode = 0; /* the harness holds back its reads until after feed_eof */
    move_part(&p, peer, v, 0);
    v->read_mode = read_mode;
    if (partial) {
        pt_write_once(&p, peer, t_rng_range(&p.rng, 1, 5000));
        CHECK_OK(tlsplug_socket_pending_output(peer->sock, &pending));
        move_part(&p, peer, v, t_rng_range(&p.rng, 1, pending - 1));
    }
    CHECK_OK(tlsplug_socket_feed_eof(v->sock));
    if (read_mode) {
        /* The end waits until the cleartext before it has been read. */
        CHECK(t_state(v->sock) & TLSPLUG_STATE_READABLE);
        pt_service(&p, v);
        CHECK(v->eof); /* read() answered the end of the stream */
    }
    CHECKF(v->rx_bytes == n, "%s got %llu of the %zu bytes before the peer's end", v->name,
           (unsigned long long)v->rx_bytes, n);
    CHECK(v->last_err == 0 && v->counts[TLSPLUG_EV_ERROR] == 0);
    CHECK(v->counts[TLSPLUG_EV_END] == 1);
    /* allowHalfOpen is off: our own end follows, and the session closes. */
    CHECK(v->counts[TLSPLUG_EV_CLOSE] == 1 && v->close_had_error == 0);
    pt_pair_free(&p);
}

/* After close_notify, the end of the transport is no error. */
static void after_close_notify(int half_open, int read_mode, uint64_t seed)
{
    t_case("EOF after close_notify, %s, %s", half_open ? "allowHalfOpen" : "default",
           read_mode ? "read()" : "data callback");
    pt_pair p;
    pt_pair_new(&p, PT_CLIENT, PT_SERVER, read_mode, seed);
    CHECK_OK(tlsplug_socket_set_allow_half_open(p.s.sock, half_open));
    pt_handshake(&p);
    pt_write(&p, &p.c, 1000);
    CHECK_OK(tlsplug_socket_end(p.c.sock));
    pt_transfer(&p, &p.c, &p.s); /* data and close_notify, and nothing back yet */
    CHECK(p.s.rx_bytes == 1000 && p.s.counts[TLSPLUG_EV_END] == 1);
    CHECK_OK(tlsplug_socket_feed_eof(p.s.sock));
    pt_service(&p, &p.s);
    CHECK(p.s.counts[TLSPLUG_EV_ERROR] == 0 && p.s.last_err == 0);
    if (half_open) {
        /* Still writable: the answer goes out, then its own end. */
        CHECK_STR(pt_log(&p.s), "secure data end");
        CHECK(t_state(p.s.sock) & TLSPLUG_STATE_WRITABLE);
        pt_write(&p, &p.s, 777);
        CHECK_OK(tlsplug_socket_end(p.s.sock));
    }
    CHECK_STR(pt_log(&p.s), "secure data end close");
    CHECK(p.s.close_had_error == 0);
    pt_transfer(&p, &p.s, &p.c);
    CHECK(p.c.rx_bytes == (half_open ? 777u : 0u));
    CHECK_OK(tlsplug_socket_feed_eof(p.c.sock));
    pt_service(&p, &p.c);
    CHECK_STR(pt_log(&p.c), half_open ? "secureConnect data end close" : "secureConnect end close");
    CHECK(p.c.close_had_error == 0 && p.c.last_err == 0);
    pt_pair_free(&p);
}

int main(void)
{
    t_init("pump_truncation", 7);
    t_rng rng;
    t_rng_seed(&rng, t_seed());
    static const char *const versions[] = {"TLSv1.2", "TLSv1.3"};
    for (int v = 0; v < 2; v++) {
        for (int client = 0; client < 2; client++) {
            /* A TLS 1.3 client is done once it has the server's first flight. */
            int stages = client && v == 1 ? 2 : 3;
            for (int stage = 0; stage < stages; stage++)
                for (int rep = 0; rep < 4; rep++)
                    during_handshake(client, stage, versions[v], t_rng_next(&rng));
            for (int read_mode = 0; read_mode < 2; read_mode++)
                for (int partial = 0; partial < 2; partial++)
                    after_handshake(client, read_mode, partial, versions[v], t_rng_next(&rng));
        }
    }
    printf("  EOF during the handshake: ECONNRESET, no 'end'; after it: 'end', no error\n");
    for (int half = 0; half < 2; half++)
        for (int read_mode = 0; read_mode < 2; read_mode++)
            after_close_notify(half, read_mode, t_rng_next(&rng));
    printf("  EOF after close_notify: clean 'end' and 'close'\n");

    /* A socket never started: the transport ended before anything. */
    t_case("EOF before start");
    pt_pair p;
    pt_pair_new(&p, PT_CLIENT, PT_SERVER, 0, t_seed());
    expect_reset(&p.s, tlsplug_socket_feed_eof(p.s.sock));
    pt_pair_free(&p);
    return t_done();
}
