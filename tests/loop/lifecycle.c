#define _GNU_SOURCE /* mkdtemp */
/* Lifetimes on a loop: a Unix socket path, an adopted fd, sockets freed or
 * destroyed from inside their callbacks, run and free called where they
 * must not be, and a loop freed with a server, connections and timers
 * still on it (the sanitizer build checks that nothing leaks). */
#include <stdio.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loopkit.h"

static void unix_path(void)
{
    t_case("listen and connect on a Unix socket path");
    char dir[] = "/tmp/tlsplug-loop-XXXXXX";
    CHECK(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/echo.sock", dir);
    tlsplug_loop *loop;
    CHECK_OK(tlsplug_loop_new(&loop));
    lk_server s;
    memset(&s, 0, sizeof s);
    s.ctx = pt_context(PT_SERVER);
    CHECK_OK(tlsplug_server_new(s.ctx, &s.srv));
    lk_server_watch(&s);
    CHECK_OK(tlsplug_loop_listen_path(loop, s.srv, path, 0));
    lk_run_until(loop, &s.listening, 5000);
    char addr[256];
    size_t n;
    int port, family;
    CHECK_OK(tlsplug_server_address(s.srv, addr, sizeof addr, &n, &port, &family));
    CHECK_STR(addr, path);
    CHECK(port == 0 && family == 0);

    tlsplug_context *ctx = pt_context(PT_CLIENT);
    lk_client c = {.chunk = 16384};
    c.loop = loop;
    lk_client_begin(&c, ctx, 1u << 20, t_seed());
    CHECK_OK(tlsplug_context_free(ctx));
    CHECK_OK(tlsplug_socket_set_servername(c.sock, "localhost"));
    CHECK_OK(tlsplug_loop_connect_path(loop, c.sock, path));
    lk_run_until(loop, &c.closed, 30000);
    CHECK(c.authorized && c.got == c.total && !c.had_error);
    CHECK_OK(tlsplug_server_close(s.srv));
    lk_run_until(loop, &s.closed, 5000);
    lk_client_free(&c);
    lk_server_free(&s);
    CHECK_OK(tlsplug_loop_free(loop));
    unlink(path);
    rmdir(dir);
}

/* IPv6: listen on ::1, connect to it; addresses report family 6. Skipped
 * (and said so) where the system has no IPv6 loopback. */
static void ipv6_loopback(void)
{
    t_case("IPv6: listen on ::1 and connect");
    int probe = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    int have = probe >= 0 && bind(probe, (struct sockaddr *)&a6, sizeof a6) == 0;
    if (probe >= 0)
        close(probe);
    if (!have) {
        printf("  no IPv6 loopback here: IPv6 case skipped\n");
        return;
    }
    tlsplug_loop *loop;
    CHECK_OK(tlsplug_loop_new(&loop));
    lk_server s;
    memset(&s, 0, sizeof s);
    s.ctx = pt_context(PT_SERVER);
    CHECK_OK(tlsplug_server_new(s.ctx, &s.srv));
    lk_server_watch(&s);
    CHECK_OK(tlsplug_loop_listen(loop, s.srv, "::1", 0, 0));
    lk_run_until(loop, &s.listening, 5000);
    char addr[64];
    size_t n;
    int family;
    CHECK_OK(tlsplug_server_address(s.srv, addr, sizeof addr, &n, &s.port, &family));
    CHECK_STR(addr, "::1");
    CHECK(family == 6);
    tlsplug_context *ctx = pt_context(PT_CLIENT);
    lk_client c = {.hold = 1}; /* stays open until the checks below are done */
    c.loop = loop;
    lk_client_begin(&c, ctx, 100000, t_seed());
    CHECK_OK(tlsplug_context_free(ctx));
    CHECK_OK(tlsplug_loop_connect(loop, c.sock, "::1", s.port)); /* the cert has IP ::1 */
    lk_run_until(loop, &c.secure, 10000);
    int port;
    CHECK_OK(tlsplug_socket_address(c.sock, TLSPLUG_ADDRESS_REMOTE, addr, sizeof addr, &n, &port, &family));
    CHECK_STR(addr, "::1");
    CHECK(family == 6 && port == s.port);
    for (int waited = 0; c.got < c.total; waited += 20) {
        CHECK(waited < 30000);
        int alive;
        CHECK_OK(tlsplug_loop_run_for(loop, 20, &alive));
    }
    CHECK_OK(tlsplug_socket_end(c.sock));
    lk_run_until(loop, &c.closed, 30000);
    CHECK(c.authorized && c.got == c.total && !c.had_error);
    CHECK_OK(tlsplug_server_close(s.srv));
    lk_run_until(loop, &s.closed, 5000);
    lk_client_free(&c);
    lk_server_free(&s);
    CHECK_OK(tlsplug_loop_free(loop));
}

static void listen_on_fd(void)
{
    t_case("server.listen({fd}) on a socket the host bound");
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK(bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
    tlsplug_loop *loop;
    CHECK_OK(tlsplug_loop_new(&loop));
    lk_server s;
    memset(&s, 0, sizeof s);
    s.ctx = pt_context(PT_SERVER);
    CHECK_OK(tlsplug_server_new(s.ctx, &s.srv));
    lk_server_watch(&s);
    CHECK_RC(tlsplug_loop_listen_fd(loop, s.srv, -1, 0), TLSPLUG_E_INVAL);
    CHECK_OK(tlsplug_loop_listen_fd(loop, s.srv, fd, 0));
    lk_run_until(loop, &s.listening, 5000);
    char addr[64];
    size_t n;
    int family;
    CHECK_OK(tlsplug_server_address(s.srv, addr, sizeof addr, &n, &s.port, &family));
    CHECK_STR(addr, "127.0.0.1");
    lk_client c = {0};
    lk_client_start(&c, loop, s.port, 50000, t_seed());
    lk_run_until(loop, &c.closed, 30000);
    CHECK(c.got == c.total && !c.had_error);
    CHECK_OK(tlsplug_server_close(s.srv));
    lk_run_until(loop, &s.closed, 5000);
    lk_client_free(&c);
    lk_server_free(&s);
    CHECK_OK(tlsplug_loop_free(loop));
}

static void adopted_fds(void)
{
    t_case("both ends adopted from a socketpair");
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    tlsplug_loop *loop;
    CHECK_OK(tlsplug_loop_new(&loop));
    /* The server end: a plain server-role socket, echoing. */
    tlsplug_context *sctx = pt_context(PT_SERVER);
    tlsplug_socket *server;
    CHECK_OK(tlsplug_socket_new(sctx, TLSPLUG_ROLE_SERVER, &server));
    CHECK_OK(tlsplug_context_free(sctx));
    lk_echo_socket(server);
    CHECK_OK(tlsplug_loop_adopt(loop, server, sv[1]));
    tlsplug_context *ctx = pt_context(PT_CLIENT);
    lk_client c = {.chunk = 1000};
    c.loop = loop;
    lk_client_begin(&c, ctx, 300000, t_seed());
    CHECK_OK(tlsplug_context_free(ctx));
    CHECK_OK(tlsplug_socket_set_servername(c.sock, "localhost"));
    CHECK_OK(tlsplug_loop_adopt(loop, c.sock, sv[0]));
    lk_run_until(loop, &c.closed, 30000);
    CHECK(c.got == c.total && !c.had_error);
    char addr[64];
    size_t n;
    int port, family;
    CHECK_RC(tlsplug_socket_address(c.sock, TLSPLUG_ADDRESS_REMOTE, addr, sizeof addr, &n, &port, &family),
             TLSPLUG_E_UNAVAILABLE); /* closed now */
    int alive;
    CHECK_OK(tlsplug_loop_run_for(loop, 100, &alive));
    CHECK(!alive); /* the server end closed too */
    CHECK_OK(tlsplug_socket_free(server));
    lk_client_free(&c);
    CHECK_OK(tlsplug_loop_free(loop));
}

/* Callbacks that free, destroy, run, or free the loop. */
static tlsplug_loop *cb_loop;
static int cb_closes, cb_errors;
static char cb_code[64];

static void on_secure_free(uintptr_t ud, void *source, int event, void *subject,
                           const uint8_t *data, size_t len)
{
    (void)subject, (void)data, (void)len;
    if (event == TLSPLUG_EV_SECURE_CONNECT) {
        int alive;
        CHECK_RC(tlsplug_loop_run(cb_loop), TLSPLUG_E_STATE);
        CHECK_RC(tlsplug_loop_run_once(cb_loop, &alive), TLSPLUG_E_STATE);
        CHECK_RC(tlsplug_loop_free(cb_loop), TLSPLUG_E_STATE);
        if (ud == 1)
            CHECK_OK(tlsplug_socket_free(source));
        else
            CHECK_OK(tlsplug_socket_destroy(source, "EPROTO", "the host gave up"));
        return;
    }
    if (event == TLSPLUG_EV_ERROR)
        snprintf(cb_code, sizeof cb_code, "%.*s", (int)len, (const char *)data), cb_errors++;
    if (event == TLSPLUG_EV_CLOSE)
        cb_closes++;
}

static void free_and_destroy_in_callbacks(void)
{
    tlsplug_loop *loop;
    CHECK_OK(tlsplug_loop_new(&loop));
    cb_loop = loop;
    lk_server s;
    lk_server_start(&s, loop, PT_SERVER);
    for (uintptr_t mode = 1; mode <= 2; mode++) {
        t_case(mode == 1 ? "free in secureConnect" : "destroy(error) in secureConnect");
        cb_closes = cb_errors = 0;
        tlsplug_context *ctx = pt_context(PT_CLIENT);
        tlsplug_socket *sock;
        CHECK_OK(tlsplug_socket_new(ctx, TLSPLUG_ROLE_CLIENT, &sock));
        CHECK_OK(tlsplug_context_free(ctx));
        for (int ev = 1; ev <= TLSPLUG_EV_TIMER; ev++)
            CHECK_OK(tlsplug_socket_on(sock, ev, on_secure_free, mode));
        CHECK_OK(tlsplug_loop_connect(loop, sock, "127.0.0.1", s.port));
        size_t before = s.secure_connections;
        for (int waited = 0; s.secure_connections == before || (mode == 2 && !cb_closes); waited += 20) {
            CHECK(waited < 10000);
            int alive;
            CHECK_OK(tlsplug_loop_run_for(loop, 20, &alive));
        }
        if (mode == 1) {
            CHECK(cb_closes == 0 && cb_errors == 0); /* a freed handle hears nothing */
            CHECK_RC(tlsplug_socket_end(sock), TLSPLUG_E_BADHANDLE);
        } else {
            CHECK(cb_errors == 1 && cb_closes == 1);
            CHECK_STR(cb_code, "EPROTO");
            CHECK_OK(tlsplug_socket_free(sock));
        }
        /* The server's end closes too (its client went away). */
        size_t open = 1;
        for (int waited = 0; open; waited += 20) {
            CHECK(waited < 10000);
            int alive;
            CHECK_OK(tlsplug_loop_run_for(loop, 20, &alive));
            CHECK_OK(tlsplug_server_get_connections(s.srv, &open));
        }
    }
    CHECK_OK(tlsplug_server_close(s.srv));
    lk_run_until(loop, &s.closed, 5000);
    lk_server_free(&s);
    CHECK_OK(tlsplug_loop_free(loop));
}

static void on_any(uintptr_t ud, void *source, int event, void *subject, const uint8_t *data,
                   size_t len)
{
    (void)ud, (void)source, (void)event, (void)subject, (void)data, (void)len;
}

static void free_loop_with_everything_on_it(void)
{
    t_case("free a loop with a server, connections, a pending connect and timers");
    tlsplug_loop *loop;
    CHECK_OK(tlsplug_loop_new(&loop));
    lk_server s;
    lk_server_start(&s, loop, PT_SERVER);
    lk_client held[4];
    for (int i = 0; i < 4; i++) {
        memset(&held[i], 0, sizeof held[i]);
        held[i].hold = 1;
        lk_client_start(&held[i], loop, s.port, 100, (uint64_t)i);
    }
    lk_run_until(loop, &held[3].secure, 10000);
    lk_client late = {0};
    lk_client_start(&late, loop, s.port, 1, 9); /* not yet connected */
    size_t id;
    CHECK_OK(tlsplug_loop_set_timer(loop, 100000, 0, on_any, 0, &id));
    CHECK_OK(tlsplug_loop_set_timer(loop, 1, 1, on_any, 0, &id));
    CHECK_OK(tlsplug_loop_free(loop));
    CHECK_RC(tlsplug_loop_free(loop), TLSPLUG_E_BADHANDLE);
    /* The host's sockets stay the host's: closed, and freed by it. */
    for (int i = 0; i < 4; i++) {
        CHECK(t_state(held[i].sock) & TLSPLUG_STATE_CLOSED);
        CHECK_RC(tlsplug_socket_write(held[i].sock, (const uint8_t *)"x", 1), TLSPLUG_E_CLOSED);
        lk_client_free(&held[i]);
    }
    lk_client_free(&late);
    lk_server_free(&s);
}

int main(void)
{
    t_init("loop_lifecycle", 23);
    unix_path();
    ipv6_loopback();
    listen_on_fd();
    adopted_fds();
    free_and_destroy_in_callbacks();
    free_loop_with_everything_on_it();
    return t_done();
}
