/* What a compiled cipher policy does in a handshake: the GnuTLS keywords
 * that enable its suites, a server's choice among the client's suites, a
 * client's check of the server's, and the priority string that pins one
 * suite (ciphers.h).
 */
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ciphers.h"
#include "ciphers_int.h"

/* ssl_security_default_callback()'s rules for suites (SSL_SECOP_CIPHER_*)
 * in OpenSSL 3.0: minimum strength bits per level, and from level 1 no
 * anonymous or MD5 suites. */
int tp_cs_secure(const tp_cs *s, int level)
{
    static const int minbits[] = {80, 112, 128, 192, 256};
    if (level <= 0)
        return 1;
    if (level > 5)
        level = 5;
    int min = minbits[level - 1];
    if (s->bits < min || (s->auth & TP_aNULL) || (s->mac & TP_mMD5))
        return 0;
    if (min > 160 && (s->mac & TP_mSHA1))
        return 0; /* SHA-1's HMAC counts as 160 bits */
    if (level >= 3 && s->min_tls != TP_TLS1_3 &&
        !(s->mkey & (TP_kDHE | TP_kECDHE | TP_kDHEPSK | TP_kECDHEPSK)))
        return 0; /* forward secrecy only */
    return 1;
}

int tp_policy_can(const struct tp_cipher_policy *p, unsigned row)
{
    const tp_cs *s = &tp_cs_table[row];
    return tp_cs_negotiable(s) && tp_cs_secure(s, p->seclevel);
}

/* ---- keywords ------------------------------------------------------------ */

/* GnuTLS's SIGN-ALL leaves DSA out, which DHE-DSS and SRP-DSS suites sign
 * with (OpenSSL's clients offer it in TLS 1.2). */
#define SIGN_DSA                                                                                   \
    ":+SIGN-DSA-SHA256:+SIGN-DSA-SHA384:+SIGN-DSA-SHA512:+SIGN-DSA-SHA224:+SIGN-DSA-SHA1"

static int seen(const char **list, size_t n, const char *kw)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], kw) == 0)
            return 1;
    return 0;
}

char *tp_policy_make_tokens(const struct tp_cipher_policy *p, int tls13)
{
    /* At most one keyword of each kind per suite. */
    const char *kw[3][TP_CS_MAX];
    size_t n[3] = {0, 0, 0};
    int dsa = 0;
    for (size_t i = 0; i < p->n; i++) {
        if (!tp_policy_can(p, p->list[i]))
            continue;
        const tp_cs *s = &tp_cs_table[p->list[i]];
        if (tls13 ? s->gno13 : s->min_tls == TP_TLS1_3)
            continue; /* see tp_cipher_policy_tokens() */
        dsa |= s->auth == TP_aDSS;
        const char *mine[3] = {s->gkx, s->gcipher, s->gmac};
        for (int k = 0; k < 3; k++)
            if (mine[k] && !seen(kw[k], n[k], mine[k]) && n[k] < TP_CS_MAX)
                kw[k][n[k]++] = mine[k];
    }
    tp_buf b = {0};
    int bad = 0;
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < n[k]; i++) {
            if (tp_buf_len(&b))
                bad |= tp_buf_append(&b, ":", 1);
            bad |= tp_buf_append(&b, "+", 1);
            bad |= tp_buf_append(&b, kw[k][i], strlen(kw[k][i]));
        }
    if (dsa)
        bad |= tp_buf_append(&b, SIGN_DSA, strlen(SIGN_DSA));
    bad |= tp_buf_append(&b, "", 1);
    if (bad) {
        tp_buf_free(&b);
        return NULL;
    }
    return (char *)b.data; /* head is 0: the buffer is the string */
}

/* ---- versions -------------------------------------------------------------- */

/* The lowest version a suite may be used at: OpenSSL's (its min_tls; an
 * SSLv3 suite is a TLS 1.0 one for GnuTLS, which has no SSL 3.0) and
 * GnuTLS's, whichever is higher. */
static int first_version(const tp_cs *s)
{
    int ossl = s->min_tls >= TP_TLS1_3   ? GNUTLS_TLS1_3
               : s->min_tls >= TP_TLS1_2 ? GNUTLS_TLS1_2
                                          : GNUTLS_TLS1_0;
    return ossl > (int)s->gmin ? ossl : (int)s->gmin;
}

static int usable_at(const tp_cs *s, int version)
{
    if (s->min_tls == TP_TLS1_3)
        return version == GNUTLS_TLS1_3;
    return version >= first_version(s) && version <= GNUTLS_TLS1_2;
}

/* ---- a server's choice ----------------------------------------------------- */

/* What the suite's key exchange and authentication need from the server,
 * as OpenSSL's ssl_set_masks() has it: all of `all`, and one of `any`. */
static int have_enough(const tp_cs *s, unsigned have)
{
    unsigned all = 0, any = 0;
    switch (s->mkey) {
    case TP_kRSA: all = TP_HAVE_RSA; break;
    case TP_kDHE: all = TP_HAVE_DHE; break;
    case TP_kECDHE: all = TP_HAVE_ECDHE; break;
    case TP_kPSK: all = TP_HAVE_PSK; break;
    case TP_kRSAPSK: all = TP_HAVE_RSA | TP_HAVE_PSK; break;
    case TP_kDHEPSK: all = TP_HAVE_DHE | TP_HAVE_PSK; break;
    case TP_kECDHEPSK: all = TP_HAVE_ECDHE | TP_HAVE_PSK; break;
    case TP_kSRP: all = TP_HAVE_SRP; break;
    default: return 1; /* TLS 1.3: negotiated apart */
    }
    switch (s->auth) {
    case TP_aRSA:
        /* RSA key transport needs the rsaEncryption key itself, counted
         * above; a signature can come from either kind of RSA key. */
        if (!(all & TP_HAVE_RSA))
            any = TP_HAVE_RSA | TP_HAVE_RSA_PSS;
        break;
    case TP_aECDSA: any = TP_HAVE_ECDSA | TP_HAVE_EDDSA; break;
    case TP_aDSS: any = TP_HAVE_DSA; break;
    case TP_aNULL: all |= TP_HAVE_ANON; break;
    default: break; /* aPSK, aSRP: the key exchange's need */
    }
    return (have & all) == all && (!any || (have & any));
}

static int usable(const tp_cipher_policy *p, unsigned row, int version, unsigned have)
{
    const tp_cs *s = &tp_cs_table[row];
    return tp_policy_can(p, row) && usable_at(s, version) && have_enough(s, have);
}

static int in_policy(const tp_cipher_policy *p, uint8_t id0, uint8_t id1, unsigned *row)
{
    for (size_t i = 0; i < p->n; i++)
        if (tp_cs_table[p->list[i]].id[0] == id0 && tp_cs_table[p->list[i]].id[1] == id1) {
            *row = p->list[i];
            return 1;
        }
    return 0;
}

static int offered(const uint8_t *suites, size_t len, const uint8_t id[2])
{
    for (size_t i = 0; i + 1 < len; i += 2)
        if (suites[i] == id[0] && suites[i + 1] == id[1])
            return 1;
    return 0;
}

int tp_cipher_policy_allows(const tp_cipher_policy *p, uint8_t id0, uint8_t id1)
{
    unsigned row;
    return p && in_policy(p, id0, id1, &row) && tp_policy_can(p, row);
}

int tp_cipher_policy_choose(const tp_cipher_policy *p, const uint8_t *client_suites, size_t len,
                            int version, int server_order, unsigned have, uint8_t out_id[2])
{
    const tp_cs *pick = NULL;
    if (!p || (!client_suites && len))
        return 0;
    if (server_order) {
        for (size_t i = 0; i < p->n && !pick; i++)
            if (usable(p, p->list[i], version, have) &&
                offered(client_suites, len, tp_cs_table[p->list[i]].id))
                pick = &tp_cs_table[p->list[i]];
    } else {
        for (size_t i = 0; i + 1 < len && !pick; i += 2) {
            unsigned row;
            if (in_policy(p, client_suites[i], client_suites[i + 1], &row) &&
                usable(p, row, version, have))
                pick = &tp_cs_table[row];
        }
    }
    if (!pick)
        return 0;
    memcpy(out_id, pick->id, 2);
    return 1;
}

/* ---- one suite --------------------------------------------------------------- */

int tp_suite_priority(uint8_t id0, uint8_t id1, int version, char *buf, size_t cap)
{
    static const struct {
        int version;
        const char *keyword;
    } versions[] = {{GNUTLS_TLS1_0, "VERS-TLS1.0"},
                    {GNUTLS_TLS1_1, "VERS-TLS1.1"},
                    {GNUTLS_TLS1_2, "VERS-TLS1.2"},
                    {GNUTLS_TLS1_3, "VERS-TLS1.3"}};
    const tp_cs *s = NULL;
    for (unsigned i = 0; i < tp_cs_n && !s; i++)
        if (tp_cs_table[i].id[0] == id0 && tp_cs_table[i].id[1] == id1)
            s = &tp_cs_table[i];
    if (!s || !tp_cs_negotiable(s) || !usable_at(s, version))
        return TLSPLUG_E_INVAL;
    const char *vers = NULL;
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++)
        if (versions[i].version == version)
            vers = versions[i].keyword;
    if (!vers)
        return TLSPLUG_E_INVAL;
    /* A TLS 1.3 suite is its cipher and hash alone; the key exchange is
     * negotiated apart (groups, and PSK modes the caller adds). */
    int n = snprintf(buf, cap, "NONE:+%s%s%s:+%s:+%s:+SIGN-ALL%s:+GROUP-ALL:+COMP-NULL:+CTYPE-X509",
                     vers, s->gkx ? ":+" : "", s->gkx ? s->gkx : "", s->gcipher, s->gmac,
                     s->auth == TP_aDSS ? SIGN_DSA : "");
    return n < 0 || (size_t)n >= cap ? TLSPLUG_E_BUFSIZE : TLSPLUG_OK;
}
