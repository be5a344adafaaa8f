/* TLS-PSK between two tlsplug sockets: pskCallback answered from inside
 * the PSK event on both sides, TLS 1.2 PSK suites and TLS 1.3's external
 * PSK, an identity the server refuses, an answer given too late, and a
 * PSK event nobody listens to (queued: refused). No certificates at all. */
#include <string.h>

#include "pair.h"

static const uint8_t KEY[] = {0x82, 0x07, 0x26, 0x06, 0xb5, 0x02, 0xb0, 0xf4,
                              0x02, 0x5e, 0x90, 0xeb, 0x75, 0xfe, 0x13, 0x7d};

typedef struct psk_side {
    int asked;
    char payload[64]; /* the hint (client) or identity (server) seen */
    const char *identity; /* client: what to send; server: the one it knows */
} psk_side;

static void on_psk(uintptr_t userdata, void *source, int event, void *subject,
                   const uint8_t *data, size_t len)
{
    (void)subject;
    psk_side *ps = (psk_side *)userdata;
    CHECK(event == TLSPLUG_EV_PSK && len < sizeof ps->payload);
    ps->asked++;
    if (len) /* an empty hint (always at TLS 1.3) may come as NULL */
        memcpy(ps->payload, data, len);
    ps->payload[len] = 0;
    tlsplug_socket *sock = source;
    if (!ps->identity)
        return; /* no answer: refused */
    if (strncmp(ps->identity, "as:", 3) == 0) /* client: send this identity */
        CHECK_OK(tlsplug_socket_psk_answer(sock, KEY, sizeof KEY, ps->identity + 3));
    else if (strcmp(ps->payload, ps->identity) == 0) /* server: a known identity */
        CHECK_OK(tlsplug_socket_psk_answer(sock, KEY, sizeof KEY, NULL));
}

static void psk_pair(pt_pair *p, const char *ciphers, const char *max, const char *hint,
                     psk_side *cs, psk_side *ss, int server_listens)
{
    pt_creds none = {.max_version = max};
    tlsplug_context *cctx = pt_context(none), *sctx = pt_context(none);
    CHECK_OK(tlsplug_context_set_ciphers(cctx, ciphers));
    CHECK_OK(tlsplug_context_set_ciphers(sctx, ciphers));
    CHECK_OK(tlsplug_context_set_psk(cctx, 1, NULL));
    CHECK_OK(tlsplug_context_set_psk(sctx, 1, hint));
    pt_pair_init(p, cctx, sctx, 0, t_seed());
    CHECK_OK(tlsplug_context_free(cctx));
    CHECK_OK(tlsplug_context_free(sctx));
    /* No certificate to verify: the PSK authenticates the server, and the
     * default identity check has no name to compare (Node's tests pass a
     * checkServerIdentity that accepts). */
    CHECK_OK(tlsplug_socket_set_reject_unauthorized(p->c.sock, 0));
    CHECK_OK(tlsplug_socket_on(p->c.sock, TLSPLUG_EV_PSK, on_psk, (uintptr_t)cs));
    if (server_listens)
        CHECK_OK(tlsplug_socket_on(p->s.sock, TLSPLUG_EV_PSK, on_psk, (uintptr_t)ss));
    else
        CHECK_OK(tlsplug_socket_set_event_queue(p->s.sock, 1));
}

static void agree(const char *ciphers, const char *max, const char *protocol, const char *suite)
{
    t_case("PSK with ciphers %s, max %s: %s %s", ciphers, max ? max : "default", protocol, suite);
    psk_side cs = {.identity = "as:UserB"}, ss = {.identity = "UserB"};
    pt_pair p;
    psk_pair(&p, ciphers, max, "the-hint", &cs, &ss, 1);
    pt_handshake(&p);
    CHECK_STR(pt_get(p.c.sock, tlsplug_socket_get_protocol), protocol);
    CHECK_STR(pt_cipher(p.c.sock, TLSPLUG_CIPHER_NAME), suite);
    CHECK_STR(pt_cipher(p.s.sock, TLSPLUG_CIPHER_NAME), suite);
    CHECK(cs.asked == 1 && ss.asked == 1);
    /* The hint travels in TLS 1.2's ServerKeyExchange; TLS 1.3 has none. */
    CHECK_STR(cs.payload, strcmp(protocol, "TLSv1.2") == 0 ? "the-hint" : "");
    CHECK_STR(ss.payload, "UserB");
    pt_send(&p, 3000, 3000);
    pt_run(&p);
    CHECK(p.c.counts[TLSPLUG_EV_ERROR] == 0 && p.s.counts[TLSPLUG_EV_ERROR] == 0);
    pt_pair_free(&p);
}

static void refused(const char *max, int server_listens, const char *client_code)
{
    t_case("server %s the identity, max %s: client %s",
           server_listens ? "refuses" : "queues the event for", max ? max : "default",
           client_code);
    psk_side cs = {.identity = "as:UserC"}, ss = {.identity = "UserB"};
    pt_pair p;
    psk_pair(&p, "PSK+HIGH:TLS_AES_128_GCM_SHA256", max, NULL, &cs, &ss, server_listens);
    pt_pair_start(&p);
    pt_run(&p);
    CHECK(p.c.counts[TLSPLUG_EV_SECURE_CONNECT] == 0 && p.s.counts[TLSPLUG_EV_SECURE] == 0);
    CHECK_STR(p.c.error_code, client_code);
    pt_pair_free(&p);
}

static void answer_outside(void)
{
    t_case("psk_answer outside the PSK event: E_STATE");
    psk_side cs = {.identity = "as:UserB"}, ss = {.identity = "UserB"};
    pt_pair p;
    psk_pair(&p, "PSK+HIGH", "TLSv1.2", NULL, &cs, &ss, 1);
    CHECK_RC(tlsplug_socket_psk_answer(p.c.sock, KEY, sizeof KEY, "UserB"), TLSPLUG_E_STATE);
    CHECK_STR(t_error_code(p.c.sock), "ERR_TLS_INVALID_STATE");
    pt_pair_free(&p);
}

static void long_hint(void)
{
    t_case("a pskIdentityHint over 256 bytes: ERR_TLS_PSK_SET_IDENTIY_HINT_FAILED");
    char hint[300];
    memset(hint, 'a', sizeof hint - 1);
    hint[sizeof hint - 1] = 0;
    tlsplug_context *ctx = pt_context((pt_creds){0});
    CHECK_RC(tlsplug_context_set_psk(ctx, 1, hint), TLSPLUG_E_INVAL);
    CHECK_STR(t_error_code(ctx), "ERR_TLS_PSK_SET_IDENTIY_HINT_FAILED");
    CHECK_OK(tlsplug_context_free(ctx));
}

int main(void)
{
    t_init("pump_psk", 27);
    agree("PSK-AES128-GCM-SHA256", "TLSv1.2", "TLSv1.2", "PSK-AES128-GCM-SHA256");
    agree("PSK-AES128-CBC-SHA256", "TLSv1.2", "TLSv1.2", "PSK-AES128-CBC-SHA256");
    agree("PSK+HIGH:TLS_AES_128_GCM_SHA256", NULL, "TLSv1.3", "TLS_AES_128_GCM_SHA256");
    refused("TLSv1.2", 1, "ERR_SSL_TLSV1_ALERT_UNKNOWN_PSK_IDENTITY");
    refused(NULL, 1, "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE");
    refused("TLSv1.2", 0, "ERR_SSL_TLSV1_ALERT_UNKNOWN_PSK_IDENTITY");
    answer_outside();
    long_hint();
    return t_done();
}
