/* A listener's watch on its server's session store: a remote store
 * (Redis) answers on its own thread and signals a descriptor; the loop
 * polls it and hands the answers to the waiting sockets on the loop's
 * thread, so a handshake waiting on the store never blocks the loop. */
#include <stdlib.h>

#include "loop.h"

struct tp_store_watch {
    uv_poll_t poll;
    struct tp_store *st; /* a reference */
};

static void on_answers(uv_poll_t *p, int status, int events)
{
    (void)status, (void)events;
    struct tp_store_watch *w = p->data;
    tp_server_store_dispatch(w->st);
}

static void free_watch(uv_handle_t *h)
{
    struct tp_store_watch *w = h->data;
    tp_store_release(w->st);
    free(w);
}

void tp_listener_unwatch_store(tp_listener *l)
{
    if (l->store_watch)
        uv_close((uv_handle_t *)&l->store_watch->poll, free_watch);
    l->store_watch = NULL;
}

void tp_listener_watch_store(tp_listener *l)
{
    struct tp_store *st = tp_server_store(l->srv);
    if (l->store_watch && l->store_watch->st == st)
        return;
    tp_listener_unwatch_store(l); /* the host changed stores */
    int fd = st ? st->ops->fd(st) : -1;
    struct tp_store_watch *w = fd >= 0 ? calloc(1, sizeof *w) : NULL;
    if (!w || uv_poll_init(&l->loop->uv, &w->poll, fd) != 0) {
        free(w);
        return; /* answers wait for the handshake timeout */
    }
    w->poll.data = w;
    tp_store_hold(st);
    w->st = st;
    uv_poll_start(&w->poll, UV_READABLE, on_answers);
    l->store_watch = w;
}
