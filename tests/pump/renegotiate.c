/* Renegotiation, in memory: renegotiate() from the client and from the
 * server (asking for a client certificate), Node's client-initiated limit
 * (CLIENT_RENEG_LIMIT per CLIENT_RENEG_WINDOW, ERR_TLS_SESSION_ATTACK),
 * disableRenegotiation(), and TLS 1.3's post-handshake authentication. Data keeps flowing across
 * every renegotiation. */
#include <stdio.h>
#include <string.h>

#include "pair.h"

static int renegotiated[2]; /* [0] client, [1] server */

static void on_renegotiated(uintptr_t ud, void *src, int ev, void *subj, const uint8_t *d,
                            size_t n)
{
    (void)src, (void)ev, (void)subj, (void)d, (void)n;
    renegotiated[ud]++;
}

static void tls12_pair(pt_pair *p, pt_creds client, pt_creds server)
{
    server.min_version = server.max_version = "TLSv1.2";
    pt_pair_new(p, client, server, 0, t_seed());
    memset(renegotiated, 0, sizeof renegotiated);
    CHECK_OK(tlsplug_socket_on(p->c.sock, TLSPLUG_EV_RENEGOTIATED, on_renegotiated, 0));
    CHECK_OK(tlsplug_socket_on(p->s.sock, TLSPLUG_EV_RENEGOTIATED, on_renegotiated, 1));
    pt_handshake(p);
}

static void client_renegotiates(void)
{
    t_case("renegotiate() from the client, data before and after");
    pt_pair p;
    tls12_pair(&p, PT_CLIENT, PT_SERVER);
    pt_send(&p, 5000, 5000);
    pt_run(&p);
    CHECK_OK(tlsplug_socket_renegotiate(p.c.sock, 0, 1));
    CHECK_RC(tlsplug_socket_renegotiate(p.c.sock, 0, 1), TLSPLUG_E_STATE); /* one at a time */
    pt_write(&p, &p.c, 3000); /* buffered while the handshake runs */
    pt_run(&p);
    CHECK(renegotiated[0] == 1 && renegotiated[1] == 0);
    pt_send(&p, 5000, 5000);
    pt_run(&p);
    CHECK(p.c.counts[TLSPLUG_EV_ERROR] == 0 && p.s.counts[TLSPLUG_EV_ERROR] == 0);
    CHECK(p.c.counts[TLSPLUG_EV_SECURE_CONNECT] == 1); /* secureConnect only once */
    pt_pair_free(&p);
}

static void server_asks_for_a_certificate(void)
{
    t_case("renegotiate({requestCert}) from the server gets the client's certificate");
    pt_creds server = PT_SERVER, client = PT_CLIENT;
    server.ca = "ca.pem";
    client.key = "client.key";
    client.cert = "client-chain.pem";
    pt_pair p;
    tls12_pair(&p, client, server);
    int authorized = -1;
    CHECK_OK(tlsplug_socket_authorized(p.s.sock, &authorized));
    CHECK(authorized == 0); /* no certificate was asked for */
    CHECK_OK(tlsplug_socket_renegotiate(p.s.sock, 1, 1));
    pt_run(&p);
    CHECK(renegotiated[1] == 1);
    CHECK_OK(tlsplug_socket_authorized(p.s.sock, &authorized));
    CHECK(authorized == 1);
    pt_send(&p, 2000, 2000);
    pt_run(&p);
    pt_pair_free(&p);
}

static void limit(void)
{
    t_case("CLIENT_RENEG_LIMIT: three renegotiations pass, the fourth is an attack");
    pt_pair p;
    tls12_pair(&p, PT_CLIENT, PT_SERVER);
    for (int i = 0; i < 3; i++) {
        CHECK_OK(tlsplug_socket_renegotiate(p.c.sock, 0, 1));
        pt_run(&p);
        CHECKF(renegotiated[0] == i + 1, "renegotiation %d did not complete", i + 1);
    }
    CHECK_OK(tlsplug_socket_renegotiate(p.c.sock, 0, 1));
    pt_run(&p);
    CHECK_STR(p.s.error_code, "ERR_TLS_SESSION_ATTACK");
    pt_pair_free(&p);

    t_case("CLIENT_RENEG_LIMIT set to 1");
    char saved[32];
    size_t n;
    CHECK_OK(tlsplug_get_default(TLSPLUG_DEFAULT_CLIENT_RENEG_LIMIT, saved, sizeof saved, &n));
    CHECK_STR(saved, "3");
    CHECK_RC(tlsplug_set_default(TLSPLUG_DEFAULT_CLIENT_RENEG_LIMIT, "-1"), TLSPLUG_E_INVAL);
    CHECK_OK(tlsplug_set_default(TLSPLUG_DEFAULT_CLIENT_RENEG_LIMIT, "1"));
    tls12_pair(&p, PT_CLIENT, PT_SERVER);
    CHECK_OK(tlsplug_set_default(TLSPLUG_DEFAULT_CLIENT_RENEG_LIMIT, saved));
    CHECK_OK(tlsplug_socket_renegotiate(p.c.sock, 0, 1));
    pt_run(&p);
    CHECK(renegotiated[0] == 1);
    CHECK_OK(tlsplug_socket_renegotiate(p.c.sock, 0, 1));
    pt_run(&p);
    CHECK_STR(p.s.error_code, "ERR_TLS_SESSION_ATTACK");
    pt_pair_free(&p);
}

static void disabled(void)
{
    t_case("disableRenegotiation() refuses the first one");
    pt_pair p;
    tls12_pair(&p, PT_CLIENT, PT_SERVER);
    CHECK_OK(tlsplug_socket_disable_renegotiation(p.s.sock));
    CHECK_OK(tlsplug_socket_renegotiate(p.c.sock, 0, 1));
    pt_run(&p);
    CHECK_STR(p.s.error_code, "ERR_TLS_RENEGOTIATION_DISABLED");
    CHECK(renegotiated[0] == 0);
    pt_pair_free(&p);
}

static void tls13(void)
{
    t_case("TLS 1.3: no renegotiation, but post-handshake authentication for requestCert");
    pt_creds server = PT_SERVER, client = PT_CLIENT;
    server.ca = "ca.pem";
    client.key = "client.key";
    client.cert = "client-chain.pem";
    pt_pair p;
    pt_pair_new(&p, client, server, 0, t_seed());
    memset(renegotiated, 0, sizeof renegotiated);
    CHECK_OK(tlsplug_socket_on(p.s.sock, TLSPLUG_EV_RENEGOTIATED, on_renegotiated, 1));
    CHECK_RC(tlsplug_socket_renegotiate(p.c.sock, 0, 1), TLSPLUG_E_STATE); /* not secure yet */
    pt_handshake(&p);
    CHECK_RC(tlsplug_socket_renegotiate(p.c.sock, 0, 1), TLSPLUG_E_UNSUPPORTED);
    CHECK_RC(tlsplug_socket_renegotiate(p.s.sock, 0, 1), TLSPLUG_E_UNSUPPORTED);
    int authorized = -1;
    CHECK_OK(tlsplug_socket_authorized(p.s.sock, &authorized));
    CHECK(authorized == 0);
    CHECK_OK(tlsplug_socket_renegotiate(p.s.sock, 1, 1)); /* post-handshake auth */
    pt_send(&p, 1000, 1000);
    pt_run(&p);
    CHECK(renegotiated[1] == 1);
    CHECK_OK(tlsplug_socket_authorized(p.s.sock, &authorized));
    CHECK(authorized == 1);
    pt_send(&p, 1000, 1000);
    pt_run(&p);
    CHECK(p.c.counts[TLSPLUG_EV_ERROR] == 0 && p.s.counts[TLSPLUG_EV_ERROR] == 0);
    pt_pair_free(&p);
}

int main(void)
{
    t_init("pump_renegotiate", 31);
    client_renegotiates();
    server_asks_for_a_certificate();
    limit();
    disabled();
    tls13();
    return t_done();
}
