/* Signature schemes between Node's names and GnuTLS's (sigalgs.h). */
#include "sigalgs.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* OpenSSL 3.0's schemes in its default order (which is the order Node's
 * ClientHello offers them and its getSharedSigalgs() lists them), each
 * with the GnuTLS algorithm(s) that mean it. ECDSA has two GnuTLS ids:
 * TLS 1.3 binds the curve to the scheme, TLS 1.2 does not. OpenSSL knows
 * some schemes only in the "SIG+HASH" form (named = 0). Left out, as
 * GnuTLS cannot do them: the GOST schemes (and, in newer OpenSSL, the
 * brainpool TLS 1.3 schemes). */
static const tp_sigalg table[] = {
    {"ecdsa_secp256r1_sha256", 1, "ECDSA", "SHA256", "ECDSA+SHA256", GNUTLS_SIGN_ECDSA_SHA256,
     GNUTLS_SIGN_ECDSA_SECP256R1_SHA256},
    {"ecdsa_secp384r1_sha384", 1, "ECDSA", "SHA384", "ECDSA+SHA384", GNUTLS_SIGN_ECDSA_SHA384,
     GNUTLS_SIGN_ECDSA_SECP384R1_SHA384},
    {"ecdsa_secp521r1_sha512", 1, "ECDSA", "SHA512", "ECDSA+SHA512", GNUTLS_SIGN_ECDSA_SHA512,
     GNUTLS_SIGN_ECDSA_SECP521R1_SHA512},
    {"ed25519", 1, NULL, NULL, "Ed25519+UNDEF", GNUTLS_SIGN_EDDSA_ED25519, GNUTLS_SIGN_EDDSA_ED25519},
    {"ed448", 1, NULL, NULL, "Ed448+UNDEF", GNUTLS_SIGN_EDDSA_ED448, GNUTLS_SIGN_EDDSA_ED448},
    {"ecdsa_sha224", 0, "ECDSA", "SHA224", "ECDSA+SHA224", GNUTLS_SIGN_ECDSA_SHA224, 0},
    {"ecdsa_sha1", 0, "ECDSA", "SHA1", "ECDSA+SHA1", GNUTLS_SIGN_ECDSA_SHA1, 0},
    /* RSA-PSS+HASH means the rsae schemes: OpenSSL takes the first match. */
    {"rsa_pss_rsae_sha256", 1, "RSA-PSS", "SHA256", "RSA-PSS+SHA256", GNUTLS_SIGN_RSA_PSS_RSAE_SHA256,
     GNUTLS_SIGN_RSA_PSS_RSAE_SHA256},
    {"rsa_pss_rsae_sha384", 1, "RSA-PSS", "SHA384", "RSA-PSS+SHA384", GNUTLS_SIGN_RSA_PSS_RSAE_SHA384,
     GNUTLS_SIGN_RSA_PSS_RSAE_SHA384},
    {"rsa_pss_rsae_sha512", 1, "RSA-PSS", "SHA512", "RSA-PSS+SHA512", GNUTLS_SIGN_RSA_PSS_RSAE_SHA512,
     GNUTLS_SIGN_RSA_PSS_RSAE_SHA512},
    {"rsa_pss_pss_sha256", 1, "RSA-PSS", "SHA256", "RSA-PSS+SHA256", GNUTLS_SIGN_RSA_PSS_SHA256,
     GNUTLS_SIGN_RSA_PSS_SHA256},
    {"rsa_pss_pss_sha384", 1, "RSA-PSS", "SHA384", "RSA-PSS+SHA384", GNUTLS_SIGN_RSA_PSS_SHA384,
     GNUTLS_SIGN_RSA_PSS_SHA384},
    {"rsa_pss_pss_sha512", 1, "RSA-PSS", "SHA512", "RSA-PSS+SHA512", GNUTLS_SIGN_RSA_PSS_SHA512,
     GNUTLS_SIGN_RSA_PSS_SHA512},
    {"rsa_pkcs1_sha256", 1, "RSA", "SHA256", "RSA+SHA256", GNUTLS_SIGN_RSA_SHA256, GNUTLS_SIGN_RSA_SHA256},
    {"rsa_pkcs1_sha384", 1, "RSA", "SHA384", "RSA+SHA384", GNUTLS_SIGN_RSA_SHA384, GNUTLS_SIGN_RSA_SHA384},
    {"rsa_pkcs1_sha512", 1, "RSA", "SHA512", "RSA+SHA512", GNUTLS_SIGN_RSA_SHA512, GNUTLS_SIGN_RSA_SHA512},
    {"rsa_pkcs1_sha224", 1, "RSA", "SHA224", "RSA+SHA224", GNUTLS_SIGN_RSA_SHA224, 0},
    {"rsa_pkcs1_sha1", 1, "RSA", "SHA1", "RSA+SHA1", GNUTLS_SIGN_RSA_SHA1, 0},
    {"dsa_sha256", 0, "DSA", "SHA256", "DSA+SHA256", GNUTLS_SIGN_DSA_SHA256, 0},
    {"dsa_sha384", 0, "DSA", "SHA384", "DSA+SHA384", GNUTLS_SIGN_DSA_SHA384, 0},
    {"dsa_sha512", 0, "DSA", "SHA512", "DSA+SHA512", GNUTLS_SIGN_DSA_SHA512, 0},
    {"dsa_sha224", 0, "DSA", "SHA224", "DSA+SHA224", GNUTLS_SIGN_DSA_SHA224, 0},
    {"dsa_sha1", 0, "DSA", "SHA1", "DSA+SHA1", GNUTLS_SIGN_DSA_SHA1, 0},
};
#define NTABLE (sizeof table / sizeof *table)

/* OpenSSL reads HASH as a digest's short or long name ("SHA256", "sha256"). */
static int hash_is(const char *given, size_t n, const char *hash)
{
    if (strlen(hash) != n)
        return 0;
    int upper = 1, lower = 1;
    for (size_t i = 0; i < n; i++) {
        upper &= given[i] == hash[i];
        lower &= given[i] == (char)tolower((unsigned char)hash[i]);
    }
    return upper || lower;
}

/* The row an item names (n bytes at p), or -1. */
static int lookup(const char *p, size_t n)
{
    const char *plus = memchr(p, '+', n);
    for (size_t i = 0; i < NTABLE; i++) {
        const tp_sigalg *a = &table[i];
        if (!plus) {
            if (a->named && strlen(a->iana) == n && memcmp(a->iana, p, n) == 0)
                return (int)i;
            continue;
        }
        size_t sn = (size_t)(plus - p);
        int sig = a->sig && ((strlen(a->sig) == sn && memcmp(a->sig, p, sn) == 0) ||
                             (strcmp(a->sig, "RSA-PSS") == 0 && sn == 3 && memcmp(p, "PSS", 3) == 0));
        if (sig && hash_is(plus + 1, n - sn - 1, a->hash))
            return (int)i;
    }
    return -1;
}

static int append(char *buf, size_t cap, size_t *at, gnutls_sign_algorithm_t id)
{
    const char *name = gnutls_sign_get_name(id);
    if (!name)
        return 0; /* not in this GnuTLS build: nothing to enable */
    int n = snprintf(buf + *at, cap - *at, "%s+SIGN-%s", *at ? ":" : "", name);
    if (n < 0 || (size_t)n >= cap - *at)
        return -2;
    *at += (size_t)n;
    return 0;
}

int tp_sigalgs_tokens(const char *list, char *buf, size_t cap, char *bad, size_t badcap)
{
    unsigned char used[NTABLE] = {0};
    size_t at = 0;
    if (cap)
        buf[0] = 0;
    const char *p = list;
    for (;;) {
        const char *end = strchr(p, ':');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *item = p;
        while (n && isspace((unsigned char)*item))
            item++, n--;
        while (n && isspace((unsigned char)item[n - 1]))
            n--;
        int row = lookup(item, n);
        if (row < 0 || used[row]) {
            snprintf(bad, badcap, "%.*s", (int)n, item);
            return -1;
        }
        used[row] = 1;
        if (append(buf, cap, &at, table[row].tls12) < 0 ||
            (table[row].tls13 && table[row].tls13 != table[row].tls12 &&
             append(buf, cap, &at, table[row].tls13) < 0))
            return -2;
        if (!end)
            return 0;
        p = end + 1;
    }
}

const tp_sigalg *tp_sigalg_by_gnutls(gnutls_sign_algorithm_t id)
{
    for (size_t i = 0; id && i < NTABLE; i++)
        if (table[i].tls12 == id || table[i].tls13 == id)
            return &table[i];
    return NULL;
}
