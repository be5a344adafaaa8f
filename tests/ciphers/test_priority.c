/* ciphers_priority: the GnuTLS side of a policy.
 *
 *   - tp_suite_priority(): for every suite GnuTLS can negotiate, the string
 *     is accepted and enables exactly that suite (GnuTLS's own enumeration
 *     of the priority); and a GnuTLS server given it negotiates exactly
 *     that suite with a GnuTLS client that offers every suite GnuTLS has
 *     (in memory), for each TLS 1.3 suite and each TLS 1.2 one this test
 *     has credentials for (RSA, ECDSA, DSA, DHE, PSK, anonymous: all but
 *     SRP), and at TLS 1.0 and 1.1 for a few;
 *   - its refusals: a suite GnuTLS lacks, a wrong version, a short buffer;
 *   - tp_cipher_policy_tokens(): for a set of strings, the keywords enable
 *     every suite the policy can negotiate (and are "" when it can
 *     negotiate none).
 */
#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ciphers.h"
#include "oracle.h"
#include "suites.h"
#include "suites_table.h"
#include "mem_pipe.h"

#define NSUITES (sizeof tp_suites / sizeof tp_suites[0])
#define COMMON ":+SIGN-ALL:+GROUP-ALL:+COMP-NULL:+CTYPE-X509"

/* ---- what a priority string enables, by GnuTLS's account ---------------- */

/* The ids the priority enables, at most cap; -1 when GnuTLS refuses it. */
static int enabled(const char *prio, uint8_t (*ids)[2], size_t cap)
{
    gnutls_priority_t pc;
    const char *errpos = NULL;
    if (gnutls_priority_init2(&pc, prio, &errpos, 0) < 0) {
        fprintf(stderr, "  GnuTLS refuses \"%s\" at \"%s\"\n", prio, errpos ? errpos : "");
        return -1;
    }
    size_t n = 0;
    unsigned sidx;
    for (unsigned i = 0;; i++) {
        int rc = gnutls_priority_get_cipher_suite_index(pc, i, &sidx);
        if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
            break;
        unsigned char id[2];
        if (rc == 0 && gnutls_cipher_suite_info(sidx, id, NULL, NULL, NULL, NULL) && n < cap) {
            ids[n][0] = id[0];
            ids[n][1] = id[1];
            n++;
        }
    }
    gnutls_priority_deinit(pc);
    return (int)n;
}

/* Versions to try a suite at: those that exist from its first one. */
static int tls13(const tp_suite *s)
{
    return s->id[0] == 0x13;
}

static void test_exactly_one(void)
{
    size_t checked = 0;
    for (size_t i = 0; i < NSUITES; i++) {
        const tp_suite *s = &tp_suites[i];
        int any = 0;
        for (int v = GNUTLS_TLS1_0; v <= GNUTLS_TLS1_3; v++) {
            char prio[TP_SUITE_PRIORITY_MAX];
            if (tp_suite_priority(s->id[0], s->id[1], v, prio, sizeof prio) != TLSPLUG_OK)
                continue;
            any = 1;
            CHECK(tls13(s) == (v == GNUTLS_TLS1_3), "%s: offered at version %d", s->openssl, v);
            uint8_t ids[8][2];
            int n = enabled(prio, ids, 8);
            CHECK(n == 1 && ids[0][0] == s->id[0] && ids[0][1] == s->id[1],
                  "%s: \"%s\" enables %d suites, first %s", s->openssl, prio, n, n > 0 ? id_text(ids[0]) : "-");
            checked++;
        }
        CHECK(any, "%s: no version has a priority for it", s->openssl);
    }
    printf("tp_suite_priority: %zu (suite, version) strings enable exactly their suite\n", checked);
}

static void test_refusals(void)
{
    char buf[TP_SUITE_PRIORITY_MAX];
    /* ARIA: OpenSSL has it, GnuTLS does not (nor the suites table) */
    CHECK(tp_suite_by_id(0xC0, 0x50) == NULL, "the test's ARIA suite is in the table");
    CHECK(tp_suite_priority(0xC0, 0x50, GNUTLS_TLS1_2, buf, sizeof buf) == TLSPLUG_E_INVAL, "ARIA");
    CHECK(tp_suite_priority(0xFF, 0xFF, GNUTLS_TLS1_2, buf, sizeof buf) == TLSPLUG_E_INVAL, "unknown id");
    CHECK(tp_suite_priority(0x00, 0xFF, GNUTLS_TLS1_2, buf, sizeof buf) == TLSPLUG_E_INVAL, "a signalling value");
    CHECK(tp_suite_priority(0xC0, 0x2F, GNUTLS_TLS1_3, buf, sizeof buf) == TLSPLUG_E_INVAL, "1.2 suite at 1.3");
    CHECK(tp_suite_priority(0x13, 0x01, GNUTLS_TLS1_2, buf, sizeof buf) == TLSPLUG_E_INVAL, "1.3 suite at 1.2");
    CHECK(tp_suite_priority(0xC0, 0x2F, GNUTLS_TLS1_1, buf, sizeof buf) == TLSPLUG_E_INVAL, "a GCM suite at 1.1");
    CHECK(tp_suite_priority(0xC0, 0x2F, 0, buf, sizeof buf) == TLSPLUG_E_INVAL, "no version");
    CHECK(tp_suite_priority(0xC0, 0x2F, GNUTLS_TLS1_2, buf, 10) == TLSPLUG_E_BUFSIZE, "short buffer");
}

/* ---- keywords that turn TLS 1.3 off -------------------------------------- */

/* Does GnuTLS turn TLS 1.3 off when this keyword is in a priority string? */
static int keyword_kills_tls13(const char *kw)
{
    char prio[256];
    snprintf(prio, sizeof prio, "NONE:+VERS-TLS1.3:+VERS-TLS1.2:+ECDHE-RSA:+AES-128-GCM:+AEAD:+%s" COMMON, kw);
    gnutls_priority_t pc;
    if (gnutls_priority_init2(&pc, prio, NULL, 0) < 0)
        return 1;
    const unsigned *list;
    int n = gnutls_priority_protocol_list(pc, &list), has13 = 0;
    for (int j = 0; j < n; j++)
        has13 |= list[j] == GNUTLS_TLS1_3;
    gnutls_priority_deinit(pc);
    return !has13;
}

/* Does one of this suite's keywords (GnuTLS's own account of the suite,
 * found by id) turn TLS 1.3 off? */
static int suite_kills_tls13(const uint8_t id[2])
{
    unsigned char sid[2];
    gnutls_kx_algorithm_t kx;
    gnutls_cipher_algorithm_t cipher;
    gnutls_mac_algorithm_t mac;
    for (size_t i = 0; gnutls_cipher_suite_info(i, sid, &kx, &cipher, &mac, NULL); i++)
        if (sid[0] == id[0] && sid[1] == id[1])
            return (kx != GNUTLS_KX_UNKNOWN && keyword_kills_tls13(gnutls_kx_get_name(kx))) ||
                   keyword_kills_tls13(gnutls_cipher_get_name(cipher)) ||
                   keyword_kills_tls13(gnutls_mac_get_name(mac));
    return 0;
}

/* ---- handshakes ----------------------------------------------------------- */

static gnutls_certificate_credentials_t server_cert, client_cert;
static gnutls_psk_server_credentials_t server_psk;
static gnutls_psk_client_credentials_t client_psk;
static gnutls_anon_server_credentials_t server_anon;
static gnutls_anon_client_credentials_t client_anon;
static gnutls_x509_privkey_t keys[3];
static gnutls_x509_crt_t crts[3];
static const unsigned char psk_key[16] = "0123456789abcdef";

static int psk_lookup(gnutls_session_t s, const char *user, gnutls_datum_t *key)
{
    (void)s;
    (void)user;
    key->data = gnutls_malloc(sizeof psk_key);
    if (!key->data)
        return -1;
    memcpy(key->data, psk_key, sizeof psk_key);
    key->size = sizeof psk_key;
    return 0;
}

/* A throwaway self-signed certificate for a fresh key. */
static int make_cert(int i, gnutls_pk_algorithm_t pk, unsigned bits)
{
    time_t now = time(NULL);
    const char *err = NULL;
    return gnutls_x509_privkey_init(&keys[i]) == 0 &&
           gnutls_x509_privkey_generate(keys[i], pk, bits, 0) == 0 && gnutls_x509_crt_init(&crts[i]) == 0 &&
           gnutls_x509_crt_set_version(crts[i], 3) == 0 && gnutls_x509_crt_set_serial(crts[i], "\x01", 1) == 0 &&
           gnutls_x509_crt_set_activation_time(crts[i], now - 3600) == 0 &&
           gnutls_x509_crt_set_expiration_time(crts[i], now + 3600) == 0 &&
           gnutls_x509_crt_set_dn(crts[i], "CN=localhost", &err) == 0 &&
           gnutls_x509_crt_set_key(crts[i], keys[i]) == 0 &&
           gnutls_x509_crt_sign2(crts[i], crts[i], keys[i], GNUTLS_DIG_SHA256, 0) == 0 &&
           gnutls_certificate_set_x509_key(server_cert, &crts[i], 1, keys[i]) == 0;
}

static int make_credentials(void)
{
    gnutls_datum_t user = {(unsigned char *)"user", 4}, key = {(unsigned char *)psk_key, sizeof psk_key};
    (void)user;
    int ok = gnutls_certificate_allocate_credentials(&server_cert) == 0 &&
             gnutls_certificate_allocate_credentials(&client_cert) == 0 &&
             make_cert(0, GNUTLS_PK_RSA, 2048) &&
             make_cert(1, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1)) &&
             make_cert(2, GNUTLS_PK_DSA, 2048) &&
             gnutls_certificate_set_known_dh_params(server_cert, GNUTLS_SEC_PARAM_MEDIUM) == 0 &&
             gnutls_psk_allocate_server_credentials(&server_psk) == 0 &&
             gnutls_psk_set_server_known_dh_params(server_psk, GNUTLS_SEC_PARAM_MEDIUM) == 0 &&
             gnutls_psk_allocate_client_credentials(&client_psk) == 0 &&
             gnutls_psk_set_client_credentials(client_psk, "user", &key, GNUTLS_PSK_KEY_RAW) == 0 &&
             gnutls_anon_allocate_server_credentials(&server_anon) == 0 &&
             gnutls_anon_set_server_known_dh_params(server_anon, GNUTLS_SEC_PARAM_MEDIUM) == 0 &&
             gnutls_anon_allocate_client_credentials(&client_anon) == 0;
    if (ok)
        gnutls_psk_set_server_credentials_function(server_psk, psk_lookup);
    CHECK(ok, "could not make the test credentials");
    return ok;
}

static void free_credentials(void)
{
    gnutls_certificate_free_credentials(server_cert);
    gnutls_certificate_free_credentials(client_cert);
    gnutls_psk_free_server_credentials(server_psk);
    gnutls_psk_free_client_credentials(client_psk);
    gnutls_anon_free_server_credentials(server_anon);
    gnutls_anon_free_client_credentials(client_anon);
    for (int i = 0; i < 3; i++) {
        gnutls_x509_crt_deinit(crts[i]);
        gnutls_x509_privkey_deinit(keys[i]);
    }
}

/* The client offers every key exchange, cipher and MAC this GnuTLS has
 * (its own lists, not tlsplug's table), at every version: client_all.
 * Some keywords turn TLS 1.3 off, so client_13 has all but those, for
 * the suites that need none of them. */
static char client_all[4096], client_13[4096];

static void add_keywords(const char *(*name)(int), const int *list)
{
    for (; *list; list++) {
        const char *n = name(*list);
        char try[128];
        gnutls_priority_t pc;
        /* keep only what a priority string takes (the lists also hold
         * algorithms TLS has no use for) */
        snprintf(try, sizeof try, "NORMAL:+%s", n ? n : "");
        if (!n || gnutls_priority_init2(&pc, try, NULL, 0) < 0)
            continue;
        gnutls_priority_deinit(pc);
        size_t used = strlen(client_all);
        snprintf(client_all + used, sizeof client_all - used, ":+%s", n);
        if (!keyword_kills_tls13(n)) {
            used = strlen(client_13);
            snprintf(client_13 + used, sizeof client_13 - used, ":+%s", n);
        }
    }
}

static const char *kx_name(int a) { return gnutls_kx_get_name((gnutls_kx_algorithm_t)a); }
static const char *cipher_name(int a) { return gnutls_cipher_get_name((gnutls_cipher_algorithm_t)a); }
static const char *mac_name(int a) { return gnutls_mac_get_name((gnutls_mac_algorithm_t)a); }
static const char *sign_name(int a)
{
    static char kw[64];
    const char *n = gnutls_sign_get_name((gnutls_sign_algorithm_t)a);
    snprintf(kw, sizeof kw, "SIGN-%s", n ? n : "");
    return n ? kw : NULL;
}

static void make_client_priority(void)
{
    snprintf(client_all, sizeof client_all, "NONE:+VERS-TLS1.3:+VERS-TLS1.2:+VERS-TLS1.1:+VERS-TLS1.0" COMMON);
    snprintf(client_13, sizeof client_13, "%s", client_all);
    add_keywords(kx_name, (const int *)gnutls_kx_list());
    add_keywords(cipher_name, (const int *)gnutls_cipher_list());
    add_keywords(mac_name, (const int *)gnutls_mac_list());
    add_keywords(cipher_name, (const int[]){GNUTLS_CIPHER_NULL, 0}); /* not in gnutls_cipher_list() */
    add_keywords(sign_name, (const int *)gnutls_sign_list()); /* SIGN-ALL has no DSA */
}

static void open_end(end *e, unsigned flags, const char *prio, pipe_buf *in, pipe_buf *out)
{
    int server = (flags & GNUTLS_SERVER) != 0;
    CHECK(gnutls_init(&e->s, flags | GNUTLS_NONBLOCK) == 0, "gnutls_init");
    CHECK(gnutls_priority_set_direct(e->s, prio, NULL) == 0, "priority %s", prio);
    gnutls_credentials_set(e->s, GNUTLS_CRD_CERTIFICATE, server ? server_cert : client_cert);
    gnutls_credentials_set(e->s, GNUTLS_CRD_PSK, server ? (void *)server_psk : (void *)client_psk);
    gnutls_credentials_set(e->s, GNUTLS_CRD_ANON, server ? (void *)server_anon : (void *)client_anon);
    mem_pipe_attach(e, in, out);
}

/* A handshake: the server pinned by tp_suite_priority(), the client
 * offering everything; both must end on that suite at that version. */
static int negotiates(const tp_suite *want, int version)
{
    char prio[TP_SUITE_PRIORITY_MAX];
    if (tp_suite_priority(want->id[0], want->id[1], version, prio, sizeof prio) != TLSPLUG_OK)
        return 0;
    static pipe_buf c2s, s2c;
    c2s.len = s2c.len = 0;
    end client, server;
    open_end(&client, GNUTLS_CLIENT, suite_kills_tls13(want->id) ? client_all : client_13, &s2c, &c2s);
    open_end(&server, GNUTLS_SERVER, prio, &c2s, &s2c);
    int rc = GNUTLS_E_AGAIN, src = GNUTLS_E_AGAIN;
    for (int round = 0; round < 20 && (rc != 0 || src != 0); round++) {
        if (rc != 0)
            rc = gnutls_handshake(client.s);
        if (src != 0)
            src = gnutls_handshake(server.s);
        if ((rc < 0 && rc != GNUTLS_E_AGAIN) || (src < 0 && src != GNUTLS_E_AGAIN))
            break;
    }
    CHECK(rc == 0 && src == 0, "%s at %s: handshake: client %s, server %s", want->openssl,
          gnutls_protocol_get_name((gnutls_protocol_t)version), gnutls_strerror(rc), gnutls_strerror(src));
    if (rc == 0 && src == 0)
        for (int side = 0; side < 2; side++) {
            gnutls_session_t s = side ? server.s : client.s;
            const tp_suite *got = tp_suite_of_session(s);
            /* by id: the test has its own copy of the suites table */
            CHECK(got && got->id[0] == want->id[0] && got->id[1] == want->id[1] &&
                      gnutls_protocol_get_version(s) == (gnutls_protocol_t)version,
                  "%s at %s: the %s negotiated %s at %s", want->openssl,
                  gnutls_protocol_get_name((gnutls_protocol_t)version), side ? "server" : "client",
                  got ? got->openssl : "nothing", gnutls_protocol_get_name(gnutls_protocol_get_version(s)));
        }
    gnutls_deinit(client.s);
    gnutls_deinit(server.s);
    return rc == 0 && src == 0;
}

/* Credentials this test has: no SRP. */
static int have_credentials(const tp_suite *s)
{
    return strstr(s->iana, "_SRP_") == NULL;
}

static void test_handshakes(void)
{
    if (!make_credentials())
        return;
    make_client_priority();
    size_t ok = 0, tried = 0, skipped = 0;
    for (size_t i = 0; i < NSUITES; i++) {
        const tp_suite *s = &tp_suites[i];
        if (!have_credentials(s)) {
            skipped++;
            continue;
        }
        tried++;
        ok += negotiates(s, tls13(s) ? GNUTLS_TLS1_3 : GNUTLS_TLS1_2);
    }
    /* Older versions, for suites that have them. */
    static const struct {
        uint8_t id[2];
        int version;
    } old[] = {{{0x00, 0x2F}, GNUTLS_TLS1_0},
               {{0xC0, 0x13}, GNUTLS_TLS1_1},
               {{0x00, 0x33}, GNUTLS_TLS1_0},
               {{0xC0, 0x09}, GNUTLS_TLS1_1},
               {{0x00, 0x8C}, GNUTLS_TLS1_0}};
    for (size_t i = 0; i < sizeof old / sizeof old[0]; i++) {
        const tp_suite *s = tp_suite_by_id(old[i].id[0], old[i].id[1]);
        CHECK(s != NULL, "0x%02X,0x%02X not in the table", old[i].id[0], old[i].id[1]);
        tried++;
        ok += s && negotiates(s, old[i].version);
    }
    printf("handshakes: %zu of %zu negotiated exactly their suite (%zu SRP suites need credentials this "
           "test lacks)\n",
           ok, tried, skipped);
    CHECK(ok == tried && tried > 100, "only %zu of %zu", ok, tried);
    free_credentials();
}

/* ---- tokens --------------------------------------------------------------- */

/* With versions `vers`, do the tokens enable the policy's suites (those
 * usable at these versions, less those whose key exchange would turn TLS
 * 1.3 off when it is on), and keep TLS 1.3 when asked to? */
static void check_tokens(const char *s, const tp_cipher_policy *p, int tls13)
{
    const char *tokens = tp_cipher_policy_tokens(p, tls13);
    const char *vers = tls13 ? "+VERS-TLS1.3:+VERS-TLS1.2:+VERS-TLS1.1:+VERS-TLS1.0"
                             : "+VERS-TLS1.2:+VERS-TLS1.1:+VERS-TLS1.0";
    /* The suites the keywords must cover: with TLS 1.3 on, all it can
     * negotiate but those with a keyword that turns TLS 1.3 off; with it
     * off, all it can negotiate below 1.3. */
    size_t want = 0, n = tp_cipher_policy_count(p, 0);
    int any13 = 0;
    for (size_t j = 0; j < n; j++) {
        uint8_t id[2];
        tp_cipher_policy_id(p, 0, j, id);
        want += tls13 ? !suite_kills_tls13(id) : id[0] != 0x13;
        any13 |= id[0] == 0x13;
    }
    CHECK((want == 0) == (tokens[0] == '\0'), "\"%s\": %zu suites, tokens \"%s\"", s, want, tokens);
    if (!want)
        return;
    char prio[4096];
    snprintf(prio, sizeof prio, "NONE:%s:%s" COMMON, vers, tokens);
    static uint8_t ids[512][2];
    int got = enabled(prio, ids, 512);
    CHECK(got > 0, "\"%s\": GnuTLS refuses %s", s, prio);
    for (size_t j = 0; j < n; j++) {
        uint8_t id[2];
        tp_cipher_policy_id(p, 0, j, id);
        if (tls13 ? suite_kills_tls13(id) : id[0] == 0x13)
            continue;
        int found = 0;
        for (int k = 0; k < got; k++)
            found |= ids[k][0] == id[0] && ids[k][1] == id[1];
        CHECK(found, "\"%s\": %s not enabled by %s", s, id_text(id), prio);
    }
    if (tls13 && any13) {
        gnutls_priority_t pc;
        const unsigned *list;
        int has13 = 0;
        if (gnutls_priority_init2(&pc, prio, NULL, 0) == 0) {
            int nv = gnutls_priority_protocol_list(pc, &list);
            for (int k = 0; k < nv; k++)
                has13 |= list[k] == GNUTLS_TLS1_3;
            gnutls_priority_deinit(pc);
        }
        CHECK(has13, "\"%s\": the tokens turn TLS 1.3 off: %s", s, tokens);
    }
    printf("tokens(%d) for \"%.40s\": %zu suites to enable, GnuTLS enables %d\n", tls13, s, want, got);
}

static void test_tokens(void)
{
    static const char *const strings[] = {
        TP_CIPHERS_NODE_DEFAULT, "HIGH", "ALL:COMPLEMENTOFALL:@SECLEVEL=0", "ECDHE-RSA-AES128-GCM-SHA256",
        "TLS_AES_128_CCM_8_SHA256:PSK", "kRSA:-AESGCM:CAMELLIA", "aNULL:eNULL",
        "aNULL:eNULL:@SECLEVEL=0", "TLS_CHACHA20_POLY1305_SHA256:ARIA", "ARIA", "SRP:RSAPSK"};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
        tp_cipher_policy *p = NULL;
        tp_error err = {0};
        CHECK(tp_ciphers_compile(strings[i], NULL, NULL, &p, &err) == TLSPLUG_OK, "%s: %s", strings[i],
              tp_error_message(&err));
        tp_error_clear(&err);
        if (!p)
            continue;
        check_tokens(strings[i], p, 0);
        check_tokens(strings[i], p, 1);
        tp_cipher_policy_free(p);
    }
}

int main(void)
{
    if (gnutls_global_init() < 0) {
        fprintf(stderr, "gnutls_global_init failed\n");
        return 1;
    }
    test_exactly_one();
    test_refusals();
    test_handshakes();
    test_tokens();
    gnutls_global_deinit();
    printf("ciphers_priority: %d failure(s)\n", failures);
    return failures != 0;
}
