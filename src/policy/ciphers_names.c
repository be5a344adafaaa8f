/* tlsplug_get_ciphers(): Node's tls.getCiphers().
 *
 * Node lists what OpenSSL's default list holds -- SSL_get_ciphers() on a
 * fresh context, i.e. DEFAULT ("ALL:!COMPLEMENTOFDEFAULT:!eNULL") -- plus
 * all five TLS 1.3 suites, lowercased and sorted. tlsplug lists the same,
 * less what GnuTLS cannot negotiate, so every name is one Node lists too
 * and one a `ciphers` string may name (uppercased, as Node requires).
 */
#include <stdlib.h>
#include <string.h>

#include "ciphers_int.h"
#include "error.h"
#include "tlsplug.h"
#include "api_impl.h"

/* Room for a name and its NUL; longer than any in the table. */
#define NAME_MAX_LEN 48

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int tp_api_get_ciphers(char *buf, size_t cap, size_t *len)
{
    if (!len || (cap && !buf))
        return TLSPLUG_E_INVAL;
    uint16_t rows[TP_CS_MAX];
    size_t n = 0;
    int level = 0;
    if (tp_cipher_list_eval("DEFAULT", rows, &n, &level) != 0)
        return TLSPLUG_E_INVAL; /* cannot happen: DEFAULT is well formed */
    for (unsigned i = tp_cs_n12; i < tp_cs_n12 + tp_cs_n13; i++)
        rows[n++] = (uint16_t)i; /* the TLS 1.3 suites, all of them */

    /* Node sorts the lowercased names; so does this (they sort apart from
     * the uppercase ones: '_' falls between the cases). */
    char lower[TP_CS_MAX][NAME_MAX_LEN];
    const char *names[TP_CS_MAX];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const tp_cs *s = &tp_cs_table[rows[i]];
        if (!tp_cs_negotiable(s) || strlen(s->name) >= NAME_MAX_LEN)
            continue; /* (no name is that long; the tests check they all appear) */
        char *l = lower[k];
        for (const char *c = s->name; *c; c++)
            *l++ = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
        *l = '\0';
        names[k] = lower[k];
        k++;
    }
    qsort(names, k, sizeof names[0], by_name);

    char out[TP_CS_MAX * NAME_MAX_LEN];
    size_t used = 0;
    for (size_t i = 0; i < k; i++) {
        if (i > 0 && strcmp(names[i], names[i - 1]) == 0)
            continue;
        if (used)
            out[used++] = ':';
        size_t l = strlen(names[i]);
        memcpy(out + used, names[i], l);
        used += l;
    }
    out[used] = '\0';
    return tp_copy_string(out, buf, cap, len);
}
