/* ciphers_choose: tp_cipher_policy_choose() against Node 20 itself.
 *
 * For each case a Node server (tls.createServer with the case's ciphers,
 * honorCipherOrder, versions and certificate) is reached by `openssl
 * s_client` offering the case's list; Node reports the suite it chose and
 * the version, or its error. The policy must choose the same suite from
 * what that client offers -- the client's list as `openssl ciphers -s`
 * gives it, in its order -- at Node's version, with what Node's server has
 * (its certificate's key -- RSA, ECDSA, Ed25519 or RSA-PSS --, ECDHE; DHE
 * only with `dhparam`; OpenSSL always allows anonymous suites, the
 * security level permitting). When Node finds no shared suite the policy
 * must find none.
 */
#define _POSIX_C_SOURCE 200809L /* popen, mkstemp, mkdtemp */

#include <gnutls/gnutls.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ciphers.h"
#include "oracle.h"
#include "suites.h"

typedef struct tcase {
    const char *server;  /* the server's `ciphers` */
    int honor;           /* honorCipherOrder */
    const char *min;     /* the server's minVersion */
    const char *max;     /* and maxVersion */
    const char *cert;    /* "rsa", "ec", "both", "ed" (Ed25519), "pss" (RSA-PSS), "rsadh" (RSA
                            and dhparam 'auto') */
    const char *cipher;  /* the client's -cipher */
    const char *suites;  /* the client's -ciphersuites */
    const char *version; /* the client's version flag: "-tls1_3", "-tls1_2", "-tls1_1", "" */
} tcase;

#define DEF TP_CIPHERS_NODE_DEFAULT
#define ALLC "ALL:COMPLEMENTOFALL:@SECLEVEL=0"
#define T13 "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256"

static const tcase cases[] = {
    /* TLS 1.3: client order, or the server's */
    {DEF, 0, "TLSv1.2", "TLSv1.3", "rsa", ALLC, T13, ""},
    {DEF, 1, "TLSv1.2", "TLSv1.3", "rsa", ALLC, "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256", ""},
    {DEF, 0, "TLSv1.2", "TLSv1.3", "rsa", ALLC, "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256", ""},
    {"TLS_AES_128_GCM_SHA256:HIGH", 0, "TLSv1.2", "TLSv1.3", "rsa", ALLC, T13, ""},
    {"TLS_AES_128_GCM_SHA256:HIGH", 0, "TLSv1.2", "TLSv1.3", "rsa", ALLC, "TLS_CHACHA20_POLY1305_SHA256", ""},
    /* no TLS_ names: TLS 1.3 stays, with OpenSSL's default suites */
    {"AES128-SHA", 0, "TLSv1.2", "TLSv1.3", "rsa", ALLC, "TLS_AES_128_GCM_SHA256", ""},
    /* TLS 1.2 */
    {DEF, 0, "TLSv1.2", "TLSv1.3", "rsa", "AES128-SHA:ECDHE-RSA-AES256-SHA:ECDHE-RSA-AES128-GCM-SHA256", T13,
     "-tls1_2"},
    {DEF, 1, "TLSv1.2", "TLSv1.3", "rsa", "AES128-SHA:ECDHE-RSA-AES256-SHA:ECDHE-RSA-AES128-GCM-SHA256", T13,
     "-tls1_2"},
    {DEF, 1, "TLSv1.2", "TLSv1.3", "rsa", ALLC, T13, "-tls1_2"},
    {DEF, 0, "TLSv1.2", "TLSv1.3", "ec", ALLC, T13, "-tls1_2"},
    {DEF, 1, "TLSv1.2", "TLSv1.3", "both", ALLC, T13, "-tls1_2"},
    {"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256", 1, "TLSv1.2", "TLSv1.3", "rsa",
     "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256", T13, "-tls1_2"},
    {"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256", 1, "TLSv1.2", "TLSv1.3", "ec",
     "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256", T13, "-tls1_2"},
    {"ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256", 0, "TLSv1.2", "TLSv1.3", "both",
     "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384", T13, "-tls1_2"},
    /* no dhparam: no DHE; no PSK callback: no PSK */
    {"DHE-RSA-AES128-GCM-SHA256:AES128-SHA", 1, "TLSv1.2", "TLSv1.3", "rsa", ALLC, T13, "-tls1_2"},
    {"DHE-RSA-AES128-GCM-SHA256:AES128-SHA", 1, "TLSv1.2", "TLSv1.3", "rsadh", ALLC, T13, "-tls1_2"},
    /* Ed25519 signs ECDHE-ECDSA suites; RSA-PSS signs, but decrypts nothing */
    {DEF, 1, "TLSv1.2", "TLSv1.3", "ed", ALLC, T13, "-tls1_2"},
    {"AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256", 1, "TLSv1.2", "TLSv1.3", "pss", ALLC, T13, "-tls1_2"},
    {"AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256", 1, "TLSv1.2", "TLSv1.3", "rsa", ALLC, T13, "-tls1_2"},
    {"PSK-AES128-CBC-SHA:AES256-SHA", 1, "TLSv1.2", "TLSv1.3", "rsa", ALLC, T13, "-tls1_2"},
    /* the security level: no anonymous or NULL suites at Node's level 1 */
    {"AECDH-AES128-SHA:AES128-SHA", 1, "TLSv1.2", "TLSv1.3", "rsa", ALLC, T13, "-tls1_2"},
    {"AECDH-AES128-SHA:AES128-SHA:@SECLEVEL=0", 1, "TLSv1.2", "TLSv1.3", "rsa", ALLC, T13, "-tls1_2"},
    {"ECDHE-RSA-NULL-SHA:AES128-SHA", 1, "TLSv1.2", "TLSv1.3", "rsa", ALLC, T13, "-tls1_2"},
    {"ECDHE-RSA-NULL-SHA:AES128-SHA:@SECLEVEL=0", 1, "TLSv1.2", "TLSv1.3", "rsa", ALLC, T13, "-tls1_2"},
    {"AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=3", 1, "TLSv1.2", "TLSv1.3", "ec", ALLC, T13, "-tls1_2"},
    /* older versions: suites that need TLS 1.2 are passed over */
    {"ECDHE-RSA-AES128-SHA256:ECDHE-RSA-AES128-SHA:@SECLEVEL=0", 1, "TLSv1", "TLSv1.3", "rsa", ALLC, T13,
     "-tls1_1"},
    {"ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0", 1, "TLSv1", "TLSv1.3", "rsa", ALLC, T13, "-tls1_1"},
    /* a TLS 1.2 suite by its standard name is usable at TLS 1.2 */
    {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0, "TLSv1.2", "TLSv1.2", "rsa", ALLC, T13, "-tls1_2"},
    /* nothing shared */
    {"ECDHE-ECDSA-AES128-GCM-SHA256", 0, "TLSv1.2", "TLSv1.2", "rsa", ALLC, T13, "-tls1_2"},
    {"AES128-SHA", 0, "TLSv1.2", "TLSv1.3", "rsa", "AES256-SHA", T13, "-tls1_2"},
};

#define NCASES (sizeof cases / sizeof cases[0])

/* One line per case: "ok\tSTANDARD_NAME\tPROTOCOL" or "err\tCODE". */
static const char node_script[] =
    "const tls = require('tls'), fs = require('fs'), { spawn } = require('child_process');\n"
    "const [dir, file] = process.argv.slice(2);\n"
    "const pem = (n) => fs.readFileSync(`${dir}/${n}.pem`);\n"
    "const certs = { rsa: [['rsakey'], ['rsa']], ec: [['eckey'], ['ec']], ed: [['edkey'], ['ed']],\n"
    "                pss: [['psskey'], ['pss']], rsadh: [['rsakey'], ['rsa']],\n"
    "                both: [['rsakey', 'eckey'], ['rsa', 'ec']] };\n"
    "function run(c) {\n"
    "  return new Promise((done) => {\n"
    "    const [keys, crts] = certs[c.cert];\n"
    "    let answered = false;\n"
    "    const answer = (line) => { if (!answered) { answered = true; console.log(line); } };\n"
    "    const server = tls.createServer({ key: keys.map(pem), cert: crts.map(pem), ciphers: c.server,\n"
    "      honorCipherOrder: c.honor === '1', minVersion: c.min, maxVersion: c.max,\n"
    "      dhparam: c.cert === 'rsadh' ? 'auto' : undefined }, (s) => {\n"
    "      answer(`ok\\t${s.getCipher().standardName}\\t${s.getProtocol()}`); s.end(); });\n"
    "    server.on('tlsClientError', (e) => answer(`err\\t${e.code}`));\n"
    "    server.listen(0, '127.0.0.1', () => {\n"
    "      const args = ['s_client', '-connect', `127.0.0.1:${server.address().port}`,\n"
    "        '-cipher', c.cipher, '-ciphersuites', c.suites];\n"
    "      if (c.version) args.push(c.version);\n"
    "      const client = spawn('openssl', args, { stdio: ['ignore', 'ignore', 'ignore'] });\n"
    "      client.on('exit', () => setTimeout(() => { answer('err\\tnone'); server.close(); done(); }, 100));\n"
    "    });\n"
    "  });\n"
    "}\n"
    "(async () => {\n"
    "  for (const line of fs.readFileSync(file, 'utf8').split('\\n')) {\n"
    "    if (!line) continue;\n"
    "    const [server, honor, min, max, cert, cipher, suites, version] = line.split('\\t');\n"
    "    await run({ server, honor, min, max, cert, cipher, suites, version });\n"
    "  }\n"
    "})();\n";

static int gnutls_version_of(const char *name)
{
    return strcmp(name, "TLSv1") == 0     ? GNUTLS_TLS1_0
           : strcmp(name, "TLSv1.1") == 0 ? GNUTLS_TLS1_1
           : strcmp(name, "TLSv1.2") == 0 ? GNUTLS_TLS1_2
                                          : GNUTLS_TLS1_3;
}

/* The version a handshake that fails on the suite got to: the highest both
 * allow (the client's flag, the server's maxVersion). */
static int failed_version(const tcase *c)
{
    int client = strcmp(c->version, "-tls1_2") == 0   ? GNUTLS_TLS1_2
                 : strcmp(c->version, "-tls1_1") == 0 ? GNUTLS_TLS1_1
                                                      : GNUTLS_TLS1_3;
    int server = gnutls_version_of(c->max);
    return client < server ? client : server;
}

static unsigned have_for(const char *cert)
{
    unsigned have = TP_HAVE_ECDHE | TP_HAVE_ANON;
    if (strcmp(cert, "rsa") == 0 || strcmp(cert, "both") == 0)
        have |= TP_HAVE_RSA;
    if (strcmp(cert, "ec") == 0 || strcmp(cert, "both") == 0)
        have |= TP_HAVE_ECDSA;
    if (strcmp(cert, "ed") == 0)
        have |= TP_HAVE_EDDSA;
    if (strcmp(cert, "pss") == 0)
        have |= TP_HAVE_RSA_PSS;
    if (strcmp(cert, "rsadh") == 0)
        have |= TP_HAVE_RSA | TP_HAVE_DHE;
    return have;
}

static size_t compared;

static void check_case(const tcase *c, const char *node)
{
    /* What the client offers, in its order (`openssl ciphers -s`, which
     * is what s_client sends less the signalling values). */
    static oracle offer;
    char opts[64];
    snprintf(opts, sizeof opts, "-s %s", c->version);
    oracle_run(&offer, opts, c->suites, c->cipher);
    CHECK(offer.ok, "the client's list \"%s\" fails", c->cipher);
    uint8_t hello[1024];
    for (size_t i = 0; i < offer.n; i++)
        memcpy(hello + 2 * i, offer.ids[i], 2);

    int min = gnutls_version_of(c->min), max = gnutls_version_of(c->max);
    tp_cipher_policy *p = NULL;
    tp_error err = {0};
    CHECK(tp_ciphers_compile(c->server, &min, &max, &p, &err) == TLSPLUG_OK, "%s: %s", c->server,
          tp_error_message(&err));
    tp_error_clear(&err);
    if (!p)
        return;

    char name[128] = "", proto[32] = "";
    uint8_t got[2];
    if (sscanf(node, "ok\t%127s\t%31s", name, proto) == 2) {
        int version = gnutls_version_of(proto);
        int chose = tp_cipher_policy_choose(p, hello, 2 * offer.n, version, c->honor, have_for(c->cert), got);
        /* Node names the suite by its standard name: the policy's must be it. */
        const tp_suite *s = chose ? tp_suite_by_id(got[0], got[1]) : NULL;
        CHECK(s && strcmp(s->iana, name) == 0, "server \"%s\" (honor %d), client \"%s\" %s: Node chose %s at %s, "
              "the policy %s",
              c->server, c->honor, c->cipher, c->version, name, proto, chose ? id_text(got) : "nothing");
        compared++;
    } else if (strncmp(node, "err\tERR_SSL_NO_SHARED_CIPHER", 27) == 0) {
        int chose = tp_cipher_policy_choose(p, hello, 2 * offer.n, failed_version(c), c->honor,
                                            have_for(c->cert), got);
        CHECK(!chose, "server \"%s\", client \"%s\" %s: Node shares no suite, the policy chose %s", c->server,
              c->cipher, c->version, id_text(got));
        compared++;
    } else {
        CHECK(0, "server \"%s\", client \"%s\" %s: Node answered %s", c->server, c->cipher, c->version, node);
    }
    tp_cipher_policy_free(p);
}

static int sh(const char *cmd)
{
    return system(cmd) == 0;
}

int main(void)
{
    char dir[] = "/tmp/tlsplug-choose-XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char cmd[2048], cases_path[256], script_path[256];
    snprintf(cmd, sizeof cmd,
             "cd %s && openssl req -x509 -newkey rsa:2048 -nodes -keyout rsakey.pem -out rsa.pem -subj /CN=localhost "
             "-days 1 2>/dev/null && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
             "-keyout eckey.pem -out ec.pem -subj /CN=localhost -days 1 2>/dev/null && openssl req -x509 "
             "-newkey ed25519 -nodes -keyout edkey.pem -out ed.pem -subj /CN=localhost -days 1 2>/dev/null && "
             "openssl req -x509 -newkey rsa-pss -pkeyopt rsa_keygen_bits:2048 -nodes -keyout psskey.pem "
             "-out pss.pem -subj /CN=localhost -days 1 2>/dev/null",
             dir);
    CHECK(sh(cmd), "cannot make the test certificates");

    snprintf(cases_path, sizeof cases_path, "%s/cases", dir);
    snprintf(script_path, sizeof script_path, "%s/oracle.js", dir);
    FILE *f = fopen(cases_path, "w"), *js = fopen(script_path, "w");
    CHECK(f && js, "cannot write in %s", dir);
    if (!f || !js)
        return 1;
    for (size_t i = 0; i < NCASES; i++)
        fprintf(f, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", cases[i].server, cases[i].honor, cases[i].min,
                cases[i].max, cases[i].cert, cases[i].cipher, cases[i].suites, cases[i].version);
    fclose(f);
    fputs(node_script, js);
    fclose(js);

    snprintf(cmd, sizeof cmd, "node %s %s %s", script_path, dir, cases_path);
    FILE *o = popen(cmd, "r");
    CHECK(o != NULL, "cannot run node");
    size_t done = 0;
    char line[512];
    while (o && done < NCASES && fgets(line, sizeof line, o)) {
        line[strcspn(line, "\n")] = '\0';
        check_case(&cases[done++], line);
    }
    CHECK(o && pclose(o) == 0, "node failed");
    CHECK(done == NCASES, "Node answered %zu of %zu cases", done, NCASES);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    sh(cmd);
    printf("ciphers_choose: %zu of %zu cases compared with Node, %d failure(s)\n", compared, NCASES, failures);
    return failures != 0;
}
