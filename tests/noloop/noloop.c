/* A tlsplug built without the loop (TLSPLUG_LOOP=OFF) is whole for a host
 * that drives the pump: a client and a server handshake in memory and
 * exchange data through the public API, and every function of the loop
 * answers TLSPLUG_E_UNSUPPORTED, with ERR_TLSPLUG_NO_LOOP on the handle it
 * was given, instead of being missing or doing nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

static char received[64];
static size_t nreceived;

static void on_data(uintptr_t ud, void *src, int ev, void *subj, const uint8_t *d, size_t n)
{
    (void)ud, (void)src, (void)ev, (void)subj;
    if (nreceived + n < sizeof received) {
        memcpy(received + nreceived, d, n);
        nreceived += n;
    }
}

/* Move everything `from` has to `to`; answers the bytes moved. */
static size_t shuttle(tlsplug_socket *from, tlsplug_socket *to)
{
    uint8_t buf[16384];
    size_t n = 0, moved = 0;
    while (tlsplug_socket_pull(from, buf, sizeof buf, &n) == TLSPLUG_OK && n) {
        CHECK_OK(tlsplug_socket_feed(to, buf, n));
        moved += n;
    }
    return moved;
}

static tlsplug_context *context(const char *key, const char *cert, const char *ca)
{
    tlsplug_context *c;
    CHECK_OK(tlsplug_context_new(&c));
    size_t n;
    if (key) {
        uint8_t *pem = t_pki_read(key, &n);
        CHECK_OK(tlsplug_context_add_key(c, pem, n, NULL));
        free(pem);
        pem = t_pki_read(cert, &n);
        CHECK_OK(tlsplug_context_add_cert(c, pem, n));
        free(pem);
    }
    if (ca) {
        uint8_t *pem = t_pki_read(ca, &n);
        CHECK_OK(tlsplug_context_add_ca(c, pem, n));
        free(pem);
    }
    return c;
}

static void pump_works(void)
{
    t_case("the pump: a verified handshake and data, in memory");
    tlsplug_context *sctx = context("server.key", "server-chain.pem", NULL);
    tlsplug_context *cctx = context(NULL, NULL, "ca.pem");
    tlsplug_socket *c, *s;
    CHECK_OK(tlsplug_socket_new(cctx, TLSPLUG_ROLE_CLIENT, &c));
    CHECK_OK(tlsplug_socket_new(sctx, TLSPLUG_ROLE_SERVER, &s));
    CHECK_OK(tlsplug_socket_set_servername(c, "localhost"));
    CHECK_OK(tlsplug_socket_on(s, TLSPLUG_EV_DATA, on_data, 0));
    CHECK_OK(tlsplug_socket_start(s));
    CHECK_OK(tlsplug_socket_start(c));
    CHECK_OK(tlsplug_socket_write(c, (const uint8_t *)"hello, pump", 11));
    for (int i = 0; i < 20 && (shuttle(c, s) | shuttle(s, c)); i++)
        ;
    CHECK(t_state(c) & TLSPLUG_STATE_SECURE);
    int authorized = 0;
    CHECK_OK(tlsplug_socket_authorized(c, &authorized));
    CHECK(authorized == 1);
    CHECK(nreceived == 11 && memcmp(received, "hello, pump", 11) == 0);

    t_case("the loop's functions: TLSPLUG_E_UNSUPPORTED, said on the handle");
    tlsplug_loop *loop = NULL;
    CHECK_RC(tlsplug_loop_new(&loop), TLSPLUG_E_UNSUPPORTED);
    CHECK(loop == NULL);
    CHECK_OK(tlsplug_loop_free(NULL));
    CHECK_RC(tlsplug_socket_set_timeout(c, 1000), TLSPLUG_E_UNSUPPORTED);
    CHECK_STR(t_error_code(c), "ERR_TLSPLUG_NO_LOOP");
    CHECK_RC(tlsplug_socket_set_no_delay(c, 1), TLSPLUG_E_UNSUPPORTED);
    CHECK_RC(tlsplug_loop_connect(loop, c, "localhost", 443), TLSPLUG_E_BADHANDLE);
    tlsplug_server *srv;
    CHECK_OK(tlsplug_server_new(sctx, &srv));
    CHECK_RC(tlsplug_server_close(srv), TLSPLUG_E_UNSUPPORTED);
    CHECK_STR(t_error_code(srv), "ERR_TLSPLUG_NO_LOOP");
    /* The socket still works after the refusals. */
    CHECK_OK(tlsplug_socket_write(c, (const uint8_t *)"!", 1));
    shuttle(c, s);
    CHECK(nreceived == 12);

    CHECK_OK(tlsplug_server_free(srv));
    CHECK_OK(tlsplug_socket_free(c));
    CHECK_OK(tlsplug_socket_free(s));
    CHECK_OK(tlsplug_context_free(cctx));
    CHECK_OK(tlsplug_context_free(sctx));
}

int main(void)
{
    t_init("noloop", 1);
    pump_works();
    return t_done();
}
