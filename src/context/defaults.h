/* Node's settable module values (tls.DEFAULT_MIN_VERSION and friends):
 * process-wide, as in Node, read when a context or socket is created. */
#ifndef TLSPLUG_DEFAULTS_H
#define TLSPLUG_DEFAULTS_H

#include <stddef.h>

#include "ciphers.h"

/* Node 20's tls.DEFAULT_CIPHERS (checked against Node by tests/ciphers). */
#define TP_NODE_DEFAULT_CIPHERS TP_CIPHERS_NODE_DEFAULT

/* Snapshot of the defaults a new context starts from. The strings are
 * copies the caller frees. */
typedef struct tp_defaults {
    int min_version; /* gnutls_protocol_t */
    int max_version;
    char *ecdh_curve;
    char *ciphers;
    unsigned reneg_limit;
    unsigned reneg_window; /* seconds */
} tp_defaults;

/* Answers 0, or -1 when out of memory. */
int tp_defaults_get(tp_defaults *out);
void tp_defaults_free(tp_defaults *d);

#endif
