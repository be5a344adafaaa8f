/* Handle table (see handle.h).
 *
 * Slots live in pages that are allocated once and never freed or moved, so
 * a lookup reads a page pointer and a slot without a lock. Creation and
 * retirement take a mutex.
 *
 * Each slot has a stamp: (generation << 8) | tag while live, the same
 * generation with tag 0 once retired. The handle word carries the
 * generation it was made with. Two rules keep the ABI's promise that a
 * freed handle never becomes valid again:
 *
 * - A generation is never handed out twice for a slot. Reuse moves it on
 *   by one, and the handle made at the last generation the word can carry
 *   retires its slot for good when it is freed (it never goes back on the
 *   free list). The cost is one slot of table (24 bytes) per 2^32 - 1 uses
 *   of a slot on 64-bit. On the 32-bit layout (7-bit generation, 20-bit
 *   index) a slot serves 127 handles, so a process can make at most
 *   2^20 * 127 (about 133 million) handles in its life; after that
 *   tp_handle_new answers 0 (TLSPLUG_E_NOMEM) rather than reuse one.
 *
 * - A lookup reads the stamp, the object and the stamp again (a seqlock
 *   read). A slot's stamp only ever grows (live G, free G, live G + 1,
 *   ...), so the same expected stamp before and after the object's read
 *   means no free and reuse happened in between, and the object read is
 *   the handle's own. The table's atomics are sequentially consistent:
 *   retirement clears the stamp before it clears the object, creation sets
 *   the object before the stamp, and a reader that sees a later object also
 *   sees the later stamp.
 *
 * A lookup answers the object the handle had at that instant; it takes no
 * reference. A caller that takes one afterwards (a socket on a context)
 * relies on the host not freeing that same handle on another thread
 * meanwhile.
 */
#include "handle.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#define PAGE_BITS 12
#define PAGE_SLOTS (1u << PAGE_BITS)
#define MAX_PAGES 4096u /* 16M live handles */

#if UINTPTR_MAX > 0xFFFFFFFFu && !defined(TLSPLUG_HANDLE_NARROW)
/* 64-bit word: 1 marker | 7 tag | 32 generation | 24 index */
#define MARK ((uintptr_t)1 << 63)
#define TAG_SHIFT 56
#define TAG_MASK 0x7Fu
#define GEN_SHIFT 24
#define GEN_MASK 0xFFFFFFFFu
#define IDX_MASK 0xFFFFFFu
#else
/* 32-bit word: 1 marker | 4 tag | 7 generation | 20 index. (Tests build
 * this layout on 64-bit too, with TLSPLUG_HANDLE_NARROW.) */
#define MARK ((uintptr_t)1 << 31)
#define TAG_SHIFT 27
#define TAG_MASK 0xFu
#define GEN_SHIFT 20
#define GEN_MASK 0x7Fu
#define IDX_MASK 0xFFFFFu
#endif

struct slot {
    /* (generation << 8) | tag while live; 0 tag while free or retired. */
    _Atomic uint64_t stamp;
    _Atomic(void *) obj;
    uint32_t next_free; /* index + 1 of the next free slot; 0 ends the list */
};

static _Atomic(struct slot *) pages[MAX_PAGES];
static uint32_t npages;       /* pages allocated; under lock */
static uint32_t free_head;    /* index + 1; under lock */
static uint32_t next_unused;  /* first never-used index; under lock */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

#ifdef TLSPLUG_TESTING
_Atomic(tp_handle_testing_fn) tp_handle_testing_pause;
static void testing_pause(void)
{
    tp_handle_testing_fn f = atomic_load(&tp_handle_testing_pause);
    if (f)
        f();
}
#define TESTING_PAUSE() testing_pause()
#else
#define TESTING_PAUSE() ((void)0)
#endif

static struct slot *slot_at(uint32_t idx)
{
    uint32_t page = idx >> PAGE_BITS;
    if (page >= MAX_PAGES)
        return NULL;
    struct slot *p = atomic_load(&pages[page]);
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
            goto out; /* every slot is live or retired for good */
        if ((idx >> PAGE_BITS) >= npages) {
            struct slot *p = calloc(PAGE_SLOTS, sizeof *p);
            if (!p)
                goto out;
            atomic_store(&pages[npages], p);
            npages++;
        }
        next_unused++;
    }
    struct slot *s = slot_at(idx);
    /* A free slot's generation is below GEN_MASK (retire keeps the last
     * one off the free list), and a fresh slot's is 0: never a wrap. */
    uint64_t gen = (atomic_load(&s->stamp) >> 8) + 1;
    atomic_store(&s->obj, obj);
    atomic_store(&s->stamp, (gen << 8) | (uint64_t)tag);
    h = encode(tag, (uint32_t)gen, idx);
out:
    pthread_mutex_unlock(&lock);
    return h;
}

/* The slot of `hp` and the stamp it must have while live; NULL when `hp`
 * is no handle at all. */
static struct slot *decode(const void *hp, uint64_t *want, enum tp_tag *tag_out)
{
    uintptr_t h = (uintptr_t)hp;
    if (!(h & MARK))
        return NULL;
    enum tp_tag tag = (enum tp_tag)((h >> TAG_SHIFT) & TAG_MASK);
    uint32_t gen = (uint32_t)((h >> GEN_SHIFT) & GEN_MASK);
    if (tag == 0 || gen == 0)
        return NULL;
    *want = ((uint64_t)gen << 8) | (uint64_t)tag;
    *tag_out = tag;
    return slot_at((uint32_t)(h & IDX_MASK));
}

/* The object of a live handle (and its tag), read so that a free and a
 * reuse of the slot racing the lookup can never yield the new object. */
static void *lookup(const void *hp, enum tp_tag *tag_out)
{
    uint64_t want;
    struct slot *s = decode(hp, &want, tag_out);
    if (!s || atomic_load(&s->stamp) != want)
        return NULL;
    TESTING_PAUSE();
    void *obj = atomic_load(&s->obj);
    return atomic_load(&s->stamp) == want ? obj : NULL;
}

void *tp_handle_get(const void *h, enum tp_tag tag)
{
    enum tp_tag t;
    void *obj = lookup(h, &t);
    return obj && t == tag ? obj : NULL;
}

void *tp_handle_get_held(const void *h, enum tp_tag tag, void (*hold)(void *obj))
{
    pthread_mutex_lock(&lock);
    void *obj = tp_handle_get(h, tag);
    if (obj)
        hold(obj);
    pthread_mutex_unlock(&lock);
    return obj;
}

enum tp_tag tp_handle_tag(const void *h)
{
    uint64_t want;
    enum tp_tag t;
    struct slot *s = decode(h, &want, &t);
    return s && atomic_load(&s->stamp) == want ? t : (enum tp_tag)0;
}

void *tp_handle_get_any(const void *h)
{
    enum tp_tag t;
    return lookup(h, &t);
}

int tp_handle_retire(const void *hp, enum tp_tag tag)
{
    int rc = -1;
    pthread_mutex_lock(&lock);
    uint64_t want;
    enum tp_tag t;
    struct slot *s = decode(hp, &want, &t);
    if (s && t == tag && atomic_load(&s->stamp) == want) {
        /* Keep the generation, clear the tag: lookups fail from here. */
        atomic_store(&s->stamp, want & ~(uint64_t)0xFF);
        atomic_store(&s->obj, NULL);
        if ((want >> 8) < GEN_MASK) {
            s->next_free = free_head;
            free_head = (uint32_t)(((uintptr_t)hp) & IDX_MASK) + 1;
        } /* else the slot's generations are spent: it stays retired */
        rc = 0;
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

#ifdef TLSPLUG_TESTING
uint32_t tp_handle_testing_gen_max(void)
{
    return GEN_MASK;
}

int tp_handle_testing_age(const void *retired, uint32_t gen)
{
    int rc = -1;
    pthread_mutex_lock(&lock);
    struct slot *s = slot_at((uint32_t)((uintptr_t)retired & IDX_MASK));
    /* Only a free slot, and below the last generation (as on the list). */
    if (s && (atomic_load(&s->stamp) & 0xFF) == 0 && gen < GEN_MASK) {
        atomic_store(&s->stamp, (uint64_t)gen << 8);
        rc = 0;
    }
    pthread_mutex_unlock(&lock);
    return rc;
}
#endif
