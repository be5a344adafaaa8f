/* Node's settable module values (tls.DEFAULT_MIN_VERSION and friends):
 * process-wide, as in Node, read when a context or socket is created. */
#ifndef TLSPLUG_DEFAULTS_H
#define TLSPLUG_DEFAULTS_H

#include <stddef.h>

/* Node 20's tls.DEFAULT_CIPHERS. */
#define TP_NODE_DEFAULT_CIPHERS                                                           \
    "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:"         \
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-"     \
    "SHA384:ECDHE-ECDSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-"    \
    "SHA256:DHE-RSA-AES128-SHA256:ECDHE-RSA-AES256-SHA384:DHE-RSA-AES256-SHA384:ECDHE-"   \
    "RSA-AES256-SHA256:DHE-RSA-AES256-SHA256:HIGH:!aNULL:!eNULL:!EXPORT:!DES:!RC4:!MD5:"  \
    "!PSK:!SRP:!CAMELLIA"

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
