/* end() from either side, in both delivery modes and both TLS versions:
 * data written before end() arrives first, the peer sees `end`, both see
 * `close` without error; allowHalfOpen keeps the peer writable until it
 * ends too; a write after end answers E_CLOSED, ERR_STREAM_WRITE_AFTER_END. */
#include <stdio.h>
#include <string.h>

#include "pair.h"

static const char *secure_name(const pt_side *s)
{
    return s->client ? "secureConnect" : "secure";
}

static void expect_log(const pt_side *s, const char *rest)
{
    char want[128];
    snprintf(want, sizeof want, "%s%s%s", secure_name(s), *rest ? " " : "", rest);
    CHECK_STR(pt_log(s), want);
}

static void write_after_end(pt_side *s)
{
    uint8_t byte = 'x';
    CHECK_RC(tlsplug_socket_write(s->sock, &byte, 1), TLSPLUG_E_CLOSED);
    CHECK_STR(t_error_code(s->sock), "ERR_STREAM_WRITE_AFTER_END");
    CHECK_RC(tlsplug_socket_write(s->sock, &byte, 0), TLSPLUG_E_CLOSED);
    CHECK_STR(t_error_code(s->sock), "ERR_STREAM_WRITE_AFTER_END");
}

static void setup(pt_pair *p, const char *version, int read_mode, uint64_t seed)
{
    pt_creds server = PT_SERVER;
    server.min_version = server.max_version = version;
    pt_pair_new(p, PT_CLIENT, server, read_mode, seed);
}

/* The ender writes, ends at once, and the peer (allowHalfOpen false) ends
 * in answer. */
static void plain_end(int client_ends, const char *version, int read_mode, uint64_t seed)
{
    t_case("%s ends, %s, %s", client_ends ? "client" : "server", version,
           read_mode ? "read()" : "data callback");
    pt_pair p;
    setup(&p, version, read_mode, seed);
    pt_side *ender = client_ends ? &p.c : &p.s, *peer = client_ends ? &p.s : &p.c;
    pt_handshake(&p);

    size_t n = t_rng_range(&p.rng, 1, 50000);
    pt_write(&p, ender, n);
    CHECK_OK(tlsplug_socket_end(ender->sock)); /* before any of it was pulled */
    CHECK_OK(tlsplug_socket_end(ender->sock)); /* again: nothing more happens */
    unsigned f = t_state(ender->sock);
    CHECKF((f & TLSPLUG_STATE_ENDED) && !(f & TLSPLUG_STATE_WRITABLE), "ender state 0x%x", f);
    write_after_end(ender);

    p.frag.max_feed = 97;
    pt_run(&p);
    CHECKF(peer->rx_bytes == n, "%s got %llu of %zu bytes", peer->name,
           (unsigned long long)peer->rx_bytes, n);
    expect_log(peer, "data end close");
    expect_log(ender, "end close");
    CHECK(peer->close_had_error == 0 && ender->close_had_error == 0);
    f = t_state(peer->sock);
    CHECKF((f & TLSPLUG_STATE_PEER_ENDED) && (f & TLSPLUG_STATE_ENDED) &&
               (f & TLSPLUG_STATE_CLOSED) && !(f & (TLSPLUG_STATE_ERROR | TLSPLUG_STATE_WRITABLE)),
           "peer state 0x%x", f);
    /* The peer ended itself when the ender did (allowHalfOpen false). */
    uint8_t byte = 'y';
    CHECK_RC(tlsplug_socket_write(peer->sock, &byte, 1), TLSPLUG_E_CLOSED);
    if (read_mode) {
        size_t got = 1;
        CHECK_OK(tlsplug_socket_read(peer->sock, &byte, 1, &got));
        CHECK(got == 0); /* end of stream, again */
    }
    pt_pair_free(&p);
}

/* allowHalfOpen on the peer: after `end` it stays open and writable, and
 * what it writes still reaches the ender, until it ends too. */
static void half_open(int client_ends, const char *version, int read_mode, uint64_t seed)
{
    t_case("%s ends, peer allowHalfOpen, %s, %s", client_ends ? "client" : "server", version,
           read_mode ? "read()" : "data callback");
    pt_pair p;
    setup(&p, version, read_mode, seed);
    pt_side *ender = client_ends ? &p.c : &p.s, *peer = client_ends ? &p.s : &p.c;
    CHECK_OK(tlsplug_socket_set_allow_half_open(peer->sock, 1));
    pt_handshake(&p);

    size_t n1 = t_rng_range(&p.rng, 1, 30000);
    pt_write(&p, ender, n1);
    CHECK_OK(tlsplug_socket_end(ender->sock));
    pt_run(&p);
    CHECK(peer->rx_bytes == n1);
    expect_log(peer, "data end");
    expect_log(ender, "");
    unsigned f = t_state(peer->sock);
    CHECKF((f & TLSPLUG_STATE_WRITABLE) && (f & TLSPLUG_STATE_PEER_ENDED) &&
               !(f & (TLSPLUG_STATE_CLOSED | TLSPLUG_STATE_ENDED)),
           "half-open peer state 0x%x", f);
    write_after_end(ender);

    /* Data written after the peer's end still arrives. */
    size_t n2 = t_rng_range(&p.rng, 1, 30000);
    pt_write(&p, peer, n2);
    pt_run(&p);
    CHECKF(ender->rx_bytes == n2, "%s got %llu of %zu bytes after its end", ender->name,
           (unsigned long long)ender->rx_bytes, n2);
    expect_log(ender, "data");
    f = t_state(ender->sock);
    CHECKF(!(f & TLSPLUG_STATE_CLOSED), "ender closed before the peer ended: 0x%x", f);

    CHECK_OK(tlsplug_socket_end(peer->sock));
    pt_run(&p);
    expect_log(ender, "data end close");
    expect_log(peer, "data end close");
    CHECK(peer->close_had_error == 0 && ender->close_had_error == 0);
    pt_pair_free(&p);
}

/* Both call end() before either close_notify travels. */
static void both_end(const char *version, int read_mode, uint64_t seed)
{
    t_case("both end at once, %s, %s", version, read_mode ? "read()" : "data callback");
    pt_pair p;
    setup(&p, version, read_mode, seed);
    pt_handshake(&p);
    pt_write(&p, &p.c, 100);
    pt_write(&p, &p.s, 200);
    CHECK_OK(tlsplug_socket_end(p.c.sock));
    CHECK_OK(tlsplug_socket_end(p.s.sock));
    pt_run(&p);
    CHECK(p.s.rx_bytes == 100 && p.c.rx_bytes == 200);
    expect_log(&p.c, "data end close");
    expect_log(&p.s, "data end close");
    CHECK(p.c.close_had_error == 0 && p.s.close_had_error == 0);
    pt_pair_free(&p);
}

int main(void)
{
    t_init("pump_end", 3);
    t_rng rng;
    t_rng_seed(&rng, t_seed());
    static const char *const versions[] = {"TLSv1.2", "TLSv1.3"};
    for (int v = 0; v < 2; v++) {
        for (int read_mode = 0; read_mode < 2; read_mode++) {
            for (int client_ends = 0; client_ends < 2; client_ends++) {
                plain_end(client_ends, versions[v], read_mode, t_rng_next(&rng));
                half_open(client_ends, versions[v], read_mode, t_rng_next(&rng));
            }
            both_end(versions[v], read_mode, t_rng_next(&rng));
        }
    }
    return t_done();
}
