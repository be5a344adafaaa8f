/* The driver API's functions that are not inline accessors (driver.h):
 * failures and refusals, which format a message, and the default
 * servername. None is on a hot path. */
#include "driver.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int tp_driver_default_servername(struct tlsplug_socket *s, const char *host)
{
    if (s->servername)
        return TLSPLUG_OK; /* the host's servername wins, as in Node */
    s->servername = strdup(host);
    return s->servername ? TLSPLUG_OK : TLSPLUG_E_NOMEM;
}

int tp_driver_fail(struct tlsplug_socket *s, const char *code, const char *fmt, ...)
{
    /* tp_socket_net_fail, taking the message's arguments as they come. */
    va_list ap;
    va_start(ap, fmt);
    tp_vfail(&s->err, TLSPLUG_E_NET, code, fmt, ap);
    va_end(ap);
    return tp_socket_fatal(s, TLSPLUG_E_NET);
}

void tp_driver_lost_output(struct tlsplug_socket *s, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (!s->closed) {
        tp_vfail(&s->err, TLSPLUG_E_NET, code, fmt, ap);
        tp_socket_fatal(s, TLSPLUG_E_NET);
    } else if (!s->had_error) {
        /* The session ended (CLOSE waits for the transport), but bytes it
         * meant the peer to have are gone: the host hears of it once.
         * Not the sticky fatal status: the session itself ended well. */
        tp_vfail(&s->err, TLSPLUG_E_NET, code, fmt, ap);
        s->had_error = 1;
        tp_emit(s, TLSPLUG_EV_ERROR, tp_error_code(&s->err), strlen(tp_error_code(&s->err)));
    }
    va_end(ap);
}

int tp_driver_refuse(struct tlsplug_socket *s, int status, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tp_vfail(&s->err, status, code, fmt, ap);
    va_end(ap);
    return status;
}
