/* OpenSSL 3.0's cipher-string language, evaluated over ciphers_table.c.
 *
 * This follows ssl/ssl_ciph.c step for step, because Node users write
 * strings against OpenSSL's behaviour, quirks included: which characters
 * end a name, what an unknown name does inside "A+B", how "A+B" combines
 * the two aliases' algorithm masks (not their suite sets), how '-' and '+'
 * reorder, and when the result is an error. The tests compare the result
 * with `openssl ciphers` for a broad corpus of strings.
 *
 * OpenSSL keeps every suite in one list, each marked active or not, in its
 * default order (precomputed in the table by tools/gen_ciphers_table.py).
 * A rule selects suites by a pattern and then adds them (append the
 * inactive ones), deletes them (deactivate, move to the front so a later
 * add restores their order), moves them to the end ('+'), or kills them
 * ('!': removed for good). The active suites, in list order, are the
 * result.
 */
#include <string.h>

#include "ciphers_int.h"

enum rule_op { OP_ADD, OP_KILL, OP_DEL, OP_ORD, OP_SPECIAL };

/* A rule's pattern: masks that must each meet the suite's bit (0: any),
 * one suite (cipher >= 0), or, for @STRENGTH, strength bits alone. */
typedef struct pattern {
    int cipher; /* a row, or -1 */
    unsigned mkey, auth, enc, mac, strength;
    int min_tls;
    int bits; /* >= 0: select by strength_bits only */
} pattern;

/* OpenSSL 3.0's cipher_aliases[], less those whose algorithms this OpenSSL
 * disables (kGOST, aGOST*, GOST*, RC4, RC2, IDEA, SEED): OpenSSL leaves those
 * out of its lookup list, so they behave as unknown names, as they do
 * here. 3DES and the two EDH-*-DES-CBC3-SHA names stay: OpenSSL keeps them
 * even though no suite of its has 3DES any more. */
typedef struct alias {
    const char *name;
    unsigned mkey, auth, enc, mac;
    int min_tls;
    unsigned strength;
} alias;

static const alias aliases[] = {
    /* ALL leaves out eNULL, which must be asked for by name */
    {"ALL", 0, 0, ~TP_eNULL & 0xFFFFu, 0, 0, 0},
    {"COMPLEMENTOFALL", 0, 0, TP_eNULL, 0, 0, 0},
    /* only suites ALL has, so not eNULL */
    {"COMPLEMENTOFDEFAULT", 0, 0, 0, 0, 0, TP_NOT_DEFAULT},
    {"kRSA", TP_kRSA, 0, 0, 0, 0, 0},
    {"kEDH", TP_kDHE, 0, 0, 0, 0, 0},
    {"kDHE", TP_kDHE, 0, 0, 0, 0, 0},
    {"DH", TP_kDHE, 0, 0, 0, 0, 0},
    {"kEECDH", TP_kECDHE, 0, 0, 0, 0, 0},
    {"kECDHE", TP_kECDHE, 0, 0, 0, 0, 0},
    {"ECDH", TP_kECDHE, 0, 0, 0, 0, 0},
    {"kPSK", TP_kPSK, 0, 0, 0, 0, 0},
    {"kRSAPSK", TP_kRSAPSK, 0, 0, 0, 0, 0},
    {"kECDHEPSK", TP_kECDHEPSK, 0, 0, 0, 0, 0},
    {"kDHEPSK", TP_kDHEPSK, 0, 0, 0, 0, 0},
    {"kSRP", TP_kSRP, 0, 0, 0, 0, 0},
    {"aRSA", 0, TP_aRSA, 0, 0, 0, 0},
    {"aDSS", 0, TP_aDSS, 0, 0, 0, 0},
    {"DSS", 0, TP_aDSS, 0, 0, 0, 0},
    {"aNULL", 0, TP_aNULL, 0, 0, 0, 0},
    {"aECDSA", 0, TP_aECDSA, 0, 0, 0, 0},
    {"ECDSA", 0, TP_aECDSA, 0, 0, 0, 0},
    {"aPSK", 0, TP_aPSK, 0, 0, 0, 0},
    {"aSRP", 0, TP_aSRP, 0, 0, 0, 0},
    /* key exchange and authentication together; ~aNULL: not anonymous */
    {"EDH", TP_kDHE, ~TP_aNULL & 0xFFu, 0, 0, 0, 0},
    {"DHE", TP_kDHE, ~TP_aNULL & 0xFFu, 0, 0, 0, 0},
    {"EECDH", TP_kECDHE, ~TP_aNULL & 0xFFu, 0, 0, 0, 0},
    {"ECDHE", TP_kECDHE, ~TP_aNULL & 0xFFu, 0, 0, 0, 0},
    {"NULL", 0, 0, TP_eNULL, 0, 0, 0},
    {"RSA", TP_kRSA, TP_aRSA, 0, 0, 0, 0},
    {"ADH", TP_kDHE, TP_aNULL, 0, 0, 0, 0},
    {"AECDH", TP_kECDHE, TP_aNULL, 0, 0, 0, 0},
    {"PSK", TP_PSK, 0, 0, 0, 0, 0},
    {"SRP", TP_kSRP, 0, 0, 0, 0, 0},
    {"3DES", 0, 0, TP_e3DES, 0, 0, 0},
    {"eNULL", 0, 0, TP_eNULL, 0, 0, 0},
    {"AES128", 0, 0, TP_eAES128 | TP_eAES128GCM | TP_eAES128CCM | TP_eAES128CCM8, 0, 0, 0},
    {"AES256", 0, 0, TP_eAES256 | TP_eAES256GCM | TP_eAES256CCM | TP_eAES256CCM8, 0, 0, 0},
    {"AES", 0, 0, TP_eAES, 0, 0, 0},
    {"AESGCM", 0, 0, TP_eAESGCM, 0, 0, 0},
    {"AESCCM", 0, 0, TP_eAESCCM, 0, 0, 0},
    {"AESCCM8", 0, 0, TP_eAES128CCM8 | TP_eAES256CCM8, 0, 0, 0},
    {"CAMELLIA128", 0, 0, TP_eCAMELLIA128, 0, 0, 0},
    {"CAMELLIA256", 0, 0, TP_eCAMELLIA256, 0, 0, 0},
    {"CAMELLIA", 0, 0, TP_eCAMELLIA, 0, 0, 0},
    {"CHACHA20", 0, 0, TP_eCHACHA20POLY1305, 0, 0, 0},
    {"ARIA", 0, 0, TP_eARIA, 0, 0, 0},
    {"ARIAGCM", 0, 0, TP_eARIA, 0, 0, 0},
    {"ARIA128", 0, 0, TP_eARIA128GCM, 0, 0, 0},
    {"ARIA256", 0, 0, TP_eARIA256GCM, 0, 0, 0},
    {"CBC", 0, 0, TP_eCBC, 0, 0, 0},
    {"MD5", 0, 0, 0, TP_mMD5, 0, 0},
    {"SHA1", 0, 0, 0, TP_mSHA1, 0, 0},
    {"SHA", 0, 0, 0, TP_mSHA1, 0, 0},
    {"SHA256", 0, 0, 0, TP_mSHA256, 0, 0},
    {"SHA384", 0, 0, 0, TP_mSHA384, 0, 0},
    /* the version a suite came with, not where it can be used */
    {"SSLv3", 0, 0, 0, 0, TP_SSL3, 0},
    {"TLSv1", 0, 0, 0, 0, TP_TLS1, 0},
    {"TLSv1.0", 0, 0, 0, 0, TP_TLS1, 0},
    {"TLSv1.2", 0, 0, 0, 0, TP_TLS1_2, 0},
    {"LOW", 0, 0, 0, 0, 0, TP_LOW},
    {"MEDIUM", 0, 0, 0, 0, 0, TP_MEDIUM},
    {"HIGH", 0, 0, 0, 0, 0, TP_HIGH},
    {"FIPS", 0, 0, ~TP_eNULL & 0xFFFFu, 0, 0, TP_FIPS},
    /* old names of DHE suites with 3DES, which OpenSSL 3.0 lacks */
    {"EDH-DSS-DES-CBC3-SHA", TP_kDHE, TP_aDSS, TP_e3DES, TP_mSHA1, 0, TP_HIGH | TP_FIPS},
    {"EDH-RSA-DES-CBC3-SHA", TP_kDHE, TP_aRSA, TP_e3DES, TP_mSHA1, 0, TP_HIGH | TP_FIPS},
};

#define NALIASES (sizeof aliases / sizeof aliases[0])

/* The working list: rows in order (killed ones gone), and which are on. */
typedef struct state {
    uint16_t list[TP_CS_MAX];
    size_t len;
    unsigned char active[TP_CS_MAX];
    int *seclevel;
} state;

static int is_sep(char c)
{
    return c == ':' || c == ' ' || c == ';' || c == ',';
}

/* What OpenSSL reads as part of a name; anything else starts no name. */
static int is_name_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '=';
}

static int matches(const pattern *p, const tp_cs *c)
{
    if (p->bits >= 0)
        return c->bits == p->bits;
    if (p->cipher >= 0 && c != &tp_cs_table[p->cipher])
        return 0;
    if ((p->mkey && !(p->mkey & c->mkey)) || (p->auth && !(p->auth & c->auth)) ||
        (p->enc && !(p->enc & c->enc)) || (p->mac && !(p->mac & c->mac)))
        return 0;
    if (p->min_tls && p->min_tls != c->min_tls)
        return 0;
    if ((p->strength & TP_STRONG_MASK) && !(p->strength & TP_STRONG_MASK & c->strength))
        return 0;
    if ((p->strength & TP_DEFAULT_MASK) && !(p->strength & TP_DEFAULT_MASK & c->strength))
        return 0;
    return 1;
}

/* ssl_cipher_apply_rule() as a stable partition: the suites a rule moves
 * keep their relative order, which is all OpenSSL's list surgery does. */
static void apply(state *st, const pattern *p, enum rule_op op)
{
    uint16_t moved[TP_CS_MAX], kept[TP_CS_MAX];
    size_t nm = 0, nk = 0;
    for (size_t i = 0; i < st->len; i++) {
        uint16_t r = st->list[i];
        int hit = matches(p, &tp_cs_table[r]);
        int on = st->active[r];
        if (hit && op == OP_KILL) {
            st->active[r] = 0; /* and gone from the list: no later rule sees it */
        } else if (hit && ((op == OP_ADD && !on) || (op != OP_ADD && on))) {
            st->active[r] = op != OP_DEL;
            moved[nm++] = r;
        } else {
            kept[nk++] = r;
        }
    }
    /* Deleted suites go to the front: "most recently deleted ciphersuites
     * get best positions for any future CIPHER_ADD" (ssl_ciph.c). */
    uint16_t *first = op == OP_DEL ? moved : kept, *second = op == OP_DEL ? kept : moved;
    size_t nfirst = op == OP_DEL ? nm : nk, nsecond = op == OP_DEL ? nk : nm;
    memcpy(st->list, first, nfirst * sizeof *first);
    memcpy(st->list + nfirst, second, nsecond * sizeof *second);
    st->len = nfirst + nsecond;
}

/* @STRENGTH: the active suites, strongest first, order kept among equals
 * (OpenSSL moves each strength's suites to the end, strongest first). */
static void strength_sort(state *st)
{
    int max = 0;
    for (size_t i = 0; i < st->len; i++)
        if (st->active[st->list[i]] && tp_cs_table[st->list[i]].bits > max)
            max = tp_cs_table[st->list[i]].bits;
    for (int b = max; b >= 0; b--) {
        pattern p = {.cipher = -1, .bits = b};
        apply(st, &p, OP_ORD); /* a no-op when no active suite has b bits */
    }
}

/* The suite (as a pattern) or alias named buf[0..len): ciphers first,
 * then aliases, as OpenSSL's lookup list has them. Answers the alias,
 * or NULL with *row set for a suite, or NULL with *row -1 when unknown. */
static const alias *lookup(const char *buf, size_t len, int *row)
{
    *row = -1;
    for (unsigned i = 0; i < tp_cs_n12; i++)
        if (strncmp(tp_cs_table[i].name, buf, len) == 0 && tp_cs_table[i].name[len] == '\0') {
            *row = (int)i;
            return NULL;
        }
    for (size_t i = 0; i < NALIASES; i++)
        if (strncmp(aliases[i].name, buf, len) == 0 && aliases[i].name[len] == '\0')
            return &aliases[i];
    return NULL;
}

/* One mask of "A+B": the first part sets it, later parts narrow it, and
 * an empty intersection makes the whole rule match nothing (OpenSSL: "not
 * found"). Answers 0 on such a conflict. */
static int narrow(unsigned *acc, unsigned m)
{
    if (!m)
        return 1;
    *acc = *acc ? *acc & m : m;
    return *acc != 0;
}

/* Fold one part (a suite or an alias) into the rule's pattern. */
static int fold(pattern *p, const alias *a, int row)
{
    unsigned mkey, auth, enc, mac, strength;
    int min_tls;
    if (a) {
        mkey = a->mkey, auth = a->auth, enc = a->enc, mac = a->mac;
        strength = a->strength, min_tls = a->min_tls;
    } else {
        const tp_cs *c = &tp_cs_table[row];
        mkey = c->mkey, auth = c->auth, enc = c->enc, mac = c->mac;
        strength = c->strength, min_tls = 0; /* a named suite's version is not a pattern */
    }
    if (!narrow(&p->mkey, mkey) || !narrow(&p->auth, auth) || !narrow(&p->enc, enc) ||
        !narrow(&p->mac, mac))
        return 0;
    /* The class bits and the DEFAULT bit combine separately; the first
     * class replaces the whole field, dropping a DEFAULT bit set before
     * it (so "COMPLEMENTOFDEFAULT+HIGH" is HIGH, as in OpenSSL). */
    if (strength & TP_STRONG_MASK) {
        if (p->strength & TP_STRONG_MASK) {
            p->strength &= (strength & TP_STRONG_MASK) | ~TP_STRONG_MASK;
            if (!(p->strength & TP_STRONG_MASK))
                return 0;
        } else {
            p->strength = strength & TP_STRONG_MASK;
        }
    }
    if (strength & TP_DEFAULT_MASK) {
        if (p->strength & TP_DEFAULT_MASK) {
            p->strength &= (strength & TP_DEFAULT_MASK) | ~TP_DEFAULT_MASK;
            if (!(p->strength & TP_DEFAULT_MASK))
                return 0;
        } else {
            p->strength |= strength & TP_DEFAULT_MASK;
        }
    }
    p->cipher = row; /* only the last part's suite counts, as in OpenSSL */
    if (min_tls) {
        if (p->min_tls && p->min_tls != min_tls)
            return 0;
        p->min_tls = min_tls;
    }
    return 1;
}

/* An @command: STRENGTH, or SECLEVEL=n with one digit 0..5. */
static int special(state *st, const char *buf, size_t len)
{
    if (len == 8 && strncmp(buf, "STRENGTH", 8) == 0) {
        strength_sort(st);
        return 0;
    }
    if (len == 10 && strncmp(buf, "SECLEVEL=", 9) == 0 && buf[9] >= '0' && buf[9] <= '5') {
        *st->seclevel = buf[9] - '0';
        return 0;
    }
    return -1;
}

/* ssl_cipher_process_rulestr(). Answers -1 for an invalid command. */
static int process(state *st, const char *l)
{
    int rc = 0;
    while (*l) {
        char ch = *l;
        enum rule_op op = OP_ADD;
        if (ch == '-' || ch == '+' || ch == '!' || ch == '@') {
            op = ch == '-' ? OP_DEL : ch == '+' ? OP_ORD : ch == '!' ? OP_KILL : OP_SPECIAL;
            l++;
        } else if (is_sep(ch)) {
            l++;
            continue;
        }
        pattern p = {.cipher = -1, .bits = -1};
        int found = 0;
        const char *buf;
        size_t len;
        for (;;) {
            buf = l;
            for (len = 0; is_name_char(*l); l++)
                len++;
            if (len == 0)
                return -1; /* OpenSSL stops here at once */
            if (op == OP_SPECIAL)
                break;
            int multi = *l == '+';
            if (multi)
                l++;
            int row;
            const alias *a = lookup(buf, len, &row);
            found = (a || row >= 0) && fold(&p, a, row);
            if (!found || !multi)
                break; /* an unknown part voids the rule; the rest is skipped below */
        }
        if (op == OP_SPECIAL) {
            if (special(st, buf, len) != 0)
                rc = -1; /* OpenSSL notes the error and reads on */
            while (*l && !is_sep(*l))
                l++; /* "@STRENGTH+X": the rest of an @command is ignored */
        } else if (found) {
            apply(st, &p, op);
        } else {
            while (*l && !is_sep(*l))
                l++;
        }
    }
    return rc;
}

int tp_cipher_list_eval(const char *rules, uint16_t *out, size_t *n, int *seclevel)
{
    state st;
    st.len = tp_cs_n12;
    for (unsigned i = 0; i < tp_cs_n12; i++) {
        st.list[i] = (uint16_t)i;
        st.active[i] = 0;
    }
    st.seclevel = seclevel;
    *n = 0;

    /* Suite B strings replace the whole list (check_suiteb_cipher_list());
     * OpenSSL also restricts curves and signatures then, which tlsplug
     * does not (see ciphers.h). */
    if (strncmp(rules, "SUITEB128ONLY", 13) == 0)
        rules = "ECDHE-ECDSA-AES128-GCM-SHA256";
    else if (strncmp(rules, "SUITEB128C2", 11) == 0)
        rules = "ECDHE-ECDSA-AES256-GCM-SHA384";
    else if (strncmp(rules, "SUITEB128", 9) == 0)
        rules = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384";
    else if (strncmp(rules, "SUITEB192", 9) == 0)
        rules = "ECDHE-ECDSA-AES256-GCM-SHA384";

    /* DEFAULT means something only at the very start (any string that
     * begins with those 7 letters); elsewhere it is an unknown name. */
    int rc = 0;
    if (strncmp(rules, "DEFAULT", 7) == 0) {
        rc = process(&st, "ALL:!COMPLEMENTOFDEFAULT:!eNULL"); /* OSSL_default_cipher_list() */
        rules += 7;
        if (*rules == ':')
            rules++;
    }
    if (rc == 0 && *rules)
        rc = process(&st, rules);
    if (rc != 0)
        return -1;
    for (size_t i = 0; i < st.len; i++)
        if (st.active[st.list[i]])
            out[(*n)++] = st.list[i];
    return 0;
}

/* isspace() in the C locale, which OpenSSL's CONF_parse_list() uses. */
static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* Is p[0..len) one of the names in tp_cs_disabled? */
static int disabled(const char *p, size_t len)
{
    for (unsigned i = 0; i < tp_cs_ndisabled; i++)
        if (strncmp(tp_cs_disabled[i], p, len) == 0 && tp_cs_disabled[i][len] == '\0')
            return 1;
    return 0;
}

size_t tp_ciphersuites_eval(const char *list, uint16_t *out, size_t cap, size_t *known)
{
    size_t n = 0;
    *known = 0;
    const char *p = list;
    for (;;) {
        while (is_space(*p))
            p++; /* CONF_parse_list(..., nospc = 1) trims each element */
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len > 0 && is_space(p[len - 1]))
            len--;
        /* OpenSSL copies a name into an 80-byte buffer and skips longer
         * ones; it finds any suite it has by standard name, and later
         * drops the disabled ones from the list. */
        if (len > 0 && len < 80) {
            for (unsigned i = 0; i < tp_cs_n; i++)
                if (strncmp(tp_cs_table[i].iana, p, len) == 0 && tp_cs_table[i].iana[len] == '\0') {
                    if (n < cap)
                        out[n++] = (uint16_t)i;
                    ++*known;
                    break;
                }
            if (disabled(p, len))
                ++*known;
        }
        if (!end)
            return n;
        p = end + 1;
    }
}
