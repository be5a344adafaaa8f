/* Node's `sigalgs` and getSharedSigalgs(), and the schemes a handshake was
 * signed with: OpenSSL's list syntax is taken and refused as OpenSSL
 * does; a server limited to one scheme signs with it and the client sees
 * it; both ends' shared lists; no scheme in common fails as Node's. */
#include <string.h>

#include "pair.h"

static void lists(void)
{
    t_case("sigalgs: OpenSSL's item forms taken, bad lists refused");
    static const char *good[] = {"rsa_pss_rsae_sha256", "RSA-PSS+SHA384", "PSS+SHA512",
                                 "RSA+sha256", "ECDSA+SHA256:ecdsa_secp384r1_sha384",
                                 " ed25519 : ed448 ", "rsa_pss_pss_sha256:RSA-PSS+SHA256",
                                 "DSA+SHA1:ECDSA+SHA224:rsa_pkcs1_sha1"};
    static const char *bad[] = {"",           "bogus",        "RSA+SHA256:",  "rsa+sha256",
                                "RSA+MD5",    "ecdsa_sha1",   "Ed25519",      ":",
                                "RSA+SHA256:RSA+SHA256", "RSA-PSS+SHA256:rsa_pss_rsae_sha256"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        tlsplug_context *ctx;
        CHECK_OK(tlsplug_context_new(&ctx));
        CHECKF(tlsplug_context_set_sigalgs(ctx, good[i]) == TLSPLUG_OK, "\"%s\": %s", good[i],
               t_error_code(ctx));
        CHECK_OK(tlsplug_context_free(ctx));
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        tlsplug_context *ctx;
        CHECK_OK(tlsplug_context_new(&ctx));
        CHECKF(tlsplug_context_set_sigalgs(ctx, bad[i]) == TLSPLUG_E_INVAL, "\"%s\" taken", bad[i]);
        CHECK_STR(t_error_code(ctx), "ERR_INVALID_ARG_VALUE");
        CHECK_OK(tlsplug_context_free(ctx));
    }
    CHECK_RC(tlsplug_context_set_sigalgs(NULL, "RSA+SHA256"), TLSPLUG_E_BADHANDLE);
}

static void limited_pair(pt_pair *p, const char *version, pt_creds server, const char *csig,
                         const char *ssig, int request_cert)
{
    pt_creds client = PT_CLIENT;
    client.max_version = server.max_version = version;
    if (request_cert) {
        client.key = "client.key", client.cert = "client-chain.pem";
        server.ca = "ca.pem";
    }
    tlsplug_context *cctx = pt_context(client), *sctx = pt_context(server);
    if (csig)
        CHECK_OK(tlsplug_context_set_sigalgs(cctx, csig));
    if (ssig)
        CHECK_OK(tlsplug_context_set_sigalgs(sctx, ssig));
    pt_pair_init(p, cctx, sctx, 0, t_seed());
    CHECK_OK(tlsplug_context_free(cctx));
    CHECK_OK(tlsplug_context_free(sctx));
    if (request_cert)
        CHECK_OK(tlsplug_socket_set_request_cert(p->s.sock, 1));
}

/* A server allowed one scheme signs with it; the client names it so. */
static void server_signs_with(const char *version, pt_creds server, const char *ssig,
                              const char *scheme)
{
    t_case("%s server sigalgs %s: signs with %s", version, ssig, scheme);
    pt_pair p;
    limited_pair(&p, version, server, NULL, ssig, 0);
    CHECK(pt_get(p.c.sock, tlsplug_socket_get_peer_signature_algorithm) == NULL);
    CHECK_STR(pt_get(p.c.sock, tlsplug_socket_get_shared_sigalgs), "[]"); /* Node's [] */
    pt_handshake(&p);
    CHECK_STR(pt_get(p.c.sock, tlsplug_socket_get_protocol), version);
    CHECK_STR(pt_get(p.s.sock, tlsplug_socket_get_signature_algorithm), scheme);
    CHECK_STR(pt_get(p.c.sock, tlsplug_socket_get_peer_signature_algorithm), scheme);
    /* No client certificate: the client signed nothing and, asked for
     * none, shares no list (Node's []). */
    CHECK(pt_get(p.c.sock, tlsplug_socket_get_signature_algorithm) == NULL);
    CHECK(pt_get(p.s.sock, tlsplug_socket_get_peer_signature_algorithm) == NULL);
    CHECK_STR(pt_get(p.c.sock, tlsplug_socket_get_shared_sigalgs), "[]");
    CHECK_OK(tlsplug_socket_destroy(p.c.sock, NULL, NULL));
    CHECK(pt_get(p.c.sock, tlsplug_socket_get_shared_sigalgs) == NULL); /* Node's null */
    pt_pair_free(&p);
}

static void shared_lists(const char *version)
{
    t_case("%s: both ends' shared lists, in the peer's order", version);
    pt_pair p;
    limited_pair(&p, version, PT_SERVER, "ECDSA+SHA256:RSA-PSS+SHA512:rsa_pss_rsae_sha256",
                 "rsa_pss_rsae_sha256:RSA+SHA256:RSA-PSS+SHA512", 1);
    pt_handshake(&p);
    CHECK_STR(pt_get(p.s.sock, tlsplug_socket_get_shared_sigalgs),
              "[\"RSA-PSS+SHA512\",\"RSA-PSS+SHA256\"]");
    CHECK_STR(pt_get(p.c.sock, tlsplug_socket_get_shared_sigalgs),
              "[\"RSA-PSS+SHA256\",\"RSA-PSS+SHA512\"]");
    /* The client's certificate signed with a scheme both allow. */
    const char *c = pt_get(p.c.sock, tlsplug_socket_get_signature_algorithm);
    CHECKF(c && (!strcmp(c, "rsa_pss_rsae_sha256") || !strcmp(c, "rsa_pss_rsae_sha512")), "%s",
           c ? c : "(none)");
    CHECK_STR(pt_get(p.s.sock, tlsplug_socket_get_peer_signature_algorithm), c);
    pt_pair_free(&p);
}

static void nothing_shared(const char *version)
{
    t_case("%s: no scheme in common", version);
    pt_pair p;
    limited_pair(&p, version, PT_SERVER, "RSA-PSS+SHA384", "ECDSA+SHA256", 0);
    pt_pair_start(&p);
    pt_run(&p);
    pt_expect_fatal(&p.s, TLSPLUG_E_TLS, "ERR_SSL_NO_SHARED_SIGNATURE_ALGORITHMS");
    pt_expect_fatal(&p.c, TLSPLUG_E_TLS, "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE");
    pt_pair_free(&p);
}

/* The latest session blob a client's SESSION event carried. */
typedef struct session_blob {
    uint8_t data[8192];
    size_t len;
} session_blob;

static void on_session(uintptr_t ud, void *src, int ev, void *subject, const uint8_t *d,
                       size_t n)
{
    (void)src, (void)ev, (void)subject;
    session_blob *b = (session_blob *)ud;
    CHECK(n <= sizeof b->data);
    if (n <= sizeof b->data)
        memcpy(b->data, d, n), b->len = n;
}

/* A resumed handshake is signed by neither end, as OpenSSL reports it. */
static void resumed(const char *version)
{
    t_case("%s: a resumed session names no signature scheme", version);
    pt_creds server = PT_SERVER;
    server.max_version = version;
    tlsplug_context *cctx = pt_context(PT_CLIENT), *sctx = pt_context(server);
    session_blob blob = {.len = 0};
    for (int round = 0; round < 2; round++) {
        pt_pair p;
        pt_pair_init(&p, cctx, sctx, 1, t_seed() + (uint64_t)round);
        CHECK_OK(tlsplug_socket_on(p.c.sock, TLSPLUG_EV_SESSION, on_session, (uintptr_t)&blob));
        if (round == 1)
            CHECK_OK(tlsplug_socket_set_session(p.c.sock, blob.data, blob.len));
        pt_handshake(&p);
        pt_write(&p, &p.s, 100); /* lets a TLS 1.3 ticket in */
        pt_write(&p, &p.c, 100);
        pt_run(&p);
        int reused = -1;
        CHECK_OK(tlsplug_socket_is_session_reused(p.c.sock, &reused));
        CHECK(reused == round);
        const char *seen = pt_get(p.c.sock, tlsplug_socket_get_peer_signature_algorithm);
        const char *signed_with = pt_get(p.s.sock, tlsplug_socket_get_signature_algorithm);
        if (round == 0) {
            CHECK(seen != NULL);
            CHECK_STR(signed_with, seen);
        } else {
            CHECKF(seen == NULL, "resumed, yet the client names %s", seen);
            CHECKF(signed_with == NULL, "resumed, yet the server names %s", signed_with);
        }
        pt_pair_free(&p);
    }
    CHECK_OK(tlsplug_context_free(cctx));
    CHECK_OK(tlsplug_context_free(sctx));
}

/* With a native GnuTLS priority, `sigalgs` still decides the signature. */
static void native_priority(void)
{
    t_case("priority NORMAL plus sigalgs: the sigalgs scheme signs");
    pt_creds server = PT_SERVER;
    tlsplug_context *cctx = pt_context(PT_CLIENT), *sctx = pt_context(server);
    CHECK_OK(tlsplug_context_set_priority(sctx, "NORMAL"));
    CHECK_OK(tlsplug_context_set_sigalgs(sctx, "rsa_pss_rsae_sha512"));
    pt_pair p;
    pt_pair_init(&p, cctx, sctx, 0, t_seed());
    CHECK_OK(tlsplug_context_free(cctx));
    CHECK_OK(tlsplug_context_free(sctx));
    pt_handshake(&p);
    CHECK_STR(pt_get(p.c.sock, tlsplug_socket_get_peer_signature_algorithm), "rsa_pss_rsae_sha512");
    pt_pair_free(&p);
}

int main(void)
{
    t_init("pump_sigalgs", 17);
    lists();
    pt_creds ec = {.key = "server-ec.key", .cert = "server-ec-chain.pem"};
    server_signs_with("TLSv1.3", PT_SERVER, "rsa_pss_rsae_sha384", "rsa_pss_rsae_sha384");
    server_signs_with("TLSv1.2", PT_SERVER, "RSA+SHA512", "rsa_pkcs1_sha512");
    server_signs_with("TLSv1.3", ec, "ECDSA+SHA256", "ecdsa_secp256r1_sha256");
    /* TLS 1.2 lets P-256 sign with SHA-384: the scheme keeps its TLS name. */
    server_signs_with("TLSv1.2", ec, "ECDSA+SHA384", "ecdsa_secp384r1_sha384");
    shared_lists("TLSv1.3");
    shared_lists("TLSv1.2");
    nothing_shared("TLSv1.3");
    nothing_shared("TLSv1.2");
    resumed("TLSv1.3");
    resumed("TLSv1.2");
    native_priority();
    return t_done();
}
