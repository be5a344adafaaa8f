#define _GNU_SOURCE /* RTLD_NEXT */
/* Freeing a loop while a name lookup it started still runs on libuv's
 * thread pool. The worker reports back into the loop when getaddrinfo
 * returns, so tlsplug_loop_free must not let the loop's memory go before
 * that: it waits for the lookup, and no host callback fires meanwhile.
 *
 * To hold the worker inside getaddrinfo at the moment of the free, this
 * program defines getaddrinfo itself (libuv's call binds to it; the
 * executable exports it): for "localhost", while `slow` is set, it says it
 * started, waits SLOW_MS and then asks the C library as usual. A second
 * part frees loops right after connecting, with no delay, many times: the
 * lookup is then sometimes queued, sometimes running, sometimes done. */
#include <dlfcn.h>
#include <netdb.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "loopkit.h"

#define SLOW_MS 300
#define SLOW_LOOKUPS 2 /* libuv runs name lookups on at most half its 4 threads */

static atomic_int slow;     /* hold lookups of "localhost" */
static atomic_int returned; /* slow lookups that came back from the C library */
static sem_t started;       /* one post per slow lookup that began */

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res)
{
    typedef int (*gai_fn)(const char *, const char *, const struct addrinfo *,
                          struct addrinfo **);
    gai_fn real = (gai_fn)dlsym(RTLD_NEXT, "getaddrinfo");
    int held = node && strcmp(node, "localhost") == 0 && atomic_load(&slow);
    if (held) {
        sem_post(&started);
        struct timespec d = {0, SLOW_MS * 1000000L};
        nanosleep(&d, NULL);
    }
    int rc = real(node, service, hints, res);
    if (held)
        atomic_fetch_add(&returned, 1);
    return rc;
}

static int heard; /* events the host heard on the sockets */

static void on_any(uintptr_t ud, void *source, int event, void *subject, const uint8_t *data,
                   size_t len)
{
    (void)ud, (void)source, (void)event, (void)subject, (void)data, (void)len;
    heard++;
}

static tlsplug_socket *connecting_socket(tlsplug_loop *loop, tlsplug_context *ctx)
{
    tlsplug_socket *sock;
    CHECK_OK(tlsplug_socket_new(ctx, TLSPLUG_ROLE_CLIENT, &sock));
    for (int ev = 1; ev <= TLSPLUG_EV_TIMER; ev++)
        CHECK_OK(tlsplug_socket_on(sock, ev, on_any, 0));
    /* Port 9 (discard): nothing listens, and the free comes first anyway. */
    CHECK_OK(tlsplug_loop_connect(loop, sock, "localhost", 9));
    return sock;
}

static void free_while_resolving(void)
{
    t_case("free the loop while %d lookups run on the thread pool", SLOW_LOOKUPS);
    tlsplug_context *ctx = pt_context(PT_CLIENT);
    tlsplug_loop *loop;
    CHECK_OK(tlsplug_loop_new(&loop));
    atomic_store(&slow, 1);
    tlsplug_socket *socks[SLOW_LOOKUPS];
    for (int i = 0; i < SLOW_LOOKUPS; i++)
        socks[i] = connecting_socket(loop, ctx);
    /* The lookups start from the loop's turn; wait until every worker is
     * inside getaddrinfo (bounded). */
    int alive;
    CHECK_OK(tlsplug_loop_run_once(loop, &alive));
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 5;
    for (int i = 0; i < SLOW_LOOKUPS; i++)
        CHECKF(sem_timedwait(&started, &until) == 0, "lookup %d did not start", i);
    CHECK(atomic_load(&returned) == 0);
    heard = 0;
    CHECK_OK(tlsplug_loop_free(loop));
    /* The free waited for every worker to come back, and said nothing. */
    CHECKF(atomic_load(&returned) == SLOW_LOOKUPS,
           "loop_free returned while %d of %d lookups were still running",
           SLOW_LOOKUPS - atomic_load(&returned), SLOW_LOOKUPS);
    CHECKF(heard == 0, "%d events fired during loop_free", heard);
    atomic_store(&slow, 0);
    for (int i = 0; i < SLOW_LOOKUPS; i++) {
        CHECK(t_state(socks[i]) & TLSPLUG_STATE_CLOSED);
        CHECK_OK(tlsplug_socket_free(socks[i]));
    }
    CHECK_OK(tlsplug_context_free(ctx));
}

static void free_right_after_connect(void)
{
    t_case("free the loop right after connect to a name, 200 times");
    tlsplug_context *ctx = pt_context(PT_CLIENT);
    for (int i = 0; i < 200; i++) {
        tlsplug_loop *loop;
        CHECK_OK(tlsplug_loop_new(&loop));
        tlsplug_socket *sock = connecting_socket(loop, ctx);
        int alive;
        CHECK_OK(tlsplug_loop_run_once(loop, &alive)); /* the lookup is handed to a worker */
        heard = 0;
        CHECK_OK(tlsplug_loop_free(loop));
        CHECKF(heard == 0, "%d events fired during loop_free", heard);
        CHECK_OK(tlsplug_socket_free(sock));
    }
    CHECK_OK(tlsplug_context_free(ctx));
}

int main(void)
{
    t_init("loop_free_lookup", 37);
    sem_init(&started, 0, 0);
    free_while_resolving();
    free_right_after_connect();
    sem_destroy(&started);
    return t_done();
}
