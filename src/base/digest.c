/* Field digests (see digest.h). */
#include "digest.h"

int tp_hash_number(gnutls_hash_hd_t h, uint64_t n)
{
    uint8_t be[8];
    for (int i = 0; i < 8; i++)
        be[i] = (uint8_t)(n >> (56 - 8 * i));
    return gnutls_hash(h, be, sizeof be);
}

int tp_hash_field(gnutls_hash_hd_t h, const void *p, size_t n)
{
    if (tp_hash_number(h, n) < 0)
        return -1;
    return n ? gnutls_hash(h, p, n) : 0;
}
