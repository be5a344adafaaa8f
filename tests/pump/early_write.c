/* Writes before the handshake completes (before start, and between the
 * flights) are held and delivered after it, in order, before anything
 * written later; the peer sees them only after its secure event (the
 * recorder checks that). An end() before the handshake completes sends the
 * early data first, then close_notify. */
#include <stdio.h>

#include "pair.h"

/* Write a few bytes on a side while its handshake is still running;
 * answers how many were written early. */
static size_t early(pt_pair *p, pt_side *side)
{
    if (t_state(side->sock) & (TLSPLUG_STATE_SECURE | TLSPLUG_STATE_ENDED))
        return 0;
    size_t n = t_rng_range(&p->rng, 1, 3000);
    pt_write(p, side, n);
    return n;
}

static void early_writes(const char *version, int read_mode, int end_early, uint64_t seed)
{
    t_case("early writes, %s, %s%s", version, read_mode ? "read()" : "data callback",
           end_early ? ", end() before the handshake completes" : "");
    pt_creds client = PT_CLIENT;
    client.min_version = client.max_version = version;
    pt_pair p;
    pt_pair_new(&p, client, PT_SERVER, read_mode, seed);

    size_t c_early = early(&p, &p.c); /* before start */
    CHECK(c_early > 0);
    pt_pair_start(&p);
    size_t s_early = early(&p, &p.s); /* started, nothing received yet */
    CHECK(s_early > 0);
    c_early += early(&p, &p.c);
    if (end_early) {
        CHECK_OK(tlsplug_socket_end(p.c.sock));
        CHECK(!(t_state(p.c.sock) & TLSPLUG_STATE_WRITABLE));
    }

    /* Flight by flight, writing on both sides between them. */
    for (int i = 0; i < 20; i++) {
        if (t_state(p.c.sock) & t_state(p.s.sock) & TLSPLUG_STATE_SECURE)
            break;
        pt_transfer(&p, &p.c, &p.s);
        s_early += early(&p, &p.s);
        pt_transfer(&p, &p.s, &p.c);
        c_early += early(&p, &p.c);
    }
    CHECK(p.c.counts[TLSPLUG_EV_SECURE_CONNECT] == 1 && p.s.counts[TLSPLUG_EV_SECURE] == 1);
    if (!end_early) {
        /* Writes after the handshake queue behind the early ones. */
        pt_write(&p, &p.c, 5000);
        pt_write(&p, &p.s, 5000);
    }
    pt_run(&p);
    CHECKF(p.s.rx_bytes == p.c.tx_bytes && p.c.rx_bytes == p.s.tx_bytes,
           "server got %llu of %llu, client got %llu of %llu", (unsigned long long)p.s.rx_bytes,
           (unsigned long long)p.c.tx_bytes, (unsigned long long)p.c.rx_bytes,
           (unsigned long long)p.s.tx_bytes);
    if (end_early) {
        CHECK_STR(pt_log(&p.s), "secure data end close");
        CHECK_STR(pt_log(&p.c), "secureConnect data end close");
    } else {
        CHECK_STR(pt_log(&p.s), "secure data");
        CHECK_STR(pt_log(&p.c), "secureConnect data");
    }
    CHECK(p.c.counts[TLSPLUG_EV_ERROR] == 0 && p.s.counts[TLSPLUG_EV_ERROR] == 0);
    pt_pair_free(&p);
    printf("  %s %-4s: %zu early bytes from the client, %zu from the server%s\n", version,
           read_mode ? "read" : "data", c_early, s_early, end_early ? ", then end()" : "");
}

/* end() before start: the handshake still runs, the early data goes, then
 * close_notify. */
static void end_before_start(uint64_t seed)
{
    t_case("write and end() before start");
    pt_pair p;
    pt_pair_new(&p, PT_CLIENT, PT_SERVER, 0, seed);
    pt_write(&p, &p.c, 1234);
    CHECK_OK(tlsplug_socket_end(p.c.sock));
    pt_pair_start(&p);
    pt_run(&p);
    CHECK(p.s.rx_bytes == 1234);
    CHECK_STR(pt_log(&p.s), "secure data end close");
    CHECK_STR(pt_log(&p.c), "secureConnect end close");
    pt_pair_free(&p);
}

int main(void)
{
    t_init("pump_early_write", 5);
    t_rng rng;
    t_rng_seed(&rng, t_seed());
    static const char *const versions[] = {"TLSv1.2", "TLSv1.3"};
    for (int v = 0; v < 2; v++)
        for (int read_mode = 0; read_mode < 2; read_mode++)
            for (int end_early = 0; end_early < 2; end_early++)
                early_writes(versions[v], read_mode, end_early, t_rng_next(&rng));
    end_before_start(t_rng_next(&rng));
    return t_done();
}
