#define _POSIX_C_SOURCE 200809L /* clock_gettime, nanosleep */
/* A lookup racing a free and a reuse of the same slot must never return
 * the new object for the old handle (docs/ABI.md: a freed handle never
 * becomes valid again).
 *
 * One thread makes a handle, publishes it and frees it, over and over: the
 * table's free list hands the same slot back each time. The other thread
 * looks up whatever handle was published last. Each object records the
 * handle it was registered under, so a lookup that answers an object whose
 * handle is not the one looked up is a stale handle coming back to life.
 *
 * The window between a lookup's reads is a few instructions wide, so the
 * first half of the run widens it: the table is this test's own build of
 * src/base/handle.c (TLSPLUG_TESTING), which calls a pause hook between reading
 * a slot's stamp and its object. The second half runs without the hook.
 * Bounded by time (TLSPLUG_RACE_MS, default 2000 ms) and by iterations. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "handle.h"

#define RING 4096               /* objects, reused round-robin by the maker */
#define MAX_ITER 200000000ull   /* an upper bound on the maker's work */

struct obj {
    _Atomic uintptr_t handle; /* the handle this object was registered under */
};

static struct obj objs[RING];
static _Atomic uintptr_t current;     /* the handle published last */
static _Atomic uint64_t made;         /* handles made so far */
static atomic_int stop;
static _Atomic uint64_t lookups, hits, stale; /* the looker's counts */

static void *maker(void *arg)
{
    (void)arg;
    for (uint64_t i = 1; i <= MAX_ITER && !atomic_load(&stop); i++) {
        struct obj *o = &objs[i % RING];
        atomic_store(&made, i);
        uintptr_t h = tp_handle_new(TP_TAG_SOCKET, o);
        if (!h) {
            fprintf(stderr, "unit_handle_race: tp_handle_new failed at %ju\n", (uintmax_t)i);
            exit(1);
        }
        atomic_store(&o->handle, h);
        atomic_store(&current, h);
        tp_handle_retire((void *)h, TP_TAG_SOCKET);
    }
    atomic_store(&stop, 1);
    return NULL;
}

static void *looker(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        uint64_t before = atomic_load(&made);
        uintptr_t h = atomic_load(&current);
        struct obj *o = tp_handle_get((void *)h, TP_TAG_SOCKET);
        lookups++;
        if (!o)
            continue;
        hits++;
        uintptr_t owner = atomic_load(&o->handle);
        /* Unless the maker lapped the ring meanwhile (then the object may
         * lawfully belong to a later handle), a mismatch is a stale hit. */
        if (owner != h && atomic_load(&made) - before < RING - 2)
            stale++;
    }
    return NULL;
}

/* A pause of a microsecond or two: several frees and reuses long. */
static void pause_briefly(void)
{
    for (volatile int i = 0; i < 2000; i++)
        ;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(void)
{
    const char *env = getenv("TLSPLUG_RACE_MS");
    double budget = env ? atof(env) : 2000;
    atomic_store(&tp_handle_testing_pause, pause_briefly);
    pthread_t a, b;
    pthread_create(&a, NULL, maker, NULL);
    pthread_create(&b, NULL, looker, NULL);
    struct timespec tick = {0, 10 * 1000 * 1000};
    double start = now_ms();
    while (!atomic_load(&stop) && now_ms() - start < budget / 2)
        nanosleep(&tick, NULL);
    uint64_t stale_paused = atomic_load(&stale);
    atomic_store(&tp_handle_testing_pause, NULL);
    while (!atomic_load(&stop) && now_ms() - start < budget)
        nanosleep(&tick, NULL);
    atomic_store(&stop, 1);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("unit_handle_race: %ju handles made, %ju lookups, %ju live hits, %ju stale hits "
           "(%ju with the widened window)\n",
           (uintmax_t)atomic_load(&made), (uintmax_t)atomic_load(&lookups), (uintmax_t)atomic_load(&hits),
           (uintmax_t)atomic_load(&stale),
           (uintmax_t)stale_paused);
    if (stale) {
        fprintf(stderr, "unit_handle_race: %ju lookups of a freed handle answered a new object\n",
                (uintmax_t)atomic_load(&stale));
        return 1;
    }
    if (hits == 0) {
        fprintf(stderr, "unit_handle_race: no lookup ever overlapped a live handle: no race ran\n");
        return 1;
    }
    return 0;
}
