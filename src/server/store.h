/* Session stores: where a server keeps TLS 1.2 sessions (by id) when the
 * host has not taken them with newSession/resumeSession. Two kinds:
 * "memory" (store_memory.c), answered at once, and remote ones
 * (store_remote.c: Redis, through a module loaded on first use) whose
 * answers come later, on the thread that calls tp_store_take_answer,
 * woken through tp_store_fd. Keys are made by the caller (the
 * sessionIdContext, then the id); values are GnuTLS's session data. */
#ifndef TLSPLUG_STORE_H
#define TLSPLUG_STORE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct tp_store;

/* The embedded cache's default size: OpenSSL's default session cache size. */
#define TP_SESSION_CACHE_DEFAULT 20480

struct tp_store_ops {
    /* 1: answered now (*val malloc'd, or NULL for a miss); 0: the answer
     * comes later for `who` (a socket handle), through take_answer. */
    int (*get)(struct tp_store *st, const uint8_t *key, size_t klen, uintptr_t who,
               uint8_t **val, size_t *vlen);
    void (*put)(struct tp_store *st, const uint8_t *key, size_t klen, const uint8_t *val,
                size_t vlen, unsigned ttl_s);
    void (*del)(struct tp_store *st, const uint8_t *key, size_t klen);
    /* A descriptor readable while answers wait, or -1 (none ever do). */
    int (*fd)(struct tp_store *st);
    /* 1 and the next waiting answer (*val malloc'd or NULL), or 0. */
    int (*take_answer)(struct tp_store *st, uintptr_t *who, uint8_t **val, size_t *vlen);
    void (*destroy)(struct tp_store *st);
};

struct tp_store {
    const struct tp_store_ops *ops;
    atomic_int refs;
    atomic_size_t failures; /* lookups and writes the store could not do */
};

/* An in-memory LRU of at most `capacity` sessions, thread-safe. */
struct tp_store *tp_store_memory_new(size_t capacity);
/* Change the capacity of a memory store (evicting the oldest). */
void tp_store_memory_resize(struct tp_store *st, size_t capacity);

/* A store for `url`: "memory", "redis://HOST[:PORT][/DB]" or
 * "redis+unix:///PATH" (either with "?timeout_ms=N"). Fails with the
 * reason in `err`: a malformed URL (TLSPLUG_E_INVAL), or no Redis module
 * (TLSPLUG_E_UNSUPPORTED). */
int tp_store_open(const char *url, size_t memory_capacity, struct tp_store **out, tp_error *err);

/* The value stored under `name` at the Redis `url` (the fleet's ticket
 * master key), fetched now, bounded by the URL's timeout: *val malloc'd.
 * Fails with the reason in `err`: no module (TLSPLUG_E_UNSUPPORTED), a bad
 * URL (TLSPLUG_E_INVAL), Redis unreachable or no such key (TLSPLUG_E_NET). */
int tp_store_fetch(const char *url, const char *name, uint8_t **val, size_t *vlen, tp_error *err);

static inline void tp_store_hold(struct tp_store *st)
{
    atomic_fetch_add_explicit(&st->refs, 1, memory_order_relaxed);
}

void tp_store_release(struct tp_store *st);

#endif
