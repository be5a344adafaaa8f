/* Backpressure: a client that stops reading for a while still receives
 * every byte in order, and neither the sender nor the echoing server
 * buffers much more than the high-water mark meanwhile (each writes only
 * while below it, then waits for `drain`; the echo pauses its reading). */
#include <stdio.h>
#include <stdlib.h>

#include "loopkit.h"

static void paused_reader(size_t total, size_t chunk, int pause_ms)
{
    t_case("%zu bytes, %zu-byte writes, reader paused %d ms", total, chunk, pause_ms);
    tlsplug_loop *loop;
    CHECK_OK(tlsplug_loop_new(&loop));
    lk_server s;
    lk_server_start(&s, loop, PT_SERVER);
    lk_client c = {.chunk = chunk, .pause_ms = pause_ms};
    lk_client_start(&c, loop, s.port, total, t_seed());
    lk_run_until(loop, &c.closed, 120000);
    CHECK(c.paused_once);
    printf("  sender buffered at most %zu, echo at most %zu, %d drains\n", c.max_buffered,
           s.max_buffered, c.drains);
    /* Writes go straight to the kernel while it takes them; the transfer
     * is long enough to fill both ends' socket buffers during the pause,
     * so the sender did wait for `drain`. */
    CHECK(c.drains > 0);
    CHECKF(c.got == total && !c.had_error, "got %zu of %zu (%s)", c.got, total, c.error_code);
    /* A write is made while below the mark, so the buffer stays under
     * mark + one write + TLS framing (29 bytes per record at most here). */
    size_t bound = 16384 + chunk + (chunk / 16384 + 2) * 64;
    CHECKF(c.max_buffered <= bound, "sender buffered %zu > %zu", c.max_buffered, bound);
    CHECKF(s.max_buffered <= 16384 + 16384 + 2 * 64 + 16384,
           "echo buffered %zu while the reader was paused", s.max_buffered);
    CHECK_OK(tlsplug_server_close(s.srv));
    lk_run_until(loop, &s.closed, 5000);
    lk_client_free(&c);
    lk_server_free(&s);
    CHECK_OK(tlsplug_loop_free(loop));
}

/* The high-water mark is the socket's own: NEED_DRAIN at the mark, then
 * `drain` once the buffer is empty (in the pump too, without a loop). */
static void mark_and_drain_in_memory(void)
{
    t_case("NEED_DRAIN and drain on a pump socket");
    tlsplug_context *ctx = pt_context(PT_CLIENT);
    tlsplug_socket *sock;
    CHECK_OK(tlsplug_socket_new(ctx, TLSPLUG_ROLE_CLIENT, &sock));
    CHECK_OK(tlsplug_context_free(ctx));
    CHECK_RC(tlsplug_socket_set_high_water_mark(sock, 0), TLSPLUG_E_INVAL);
    CHECK_OK(tlsplug_socket_set_high_water_mark(sock, 100));
    uint8_t buf[99] = {0};
    CHECK_OK(tlsplug_socket_write(sock, buf, sizeof buf)); /* held for the handshake */
    CHECK(!(t_state(sock) & TLSPLUG_STATE_NEED_DRAIN));
    CHECK_OK(tlsplug_socket_write(sock, buf, 1));
    CHECK(t_state(sock) & TLSPLUG_STATE_NEED_DRAIN);
    size_t n;
    CHECK_OK(tlsplug_socket_buffer_size(sock, &n));
    CHECK(n == 100);
    CHECK_RC(tlsplug_socket_set_timeout(sock, 10), TLSPLUG_E_STATE); /* not on a loop */
    CHECK_RC(tlsplug_socket_set_no_delay(sock, 1), TLSPLUG_E_STATE);
    CHECK_OK(tlsplug_socket_free(sock));
}

int main(void)
{
    t_init("loop_backpressure", 13);
    mark_and_drain_in_memory();
    paused_reader(64u << 20, 16384, 300);
    paused_reader(48u << 20, 65536, 200);
    return t_done();
}
