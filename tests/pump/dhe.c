/* DHE between two tlsplug sockets: a server with `dhparam` and a
 * DHE-only `ciphers`, and a client asking for the same suite without
 * dhparam of its own (as Node's clients do), negotiate it. */
#include <string.h>

#include "pair.h"

/* A 2048-bit prime made with `openssl dhparam 2048` for this test. */
static const char dh2048[] =
    "-----BEGIN DH PARAMETERS-----\n"
    "MIIBCAKCAQEAxIhTxhciq12ar/DX2AmEnMRqlGuFSpoQ/pB/KNG3lu9Q5E1evq6x\n"
    "S6zs/RtjOWg11ywWCJOAPOIJy3AtmZy8FnWH9c5p8uV4Im242yTf7x2pR8PZB8B4\n"
    "wMSrZzQ8+jPII/OccVgde+PWmEV7lUWGe0jpY+69pRzxoY+AInFEm4sMBU6tkWE3\n"
    "p0Xb7J8ltFwOCV18hFW6DisjBYKgLDYfkt++63zY1b3YGPSdKJVo1W3+HumcHwVX\n"
    "OOrfJd8aog3ZxezAf/kSng7qrD3Obi/QoPVVxcMrqeZl1mlFoLb3IxrIy+eHOgd8\n"
    "Krrv10tcWlxP6fAa5Wu9h+CMTGjO4/1/FwIBAg==\n"
    "-----END DH PARAMETERS-----\n"
    ;

static void dhe_pair(pt_pair *p, const char *client_max, const char *server_max)
{
    pt_creds client = PT_CLIENT, server = PT_SERVER;
    client.max_version = client_max;
    server.max_version = server_max;
    tlsplug_context *cctx = pt_context(client), *sctx = pt_context(server);
    CHECK_OK(tlsplug_context_set_ciphers(cctx, "DHE-RSA-AES128-GCM-SHA256"));
    CHECK_OK(tlsplug_context_set_ciphers(sctx, "DHE-RSA-AES128-GCM-SHA256"));
    CHECK_OK(tlsplug_context_set_dhparam(sctx, (const uint8_t *)dh2048, strlen(dh2048)));
    pt_pair_init(p, cctx, sctx, 0, t_seed());
    CHECK_OK(tlsplug_context_free(cctx));
    CHECK_OK(tlsplug_context_free(sctx));
}

static void dhe_tls12(const char *client_max, const char *server_max)
{
    t_case("DHE-RSA-AES128-GCM-SHA256: client max %s, server max %s",
           client_max ? client_max : "default", server_max ? server_max : "default");
    pt_pair p;
    dhe_pair(&p, client_max, server_max);
    pt_handshake(&p);
    CHECK_STR(pt_get(p.c.sock, tlsplug_socket_get_protocol), "TLSv1.2");
    CHECK_STR(pt_cipher(p.c.sock, TLSPLUG_CIPHER_NAME), "DHE-RSA-AES128-GCM-SHA256");
    CHECK_STR(pt_cipher(p.s.sock, TLSPLUG_CIPHER_NAME), "DHE-RSA-AES128-GCM-SHA256");
    pt_send(&p, 3000, 3000);
    pt_run(&p);
    CHECK(p.c.counts[TLSPLUG_EV_ERROR] == 0 && p.s.counts[TLSPLUG_EV_ERROR] == 0);
    pt_pair_free(&p);
}

static void tls13_still_wins(void)
{
    t_case("DHE-only TLS 1.2 ciphers, both sides allowing TLS 1.3: TLS 1.3");
    pt_pair p;
    dhe_pair(&p, NULL, NULL);
    pt_handshake(&p);
    CHECK_STR(pt_get(p.c.sock, tlsplug_socket_get_protocol), "TLSv1.3");
    pt_pair_free(&p);
}

int main(void)
{
    t_init("pump_dhe", 14);
    dhe_tls12(NULL, "TLSv1.2"); /* the client offers TLS 1.3 (and its FFDHE groups) */
    dhe_tls12("TLSv1.2", NULL);
    dhe_tls12("TLSv1.2", "TLSv1.2");
    tls13_still_wins();
    return t_done();
}
