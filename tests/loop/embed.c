/* Embedding: a host that owns its event loop waits on the loop's backend
 * fd with poll(), for at most the loop's next timeout, and calls run_once.
 * The same echo (a paused reader and a timer included) must come out as
 * with tlsplug_loop_run. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>

#include "loopkit.h"

static void host_loop_until(tlsplug_loop *loop, const int *flag, int timeout_ms)
{
    int fd;
    CHECK_OK(tlsplug_loop_backend_fd(loop, &fd));
    CHECK(fd >= 0);
    int waited = 0, turns = 0;
    while (!*flag) {
        int ms;
        CHECK_OK(tlsplug_loop_next_timeout(loop, &ms));
        CHECKF(ms >= -1, "next timeout %d", ms);
        int wait = ms < 0 || ms > 100 ? 100 : ms;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        CHECK(poll(&p, 1, wait) >= 0);
        waited += wait;
        CHECKF(waited < timeout_ms, "timed out after %d turns", turns);
        int alive;
        CHECK_OK(tlsplug_loop_run_once(loop, &alive));
        turns++;
    }
}

static void echo_embedded(size_t total, int pause_ms)
{
    t_case("embedded echo of %zu bytes, pause %d ms", total, pause_ms);
    tlsplug_loop *loop;
    CHECK_OK(tlsplug_loop_new(&loop));
    lk_server s;
    lk_server_start(&s, loop, PT_SERVER); /* (runs the loop itself until listening) */
    lk_client c = {.pause_ms = pause_ms};
    lk_client_start(&c, loop, s.port, total, t_seed() + total);
    host_loop_until(loop, &c.closed, 60000);
    CHECK(c.secure && c.authorized && c.got == total && !c.had_error);
    CHECK(c.paused_once == (pause_ms > 0 && total > 0));
    CHECK_OK(tlsplug_server_close(s.srv));
    host_loop_until(loop, &s.closed, 5000);
    int ms;
    CHECK_OK(tlsplug_loop_next_timeout(loop, &ms));
    CHECKF(ms == -1, "an empty loop answers -1, not %d", ms);
    lk_client_free(&c);
    lk_server_free(&s);
    CHECK_OK(tlsplug_loop_free(loop));
}

/* Timers fire on time through the embedding, and run_once never blocks. */
static int fired;
static void on_timer(uintptr_t ud, void *source, int event, void *subject, const uint8_t *data,
                     size_t len)
{
    (void)ud, (void)source, (void)subject;
    CHECK(event == TLSPLUG_EV_TIMER && len == 8 && data);
    fired++;
}

static void timers_embedded(void)
{
    t_case("timers through poll");
    tlsplug_loop *loop;
    CHECK_OK(tlsplug_loop_new(&loop));
    size_t a, b, c;
    CHECK_OK(tlsplug_loop_set_timer(loop, 30, 0, on_timer, 0, &a));
    CHECK_OK(tlsplug_loop_set_timer(loop, 10, 10, on_timer, 0, &b));
    CHECK_OK(tlsplug_loop_set_timer(loop, 20, 0, on_timer, 0, &c));
    CHECK(a && b && c && a != b && b != c);
    CHECK_OK(tlsplug_loop_clear_timer(loop, c));
    CHECK_OK(tlsplug_loop_clear_timer(loop, c)); /* twice: ignored, as Node */
    CHECK_OK(tlsplug_loop_clear_timer(loop, 999999));
    int ms;
    CHECK_OK(tlsplug_loop_next_timeout(loop, &ms));
    CHECKF(ms >= 0 && ms <= 10, "next timeout %d", ms);
    int alive;
    CHECK_OK(tlsplug_loop_run_once(loop, &alive)); /* does not wait */
    CHECK(alive);
    const int target = 5;
    int waited = 0;
    while (fired < target) {
        int fd;
        CHECK_OK(tlsplug_loop_backend_fd(loop, &fd));
        CHECK_OK(tlsplug_loop_next_timeout(loop, &ms));
        struct pollfd p = {.fd = fd, .events = POLLIN};
        poll(&p, 1, ms < 0 ? 50 : ms);
        waited += ms < 0 ? 50 : ms;
        CHECK(waited < 5000);
        CHECK_OK(tlsplug_loop_run_once(loop, &alive));
    }
    CHECK_OK(tlsplug_loop_clear_timer(loop, b));
    CHECK_OK(tlsplug_loop_run_for(loop, 100, &alive)); /* `a` fires at 30 ms */
    CHECK(!alive);
    CHECK_OK(tlsplug_loop_free(loop));
}

int main(void)
{
    t_init("loop_embed", 17);
    timers_embedded();
    echo_embedded(0, 0);
    echo_embedded(3u << 20, 100);
    return t_done();
}
