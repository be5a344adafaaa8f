/* One server, one loop, 1,000 clients at once, each exchanging data; then
 * maxConnections refuses the excess, and close() waits for the last
 * connection before the server's `close`. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "loopkit.h"

#define N 1000

static int all_closed(lk_client *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!c[i].closed)
            return 0;
    return 1;
}

static void run_until_all_closed(tlsplug_loop *loop, lk_client *c, size_t n, int timeout_ms)
{
    for (int waited = 0; !all_closed(c, n); waited += 50) {
        CHECKF(waited < timeout_ms, "timed out waiting for %zu clients", n);
        int alive;
        CHECK_OK(tlsplug_loop_run_for(loop, 50, &alive));
    }
}

static void thousand_clients(void)
{
    t_case("%d concurrent clients", N);
    tlsplug_loop *loop;
    CHECK_OK(tlsplug_loop_new(&loop));
    lk_server s;
    lk_server_start(&s, loop, PT_SERVER);
    /* The listen backlog is the kernel's; connections arrive as fast as
     * one loop connects them. */
    lk_client *c = calloc(N, sizeof *c);
    CHECK(c);
    for (size_t i = 0; i < N; i++) {
        c[i].chunk = 4096;
        lk_client_start(&c[i], loop, s.port, 10000 + i, t_seed() + i);
    }
    run_until_all_closed(loop, c, N, 240000);
    for (size_t i = 0; i < N; i++) {
        CHECKF(c[i].got == c[i].total && !c[i].had_error, "client %zu: got %zu of %zu, error %s",
               i, c[i].got, c[i].total, c[i].error_code);
        lk_client_free(&c[i]);
    }
    free(c);
    CHECKF(s.secure_connections == N, "%zu secure connections", s.secure_connections);
    CHECK_OK(tlsplug_server_close(s.srv));
    lk_run_until(loop, &s.closed, 5000);
    lk_server_free(&s);
    CHECK_OK(tlsplug_loop_free(loop));
}

static void max_connections_and_close(void)
{
    t_case("maxConnections 3, then close() waits");
    tlsplug_loop *loop;
    CHECK_OK(tlsplug_loop_new(&loop));
    lk_server s;
    lk_server_start(&s, loop, PT_SERVER);
    CHECK_OK(tlsplug_server_set_max_connections(s.srv, 3));
    /* Three clients that stay open. */
    lk_client held[3];
    for (int i = 0; i < 3; i++) {
        memset(&held[i], 0, sizeof held[i]);
        held[i].hold = 1;
        lk_client_start(&held[i], loop, s.port, 1, t_seed() + 100 + (uint64_t)i);
        lk_run_until(loop, &held[i].secure, 10000);
    }
    size_t open;
    CHECK_OK(tlsplug_server_get_connections(s.srv, &open));
    CHECK(open == 3);
    /* The fourth is refused: closed before any handshake. */
    lk_client extra = {0};
    lk_client_start(&extra, loop, s.port, 1, 7);
    lk_run_until(loop, &extra.closed, 10000);
    CHECK(!extra.secure && extra.had_error);
    CHECKF(!strcmp(extra.error_code, "ECONNRESET"), "refused client: %s", extra.error_code);
    CHECK(s.connections_seen == 3);
    /* close(): no new connections, and `close` only after the last ends. */
    CHECK_OK(tlsplug_server_close(s.srv));
    CHECK_RC(tlsplug_server_close(s.srv), TLSPLUG_E_STATE);
    CHECK_STR(t_error_code(s.srv), "ERR_SERVER_NOT_RUNNING");
    int alive;
    CHECK_OK(tlsplug_loop_run_for(loop, 100, &alive));
    CHECK(!s.closed);
    for (int i = 0; i < 3; i++) {
        CHECK_OK(tlsplug_socket_end(held[i].sock));
        lk_run_until(loop, &held[i].closed, 10000);
        CHECK_OK(tlsplug_loop_run_for(loop, 20, &alive));
        CHECK(s.closed == (i == 2));
    }
    lk_run_until(loop, &s.closed, 5000);
    for (int i = 0; i < 3; i++)
        lk_client_free(&held[i]);
    lk_client_free(&extra);
    lk_server_free(&s);
    CHECK_OK(tlsplug_loop_free(loop));
}

int main(void)
{
    t_init("loop_many", 11);
    /* Both ends of every connection live in this process. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 2 * N + 64) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    max_connections_and_close();
    thousand_clients();
    return t_done();
}
