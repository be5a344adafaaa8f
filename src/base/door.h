/* The door: what every exported function does around its implementation
 * (src/library/door.c, generated, wraps each tp_api_X as tlsplug_X), so
 * that the error detail of a handle always belongs to the last public call
 * on it (docs/ABI.md, "Errors"):
 *
 *   - the outermost call on an object starts with no detail (a socket's
 *     fatal error excepted: it is shown again, as its calls answer it);
 *   - a failing call (status < 0, other than the want-states
 *     TLSPLUG_E_AGAIN and TLSPLUG_E_BUFSIZE) leaves a detail: its own, or a
 *     bare one naming the status when the implementation recorded none;
 *   - every failure records which function failed (TLSPLUG_ERROR_CALL).
 *
 * Calls nested in an outer call on the same object (a host's callback
 * calling back into the library) neither clear nor complete the detail, so
 * they cannot wipe what the outer call is about to answer. The library's
 * own code calls tp_api_X (api_impl.h), never tlsplug_X: internal calls
 * are not public calls and pass no door.
 */
#ifndef TLSPLUG_DOOR_H
#define TLSPLUG_DOOR_H

#include "handle.h"
#include "object.h"

typedef struct tp_door {
    const void *handle; /* as the caller passed it */
    tp_object *obj;     /* its object when live and of the right type, else NULL */
    enum tp_tag tag;
    int outer;          /* the outermost public call on obj */
    int sticky_before;  /* obj->sticky's status when the call began */
} tp_door;

/* Before the call: look `handle` up as a `tag` handle and, on the
 * outermost call on its object, drop the previous call's detail. */
void tp_door_enter(tp_door *d, const void *handle, enum tp_tag tag);

/* After the call, which answered `rc`: complete the detail of a failure
 * (see above) with `call`, a static string naming the public function.
 * The call may have freed the handle: then nothing is touched. Answers rc. */
int tp_door_leave(tp_door *d, int rc, const char *call);

#endif
