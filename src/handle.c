/* Handle table (see handle.h).
 *
 * Slots live in pages that are allocated once and never freed or moved, so
 * a lookup reads a page pointer and a slot without a lock. A slot's
 * generation is bumped when its handle is retired; the handle word carries
 * the generation it was made with, so a stale handle never matches again,
 * even after the slot is reused. Creation and retirement take a mutex.
 */
#include "handle.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#define PAGE_BITS 12
#define PAGE_SLOTS (1u << PAGE_BITS)
#define MAX_PAGES 4096u /* 16M live handles */

#if UINTPTR_MAX > 0xFFFFFFFFu
/* 64-bit word: 1 marker | 7 tag | 32 generation | 24 index */
#define MARK ((uintptr_t)1 << 63)
#define TAG_SHIFT 56
#define TAG_MASK 0x7Fu
#define GEN_SHIFT 24
#define GEN_MASK 0xFFFFFFFFu
#define IDX_MASK 0xFFFFFFu
#else
/* 32-bit word: 1 marker | 4 tag | 7 generation | 20 index */
#define MARK ((uintptr_t)1 << 31)
#define TAG_SHIFT 27
#define TAG_MASK 0xFu
#define GEN_SHIFT 20
#define GEN_MASK 0x7Fu
#define IDX_MASK 0xFFFFFu
#endif

struct slot {
    /* (generation << 8) | tag while live; 0 tag while free. */
    _Atomic uint64_t stamp;
    _Atomic(void *) obj;
    uint32_t next_free; /* index + 1 of the next free slot; 0 ends the list */
};

static _Atomic(struct slot *) pages[MAX_PAGES];
static uint32_t npages;       /* pages allocated; under lock */
static uint32_t free_head;    /* index + 1; under lock */
static uint32_t next_unused;  /* first never-used index; under lock */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static struct slot *slot_at(uint32_t idx)
{
    uint32_t page = idx >> PAGE_BITS;
    if (page >= MAX_PAGES)
        return NULL;
    struct slot *p = atomic_load_explicit(&pages[page], memory_order_acquire);
    return p ? &p[idx & (PAGE_SLOTS - 1)] : NULL;
}

static uintptr_t encode(enum tp_tag tag, uint32_t gen, uint32_t idx)
{
    return MARK | ((uintptr_t)(tag & TAG_MASK) << TAG_SHIFT) |
           ((uintptr_t)(gen & GEN_MASK) << GEN_SHIFT) | (idx & IDX_MASK);
}

uintptr_t tp_handle_new(enum tp_tag tag, void *obj)
{
    uintptr_t h = 0;
    pthread_mutex_lock(&lock);
    uint32_t idx;
    if (free_head) {
        idx = free_head - 1;
        free_head = slot_at(idx)->next_free;
    } else {
        idx = next_unused;
        if (idx > IDX_MASK)
            goto out;
        if ((idx >> PAGE_BITS) >= npages) {
            struct slot *p = calloc(PAGE_SLOTS, sizeof *p);
            if (!p)
                goto out;
            atomic_store_explicit(&pages[npages], p, memory_order_release);
            npages++;
        }
        next_unused++;
    }
    struct slot *s = slot_at(idx);
    uint64_t gen = (atomic_load_explicit(&s->stamp, memory_order_relaxed) >> 8) + 1;
    gen &= GEN_MASK;
    if (gen == 0)
        gen = 1; /* generation 0 is never handed out */
    atomic_store_explicit(&s->obj, obj, memory_order_relaxed);
    atomic_store_explicit(&s->stamp, (gen << 8) | (uint64_t)tag, memory_order_release);
    h = encode(tag, (uint32_t)gen, idx);
out:
    pthread_mutex_unlock(&lock);
    return h;
}

static struct slot *lookup(const void *hp, enum tp_tag *tag_out)
{
    uintptr_t h = (uintptr_t)hp;
    if (!(h & MARK))
        return NULL;
    enum tp_tag tag = (enum tp_tag)((h >> TAG_SHIFT) & TAG_MASK);
    uint32_t gen = (uint32_t)((h >> GEN_SHIFT) & GEN_MASK);
    struct slot *s = slot_at((uint32_t)(h & IDX_MASK));
    if (!s || tag == 0)
        return NULL;
    uint64_t stamp = atomic_load_explicit(&s->stamp, memory_order_acquire);
    if (stamp != (((uint64_t)gen << 8) | (uint64_t)tag))
        return NULL;
    *tag_out = tag;
    return s;
}

void *tp_handle_get(const void *h, enum tp_tag tag)
{
    enum tp_tag t;
    struct slot *s = lookup(h, &t);
    return s && t == tag ? atomic_load_explicit(&s->obj, memory_order_relaxed) : NULL;
}

enum tp_tag tp_handle_tag(const void *h)
{
    enum tp_tag t;
    return lookup(h, &t) ? t : (enum tp_tag)0;
}

void *tp_handle_get_any(const void *h)
{
    enum tp_tag t;
    struct slot *s = lookup(h, &t);
    return s ? atomic_load_explicit(&s->obj, memory_order_relaxed) : NULL;
}

int tp_handle_retire(const void *hp, enum tp_tag tag)
{
    int rc = -1;
    pthread_mutex_lock(&lock);
    enum tp_tag t;
    struct slot *s = lookup(hp, &t);
    if (s && t == tag) {
        uint64_t stamp = atomic_load_explicit(&s->stamp, memory_order_relaxed);
        /* Keep the generation, clear the tag: the slot is free. */
        atomic_store_explicit(&s->stamp, stamp & ~(uint64_t)0xFF, memory_order_release);
        atomic_store_explicit(&s->obj, NULL, memory_order_relaxed);
        s->next_free = free_head;
        free_head = (uint32_t)(((uintptr_t)hp) & IDX_MASK) + 1;
        rc = 0;
    }
    pthread_mutex_unlock(&lock);
    return rc;
}
