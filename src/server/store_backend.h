/* What a remote session-store module (libtlsplug-redis.so) provides: the
 * library dlopens it on first use of its URL scheme and calls these from
 * one worker thread per store (store_remote.c), never concurrently for one
 * store. Every call is bounded by `timeout_ms`; a module that cannot reach
 * its server answers -1 at once rather than waiting again (it reconnects
 * by itself on a later call). */
#ifndef TLSPLUG_STORE_BACKEND_H
#define TLSPLUG_STORE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#define TP_STORE_BACKEND_VERSION 1
#define TP_STORE_BACKEND_SYMBOL "tlsplug_store_backend_v1"

struct tp_store_backend {
    int version; /* TP_STORE_BACKEND_VERSION */
    /* A connection-to-be for `url` (no I/O yet), or NULL with a reason. */
    void *(*open)(const char *url, unsigned *timeout_ms, char *why, size_t whylen);
    /* 1 found (*val malloc'd), 0 not found, -1 failed (why says how). */
    int (*get)(void *b, const uint8_t *key, size_t klen, unsigned timeout_ms, uint8_t **val,
               size_t *vlen, char *why, size_t whylen);
    int (*put)(void *b, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
               unsigned ttl_s, unsigned timeout_ms, char *why, size_t whylen);
    int (*del)(void *b, const uint8_t *key, size_t klen, unsigned timeout_ms, char *why,
               size_t whylen);
    /* A value stored by someone else under `name` as it is (not a session:
     * the fleet's ticket master key): 1 found, 0 not, -1 failed. */
    int (*get_raw)(void *b, const char *name, unsigned timeout_ms, uint8_t **val, size_t *vlen,
                   char *why, size_t whylen);
    void (*close)(void *b);
};

#endif
