/* Key and certificate pairing, checked as each is added.
 *
 * Node sets `cert` before `key`, and OpenSSL checks a key against the
 * certificate of its type already loaded (one per type): a key that does
 * not match throws ERR_OSSL_X509_KEY_VALUES_MISMATCH from
 * createSecureContext. A tlsplug context holds any number of pairs, so the
 * rule is kept per algorithm: a new key must match one of the chains of
 * its algorithm that no key matches yet, when there is such a chain; a new
 * chain, likewise, one such key. A key and a chain of different algorithms
 * are not compared (nor does Node); one left without its partner fails when
 * the context freezes (context.c, build).
 */
#include <string.h>

#include "context.h"

int tp_context_key_matches(gnutls_x509_privkey_t key, gnutls_x509_crt_t leaf)
{
    unsigned char want[64], have[64];
    size_t wn = sizeof want, hn = sizeof have;
    return gnutls_x509_crt_get_key_id(leaf, GNUTLS_KEYID_USE_SHA256, want, &wn) == 0 &&
           gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA256, have, &hn) == 0 &&
           hn == wn && memcmp(want, have, wn) == 0;
}

static int chain_paired(const struct tlsplug_context *c, gnutls_x509_crt_t leaf)
{
    for (unsigned i = 0; i < c->nkeys; i++)
        if (tp_context_key_matches(c->keys[i], leaf))
            return 1;
    return 0;
}

static int key_paired(const struct tlsplug_context *c, gnutls_x509_privkey_t key)
{
    for (unsigned i = 0; i < c->nchains; i++)
        if (tp_context_key_matches(key, c->chains[i].certs[0]))
            return 1;
    return 0;
}

static int mismatch(struct tlsplug_context *c, const char *what)
{
    return tp_fail(&c->err, TLSPLUG_E_CREDENTIALS, "ERR_OSSL_X509_KEY_VALUES_MISMATCH",
                   "key values mismatch: the %s does not match the %s it pairs with", what,
                   strcmp(what, "key") == 0 ? "certificate" : "key");
}

int tp_context_check_key(struct tlsplug_context *c, gnutls_x509_privkey_t key)
{
    int alg = gnutls_x509_privkey_get_pk_algorithm2(key, NULL), waiting = 0;
    for (unsigned i = 0; i < c->nchains; i++) {
        gnutls_x509_crt_t leaf = c->chains[i].certs[0];
        if (gnutls_x509_crt_get_pk_algorithm(leaf, NULL) != alg || chain_paired(c, leaf))
            continue;
        if (tp_context_key_matches(key, leaf))
            return TLSPLUG_OK;
        waiting = 1;
    }
    return waiting ? mismatch(c, "key") : TLSPLUG_OK;
}

int tp_context_check_chain(struct tlsplug_context *c, gnutls_x509_crt_t leaf)
{
    int alg = gnutls_x509_crt_get_pk_algorithm(leaf, NULL), waiting = 0;
    for (unsigned i = 0; i < c->nkeys; i++) {
        gnutls_x509_privkey_t key = c->keys[i];
        if (gnutls_x509_privkey_get_pk_algorithm2(key, NULL) != alg || key_paired(c, key))
            continue;
        if (tp_context_key_matches(key, leaf))
            return TLSPLUG_OK;
        waiting = 1;
    }
    return waiting ? mismatch(c, "certificate") : TLSPLUG_OK;
}
