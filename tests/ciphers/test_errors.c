/* ciphers_errors: tp_ciphers_compile()'s errors and version adjustments
 * against Node 20 itself, asked in this run: for each case Node's
 * tls.createSecureContext({ciphers, minVersion, maxVersion}) reports the
 * error code and message, or the protocol range it ends up with (the
 * native context's getMinProto()/getMaxProto(), which configSecureContext
 * adjusts). Also: the default list is Node's, NULL and "" mean it, and a
 * failure leaves the versions and *out alone.
 */
#define _POSIX_C_SOURCE 200809L /* popen, mkstemp, fdopen */

#include <gnutls/gnutls.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ciphers.h"
#include "oracle.h"

typedef struct tcase {
    const char *ciphers; /* NULL: the option is not given */
    int min, max;        /* gnutls_protocol_t */
} tcase;

#define D GNUTLS_TLS1_2, GNUTLS_TLS1_3 /* Node's default range */

static const tcase cases[] = {
    /* Node's default list, given or not */
    {NULL, D}, {"", D}, {TP_CIPHERS_NODE_DEFAULT, D},
    /* nothing known: no cipher match; something known: accepted */
    {"FOO", D}, {"FOO:BAR", D}, {"FOO:AES128-SHA", D}, {" ", D}, {"!ALL", D}, {"ARIA", D},
    {"ARIA128-GCM-SHA256", GNUTLS_TLS1_2, GNUTLS_TLS1_2},
    /* invalid commands */
    {"AES128-SHA:@FOO", D}, {"AES_X", D}, {"#", D}, {"@SECLEVEL=6", D}, {"kRSA+", D},
    /* every element empty: Node's own error, with its rendering of the array */
    {":", D}, {"::", D}, {":::::", D}, {"::::::", D}, {":::::::::", D}, {"::::::::::::", D},
    {"::::::::::::::::::::::::::::::", D},
    {":::::::::::::::::::::::::::::::::::::::::::::::::::::::::::::::::::::::::::::::::::::"
     ":::::::::::::::::::::::::::::::::::::",
     D},
    /* TLS 1.3 names: unknown ones alone are an error, before the rest is read */
    {"TLS_FOO", D}, {"TLS_FOO:TLS_BAR:AES128-SHA", D}, {"TLS_FOO:@BAD", D}, {"TLS_FOO:TLS_AES_128_GCM_SHA256", D},
    {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", D}, {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256:FOO", D},
    {"TLS_FALLBACK_SCSV:FOO", D}, {"tls_aes_128_gcm_sha256", D},
    {"!TLS_AES_128_GCM_SHA256:HIGH", D}, {"TLS_AES_128_GCM_SHA256:!TLS_AES_256_GCM_SHA384:HIGH", D},
    {"!TLS_AES_128_GCM_SHA256", D}, {"!TLS_", D}, {"TLS_", D},
    /* suites OpenSSL has compiled in but disabled (no provider), or lacks */
    {"TLS_RSA_WITH_SEED_CBC_SHA", D}, {"TLS_RSA_WITH_IDEA_CBC_SHA:AES128-SHA", D},
    {"TLS_GOSTR341001_WITH_28147_CNT_IMIT", D}, {"TLS_RSA_WITH_RC4_128_SHA", D},
    {"TLS_RSA_WITH_3DES_EDE_CBC_SHA:AES128-SHA", D},
    /* the version adjustments */
    {"TLS_AES_128_GCM_SHA256", D}, {"AES128-SHA", D}, {"TLS_AES_128_GCM_SHA256:AES128-SHA", D},
    {"AES128-SHA", GNUTLS_TLS1_3, GNUTLS_TLS1_3}, {"TLS_AES_128_GCM_SHA256", GNUTLS_TLS1_2, GNUTLS_TLS1_2},
    {"HIGH", GNUTLS_TLS1_0, GNUTLS_TLS1_3}, {"TLS_CHACHA20_POLY1305_SHA256", GNUTLS_TLS1_0, GNUTLS_TLS1_3},
    {"AES128-SHA", GNUTLS_TLS1_0, GNUTLS_TLS1_1}, {"TLS_AES_128_GCM_SHA256", GNUTLS_TLS1_1, GNUTLS_TLS1_2},
    {":TLS_AES_128_GCM_SHA256::", D}, {"::HIGH", GNUTLS_TLS1_1, GNUTLS_TLS1_3},
};

#define NCASES (sizeof cases / sizeof cases[0])

static const char *node_version(int v)
{
    return v == GNUTLS_TLS1_0 ? "TLSv1" : v == GNUTLS_TLS1_1 ? "TLSv1.1" : v == GNUTLS_TLS1_2 ? "TLSv1.2" : "TLSv1.3";
}

/* OpenSSL's protocol numbers, which getMinProto() answers. */
static int openssl_version(int v)
{
    return v == GNUTLS_TLS1_0 ? 0x301 : v == GNUTLS_TLS1_1 ? 0x302 : v == GNUTLS_TLS1_2 ? 0x303 : 0x304;
}

/* Node's answer for each case, one line each: "ok\tMIN\tMAX" or
 * "err\tCODE\tMESSAGE" (the message JSON-encoded, to keep it on a line). */
static const char node_script[] =
    "const tls = require('tls'), fs = require('fs');"
    "for (const line of fs.readFileSync(process.argv[2], 'utf8').split('\\n')) {"
    "  if (!line) continue;"
    "  const [given, min, max, ciphers] = line.split('\\t');"
    "  const opts = { minVersion: min, maxVersion: max };"
    "  if (given === '1') opts.ciphers = ciphers;"
    "  try {"
    "    const c = tls.createSecureContext(opts).context;"
    "    console.log(`ok\\t${c.getMinProto()}\\t${c.getMaxProto()}`);"
    "  } catch (e) { console.log(`err\\t${e.code}\\t${JSON.stringify(e.message)}`); }"
    "}";

/* JSON.stringify() of our message, for the comparison: only \n, \" and \\
 * can occur in these messages. */
static void json(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    out[n++] = '"';
    for (; *s && n + 4 < cap; s++) {
        if (*s == '\n' || *s == '"' || *s == '\\') {
            out[n++] = '\\';
            out[n++] = *s == '\n' ? 'n' : *s;
        } else {
            out[n++] = *s;
        }
    }
    out[n++] = '"';
    out[n] = '\0';
}

static void check_case(const tcase *c, const char *node)
{
    int min = c->min, max = c->max;
    tp_error err = {0};
    tp_cipher_policy *p = (tp_cipher_policy *)&err; /* must stay untouched on failure */
    int rc = tp_ciphers_compile(c->ciphers, &min, &max, &p, &err);
    const char *name = c->ciphers ? c->ciphers : "(NULL)";
    if (strncmp(node, "ok\t", 3) == 0) {
        int nmin = 0, nmax = 0;
        sscanf(node + 3, "%d\t%d", &nmin, &nmax);
        CHECK(rc == TLSPLUG_OK, "\"%s\": Node accepts it, compile: %s %s", name, err.code,
              tp_error_message(&err));
        if (rc == TLSPLUG_OK) {
            CHECK(openssl_version(min) == nmin && openssl_version(max) == nmax,
                  "\"%s\" %s..%s: Node's range is 0x%x..0x%x, ours 0x%x..0x%x", name,
                  node_version(c->min), node_version(c->max), nmin, nmax, openssl_version(min),
                  openssl_version(max));
            tp_cipher_policy_free(p);
        }
    } else {
        char code[64] = "", message[1024] = "", mine[1024];
        sscanf(node, "err\t%63[^\t]\t%1023[^\n]", code, message);
        json(tp_error_message(&err), mine, sizeof mine);
        CHECK(rc == TLSPLUG_E_INVAL && strcmp(err.code, code) == 0 && strcmp(mine, message) == 0,
              "\"%s\": Node: %s %s; compile: %d %s %s", name, code, message, rc, err.code, mine);
        CHECK(min == c->min && max == c->max && p == (tp_cipher_policy *)&err,
              "\"%s\": a failure changed the outputs", name);
    }
    tp_error_clear(&err);
}

int main(void)
{
    /* The default list is Node's. */
    FILE *n = popen("node -p tls.DEFAULT_CIPHERS", "r");
    char line[8192] = "";
    CHECK(n && fgets(line, sizeof line, n), "cannot run node");
    line[strcspn(line, "\n")] = '\0';
    CHECK(n && pclose(n) == 0, "node failed");
    CHECK(strcmp(line, TP_CIPHERS_NODE_DEFAULT) == 0, "Node's default list is %s", line);

    /* A NULL err is allowed; NULL out is not; NULL is an empty policy. */
    tp_cipher_policy *p = NULL;
    CHECK(tp_ciphers_compile("FOO", NULL, NULL, &p, NULL) == TLSPLUG_E_INVAL && p == NULL, "NULL err");
    CHECK(tp_ciphers_compile("HIGH", NULL, NULL, NULL, NULL) == TLSPLUG_E_INVAL, "NULL out");
    uint8_t id[2];
    CHECK(tp_cipher_policy_count(NULL, 1) == 0 && tp_cipher_policy_id(NULL, 1, 0, id) == -1 &&
              !tp_cipher_policy_allows(NULL, 0x13, 0x01) && strcmp(tp_cipher_policy_tokens(NULL, 1), "") == 0 &&
              !tp_cipher_policy_choose(NULL, (const uint8_t *)"\x13\x01", 2, GNUTLS_TLS1_3, 0, 0, id),
          "a NULL policy");
    tp_cipher_policy_free(NULL);

    /* The cases and the script go to files: no shell quoting to get wrong. */
    char cases_path[] = "/tmp/tlsplug-ciphers-XXXXXX", script_path[] = "/tmp/tlsplug-ciphers-XXXXXX";
    int fd1 = mkstemp(cases_path), fd2 = mkstemp(script_path);
    FILE *f = fd1 >= 0 ? fdopen(fd1, "w") : NULL, *js = fd2 >= 0 ? fdopen(fd2, "w") : NULL;
    CHECK(f && js, "cannot write temporary files");
    if (!f || !js)
        return 1;
    for (size_t i = 0; i < NCASES; i++)
        fprintf(f, "%d\t%s\t%s\t%s\n", cases[i].ciphers != NULL, node_version(cases[i].min),
                node_version(cases[i].max), cases[i].ciphers ? cases[i].ciphers : "");
    fclose(f);
    fputs(node_script, js);
    fclose(js);

    char cmd[256];
    snprintf(cmd, sizeof cmd, "node %s %s", script_path, cases_path);
    FILE *o = popen(cmd, "r");
    CHECK(o != NULL, "cannot run node");
    size_t done = 0;
    static char answer[8192];
    while (o && done < NCASES && fgets(answer, sizeof answer, o))
        check_case(&cases[done++], answer);
    CHECK(o && pclose(o) == 0, "node failed");
    CHECK(done == NCASES, "Node answered %zu of %zu cases", done, NCASES);
    unlink(cases_path);
    unlink(script_path);

    printf("ciphers_errors: %zu cases against Node, %d failure(s)\n", done, failures);
    return failures != 0;
}
