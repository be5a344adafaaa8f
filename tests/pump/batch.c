/* The batched entry points, tlsplug_socket_feed_read and
 * tlsplug_socket_write_pull: a whole connection driven by them alone, with
 * random transport pieces and buffers down to one byte; their want-states
 * (E_AGAIN: feed more; E_BUFSIZE: the host's buffer is full, more waits);
 * an end and a fatal alert arriving in the same batch as data (the data
 * first, then the end or the error); their refusals. Where a status or
 * code matters, the classic calls (feed + read) on the same bytes are the
 * oracle. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pair.h"

/* ---- a side's transport, driven only by the batched calls ---------------- */

typedef struct wire {
    uint8_t *data;
    size_t len, cap;
} wire;

static void wire_put(wire *w, const uint8_t *p, size_t n)
{
    if (w->len + n > w->cap) {
        w->cap = (w->len + n) * 2;
        w->data = realloc(w->data, w->cap);
        CHECK(w->data != NULL);
    }
    memcpy(w->data + w->len, p, n);
    w->len += n;
}

static void wire_take(wire *w, size_t n)
{
    memmove(w->data, w->data + n, w->len - n);
    w->len -= n;
}

/* Everything the side has for the peer, pulled through write_pull with
 * no cleartext and a window of 1..max bytes: E_BUFSIZE exactly while the
 * window came back full and more waits. */
static void drain_output(pt_pair *p, pt_side *side, wire *to, size_t max)
{
    uint8_t *win = malloc(max);
    CHECK(win != NULL);
    for (int round = 0; round < 1000000; round++) {
        size_t cap = t_rng_range(&p->rng, 1, max), got = 0;
        unsigned st = 0;
        int rc = tlsplug_socket_write_pull(side->sock, NULL, 0, win, cap, &got, &st);
        wire_put(to, win, got);
        if (rc == TLSPLUG_OK) {
            CHECKF(!(st & TLSPLUG_STATE_HAS_OUTPUT), "%s: OK with output left, state 0x%x",
                   side->name, st);
            break;
        }
        CHECK_RC(rc, TLSPLUG_E_BUFSIZE);
        CHECKF(got == cap && (st & TLSPLUG_STATE_HAS_OUTPUT), "%s: E_BUFSIZE, %zu of %zu, 0x%x",
               side->name, got, cap, st);
    }
    free(win);
}

/* Feed 1..max_feed bytes of what arrived and read cleartext into a buffer of
 * 1..max_read bytes, until the input is used up and no cleartext is left;
 * the cleartext is checked against the peer's stream. Answers the last
 * status that was not OK or E_AGAIN (or OK). */
static int feed_all(pt_pair *p, pt_side *side, wire *from, size_t max_feed, size_t max_read)
{
    uint8_t *buf = malloc(max_read);
    CHECK(buf != NULL);
    int last = TLSPLUG_OK;
    for (int round = 0; round < 1000000 && side->sock; round++) {
        size_t n = from->len ? t_rng_range(&p->rng, 1, from->len < max_feed ? from->len : max_feed)
                             : 0;
        size_t cap = t_rng_range(&p->rng, 1, max_read), got = 0;
        unsigned st = 0;
        int rc = tlsplug_socket_feed_read(side->sock, n ? from->data : NULL, n, buf, cap, &got, &st);
        wire_take(from, n); /* taken whole (or dropped, on a failure) */
        if (rc == TLSPLUG_OK && got) {
            CHECKF(got <= cap, "%zu cleartext bytes in a buffer of %zu", got, cap);
            size_t bad = t_stream_diff(side->rx_seed, side->rx_bytes, buf, got);
            CHECKF(bad == got, "%s: cleartext differs at byte %llu", side->name,
                   (unsigned long long)(side->rx_bytes + bad));
            side->rx_bytes += got;
            continue;
        }
        if (rc == TLSPLUG_OK) { /* end of stream */
            side->eof = 1;
            CHECKF(st & TLSPLUG_STATE_PEER_ENDED, "%s: end of stream, state 0x%x", side->name, st);
            break;
        }
        if (rc == TLSPLUG_E_AGAIN) {
            CHECKF(!(st & TLSPLUG_STATE_READABLE), "%s: E_AGAIN while READABLE (0x%x)", side->name,
                   st);
            if (!from->len)
                break;
            continue;
        }
        last = rc;
        break;
    }
    free(buf);
    return last;
}

/* Write n bytes of the side's stream through write_pull with pieces of
 * 1..max_write bytes and windows of 1..max_win bytes; the ciphertext goes
 * on the wire in order. */
static void write_all(pt_pair *p, pt_side *side, wire *to, size_t n, size_t max_write,
                      size_t max_win)
{
    uint8_t *clear = malloc(max_write), *win = malloc(max_win);
    CHECK(clear && win);
    while (n) {
        size_t k = t_rng_range(&p->rng, 1, n < max_write ? n : max_write);
        t_stream_fill(side->tx_seed, side->tx_bytes, clear, k);
        size_t cap = t_rng_range(&p->rng, 1, max_win), got = 0;
        unsigned st = 0;
        int rc = tlsplug_socket_write_pull(side->sock, clear, k, win, cap, &got, &st);
        CHECKF(rc == TLSPLUG_OK || rc == TLSPLUG_E_BUFSIZE, "write_pull: %d", rc);
        CHECKF(got <= cap, "%zu ciphertext bytes in a window of %zu", got, cap);
        wire_put(to, win, got);
        side->tx_bytes += k;
        n -= k;
        if (rc == TLSPLUG_E_BUFSIZE && t_rng_below(&p->rng, 2))
            drain_output(p, side, to, max_win); /* else: the next write_pull takes it first */
    }
    drain_output(p, side, to, max_win);
    free(clear);
    free(win);
}

/* The handshake through the batched calls only: each side's output is
 * drained with write_pull and fed to the other with feed_read (the pair is
 * started here unless it was). */
static void batch_handshake(pt_pair *p, wire *c2s, wire *s2c)
{
    if (!(t_state(p->c.sock) & TLSPLUG_STATE_HANDSHAKING))
        pt_pair_start(p);
    for (int round = 0; round < 200; round++) {
        drain_output(p, &p->c, c2s, 1 + round * 97 % 3000);
        CHECK_OK(feed_all(p, &p->s, c2s, 1 + round * 131 % 2000, 100));
        drain_output(p, &p->s, s2c, 1 + round * 89 % 3000);
        CHECK_OK(feed_all(p, &p->c, s2c, 1 + round * 113 % 2000, 100));
        if ((t_state(p->c.sock) & TLSPLUG_STATE_SECURE) && (t_state(p->s.sock) & TLSPLUG_STATE_SECURE) &&
            !c2s->len && !s2c->len && !(t_state(p->c.sock) & TLSPLUG_STATE_HAS_OUTPUT) &&
            !(t_state(p->s.sock) & TLSPLUG_STATE_HAS_OUTPUT))
            break;
    }
    CHECK_STR(pt_log(&p->c), "secureConnect");
    CHECK_STR(pt_log(&p->s), "secure");
}

static void new_pair(pt_pair *p, const char *version, uint64_t seed)
{
    pt_creds server = PT_SERVER;
    server.min_version = server.max_version = version;
    pt_pair_new(p, PT_CLIENT, server, 1, seed);
}

/* Both directions, random pieces and buffers, then an orderly end. */
static void stream(const char *version, size_t n, size_t max_feed, size_t max_read,
                   size_t max_win, uint64_t seed)
{
    t_case("stream %zu bytes, %s, feeds <= %zu, reads <= %zu, windows <= %zu", n, version,
           max_feed, max_read, max_win);
    pt_pair p;
    new_pair(&p, version, seed);
    wire c2s = {0}, s2c = {0};
    batch_handshake(&p, &c2s, &s2c);
    write_all(&p, &p.c, &c2s, n, 40000, max_win);
    write_all(&p, &p.s, &s2c, n / 3 + 1, 40000, max_win);
    CHECK_OK(feed_all(&p, &p.s, &c2s, max_feed, max_read));
    CHECK_OK(feed_all(&p, &p.c, &s2c, max_feed, max_read));
    CHECKF(p.s.rx_bytes == n, "server got %llu of %zu", (unsigned long long)p.s.rx_bytes, n);
    CHECKF(p.c.rx_bytes == n / 3 + 1, "client got %llu", (unsigned long long)p.c.rx_bytes);
    CHECK(c2s.len == 0 && s2c.len == 0);

    CHECK_OK(tlsplug_socket_end(p.c.sock));
    drain_output(&p, &p.c, &c2s, max_win);
    CHECK_OK(feed_all(&p, &p.s, &c2s, max_feed, max_read));
    CHECK(p.s.eof);
    drain_output(&p, &p.s, &s2c, max_win); /* its own close_notify (allowHalfOpen false) */
    CHECK_OK(feed_all(&p, &p.c, &s2c, max_feed, max_read));
    CHECK(p.c.eof);
    CHECK_STR(pt_log(&p.c), "secureConnect end close");
    CHECK_STR(pt_log(&p.s), "secure end close");
    free(c2s.data);
    free(s2c.data);
    pt_pair_free(&p);
}

/* Records, then close_notify, in one batch: all the data, then the end. */
static void end_in_batch(uint64_t seed)
{
    t_case("data and close_notify in one feed_read");
    pt_pair p;
    new_pair(&p, "TLSv1.3", seed);
    wire c2s = {0}, s2c = {0};
    batch_handshake(&p, &c2s, &s2c);
    write_all(&p, &p.s, &s2c, 50000, 16384, 70000);
    CHECK_OK(tlsplug_socket_end(p.s.sock));
    drain_output(&p, &p.s, &s2c, 70000);

    uint8_t *buf = malloc(60000);
    size_t got = 0;
    unsigned st = 0;
    CHECK_OK(tlsplug_socket_feed_read(p.c.sock, s2c.data, s2c.len, buf, 60000, &got, &st));
    CHECKF(got == 50000, "got %zu of 50000 in one batch", got);
    CHECK(t_stream_diff(p.s.tx_seed, 0, buf, got) == got);
    CHECKF(st & TLSPLUG_STATE_PEER_ENDED, "state 0x%x", st);
    /* allowHalfOpen false: its own close_notify follows (output to send), then close. */
    CHECK_STR(pt_log(&p.c), "secureConnect end close");
    CHECK(st & TLSPLUG_STATE_HAS_OUTPUT);
    CHECK_OK(tlsplug_socket_feed_read(p.c.sock, NULL, 0, buf, 60000, &got, &st));
    CHECK(got == 0); /* end of stream, again */
    free(buf);
    free(c2s.data);
    free(s2c.data);
    pt_pair_free(&p);
}

/* Records, then a corrupted record, in one batch: the data, then on the
 * next call the error, the same one a classic feed + read of the same
 * bytes meets. */
static void alert_in_batch(uint64_t seed)
{
    t_case("data and a corrupted record in one feed_read");
    int oracle_rc = 0;
    char oracle_code[64] = "";
    for (int classic = 1; classic >= 0; classic--) {
        pt_pair p;
        new_pair(&p, "TLSv1.3", seed);
        wire c2s = {0}, s2c = {0};
        batch_handshake(&p, &c2s, &s2c);
        write_all(&p, &p.s, &s2c, 20000, 20000, 70000);
        size_t good = s2c.len;
        write_all(&p, &p.s, &s2c, 100, 100, 70000);
        s2c.data[good + 10] ^= 0x40; /* inside the last record's ciphertext */

        uint8_t *buf = malloc(40000);
        size_t got = 0, total = 0;
        unsigned st = 0;
        int rc;
        if (classic) {
            rc = tlsplug_socket_feed(p.c.sock, s2c.data, s2c.len);
            while (rc == TLSPLUG_OK) {
                rc = tlsplug_socket_read(p.c.sock, buf, 40000, &got);
                total += rc == TLSPLUG_OK ? got : 0;
                if (rc == TLSPLUG_OK && got == 0)
                    break;
            }
            CHECK(rc < 0 && rc != TLSPLUG_E_AGAIN);
            oracle_rc = rc;
            snprintf(oracle_code, sizeof oracle_code, "%s", t_error_code(p.c.sock));
        } else {
            CHECK_OK(tlsplug_socket_feed_read(p.c.sock, s2c.data, s2c.len, buf, 40000, &got, &st));
            CHECKF(got == 20000, "got %zu of 20000 before the bad record", got);
            CHECK(t_stream_diff(p.s.tx_seed, 0, buf, got) == got);
            CHECKF(st & TLSPLUG_STATE_ERROR, "state 0x%x", st);
            rc = tlsplug_socket_feed_read(p.c.sock, NULL, 0, buf, 40000, &got, &st);
            CHECK_RC(rc, oracle_rc);
            CHECK_STR(t_error_code(p.c.sock), oracle_code);
            CHECK(got == 0);
            CHECK_STR(pt_log(&p.c), "secureConnect error close");
            CHECK_STR(p.c.error_code, oracle_code);
            /* Sticky, and write_pull still hands out the alert. */
            CHECK_RC(tlsplug_socket_feed_read(p.c.sock, NULL, 0, buf, 1, &got, &st), oracle_rc);
            CHECK_RC(tlsplug_socket_write_pull(p.c.sock, (const uint8_t *)"x", 1, buf, 40000, &got,
                                               &st),
                     oracle_rc);
        }
        (void)total;
        free(buf);
        free(c2s.data);
        free(s2c.data);
        pt_pair_free(&p);
    }
}

/* A record cut short: E_AGAIN with nothing read and WANT_INPUT; the rest
 * completes it. Before the handshake, feed_read answers E_AGAIN too. */
static void want_states(uint64_t seed)
{
    t_case("E_AGAIN on a partial record, then the rest");
    pt_pair p;
    new_pair(&p, "TLSv1.3", seed);
    wire c2s = {0}, s2c = {0};
    uint8_t buf[64];
    size_t got = 7;
    unsigned st = 0;
    pt_pair_start(&p);
    CHECK_RC(tlsplug_socket_feed_read(p.s.sock, NULL, 0, buf, sizeof buf, &got, &st),
             TLSPLUG_E_AGAIN);
    CHECK(got == 0 && (st & TLSPLUG_STATE_WANT_INPUT) && (st & TLSPLUG_STATE_HANDSHAKING));
    batch_handshake(&p, &c2s, &s2c);
    uint8_t clear[30], rec[200];
    t_stream_fill(p.c.tx_seed, 0, clear, sizeof clear);
    CHECK_OK(tlsplug_socket_write_pull(p.c.sock, clear, sizeof clear, rec, sizeof rec, &got, &st));
    size_t n = got; /* one record */
    wire_put(&c2s, rec, n);
    CHECK_RC(tlsplug_socket_feed_read(p.s.sock, c2s.data, n - 1, buf, sizeof buf, &got, &st),
             TLSPLUG_E_AGAIN);
    CHECKF(got == 0 && (st & TLSPLUG_STATE_WANT_INPUT), "got %zu, state 0x%x", got, st);
    CHECK_OK(tlsplug_socket_feed_read(p.s.sock, c2s.data + n - 1, 1, buf, 10, &got, &st));
    CHECK(got == 10 && t_stream_diff(p.c.tx_seed, 0, buf, 10) == 10);
    CHECKF(st & TLSPLUG_STATE_READABLE, "20 bytes left, state 0x%x", st);
    CHECK_OK(tlsplug_socket_feed_read(p.s.sock, NULL, 0, buf, sizeof buf, &got, &st));
    CHECK(got == 20 && t_stream_diff(p.c.tx_seed, 10, buf, 20) == 20);
    CHECK_RC(tlsplug_socket_feed_read(p.s.sock, NULL, 0, buf, sizeof buf, &got, &st),
             TLSPLUG_E_AGAIN);
    /* Nothing to send: OK with nothing. */
    CHECK_OK(tlsplug_socket_write_pull(p.s.sock, NULL, 0, buf, sizeof buf, &got, &st));
    CHECK(got == 0 && !(st & TLSPLUG_STATE_HAS_OUTPUT));
    free(c2s.data);
    free(s2c.data);
    pt_pair_free(&p);
}

/* The event queue's bit in the state the batched calls answer. */
static void events_bit(uint64_t seed)
{
    t_case("TLSPLUG_STATE_EVENTS with the event queue on");
    pt_pair p;
    new_pair(&p, "TLSv1.3", seed);
    CHECK_OK(tlsplug_socket_set_event_queue(p.c.sock, 1));
    CHECK_OK(tlsplug_socket_on(p.c.sock, TLSPLUG_EV_SECURE_CONNECT, NULL, 0));
    wire c2s = {0}, s2c = {0};
    pt_pair_start(&p);
    for (int i = 0; i < 10 && !(t_state(p.c.sock) & TLSPLUG_STATE_SECURE); i++) {
        drain_output(&p, &p.c, &c2s, 5000);
        feed_all(&p, &p.s, &c2s, 5000, 100);
        drain_output(&p, &p.s, &s2c, 5000);
        feed_all(&p, &p.c, &s2c, 5000, 100);
    }
    unsigned st = t_state(p.c.sock);
    CHECKF(st & TLSPLUG_STATE_EVENTS, "state 0x%x", st);
    int ev = 0;
    size_t len = 0;
    uint8_t buf[4096];
    for (int i = 0; i < 10 && tlsplug_socket_next_event(p.c.sock, &ev, buf, sizeof buf, &len) == 0; i++)
        ;
    st = t_state(p.c.sock);
    CHECKF(!(st & TLSPLUG_STATE_EVENTS), "queue emptied, state 0x%x", st);
    free(c2s.data);
    free(s2c.data);
    pt_pair_free(&p);
}

/* set_data_batch: the records fed together come in one `data` event, and
 * the `end` after them still comes after them; by default, one per record. */
static void data_batches(size_t batch, uint64_t seed)
{
    t_case("data events with set_data_batch(%zu)", batch);
    pt_pair p;
    pt_pair_new(&p, PT_CLIENT, PT_SERVER, 0, seed); /* callback mode */
    if (batch)
        CHECK_OK(tlsplug_socket_set_data_batch(p.c.sock, batch));
    pt_handshake(&p);
    int before = p.c.counts[TLSPLUG_EV_DATA];
    wire s2c = {0};
    for (int i = 0; i < 5; i++)
        pt_write_once(&p, &p.s, 16384); /* five full records */
    CHECK_OK(tlsplug_socket_end(p.s.sock));
    drain_output(&p, &p.s, &s2c, 200000);
    CHECK_OK(tlsplug_socket_feed(p.c.sock, s2c.data, s2c.len));
    CHECK(p.c.rx_bytes == 5 * 16384);
    int events = p.c.counts[TLSPLUG_EV_DATA] - before;
    int want = batch ? (int)((5 * 16384 + batch - 1) / batch) : 5;
    CHECKF(events == want, "%d data events, expected %d", events, want);
    CHECK_STR(pt_log(&p.c), "secureConnect data end close");
    free(s2c.data);
    pt_pair_free(&p);
}

static void refusals(uint64_t seed)
{
    t_case("refusals: NULLs, a data callback");
    pt_pair p;
    pt_pair_new(&p, PT_CLIENT, PT_SERVER, 0, seed); /* callback mode */
    uint8_t buf[16];
    size_t got = 0;
    unsigned st = 0;
    CHECK_RC(tlsplug_socket_feed_read(p.c.sock, NULL, 0, buf, sizeof buf, &got, &st),
             TLSPLUG_E_STATE);
    CHECK_STR(t_error_code(p.c.sock), "ERR_TLS_INVALID_STATE");
    CHECK_RC(tlsplug_socket_feed_read(p.c.sock, NULL, 0, NULL, 0, &got, &st), TLSPLUG_E_INVAL);
    CHECK_RC(tlsplug_socket_feed_read(p.c.sock, NULL, 3, buf, sizeof buf, &got, &st),
             TLSPLUG_E_INVAL);
    CHECK_RC(tlsplug_socket_feed_read(p.c.sock, NULL, 0, buf, sizeof buf, NULL, &st),
             TLSPLUG_E_INVAL);
    CHECK_RC(tlsplug_socket_write_pull(p.c.sock, NULL, 3, buf, sizeof buf, &got, &st),
             TLSPLUG_E_INVAL);
    CHECK_RC(tlsplug_socket_write_pull(p.c.sock, NULL, 0, buf, sizeof buf, &got, NULL),
             TLSPLUG_E_INVAL);
    CHECK_RC(tlsplug_socket_set_data_batch(p.c.sock, 16383), TLSPLUG_E_INVAL);
    CHECK_STR(t_error_code(p.c.sock), "ERR_OUT_OF_RANGE");
    CHECK_RC(tlsplug_socket_set_data_batch(p.c.sock, 1048577), TLSPLUG_E_INVAL);
    CHECK_RC(tlsplug_socket_feed_read(NULL, NULL, 0, buf, sizeof buf, &got, &st),
             TLSPLUG_E_BADHANDLE);
    CHECK_RC(tlsplug_socket_write_pull(NULL, NULL, 0, buf, sizeof buf, &got, &st),
             TLSPLUG_E_BADHANDLE);
    pt_pair_free(&p);
}

int main(void)
{
    t_init("batch", 0xba7c4);
    uint64_t seed = t_seed();
    const char *versions[] = {"TLSv1.3", "TLSv1.2"};
    for (int v = 0; v < 2; v++) {
        stream(versions[v], 200000, 70000, 70000, 70000, seed + v);
        stream(versions[v], 3000, 7, 5, 3, seed + 10 + v);
        stream(versions[v], 100000, 20000, 1, 40000, seed + 20 + v);
        stream(versions[v], 100000, 1, 20000, 1, seed + 30 + v);
    }
    end_in_batch(seed + 40);
    alert_in_batch(seed + 41);
    want_states(seed + 42);
    events_bit(seed + 43);
    data_batches(0, seed + 45);
    data_batches(16384, seed + 46);
    data_batches(65536, seed + 47);
    refusals(seed + 44);
    return t_done();
}
