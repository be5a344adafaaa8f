/* Node's echo server and client on one loop: payloads from 0 B to 64 MiB
 * come back byte for byte, events in Node's order, the server's close()
 * waits for the last connection. */
#include <stdio.h>
#include <stdlib.h>

#include "loopkit.h"

static void echo_once(size_t total, size_t chunk)
{
    t_case("echo %zu bytes in %zu-byte writes", total, chunk);
    tlsplug_loop *loop;
    CHECK_OK(tlsplug_loop_new(&loop));
    lk_server s;
    lk_server_start(&s, loop, PT_SERVER);
    lk_client c = {.chunk = chunk};
    lk_client_start(&c, loop, s.port, total, t_seed() + total);
    lk_run_until(loop, &c.closed, 120000);
    CHECK(c.secure && c.authorized);
    CHECKF(c.got == total, "got %zu of %zu", c.got, total);
    CHECK(c.ended && !c.had_error);
    CHECK_OK(tlsplug_server_close(s.srv));
    lk_run_until(loop, &s.closed, 5000);
    CHECK(s.secure_connections == 1 && s.client_errors == 0);
    size_t open;
    CHECK_OK(tlsplug_server_get_connections(s.srv, &open));
    CHECK(open == 0);
    lk_client_free(&c);
    lk_server_free(&s);
    int alive;
    CHECK_OK(tlsplug_loop_alive(loop, &alive));
    CHECK(!alive);
    CHECK_OK(tlsplug_loop_free(loop));
}

int main(void)
{
    t_init("loop_echo", 5);
    echo_once(0, 16384);
    echo_once(1, 16384);
    echo_once(100000, 1000);
    echo_once(1 << 20, 16384);
    echo_once(64u << 20, 16384);
    return t_done();
}
