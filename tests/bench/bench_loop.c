/* tlsplug on its own loop over loopback TCP: a tlsplug server (in a forked
 * child, listening on the driver's socket with tlsplug_loop_listen_fd) and
 * tlsplug clients (tlsplug_loop_connect), each process on its own
 * tlsplug_loop. The same settings and per-connection exchange as
 * bench_raw_tcp.c (TLS 1.3, TLS_AES_128_GCM_SHA256, X25519; the client
 * verifies the chain for "localhost"; handshake, one byte each way, end),
 * so the ratio to it is the cost of the library and its IO layer.
 *
 * CPU: CLOCK_PROCESS_CPUTIME_ID around each process's own timed section,
 * summed, as bench_raw_tcp.c.
 *
 * resume-id memory|redis: TLS 1.2 without tickets, so each connection
 * resumes by session id from the server's session store: the embedded
 * cache, or Redis at $TLSPLUG_BENCH_REDIS (the driver starts one). */
#include "bench_contexts.h"
#include "bench_tcp.h"
#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tlsplug.h"

static workload wl;
static tlsplug_loop *loop;
static tlsplug_context *client_ctx, *server_ctx;

static void chk(int st, const char *what)
{
    if (st != TLSPLUG_OK) {
        fprintf(stderr, "bench_loop[%d]: %s: %s\n", (int)getpid(), what, tlsplug_status_name(st));
        exit(1);
    }
}

/* Callbacks set a flag and stop the loop, so run_until returns at once. */
static void raise_flag(int *flag)
{
    *flag = 1;
    tlsplug_loop_stop(loop);
}

static void run_until(const int *flag)
{
    double deadline = wall_now() + BENCH_WATCHDOG_S;
    while (!*flag) {
        int alive;
        chk(tlsplug_loop_run_for(loop, 1000, &alive), "run_for");
        if (wall_now() > deadline)
            die("timed out", 0);
    }
}

/* ---- server child ---------------------------------------------------------- */

static struct {
    tlsplug_server *srv;
    double bulk_got, t0;
    long established, closed, target;
    int done;
    server_report rep;
    size_t h0, r0;
} sv;

static void on_server_sock(uintptr_t ud, void *source, int event, void *subject,
                           const uint8_t *data, size_t len)
{
    (void)ud, (void)subject, (void)data;
    if (event == TLSPLUG_EV_DATA) {
        if (wl.kind == W_BULK) {
            sv.bulk_got += (double)len;
            if (sv.bulk_got >= wl.bytes) {
                chk(tlsplug_socket_write(source, (const uint8_t *)"k", 1), "write");
                sv.rep.cpu_s = cpu_now() - sv.t0;
            }
            return;
        }
        chk(tlsplug_socket_write(source, (const uint8_t *)"k", 1), "write");
        if (wl.kind == W_MEM && ++sv.established == wl.count) {
            sv.rep.heap_bytes = (double)heap_in_use() - (double)sv.h0;
            sv.rep.rss_bytes = (double)rss_bytes() - (double)sv.r0;
            raise_flag(&sv.done);
        }
    } else if (event == TLSPLUG_EV_CLOSE && wl.kind != W_MEM) {
        /* full / resume: the priming connection is not timed. */
        long prime = wl.kind == W_RESUME || wl.kind == W_RESUME_ID ? 1 : 0;
        if (++sv.closed == prime)
            sv.t0 = cpu_now();
        if (sv.closed == sv.target) {
            if (wl.kind != W_BULK)
                sv.rep.cpu_s = cpu_now() - sv.t0;
            raise_flag(&sv.done);
        }
    }
}

static void on_server(uintptr_t ud, void *source, int event, void *subject, const uint8_t *data,
                      size_t len)
{
    (void)ud, (void)source, (void)event, (void)data, (void)len;
    if (wl.kind == W_BULK)
        sv.t0 = cpu_now();
    chk(tlsplug_socket_set_no_delay(subject, 1), "set_no_delay");
    chk(tlsplug_socket_on(subject, TLSPLUG_EV_DATA, on_server_sock, 0), "on data");
    chk(tlsplug_socket_on(subject, TLSPLUG_EV_CLOSE, on_server_sock, 0), "on close");
}

static void server_main(int lfd, void *arg, int report_fd, int done_fd)
{
    (void)arg;
    chk(tlsplug_loop_new(&loop), "loop_new");
    chk(tlsplug_server_new(server_ctx, &sv.srv), "server_new");
    chk(tlsplug_server_on(sv.srv, TLSPLUG_EV_CONNECTION, on_server, 0), "server_on");
    if (wl.kind == W_RESUME_ID && strcmp(wl.store, "redis") == 0) {
        const char *url = getenv("TLSPLUG_BENCH_REDIS");
        if (!url)
            die("TLSPLUG_BENCH_REDIS is not set", 0);
        chk(tlsplug_server_use_session_store(sv.srv, url), "use_session_store");
    }
    sv.target = wl.kind == W_BULK ? 1
                : wl.kind == W_RESUME || wl.kind == W_RESUME_ID ? wl.count + 1
                                                                : wl.count;
    sv.h0 = heap_in_use();
    sv.r0 = rss_bytes();
    chk(tlsplug_loop_listen_fd(loop, sv.srv, lfd, 0), "listen_fd");
    run_until(&sv.done);
    child_report(report_fd, &sv.rep);
    if (wl.kind == W_MEM)
        child_wait_done(done_fd);
    /* The process exits: the loop and its connections go with it. */
}

/* ---- client (parent) ------------------------------------------------------- */

typedef struct cl {
    tlsplug_socket *sock;
    int secure, got_k, closed;
} cl;

static struct {
    double sent;
    double w0, c0, wall, cpu; /* bulk: from secureConnect to the server's "k" */
    uint8_t *session;
    size_t session_len;
    int want_session;
} cv;

static unsigned state(tlsplug_socket *s)
{
    unsigned f;
    chk(tlsplug_socket_state(s, &f), "state");
    return f;
}

/* Node's way: write while write() would answer true, then wait for drain. */
static void bulk_writes(tlsplug_socket *s)
{
    static uint8_t out[BULK_CHUNK];
    while (cv.sent < wl.bytes && !(state(s) & TLSPLUG_STATE_NEED_DRAIN)) {
        chk(tlsplug_socket_write(s, out, sizeof out), "write");
        cv.sent += sizeof out;
    }
}

static void on_client(uintptr_t ud, void *source, int event, void *subject, const uint8_t *data,
                      size_t len)
{
    (void)subject;
    cl *c = (cl *)ud;
    switch (event) {
    case TLSPLUG_EV_SECURE_CONNECT:
        raise_flag(&c->secure);
        if (wl.kind == W_BULK) {
            cv.w0 = wall_now();
            cv.c0 = cpu_now();
            bulk_writes(source);
        }
        else
            chk(tlsplug_socket_write(source, (const uint8_t *)"p", 1), "write");
        break;
    case TLSPLUG_EV_DRAIN: bulk_writes(source); break;
    case TLSPLUG_EV_DATA:
        if (wl.kind == W_BULK) {
            cv.wall = wall_now() - cv.w0;
            cv.cpu = cpu_now() - cv.c0;
        }
        raise_flag(&c->got_k);
        break;
    case TLSPLUG_EV_SESSION:
        if (!cv.session) {
            cv.session = malloc(len);
            if (!cv.session)
                die("malloc", 0);
            memcpy(cv.session, data, len);
            cv.session_len = len;
        }
        break;
    case TLSPLUG_EV_ERROR: die("client error", 0); break;
    case TLSPLUG_EV_CLOSE: raise_flag(&c->closed); break;
    default: break;
    }
}

static void client_open(cl *c, uint16_t port)
{
    memset(c, 0, sizeof *c);
    chk(tlsplug_socket_new(client_ctx, TLSPLUG_ROLE_CLIENT, &c->sock), "socket_new");
    static const int events[] = {TLSPLUG_EV_SECURE_CONNECT, TLSPLUG_EV_DRAIN, TLSPLUG_EV_DATA,
                                 TLSPLUG_EV_ERROR, TLSPLUG_EV_CLOSE};
    for (size_t i = 0; i < sizeof events / sizeof *events; i++)
        chk(tlsplug_socket_on(c->sock, events[i], on_client, (uintptr_t)c), "on");
    /* The session only where it is kept (the priming connection), as
     * bench_raw_tcp.c takes it and bench_node.js listens for it. */
    if (cv.want_session)
        chk(tlsplug_socket_on(c->sock, TLSPLUG_EV_SESSION, on_client, (uintptr_t)c), "on session");
    chk(tlsplug_socket_set_servername(c->sock, "localhost"), "set_servername");
    if (cv.session && !cv.want_session)
        chk(tlsplug_socket_set_session(c->sock, cv.session, cv.session_len), "set_session");
    chk(tlsplug_loop_connect(loop, c->sock, "127.0.0.1", port), "connect");
    chk(tlsplug_socket_set_no_delay(c->sock, 1), "set_no_delay"); /* as bench_tcp's sockets */
}

/* One connection of the full / resume / mem workloads: handshake, one
 * byte each way; `keep` leaves it open. */
static void client_exchange(cl *c, uint16_t port, int keep)
{
    client_open(c, port);
    run_until(&c->got_k);
    if (keep)
        return;
    chk(tlsplug_socket_end(c->sock), "end");
    run_until(&c->closed);
    tlsplug_socket_free(c->sock);
}

static void run_client(uint16_t port, server_child *sc)
{
    server_report rep;
    chk(tlsplug_loop_new(&loop), "loop_new");
    if (wl.kind == W_BULK) {
        cl c;
        client_open(&c, port);
        run_until(&c.got_k); /* writes go from secureConnect and drain, timed there */
        double wall = cv.wall, cpu = cv.cpu;
        chk(tlsplug_socket_end(c.sock), "end");
        run_until(&c.closed);
        tlsplug_socket_free(c.sock);
        server_collect(sc, &rep);
        server_finish(sc);
        emit_rate_tcp(cv.sent, wall, cpu, rep.cpu_s);
    } else if (wl.kind == W_MEM) {
        cl *cs = calloc((size_t)wl.count, sizeof *cs);
        if (!cs)
            die("calloc", 0);
        size_t h0 = heap_in_use(), r0 = rss_bytes();
        for (long i = 0; i < wl.count; i++)
            client_exchange(&cs[i], port, 1);
        double heap = (double)heap_in_use() - (double)h0, rss = (double)rss_bytes() - (double)r0;
        server_collect(sc, &rep);
        for (long i = 0; i < wl.count; i++)
            tlsplug_socket_free(cs[i].sock);
        free(cs);
        server_finish(sc);
        double n = (double)wl.count;
        emit_mem_tcp(heap / n, rep.heap_bytes / n, rss / n, rep.rss_bytes / n);
    } else {
        cl c;
        if (wl.kind == W_RESUME || wl.kind == W_RESUME_ID) {
            cv.want_session = 1;
            client_exchange(&c, port, 0);
            cv.want_session = 0;
            if (!cv.session)
                die("no session ticket arrived", 0);
        }
        double w0 = wall_now(), c0 = cpu_now();
        for (long i = 0; i < wl.count; i++) {
            client_open(&c, port);
            run_until(&c.got_k);
            if (cv.session) {
                int reused = 0;
                chk(tlsplug_socket_is_session_reused(c.sock, &reused), "is_session_reused");
                if (!reused)
                    die("handshake did not resume", i);
            }
            chk(tlsplug_socket_end(c.sock), "end");
            run_until(&c.closed);
            tlsplug_socket_free(c.sock);
        }
        double wall = wall_now() - w0, cpu = cpu_now() - c0;
        server_collect(sc, &rep);
        server_finish(sc);
        emit_rate_tcp((double)wl.count, wall, cpu, rep.cpu_s);
    }
    free(cv.session);
    tlsplug_loop_free(loop);
}

/* TLS 1.2 with ECDHE-ECDSA-AES128-GCM-SHA256 and no tickets (Node's
 * SSL_OP_NO_TICKET), so sessions resume by id. */
static void tls12_session_ids(void)
{
    tlsplug_context *both[2] = {client_ctx, server_ctx};
    for (int i = 0; i < 2; i++) {
        chk(tlsplug_context_set_min_version(both[i], "TLSv1.2"), "set_min_version");
        chk(tlsplug_context_set_max_version(both[i], "TLSv1.2"), "set_max_version");
        chk(tlsplug_context_set_ciphers(both[i], "ECDHE-ECDSA-AES128-GCM-SHA256"), "set_ciphers");
        chk(tlsplug_context_set_secure_options(both[i], 0x4000), "set_secure_options");
    }
}

int main(int argc, char **argv)
{
    workload_parse(argc, argv, &wl);
    alarm(BENCH_WATCHDOG_S);
    bench_contexts(wl.rsa, &client_ctx, &server_ctx);
    if (wl.kind == W_RESUME_ID)
        tls12_session_ids();
    uint16_t port;
    int lfd = tcp_listen(&port);
    server_child sc;
    server_spawn(&sc, lfd, server_main, NULL); /* the child listens on lfd */
    run_client(port, &sc);
    tlsplug_context_free(client_ctx);
    tlsplug_context_free(server_ctx);
    return 0;
}
