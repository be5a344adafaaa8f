/* Echo: the client sends a seeded pseudo-random payload, the server writes
 * back whatever arrives, and both check every byte on the fly against the
 * stream (nothing is stored). Every feed, pull, read and write has a random
 * size; handshakes and small payloads go one byte per feed.
 *
 *   pump_echo small|mid|big data|read
 *
 * small: 0, 1, 16383, 16384, 16385 bytes; mid: 1 MiB; both TLS versions.
 * big: 64 MiB over TLS 1.3 (in sanitizer builds too: a few seconds).
 * data: the `data` callback; read: no data callback, read() whenever the
 * state says READABLE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pair.h"

#define MiB (1024u * 1024u)

static void echo(size_t size, const char *version, int read_mode, pt_frag frag, uint64_t seed)
{
    t_case("echo %zu bytes, %s, %s, feeds 1..%zu", size, version,
           read_mode ? "read()" : "data callback", frag.max_feed);
    pt_creds client = PT_CLIENT;
    client.min_version = client.max_version = version;
    pt_pair p;
    pt_pair_new(&p, client, PT_SERVER, read_mode, seed);
    p.s.echo = 1;
    p.c.rx_seed = p.c.tx_seed; /* the client gets its own stream back */

    pt_handshake(&p); /* one byte per feed */
    CHECK_STR(pt_get(p.c.sock, tlsplug_socket_get_protocol), version);

    clock_t t0 = clock();
    p.frag = frag;
    pt_send(&p, size, 0);
    pt_run(&p);
    CHECKF(p.s.rx_bytes == size && p.c.rx_bytes == size,
           "server got %llu, client got %llu back, of %zu", (unsigned long long)p.s.rx_bytes,
           (unsigned long long)p.c.rx_bytes, size);
    CHECK(p.c.tx_bytes == size && p.s.last_err == 0 && p.c.last_err == 0);

    /* A clean close after it all. */
    p.frag = PT_FRAG_BYTES;
    CHECK_OK(tlsplug_socket_end(p.c.sock));
    pt_run(&p);
    const char *want_c = size ? "secureConnect data end close" : "secureConnect end close";
    const char *want_s = size ? "secure data end close" : "secure end close";
    CHECK_STR(pt_log(&p.c), want_c);
    CHECK_STR(pt_log(&p.s), want_s);
    CHECK(p.c.close_had_error == 0 && p.s.close_had_error == 0);
    if (read_mode)
        CHECK(p.c.eof && p.s.eof);
    unsigned fc = t_state(p.c.sock), fs = t_state(p.s.sock);
    unsigned bad = TLSPLUG_STATE_ERROR | TLSPLUG_STATE_WANT_INPUT | TLSPLUG_STATE_WRITABLE |
                   TLSPLUG_STATE_READABLE | TLSPLUG_STATE_HAS_OUTPUT | TLSPLUG_STATE_HANDSHAKING;
    CHECKF((fc & TLSPLUG_STATE_CLOSED) && !(fc & bad), "client state 0x%x", fc);
    CHECKF((fs & TLSPLUG_STATE_CLOSED) && !(fs & bad), "server state 0x%x", fs);
    pt_pair_free(&p);
    printf("  %9zu bytes %s %-6s ok (%.2fs)\n", size, version, read_mode ? "read" : "data",
           (double)(clock() - t0) / CLOCKS_PER_SEC);
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[2], "data") && strcmp(argv[2], "read"))) {
        fprintf(stderr, "usage: %s small|mid|big data|read\n", argv[0]);
        return 2;
    }
    const char *which = argv[1];
    int read_mode = strcmp(argv[2], "read") == 0;
    char name[64];
    snprintf(name, sizeof name, "pump_echo %s %s", which, argv[2]);
    t_init(name, 2);
    t_rng rng;
    t_rng_seed(&rng, t_seed());
    static const char *const versions[] = {"TLSv1.2", "TLSv1.3"};

    if (strcmp(which, "small") == 0) {
        static const size_t sizes[] = {0, 1, 16383, 16384, 16385};
        for (size_t v = 0; v < 2; v++)
            for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
                echo(sizes[i], versions[v], read_mode, PT_FRAG_BYTES, t_rng_next(&rng));
    } else if (strcmp(which, "mid") == 0) {
        pt_frag frag = {.max_feed = 4096, .max_pull = 16384, .max_read = 20000,
                        .max_write = 100000};
        for (size_t v = 0; v < 2; v++)
            echo(MiB, versions[v], read_mode, frag, t_rng_next(&rng));
    } else if (strcmp(which, "big") == 0) {
        pt_frag frag = {.max_feed = 65536, .max_pull = 131072, .max_read = 65536,
                        .max_write = 262144};
        echo(64 * MiB, "TLSv1.3", read_mode, frag, t_rng_next(&rng));
    } else {
        fprintf(stderr, "usage: %s small|mid|big data|read\n", argv[0]);
        return 2;
    }
    return t_done();
}
