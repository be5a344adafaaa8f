/* The clients of the load test (see load.h). Every connection sends a
 * slice of one random pattern (from its own offset) and checks that the
 * echo is the same bytes; it also keeps a checksum and a length of each
 * direction, compared when it closes. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, fork, pipe, poll */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "load.h"

#define PATTERN (1u << 20)
#define CHUNK 16384
#define WINDOW (256u * 1024) /* most bytes in flight (sent, not yet echoed) per connection */
#define STORM_BYTES 1024     /* each storm connection's message */

static uint8_t pattern[PATTERN + CHUNK]; /* the tail repeats the head: chunks never wrap */

typedef struct run run;

typedef struct conn {
    run *r;
    tlsplug_socket *sock;
    size_t start;   /* offset of the connection's stream in the pattern */
    uint64_t limit; /* bytes to send (UINT64_MAX: until the run says stop) */
    uint64_t sent, got, sum_tx, sum_rx;
    int refuse, secure, closed, ending, bad;
    char error[64];
} conn;

struct run {
    tlsplug_loop *loop;
    int port;
    tlsplug_context *ctx, *distrust;
    conn *conns;
    size_t n, next, open, closed;
    size_t concurrency; /* connections open at once */
    int stop; /* soak: the time is up, send no more */
    client_figures *fig;
};

static void init_pattern(void)
{
    static int done;
    if (done)
        return;
    t_rng rng;
    t_rng_seed(&rng, 0x10ad);
    t_rng_bytes(&rng, pattern, PATTERN);
    memcpy(pattern + PATTERN, pattern, CHUNK);
    done = 1;
}

/* FNV-1a, 64 bits: an independent check of what the byte comparison saw. */
static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void note(run *r, const char *what, const conn *c)
{
    if (!r->fig->first_problem[0])
        snprintf(r->fig->first_problem, sizeof r->fig->first_problem,
                 "connection %zu: %s (sent %llu, got %llu, error %s)", (size_t)(c - r->conns),
                 what, (unsigned long long)c->sent, (unsigned long long)c->got,
                 c->error[0] ? c->error : "none");
}

/* Send while the window and the socket's buffer allow. */
static void pump(conn *c)
{
    while (!c->ending && c->sent < c->limit && !(c->r->stop && c->limit == UINT64_MAX) &&
           c->sent - c->got < WINDOW && !(t_state(c->sock) & TLSPLUG_STATE_NEED_DRAIN)) {
        uint64_t left = c->limit - c->sent;
        size_t n = left < CHUNK ? (size_t)left : CHUNK;
        const uint8_t *p = pattern + (c->start + c->sent) % PATTERN;
        CHECK_OK(tlsplug_socket_write(c->sock, p, n));
        c->sum_tx = fnv(c->sum_tx, p, n);
        c->sent += n;
    }
}

/* Everything sent came back and nothing more will be sent: end. */
static void maybe_end(conn *c)
{
    int done_sending = c->sent >= c->limit || (c->r->stop && c->limit == UINT64_MAX);
    if (!c->ending && c->secure && done_sending && c->got == c->sent) {
        c->ending = 1;
        CHECK_OK(tlsplug_socket_end(c->sock));
    }
}

static void launch(run *r);

static void on_close(conn *c, int had_error)
{
    run *r = c->r;
    client_figures *f = r->fig;
    c->closed = 1;
    r->open--;
    r->closed++;
    f->bytes_out += c->sent;
    f->bytes_in += c->got;
    if (c->refuse) {
        /* Refused on purpose: the client rejects the server's certificate. */
        if (had_error && !c->secure)
            f->refused++;
        else
            f->lost++, note(r, "was to be refused but was not", c);
    } else if (had_error || !c->secure || !c->ending) {
        f->lost++;
        note(r, "lost", c);
    } else if (c->got != c->sent || c->sum_rx != c->sum_tx || c->bad) {
        f->mismatches++;
        note(r, "echo differs", c);
    }
    CHECK_OK(tlsplug_socket_free(c->sock)); /* allowed inside the callback */
    c->sock = NULL;
    launch(r);
}

static void on_event(uintptr_t ud, void *source, int event, void *subject, const uint8_t *data,
                     size_t len)
{
    (void)source, (void)subject;
    conn *c = (conn *)ud;
    switch (event) {
    case TLSPLUG_EV_SECURE_CONNECT:
        c->secure = 1;
        c->r->fig->handshakes++;
        pump(c);
        maybe_end(c);
        break;
    case TLSPLUG_EV_DATA: {
        size_t off = (c->start + c->got) % PATTERN;
        /* A chunk of the echo may wrap past the pattern's end. */
        size_t first = len < PATTERN - off ? len : PATTERN - off;
        if (c->got + len > c->sent || memcmp(data, pattern + off, first) != 0 ||
            memcmp(data + first, pattern, len - first) != 0)
            c->bad = 1;
        c->sum_rx = fnv(c->sum_rx, data, len);
        c->got += len;
        pump(c);
        maybe_end(c);
        break;
    }
    case TLSPLUG_EV_DRAIN:
        pump(c);
        break;
    case TLSPLUG_EV_ERROR:
        snprintf(c->error, sizeof c->error, "%.*s", (int)len, (const char *)data);
        break;
    case TLSPLUG_EV_CLOSE:
        on_close(c, len == 1 && data[0]);
        break;
    default:
        break;
    }
}

/* Start connections until `concurrency` are open or all were started. */
static void launch(run *r)
{
    while (r->next < r->n && r->open < r->concurrency) {
        conn *c = &r->conns[r->next];
        c->r = r;
        c->start = (r->next * 7919u) % PATTERN;
        int refuse = c->refuse;
        CHECK_OK(tlsplug_socket_new(refuse ? r->distrust : r->ctx, TLSPLUG_ROLE_CLIENT, &c->sock));
        static const int events[] = {TLSPLUG_EV_SECURE_CONNECT, TLSPLUG_EV_DATA, TLSPLUG_EV_DRAIN,
                                     TLSPLUG_EV_ERROR, TLSPLUG_EV_CLOSE};
        for (size_t i = 0; i < sizeof events / sizeof *events; i++)
            CHECK_OK(tlsplug_socket_on(c->sock, events[i], on_event, (uintptr_t)c));
        CHECK_OK(tlsplug_socket_set_servername(c->sock, "localhost"));
        CHECK_OK(tlsplug_loop_connect(r->loop, c->sock, "127.0.0.1", r->port));
        r->next++;
        r->fig->started++;
        if (++r->open > r->fig->peak_open)
            r->fig->peak_open = r->open;
    }
}

/* Run n connections (limit bytes each), `concurrency` at a time, until all
 * closed; the soak's `stop` comes from a timer after `seconds`. */
static void on_stop(uintptr_t ud, void *source, int event, void *subject, const uint8_t *data,
                    size_t len)
{
    (void)source, (void)event, (void)subject, (void)data, (void)len;
    run *r = (run *)ud;
    r->stop = 1;
    for (size_t i = 0; i < r->next; i++)
        if (r->conns[i].sock && !r->conns[i].closed)
            maybe_end(&r->conns[i]);
}

static void run_all(tlsplug_loop *loop, int port, size_t n, size_t concurrency, uint64_t limit,
                    size_t refusals, size_t seconds, client_figures *fig)
{
    init_pattern();
    memset(fig, 0, sizeof *fig);
    run r = {.loop = loop, .port = port, .n = n, .concurrency = concurrency, .fig = fig};
    r.ctx = pt_context(PT_CLIENT);
    r.distrust = pt_context((pt_creds){.ca = "other-ca.pem"}); /* does not know the server's root */
    r.conns = calloc(n, sizeof *r.conns);
    CHECK(r.conns);
    /* Exactly `refusals` of the n, spread evenly. */
    size_t stride = refusals ? n / refusals : 0;
    for (size_t i = 0; i < n; i++) {
        r.conns[i].limit = limit;
        r.conns[i].refuse = stride && i % stride == stride / 2 && i / stride < refusals;
        fig->refused_expected += (uint64_t)r.conns[i].refuse;
    }
    double t0 = now_s();
    if (seconds) {
        size_t id;
        CHECK_OK(tlsplug_loop_set_timer(loop, seconds * 1000, 0, on_stop, (uintptr_t)&r, &id));
    }
    launch(&r);
    /* Bounded: the soak's time plus a generous allowance per connection. */
    double deadline = t0 + (double)seconds + 120.0 + (double)n * 0.05;
    while (r.closed < n) {
        CHECKF(now_s() < deadline, "clients: %zu of %zu closed after %.0f s (%s)", r.closed, n,
               now_s() - t0, fig->first_problem[0] ? fig->first_problem : "no problem noted");
        int alive;
        CHECK_OK(tlsplug_loop_run_for(loop, 50, &alive));
    }
    fig->seconds = now_s() - t0;
    free(r.conns);
    CHECK_OK(tlsplug_context_free(r.ctx));
    CHECK_OK(tlsplug_context_free(r.distrust));
}

void load_storm(tlsplug_loop *loop, int port, const load_config *cfg, client_figures *out)
{
    run_all(loop, port, cfg->handshakes + cfg->refusals, cfg->concurrency, STORM_BYTES,
            cfg->refusals, 0, out);
}

void load_soak(tlsplug_loop *loop, int port, const load_config *cfg, client_figures *out)
{
    run_all(loop, port, cfg->soak_conns, cfg->soak_conns, UINT64_MAX, 0, cfg->soak_seconds, out);
}

void load_warmup(tlsplug_loop *loop, int port, client_figures *out)
{
    run_all(loop, port, 32, 8, STORM_BYTES, 0, 0, out);
}
