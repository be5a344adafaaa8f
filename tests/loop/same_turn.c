/* Frees from callbacks while the loop is walking its work of one turn
 * (docs/ABI.md: a callback may free any handle): two servers closed in the
 * same turn where the first `close` callback frees the other server, in
 * both orders; a server freed from its own `close`; and two sockets that
 * close in the same turn where the first `close` callback frees the other.
 * The freed handle hears nothing more; the sanitizer build checks memory. */
#include <stdio.h>
#include <stdlib.h>

#include "loopkit.h"

typedef struct rec {
    tlsplug_server *srv;
    tlsplug_socket *sock;
    struct rec *other; /* freed by this one's `close` callback */
    int free_self;     /* free this handle from its own `close` */
    int listening, closes, freed;
} rec;

static void free_rec(rec *r)
{
    if (r->srv)
        CHECK_OK(tlsplug_server_free(r->srv));
    else
        CHECK_OK(tlsplug_socket_free(r->sock));
    r->freed = 1;
}

static void on_event(uintptr_t ud, void *source, int event, void *subject, const uint8_t *data,
                     size_t len)
{
    (void)source, (void)subject, (void)data, (void)len;
    rec *r = (rec *)ud;
    CHECKF(!r->freed, "a freed handle heard event %d", event);
    if (event == TLSPLUG_EV_LISTENING)
        r->listening = 1;
    if (event != TLSPLUG_EV_CLOSE)
        return;
    r->closes++;
    if (r->other && !r->other->freed)
        free_rec(r->other);
    if (r->free_self)
        free_rec(r);
}

static void listen_rec(tlsplug_loop *loop, tlsplug_context *ctx, rec *r)
{
    memset(r, 0, sizeof *r);
    CHECK_OK(tlsplug_server_new(ctx, &r->srv));
    CHECK_OK(tlsplug_server_on(r->srv, TLSPLUG_EV_LISTENING, on_event, (uintptr_t)r));
    CHECK_OK(tlsplug_server_on(r->srv, TLSPLUG_EV_CLOSE, on_event, (uintptr_t)r));
    CHECK_OK(tlsplug_loop_listen(loop, r->srv, "127.0.0.1", 0, 0));
    lk_run_until(loop, &r->listening, 5000);
}

/* Run until the loop has nothing left (bounded). */
static void run_dry(tlsplug_loop *loop)
{
    int alive = 1;
    for (int waited = 0; alive; waited += 20) {
        CHECKF(waited < 5000, "the loop still has work after 5 s");
        CHECK_OK(tlsplug_loop_run_for(loop, 20, &alive));
    }
}

static void servers_free_each_other(int reverse)
{
    t_case("two servers closed in one turn, the first close frees the other (%s order)",
           reverse ? "reverse" : "listen");
    tlsplug_loop *loop;
    CHECK_OK(tlsplug_loop_new(&loop));
    tlsplug_context *ctx = pt_context(PT_SERVER);
    rec a, b;
    listen_rec(loop, ctx, &a);
    listen_rec(loop, ctx, &b);
    a.other = &b;
    b.other = &a;
    /* Both listeners finish closing in the same loop turn. */
    CHECK_OK(tlsplug_server_close(reverse ? b.srv : a.srv));
    CHECK_OK(tlsplug_server_close(reverse ? a.srv : b.srv));
    run_dry(loop);
    /* Exactly one close: the other server was freed before its own. */
    CHECKF(a.closes + b.closes == 1, "closes heard: %d and %d", a.closes, b.closes);
    rec *survivor = a.freed ? &b : &a, *gone = a.freed ? &a : &b;
    CHECK(gone->freed && !survivor->freed);
    CHECK_RC(tlsplug_server_free(gone->srv), TLSPLUG_E_BADHANDLE);
    CHECK_OK(tlsplug_server_free(survivor->srv));
    CHECK_OK(tlsplug_context_free(ctx));
    CHECK_OK(tlsplug_loop_free(loop));
}

static void server_frees_itself(void)
{
    t_case("a server freed from its own close callback, another closing in the same turn");
    tlsplug_loop *loop;
    CHECK_OK(tlsplug_loop_new(&loop));
    tlsplug_context *ctx = pt_context(PT_SERVER);
    rec a, b;
    listen_rec(loop, ctx, &a);
    listen_rec(loop, ctx, &b);
    a.free_self = b.free_self = 1;
    CHECK_OK(tlsplug_server_close(a.srv));
    CHECK_OK(tlsplug_server_close(b.srv));
    run_dry(loop);
    CHECK(a.closes == 1 && b.closes == 1 && a.freed && b.freed);
    CHECK_RC(tlsplug_server_free(a.srv), TLSPLUG_E_BADHANDLE);
    CHECK_OK(tlsplug_context_free(ctx));
    CHECK_OK(tlsplug_loop_free(loop));
}

static void sockets_free_each_other(void)
{
    t_case("two sockets closing in one turn, the first close frees the other");
    tlsplug_loop *loop;
    CHECK_OK(tlsplug_loop_new(&loop));
    lk_server s;
    lk_server_start(&s, loop, PT_SERVER);
    lk_client c[2];
    rec r[2];
    for (int i = 0; i < 2; i++) {
        memset(&c[i], 0, sizeof c[i]);
        c[i].hold = 1;
        lk_client_start(&c[i], loop, s.port, 100, (uint64_t)i);
    }
    for (int i = 0; i < 2; i++) {
        for (int waited = 0; c[i].got < c[i].total; waited += 20) { /* the echo is back */
            CHECK(waited < 10000);
            int alive;
            CHECK_OK(tlsplug_loop_run_for(loop, 20, &alive));
        }
        memset(&r[i], 0, sizeof r[i]);
        r[i].sock = c[i].sock;
        r[i].other = &r[1 - i];
        CHECK_OK(tlsplug_socket_on(c[i].sock, TLSPLUG_EV_CLOSE, on_event, (uintptr_t)&r[i]));
    }
    CHECK_OK(tlsplug_socket_destroy(c[0].sock, NULL, NULL));
    CHECK_OK(tlsplug_socket_destroy(c[1].sock, NULL, NULL));
    for (int waited = 0; r[0].closes + r[1].closes == 0; waited += 20) {
        CHECK(waited < 5000);
        int alive;
        CHECK_OK(tlsplug_loop_run_for(loop, 20, &alive));
    }
    CHECK_OK(tlsplug_server_close(s.srv));
    run_dry(loop);
    CHECKF(r[0].closes + r[1].closes == 1, "closes heard: %d and %d", r[0].closes, r[1].closes);
    rec *survivor = r[0].freed ? &r[1] : &r[0];
    CHECK_RC(tlsplug_socket_free(r[0].freed ? r[0].sock : r[1].sock), TLSPLUG_E_BADHANDLE);
    CHECK_OK(tlsplug_socket_free(survivor->sock));
    lk_server_free(&s);
    CHECK_OK(tlsplug_loop_free(loop));
}

int main(void)
{
    t_init("loop_same_turn", 31);
    servers_free_each_other(0);
    servers_free_each_other(1);
    server_frees_itself();
    sockets_free_each_other();
    return t_done();
}
