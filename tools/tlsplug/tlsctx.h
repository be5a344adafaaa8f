/* tlsctx: what both commands need around a SecureContext: the context
 * from PEM files (Node's key, cert, ca, minVersion, maxVersion), ALPN
 * lists from "h2,http/1.1", and a tlsplug error as "CODE: message". */
#ifndef TLSPLUG_TOOL_TLSCTX_H
#define TLSPLUG_TOOL_TLSCTX_H

#include <stddef.h>
#include <stdint.h>

#include "tlsplug.h"

/* NULL means not given. */
struct tls_files {
    const char *key, *cert, *ca;
    const char *min_version, *max_version;
    const char *passphrase; /* as given: "pass:X", "env:VAR", "file:PATH" or X */
    const char *ciphers;    /* Node's ciphers string */
    const char *groups;     /* Node's ecdhCurve: "X25519:P-256" */
    const char *sigalgs;    /* Node's sigalgs: "rsa_pss_rsae_sha256:ECDSA+SHA256" */
    const char *dhparam;    /* PEM file */
};

/* The whole file, NUL-terminated; NULL with errno on failure. */
char *tlsctx_slurp(const char *path, size_t *len);

/* The passphrase an option names ("pass:X", "env:VAR", "file:PATH" as
 * openssl's -pass, or the text itself) in buf; NULL after printing why. */
const char *tlsctx_passphrase(const char *cmd, const char *spec, char *buf, size_t cap);

/* A context from the files; with key_pem/cert_pem (in memory, e.g. the
 * throwaway certificate) instead of key/cert when those are given. 0, or
 * -1 after printing which file and why on stderr. */
int tlsctx_build(const char *cmd, const struct tls_files *f, const char *key_pem,
                 const char *cert_pem, tlsplug_context **out);

/* "h2,http/1.1" in ALPN's wire form (length-prefixed names): the length,
 * or -1 after printing why. */
int tlsctx_alpn(const char *cmd, const char *list, uint8_t *out, size_t cap);

/* "CODE: message" of the last error recorded on a handle, in buf. */
const char *tlsctx_error(const void *handle, char *buf, size_t cap);

#endif
