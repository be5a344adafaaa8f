/* The embedded session cache (src/server/store_memory.c) on its own: the
 * least recently used session goes first when it is full, a session
 * expires with its time to live, a key stored again replaces its value,
 * resizing evicts, and threads sharing one cache lose nothing and crash
 * nothing (run it under the sanitizers to see races and leaks). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

static int failures;

#define CHECK(cond)                                                                         \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond);                     \
            failures++;                                                                     \
        }                                                                                   \
    } while (0)

static void put(struct tp_store *st, const char *key, const char *val, unsigned ttl)
{
    st->ops->put(st, (const uint8_t *)key, strlen(key), (const uint8_t *)val, strlen(val), ttl);
}

/* The value under key as a string ("" for a miss). */
static const char *get(struct tp_store *st, const char *key)
{
    static char out[64];
    uint8_t *val;
    size_t len;
    CHECK(st->ops->get(st, (const uint8_t *)key, strlen(key), 0, &val, &len) == 1);
    snprintf(out, sizeof out, "%.*s", (int)len, val ? (const char *)val : "");
    free(val);
    return out;
}

static void lru_and_expiry(void)
{
    struct tp_store *st = tp_store_memory_new(3);
    CHECK(st && st->ops->fd(st) == -1); /* answers at once: nothing to poll */
    put(st, "a", "1", 60);
    put(st, "b", "2", 60);
    put(st, "c", "3", 60);
    CHECK(strcmp(get(st, "a"), "1") == 0); /* a is now the most recent */
    put(st, "d", "4", 60);                 /* full: b, the least recent, goes */
    CHECK(strcmp(get(st, "b"), "") == 0);
    CHECK(strcmp(get(st, "a"), "1") == 0);
    CHECK(strcmp(get(st, "c"), "3") == 0);
    CHECK(strcmp(get(st, "d"), "4") == 0);
    put(st, "c", "33", 60); /* replaced, not added */
    CHECK(strcmp(get(st, "c"), "33") == 0);
    CHECK(strcmp(get(st, "a"), "1") == 0);
    put(st, "e", "5", 0); /* a time to live of 0: gone at once */
    CHECK(strcmp(get(st, "e"), "") == 0);
    st->ops->del(st, (const uint8_t *)"a", 1);
    CHECK(strcmp(get(st, "a"), "") == 0);
    tp_store_memory_resize(st, 1); /* keeps the most recent only */
    CHECK(strcmp(get(st, "d"), "") == 0);
    CHECK(strcmp(get(st, "c"), "33") == 0);
    tp_store_memory_resize(st, 0); /* no cache at all */
    put(st, "f", "6", 60);
    CHECK(strcmp(get(st, "f"), "") == 0);
    CHECK(atomic_load(&st->failures) == 0);
    tp_store_release(st);
}

#define THREADS 4
#define ROUNDS 20000

static void *hammer(void *arg)
{
    struct tp_store *st = arg;
    char key[32], val[32];
    unsigned seed = (unsigned)(uintptr_t)&key;
    for (int i = 0; i < ROUNDS; i++) {
        int k = (int)(rand_r(&seed) % 300);
        snprintf(key, sizeof key, "key-%d", k);
        snprintf(val, sizeof val, "value-%d", k);
        if (i % 3 == 0) {
            put(st, key, val, 60);
        } else {
            uint8_t *got;
            size_t len;
            st->ops->get(st, (const uint8_t *)key, strlen(key), 0, &got, &len);
            /* A hit is always the value stored under that key. */
            if (got && (len != strlen(val) || memcmp(got, val, len) != 0))
                __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
            free(got);
        }
    }
    return NULL;
}

static void shared_by_threads(void)
{
    struct tp_store *st = tp_store_memory_new(100); /* smaller than the keys: evictions */
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        CHECK(pthread_create(&t[i], NULL, hammer, st) == 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    tp_store_release(st);
}

int main(void)
{
    lru_and_expiry();
    shared_by_threads();
    if (failures)
        fprintf(stderr, "%d failures\n", failures);
    else
        printf("memory store: ok\n");
    return failures != 0;
}
