/* The progress oracle: a real handshake between a tlsplug client and a
 * tlsplug server, in memory, through the public API only, where the caller
 * decides nothing but how the bytes are cut: the sizes of the feeds, and
 * (optionally) the sizes of the plaintext handshake records, which are
 * re-framed as the TLS spec allows (a handshake message may span any number
 * of records, a record may hold several messages).
 *
 * Whatever the cutting, the exchange must complete: both sides secure, a
 * message from each arrives intact, end() closes both cleanly. Anything
 * else (an error, a stall where neither side has anything to send, a
 * missing event) is a failure, returned as text.
 *
 * Used by the libFuzzer target (fuzz_progress.c, the cutting comes from the
 * input) and by the deterministic replay (progress_replay.c, fixed
 * cuttings), so that builds without libFuzzer run the same oracle.
 */
#ifndef FUZZ_PROGRESS_H
#define FUZZ_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

/* ---- the exchange ---------------------------------------------------------- */

enum oc_server_kind {
    OC_PLAIN = 0,     /* a bare server-role socket, no tls.Server */
    OC_SNI_MATCH = 1, /* tls.Server, addContext("localhost"), client sends SNI */
    OC_SNI_ASYNC = 2, /* tls.Server, SNICallback answered one round later */
    OC_ALPN = 3,      /* tls.Server with ALPN, client offers ALPN, no SNI */
};

typedef struct oc_scenario {
    int tls13;         /* 1: TLS 1.3 only; 0: TLS 1.2 only */
    int server_kind;   /* an oc_server_kind */
    int client_cert;   /* the server requires (and verifies) a client certificate */
    int hrr;           /* TLS 1.3: the server's group forces a HelloRetryRequest */
    int read_mode;     /* cleartext through read() instead of the data callback */
} oc_scenario;

/* Text for a scenario, for messages ("TLS1.3 sni-async client-cert"). */
const char *oc_scenario_name(const oc_scenario *sc);

/* ---- the cutting ------------------------------------------------------------ */

enum { OC_FEED = 0, OC_RECORD = 1 };
enum { OC_C2S = 0, OC_S2C = 1 };

/* Decides sizes: for OC_FEED, how many of `avail` waiting bytes the next
 * feed carries; for OC_RECORD, how many of `avail` bytes of handshake
 * payload the next re-framed record carries. The answer is clamped to
 * 1..avail (and 1..16384 for records). */
typedef struct oc_cutter oc_cutter;
struct oc_cutter {
    size_t (*next)(oc_cutter *c, int what, int dir, size_t avail);
    int reframe; /* re-frame the plaintext handshake records */
    void *user;
};

/* Credentials (a CA, a server chain, a client certificate, generated in
 * memory) and contexts; call once. Answers NULL or a failure. */
const char *oc_init(void);

/* One exchange. Answers NULL when it completed, or what went wrong. */
const char *oc_run(const oc_scenario *sc, oc_cutter *cut);

/* ---- credentials (progress_creds.c) --------------------------------------- */

/* PEM texts, generated in memory at start-up (ECDSA P-256, valid from an
 * hour ago for a day): nothing on disk, so the fuzzer needs no fixture. */
typedef struct oc_creds {
    char *ca;           /* the root, trusted by both sides */
    char *server_key;
    char *server_chain; /* leaf (localhost) then the root */
    char *client_key;
    char *client_cert;  /* client leaf under the root */
} oc_creds;

/* Answers NULL or what failed. */
const char *oc_make_creds(oc_creds *out);

/* ---- the re-framer (progress_reframe.c) ------------------------------------ */

typedef struct oc_buf {
    uint8_t *p;
    size_t len, cap;
} oc_buf;

void oc_buf_add(oc_buf *b, const uint8_t *data, size_t n);
void oc_buf_drop(oc_buf *b, size_t n); /* remove n bytes from the front */
void oc_buf_free(oc_buf *b);

/* One direction's output, re-framed: whole records of the sender's output
 * go in (any cut), and out come the same records, except that each run of
 * consecutive plaintext handshake records has its payload re-split into
 * records of the cutter's sizes. Plaintext handshake records are those
 * before the sender's ChangeCipherSpec in TLS 1.2, and every type-22
 * record in TLS 1.3 (its encrypted records are all type 23 outside). */
typedef struct oc_reframer {
    int tls13, dir;
    int ccs_seen;
    oc_buf partial; /* an incomplete record, kept for the next call */
    size_t records_in, records_out;
} oc_reframer;

void oc_reframe(oc_reframer *rf, const uint8_t *in, size_t n, oc_buf *out, oc_cutter *cut);
void oc_reframer_free(oc_reframer *rf);

#endif
