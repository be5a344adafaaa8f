/* The C half of the Go binding's runtime (see runtime.h). */
#include "runtime.h"

#include <stdlib.h>
#include <string.h>

/* Statuses that say what to do next rather than that something failed: the
 * hot paths (read, pull, next_event) answer them all the time, the callers
 * branch on the status alone, and the handle holds no fresh detail for them
 * (reading it would return an older error). */
static int tpg_quiet(int st)
{
    return st == TLSPLUG_E_AGAIN || st == TLSPLUG_E_BUFSIZE || st == TLSPLUG_E_UNAVAILABLE;
}

/* One text field of h's last error into buf (cap bytes, NUL-terminated,
 * truncated when longer); "" when the field is empty or unreadable. */
static void tpg_text(const void *h, int field, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = 0;
    int st = tlsplug_error_get(h, field, buf, cap, &len);
    if (st == TLSPLUG_E_BUFSIZE) {
        char *big = malloc(len + 1);
        if (big && tlsplug_error_get(h, field, big, len + 1, &len) == TLSPLUG_OK) {
            memcpy(buf, big, cap - 1);
            buf[cap - 1] = 0;
        } else {
            buf[0] = 0;
        }
        free(big);
    } else if (st != TLSPLUG_OK) {
        buf[0] = 0;
    }
}

tpg_ret tpg_result(int st, const void *h)
{
    tpg_ret r = { st, NULL, {0} };
    if (st >= 0 || tpg_quiet(st) || h == NULL || st == TLSPLUG_E_BADHANDLE)
        return r;
    tpg_err *e = malloc(sizeof *e);
    if (e == NULL)
        return r; /* the Go side still reports the status, without detail */
    int dst = 0;
    e->gnutls_error = 0;
    e->alert = -1;
    e->alert_direction = 0;
    if (tlsplug_error_detail(h, &dst, &e->gnutls_error, &e->alert, &e->alert_direction) != TLSPLUG_OK) {
        free(e);
        return r;
    }
    tpg_text(h, TLSPLUG_ERROR_CODE, e->code, sizeof e->code);
    tpg_text(h, TLSPLUG_ERROR_MESSAGE, e->message, sizeof e->message);
    tpg_text(h, TLSPLUG_ERROR_GNUTLS, e->gnutls, sizeof e->gnutls);
    r.err = e;
    return r;
}
