/* Error records: the detail of the last failure, kept on each handle.
 *
 * No thread-locals (a Go goroutine may change OS thread between two cgo
 * calls), so every object embeds one tp_error and the entry points fill it
 * before answering a negative status.
 */
#ifndef TLSPLUG_ERROR_H
#define TLSPLUG_ERROR_H

#include <stdarg.h>
#include <stddef.h>

#include "tlsplug.h"

/* The code and the message live on the heap, allocated only when something
 * fails, so that an idle handle carries a few words here rather than text
 * buffers (and a message may be as long as Node's, e.g. a list of altnames). */
typedef struct tp_error {
    int status;    /* the TLSPLUG_E_* answered; 0 when no error */
    int gnutls;    /* GnuTLS error code, 0 when none */
    int alert;     /* TLS alert number, -1 when none */
    int alert_dir; /* TLSPLUG_ALERT_* */
    char *code;    /* Node's error code (owned); NULL when none: tp_error_code() */
    char *message; /* human text (owned); NULL when none */
    const char *call; /* the public function that failed ("tlsplug_socket_pull"),
                         set by the door (door.c); a static string, never owned,
                         so recording it costs no allocation. NULL when none */
} tp_error;

/* Forget the error (frees the message). Also the destructor. */
void tp_error_clear(tp_error *e);
/* Deep copy; on allocation failure the copy has a fixed message. */
void tp_error_copy(tp_error *dst, const tp_error *src);
/* The message, or "" when none. */
static inline const char *tp_error_message(const tp_error *e)
{
    return e->message ? e->message : "";
}
/* Node's code, or "" when none. */
static inline const char *tp_error_code(const tp_error *e)
{
    return e->code ? e->code : "";
}
/* Replace the message (printf-style). */
void tp_error_set_message(tp_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Record a failure and answer `status`, so entry points can
 * `return tp_fail(&obj->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_VALUE", "...")`. */
int tp_fail(tp_error *e, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

int tp_vfail(tp_error *e, int status, const char *code, const char *fmt, va_list ap);

/* Record a GnuTLS failure: Node's code and message derived from `gnutls_err`
 * and, for a received fatal alert, the alert. `what` prefixes the message. */
int tp_fail_gnutls(tp_error *e, int status, int gnutls_err, int alert, int alert_dir,
                   const char *what);

/* Replace the Node code of the recorded error. */
void tp_error_set_code(tp_error *e, const char *code);

/* Node's code for a TLS alert (ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE, ...). */
const char *tp_alert_node_code(int alert);

/* Copy a NUL-terminated string to a (buf, cap, len) out-triple: answers
 * TLSPLUG_OK, or TLSPLUG_E_BUFSIZE with *len = the length needed. */
int tp_copy_string(const char *s, char *buf, size_t cap, size_t *len);

/* Same for bytes. */
int tp_copy_bytes(const void *p, size_t n, void *buf, size_t cap, size_t *len);

#endif
