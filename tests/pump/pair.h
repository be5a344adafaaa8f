/* A client and a server socket joined in memory, through the public API
 * only: contexts from the test PKI, an event recorder on each side, and a
 * shuttle that moves ciphertext between them with random fragmentation of
 * every pull, feed and read.
 *
 * The recorder checks Node's event rules on every event of every test:
 * nothing after `close`, nothing after the socket was freed, at most one
 * `error`, `end`, `secure`/`secureConnect`, and `close` only once.
 */
#ifndef PUMP_PAIR_H
#define PUMP_PAIR_H

#include "testlib.h"

/* ---- contexts ------------------------------------------------------------ */

typedef struct pt_creds {
    const char *key;  /* PKI file names; NULL for none */
    const char *cert; /* chain, leaf first */
    const char *ca;   /* NULL: the system's roots, Node's default */
    const char *min_version, *max_version; /* NULL: Node's defaults */
} pt_creds;

tlsplug_context *pt_context(pt_creds creds);

/* The usual server (localhost under the test CA) and a client trusting it. */
#define PT_SERVER ((pt_creds){.key = "server.key", .cert = "server-chain.pem"})
#define PT_CLIENT ((pt_creds){.ca = "ca.pem"})

/* ---- sides --------------------------------------------------------------- */

struct pt_pair;
typedef struct pt_side pt_side;

/* Called after the recorder has handled an event (data included); may
 * call anything on the socket, pt_side_free() included. */
typedef void (*pt_hook)(struct pt_pair *p, pt_side *side, int event, const uint8_t *data,
                        size_t len);

#define PT_LOG_MAX 32

struct pt_side {
    const char *name;     /* "client" / "server" */
    tlsplug_socket *sock; /* NULL once pt_side_free() ran */
    tlsplug_socket *stale; /* the handle as it was, for calls on a freed handle */
    struct pt_pair *pair;
    int client;    /* the client role */
    int read_mode; /* no `data` callback: cleartext is read() when READABLE */
    int queued;    /* events go to the socket's queue: the recorder sees only data */

    /* What the recorder saw. */
    int counts[8];         /* per TLSPLUG_EV_* */
    int log[PT_LOG_MAX];   /* events in order, runs of `data` collapsed */
    int nlog;
    char error_code[64];   /* payload of the ERROR event */
    int close_had_error;   /* payload of CLOSE; -1 before */
    int eof;               /* read() answered end of stream */
    int last_err;          /* the last negative status of a feed or read */

    /* Cleartext in: checked against stream rx_seed when rx_check is set. */
    int rx_check;
    uint64_t rx_seed;
    uint64_t rx_bytes;
    /* Cleartext out: the next bytes of stream tx_seed. */
    uint64_t tx_seed;
    uint64_t tx_bytes;
    int echo; /* write back whatever arrives */

    pt_hook hook;
    void *user;
};

/* Free the socket (it may be inside a callback); the side forgets it. */
void pt_side_free(pt_side *side);

/* The recorded events as text: "secureConnect data end close". */
const char *pt_log(const pt_side *side);

/* Node's name of an event. */
const char *pt_event_name(int event);

/* ---- the pair ------------------------------------------------------------ */

typedef struct pt_frag {
    size_t max_feed;  /* each feed is 1..max_feed bytes */
    size_t max_pull;  /* each pull (or peek+consume) takes 1..max_pull bytes */
    size_t max_read;  /* each read() asks for 1..max_read bytes */
    size_t max_write; /* each write() is 1..max_write bytes */
} pt_frag;

/* Byte-at-a-time feeds, small pulls and reads: handshakes and small data. */
#define PT_FRAG_BYTES                                                                   \
    ((pt_frag){.max_feed = 1, .max_pull = 700, .max_read = 700, .max_write = 4096})

/* Mutates ciphertext in flight from `from` (corruption tests); `off` is the
 * offset of data[0] in everything `from` has sent. */
typedef void (*pt_tamper)(struct pt_pair *p, pt_side *from, uint64_t off, uint8_t *data,
                          size_t n);

typedef struct pt_pair {
    pt_side c, s;
    t_rng rng;
    pt_frag frag;
    pt_tamper tamper;
    uint64_t sent[2]; /* ciphertext moved from c ([0]) and from s ([1]) */
    uint8_t *buf;     /* scratch for pulls and writes */
    size_t bufcap;
} pt_pair;

/* Create both sockets (not started). The client's servername is
 * "localhost"; read_mode selects read() delivery on both sides. The pair
 * keeps its own references: the caller may free the contexts at once. */
void pt_pair_init(pt_pair *p, tlsplug_context *cctx, tlsplug_context *sctx, int read_mode,
                  uint64_t seed);
/* Put a socket from tlsplug_server_accept (already started) in place of
 * the pair's server socket, with the recorder attached. */
void pt_pair_adopt_server(pt_pair *p, tlsplug_socket *accepted);

/* Same, making (and releasing) the two contexts. */
void pt_pair_new(pt_pair *p, pt_creds client, pt_creds server, int read_mode, uint64_t seed);
void pt_pair_free(pt_pair *p);

/* Start both sockets. */
void pt_pair_start(pt_pair *p);

/* Move what `from` has pulled into `to`, with the pair's fragmentation.
 * Answers the number of ciphertext bytes moved. */
size_t pt_transfer(pt_pair *p, pt_side *from, pt_side *to);

/* Read-mode side: read() while the state says READABLE. Answers the bytes
 * read. No-op in callback mode. */
size_t pt_service(pt_pair *p, pt_side *side);

/* Shuttle both ways and service both sides once; answers the progress. */
size_t pt_step(pt_pair *p);

/* Step until nothing moves (bounded). */
void pt_run(pt_pair *p);

/* Start and complete the handshake; both sides must see their secure event
 * and no error. */
void pt_handshake(pt_pair *p);

/* Write `n` more bytes of the side's stream in random-sized write()s. */
void pt_write(pt_pair *p, pt_side *side, size_t n);

/* The same in a single write() call (one record when n <= 16384). */
void pt_write_once(pt_pair *p, pt_side *side, size_t n);

/* Write nc bytes from the client and ns from the server, interleaved, in
 * random pieces, shuttling as it goes; the output waiting on each side is
 * kept bounded. Returns once everything was written (pt_run delivers the
 * rest). */
void pt_send(pt_pair *p, size_t nc, size_t ns);

/* Feed bytes to a side in random fragments of 1..max_feed; answers the
 * first failing status (the rest is then dropped), or TLSPLUG_OK. */
int pt_feed(pt_pair *p, pt_side *side, const uint8_t *data, size_t n);

/* The side failed for good: one `error` with `code` (any code when NULL),
 * `close` with hadError 1, and every later feed, feed_eof, write, read and
 * end answers `status` again with the same code on the handle. */
void pt_expect_fatal(pt_side *side, int status, const char *code);

/* Drop whatever ciphertext the side has waiting. */
void pt_discard_output(pt_side *side);

/* ---- metadata ------------------------------------------------------------ */

/* A string getter (get_protocol, authorization_error, get_servername): its
 * text, or NULL when it answers TLSPLUG_E_UNAVAILABLE; any other status
 * fails the test. The text lives in a small ring of static buffers. */
typedef int (*pt_getter)(tlsplug_socket *, char *, size_t, size_t *);
const char *pt_get(tlsplug_socket *s, pt_getter getter);
/* One field of getCipher(), the same way. */
const char *pt_cipher(tlsplug_socket *s, int field);
/* tlsplug_socket_authorized(). */
int pt_authorized(tlsplug_socket *s);

#endif
