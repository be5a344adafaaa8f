/* The re-framer of plaintext handshake records (see progress.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "progress.h"

#define REC_HEADER 5
#define REC_MAX 16384
#define CT_CCS 20
#define CT_HANDSHAKE 22

void oc_buf_add(oc_buf *b, const uint8_t *data, size_t n)
{
    if (n == 0)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) {
            fprintf(stderr, "progress: out of memory\n");
            abort();
        }
        b->p = p, b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

void oc_buf_drop(oc_buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
}

void oc_buf_free(oc_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

static size_t clamp(size_t v, size_t lo, size_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* TLS 1.3's HelloRetryRequest is a ServerHello with this random. */
static const uint8_t hrr_random[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};
/* Message header (4), legacy_version (2), random (32), and one byte more. */
#define HRR_FIRST_MIN 39

/* GnuTLS 3.7.9's record layer tells an HRR from a ServerHello by looking
 * at the random in the first record of the message only, and only when
 * that record holds more than 38 bytes of it (lib/buffers.c,
 * parse_handshake_header); a shorter first fragment makes the client take
 * the HRR for a ServerHello and fail (ERR_SSL_WRONG_VERSION_NUMBER). No
 * host can repair that, so the re-framer never cuts an HRR before its
 * 39th byte (found by this oracle; see README.md). */
static size_t min_first_record(const oc_buf *payload)
{
    if (payload->len >= HRR_FIRST_MIN && payload->p[0] == 2 &&
        memcmp(payload->p + 6, hrr_random, sizeof hrr_random) == 0)
        return HRR_FIRST_MIN;
    return 1;
}

/* Emit a run's payload as records of the cutter's sizes, with the record
 * version of the run's first record (the ClientHello's may be 0x0301). */
static void emit_run(oc_reframer *rf, const uint8_t version[2], const oc_buf *payload,
                     oc_buf *out, oc_cutter *cut)
{
    size_t off = 0, first_min = min_first_record(payload);
    while (off < payload->len) {
        size_t avail = payload->len - off;
        size_t k = clamp(cut->next(cut, OC_RECORD, rf->dir, avail), off ? 1 : first_min,
                         avail < REC_MAX ? avail : REC_MAX);
        uint8_t h[REC_HEADER] = {CT_HANDSHAKE, version[0], version[1], (uint8_t)(k >> 8),
                                 (uint8_t)k};
        oc_buf_add(out, h, sizeof h);
        oc_buf_add(out, payload->p + off, k);
        off += k;
        rf->records_out++;
    }
}

void oc_reframe(oc_reframer *rf, const uint8_t *in, size_t n, oc_buf *out, oc_cutter *cut)
{
    oc_buf_add(&rf->partial, in, n);
    oc_buf run = {0};
    uint8_t run_version[2] = {3, 3};
    size_t off = 0;
    const uint8_t *p = rf->partial.p;
    while (rf->partial.len - off >= REC_HEADER) {
        size_t len = (size_t)p[off + 3] << 8 | p[off + 4];
        if (rf->partial.len - off < REC_HEADER + len)
            break; /* the rest of this record comes with the next pull */
        uint8_t type = p[off];
        const uint8_t *rec = p + off;
        off += REC_HEADER + len;
        rf->records_in++;
        int plaintext = type == CT_HANDSHAKE && (rf->tls13 || !rf->ccs_seen);
        if (plaintext) {
            if (run.len == 0)
                memcpy(run_version, rec + 1, 2);
            oc_buf_add(&run, rec + REC_HEADER, len);
            continue;
        }
        /* Anything else ends the run and passes unchanged. */
        emit_run(rf, run_version, &run, out, cut);
        run.len = 0;
        if (type == CT_CCS)
            rf->ccs_seen = 1;
        oc_buf_add(out, rec, REC_HEADER + len);
    }
    emit_run(rf, run_version, &run, out, cut);
    oc_buf_free(&run);
    oc_buf_drop(&rf->partial, off);
}

void oc_reframer_free(oc_reframer *rf)
{
    oc_buf_free(&rf->partial);
}
