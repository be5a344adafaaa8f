/* The same workloads as bench_raw.c through tlsplug's pump: a client and a
 * server tlsplug_socket joined in memory (peek_output + consume_output on
 * one side, feed on the other). TLS 1.3 only, TLS_AES_128_GCM_SHA256,
 * X25519; the client verifies the chain against ca.pem for "localhost"
 * (rejectUnauthorized, the default). Cleartext arrives through the `data`
 * callback, which only counts it. */
#include "bench_contexts.h"
#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsplug.h"

typedef struct {
    tlsplug_socket *c, *s;
} pair;

static tlsplug_context *client_ctx, *server_ctx;
static uint8_t *session_blob;
static size_t session_len;

static void chk(int st, const char *what)
{
    if (st != TLSPLUG_OK) {
        fprintf(stderr, "bench_pump: %s: %s\n", what, tlsplug_status_name(st));
        exit(1);
    }
}

static void on_data(uintptr_t ud, void *source, int event, void *subject, const uint8_t *data, size_t len)
{
    (void)source, (void)event, (void)subject, (void)data;
    *(double *)ud += (double)len;
}

static void on_session(uintptr_t ud, void *source, int event, void *subject, const uint8_t *data, size_t len)
{
    (void)ud, (void)source, (void)event, (void)subject;
    if (session_blob)
        return; /* keep the first ticket */
    session_blob = malloc(len);
    if (!session_blob)
        die("malloc", 0);
    memcpy(session_blob, data, len);
    session_len = len;
}

/* Move a's pending output into b; 1 if anything moved. */
static int move(tlsplug_socket *a, tlsplug_socket *b)
{
    int moved = 0;
    for (;;) {
        const uint8_t *d;
        size_t n;
        int st = tlsplug_socket_peek_output(a, &d, &n);
        if (st == TLSPLUG_E_AGAIN || (st == TLSPLUG_OK && n == 0))
            return moved;
        chk(st, "peek_output");
        chk(tlsplug_socket_feed(b, d, n), "feed");
        chk(tlsplug_socket_consume_output(a, n), "consume_output");
        moved = 1;
    }
}

static void pump(pair *p)
{
    while (move(p->c, p->s) | move(p->s, p->c))
        ;
}

static int secure(tlsplug_socket *s)
{
    unsigned f;
    chk(tlsplug_socket_state(s, &f), "state");
    if (f & TLSPLUG_STATE_ERROR)
        die("socket error", (long)f);
    return (f & TLSPLUG_STATE_SECURE) != 0;
}

static void pair_init(pair *p, int want_session, double *counter)
{
    chk(tlsplug_socket_new(client_ctx, TLSPLUG_ROLE_CLIENT, &p->c), "socket_new client");
    chk(tlsplug_socket_set_servername(p->c, "localhost"), "set_servername");
    if (session_blob && !want_session)
        chk(tlsplug_socket_set_session(p->c, session_blob, session_len), "set_session");
    if (want_session)
        chk(tlsplug_socket_on(p->c, TLSPLUG_EV_SESSION, on_session, 0), "on session");
    chk(tlsplug_socket_new(server_ctx, TLSPLUG_ROLE_SERVER, &p->s), "socket_new server");
    /* Both sides in flowing mode (a `data` callback), as a Node host runs
     * them: the pump then reads records as they arrive, tickets included. */
    static double ignored;
    chk(tlsplug_socket_on(p->c, TLSPLUG_EV_DATA, on_data, (uintptr_t)&ignored), "on data");
    chk(tlsplug_socket_on(p->s, TLSPLUG_EV_DATA, on_data, (uintptr_t)(counter ? counter : &ignored)),
        "on data");
    chk(tlsplug_socket_start(p->s), "start server");
    chk(tlsplug_socket_start(p->c), "start client");
}

static void pair_handshake(pair *p)
{
    pump(p); /* runs until neither side has output: tickets included */
    if (!secure(p->c) || !secure(p->s))
        die("handshake did not complete", 0);
}

static void pair_free(pair *p)
{
    tlsplug_socket_free(p->c);
    tlsplug_socket_free(p->s);
}

static void bench_bulk(double total)
{
    double got = 0;
    pair p;
    pair_init(&p, 0, &got);
    pair_handshake(&p);
    static uint8_t out[BULK_CHUNK];
    memset(out, 'x', sizeof out);
    got = 0;
    bclock clk;
    bclock_start(&clk);
    while (got < total) {
        chk(tlsplug_socket_write(p.c, out, sizeof out), "write");
        move(p.c, p.s);
    }
    double wall, cpu;
    bclock_stop(&clk, &wall, &cpu);
    pair_free(&p);
    emit_rate(got, wall, cpu);
}

static void bench_full(long n)
{
    bclock clk;
    bclock_start(&clk);
    for (long i = 0; i < n; i++) {
        pair p;
        pair_init(&p, 0, NULL);
        pair_handshake(&p);
        pair_free(&p);
    }
    double wall, cpu;
    bclock_stop(&clk, &wall, &cpu);
    emit_rate((double)n, wall, cpu);
}

static void bench_resume(long n)
{
    pair p;
    pair_init(&p, 1, NULL);
    pair_handshake(&p);
    pair_free(&p);
    if (!session_blob)
        die("no session ticket arrived", 0);
    bclock clk;
    bclock_start(&clk);
    for (long i = 0; i < n; i++) {
        pair_init(&p, 0, NULL);
        pair_handshake(&p);
        int reused = 0;
        chk(tlsplug_socket_is_session_reused(p.c, &reused), "is_session_reused");
        if (!reused)
            die("handshake did not resume", i);
        pair_free(&p);
    }
    double wall, cpu;
    bclock_stop(&clk, &wall, &cpu);
    emit_rate((double)n, wall, cpu);
}

/* Heap held by n idle established pairs: free the servers, then the
 * clients, and see how much each release gives back. */
static void bench_mem(long n)
{
    pair *ps = calloc((size_t)n, sizeof *ps);
    if (!ps)
        die("calloc", 0);
    for (long i = 0; i < n; i++) {
        pair_init(&ps[i], 0, NULL);
        pair_handshake(&ps[i]);
    }
    size_t h0 = heap_in_use();
    for (long i = 0; i < n; i++)
        tlsplug_socket_free(ps[i].s);
    size_t h1 = heap_in_use();
    for (long i = 0; i < n; i++)
        tlsplug_socket_free(ps[i].c);
    size_t h2 = heap_in_use();
    free(ps);
    emit_mem((double)(h1 - h2) / (double)n, (double)(h0 - h1) / (double)n);
}

int main(int argc, char **argv)
{
    if (argc < 3)
        usage(argv[0]);
    const char *w = argv[1];
    int rsa = argc > 3 && strcmp(argv[2], "rsa") == 0;
    bench_contexts(rsa, &client_ctx, &server_ctx);
    if (strcmp(w, "bulk") == 0)
        bench_bulk(strtod(argv[2], NULL));
    else if (strcmp(w, "full") == 0 && argc > 3)
        bench_full(strtol(argv[3], NULL, 10));
    else if (strcmp(w, "resume") == 0)
        bench_resume(strtol(argv[2], NULL, 10));
    else if (strcmp(w, "mem") == 0)
        bench_mem(strtol(argv[2], NULL, 10));
    else
        usage(argv[0]);
    free(session_blob);
    tlsplug_context_free(client_ctx);
    tlsplug_context_free(server_ctx);
    return 0;
}
