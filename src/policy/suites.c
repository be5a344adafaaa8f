/* Cipher suite names by id, and the id of a session's negotiated suite.
 *
 * GnuTLS 3.7.9 has no call that answers the negotiated suite's 2-byte id;
 * gnutls_ciphersuite_get() gives only a name. So the id is found the way
 * GnuTLS itself defines a suite: by its key exchange, cipher and MAC (TLS
 * 1.2 and older) or by its cipher alone (TLS 1.3, where the key exchange is
 * negotiated apart), matched against gnutls_cipher_suite_info()'s list.
 */
#include "suites.h"

#include <stddef.h>

#include "suites_table.h"

#define NSUITES (sizeof tp_suites / sizeof tp_suites[0])

const tp_suite *tp_suite_by_id(uint8_t id0, uint8_t id1)
{
    unsigned key = (unsigned)id0 << 8 | id1;
    size_t lo = 0, hi = NSUITES; /* the answer, if any, is in [lo, hi) */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        unsigned k = (unsigned)tp_suites[mid].id[0] << 8 | tp_suites[mid].id[1];
        if (k == key)
            return &tp_suites[mid];
        if (k < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const tp_suite *tp_suite_of_session(gnutls_session_t s)
{
    if (s == NULL)
        return NULL;
    gnutls_protocol_t ver = gnutls_protocol_get_version(s);
    if (ver == GNUTLS_VERSION_UNKNOWN)
        return NULL; /* no ServerHello yet */
    int tls13 = ver == GNUTLS_TLS1_3;
    gnutls_cipher_algorithm_t cipher = gnutls_cipher_get(s);
    gnutls_mac_algorithm_t mac = gnutls_mac_get(s);
    /* For TLS 1.3 gnutls_kx_get() reports the group's family, not the
     * suite's (suites carry none), so it is only compared below 1.3. */
    gnutls_kx_algorithm_t kx = tls13 ? GNUTLS_KX_UNKNOWN : gnutls_kx_get(s);

    unsigned char id[2];
    gnutls_kx_algorithm_t skx;
    gnutls_cipher_algorithm_t scipher;
    gnutls_mac_algorithm_t smac;
    gnutls_protocol_t smin;
    /* Bounded by GnuTLS's list (under 200 entries); NULL ends it. */
    for (size_t i = 0; gnutls_cipher_suite_info(i, id, &skx, &scipher, &smac, &smin); i++) {
        if (scipher != cipher)
            continue;
        if (tls13) {
            /* A TLS 1.3 suite is exactly its AEAD cipher (and hash). */
            if (smin == GNUTLS_TLS1_3 && skx == GNUTLS_KX_UNKNOWN)
                return tp_suite_by_id(id[0], id[1]);
        } else if (skx == kx && smac == mac && skx != GNUTLS_KX_UNKNOWN) {
            /* (kx, cipher, MAC) names one suite (tests/abi/test_suites.c
             * checks it). Mid-handshake the record layer still runs the null
             * MAC, which no suite has: no false match. */
            return tp_suite_by_id(id[0], id[1]);
        }
    }
    return NULL;
}
