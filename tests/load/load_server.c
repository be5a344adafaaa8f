/* The server process of the load test (see load.h): an echo tls.Server on
 * its own loop, counting what passes, measured from the inside. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, fork, pipe, poll */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "load.h"

typedef struct server_state {
    tlsplug_server *srv;
    int listening, closed;
    uint64_t open;
    server_report rep;
} server_state;

/* Echo with backpressure, as Node's socket.pipe(socket). */
static void on_conn(uintptr_t ud, void *source, int event, void *subject, const uint8_t *data,
                    size_t len)
{
    (void)subject;
    server_state *st = (server_state *)ud;
    tlsplug_socket *sock = source;
    switch (event) {
    case TLSPLUG_EV_DATA: {
        st->rep.bytes_in += len;
        int rc = tlsplug_socket_write(sock, data, len);
        CHECKF(rc == TLSPLUG_OK || rc == TLSPLUG_E_CLOSED, "server: echo write answered %s",
               tlsplug_status_name(rc));
        if (rc == TLSPLUG_OK)
            st->rep.bytes_out += len;
        if (t_state(sock) & TLSPLUG_STATE_NEED_DRAIN)
            CHECK_OK(tlsplug_socket_pause(sock));
        break;
    }
    case TLSPLUG_EV_DRAIN:
        CHECK_OK(tlsplug_socket_resume(sock));
        break;
    case TLSPLUG_EV_CLOSE:
        st->open--; /* the loop frees the socket after this returns */
        break;
    default:
        break;
    }
}

static void on_server(uintptr_t ud, void *source, int event, void *subject, const uint8_t *data,
                      size_t len)
{
    (void)source, (void)data, (void)len;
    server_state *st = (server_state *)ud;
    switch (event) {
    case TLSPLUG_EV_LISTENING: st->listening = 1; break;
    case TLSPLUG_EV_CLOSE: st->closed = 1; break;
    case TLSPLUG_EV_CONNECTION:
        st->rep.connections++;
        if (++st->open > st->rep.peak_open)
            st->rep.peak_open = st->open;
        CHECK_OK(tlsplug_socket_on(subject, TLSPLUG_EV_DATA, on_conn, ud));
        CHECK_OK(tlsplug_socket_on(subject, TLSPLUG_EV_DRAIN, on_conn, ud));
        CHECK_OK(tlsplug_socket_on(subject, TLSPLUG_EV_CLOSE, on_conn, ud));
        break;
    case TLSPLUG_EV_SECURE_CONNECTION: st->rep.secure_connections++; break;
    case TLSPLUG_EV_TLS_CLIENT_ERROR: st->rep.client_errors++; break;
    default: break;
    }
}

static void write_all(int fd, const void *p, size_t n)
{
    CHECKF(write(fd, p, n) == (ssize_t)n, "server: the report pipe failed");
}

/* Run the loop until no connection is open (the parent saw every client
 * close, the server's ends follow within a few turns). */
static void settle(tlsplug_loop *loop, server_state *st)
{
    for (int waited = 0; st->open > 0 && waited < 30000; waited += 20) {
        int alive;
        CHECK_OK(tlsplug_loop_run_for(loop, 20, &alive));
    }
    st->rep.leftover = st->open > 0;
}

void load_server_main(int in, int out, const load_config *cfg)
{
    t_init("load_server", 1);
    server_state st = {0};
    tlsplug_loop *loop;
    CHECK_OK(tlsplug_loop_new(&loop));
    tlsplug_context *ctx = pt_context(PT_SERVER);
    CHECK_OK(tlsplug_server_new(ctx, &st.srv));
    CHECK_OK(tlsplug_context_free(ctx));
    static const int events[] = {TLSPLUG_EV_LISTENING, TLSPLUG_EV_CLOSE, TLSPLUG_EV_CONNECTION,
                                 TLSPLUG_EV_SECURE_CONNECTION, TLSPLUG_EV_TLS_CLIENT_ERROR};
    for (size_t i = 0; i < sizeof events / sizeof *events; i++)
        CHECK_OK(tlsplug_server_on(st.srv, events[i], on_server, (uintptr_t)&st));
    CHECK_OK(tlsplug_loop_listen(loop, st.srv, "127.0.0.1", 0, 1024));
    for (int i = 0; !st.listening; i++) {
        CHECKF(i < 250, "server: not listening after 5 s");
        int alive;
        CHECK_OK(tlsplug_loop_run_for(loop, 20, &alive));
    }
    char addr[64];
    size_t n;
    int port = 0, family;
    CHECK_OK(tlsplug_server_address(st.srv, addr, sizeof addr, &n, &port, &family));
    write_all(out, &port, sizeof port);

    /* Serve, looking at the control pipe between slices of the loop. The
     * whole run is bounded by the parent's plan, with room to spare. */
    long limit_ms = 1000L * (long)(cfg->soak_seconds + 1200);
    for (long waited = 0;; waited += 20) {
        CHECKF(waited < limit_ms, "server: no REPORT command within %ld ms", limit_ms);
        int alive;
        CHECK_OK(tlsplug_loop_run_for(loop, 20, &alive));
        struct pollfd pfd = {in, POLLIN, 0};
        if (poll(&pfd, 1, 0) != 1)
            continue;
        char cmd = 0;
        CHECKF(read(in, &cmd, 1) == 1, "server: the parent went away");
        settle(loop, &st);
        if (cmd == LOAD_CMD_BASELINE) {
            st.rep.before = proc_measure();
            write_all(out, &st.rep, sizeof st.rep);
            continue;
        }
        CHECKF(cmd == LOAD_CMD_REPORT, "server: unknown command %d", cmd);
        st.rep.after = proc_measure();
        write_all(out, &st.rep, sizeof st.rep);
        break;
    }
    CHECK_OK(tlsplug_server_close(st.srv));
    for (int i = 0; !st.closed && i < 250; i++) {
        int alive;
        CHECK_OK(tlsplug_loop_run_for(loop, 20, &alive));
    }
    CHECK_OK(tlsplug_server_free(st.srv));
    CHECK_OK(tlsplug_loop_free(loop));
    exit(t_done());
}
