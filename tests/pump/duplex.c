/* Both sides writing at once: large writes both ways, interleaved, and the
 * ciphertext of both directions shuttled in the same steps. Every byte must
 * arrive, in order, on both sides (each checks the other's seeded stream). */
#include <stdio.h>

#include "pair.h"

#define MiB (1024u * 1024u)

static void duplex(const char *version, int read_mode, size_t n, int all_first, uint64_t seed)
{
    t_case("duplex %zu bytes each way, %s, %s%s", n, version,
           read_mode ? "read()" : "data callback", all_first ? ", one write each, first" : "");
    pt_creds client = PT_CLIENT;
    client.min_version = client.max_version = version;
    pt_pair p;
    pt_pair_new(&p, client, PT_SERVER, read_mode, seed);
    pt_handshake(&p);
    p.frag = (pt_frag){.max_feed = 20000, .max_pull = 50000, .max_read = 30000,
                       .max_write = 70000};
    if (all_first) {
        /* One write() each, before a byte moves: both out-buffers full. */
        pt_write_once(&p, &p.c, n);
        pt_write_once(&p, &p.s, n);
    } else {
        pt_send(&p, n, n);
    }
    pt_run(&p);
    CHECKF(p.s.rx_bytes == n && p.c.rx_bytes == n, "server got %llu, client got %llu, of %zu",
           (unsigned long long)p.s.rx_bytes, (unsigned long long)p.c.rx_bytes, n);
    CHECK_STR(pt_log(&p.c), "secureConnect data");
    CHECK_STR(pt_log(&p.s), "secure data");

    CHECK_OK(tlsplug_socket_end(p.s.sock));
    pt_run(&p);
    CHECK_STR(pt_log(&p.c), "secureConnect data end close");
    CHECK_STR(pt_log(&p.s), "secure data end close");
    pt_pair_free(&p);
    printf("  %s %-4s %8zu bytes each way%s: ok\n", version, read_mode ? "read" : "data", n,
           all_first ? ", one write each, first" : "");
}

int main(void)
{
    t_init("pump_duplex", 4);
    t_rng rng;
    t_rng_seed(&rng, t_seed());
    size_t big = 16 * MiB;
    static const char *const versions[] = {"TLSv1.2", "TLSv1.3"};
    for (int v = 0; v < 2; v++) {
        for (int read_mode = 0; read_mode < 2; read_mode++) {
            duplex(versions[v], read_mode, big, 0, t_rng_next(&rng));
            duplex(versions[v], read_mode, 2 * MiB, 1, t_rng_next(&rng));
        }
    }
    return t_done();
}
