/* libtlsplug-redis.so: the Redis session store, a module of its own so
 * that libtlsplug does not depend on hiredis (store_remote.c loads it on
 * first use of a redis:// URL and calls it from one worker thread).
 *
 * URLs: redis://HOST[:PORT][/DB][?timeout_ms=N] and
 * redis+unix:///PATH[?db=N&timeout_ms=N]. Keys are
 * "tlsplug:session:" + hex(sessionIdContext-prefixed id); values expire
 * with SET ... EX sessionTimeout. Every command has the caller's deadline
 * as its socket timeout; after a failure the connection is dropped and no
 * new one is tried for RETRY_MS, so a dead server costs nothing per
 * handshake. */
#define _POSIX_C_SOURCE 200809L
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_backend.h"

#define RETRY_MS 500
#define KEY_PREFIX "tlsplug:session:"

struct redis {
    char host[256];
    char path[256]; /* a Unix socket, else host:port */
    int port, db;
    redisContext *c;
    long long retry_at; /* no connection attempt before (monotonic ms) */
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct timeval tv_of(unsigned ms)
{
    return (struct timeval){.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
}

/* "?a=1&b=2": db and timeout_ms; 0, or -1 for anything else. */
static int parse_query(const char *q, int *db, unsigned *timeout_ms)
{
    while (q && *q) {
        char name[32];
        long v;
        int used = 0;
        if (sscanf(q, "%31[^=]=%ld%n", name, &v, &used) != 2 || v < 0 || v > 600000)
            return -1;
        if (strcmp(name, "db") == 0)
            *db = (int)v;
        else if (strcmp(name, "timeout_ms") == 0 && v > 0)
            *timeout_ms = (unsigned)v;
        else
            return -1;
        q += used;
        if (*q == '&')
            q++;
        else if (*q)
            return -1;
    }
    return 0;
}

static void *redis_open(const char *url, unsigned *timeout_ms, char *why, size_t whylen)
{
    struct redis *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(why, whylen, "out of memory");
        return NULL;
    }
    r->port = 6379;
    const char *q = strchr(url, '?');
    int ok;
    if (strncmp(url, "redis+unix://", 13) == 0) {
        size_t n = q ? (size_t)(q - url - 13) : strlen(url + 13);
        ok = n > 1 && n < sizeof r->path && url[13] == '/';
        if (ok)
            memcpy(r->path, url + 13, n);
    } else {
        const char *at = url + 8;
        char rest[300] = "";
        int used = 0;
        ok = sscanf(at, "%255[^:/?]%n", r->host, &used) == 1;
        at += used;
        if (ok && *at == ':')
            ok = sscanf(at + 1, "%d%n", &r->port, &used) == 1 && r->port > 0 && r->port < 65536,
            at += 1 + used;
        if (ok && *at == '/' && at[1] && at[1] != '?')
            ok = sscanf(at + 1, "%d%n", &r->db, &used) == 1 && r->db >= 0, at += 1 + used;
        else if (ok && *at == '/')
            at++;
        ok = ok && (*at == 0 || *at == '?');
        (void)rest;
    }
    if (!ok || parse_query(q ? q + 1 : NULL, &r->db, timeout_ms) != 0) {
        snprintf(why, whylen, "expected redis://HOST[:PORT][/DB] or redis+unix:///PATH, "
                              "with ?timeout_ms=N or ?db=N");
        free(r);
        return NULL;
    }
    return r;
}

static void drop(struct redis *r)
{
    if (r->c)
        redisFree(r->c);
    r->c = NULL;
    r->retry_at = now_ms() + RETRY_MS;
}

/* A command's reply, connecting first if need be; NULL with `why` set. */
static redisReply *command(struct redis *r, unsigned timeout_ms, char *why, size_t whylen,
                           const char *fmt, const void *a, size_t alen, const void *b,
                           size_t blen, unsigned ttl)
{
    if (!r->c) {
        if (now_ms() < r->retry_at) {
            snprintf(why, whylen, "unreachable");
            return NULL;
        }
        struct timeval tv = tv_of(timeout_ms);
        r->c = r->path[0] ? redisConnectUnixWithTimeout(r->path, tv)
                          : redisConnectWithTimeout(r->host, r->port, tv);
        if (!r->c || r->c->err) {
            snprintf(why, whylen, "cannot connect: %s", r->c ? r->c->errstr : "out of memory");
            drop(r);
            return NULL;
        }
        if (r->db) {
            redisSetTimeout(r->c, tv);
            redisReply *sel = redisCommand(r->c, "SELECT %d", r->db);
            int bad = !sel || sel->type == REDIS_REPLY_ERROR;
            if (bad)
                snprintf(why, whylen, "SELECT %d: %s", r->db,
                         sel ? sel->str : r->c->errstr);
            if (sel)
                freeReplyObject(sel);
            if (bad) {
                drop(r);
                return NULL;
            }
        }
    }
    redisSetTimeout(r->c, tv_of(timeout_ms));
    redisReply *rep = b ? redisCommand(r->c, fmt, a, alen, b, blen, ttl)
                        : redisCommand(r->c, fmt, a, alen);
    if (!rep) {
        snprintf(why, whylen, "%s", r->c->errstr[0] ? r->c->errstr : "timed out");
        drop(r);
        return NULL;
    }
    if (rep->type == REDIS_REPLY_ERROR) {
        snprintf(why, whylen, "%s", rep->str);
        freeReplyObject(rep);
        return NULL;
    }
    return rep;
}

/* KEY_PREFIX + hex(key), in `out` (at least sizeof KEY_PREFIX + 2 * klen). */
static size_t key_text(const uint8_t *key, size_t klen, char *out)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = sizeof KEY_PREFIX - 1;
    memcpy(out, KEY_PREFIX, n);
    for (size_t i = 0; i < klen; i++) {
        out[n++] = hex[key[i] >> 4];
        out[n++] = hex[key[i] & 15];
    }
    return n;
}

#define KEY_MAX (sizeof KEY_PREFIX + 2 * 600)

static int redis_get(void *b, const uint8_t *key, size_t klen, unsigned timeout_ms,
                     uint8_t **val, size_t *vlen, char *why, size_t whylen)
{
    char k[KEY_MAX];
    if (klen > 600)
        return 0;
    size_t n = key_text(key, klen, k);
    redisReply *rep = command(b, timeout_ms, why, whylen, "GET %b", k, n, NULL, 0, 0);
    if (!rep)
        return -1;
    int rc = 0;
    if (rep->type == REDIS_REPLY_STRING && rep->len > 0 && (*val = malloc(rep->len))) {
        memcpy(*val, rep->str, rep->len);
        *vlen = rep->len;
        rc = 1;
    }
    freeReplyObject(rep);
    return rc;
}

static int redis_put(void *b, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
                     unsigned ttl_s, unsigned timeout_ms, char *why, size_t whylen)
{
    char k[KEY_MAX];
    if (klen > 600)
        return 0;
    size_t n = key_text(key, klen, k);
    redisReply *rep =
        command(b, timeout_ms, why, whylen, "SET %b %b EX %u", k, n, val, vlen, ttl_s);
    if (rep)
        freeReplyObject(rep);
    return rep ? 0 : -1;
}

static int redis_del(void *b, const uint8_t *key, size_t klen, unsigned timeout_ms, char *why,
                     size_t whylen)
{
    char k[KEY_MAX];
    if (klen > 600)
        return 0;
    size_t n = key_text(key, klen, k);
    redisReply *rep = command(b, timeout_ms, why, whylen, "DEL %b", k, n, NULL, 0, 0);
    if (rep)
        freeReplyObject(rep);
    return rep ? 0 : -1;
}

static int redis_get_raw(void *b, const char *name, unsigned timeout_ms, uint8_t **val,
                         size_t *vlen, char *why, size_t whylen)
{
    redisReply *rep =
        command(b, timeout_ms, why, whylen, "GET %b", name, strlen(name), NULL, 0, 0);
    if (!rep)
        return -1;
    int rc = 0;
    if (rep->type == REDIS_REPLY_STRING && (*val = malloc(rep->len ? rep->len : 1))) {
        memcpy(*val, rep->str, rep->len);
        *vlen = rep->len;
        rc = 1;
    }
    freeReplyObject(rep);
    return rc;
}

static void redis_close(void *b)
{
    struct redis *r = b;
    if (r && r->c)
        redisFree(r->c);
    free(r);
}

static const struct tp_store_backend backend = {
    TP_STORE_BACKEND_VERSION, redis_open, redis_get, redis_put, redis_del, redis_get_raw,
    redis_close,
};

/* The module's one symbol (TP_STORE_BACKEND_SYMBOL). */
__attribute__((visibility("default"))) const struct tp_store_backend *tlsplug_store_backend_v1(void);

const struct tp_store_backend *tlsplug_store_backend_v1(void)
{
    return &backend;
}
