/* Raw GnuTLS over loopback TCP: the ceiling for the socket path and the
 * denominator of every TCP row. The server runs in a forked child (so that
 * client and server each have their own CPU clock, heap and RSS), blocking
 * sockets with timeouts, gnutls_transport_set_int. Same credentials and
 * priorities as bench_raw.c: TLS 1.3 only, AES-128-GCM, X25519; the client
 * verifies the chain against ca.pem and the name "localhost".
 *
 * CPU: each process reads CLOCK_PROCESS_CPUTIME_ID around its own timed
 * section; the child sends its figure back and the line reports the sum.
 * The per-connection exchange (handshake, one byte each way, close) is the
 * one README.md prescribes for every TCP system. */
#include "bench_tcp.h"
#include "bench_util.h"

#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PRIORITY "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:-GROUP-ALL:+GROUP-X25519"

typedef struct {
    gnutls_session_t s;
    int fd;
} conn;

static gnutls_certificate_credentials_t client_cred, server_cred;
static gnutls_priority_t prio;
static gnutls_datum_t stek;
static workload wl;

static void chk(int err, const char *what)
{
    if (err < 0) {
        fprintf(stderr, "bench_raw_tcp[%d]: %s: %s\n", (int)getpid(), what, gnutls_strerror(err));
        exit(1);
    }
}

/* Blocking sockets, yet GnuTLS returns GNUTLS_E_AGAIN after taking in a
 * TLS 1.3 post-handshake message (the ticket), and a socket timeout also
 * surfaces as E_AGAIN: retry, but only until a deadline. */
static int again(long r, double *deadline)
{
    if (r != GNUTLS_E_AGAIN && r != GNUTLS_E_INTERRUPTED)
        return 0;
    double now = wall_now();
    if (*deadline == 0)
        *deadline = now + BENCH_IO_TIMEOUT_S;
    return now < *deadline;
}

static long rec_recv(gnutls_session_t s, void *p, size_t n)
{
    long r;
    double dl = 0;
    do
        r = (long)gnutls_record_recv(s, p, n);
    while (again(r, &dl));
    return r;
}

static long rec_send(gnutls_session_t s, const void *p, size_t n)
{
    long r;
    double dl = 0;
    do
        r = (long)gnutls_record_send(s, p, n);
    while (again(r, &dl));
    return r;
}

static int handshake(gnutls_session_t s)
{
    int r;
    double dl = 0;
    do
        r = gnutls_handshake(s);
    while (again(r, &dl));
    return r;
}

static void conn_open(conn *c, int fd, unsigned flags, const gnutls_datum_t *session)
{
    c->fd = fd;
    chk(gnutls_init(&c->s, flags), "gnutls_init");
    chk(gnutls_priority_set(c->s, prio), "priority_set");
    if (flags & GNUTLS_CLIENT) {
        chk(gnutls_credentials_set(c->s, GNUTLS_CRD_CERTIFICATE, client_cred), "credentials_set");
        chk(gnutls_server_name_set(c->s, GNUTLS_NAME_DNS, "localhost", 9), "server_name_set");
        gnutls_session_set_verify_cert(c->s, "localhost", 0);
        if (session)
            chk(gnutls_session_set_data(c->s, session->data, session->size), "session_set_data");
    } else {
        chk(gnutls_credentials_set(c->s, GNUTLS_CRD_CERTIFICATE, server_cred), "credentials_set");
        chk(gnutls_session_ticket_enable_server(c->s, &stek), "ticket_enable_server");
    }
    gnutls_transport_set_int(c->s, fd);
    chk((int)handshake(c->s), "handshake");
}

static void conn_close(conn *c)
{
    gnutls_deinit(c->s);
    close(c->fd);
}

static void send_all(conn *c, const void *p, size_t n)
{
    while (n) {
        long w = rec_send(c->s, p, n);
        chk((int)w, "record_send");
        p = (const char *)p + w;
        n -= (size_t)w;
    }
}

/* One byte; on the client this also takes in the server's ticket. */
static void recv_byte(conn *c)
{
    char b;
    long r = rec_recv(c->s, &b, 1);
    chk((int)r, "record_recv");
    if (r != 1)
        die("peer closed early", r);
}

/* Server: read until the client's close_notify or FIN. */
static void drain_to_eof(conn *c)
{
    char buf[BULK_CHUNK];
    for (;;) {
        long r = rec_recv(c->s, buf, sizeof buf);
        if (r == 0 || r == GNUTLS_E_PREMATURE_TERMINATION)
            return;
        chk((int)r, "record_recv (drain)");
    }
}

/* --- server child --- */

static void server_main(int lfd, void *arg, int report_fd, int done_fd)
{
    (void)arg;
    server_report rep = {0};
    if (wl.kind == W_BULK) {
        conn c;
        conn_open(&c, tcp_accept(lfd), GNUTLS_SERVER, NULL);
        static char buf[BULK_CHUNK];
        double got = 0, t0 = cpu_now();
        while (got < wl.bytes) {
            long r = rec_recv(c.s, buf, sizeof buf);
            chk((int)r, "record_recv (bulk)");
            if (r == 0)
                die("client closed early", 0);
            got += (double)r;
        }
        send_all(&c, "k", 1);
        rep.cpu_s = cpu_now() - t0;
        drain_to_eof(&c);
        conn_close(&c);
        child_report(report_fd, &rep);
    } else if (wl.kind == W_MEM) {
        conn *cs = calloc((size_t)wl.count, sizeof *cs);
        if (!cs)
            die("calloc", 0);
        size_t h0 = heap_in_use(), r0 = rss_bytes();
        for (long i = 0; i < wl.count; i++) {
            conn_open(&cs[i], tcp_accept(lfd), GNUTLS_SERVER, NULL);
            recv_byte(&cs[i]);
            send_all(&cs[i], "k", 1);
        }
        rep.heap_bytes = (double)heap_in_use() - (double)h0;
        rep.rss_bytes = (double)rss_bytes() - (double)r0;
        child_report(report_fd, &rep);
        child_wait_done(done_fd);
        for (long i = 0; i < wl.count; i++)
            conn_close(&cs[i]);
        free(cs);
    } else {
        /* full: COUNT connections; resume: one priming connection, untimed, then COUNT. */
        long prime = wl.kind == W_RESUME ? 1 : 0;
        double t0 = cpu_now();
        for (long i = 0; i < wl.count + prime; i++) {
            if (i == prime)
                t0 = cpu_now();
            conn c;
            conn_open(&c, tcp_accept(lfd), GNUTLS_SERVER, NULL);
            recv_byte(&c);
            send_all(&c, "k", 1);
            drain_to_eof(&c);
            conn_close(&c);
        }
        rep.cpu_s = cpu_now() - t0;
        child_report(report_fd, &rep);
    }
}

/* --- client (parent) --- */

/* Connect, handshake, one byte each way; the connection is left open. */
static void client_conn(conn *c, uint16_t port, const gnutls_datum_t *session)
{
    conn_open(c, tcp_connect(port), GNUTLS_CLIENT, session);
    send_all(c, "p", 1);
    recv_byte(c);
}

static void client_close(conn *c)
{
    gnutls_bye(c->s, GNUTLS_SHUT_WR); /* close_notify, as Node's end() */
    conn_close(c);
}

static void run_client(uint16_t port, server_child *sc)
{
    server_report rep;
    double wall, cpu;
    if (wl.kind == W_BULK) {
        conn c;
        conn_open(&c, tcp_connect(port), GNUTLS_CLIENT, NULL);
        static char out[BULK_CHUNK];
        memset(out, 'x', sizeof out);
        double sent = 0, w0 = wall_now(), c0 = cpu_now();
        while (sent < wl.bytes) {
            send_all(&c, out, sizeof out);
            sent += sizeof out;
        }
        recv_byte(&c); /* the server has everything */
        wall = wall_now() - w0;
        cpu = cpu_now() - c0;
        client_close(&c);
        server_collect(sc, &rep);
        server_finish(sc);
        emit_rate_tcp(sent, wall, cpu, rep.cpu_s);
    } else if (wl.kind == W_MEM) {
        conn *cs = calloc((size_t)wl.count, sizeof *cs);
        if (!cs)
            die("calloc", 0);
        size_t h0 = heap_in_use(), r0 = rss_bytes();
        for (long i = 0; i < wl.count; i++)
            client_conn(&cs[i], port, NULL);
        double heap = (double)heap_in_use() - (double)h0, rss = (double)rss_bytes() - (double)r0;
        server_collect(sc, &rep);
        for (long i = 0; i < wl.count; i++)
            conn_close(&cs[i]);
        free(cs);
        server_finish(sc);
        double n = (double)wl.count;
        emit_mem_tcp(heap / n, rep.heap_bytes / n, rss / n, rep.rss_bytes / n);
    } else {
        gnutls_datum_t sess = {NULL, 0};
        if (wl.kind == W_RESUME) {
            conn c;
            client_conn(&c, port, NULL);
            chk(gnutls_session_get_data2(c.s, &sess), "session_get_data2");
            client_close(&c);
        }
        double w0 = wall_now(), c0 = cpu_now();
        for (long i = 0; i < wl.count; i++) {
            conn c;
            client_conn(&c, port, sess.data ? &sess : NULL);
            if (sess.data && !gnutls_session_is_resumed(c.s))
                die("handshake did not resume", i);
            client_close(&c);
        }
        wall = wall_now() - w0;
        cpu = cpu_now() - c0;
        gnutls_free(sess.data);
        server_collect(sc, &rep);
        server_finish(sc);
        emit_rate_tcp((double)wl.count, wall, cpu, rep.cpu_s);
    }
}

int main(int argc, char **argv)
{
    workload_parse(argc, argv, &wl);
    alarm(BENCH_WATCHDOG_S);
    chk(gnutls_global_init(), "global_init");
    chk(gnutls_priority_init2(&prio, PRIORITY, NULL, 0), "priority_init");
    chk(gnutls_certificate_allocate_credentials(&client_cred), "alloc cred");
    chk(gnutls_certificate_set_x509_trust_file(client_cred, pki_path("ca.pem"), GNUTLS_X509_FMT_PEM),
        "trust_file");
    chk(gnutls_certificate_allocate_credentials(&server_cred), "alloc cred");
    char chain[4096];
    snprintf(chain, sizeof chain, "%s", pki_path(wl.rsa ? "server-chain.pem" : "server-ec-chain.pem"));
    chk(gnutls_certificate_set_x509_key_file(server_cred, chain, pki_path(wl.rsa ? "server.key" : "server-ec.key"),
                                             GNUTLS_X509_FMT_PEM),
        "key_file");
    chk(gnutls_session_ticket_key_generate(&stek), "ticket_key_generate");

    uint16_t port;
    int lfd = tcp_listen(&port);
    server_child sc;
    server_spawn(&sc, lfd, server_main, NULL);
    run_client(port, &sc);

    gnutls_free(stek.data);
    gnutls_certificate_free_credentials(client_cred);
    gnutls_certificate_free_credentials(server_cred);
    gnutls_priority_deinit(prio);
    gnutls_global_deinit();
    return 0;
}
