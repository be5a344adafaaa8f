/* Handshakes in TLS 1.2 and TLS 1.3, fed one byte at a time: the version
 * getProtocol() reports, getCipher()'s fields, the secure events (once
 * each, on the right side), `authorized`, and the servername. */
#include <stdio.h>
#include <string.h>

#include "pair.h"

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Node's getCipher() for one side; answers the name. */
static const char *check_cipher(tlsplug_socket *s, const char *who, const char *proto)
{
    const char *name = pt_cipher(s, TLSPLUG_CIPHER_NAME);
    const char *std = pt_cipher(s, TLSPLUG_CIPHER_STANDARD_NAME);
    const char *ver = pt_cipher(s, TLSPLUG_CIPHER_VERSION);
    CHECKF(name && std && ver, "%s: getCipher() incomplete after the handshake", who);
    CHECK_STR(ver, proto);
    CHECKF(starts_with(std, "TLS_"), "%s: standardName \"%s\"", who, std);
    if (strcmp(proto, "TLSv1.3") == 0) {
        /* TLS 1.3 suites have one name: Node's `name` is the IANA name. */
        CHECK_STR(name, std);
        CHECKF(!strstr(std, "_WITH_"), "%s: \"%s\" is not a TLS 1.3 suite", who, std);
    } else {
        /* TLS 1.2: the OpenSSL name ("ECDHE-RSA-AES128-GCM-SHA256"). */
        CHECKF(!starts_with(name, "TLS_") && strchr(name, '-'), "%s: name \"%s\"", who, name);
        CHECKF(strstr(std, "_WITH_"), "%s: \"%s\" is not a TLS 1.2 suite", who, std);
    }
    return name;
}

static void handshake(const char *label, pt_creds client, pt_creds server, const char *proto,
                      const char *kx)
{
    t_case("%s", label);
    pt_pair p;
    pt_pair_new(&p, client, server, 0, t_seed());

    /* Nothing is known before the handshake. */
    CHECK(pt_get(p.c.sock, tlsplug_socket_get_protocol) == NULL);
    CHECK(pt_cipher(p.c.sock, TLSPLUG_CIPHER_NAME) == NULL);
    CHECK(!(t_state(p.c.sock) & (TLSPLUG_STATE_HANDSHAKING | TLSPLUG_STATE_SECURE)));

    pt_pair_start(&p);
    CHECK(t_state(p.c.sock) & TLSPLUG_STATE_HANDSHAKING);
    CHECK(t_state(p.c.sock) & TLSPLUG_STATE_HAS_OUTPUT); /* the ClientHello */
    CHECK(t_state(p.s.sock) & TLSPLUG_STATE_WANT_INPUT);
    CHECK(pt_get(p.s.sock, tlsplug_socket_get_protocol) == NULL);

    pt_run(&p); /* p.frag is byte-at-a-time: every handshake byte is its own feed */
    CHECK_STR(pt_log(&p.c), "secureConnect");
    CHECK_STR(pt_log(&p.s), "secure");
    /* Settled: both wait for input, may write, have nothing to send. */
    for (pt_side *side = &p.c; side; side = side == &p.c ? &p.s : NULL) {
        unsigned f = t_state(side->sock);
        CHECKF((f & (TLSPLUG_STATE_SECURE | TLSPLUG_STATE_WANT_INPUT | TLSPLUG_STATE_WRITABLE)) ==
                       (TLSPLUG_STATE_SECURE | TLSPLUG_STATE_WANT_INPUT | TLSPLUG_STATE_WRITABLE) &&
                   !(f & (TLSPLUG_STATE_HANDSHAKING | TLSPLUG_STATE_HAS_OUTPUT |
                          TLSPLUG_STATE_PAUSED | TLSPLUG_STATE_CLOSED | TLSPLUG_STATE_ERROR)),
               "%s: state 0x%x after the handshake", side->name, f);
    }

    CHECK_STR(pt_get(p.c.sock, tlsplug_socket_get_protocol), proto);
    CHECK_STR(pt_get(p.s.sock, tlsplug_socket_get_protocol), proto);
    char cn[128];
    snprintf(cn, sizeof cn, "%s", check_cipher(p.c.sock, "client", proto));
    const char *sn = check_cipher(p.s.sock, "server", proto);
    CHECK_STR(cn, sn);
    if (kx)
        CHECKF(strncmp(cn, kx, strlen(kx)) == 0, "cipher \"%s\", expected %s key exchange", cn, kx);

    /* The CA-signed localhost certificate with servername "localhost". */
    CHECK(pt_authorized(p.c.sock) == 1);
    CHECK(pt_get(p.c.sock, tlsplug_socket_authorization_error) == NULL);
    /* A server without requestCert authorizes nobody (Node: false). */
    CHECK(pt_authorized(p.s.sock) == 0);
    CHECK_STR(pt_get(p.s.sock, tlsplug_socket_get_servername), "localhost");
    CHECK_STR(pt_get(p.c.sock, tlsplug_socket_get_servername), "localhost");
    int enc = 0;
    CHECK_OK(tlsplug_socket_encrypted(p.c.sock, &enc));
    CHECK(enc == 1);

    /* More pumping raises nothing again (the TLS 1.3 tickets included). */
    p.frag.max_feed = 64;
    pt_run(&p);
    CHECK_STR(pt_log(&p.c), "secureConnect");
    CHECK_STR(pt_log(&p.s), "secure");

    /* And a clean close. */
    CHECK_OK(tlsplug_socket_end(p.c.sock));
    pt_run(&p);
    CHECK_STR(pt_log(&p.c), "secureConnect end close");
    CHECK_STR(pt_log(&p.s), "secure end close");
    CHECK(p.c.close_had_error == 0 && p.s.close_had_error == 0);
    pt_pair_free(&p);
    printf("  %-44s %s %s\n", label, proto, cn);
}

/* Versions that do not overlap: both sides fail, neither hangs. */
static void no_common_version(void)
{
    t_case("client TLSv1.3 only, server TLSv1.2 only");
    pt_pair p;
    pt_creds client = PT_CLIENT, server = PT_SERVER;
    client.min_version = "TLSv1.3";
    server.max_version = "TLSv1.2";
    pt_pair_new(&p, client, server, 0, t_seed());
    pt_pair_start(&p);
    pt_run(&p);
    for (pt_side *side = &p.c; side; side = side == &p.c ? &p.s : NULL) {
        CHECKF(side->counts[TLSPLUG_EV_ERROR] == 1, "%s: %s", side->name, pt_log(side));
        CHECKF(strncmp(side->error_code, "ERR_SSL_", 8) == 0, "%s: error %s", side->name,
               side->error_code);
        CHECK(side->close_had_error == 1);
        CHECK(side->counts[TLSPLUG_EV_SECURE] + side->counts[TLSPLUG_EV_SECURE_CONNECT] == 0);
    }
    printf("  no common version: client %s, server %s\n", p.c.error_code, p.s.error_code);
    pt_pair_free(&p);
}

int main(void)
{
    t_init("pump_handshake", 1);
    pt_creds c = PT_CLIENT, s = PT_SERVER;

    handshake("defaults", c, s, "TLSv1.3", NULL);

    c.max_version = "TLSv1.2";
    handshake("client maxVersion TLSv1.2", c, s, "TLSv1.2", "ECDHE-RSA");
    c = PT_CLIENT;
    s.max_version = "TLSv1.2";
    handshake("server maxVersion TLSv1.2", c, s, "TLSv1.2", "ECDHE-RSA");
    s = PT_SERVER;

    c.min_version = "TLSv1.3";
    handshake("client minVersion TLSv1.3", c, s, "TLSv1.3", NULL);
    c = PT_CLIENT;
    s.min_version = "TLSv1.3";
    handshake("server minVersion TLSv1.3", c, s, "TLSv1.3", NULL);

    pt_creds ec = {.key = "server-ec.key", .cert = "server-ec-chain.pem"};
    handshake("ECDSA server, TLS 1.3", c, ec, "TLSv1.3", NULL);
    ec.max_version = "TLSv1.2";
    handshake("ECDSA server, TLS 1.2", c, ec, "TLSv1.2", "ECDHE-ECDSA");

    no_common_version();
    return t_done();
}
