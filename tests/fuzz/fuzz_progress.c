/* libFuzzer target: the progress oracle (progress.h) with the cutting taken
 * from the input. The input never touches the bytes of the exchange, only
 * where they are cut, so every input must end in a completed handshake, two
 * intact messages and a clean close; anything else aborts with the oracle's
 * message.
 *
 * Input layout:
 *   byte 0   the scenario: bit 0 TLS 1.3 (else 1.2), bits 1-2 the server
 *            (oc_server_kind), bit 3 a client certificate, bit 4 a
 *            HelloRetryRequest (TLS 1.3), bit 5 read() delivery
 *   byte 1   the cutting: bit 0 re-frame the plaintext handshake records,
 *            bit 1 cut the feeds (else each feed is all that waits)
 *   rest     sizes, one byte per decision, feeds and records alike:
 *            0 = all that is available, 1..239 = that many bytes,
 *            240..255 = (b - 239) * 512 bytes; once the input is used up,
 *            every decision is "all" (whole flights, 16 KiB records)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "progress.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct sizes {
    const uint8_t *p;
    size_t n, off;
    int cut_feeds;
} sizes;

static size_t next_size(oc_cutter *c, int what, int dir, size_t avail)
{
    (void)dir;
    sizes *s = c->user;
    if (what == OC_FEED && !s->cut_feeds)
        return avail;
    if (s->off >= s->n)
        return avail;
    unsigned b = s->p[s->off++];
    if (b == 0)
        return avail;
    return b < 240 ? b : (size_t)(b - 239) * 512;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    const char *err = oc_init();
    if (err) {
        fprintf(stderr, "fuzz_progress: %s\n", err);
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    oc_scenario sc = {
        .tls13 = data[0] & 1,
        .server_kind = (data[0] >> 1) & 3,
        .client_cert = (data[0] >> 3) & 1,
        .hrr = (data[0] >> 4) & 1,
        .read_mode = (data[0] >> 5) & 1,
    };
    sizes s = {data + 2, size - 2, 0, (data[1] >> 1) & 1};
    oc_cutter cut = {next_size, data[1] & 1, &s};
    const char *err = oc_run(&sc, &cut);
    if (err) {
        fprintf(stderr, "fuzz_progress: NO PROGRESS [%s, %s%s]: %s\n", oc_scenario_name(&sc),
                cut.reframe ? "re-framed records" : "original records",
                s.cut_feeds ? ", cut feeds" : ", whole feeds", err);
        abort();
    }
    return 0;
}
