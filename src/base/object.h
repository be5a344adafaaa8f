/* The head of every handle's object: what code that knows only a handle
 * (tlsplug_error_get, tlsplug_error_detail) reads without knowing the
 * object's type, so that the library-wide entry points sit in base and
 * never name the layers above. Each object type puts TP_OBJECT_HEAD first
 * and asserts it with TP_OBJECT_CHECK. */
#ifndef TLSPLUG_OBJECT_H
#define TLSPLUG_OBJECT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "error.h"

#define TP_OBJECT_HEAD                                                                    \
    tp_error err;              /* the last failure on this handle */                     \
    pthread_mutex_t *err_lock; /* held around err where the object is shared across    \
                                  threads (a context); NULL otherwise */                 \
    tp_error *sticky;          /* a failure every later call shows again (a socket's    \
                                  fatal error), NULL or status 0 when none: door.c */    \
    atomic_uint door_depth     /* public calls in progress on the object: only the      \
                                  outermost clears and completes err (door.c); atomic \
                                  because a context is shared across threads */

typedef struct tp_object {
    TP_OBJECT_HEAD;
} tp_object;

#define TP_OBJECT_CHECK(type)                                                             \
    _Static_assert(offsetof(type, err) == offsetof(tp_object, err) &&                     \
                       offsetof(type, err_lock) == offsetof(tp_object, err_lock) &&       \
                       offsetof(type, sticky) == offsetof(tp_object, sticky) &&           \
                       offsetof(type, door_depth) == offsetof(tp_object, door_depth),     \
                   #type " must start with TP_OBJECT_HEAD")

#endif
