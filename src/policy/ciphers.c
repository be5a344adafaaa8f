/* tp_ciphers_compile(): Node 20's handling of the `ciphers` option, from
 * the string to a policy (ciphers.h). The OpenSSL rule language itself is
 * ciphers_eval.c; what a policy does in a handshake, ciphers_policy.c.
 */
#include "ciphers.h"

#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ciphers_int.h"

/* OpenSSL's default TLS 1.3 list, which Node leaves in place when the
 * string names no TLS_ suite (it then calls only SSL_CTX_set_cipher_list). */
#define OPENSSL_DEFAULT_SUITES                                                                     \
    "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256"

/* Node's message for OpenSSL's errors: ERR_error_string_n()'s text. */
#define MSG_NO_CIPHER_MATCH "error:0A0000B9:SSL routines::no cipher match"
#define MSG_INVALID_COMMAND "error:0A000118:SSL routines::invalid command"

/* util.inspect() of an array of k empty strings, which is what Node's
 * ERR_INVALID_ARG_VALUE shows for a string of k - 1 colons: one line up to
 * six entries, else grouped in columns (groupArrayElements() in Node's
 * lib/internal/util/inspect.js: for entries of 2 characters the column
 * count is round(sqrt(2.5 * entries)), at most 12; beyond 100 entries
 * the rest is "... n more items"), the whole cut after 128 characters. */
static void inspect_empties(size_t k, char *out, size_t cap)
{
    char text[1024]; /* at most about 650 characters (100 entries) */
    size_t used = 0, shown = k > 100 ? 100 : k;
#define PUT(s) (used += (size_t)snprintf(text + used, sizeof text - used, "%s", (s)))
    if (k <= 6) {
        PUT("[ ");
        for (size_t i = 0; i < k; i++)
            PUT(i ? ", ''" : "''");
        PUT(" ]");
    } else {
        /* round(sqrt(2.5 * shown)) without libm: the c with
         * (c - 0.5)^2 <= 2.5 * shown < (c + 0.5)^2, i.e. in integers
         * (2c - 1)^2 <= 10 * shown < (2c + 1)^2. */
        size_t cols = 1;
        while ((2 * cols + 1) * (2 * cols + 1) <= 10 * shown)
            cols++;
        if (cols > 12)
            cols = 12;
        PUT("[\n  ");
        for (size_t i = 0; i < shown; i++)
            PUT(i == 0 ? "''" : i % cols ? ", ''" : ",\n  ''");
        if (k > shown) {
            char more[64];
            snprintf(more, sizeof more, ",\n  ... %zu more item%s", k - shown,
                     k - shown > 1 ? "s" : "");
            PUT(more);
        }
        PUT("\n]");
    }
#undef PUT
    if (used > 128)
        memcpy(text + 128, "...", 4);
    size_t n = strlen(text) < cap ? strlen(text) : cap - 1;
    memcpy(out, text, n);
    out[n] = '\0';
}

static int fail_invalid_arg(tp_error *err, const char *ciphers)
{
    size_t k = 1;
    for (const char *c = ciphers; *c; c++)
        k += *c == ':';
    char shown[160];
    inspect_empties(k, shown, sizeof shown);
    return tp_fail(err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_VALUE",
                   "The property 'options.ciphers' is invalid. Received %s", shown);
}

/* processCiphers(): the non-empty ':'-separated elements, those starting
 * with "TLS_" or "!TLS_" to `suites` (where OpenSSL knows no "!"-name: it
 * is skipped), the others to `list`, each joined by ':'. Both buffers have
 * the input's size. */
static void split(const char *ciphers, char *suites, char *list)
{
    size_t ns = 0, nl = 0;
    const char *p = ciphers;
    for (;;) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 0) {
            int tls13 = strncmp(p, "TLS_", 4) == 0 || strncmp(p, "!TLS_", 5) == 0;
            char *dst = tls13 ? suites : list;
            size_t *n = tls13 ? &ns : &nl;
            if (*n)
                dst[(*n)++] = ':';
            memcpy(dst + *n, p, len);
            *n += len;
        }
        if (!end)
            break;
        p = end + 1;
    }
    suites[ns] = list[nl] = '\0';
}

static int fail(tp_error *err, int status, const char *code, const char *msg)
{
    return tp_fail(err, status, code, "%s", msg);
}

int tp_ciphers_compile(const char *ciphers, int *min_version, int *max_version,
                       tp_cipher_policy **out, tp_error *err)
{
    tp_error scratch = {0};
    if (!err)
        err = &scratch; /* tp_fail wants somewhere to write */
    if (!out) {
        int rc = tp_fail(err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_TYPE", "no place for the policy");
        tp_error_clear(&scratch);
        return rc;
    }
    if (!ciphers || !*ciphers)
        ciphers = TP_CIPHERS_NODE_DEFAULT;
    size_t size = strlen(ciphers) + 1;
    char *suites = malloc(size), *list = malloc(size);
    /* Room for the TLS 1.3 list (a name has 4 characters or more and a ':'
     * after it, and the default list has 3) and the rest. */
    size_t cap13 = size / 2 + 8;
    uint16_t *rows = malloc((cap13 + tp_cs_n12) * sizeof *rows);
    int rc = TLSPLUG_OK;
    if (!suites || !list || !rows) {
        rc = fail(err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY", "out of memory");
        goto done;
    }
    split(ciphers, suites, list);
    if (!*suites && !*list) {
        rc = fail_invalid_arg(err, ciphers);
        goto done;
    }

    /* SSL_CTX_set_ciphersuites(): an error only when no name is known. */
    size_t known;
    const char *tls13 = *suites ? suites : OPENSSL_DEFAULT_SUITES;
    size_t n13 = tp_ciphersuites_eval(tls13, rows, cap13, &known);
    if (*suites && known == 0) {
        rc = fail(err, TLSPLUG_E_INVAL, "ERR_SSL_NO_CIPHER_MATCH", MSG_NO_CIPHER_MATCH);
        goto done;
    }

    /* SSL_CTX_set_cipher_list(): the TLS 1.3 list goes first. It fails
     * when the combined list has no TLS <= 1.2 entry, which Node ignores
     * for an empty string; a TLS_ name of a TLS 1.2 suite or a signalling
     * value counts, as in OpenSSL. */
    int seclevel = TP_CIPHERS_DEFAULT_SECLEVEL;
    size_t n12;
    if (tp_cipher_list_eval(list, rows + n13, &n12, &seclevel) != 0) {
        rc = fail(err, TLSPLUG_E_INVAL, "ERR_SSL_INVALID_COMMAND", MSG_INVALID_COMMAND);
        goto done;
    }
    size_t pre13 = 0;
    for (size_t i = 0; i < n13 + n12; i++)
        pre13 += tp_cs_table[rows[i]].min_tls < TP_TLS1_3;
    if (*list && pre13 == 0) {
        rc = fail(err, TLSPLUG_E_INVAL, "ERR_SSL_NO_CIPHER_MATCH", MSG_NO_CIPHER_MATCH);
        goto done;
    }

    tp_cipher_policy *p = malloc(sizeof *p + (n13 + n12) * sizeof p->list[0]);
    if (!p) {
        rc = fail(err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY", "out of memory");
        goto done;
    }
    p->seclevel = seclevel;
    p->n = n13 + n12;
    memcpy(p->list, rows, p->n * sizeof p->list[0]);
    p->tokens[0] = tp_policy_make_tokens(p, 0);
    p->tokens[1] = tp_policy_make_tokens(p, 1);
    if (!p->tokens[0] || !p->tokens[1]) {
        tp_cipher_policy_free(p);
        rc = fail(err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY", "out of memory");
        goto done;
    }

    /* configSecureContext(): with no TLS <= 1.2 names a range spanning
     * 1.2 and 1.3 starts at 1.3. (Node 20 has no converse: without TLS_
     * names TLS 1.3 stays, with OpenSSL's default suites.) */
    if (min_version && max_version && !*list && *min_version < GNUTLS_TLS1_3 &&
        *max_version > GNUTLS_TLS1_2)
        *min_version = GNUTLS_TLS1_3;
    *out = p;
done:
    free(suites);
    free(list);
    free(rows);
    tp_error_clear(&scratch);
    return rc;
}

void tp_cipher_policy_free(tp_cipher_policy *p)
{
    if (p) {
        free(p->tokens[0]);
        free(p->tokens[1]);
        free(p);
    }
}

/* The accessors take NULL as an empty policy. */

int tp_cipher_policy_seclevel(const tp_cipher_policy *p)
{
    return p ? p->seclevel : TP_CIPHERS_DEFAULT_SECLEVEL;
}

const char *tp_cipher_policy_tokens(const tp_cipher_policy *p, int tls13)
{
    return p ? p->tokens[tls13 != 0] : "";
}

size_t tp_cipher_policy_count(const tp_cipher_policy *p, int all)
{
    size_t n = 0;
    for (size_t i = 0; p && i < p->n; i++)
        n += all || tp_policy_can(p, p->list[i]);
    return n;
}

int tp_cipher_policy_id(const tp_cipher_policy *p, int all, size_t i, uint8_t id[2])
{
    for (size_t j = 0; p && j < p->n; j++) {
        if (!all && !tp_policy_can(p, p->list[j]))
            continue;
        if (i-- == 0) {
            memcpy(id, tp_cs_table[p->list[j]].id, 2);
            return 0;
        }
    }
    return -1;
}
