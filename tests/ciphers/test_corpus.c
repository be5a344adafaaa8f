/* ciphers_corpus: tp_ciphers_compile() against `openssl ciphers`, run here
 * for every string of a broad corpus (Node's default list, the spec's
 * example, every alias, combinations, operators, separators, well-known
 * server configurations, TLS 1.3 lists, errors).
 *
 * For each string, split the way Node splits it:
 *   1. the oracle lists the suites OpenSSL would use
 *      (`openssl ciphers -V -stdname -ciphersuites TLS_... 'REST:@SECLEVEL=0'`;
 *      the level does not filter this listing in OpenSSL 3.0, it is there so
 *      that no system setting can), or fails; the policy must list exactly
 *      the same ids in the same order -- every suite OpenSSL knows, not only
 *      GnuTLS's -- or fail with the same error;
 *   2. the same, narrowed to the suites GnuTLS can negotiate (the suites
 *      table, src/policy/suites_table.h, a separate path);
 *   3. with `-s -psk -srp` (what this security level lets a handshake use)
 *      the oracle must agree with the policy's negotiable list: that checks
 *      the security-level rules, at the string's @SECLEVEL or Node's 1.
 */
#include <stdlib.h>
#include <string.h>

#include "ciphers.h"
#include "oracle.h"
#include "suites.h"

/* The aliases of OpenSSL 3.0's rule language (ssl_ciph.c), each also
 * tested alone, and a few names it does not have (or disables). */
static const char *const aliases[] = {
    "ALL", "COMPLEMENTOFALL", "COMPLEMENTOFDEFAULT", "DEFAULT", "kRSA", "kEDH", "kDHE", "DH",
    "kEECDH", "kECDHE", "ECDH", "kPSK", "kRSAPSK", "kECDHEPSK", "kDHEPSK", "kSRP", "aRSA", "aDSS",
    "DSS", "aNULL", "aECDSA", "ECDSA", "aPSK", "aSRP", "EDH", "DHE", "EECDH", "ECDHE", "NULL",
    "RSA", "ADH", "AECDH", "PSK", "SRP", "3DES", "eNULL", "AES128", "AES256", "AES", "AESGCM",
    "AESCCM", "AESCCM8", "CAMELLIA128", "CAMELLIA256", "CAMELLIA", "CHACHA20", "ARIA", "ARIAGCM",
    "ARIA128", "ARIA256", "CBC", "MD5", "SHA1", "SHA", "SHA256", "SHA384", "SSLv3", "TLSv1",
    "TLSv1.0", "TLSv1.2", "LOW", "MEDIUM", "HIGH", "FIPS", "EDH-DSS-DES-CBC3-SHA",
    "EDH-RSA-DES-CBC3-SHA",
    /* not aliases here: unknown, or disabled in OpenSSL 3.0 */
    "EXPORT", "EXP", "DES", "RC4", "RC2", "IDEA", "SEED", "GOST", "kGOST", "aGOST", "TLSv1.1",
    "TLSv1.3", "DTLSv1", "SUITEB", "KRSA", "high"};

static const char *const corpus[] = {
    TP_CIPHERS_NODE_DEFAULT,
    /* the spec's example (--tls-cipher-list) */
    "ECDHE-RSA-AES128-GCM-SHA256:!RC4",
    /* Node 10's default list, and OpenSSL's own default */
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA256:"
    "DHE-RSA-AES128-SHA256:ECDHE-RSA-AES256-SHA384:DHE-RSA-AES256-SHA384:ECDHE-RSA-AES256-SHA256:"
    "DHE-RSA-AES256-SHA256:HIGH:!aNULL:!eNULL:!EXPORT:!DES:!RC4:!MD5:!PSK:!SRP:!CAMELLIA",
    "ALL:!COMPLEMENTOFDEFAULT:!eNULL",
    /* Mozilla's intermediate and old profiles, common server configs */
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305",
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:"
    "ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA:"
    "DHE-RSA-AES128-SHA256:DHE-RSA-AES256-SHA256:AES128-GCM-SHA256:AES256-GCM-SHA384:"
    "AES128-SHA256:AES256-SHA256:AES128-SHA:AES256-SHA:DES-CBC3-SHA",
    "EECDH+AESGCM:EDH+AESGCM:AES256+EECDH:AES256+EDH",
    "EECDH+AESGCM:EDH+AESGCM",
    "HIGH:!aNULL:!MD5",
    "RC4:HIGH:!MD5:!aNULL",
    "kEECDH+ECDSA:kEECDH:kEDH:HIGH:+SHA:!aNULL:!eNULL:!LOW:!3DES:!MD5:!EXP:!PSK:!SRP:!DSS",
    "ECDH+AESGCM:DH+AESGCM:ECDH+AES256:DH+AES256:ECDH+AES128:DH+AES:RSA+AESGCM:RSA+AES:!aNULL:!MD5:!DSS",
    "HIGH:MEDIUM:!aNULL:!MD5:!RC4",
    /* whole sets and their order */
    "ALL:COMPLEMENTOFALL", "ALL:@STRENGTH", "DEFAULT:@STRENGTH", "COMPLEMENTOFALL:ALL",
    "ALL:COMPLEMENTOFALL:@STRENGTH", "HIGH:MEDIUM:LOW",
    /* "A+B": masks are intersected, part by part */
    "ECDHE+AESGCM", "kECDHE+aRSA+AES256", "AES128+kRSA", "aRSA+SHA256", "TLSv1.2+AES",
    "SSLv3+AES", "HIGH+kDHE", "AES128-SHA+kRSA", "kRSA+AES128-SHA", "AES128-SHA+AES256-SHA",
    "COMPLEMENTOFDEFAULT+HIGH", "HIGH+COMPLEMENTOFDEFAULT", "HIGH+FIPS", "FIPS+HIGH",
    "ALL+eNULL", "kECDHE+TLSv1", "TLSv1+SSLv3", "ECDSA+kDHE", "PSK+AESGCM", "aPSK+CHACHA20",
    "NULL+SHA256", "eNULL+kECDHE:eNULL", "ALL+AES+SHA1", "EDH+aRSA+AES", "AESCCM+AESCCM8",
    "DHE+AES128:ECDHE+AES128:RSA+AES128",
    /* -, +, !, @STRENGTH */
    "ALL:-AES:AES128", "ALL:+AES", "ALL:!aNULL:!eNULL:-kRSA:+SHA1", "AES:-AES256:AES256",
    "AES:!AES256:AES256", "-ALL:AES", "+AES:AES", "ALL:-ALL:HIGH", "HIGH:+SHA:@STRENGTH",
    "AES256:AES128:@STRENGTH", "@STRENGTH:AES", "ALL:!ECDHE:ECDHE-RSA-AES128-SHA",
    "ALL:-ECDHE:ECDHE", "ECDHE-RSA-AES128-SHA:DEFAULT", "DEFAULT:!kRSA",
    "DEFAULT:-ECDHE:+ECDHE", "DEFAULTX", "AES128-SHA:AES128-SHA:-AES128-SHA:AES128-SHA",
    "CHACHA20:-ALL:AESGCM:CHACHA20", "kRSA:-kRSA:ALL", "eNULL:-NULL:ALL:NULL",
    "ALL:COMPLEMENTOFALL:!kRSA:+AESGCM:-SHA1:@STRENGTH:SHA1",
    /* separators: ':', ' ', ';', ',' */
    "AES128-SHA AES256-SHA", "AES128-SHA,AES256-SHA;NULL-SHA", "  HIGH  ", "AES128-SHA::AES256-SHA",
    ":HIGH:", "HIGH: !aNULL , !SHA1",
    /* TLS 1.3 names, which Node sends to SSL_CTX_set_ciphersuites */
    "TLS_AES_128_GCM_SHA256:ECDHE-RSA-AES128-GCM-SHA256",
    "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_CCM_8_SHA256:HIGH",
    "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384:TLS_AES_128_CCM_SHA256",
    "TLS_AES_128_GCM_SHA256:TLS_AES_128_GCM_SHA256:AES128-SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256:AES128-SHA", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256:FOO",
    "TLS_FALLBACK_SCSV:AES128-SHA", "TLS_FOO:TLS_AES_256_GCM_SHA384:kRSA", "TLS_FOO:AES128-SHA",
    "TLS_AES_128_GCM_SHA256 :kRSA", "TLS_AES_128_GCM_SHA256:!TLS_AES_256_GCM_SHA384:HIGH",
    "TLS_RSA_WITH_SEED_CBC_SHA:AES128-SHA", "TLS_RSA_WITH_SEED_CBC_SHA", "TLS_RSA_WITH_RC4_128_SHA:HIGH",
    /* security levels: the listing ignores them, handshakes do not */
    "@SECLEVEL=0:ALL:COMPLEMENTOFALL", "ALL:@SECLEVEL=3", "eNULL:aNULL:@SECLEVEL=0",
    "ALL:COMPLEMENTOFALL:@SECLEVEL=2", "ALL:COMPLEMENTOFALL:@SECLEVEL=4", "HIGH:@SECLEVEL=5",
    "ALL:@SECLEVEL=1:@SECLEVEL=3", "@SECLEVEL=0+AES:ALL",
    /* Suite B replaces the whole list */
    "SUITEB128", "SUITEB128ONLY", "SUITEB192", "SUITEB128C2", "SUITEB128:AES128-SHA",
    /* unknown parts are skipped */
    "FOO:AES128-SHA", "AES128-SHA:X_Y", "kRSA+FOO:AES", "FOO+AES:kRSA", "3DES:AES128-SHA",
    "3DES+X:AES", "RC4+_:AES128-SHA", "!DES:!EXPORT:AES128-SHA", "DTLSv1:AES", "aes:AES128-SHA",
    "AES128-SHA:@STRENGTH+FOO", "!-AES:AES128-SHA", "ECDHE-RSA-AES128-GCM-SHA256-EXTRA:AES",
    /* errors */
    "AES_X", "AES128-SHA:@FOO", "AES128-SHA:#", "3DES+_", "kRSA+", "kRSA++AES", "@SECLEVEL=6:AES",
    "@SECLEVEL=12:AES", "@STRENGTHX", "FOO", "!ALL", "-ALL", " ", "DEFAULT:!ALL",
    "AES128-SHA+ECDHE-RSA-AES128-SHA", "AES128-SHA:-", "AES128-SHA:!", "@", "ARIA", "ARIA:@FOO",
    "TLS_FOO:AES_X", "kRSA:\tAES", "AES128-SHA:_X",
};

/* The policy's list, as ids. */
static size_t policy_ids(const tp_cipher_policy *p, int all, uint8_t (*ids)[2], size_t cap)
{
    size_t n = tp_cipher_policy_count(p, all);
    for (size_t i = 0; i < n && i < cap; i++)
        CHECK(tp_cipher_policy_id(p, all, i, ids[i]) == 0, "entry %zu", i);
    uint8_t past[2];
    CHECK(tp_cipher_policy_id(p, all, n, past) == -1, "an entry past the end");
    return n < cap ? n : cap;
}

static int same_lists(const char *what, const char *s, uint8_t (*a)[2], size_t na, uint8_t (*b)[2],
                      size_t nb)
{
    size_t i = 0;
    while (i < na && i < nb && a[i][0] == b[i][0] && a[i][1] == b[i][1])
        i++;
    if (i == na && i == nb)
        return 1;
    failures++;
    fprintf(stderr, "FAIL %s: \"%s\": policy has %zu suites, openssl %zu; first difference at %zu:", what,
            s, na, nb, i);
    fprintf(stderr, " policy %s,", i < na ? id_text(a[i]) : "(end)");
    fprintf(stderr, " openssl %s\n", i < nb ? id_text(b[i]) : "(end)");
    return 0;
}

/* Keep the ids GnuTLS can negotiate, according to the suites table. */
static size_t in_gnutls(uint8_t (*ids)[2], size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (tp_suite_by_id(ids[i][0], ids[i][1]))
            memmove(ids[k++], ids[i], 2);
    return k;
}

static const char *code_for(const char *openssl_error)
{
    return strcmp(openssl_error, "no cipher match") == 0   ? "ERR_SSL_NO_CIPHER_MATCH"
           : strcmp(openssl_error, "invalid command") == 0 ? "ERR_SSL_INVALID_COMMAND"
                                                           : "(other)";
}

static size_t tried, listed, refused;

static void check_string(const char *s)
{
    size_t size = strlen(s) + 1;
    char *suites = malloc(size), *rest = malloc(size + 32);
    node_split(s, suites, rest);
    tried++;
    if (!*suites && !*rest) {
        free(suites);
        free(rest);
        return; /* Node's own error: test_errors.c */
    }

    /* 1. the listing. An empty REST cannot be given to the CLI (it fails
     * where Node ignores it): list NULL-MD5 behind it and drop that. */
    int sentinel = !*rest;
    char rules[4096];
    snprintf(rules, sizeof rules, "%s:@SECLEVEL=0", sentinel ? "NULL-MD5" : rest);
    static oracle o;
    oracle_run(&o, "", *suites ? suites : NULL, rules);
    if (sentinel && o.ok)
        o.n--;

    tp_error err = {0};
    tp_cipher_policy *p = NULL;
    int rc = tp_ciphers_compile(s, NULL, NULL, &p, &err);
    if (!o.ok) {
        refused++;
        CHECK(rc == TLSPLUG_E_INVAL && strcmp(err.code, code_for(o.error)) == 0,
              "\"%s\": openssl says \"%s\", compile answered %d %s (%s)", s, o.error, rc, err.code,
              tp_error_message(&err));
    } else {
        listed++;
        CHECK(rc == TLSPLUG_OK, "\"%s\": openssl lists %zu suites, compile failed: %s %s", s, o.n,
              err.code, tp_error_message(&err));
    }
    if (rc == TLSPLUG_OK && o.ok) {
        static uint8_t mine[512][2];
        size_t n = policy_ids(p, 1, mine, 512);
        same_lists("full list", s, mine, n, o.ids, o.n);
        /* 2. narrowed to GnuTLS's suites, each side its own way */
        size_t ng = in_gnutls(o.ids, o.n);
        size_t nm = 0;
        for (size_t i = 0; i < n; i++) {
            uint8_t id[2];
            memcpy(id, mine[i], 2);
            if (tp_suite_by_id(id[0], id[1]))
                memmove(mine[nm++], id, 2);
        }
        same_lists("GnuTLS's suites", s, mine, nm, o.ids, ng);

        /* 3. what the security level lets a handshake use */
        if (!sentinel) {
            snprintf(rules, sizeof rules, strstr(rest, "@SECLEVEL") ? "%s" : "%s:@SECLEVEL=1", rest);
            oracle_run(&o, "-s -psk -srp", *suites ? suites : NULL, rules);
            CHECK(o.ok, "\"%s\": openssl -s failed", s);
            size_t ns = in_gnutls(o.ids, o.n);
            size_t nn = policy_ids(p, 0, mine, 512);
            same_lists("negotiable at the security level", s, mine, nn, o.ids, ns);
        }
    }
    tp_cipher_policy_free(p);
    tp_error_clear(&err);
    free(suites);
    free(rest);
}

int main(void)
{
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
        char s[128];
        check_string(aliases[i]);
        /* "A+_" is an error exactly when OpenSSL knows A (it then reads
         * on into "_"); unknown and disabled names end the rule first. */
        snprintf(s, sizeof s, "AES128-SHA:%s+_", aliases[i]);
        check_string(s);
        /* and the alias as a '-', '+' and '!' operand after ALL */
        snprintf(s, sizeof s, "ALL:COMPLEMENTOFALL:-%s:+AES128:!%s:%s", aliases[i], aliases[i], aliases[i]);
        check_string(s);
    }
    for (size_t i = 0; i < sizeof corpus / sizeof corpus[0]; i++)
        check_string(corpus[i]);
    printf("ciphers_corpus: %zu strings, %zu listed and %zu refused by openssl, %d failure(s)\n", tried,
           listed, refused, failures);
    return failures != 0;
}
