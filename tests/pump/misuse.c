/* Misuse answers a status, never a crash: NULL handles and pointers,
 * start twice, setters after start, feed after feed_eof, read with cap 0,
 * consume_output past what is pending, getters before the handshake, and
 * too-small buffers (E_BUFSIZE with the length needed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pair.h"

static void null_handles(void)
{
    t_case("NULL and wrong-type handles");
    uint8_t b[8] = {0};
    size_t n = 0;
    unsigned f = 0;
    CHECK_OK(tlsplug_socket_free(NULL));
    CHECK_OK(tlsplug_context_free(NULL));
    CHECK_RC(tlsplug_socket_feed(NULL, b, 1), TLSPLUG_E_BADHANDLE);
    CHECK_RC(tlsplug_socket_feed_eof(NULL), TLSPLUG_E_BADHANDLE);
    CHECK_RC(tlsplug_socket_pull(NULL, b, sizeof b, &n), TLSPLUG_E_BADHANDLE);
    CHECK_RC(tlsplug_socket_write(NULL, b, 1), TLSPLUG_E_BADHANDLE);
    CHECK_RC(tlsplug_socket_read(NULL, b, sizeof b, &n), TLSPLUG_E_BADHANDLE);
    CHECK_RC(tlsplug_socket_start(NULL), TLSPLUG_E_BADHANDLE);
    CHECK_RC(tlsplug_socket_state(NULL, &f), TLSPLUG_E_BADHANDLE);
    CHECK_RC(tlsplug_socket_end(NULL), TLSPLUG_E_BADHANDLE);
    CHECK_RC(tlsplug_error_get(NULL, TLSPLUG_ERROR_CODE, (char *)b, sizeof b, &n),
             TLSPLUG_E_BADHANDLE);

    tlsplug_socket *s = NULL;
    CHECK_RC(tlsplug_socket_new(NULL, TLSPLUG_ROLE_CLIENT, &s), TLSPLUG_E_BADHANDLE);
    CHECK(s == NULL);
    tlsplug_context *ctx = pt_context(PT_CLIENT);
    CHECK_RC(tlsplug_socket_new(ctx, TLSPLUG_ROLE_CLIENT, NULL), TLSPLUG_E_INVAL);
    CHECK_RC(tlsplug_socket_new(ctx, 0, &s), TLSPLUG_E_INVAL);
    CHECK_RC(tlsplug_socket_new(ctx, 3, &s), TLSPLUG_E_INVAL);
    CHECK(s == NULL);
    CHECK_RC(tlsplug_context_new(NULL), TLSPLUG_E_INVAL);
    /* A context is not a socket, a socket not a context. */
    CHECK_RC(tlsplug_socket_start((tlsplug_socket *)(void *)ctx), TLSPLUG_E_BADHANDLE);
    CHECK_OK(tlsplug_socket_new(ctx, TLSPLUG_ROLE_CLIENT, &s));
    CHECK_RC(tlsplug_context_set_min_version((tlsplug_context *)(void *)s, "TLSv1.2"),
             TLSPLUG_E_BADHANDLE);
    CHECK_OK(tlsplug_socket_free(s));
    CHECK_RC(tlsplug_socket_free(s), TLSPLUG_E_BADHANDLE); /* double free */
    CHECK_OK(tlsplug_context_free(ctx));
    CHECK_RC(tlsplug_context_free(ctx), TLSPLUG_E_BADHANDLE);
}

static void null_pointers(void)
{
    t_case("NULL pointers and bad arguments on a live socket");
    pt_pair p;
    pt_pair_new(&p, PT_CLIENT, PT_SERVER, 0, t_seed());
    tlsplug_socket *s = p.c.sock;
    uint8_t b[8] = {0};
    size_t n = 0;
    const uint8_t *view = NULL;
    CHECK_RC(tlsplug_socket_feed(s, NULL, 5), TLSPLUG_E_INVAL);
    CHECK_RC(tlsplug_socket_write(s, NULL, 5), TLSPLUG_E_INVAL);
    CHECK_RC(tlsplug_socket_pull(s, NULL, 5, &n), TLSPLUG_E_INVAL);
    CHECK_RC(tlsplug_socket_pull(s, b, sizeof b, NULL), TLSPLUG_E_INVAL);
    CHECK_RC(tlsplug_socket_peek_output(s, NULL, &n), TLSPLUG_E_INVAL);
    CHECK_RC(tlsplug_socket_peek_output(s, &view, NULL), TLSPLUG_E_INVAL);
    CHECK_RC(tlsplug_socket_pending_output(s, NULL), TLSPLUG_E_INVAL);
    CHECK_RC(tlsplug_socket_read(s, NULL, 5, &n), TLSPLUG_E_INVAL);
    CHECK_RC(tlsplug_socket_read(s, b, sizeof b, NULL), TLSPLUG_E_INVAL);
    CHECK_RC(tlsplug_socket_state(s, NULL), TLSPLUG_E_INVAL);
    CHECK_RC(tlsplug_socket_authorized(s, NULL), TLSPLUG_E_INVAL);
    CHECK_RC(tlsplug_socket_encrypted(s, NULL), TLSPLUG_E_INVAL);
    CHECK_RC(tlsplug_socket_get_protocol(s, (char *)b, sizeof b, NULL), TLSPLUG_E_INVAL);
    CHECK_RC(tlsplug_socket_get_cipher(s, TLSPLUG_CIPHER_NAME, (char *)b, sizeof b, NULL),
             TLSPLUG_E_INVAL);
    CHECK_RC(tlsplug_socket_on(s, 0, NULL, 0), TLSPLUG_E_INVAL);
    CHECK_RC(tlsplug_socket_on(s, 99, NULL, 0), TLSPLUG_E_INVAL);
    CHECK_RC(tlsplug_error_get(s, 99, (char *)b, sizeof b, &n), TLSPLUG_E_INVAL);
    /* Empty feeds and writes are harmless. */
    CHECK_OK(tlsplug_socket_feed(s, NULL, 0));
    CHECK_OK(tlsplug_socket_write(s, NULL, 0));
    /* Nothing to pull yet. */
    CHECK_RC(tlsplug_socket_pull(s, b, sizeof b, &n), TLSPLUG_E_AGAIN);
    CHECK_RC(tlsplug_socket_peek_output(s, &view, &n), TLSPLUG_E_AGAIN);
    /* The socket still works after all that. */
    pt_handshake(&p);
    pt_pair_free(&p);
}

static void wrong_states(void)
{
    t_case("start twice, setters after start");
    pt_pair p;
    pt_pair_new(&p, PT_CLIENT, PT_SERVER, 0, t_seed());
    pt_pair_start(&p);
    CHECK_RC(tlsplug_socket_start(p.c.sock), TLSPLUG_E_STATE);
    CHECK_RC(tlsplug_socket_start(p.s.sock), TLSPLUG_E_STATE);
    CHECK_RC(tlsplug_socket_set_servername(p.c.sock, "other.example"), TLSPLUG_E_STATE);
    CHECK_RC(tlsplug_socket_set_reject_unauthorized(p.c.sock, 0), TLSPLUG_E_STATE);
    CHECK_RC(tlsplug_socket_set_request_cert(p.s.sock, 1), TLSPLUG_E_STATE);
    CHECKF(t_error_code(p.s.sock)[0], "no code with the E_STATE");
    /* None of it changed anything: the handshake verifies "localhost". */
    pt_run(&p);
    CHECK_STR(pt_log(&p.c), "secureConnect");
    CHECK(pt_authorized(p.c.sock) == 1);
    CHECK_RC(tlsplug_socket_start(p.c.sock), TLSPLUG_E_STATE);
    pt_pair_free(&p);

    t_case("context setters once a socket uses it");
    tlsplug_context *ctx = pt_context(PT_CLIENT);
    tlsplug_socket *s = NULL;
    CHECK_OK(tlsplug_socket_new(ctx, TLSPLUG_ROLE_CLIENT, &s));
    CHECK_RC(tlsplug_context_set_min_version(ctx, "TLSv1.3"), TLSPLUG_E_STATE);
    CHECK_RC(tlsplug_context_set_max_version(ctx, "TLSv1.2"), TLSPLUG_E_STATE);
    size_t len = 0;
    uint8_t *pem = t_pki_read("ca.pem", &len);
    CHECK_RC(tlsplug_context_add_ca(ctx, pem, len), TLSPLUG_E_STATE);
    free(pem);
    CHECK_OK(tlsplug_socket_free(s));
    CHECK_OK(tlsplug_context_free(ctx));

    t_case("version names and conflicts");
    CHECK_OK(tlsplug_context_new(&ctx));
    CHECK_RC(tlsplug_context_set_min_version(ctx, "TLSv1.4"), TLSPLUG_E_INVAL);
    CHECK_STR(t_error_code(ctx), "ERR_TLS_INVALID_PROTOCOL_VERSION");
    CHECK_RC(tlsplug_context_set_min_version(ctx, NULL), TLSPLUG_E_INVAL);
    CHECK_OK(tlsplug_context_set_min_version(ctx, "TLSv1.3"));
    CHECK_OK(tlsplug_context_set_max_version(ctx, "TLSv1.2"));
    CHECK_RC(tlsplug_socket_new(ctx, TLSPLUG_ROLE_CLIENT, &s), TLSPLUG_E_INVAL);
    CHECK_STR(t_error_code(ctx), "ERR_TLS_PROTOCOL_VERSION_CONFLICT");
    CHECK_OK(tlsplug_context_set_max_version(ctx, "TLSv1.3")); /* fixable: nothing froze */
    CHECK_OK(tlsplug_socket_new(ctx, TLSPLUG_ROLE_CLIENT, &s));
    CHECK_OK(tlsplug_socket_free(s));
    CHECK_OK(tlsplug_context_free(ctx));
}

static void feed_after_eof(void)
{
    /* A half-open server whose client ended: the transport's end is no
     * error, and nothing may be fed after it. */
    t_case("feed after feed_eof (half-open)");
    pt_pair p;
    pt_pair_new(&p, PT_CLIENT, PT_SERVER, 0, t_seed());
    CHECK_OK(tlsplug_socket_set_allow_half_open(p.s.sock, 1));
    pt_handshake(&p);
    CHECK_OK(tlsplug_socket_end(p.c.sock));
    pt_run(&p);
    CHECK_OK(tlsplug_socket_feed_eof(p.s.sock));
    uint8_t b[4] = {23, 3, 3, 0};
    CHECK_RC(tlsplug_socket_feed(p.s.sock, b, sizeof b), TLSPLUG_E_STATE);
    CHECKF(t_error_code(p.s.sock)[0], "no code with the E_STATE");
    CHECK_OK(tlsplug_socket_feed_eof(p.s.sock)); /* twice is harmless */
    CHECK(p.s.counts[TLSPLUG_EV_ERROR] == 0);
    /* Still writable, still closes cleanly. */
    pt_write(&p, &p.s, 10);
    CHECK_OK(tlsplug_socket_end(p.s.sock));
    pt_run(&p);
    CHECK_STR(pt_log(&p.s), "secure end close");
    CHECK_STR(pt_log(&p.c), "secureConnect data end close");
    pt_pair_free(&p);

}

static void pump_arguments(void)
{
    t_case("read with cap 0, consume past pending, getters before the handshake");
    pt_pair p;
    pt_pair_new(&p, PT_CLIENT, PT_SERVER, 1, t_seed());
    tlsplug_socket *c = p.c.sock;
    uint8_t b[64];
    size_t n = 0;
    CHECK_RC(tlsplug_socket_read(c, b, 0, &n), TLSPLUG_E_INVAL);
    CHECK_RC(tlsplug_socket_consume_output(c, 1), TLSPLUG_E_INVAL);
    CHECK_OK(tlsplug_socket_consume_output(c, 0));
    CHECK_RC(tlsplug_socket_get_protocol(c, (char *)b, sizeof b, &n), TLSPLUG_E_UNAVAILABLE);
    CHECK_RC(tlsplug_socket_get_cipher(c, TLSPLUG_CIPHER_NAME, (char *)b, sizeof b, &n),
             TLSPLUG_E_UNAVAILABLE);
    CHECK_RC(tlsplug_socket_authorization_error(c, (char *)b, sizeof b, &n),
             TLSPLUG_E_UNAVAILABLE);
    CHECK_OK(tlsplug_socket_start(c));
    CHECK_RC(tlsplug_socket_read(c, b, sizeof b, &n), TLSPLUG_E_AGAIN); /* handshaking */
    size_t pending = 0;
    CHECK_OK(tlsplug_socket_pending_output(c, &pending));
    CHECK(pending > 0);
    CHECK_RC(tlsplug_socket_consume_output(c, pending + 1), TLSPLUG_E_INVAL);
    CHECKF(t_error_code(c)[0], "no code with the E_INVAL");
    size_t still = 0;
    CHECK_OK(tlsplug_socket_pending_output(c, &still));
    CHECK(still == pending); /* nothing was dropped */
    CHECK_RC(tlsplug_socket_get_protocol(c, (char *)b, sizeof b, &n), TLSPLUG_E_UNAVAILABLE);
    CHECK_OK(tlsplug_socket_start(p.s.sock));
    pt_run(&p);
    CHECK_STR(pt_log(&p.c), "secureConnect");
    CHECK_RC(tlsplug_socket_read(c, b, 0, &n), TLSPLUG_E_INVAL);
    CHECK_RC(tlsplug_socket_get_cipher(c, 0, (char *)b, sizeof b, &n), TLSPLUG_E_INVAL);
    CHECK_RC(tlsplug_socket_get_cipher(c, 99, (char *)b, sizeof b, &n), TLSPLUG_E_INVAL);
    pt_pair_free(&p);
}

/* E_BUFSIZE: the length needed (without the NUL) comes back; the text
 * fits once the buffer has room for it and its NUL. */
static void small_buffers(void)
{
    t_case("E_BUFSIZE from getters");
    pt_pair p;
    pt_pair_new(&p, PT_CLIENT, PT_SERVER, 0, t_seed());
    pt_handshake(&p);
    tlsplug_socket *c = p.c.sock;
    char b[64];
    size_t n = 0;
    CHECK_RC(tlsplug_socket_get_protocol(c, NULL, 0, &n), TLSPLUG_E_BUFSIZE);
    CHECK(n == strlen("TLSv1.3"));
    n = 0;
    CHECK_RC(tlsplug_socket_get_protocol(c, b, 3, &n), TLSPLUG_E_BUFSIZE);
    CHECK(n == 7);
    n = 0;
    CHECK_RC(tlsplug_socket_get_protocol(c, b, 7, &n), TLSPLUG_E_BUFSIZE); /* no room for NUL */
    CHECK(n == 7);
    CHECK_OK(tlsplug_socket_get_protocol(c, b, 8, &n));
    CHECK(n == 7);
    CHECK_STR(b, "TLSv1.3");

    const char *name = pt_cipher(c, TLSPLUG_CIPHER_STANDARD_NAME);
    size_t want = strlen(name);
    CHECK_RC(tlsplug_socket_get_cipher(c, TLSPLUG_CIPHER_STANDARD_NAME, b, 4, &n),
             TLSPLUG_E_BUFSIZE);
    CHECK(n == want);
    CHECK_RC(tlsplug_socket_get_servername(c, b, 2, &n), TLSPLUG_E_BUFSIZE);
    CHECK(n == strlen("localhost"));

    /* An error text too. */
    CHECK_RC(tlsplug_socket_consume_output(c, 1000000), TLSPLUG_E_INVAL);
    char code[64];
    snprintf(code, sizeof code, "%s", t_error_code(c));
    CHECK(code[0]);
    CHECK_RC(tlsplug_error_get(c, TLSPLUG_ERROR_CODE, b, 1, &n), TLSPLUG_E_BUFSIZE);
    CHECK(n == strlen(code));
    CHECK_RC(tlsplug_error_get(c, TLSPLUG_ERROR_CODE, NULL, 0, &n), TLSPLUG_E_BUFSIZE);
    CHECK(n == strlen(code));
    pt_pair_free(&p);
}

int main(void)
{
    t_init("pump_misuse", 11);
    null_handles();
    null_pointers();
    wrong_states();
    feed_after_eof();
    pump_arguments();
    small_buffers();
    printf("  NULLs, states, arguments, small buffers: ok\n");
    return t_done();
}
