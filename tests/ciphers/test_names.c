/* ciphers_names: tlsplug_get_ciphers(), Node's tls.getCiphers().
 *
 *   - the (buf, cap, len) contract;
 *   - sorted, no duplicates, lowercase;
 *   - each name, uppercased, is accepted by tp_ciphers_compile() and the
 *     policy can negotiate that very suite;
 *   - each names a suite GnuTLS can negotiate (the suites table);
 *   - the set is what OpenSSL's DEFAULT holds (`openssl ciphers DEFAULT`,
 *     the list Node's getCiphers() reads) plus the TLS 1.3 suites, less
 *     what GnuTLS lacks;
 *   - against Node's own tls.getCiphers(), run here: every name is one Node
 *     lists; what Node lists beyond ours is printed, not asserted (suites
 *     GnuTLS does not have).
 */
#define _POSIX_C_SOURCE 200809L /* popen, strtok_r */

#include <stdlib.h>
#include <string.h>

#include "ciphers.h"
#include "oracle.h"
#include "suites.h"
#include "suites_table.h"

#define NSUITES (sizeof tp_suites / sizeof tp_suites[0])

static const tp_suite *suite_named(const char *upper)
{
    for (size_t i = 0; i < NSUITES; i++)
        if (strcmp(tp_suites[i].openssl, upper) == 0)
            return &tp_suites[i];
    return NULL;
}

static void upcase(char *s)
{
    for (; *s; s++)
        if (*s >= 'a' && *s <= 'z')
            *s = (char)(*s - 'a' + 'A');
}

/* Is `name` one of the ':'-separated names in `list`? */
static int listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0)
            return 1;
        p = end ? end + 1 : NULL;
    }
    return 0;
}

int main(void)
{
    /* The buffer contract. */
    size_t len = 0, len2 = 0;
    CHECK(tlsplug_get_ciphers(NULL, 0, NULL) == TLSPLUG_E_INVAL, "NULL len");
    CHECK(tlsplug_get_ciphers(NULL, 5, &len) == TLSPLUG_E_INVAL, "NULL buf with a capacity");
    CHECK(tlsplug_get_ciphers(NULL, 0, &len) == TLSPLUG_E_BUFSIZE && len > 100, "asking the size: %zu", len);
    char *ours = malloc(len + 1);
    CHECK(tlsplug_get_ciphers(ours, len, &len2) == TLSPLUG_E_BUFSIZE && len2 == len, "one byte short");
    CHECK(tlsplug_get_ciphers(ours, len + 1, &len2) == TLSPLUG_OK && len2 == len && strlen(ours) == len,
          "the list");

    /* Node's list, from Node. */
    FILE *n = popen("node -p \"require('tls').getCiphers().join(':')\"", "r");
    static char node[16384];
    CHECK(n && fgets(node, sizeof node, n), "cannot run node");
    node[strcspn(node, "\n")] = '\0';
    CHECK(n && pclose(n) == 0, "node failed");

    /* OpenSSL's DEFAULT, narrowed to GnuTLS's suites, by id. */
    static oracle o;
    oracle_run(&o, "-ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:"
                   "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256",
               NULL, "DEFAULT");
    CHECK(o.ok, "openssl ciphers DEFAULT failed");
    size_t expected = 0;
    for (size_t i = 0; i < o.n; i++)
        expected += tp_suite_by_id(o.ids[i][0], o.ids[i][1]) != NULL;

    size_t count = 0;
    char prev[128] = "";
    char *save = NULL, *copy = strdup(ours);
    for (char *name = strtok_r(copy, ":", &save); name; name = strtok_r(NULL, ":", &save)) {
        count++;
        CHECK(strcmp(prev, name) < 0, "\"%s\" after \"%s\": not sorted, or twice", name, prev);
        snprintf(prev, sizeof prev, "%s", name);
        CHECK(listed(node, name), "%s: Node does not list it", name);

        char upper[128];
        snprintf(upper, sizeof upper, "%s", name);
        CHECK(strcmp(upper, name) == 0 && strpbrk(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == NULL,
              "%s: not lowercase", name);
        upcase(upper);
        const tp_suite *s = suite_named(upper);
        CHECK(s != NULL, "%s: not a suite GnuTLS can negotiate", name);

        int in_default = 0;
        for (size_t i = 0; s && i < o.n; i++)
            in_default |= o.ids[i][0] == s->id[0] && o.ids[i][1] == s->id[1];
        CHECK(in_default, "%s: not in OpenSSL's DEFAULT", name);

        tp_error err = {0};
        tp_cipher_policy *p = NULL;
        int rc = tp_ciphers_compile(upper, NULL, NULL, &p, &err);
        CHECK(rc == TLSPLUG_OK, "%s: refused: %s", upper, tp_error_message(&err));
        if (rc == TLSPLUG_OK && s)
            CHECK(tp_cipher_policy_allows(p, s->id[0], s->id[1]), "%s: compiled, but not negotiable", upper);
        tp_cipher_policy_free(p);
        tp_error_clear(&err);
    }
    free(copy);
    CHECK(count == expected, "%zu names; OpenSSL's DEFAULT has %zu suites GnuTLS can negotiate", count,
          expected);

    /* Report what Node lists beyond ours: informational. */
    size_t extra = 0;
    copy = strdup(node);
    printf("Node lists, tlsplug does not (GnuTLS lacks them):");
    for (char *name = strtok_r(copy, ":", &save); name; name = strtok_r(NULL, ":", &save))
        if (!listed(ours, name)) {
            printf(" %s", name);
            extra++;
        }
    printf("%s\n", extra ? "" : " (none)");
    free(copy);
    printf("ciphers_names: %zu names (Node %zu more), %d failure(s)\n", count, extra, failures);
    free(ours);
    return failures != 0;
}
