/* The loop tests' echo server and checking client (see loopkit.h). */
#include "loopkit.h"

#include <stdio.h>
#include <stdlib.h>

/* ---- the echo server ------------------------------------------------------ */

/* Echo with backpressure, as Node's socket.pipe(socket): pause reading
 * while the write buffer is above the high-water mark, resume on drain. */
static void on_server_socket(uintptr_t ud, void *source, int event, void *subject,
                             const uint8_t *data, size_t len)
{
    (void)subject;
    lk_server *s = (lk_server *)ud;
    tlsplug_socket *sock = source;
    if (event == TLSPLUG_EV_DATA) {
        int rc = tlsplug_socket_write(sock, data, len);
        CHECKF(rc == TLSPLUG_OK || rc == TLSPLUG_E_CLOSED, "echo write: %s",
               tlsplug_status_name(rc));
        size_t buffered;
        if (tlsplug_socket_buffer_size(sock, &buffered) == TLSPLUG_OK && buffered > s->max_buffered)
            s->max_buffered = buffered;
        if (t_state(sock) & TLSPLUG_STATE_NEED_DRAIN)
            CHECK_OK(tlsplug_socket_pause(sock));
    } else if (event == TLSPLUG_EV_DRAIN) {
        CHECK_OK(tlsplug_socket_resume(sock));
    }
}

static void on_server(uintptr_t ud, void *source, int event, void *subject, const uint8_t *data,
                      size_t len)
{
    (void)source;
    lk_server *s = (lk_server *)ud;
    switch (event) {
    case TLSPLUG_EV_LISTENING: s->listening = 1; break;
    case TLSPLUG_EV_CLOSE: s->closed = 1; break;
    case TLSPLUG_EV_CONNECTION:
        s->connections_seen++;
        CHECK_OK(tlsplug_socket_on(subject, TLSPLUG_EV_DATA, on_server_socket, ud));
        CHECK_OK(tlsplug_socket_on(subject, TLSPLUG_EV_DRAIN, on_server_socket, ud));
        break;
    case TLSPLUG_EV_SECURE_CONNECTION: s->secure_connections++; break;
    case TLSPLUG_EV_TLS_CLIENT_ERROR:
        s->client_errors++;
        snprintf(s->last_client_error, sizeof s->last_client_error, "%.*s", (int)len,
                 (const char *)data);
        break;
    default: break;
    }
}

void lk_echo_socket(tlsplug_socket *sock)
{
    static lk_server nobody; /* a socket without a server counts nothing */
    CHECK_OK(tlsplug_socket_on(sock, TLSPLUG_EV_DATA, on_server_socket, (uintptr_t)&nobody));
    CHECK_OK(tlsplug_socket_on(sock, TLSPLUG_EV_DRAIN, on_server_socket, (uintptr_t)&nobody));
}

void lk_server_watch(lk_server *s)
{
    static const int events[] = {TLSPLUG_EV_LISTENING, TLSPLUG_EV_CLOSE, TLSPLUG_EV_CONNECTION,
                                 TLSPLUG_EV_SECURE_CONNECTION, TLSPLUG_EV_TLS_CLIENT_ERROR};
    for (size_t i = 0; i < sizeof events / sizeof *events; i++)
        CHECK_OK(tlsplug_server_on(s->srv, events[i], on_server, (uintptr_t)s));
}

void lk_server_start(lk_server *s, tlsplug_loop *loop, pt_creds creds)
{
    memset(s, 0, sizeof *s);
    s->ctx = pt_context(creds);
    CHECK_OK(tlsplug_server_new(s->ctx, &s->srv));
    lk_server_watch(s);
    CHECK_OK(tlsplug_loop_listen(loop, s->srv, "127.0.0.1", 0, 0));
    lk_run_until(loop, &s->listening, 5000);
    char addr[64];
    size_t n;
    int family;
    CHECK_OK(tlsplug_server_address(s->srv, addr, sizeof addr, &n, &s->port, &family));
    CHECK_STR(addr, "127.0.0.1");
    CHECK(family == 4 && s->port > 0);
}

void lk_server_free(lk_server *s)
{
    CHECK_OK(tlsplug_server_free(s->srv));
    CHECK_OK(tlsplug_context_free(s->ctx));
}

/* ---- the checking client -------------------------------------------------- */

static void pump_writes(lk_client *c)
{
    uint8_t buf[65536];
    while (c->sent < c->total && !(t_state(c->sock) & TLSPLUG_STATE_NEED_DRAIN)) {
        size_t n = c->total - c->sent < c->chunk ? c->total - c->sent : c->chunk;
        t_stream_fill(c->seed, c->sent, buf, n);
        CHECK_OK(tlsplug_socket_write(c->sock, buf, n));
        c->sent += n;
        size_t buffered;
        CHECK_OK(tlsplug_socket_buffer_size(c->sock, &buffered));
        if (buffered > c->max_buffered)
            c->max_buffered = buffered;
    }
}

static void on_resume_timer(uintptr_t ud, void *source, int event, void *subject,
                            const uint8_t *data, size_t len)
{
    (void)source, (void)event, (void)subject, (void)data, (void)len;
    lk_client *c = (lk_client *)ud;
    CHECKF(c->got == c->got_at_pause, "data arrived while paused: %zu -> %zu", c->got_at_pause,
           c->got);
    CHECK_OK(tlsplug_socket_resume(c->sock));
}

static void on_client(uintptr_t ud, void *source, int event, void *subject, const uint8_t *data,
                      size_t len)
{
    (void)source, (void)subject;
    lk_client *c = (lk_client *)ud;
    switch (event) {
    case TLSPLUG_EV_SECURE_CONNECT:
        c->secure = 1;
        CHECK_OK(tlsplug_socket_authorized(c->sock, &c->authorized));
        pump_writes(c);
        if (c->total == 0 && !c->hold)
            CHECK_OK(tlsplug_socket_end(c->sock));
        break;
    case TLSPLUG_EV_DRAIN:
        c->drains++;
        pump_writes(c);
        break;
    case TLSPLUG_EV_DATA: {
        CHECKF(c->got + len <= c->total, "echo longer than sent: %zu + %zu > %zu", c->got, len,
               c->total);
        size_t d = t_stream_diff(c->seed, c->got, data, len);
        CHECKF(d == len, "echoed byte %zu differs", c->got + d);
        c->got += len;
        if (c->pause_ms && !c->paused_once && c->got >= c->total / 2) {
            c->paused_once = 1;
            c->got_at_pause = c->got;
            CHECK_OK(tlsplug_socket_pause(c->sock));
            size_t id;
            CHECK_OK(tlsplug_loop_set_timer(c->loop, (size_t)c->pause_ms, 0, on_resume_timer,
                                            (uintptr_t)c, &id));
        }
        if (c->got == c->total && !c->hold)
            CHECK_OK(tlsplug_socket_end(c->sock));
        break;
    }
    case TLSPLUG_EV_END: c->ended = 1; break;
    case TLSPLUG_EV_ERROR:
        snprintf(c->error_code, sizeof c->error_code, "%.*s", (int)len, (const char *)data);
        break;
    case TLSPLUG_EV_CLOSE:
        c->closed = 1;
        c->had_error = data[0];
        break;
    default: break;
    }
}

void lk_client_begin(lk_client *c, tlsplug_context *ctx, size_t total, uint64_t seed)
{
    int pause_ms = c->pause_ms, hold = c->hold;
    size_t chunk = c->chunk;
    tlsplug_loop *loop = c->loop;
    memset(c, 0, sizeof *c);
    c->pause_ms = pause_ms;
    c->hold = hold;
    c->chunk = chunk ? chunk : 16384;
    c->loop = loop;
    c->total = total;
    c->seed = seed;
    CHECK_OK(tlsplug_socket_new(ctx, TLSPLUG_ROLE_CLIENT, &c->sock));
    static const int events[] = {TLSPLUG_EV_SECURE_CONNECT, TLSPLUG_EV_DRAIN, TLSPLUG_EV_DATA,
                                 TLSPLUG_EV_END, TLSPLUG_EV_ERROR, TLSPLUG_EV_CLOSE};
    for (size_t i = 0; i < sizeof events / sizeof *events; i++)
        CHECK_OK(tlsplug_socket_on(c->sock, events[i], on_client, (uintptr_t)c));
}

void lk_client_start(lk_client *c, tlsplug_loop *loop, int port, size_t total, uint64_t seed)
{
    tlsplug_context *ctx = pt_context(PT_CLIENT);
    c->loop = loop;
    lk_client_begin(c, ctx, total, seed);
    CHECK_OK(tlsplug_context_free(ctx));
    CHECK_OK(tlsplug_socket_set_servername(c->sock, "localhost"));
    CHECK_OK(tlsplug_loop_connect(loop, c->sock, "127.0.0.1", port));
}

void lk_client_free(lk_client *c)
{
    CHECK_OK(tlsplug_socket_free(c->sock));
    c->sock = NULL;
}

void lk_run_until(tlsplug_loop *loop, const int *flag, int timeout_ms)
{
    /* Bounded: run in slices until the flag is set or the time is up. */
    for (int waited = 0; !*flag; waited += 50) {
        CHECKF(waited < timeout_ms, "timed out after %d ms", timeout_ms);
        int alive;
        CHECK_OK(tlsplug_loop_run_for(loop, 50, &alive));
        if (!alive && !*flag)
            t_fail(__FILE__, __LINE__, "the loop ran out of work before the event");
    }
}
