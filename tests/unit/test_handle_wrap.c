/* A freed handle never becomes valid again (docs/ABI.md), even when its
 * slot is reused until the generation counter would wrap.
 *
 * Built against its own copy of src/base/handle.c with TLSPLUG_TESTING, which
 * lets the test move a free slot's generation close to the limit instead of
 * reusing it 2^32 times; built a second time with TLSPLUG_HANDLE_NARROW,
 * the 32-bit word's layout (7-bit generation), where the whole range is
 * walked for real. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "handle.h"

#define FAIL(...)                                                                          \
    do {                                                                                   \
        fprintf(stderr, "unit_handle_wrap: " __VA_ARGS__);                                 \
        fputc('\n', stderr);                                                               \
        exit(1);                                                                           \
    } while (0)

#define MAX_SEEN 512

static uintptr_t seen[MAX_SEEN];
static size_t nseen;

/* Every handle ever retired must stay dead, whatever was made since. */
static void check_all_stale(void)
{
    for (size_t i = 0; i < nseen; i++) {
        const void *h = (const void *)seen[i];
        if (tp_handle_get(h, TP_TAG_SOCKET) || tp_handle_get_any(h) || tp_handle_tag(h))
            FAIL("handle #%zu (%#jx) is valid again after %zu handles", i, (uintmax_t)seen[i],
                 nseen);
        if (tp_handle_retire(h, TP_TAG_SOCKET) != -1)
            FAIL("handle #%zu retired twice", i);
    }
}

int main(void)
{
    static int objs[MAX_SEEN];
    uint32_t gen_max = tp_handle_testing_gen_max();

    /* The first handle takes slot 0 at generation 1. */
    uintptr_t first = tp_handle_new(TP_TAG_SOCKET, &objs[0]);
    if (!first || tp_handle_get((void *)first, TP_TAG_SOCKET) != &objs[0])
        FAIL("the first handle does not work");
    if (tp_handle_retire((void *)first, TP_TAG_SOCKET) != 0)
        FAIL("the first handle cannot be retired");
    seen[nseen++] = first;

    /* A narrow generation is walked for real; a 32-bit one is aged. */
    unsigned walk = gen_max < 1000 ? gen_max + 8 : 16;
    if (gen_max >= 1000 && tp_handle_testing_age((void *)first, gen_max - 4) != 0)
        FAIL("cannot age the free slot");

    int moved = 0;
    for (unsigned i = 1; i <= walk; i++) {
        uintptr_t h = tp_handle_new(TP_TAG_SOCKET, &objs[i]);
        if (!h)
            FAIL("tp_handle_new failed at reuse %u", i);
        for (size_t j = 0; j < nseen; j++)
            if (seen[j] == h)
                FAIL("reuse %u made handle #%zu (%#jx) again", i, j, (uintmax_t)h);
        if (tp_handle_get((void *)h, TP_TAG_SOCKET) != &objs[i])
            FAIL("reuse %u: the new handle does not find its object", i);
        /* Slot 0 is the only free slot, so a new index means it retired. */
        if ((h & 0xFFFFFu) != (first & 0xFFFFFu))
            moved = 1;
        check_all_stale();
        if (tp_handle_retire((void *)h, TP_TAG_SOCKET) != 0)
            FAIL("reuse %u: cannot retire", i);
        seen[nseen++] = h;
        check_all_stale();
    }
    if (!moved)
        FAIL("the slot was reused past its last generation instead of being retired");
    printf("unit_handle_wrap: %zu handles on a slot past generation %u, none came back\n", nseen,
           gen_max);
    return 0;
}
