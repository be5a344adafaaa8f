/* Digests of several fields at once that no two different sequences of
 * fields can share: each field is hashed with its length first. */
#ifndef TLSPLUG_DIGEST_H
#define TLSPLUG_DIGEST_H

#include <gnutls/crypto.h>
#include <stddef.h>
#include <stdint.h>

/* Hash a number as 8 bytes, big-endian; answers GnuTLS's status. */
int tp_hash_number(gnutls_hash_hd_t h, uint64_t n);
/* Hash the length, then the bytes; answers GnuTLS's status. */
int tp_hash_field(gnutls_hash_hd_t h, const void *p, size_t n);

#endif
