/* The embedded session cache: a bounded LRU of TLS 1.2 sessions, each
 * expiring after the sessionTimeout it was stored with. One lock guards it,
 * so servers on several threads may share it. */
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"

struct entry {
    struct entry *lru_prev, *lru_next; /* most recent first */
    struct entry *chain;               /* the bucket's next */
    uint64_t hash;
    time_t expires;                    /* monotonic seconds */
    size_t klen, vlen;
    uint8_t *val;
    uint8_t key[];
};

struct memory {
    struct tp_store base;
    pthread_mutex_t lock;
    size_t capacity, count, nbuckets;
    struct entry **buckets;
    struct entry *newest, *oldest;
};

static time_t now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
    uint64_t h = 14695981039346656037u;
    while (n--)
        h = (h ^ *p++) * 1099511628211u;
    return h;
}

static struct entry **slot_of(struct memory *m, const uint8_t *key, size_t klen, uint64_t h)
{
    struct entry **at = &m->buckets[h % m->nbuckets];
    while (*at && !((*at)->hash == h && (*at)->klen == klen && memcmp((*at)->key, key, klen) == 0))
        at = &(*at)->chain;
    return at;
}

static void lru_unlink(struct memory *m, struct entry *e)
{
    if (e->lru_prev)
        e->lru_prev->lru_next = e->lru_next;
    else
        m->newest = e->lru_next;
    if (e->lru_next)
        e->lru_next->lru_prev = e->lru_prev;
    else
        m->oldest = e->lru_prev;
    e->lru_prev = e->lru_next = NULL;
}

static void lru_push(struct memory *m, struct entry *e)
{
    e->lru_next = m->newest;
    if (m->newest)
        m->newest->lru_prev = e;
    m->newest = e;
    if (!m->oldest)
        m->oldest = e;
}

/* Unlink and free the entry at *at (a bucket link). */
static void drop(struct memory *m, struct entry **at)
{
    struct entry *e = *at;
    *at = e->chain;
    lru_unlink(m, e);
    gnutls_memset(e->val, 0, e->vlen); /* session secrets */
    free(e->val);
    free(e);
    m->count--;
}

static void evict_to(struct memory *m, size_t keep)
{
    while (m->count > keep && m->oldest) {
        struct entry *e = m->oldest;
        drop(m, slot_of(m, e->key, e->klen, e->hash));
    }
}

static int mem_get(struct tp_store *st, const uint8_t *key, size_t klen, uintptr_t who,
                   uint8_t **val, size_t *vlen)
{
    (void)who;
    struct memory *m = (struct memory *)st;
    *val = NULL;
    *vlen = 0;
    uint64_t h = fnv1a(key, klen);
    pthread_mutex_lock(&m->lock);
    struct entry **at = slot_of(m, key, klen, h);
    if (*at && (*at)->expires <= now_s())
        drop(m, at);
    else if (*at && ((*val) = malloc((*at)->vlen))) {
        memcpy(*val, (*at)->val, (*at)->vlen);
        *vlen = (*at)->vlen;
        lru_unlink(m, *at);
        lru_push(m, *at);
    }
    pthread_mutex_unlock(&m->lock);
    return 1;
}

static void mem_put(struct tp_store *st, const uint8_t *key, size_t klen, const uint8_t *val,
                    size_t vlen, unsigned ttl_s)
{
    struct memory *m = (struct memory *)st;
    struct entry *e = malloc(sizeof *e + klen);
    uint8_t *copy = e ? malloc(vlen) : NULL;
    if (!copy) {
        free(e);
        atomic_fetch_add(&st->failures, 1);
        return; /* not kept: a full handshake next time */
    }
    *e = (struct entry){.hash = fnv1a(key, klen), .expires = now_s() + ttl_s,
                        .klen = klen, .vlen = vlen, .val = copy};
    memcpy(e->key, key, klen);
    memcpy(copy, val, vlen);
    pthread_mutex_lock(&m->lock);
    struct entry **at = slot_of(m, key, klen, e->hash);
    if (*at)
        drop(m, at);
    evict_to(m, m->capacity ? m->capacity - 1 : 0);
    if (m->capacity) {
        at = slot_of(m, key, klen, e->hash);
        *at = e;
        lru_push(m, e);
        m->count++;
        e = NULL;
    }
    pthread_mutex_unlock(&m->lock);
    if (e) {
        free(e->val);
        free(e);
    }
}

static void mem_del(struct tp_store *st, const uint8_t *key, size_t klen)
{
    struct memory *m = (struct memory *)st;
    pthread_mutex_lock(&m->lock);
    struct entry **at = slot_of(m, key, klen, fnv1a(key, klen));
    if (*at)
        drop(m, at);
    pthread_mutex_unlock(&m->lock);
}

static int mem_fd(struct tp_store *st)
{
    (void)st;
    return -1;
}

static int mem_take_answer(struct tp_store *st, uintptr_t *who, uint8_t **val, size_t *vlen)
{
    (void)st, (void)who, (void)val, (void)vlen;
    return 0;
}

static void mem_destroy(struct tp_store *st)
{
    struct memory *m = (struct memory *)st;
    evict_to(m, 0);
    pthread_mutex_destroy(&m->lock);
    free(m->buckets);
    free(m);
}

static const struct tp_store_ops memory_ops = {
    mem_get, mem_put, mem_del, mem_fd, mem_take_answer, mem_destroy,
};

struct tp_store *tp_store_memory_new(size_t capacity)
{
    struct memory *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    /* Buckets for the capacity asked, within reason; chains absorb more. */
    m->nbuckets = capacity < 64 ? 64 : capacity > 65536 ? 65536 : capacity;
    m->buckets = calloc(m->nbuckets, sizeof *m->buckets);
    if (!m->buckets) {
        free(m);
        return NULL;
    }
    m->base.ops = &memory_ops;
    atomic_init(&m->base.refs, 1);
    atomic_init(&m->base.failures, 0);
    m->capacity = capacity;
    pthread_mutex_init(&m->lock, NULL);
    return &m->base;
}

void tp_store_memory_resize(struct tp_store *st, size_t capacity)
{
    if (st->ops != &memory_ops)
        return;
    struct memory *m = (struct memory *)st;
    pthread_mutex_lock(&m->lock);
    m->capacity = capacity;
    evict_to(m, capacity);
    pthread_mutex_unlock(&m->lock);
}

void tp_store_release(struct tp_store *st)
{
    if (st && atomic_fetch_sub_explicit(&st->refs, 1, memory_order_acq_rel) == 1)
        st->ops->destroy(st);
}
