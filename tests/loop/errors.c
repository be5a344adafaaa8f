#define _POSIX_C_SOURCE 200809L /* sigaction, sigpending */
/* Failures on a loop carry Node's codes: a refused connection, a name that
 * does not resolve (through libuv or the `lookup` option), a peer that
 * resets mid-transfer, an idle `timeout`, the handshake timeout on a real
 * timer, and bad calls to listen and connect. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "loopkit.h"

/* Every event of one socket, with the error's code and close's payload. */
typedef struct rec {
    int n[32];
    int order[32], norder;
    char code[64], payload[128];
    int had_error, closed;
    tlsplug_socket *sock;
} rec;

static void on_rec(uintptr_t ud, void *source, int event, void *subject, const uint8_t *data,
                   size_t len)
{
    (void)source, (void)subject;
    rec *r = (rec *)ud;
    CHECKF(!r->closed, "event %d after close", event);
    r->n[event]++;
    if (event == TLSPLUG_EV_DATA)
        return;
    if (r->norder < 32)
        r->order[r->norder++] = event;
    if (event == TLSPLUG_EV_ERROR)
        snprintf(r->code, sizeof r->code, "%.*s", (int)len, (const char *)data);
    if (event == TLSPLUG_EV_CLOSE) {
        r->closed = 1;
        r->had_error = data[0];
    }
    if (event == TLSPLUG_EV_LOOKUP || event == TLSPLUG_EV_LOOKUP_REQUEST)
        snprintf(r->payload, sizeof r->payload, "%.*s", (int)len, (const char *)data);
}

static tlsplug_socket *recorded_client(rec *r, pt_creds creds)
{
    memset(r, 0, sizeof *r);
    tlsplug_context *ctx = pt_context(creds);
    CHECK_OK(tlsplug_socket_new(ctx, TLSPLUG_ROLE_CLIENT, &r->sock));
    CHECK_OK(tlsplug_context_free(ctx));
    for (int ev = 1; ev <= TLSPLUG_EV_TIMER; ev++)
        if (ev != TLSPLUG_EV_LOOKUP_REQUEST) /* data too: without it records wait for read() */
            CHECK_OK(tlsplug_socket_on(r->sock, ev, on_rec, (uintptr_t)r));
    return r->sock;
}

/* A port nothing listens on (bound, then closed). */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK(bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
    socklen_t len = sizeof a;
    CHECK(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
    close(fd);
    return ntohs(a.sin_port);
}

static void refused(tlsplug_loop *loop)
{
    t_case("ECONNREFUSED");
    rec r;
    recorded_client(&r, PT_CLIENT);
    CHECK_OK(tlsplug_loop_connect(loop, r.sock, "127.0.0.1", free_port()));
    lk_run_until(loop, &r.closed, 5000);
    CHECK_STR(r.code, "ECONNREFUSED");
    CHECK(r.had_error && r.n[TLSPLUG_EV_CONNECT] == 0 && r.n[TLSPLUG_EV_SECURE_CONNECT] == 0);
    CHECK(r.order[0] == TLSPLUG_EV_ERROR && r.order[1] == TLSPLUG_EV_CLOSE);
    char msg[256];
    size_t n;
    CHECK_OK(tlsplug_error_get(r.sock, TLSPLUG_ERROR_MESSAGE, msg, sizeof msg, &n));
    CHECKF(strstr(msg, "connect ECONNREFUSED 127.0.0.1:"), "message: %s", msg);
    int status;
    CHECK_OK(tlsplug_error_detail(r.sock, &status, NULL, NULL, NULL));
    CHECK(status == TLSPLUG_E_NET);
    CHECK_RC(tlsplug_socket_write(r.sock, (const uint8_t *)"x", 1), TLSPLUG_E_NET); /* sticky */
    CHECK_OK(tlsplug_socket_free(r.sock));
}

static void not_found(tlsplug_loop *loop)
{
    t_case("ENOTFOUND through libuv");
    rec r;
    recorded_client(&r, PT_CLIENT);
    CHECK_OK(tlsplug_loop_connect(loop, r.sock, "no-such-host.invalid", 443));
    lk_run_until(loop, &r.closed, 20000);
    CHECKF(!strcmp(r.code, "ENOTFOUND") || !strcmp(r.code, "EAI_AGAIN"), "code %s", r.code);
    CHECK(r.had_error && r.n[TLSPLUG_EV_LOOKUP] == 0);
    CHECK_OK(tlsplug_socket_free(r.sock));
}

/* The `lookup` option: the host resolves; answers may come later. */
static tlsplug_socket *lookup_sock;
static const char *lookup_answer, *lookup_code;
static int lookup_asked;
static void on_lookup(uintptr_t ud, void *source, int event, void *subject, const uint8_t *data,
                      size_t len)
{
    on_rec(ud, source, event, subject, data, len);
    lookup_asked++;
    CHECK_OK(tlsplug_socket_lookup_done(lookup_sock, lookup_answer, lookup_code));
    CHECK_RC(tlsplug_socket_lookup_done(lookup_sock, lookup_answer, NULL), TLSPLUG_E_STATE);
}

static void host_lookup(tlsplug_loop *loop, int port)
{
    const struct {
        const char *answer, *code, *want_error;
    } cases[] = {
        {"127.0.0.1", NULL, NULL},
        {NULL, NULL, "ENOTFOUND"},
        {NULL, "EAI_AGAIN", "EAI_AGAIN"},
        {"not-an-address", NULL, "ERR_INVALID_IP_ADDRESS"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        t_case("lookup answers %s", cases[i].answer ? cases[i].answer : "an error");
        rec r;
        lookup_sock = recorded_client(&r, PT_CLIENT);
        lookup_answer = cases[i].answer;
        lookup_code = cases[i].code;
        lookup_asked = 0;
        CHECK_OK(tlsplug_socket_on(r.sock, TLSPLUG_EV_LOOKUP_REQUEST, on_lookup, (uintptr_t)&r));
        CHECK_OK(tlsplug_socket_set_lookup(r.sock, 1));
        CHECK_OK(tlsplug_loop_connect(loop, r.sock, "server.test", port));
        CHECK_RC(tlsplug_socket_set_lookup(r.sock, 0), TLSPLUG_E_STATE);
        CHECK(lookup_asked == 0); /* asked from the loop, not from connect */
        if (!cases[i].want_error) {
            int *secure = &r.n[TLSPLUG_EV_SECURE_CONNECT];
            lk_run_until(loop, secure, 10000);
            CHECK_STR(r.payload, "127.0.0.1"); /* the `lookup` event */
            int authorized;
            CHECK_OK(tlsplug_socket_authorized(r.sock, &authorized));
            CHECK(authorized); /* servername defaulted to the host: server.test */
            CHECK_OK(tlsplug_socket_end(r.sock));
            lk_run_until(loop, &r.closed, 10000);
            CHECK(!r.had_error);
        } else {
            lk_run_until(loop, &r.closed, 10000);
            CHECK_STR(r.code, cases[i].want_error);
        }
        CHECK(lookup_asked == 1);
        CHECK_OK(tlsplug_socket_free(r.sock));
    }
}

static void localhost_by_name(tlsplug_loop *loop, int port)
{
    t_case("localhost through libuv's resolver");
    rec r;
    recorded_client(&r, PT_CLIENT);
    CHECK_OK(tlsplug_loop_connect(loop, r.sock, "localhost", port));
    int *secure = &r.n[TLSPLUG_EV_SECURE_CONNECT];
    lk_run_until(loop, secure, 10000);
    CHECK(r.order[0] == TLSPLUG_EV_LOOKUP && r.order[1] == TLSPLUG_EV_CONNECT);
    char addr[64], servername[64];
    size_t n;
    int p, family;
    CHECK_OK(tlsplug_socket_address(r.sock, TLSPLUG_ADDRESS_REMOTE, addr, sizeof addr, &n, &p, &family));
    CHECK(p == port);
    CHECKF(!strcmp(addr, r.payload), "connected to %s, looked up %s", addr, r.payload);
    CHECK_OK(tlsplug_socket_address(r.sock, TLSPLUG_ADDRESS_LOCAL, addr, sizeof addr, &n, &p, &family));
    CHECK(p > 0 && (family == 4 || family == 6));
    CHECK_OK(tlsplug_socket_get_servername(r.sock, servername, sizeof servername, &n));
    CHECK_STR(servername, "localhost");
    CHECK_OK(tlsplug_socket_destroy(r.sock, NULL, NULL));
    lk_run_until(loop, &r.closed, 5000);
    CHECK(!r.had_error && r.n[TLSPLUG_EV_ERROR] == 0);
    CHECK_RC(tlsplug_socket_address(r.sock, TLSPLUG_ADDRESS_LOCAL, addr, sizeof addr, &n, &p, &family),
             TLSPLUG_E_UNAVAILABLE);
    CHECK_OK(tlsplug_socket_free(r.sock));
}

/* ---- a peer that resets mid-transfer ----------------------------------- */

typedef struct resetter {
    int listen_fd, port;
    pthread_t thread;
} resetter;

static void send_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        p += w, n -= (size_t)w;
    }
}

static void flush_out(tlsplug_socket *s, int fd)
{
    uint8_t buf[65536];
    size_t n;
    while (tlsplug_socket_pull(s, buf, sizeof buf, &n) == TLSPLUG_OK)
        send_all(fd, buf, n);
}

/* The raw server's listening socket on 127.0.0.1, an ephemeral port. */
static void resetter_listen(resetter *rs)
{
    rs->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK(bind(rs->listen_fd, (struct sockaddr *)&a, sizeof a) == 0 && listen(rs->listen_fd, 1) == 0);
    socklen_t len = sizeof a;
    CHECK(getsockname(rs->listen_fd, (struct sockaddr *)&a, &len) == 0);
    rs->port = ntohs(a.sin_port);
}

/* Close with SO_LINGER 0: the kernel sends RST, not FIN. */
static void close_with_reset(int fd)
{
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
}

/* The server's handshake on a plain blocking socket (the pump, no loop). */
static tlsplug_socket *raw_server_handshake(int fd)
{
    tlsplug_context *ctx = pt_context(PT_SERVER);
    tlsplug_socket *s;
    CHECK_OK(tlsplug_socket_new(ctx, TLSPLUG_ROLE_SERVER, &s));
    CHECK_OK(tlsplug_context_free(ctx));
    CHECK_OK(tlsplug_socket_start(s));
    uint8_t buf[65536];
    for (int i = 0; i < 1000 && !(t_state(s) & TLSPLUG_STATE_SECURE); i++) {
        flush_out(s, fd);
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        CHECK(n > 0);
        CHECK_OK(tlsplug_socket_feed(s, buf, (size_t)n));
    }
    return s;
}

/* A TLS server on a plain blocking socket (the pump, no loop): handshake,
 * send 512 KiB, then close with SO_LINGER 0, which sends RST. */
static void *reset_server(void *arg)
{
    resetter *rs = arg;
    int fd = accept(rs->listen_fd, NULL, NULL);
    CHECK(fd >= 0);
    tlsplug_socket *s = raw_server_handshake(fd);
    uint8_t buf[65536];
    memset(buf, 'r', sizeof buf);
    for (int i = 0; i < 8; i++) {
        CHECK_OK(tlsplug_socket_write(s, buf, sizeof buf));
        flush_out(s, fd);
    }
    close_with_reset(fd);
    CHECK_OK(tlsplug_socket_free(s));
    return NULL;
}

static void reset_mid_transfer(tlsplug_loop *loop)
{
    t_case("ECONNRESET mid-transfer");
    resetter rs;
    resetter_listen(&rs);
    CHECK(pthread_create(&rs.thread, NULL, reset_server, &rs) == 0);
    rec r;
    recorded_client(&r, PT_CLIENT);
    CHECK_OK(tlsplug_socket_set_servername(r.sock, "localhost"));
    /* A slow reader: the reset arrives while data is still in flight. */
    CHECK_OK(tlsplug_loop_connect(loop, r.sock, "127.0.0.1", rs.port));
    lk_run_until(loop, &r.closed, 20000);
    pthread_join(rs.thread, NULL);
    close(rs.listen_fd);
    CHECK(r.n[TLSPLUG_EV_SECURE_CONNECT] == 1);
    CHECK_STR(r.code, "ECONNRESET");
    CHECK(r.had_error && r.n[TLSPLUG_EV_END] == 0);
    CHECK_OK(tlsplug_socket_free(r.sock));
}

/* A TLS server on a plain blocking socket that never reads application
 * data: handshake, wait until the client's data arrives (so the client's
 * kernel buffer fills and libuv holds a queued write), then RST. */
static void *reset_unread_server(void *arg)
{
    resetter *rs = arg;
    int fd = accept(rs->listen_fd, NULL, NULL);
    CHECK(fd >= 0);
    tlsplug_socket *s = raw_server_handshake(fd);
    flush_out(s, fd);
    /* Let the client's receive window fill: wait until our queue holds a
     * lot (bounded), reading nothing. */
    for (int i = 0; i < 200; i++) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 50) < 0)
            break;
        int queued = 0;
        if (ioctl(fd, FIONREAD, &queued) == 0 && queued > 1 << 20)
            break;
    }
    close_with_reset(fd);
    CHECK_OK(tlsplug_socket_free(s));
    return NULL;
}

/* A peer that never reads resets while the loop still has data queued:
 * an error event (ECONNRESET, or EPIPE when the reset was seen first),
 * with the host keeping SIGPIPE's default action (it kills), and no
 * SIGPIPE of ours left pending. (libuv usually sees the reset on its read
 * first and closes the fd, so this does not always reach a write().) */
static void reset_while_writing(tlsplug_loop *loop)
{
    t_case("a peer that never reads resets while we write, SIGPIPE at its default action");
    struct sigaction dfl = {.sa_handler = SIG_DFL}, old;
    sigemptyset(&dfl.sa_mask);
    CHECK(sigaction(SIGPIPE, &dfl, &old) == 0);
    resetter rs;
    resetter_listen(&rs);
    CHECK(pthread_create(&rs.thread, NULL, reset_unread_server, &rs) == 0);
    rec r;
    recorded_client(&r, PT_CLIENT);
    CHECK_OK(tlsplug_socket_set_servername(r.sock, "localhost"));
    /* 32 MiB written before the handshake: sent once it completes, far
     * more than the kernel's buffers take. */
    static uint8_t chunk[65536];
    memset(chunk, 'w', sizeof chunk);
    for (int i = 0; i < 512; i++) {
        int st = tlsplug_socket_write(r.sock, chunk, sizeof chunk);
        CHECK(st >= 0);
    }
    CHECK_OK(tlsplug_loop_connect(loop, r.sock, "127.0.0.1", rs.port));
    lk_run_until(loop, &r.closed, 20000);
    pthread_join(rs.thread, NULL);
    close(rs.listen_fd);
    CHECK(r.n[TLSPLUG_EV_SECURE_CONNECT] == 1);
    CHECKF(strcmp(r.code, "ECONNRESET") == 0 || strcmp(r.code, "EPIPE") == 0, "code %s", r.code);
    CHECK(r.had_error);
    sigset_t pending;
    CHECK(sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 0);
    CHECK_OK(tlsplug_socket_free(r.sock));
    CHECK(sigaction(SIGPIPE, &old, NULL) == 0);
}

/* ---- timeouts ------------------------------------------------------------- */

static void idle_timeout(tlsplug_loop *loop, int port)
{
    t_case("setTimeout: `timeout` when idle, the socket stays open");
    rec r;
    recorded_client(&r, PT_CLIENT);
    CHECK_RC(tlsplug_socket_set_timeout(r.sock, 50), TLSPLUG_E_STATE); /* not on a loop yet */
    CHECK_OK(tlsplug_loop_connect(loop, r.sock, "127.0.0.1", port));
    CHECK_OK(tlsplug_socket_set_timeout(r.sock, 80));
    CHECK_OK(tlsplug_socket_set_no_delay(r.sock, 1)); /* applied once connected */
    CHECK_OK(tlsplug_socket_set_keep_alive(r.sock, 1, 1000));
    int *timeouts = &r.n[TLSPLUG_EV_TIMEOUT];
    lk_run_until(loop, timeouts, 5000);
    CHECK(r.n[TLSPLUG_EV_SECURE_CONNECT] == 1 && !r.closed);
    int alive;
    CHECK_OK(tlsplug_loop_run_for(loop, 200, &alive));
    CHECK(r.n[TLSPLUG_EV_TIMEOUT] == 1); /* once per idle period */
    CHECK_OK(tlsplug_socket_write(r.sock, (const uint8_t *)"ping", 4)); /* activity re-arms */
    int two = 0;
    for (int i = 0; i < 100 && r.n[TLSPLUG_EV_TIMEOUT] < 2; i++)
        CHECK_OK(tlsplug_loop_run_for(loop, 20, &alive));
    two = r.n[TLSPLUG_EV_TIMEOUT] == 2;
    CHECK(two);
    CHECK_OK(tlsplug_socket_set_timeout(r.sock, 0));
    CHECK_OK(tlsplug_socket_end(r.sock));
    lk_run_until(loop, &r.closed, 5000);
    CHECK_OK(tlsplug_socket_free(r.sock));
}

/* The connection keeps no timer once the handshake's deadline is gone
 * (idle memory): setTimeout on an idle secure connection makes one. */
static void timeout_set_when_idle(tlsplug_loop *loop, int port)
{
    t_case("setTimeout after the handshake, on an idle connection");
    rec r;
    recorded_client(&r, PT_CLIENT);
    CHECK_OK(tlsplug_loop_connect(loop, r.sock, "127.0.0.1", port));
    lk_run_until(loop, &r.n[TLSPLUG_EV_SECURE_CONNECT], 5000);
    int alive;
    CHECK_OK(tlsplug_loop_run_for(loop, 50, &alive)); /* idle: tickets in, nothing pending */
    CHECK_OK(tlsplug_socket_set_timeout(r.sock, 40));
    lk_run_until(loop, &r.n[TLSPLUG_EV_TIMEOUT], 5000);
    CHECK(r.n[TLSPLUG_EV_TIMEOUT] == 1 && !r.closed);
    /* Off again: no more `timeout`, and the connection still works. */
    CHECK_OK(tlsplug_socket_set_timeout(r.sock, 0));
    CHECK_OK(tlsplug_socket_write(r.sock, (const uint8_t *)"ping", 4));
    CHECK_OK(tlsplug_loop_run_for(loop, 150, &alive));
    CHECK(r.n[TLSPLUG_EV_TIMEOUT] == 1 && !r.closed && r.n[TLSPLUG_EV_ERROR] == 0);
    CHECK_OK(tlsplug_socket_end(r.sock));
    lk_run_until(loop, &r.closed, 5000);
    CHECK(!r.had_error);
    CHECK_OK(tlsplug_socket_free(r.sock));
}

static void handshake_timeout(tlsplug_loop *loop)
{
    t_case("handshakeTimeout on a real timer");
    lk_server s;
    lk_server_start(&s, loop, PT_SERVER);
    CHECK_OK(tlsplug_server_set_handshake_timeout(s.srv, 150));
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                            .sin_port = htons((uint16_t)s.port)};
    CHECK(connect(fd, (struct sockaddr *)&a, sizeof a) == 0); /* then silence */
    for (int waited = 0; s.client_errors == 0; waited += 20) {
        CHECK(waited < 5000);
        int alive;
        CHECK_OK(tlsplug_loop_run_for(loop, 20, &alive));
    }
    CHECK_STR(s.last_client_error, "ERR_TLS_HANDSHAKE_TIMEOUT");
    /* The server closed its end: the raw client reads to EOF (or a reset),
     * not to its own 5-second limit. */
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char b[256];
    ssize_t got;
    while ((got = recv(fd, b, sizeof b, 0)) > 0)
        ;
    CHECK(got == 0 || errno == ECONNRESET);
    size_t open;
    CHECK_OK(tlsplug_server_get_connections(s.srv, &open));
    CHECK(open == 0);
    close(fd);
    CHECK_OK(tlsplug_server_close(s.srv));
    lk_run_until(loop, &s.closed, 5000);
    lk_server_free(&s);
}

/* ---- bad calls ------------------------------------------------------------ */

static void bad_calls(tlsplug_loop *loop, int port)
{
    t_case("listen and connect misuse");
    tlsplug_context *ctx = pt_context(PT_SERVER);
    tlsplug_server *srv;
    CHECK_OK(tlsplug_server_new(ctx, &srv));
    char buf[64];
    size_t n;
    int p, fam;
    CHECK_RC(tlsplug_server_address(srv, buf, sizeof buf, &n, &p, &fam), TLSPLUG_E_STATE);
    CHECK_RC(tlsplug_server_close(srv), TLSPLUG_E_STATE);
    CHECK_RC(tlsplug_loop_listen(loop, srv, "127.0.0.1", 70000, 0), TLSPLUG_E_INVAL);
    CHECK_STR(t_error_code(srv), "ERR_SOCKET_BAD_PORT");
    CHECK_RC(tlsplug_loop_listen(loop, srv, "127.0.0.1", port, 0), TLSPLUG_E_NET);
    CHECK_STR(t_error_code(srv), "EADDRINUSE");
    CHECK_RC(tlsplug_loop_listen(loop, srv, "no-such-host.invalid", 0, 0), TLSPLUG_E_NET);
    CHECK_OK(tlsplug_loop_listen(loop, srv, NULL, 0, 0)); /* every address */
    CHECK_RC(tlsplug_loop_listen(loop, srv, NULL, 0, 0), TLSPLUG_E_STATE);
    CHECK_STR(t_error_code(srv), "ERR_SERVER_ALREADY_LISTEN");
    CHECK_OK(tlsplug_server_address(srv, buf, sizeof buf, &n, &p, &fam));
    CHECK(p > 0 && (fam == 6 ? !strcmp(buf, "::") : !strcmp(buf, "0.0.0.0")));
    CHECK_OK(tlsplug_server_free(srv)); /* while listening: stops, silently */

    tlsplug_socket *s;
    CHECK_OK(tlsplug_socket_new(ctx, TLSPLUG_ROLE_SERVER, &s));
    CHECK_RC(tlsplug_loop_connect(loop, s, "127.0.0.1", port), TLSPLUG_E_STATE); /* a server */
    CHECK_OK(tlsplug_socket_free(s));
    CHECK_OK(tlsplug_context_free(ctx));
    rec r;
    recorded_client(&r, PT_CLIENT);
    CHECK_RC(tlsplug_loop_connect(loop, r.sock, "127.0.0.1", -1), TLSPLUG_E_INVAL);
    CHECK_RC(tlsplug_loop_connect_path(loop, r.sock, ""), TLSPLUG_E_INVAL);
    CHECK_RC(tlsplug_loop_adopt(loop, r.sock, -1), TLSPLUG_E_INVAL);
    CHECK_OK(tlsplug_loop_connect(loop, r.sock, "127.0.0.1", port));
    CHECK_RC(tlsplug_loop_connect(loop, r.sock, "127.0.0.1", port), TLSPLUG_E_STATE);
    CHECK_RC(tlsplug_socket_lookup_done(r.sock, "127.0.0.1", NULL), TLSPLUG_E_STATE);
    /* Freed before it even connected: nothing more is heard of it. */
    CHECK_OK(tlsplug_socket_free(r.sock));
    int alive;
    CHECK_OK(tlsplug_loop_run_for(loop, 50, &alive));
    CHECK(r.norder == 0);
}

int main(void)
{
    t_init("loop_errors", 19);
    tlsplug_loop *loop;
    CHECK_OK(tlsplug_loop_new(&loop));
    lk_server s;
    lk_server_start(&s, loop, PT_SERVER);
    refused(loop);
    not_found(loop);
    host_lookup(loop, s.port);
    localhost_by_name(loop, s.port);
    reset_mid_transfer(loop);
    reset_while_writing(loop);
    idle_timeout(loop, s.port);
    timeout_set_when_idle(loop, s.port);
    handshake_timeout(loop);
    bad_calls(loop, s.port);
    CHECK_OK(tlsplug_server_close(s.srv));
    lk_run_until(loop, &s.closed, 5000);
    lk_server_free(&s);
    CHECK_OK(tlsplug_loop_free(loop));
    return t_done();
}
