/* Internals of the cipher-string engine (ciphers*.c), shared with its
 * generated table (ciphers_table.c) and its tests. The lead's API is
 * ciphers.h.
 *
 * The engine evaluates OpenSSL cipher strings itself because GnuTLS has no
 * per-suite lists (docs/GNUTLS.md, "Suites, versions and the fallback signal"). It works over every
 * suite OpenSSL 3.0 knows, with OpenSSL's own attributes, so what a string
 * selects, its order and its errors are OpenSSL's; only afterwards is the
 * selection narrowed to what GnuTLS can negotiate.
 */
#ifndef TLSPLUG_CIPHERS_INT_H
#define TLSPLUG_CIPHERS_INT_H

#include <gnutls/gnutls.h>
#include <stddef.h>
#include <stdint.h>

/* OpenSSL's algorithm classes, one bit per algorithm as in its
 * SSL_CIPHER (ssl_local.h); a suite has exactly one bit in each field, an
 * alias any number. Only algorithms this OpenSSL enables are listed:
 * DES, RC4, RC2, IDEA, SEED and GOST need providers OpenSSL 3.0 does not
 * load, so no suite has them and their aliases act as unknown names. */
#define TP_kRSA 0x001u
#define TP_kDHE 0x002u
#define TP_kECDHE 0x004u
#define TP_kPSK 0x008u
#define TP_kRSAPSK 0x010u
#define TP_kECDHEPSK 0x020u
#define TP_kDHEPSK 0x040u
#define TP_kSRP 0x080u
#define TP_kANY 0x100u /* TLS 1.3 suites */
#define TP_PSK (TP_kPSK | TP_kRSAPSK | TP_kECDHEPSK | TP_kDHEPSK)

#define TP_aRSA 0x01u
#define TP_aDSS 0x02u
#define TP_aNULL 0x04u
#define TP_aECDSA 0x08u
#define TP_aPSK 0x10u
#define TP_aSRP 0x20u
#define TP_aANY 0x40u

#define TP_e3DES 0x0001u /* the alias exists; OpenSSL 3.0 has no 3DES suite */
#define TP_eNULL 0x0002u
#define TP_eAES128 0x0004u
#define TP_eAES256 0x0008u
#define TP_eCAMELLIA128 0x0010u
#define TP_eCAMELLIA256 0x0020u
#define TP_eAES128GCM 0x0040u
#define TP_eAES256GCM 0x0080u
#define TP_eAES128CCM 0x0100u
#define TP_eAES256CCM 0x0200u
#define TP_eAES128CCM8 0x0400u
#define TP_eAES256CCM8 0x0800u
#define TP_eCHACHA20POLY1305 0x1000u
#define TP_eARIA128GCM 0x2000u
#define TP_eARIA256GCM 0x4000u
#define TP_eAESGCM (TP_eAES128GCM | TP_eAES256GCM)
#define TP_eAESCCM (TP_eAES128CCM | TP_eAES256CCM | TP_eAES128CCM8 | TP_eAES256CCM8)
#define TP_eAES (TP_eAES128 | TP_eAES256 | TP_eAESGCM | TP_eAESCCM)
#define TP_eCAMELLIA (TP_eCAMELLIA128 | TP_eCAMELLIA256)
#define TP_eARIA (TP_eARIA128GCM | TP_eARIA256GCM)
/* OpenSSL's SSL_CBC also has DES, RC2, IDEA and SEED, all disabled here. */
#define TP_eCBC (TP_e3DES | TP_eAES128 | TP_eAES256 | TP_eCAMELLIA128 | TP_eCAMELLIA256)

#define TP_mMD5 0x01u
#define TP_mSHA1 0x02u
#define TP_mSHA256 0x04u
#define TP_mSHA384 0x08u
#define TP_mAEAD 0x10u

/* Protocol versions as OpenSSL numbers them (a suite's min_tls). */
#define TP_SSL3 0x0300
#define TP_TLS1 0x0301
#define TP_TLS1_2 0x0303
#define TP_TLS1_3 0x0304

/* OpenSSL's algo_strength: a strength class, FIPS, and "not in DEFAULT".
 * The masks matter: a rule combines the class bits and the DEFAULT bit
 * separately (see ciphers_eval.c). */
#define TP_STRONG_NONE 0x01u
#define TP_LOW 0x02u
#define TP_MEDIUM 0x04u
#define TP_HIGH 0x08u
#define TP_FIPS 0x10u
#define TP_STRONG_MASK 0x1Fu
#define TP_NOT_DEFAULT 0x20u
#define TP_DEFAULT_MASK 0x20u

/* One suite of ciphers_table.c. */
typedef struct tp_cs {
    uint8_t id[2];
    const char *name; /* OpenSSL's name; the IANA name for TLS 1.3 */
    const char *iana; /* the standard name (what a TLS 1.3 list names) */
    uint16_t mkey;    /* TP_k*: key exchange */
    uint8_t auth;     /* TP_a*: authentication */
    uint16_t enc;     /* TP_e*: encryption */
    uint8_t mac;      /* TP_m*: MAC */
    uint16_t min_tls; /* TP_SSL3..TP_TLS1_3; 0 for a signalling value */
    uint8_t strength; /* TP_STRONG_*, TP_FIPS, TP_NOT_DEFAULT */
    uint16_t bits;    /* strength_bits: what @STRENGTH and security levels compare */
    /* GnuTLS priority keywords (kx NULL for TLS 1.3); cipher NULL when
     * GnuTLS cannot negotiate the suite. */
    const char *gkx, *gcipher, *gmac;
    gnutls_protocol_t gmin; /* the lowest version GnuTLS allows it at */
    uint8_t gno13; /* a keyword of these turns TLS 1.3 off (SRP, RSA-PSK, NULL) */
} tp_cs;

/* The table (generated): rows [0, tp_cs_n12) are the TLS <= 1.2 suites in
 * OpenSSL's default order, then tp_cs_n13 TLS 1.3 suites, then the
 * signalling values, tp_cs_n rows in all. */
#define TP_CS_MAX 256
extern const tp_cs tp_cs_table[];
extern const unsigned tp_cs_n12, tp_cs_n13, tp_cs_n;

/* Standard names of suites OpenSSL has but disables (SEED, IDEA):
 * a TLS 1.3 list may name them without error, and they add nothing. */
extern const char *const tp_cs_disabled[];
extern const unsigned tp_cs_ndisabled;

static inline int tp_cs_negotiable(const tp_cs *s)
{
    return s->gcipher != NULL;
}

/* ciphers_eval.c: SSL_CTX_set_cipher_list's rule processing. Evaluates
 * `rules` over the TLS <= 1.2 rows and writes the selected rows' indices
 * to out[] (room for tp_cs_n12), in order, and their count to *n. An
 * @SECLEVEL=n command stores n in *seclevel. Answers 0, or -1 for what
 * OpenSSL calls an invalid command (a character that starts no name, an
 * unknown @command, a bad level); *n is then 0. */
int tp_cipher_list_eval(const char *rules, uint16_t *out, size_t *n, int *seclevel);

/* ciphers_eval.c: SSL_CTX_set_ciphersuites's parsing of a ':' list of
 * standard names (any suite OpenSSL knows by that name, TLS 1.3 or not).
 * Writes the rows found to out[] (room for `cap`), in order, duplicates
 * kept, and answers their count; *known is the number of names OpenSSL
 * knows, which includes its disabled suites (0 is OpenSSL's error). */
size_t tp_ciphersuites_eval(const char *list, uint16_t *out, size_t cap, size_t *known);

/* ciphers_policy.c: does OpenSSL's default security callback allow this
 * suite at `level` (0..5)? Level 1 is Node's default. */
int tp_cs_secure(const tp_cs *s, int level);

/* The compiled policy (ciphers.h). */
struct tp_cipher_policy {
    int seclevel;
    char *tokens[2];  /* tp_cipher_policy_tokens(p, 0) and (p, 1) */
    size_t n;         /* rows in list */
    uint16_t list[];  /* OpenSSL's list: the TLS 1.3 list, then the rest */
};

/* ciphers_policy.c: can the policy negotiate this row (GnuTLS has it, the
 * security level allows it)? */
int tp_policy_can(const struct tp_cipher_policy *p, unsigned row);

/* ciphers_policy.c: the priority keywords for p (tp_cipher_policy_tokens),
 * newly allocated; NULL when out of memory. */
char *tp_policy_make_tokens(const struct tp_cipher_policy *p, int tls13);

#endif
