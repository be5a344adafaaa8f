/* Unit test of the cipher suite table (src/policy/suites_table.h) and src/policy/suites.c.
 *
 * Checks known ids, the table's order and lookups, that every OpenSSL name
 * in it is one `openssl ciphers` accepts for that id (one openssl run for
 * the whole table), and that tp_suite_of_session() names the suite two
 * GnuTLS sessions really negotiate, in memory, for TLS 1.3 and 1.2.
 */
#define _POSIX_C_SOURCE 200809L /* popen, pclose */

#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "suites.h"
#include "suites_table.h"
#include "mem_pipe.h"

#define NSUITES (sizeof tp_suites / sizeof tp_suites[0])

static int failures;

#define CHECK(cond, ...)                                              \
    do {                                                              \
        if (!(cond)) {                                                \
            failures++;                                               \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                             \
            fputc('\n', stderr);                                      \
        }                                                             \
    } while (0)

static int streq(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* suites_table.h defines a static array, so this file has its own copy of
 * the table: entries are compared by content, never by address. */
static int same_suite(const tp_suite *x, const tp_suite *y)
{
    if (x == NULL || y == NULL)
        return x == y;
    return x->id[0] == y->id[0] && x->id[1] == y->id[1] && streq(x->openssl, y->openssl) &&
           streq(x->iana, y->iana);
}

/* This file's copy of the entry with this id (linear: the test's own way). */
static long table_index(unsigned a, unsigned b)
{
    for (size_t i = 0; i < NSUITES; i++)
        if (tp_suites[i].id[0] == a && tp_suites[i].id[1] == b)
            return (long)i;
    return -1;
}

/* ---- the table ----------------------------------------------------------- */

static void expect_suite(uint8_t a, uint8_t b, const char *openssl, const char *iana)
{
    const tp_suite *s = tp_suite_by_id(a, b);
    CHECK(s != NULL, "0x%02X,0x%02X not found", a, b);
    if (s == NULL)
        return;
    CHECK(s->id[0] == a && s->id[1] == b, "0x%02X,0x%02X answered another id", a, b);
    CHECK(streq(s->openssl, openssl), "0x%02X,0x%02X openssl name %s", a, b, s->openssl);
    CHECK(streq(s->iana, iana), "0x%02X,0x%02X iana name %s", a, b, s->iana);
}

static void test_known_ids(void)
{
    expect_suite(0x13, 0x01, "TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256");
    expect_suite(0x13, 0x03, "TLS_CHACHA20_POLY1305_SHA256", "TLS_CHACHA20_POLY1305_SHA256");
    expect_suite(0xC0, 0x2F, "ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    expect_suite(0xC0, 0x2C, "ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384");
    expect_suite(0x00, 0x2F, "AES128-SHA", "TLS_RSA_WITH_AES_128_CBC_SHA");
    expect_suite(0xCC, 0xA8, "ECDHE-RSA-CHACHA20-POLY1305",
                 "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
    /* Unknown to both, or to OpenSSL only (RSA 3DES, GOST): no entry. */
    CHECK(tp_suite_by_id(0x00, 0x00) == NULL, "0x00,0x00 found");
    CHECK(tp_suite_by_id(0xFF, 0xFF) == NULL, "0xFF,0xFF found");
    CHECK(tp_suite_by_id(0x13, 0x06) == NULL, "0x13,0x06 found");
    CHECK(tp_suite_by_id(0x00, 0x0A) == NULL, "RSA 3DES (unknown to OpenSSL 3) found");
}

static void test_table_shape(void)
{
    CHECK(NSUITES > 100, "only %zu suites", NSUITES);
    for (size_t i = 0; i < NSUITES; i++) {
        const tp_suite *s = &tp_suites[i];
        if (i > 0) {
            unsigned prev = (unsigned)tp_suites[i - 1].id[0] << 8 | tp_suites[i - 1].id[1];
            unsigned cur = (unsigned)s->id[0] << 8 | s->id[1];
            CHECK(prev < cur, "entry %zu is out of order", i);
        }
        CHECK(same_suite(tp_suite_by_id(s->id[0], s->id[1]), s), "entry %zu (%s) not found by id", i,
              s->iana);
        CHECK(s->openssl && s->openssl[0] && s->iana && strncmp(s->iana, "TLS_", 4) == 0,
              "entry %zu has a bad name", i);
        if (s->id[0] == 0x13) /* TLS 1.3: Node's name is the IANA one */
            CHECK(streq(s->openssl, s->iana), "%s: 1.3 names differ", s->iana);
    }
}

/* tp_suite_of_session() relies on (kx, cipher, MAC) naming one pre-1.3 suite
 * and on no suite having the null MAC; check both against this GnuTLS. */
static void test_gnutls_list_is_unambiguous(void)
{
    enum { MAXS = 512 };
    static struct { int kx, cipher, mac; unsigned char id[2]; } seen[MAXS];
    size_t n = 0;
    unsigned char id[2];
    gnutls_kx_algorithm_t kx;
    gnutls_cipher_algorithm_t cipher;
    gnutls_mac_algorithm_t mac;
    gnutls_protocol_t minver;
    for (size_t i = 0; i < MAXS && gnutls_cipher_suite_info(i, id, &kx, &cipher, &mac, &minver); i++) {
        CHECK(mac != GNUTLS_MAC_NULL, "suite 0x%02X,0x%02X has the null MAC", id[0], id[1]);
        if (kx == GNUTLS_KX_UNKNOWN)
            continue; /* TLS 1.3: matched by cipher alone, checked below */
        for (size_t j = 0; j < n; j++)
            CHECK(!(seen[j].kx == (int)kx && seen[j].cipher == (int)cipher && seen[j].mac == (int)mac),
                  "0x%02X,0x%02X and 0x%02X,0x%02X share kx, cipher and MAC", id[0], id[1],
                  seen[j].id[0], seen[j].id[1]);
        seen[n].kx = (int)kx;
        seen[n].cipher = (int)cipher;
        seen[n].mac = (int)mac;
        memcpy(seen[n].id, id, 2);
        n++;
    }
    CHECK(n > 100, "GnuTLS listed only %zu pre-1.3 suites", n);
}

/* ---- every name is OpenSSL's --------------------------------------------- */

/* One `openssl ciphers -V -stdname` run over every name in the table (TLS
 * 1.3 ones through -ciphersuites); OpenSSL silently drops names it does not
 * know, so each entry must come back with its id and both names. */
static void test_openssl_accepts_names(void)
{
    size_t cap = 64 * NSUITES + 256, used = 0;
    char *cmd = malloc(cap);
    CHECK(cmd != NULL, "out of memory");
    if (cmd == NULL)
        return;
    used += (size_t)snprintf(cmd, cap, "openssl ciphers -V -stdname -ciphersuites '");
    for (int pass = 0; pass < 2; pass++) { /* 0: TLS 1.3 list, 1: the rest */
        int first = 1;
        for (size_t i = 0; i < NSUITES; i++) {
            if ((tp_suites[i].id[0] == 0x13) != (pass == 0))
                continue;
            used += (size_t)snprintf(cmd + used, cap - used, "%s%s", first ? "" : ":", tp_suites[i].openssl);
            first = 0;
        }
        used += (size_t)snprintf(cmd + used, cap - used, pass == 0 ? "' '" : ":@SECLEVEL=0' 2>&1");
    }
    CHECK(used < cap, "command truncated");

    static int found[sizeof tp_suites / sizeof tp_suites[0]];
    FILE *p = popen(cmd, "r");
    CHECK(p != NULL, "cannot run openssl");
    char line[512];
    size_t lines = 0;
    while (p && lines < 4 * NSUITES && fgets(line, sizeof line, p)) {
        lines++;
        unsigned a, b;
        char iana[128], ossl[128];
        if (sscanf(line, " 0x%2x,0x%2x - %127s - %127s", &a, &b, iana, ossl) != 4) {
            CHECK(0, "unexpected openssl output: %s", line);
            continue;
        }
        long at = table_index(a, b);
        CHECK(at >= 0, "openssl answered 0x%02X,0x%02X, not in the table", a, b);
        if (at < 0)
            continue;
        const tp_suite *s = &tp_suites[at];
        CHECK(streq(s->openssl, ossl) && streq(s->iana, iana), "0x%02X,0x%02X: openssl says %s / %s",
              a, b, ossl, iana);
        found[at] = 1;
    }
    CHECK(p == NULL || pclose(p) == 0, "openssl ciphers failed: %s", cmd);
    for (size_t i = 0; i < NSUITES; i++)
        CHECK(found[i], "openssl does not accept %s (0x%02X,0x%02X)", tp_suites[i].openssl,
              tp_suites[i].id[0], tp_suites[i].id[1]);
    free(cmd);
}

/* ---- the suite of a real session ----------------------------------------- */

static gnutls_certificate_credentials_t server_cred, client_cred;
static gnutls_x509_privkey_t key;
static gnutls_x509_crt_t crt;

/* A throwaway self-signed ECDSA P-256 certificate: quick to make, and it
 * signs for both TLS 1.3 and the ECDHE-ECDSA suites of 1.2. */
static int make_credentials(void)
{
    time_t now = time(NULL);
    const char *err = NULL;
    int ok = gnutls_x509_privkey_init(&key) == 0 &&
             gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
                                          GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) == 0 &&
             gnutls_x509_crt_init(&crt) == 0 && gnutls_x509_crt_set_version(crt, 3) == 0 &&
             gnutls_x509_crt_set_serial(crt, "\x01", 1) == 0 &&
             gnutls_x509_crt_set_activation_time(crt, now - 3600) == 0 &&
             gnutls_x509_crt_set_expiration_time(crt, now + 3600) == 0 &&
             gnutls_x509_crt_set_dn(crt, "CN=localhost", &err) == 0 &&
             gnutls_x509_crt_set_key(crt, key) == 0 &&
             gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0) == 0 &&
             gnutls_certificate_allocate_credentials(&server_cred) == 0 &&
             gnutls_certificate_set_x509_key(server_cred, &crt, 1, key) == 0 &&
             gnutls_certificate_allocate_credentials(&client_cred) == 0;
    CHECK(ok, "could not make a test certificate");
    return ok;
}

static void free_credentials(void)
{
    if (server_cred)
        gnutls_certificate_free_credentials(server_cred);
    if (client_cred)
        gnutls_certificate_free_credentials(client_cred);
    if (crt)
        gnutls_x509_crt_deinit(crt);
    if (key)
        gnutls_x509_privkey_deinit(key);
}

static void open_end(end *e, unsigned flags, const char *prio, pipe_buf *in, pipe_buf *out)
{
    CHECK(gnutls_init(&e->s, flags | GNUTLS_NONBLOCK) == 0, "gnutls_init");
    CHECK(gnutls_priority_set_direct(e->s, prio, NULL) == 0, "priority %s", prio);
    CHECK(gnutls_credentials_set(e->s, GNUTLS_CRD_CERTIFICATE,
                                 (flags & GNUTLS_SERVER) ? server_cred : client_cred) == 0,
          "credentials");
    mem_pipe_attach(e, in, out);
}

/* Handshake with a priority that allows exactly one suite, and check both
 * ends report it, before (NULL), during (NULL or it) and after. */
static void expect_negotiated(const char *prio, uint8_t a, uint8_t b)
{
    static pipe_buf c2s, s2c;
    c2s.len = s2c.len = 0;
    end client, server;
    open_end(&client, GNUTLS_CLIENT, prio, &s2c, &c2s);
    open_end(&server, GNUTLS_SERVER, prio, &c2s, &s2c);
    const tp_suite *want = tp_suite_by_id(a, b);
    CHECK(want != NULL, "0x%02X,0x%02X is not in the table", a, b);
    CHECK(tp_suite_of_session(client.s) == NULL, "%s: a suite before the handshake", prio);

    int rc = GNUTLS_E_AGAIN, src = GNUTLS_E_AGAIN;
    for (int round = 0; round < 20 && (rc != 0 || src != 0); round++) {
        if (rc != 0)
            rc = gnutls_handshake(client.s);
        if (src != 0)
            src = gnutls_handshake(server.s);
        const tp_suite *mid = tp_suite_of_session(client.s);
        CHECK(mid == NULL || same_suite(mid, want), "%s: %s mid-handshake", prio, mid ? mid->iana : "");
        if ((rc < 0 && rc != GNUTLS_E_AGAIN) || (src < 0 && src != GNUTLS_E_AGAIN))
            break;
    }
    CHECK(rc == 0 && src == 0, "%s: handshake: client %s, server %s", prio, gnutls_strerror(rc),
          gnutls_strerror(src));
    if (rc == 0 && src == 0) {
        for (int side = 0; side < 2; side++) {
            gnutls_session_t s = side ? server.s : client.s;
            const tp_suite *got = tp_suite_of_session(s);
            CHECK(got != NULL && same_suite(got, want), "%s: %s side answered %s, want 0x%02X,0x%02X", prio,
                  side ? "server" : "client", got ? got->iana : "NULL", a, b);
            /* GnuTLS's own IANA-style name must agree with the table's. */
            CHECK(got == NULL || streq(got->iana, gnutls_ciphersuite_get(s)), "%s: table %s, GnuTLS %s",
                  prio, got ? got->iana : "", gnutls_ciphersuite_get(s));
        }
    }
    gnutls_deinit(client.s);
    gnutls_deinit(server.s);
}

#define COMMON ":+SIGN-ALL:+GROUP-ALL:+COMP-NULL:+CTYPE-X509"
#define V13(cipher) "NONE:+VERS-TLS1.3:+" cipher ":+AEAD" COMMON
#define V12(cipher, mac) "NONE:+VERS-TLS1.2:+ECDHE-ECDSA:+" cipher ":+" mac COMMON

static void test_session_suites(void)
{
    CHECK(tp_suite_of_session(NULL) == NULL, "NULL session");
    if (!make_credentials())
        return;
    expect_negotiated(V13("AES-128-GCM"), 0x13, 0x01);
    expect_negotiated(V13("AES-256-GCM"), 0x13, 0x02);
    expect_negotiated(V13("CHACHA20-POLY1305"), 0x13, 0x03);
    expect_negotiated(V13("AES-128-CCM"), 0x13, 0x04);
    expect_negotiated(V13("AES-128-CCM-8"), 0x13, 0x05);
    expect_negotiated(V12("AES-128-GCM", "AEAD"), 0xC0, 0x2B);
    expect_negotiated(V12("AES-256-GCM", "AEAD"), 0xC0, 0x2C);
    expect_negotiated(V12("CHACHA20-POLY1305", "AEAD"), 0xCC, 0xA9);
    expect_negotiated(V12("AES-128-CBC", "SHA1"), 0xC0, 0x09);
    expect_negotiated(V12("AES-256-CBC", "SHA384"), 0xC0, 0x24);
    expect_negotiated(V12("AES-128-CCM", "AEAD"), 0xC0, 0xAC);
    /* The null cipher, which is also what the record layer runs before
     * the keys are in place. */
    expect_negotiated(V12("NULL", "SHA1"), 0xC0, 0x06);
    free_credentials();
}

int main(void)
{
    if (gnutls_global_init() < 0) {
        fprintf(stderr, "gnutls_global_init failed\n");
        return 1;
    }
    test_known_ids();
    test_table_shape();
    test_gnutls_list_is_unambiguous();
    test_openssl_accepts_names();
    test_session_suites();
    gnutls_global_deinit();
    if (failures) {
        fprintf(stderr, "test_suites: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_suites: %zu suites, all checks passed\n", NSUITES);
    return 0;
}
