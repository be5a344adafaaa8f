#define _POSIX_C_SOURCE 200809L /* clock_gettime */
/* tlsplug_context_free on one thread racing tlsplug_socket_new and
 * tlsplug_server_new on another, through the public API (docs/ABI.md: a
 * context may be shared across threads). The lookup of the context handle
 * and the reference the new socket takes must be one step: were they two,
 * the free could destroy the context in between and the new socket would
 * hold freed memory (ASan reports it; a plain build may crash or corrupt).
 * Each call must answer OK (the socket then owns a working context) or
 * TLSPLUG_E_BADHANDLE (the context was already gone). Bounded by time
 * (about 1.5 s) and iterations. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <tlsplug.h>

#define MAX_ITER 2000000

static _Atomic(tlsplug_context *) current;
static atomic_int stop;
static _Atomic unsigned long made, used, refused, bad;
static _Atomic int first_bad_rc; /* what the first wrong answer was */

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* Each round publishes a context, lets the user thread start an attempt
 * on it, frees it while that attempt may still be between its lookup and
 * its reference, then lets the user try the dead handle before the next
 * round: both outcomes happen whatever the threads' speeds. */
static _Atomic unsigned long attempts;

/* Wait (bounded) until the user thread has started `n` more attempts. */
static void await_attempts(unsigned long n)
{
    unsigned long from = atomic_load(&attempts);
    for (long spin = 0; spin < 1000000 && atomic_load(&attempts) - from < n && !atomic_load(&stop);
         spin++)
        sched_yield();
}

static void *freer(void *arg)
{
    (void)arg;
    for (int i = 0; i < MAX_ITER && !atomic_load(&stop); i++) {
        tlsplug_context *c;
        if (tlsplug_context_new(&c) != TLSPLUG_OK) {
            atomic_fetch_add(&bad, 1);
            break;
        }
        atomic_store(&current, c);
        atomic_fetch_add(&made, 1);
        await_attempts(1);
        tlsplug_context_free(c); /* while the other thread may be using it */
        await_attempts(2);       /* at least one attempt sees it freed */
    }
    return NULL;
}

static void *user(void *arg)
{
    (void)arg;
    for (int i = 0; i < MAX_ITER && !atomic_load(&stop); i++) {
        tlsplug_context *c = atomic_load(&current);
        atomic_fetch_add(&attempts, 1);
        tlsplug_socket *s;
        tlsplug_server *srv;
        int rc = i & 1 ? tlsplug_socket_new(c, TLSPLUG_ROLE_CLIENT, &s)
                       : tlsplug_server_new(c, &srv);
        if (rc == TLSPLUG_OK) {
            atomic_fetch_add(&used, 1);
            /* The socket's context must still work after its handle died. */
            if (i & 1) {
                int st = tlsplug_socket_start(s);
                if (st != TLSPLUG_OK) {
                    int zero = 0;
                    atomic_compare_exchange_strong(&first_bad_rc, &zero, st);
                    atomic_fetch_add(&bad, 1);
                }
                tlsplug_socket_free(s);
            } else {
                tlsplug_server_free(srv);
            }
        } else if (rc == TLSPLUG_E_BADHANDLE) {
            atomic_fetch_add(&refused, 1);
        } else {
            int zero = 0;
            atomic_compare_exchange_strong(&first_bad_rc, &zero, rc);
            atomic_fetch_add(&bad, 1);
        }
    }
    return NULL;
}

int main(void)
{
    tlsplug_context *first;
    if (tlsplug_context_new(&first) != TLSPLUG_OK)
        return 1;
    atomic_store(&current, first); /* a handle to look up from the start */
    pthread_t a, b;
    pthread_create(&a, NULL, freer, NULL);
    pthread_create(&b, NULL, user, NULL);
    double end = now() + 1.5;
    while (now() < end && !atomic_load(&bad)) {
        struct timespec t = {0, 10 * 1000 * 1000};
        nanosleep(&t, NULL);
    }
    atomic_store(&stop, 1);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    tlsplug_context_free(first);
    printf("contexts made %lu; sockets/servers made %lu; refused (freed) %lu; wrong answers %lu "
           "(first: %s)\n",
           atomic_load(&made), atomic_load(&used), atomic_load(&refused), atomic_load(&bad),
           atomic_load(&bad) ? tlsplug_status_name(atomic_load(&first_bad_rc)) : "none");
    if (atomic_load(&bad) || !atomic_load(&used) || !atomic_load(&refused)) {
        printf("FAIL: every call must answer OK or BADHANDLE, and both must happen\n");
        return 1;
    }
    printf("1 passed, 0 failed\n");
    return 0;
}
