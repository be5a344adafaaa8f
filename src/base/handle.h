/* Handle table: how opaque handles are made, checked and retired.
 *
 * A handle is not a pointer to the object. It is an encoded word: a marker
 * bit, the handle's type tag, a slot index and the slot's generation. The
 * marker sits in the top bit, so a handle can never equal a user-space
 * address: a real pointer passed by mistake, NULL, a handle of another type,
 * or one whose object was freed (the generation moved on) all fail the check
 * without the library ever dereferencing what it was given. That is what lets
 * garbage-collected hosts double-free safely (docs/ABI.md).
 */
#ifndef TLSPLUG_HANDLE_H
#define TLSPLUG_HANDLE_H

#include <stdint.h>

#include "abi_tables.h" /* enum tp_tag: the registry's handle types and tags */

/* Register `obj` under a new handle of type `tag`; 0 when out of memory. */
uintptr_t tp_handle_new(enum tp_tag tag, void *obj);

/* The object behind `h` if it is live and of type `tag`, else NULL. */
void *tp_handle_get(const void *h, enum tp_tag tag);

/* The object behind `h` with `hold(obj)` already called, if it is live and
 * of type `tag`, else NULL. The hold is taken under the table's lock, which
 * tp_handle_retire also takes: an owner that retires the handle and then
 * drops its reference cannot free the object between this lookup and the
 * hold (a plain tp_handle_get then a reference count could). */
void *tp_handle_get_held(const void *h, enum tp_tag tag, void (*hold)(void *obj));

/* The tag of a live handle of any type, or 0. */
enum tp_tag tp_handle_tag(const void *h);

/* The object of a live handle of any type, or NULL. */
void *tp_handle_get_any(const void *h);

/* Retire `h`: later lookups fail. Answers 0, or -1 when `h` was not live. */
int tp_handle_retire(const void *h, enum tp_tag tag);

#ifdef TLSPLUG_TESTING
#include <stdatomic.h>

/* Test-only (tests/unit/test_handle_wrap.c): the largest generation, and a
 * way to move a free slot's generation to `gen` without reusing it that
 * many times. -1 when `retired`'s slot is not free. */
uint32_t tp_handle_testing_gen_max(void);
int tp_handle_testing_age(const void *retired, uint32_t gen);
/* Called inside every lookup, between reading the slot's stamp and its
 * object, when set: widens the window a racing free + reuse must hit. */
typedef void (*tp_handle_testing_fn)(void);
extern _Atomic(tp_handle_testing_fn) tp_handle_testing_pause;
#endif

#endif
