/* Callbacks that call back into the socket: one that frees it (in `data`,
 * `secureConnect`, `secure`, `end`, `error`, `close`), one that destroys
 * it, one that writes and ends from inside `data`. No crash (ASan checks
 * the memory), no callback after the free (the recorder fails on one), and
 * every call on the freed handle answers TLSPLUG_E_BADHANDLE. */
#include <stdio.h>
#include <string.h>

#include "pair.h"

/* Every entry point on a freed handle. */
static void check_dead(tlsplug_socket *h)
{
    uint8_t b[16] = {0};
    const uint8_t *view = NULL;
    size_t n = 0;
    unsigned f = 0;
    int i = 0;
    CHECK_RC(tlsplug_socket_feed(h, b, 1), TLSPLUG_E_BADHANDLE);
    CHECK_RC(tlsplug_socket_feed_eof(h), TLSPLUG_E_BADHANDLE);
    CHECK_RC(tlsplug_socket_write(h, b, 1), TLSPLUG_E_BADHANDLE);
    CHECK_RC(tlsplug_socket_read(h, b, sizeof b, &n), TLSPLUG_E_BADHANDLE);
    CHECK_RC(tlsplug_socket_pull(h, b, sizeof b, &n), TLSPLUG_E_BADHANDLE);
    CHECK_RC(tlsplug_socket_peek_output(h, &view, &n), TLSPLUG_E_BADHANDLE);
    CHECK_RC(tlsplug_socket_consume_output(h, 0), TLSPLUG_E_BADHANDLE);
    CHECK_RC(tlsplug_socket_pending_output(h, &n), TLSPLUG_E_BADHANDLE);
    CHECK_RC(tlsplug_socket_end(h), TLSPLUG_E_BADHANDLE);
    CHECK_RC(tlsplug_socket_destroy(h, NULL, NULL), TLSPLUG_E_BADHANDLE);
    CHECK_RC(tlsplug_socket_state(h, &f), TLSPLUG_E_BADHANDLE);
    CHECK_RC(tlsplug_socket_start(h), TLSPLUG_E_BADHANDLE);
    CHECK_RC(tlsplug_socket_next_event(h, &i, b, sizeof b, &n), TLSPLUG_E_BADHANDLE);
    CHECK_RC(tlsplug_socket_on(h, TLSPLUG_EV_DATA, NULL, 0), TLSPLUG_E_BADHANDLE);
    CHECK_RC(tlsplug_socket_get_protocol(h, (char *)b, sizeof b, &n), TLSPLUG_E_BADHANDLE);
    CHECK_RC(tlsplug_socket_authorized(h, &i), TLSPLUG_E_BADHANDLE);
    CHECK_RC(tlsplug_error_get(h, TLSPLUG_ERROR_CODE, (char *)b, sizeof b, &n),
             TLSPLUG_E_BADHANDLE);
    CHECK_RC(tlsplug_socket_free(h), TLSPLUG_E_BADHANDLE); /* a second free */
}

/* ---- hooks --------------------------------------------------------------- */

static int hook_event; /* the event the hook acts on */
static int hook_calls;

static void free_hook(pt_pair *p, pt_side *side, int event, const uint8_t *d, size_t n)
{
    (void)p, (void)d, (void)n;
    if (event != hook_event)
        return;
    hook_calls++;
    pt_side_free(side); /* from here on the recorder fails on any callback */
}

static void destroy_hook(pt_pair *p, pt_side *side, int event, const uint8_t *d, size_t n)
{
    (void)p, (void)d, (void)n;
    if (event != hook_event || hook_calls++)
        return;
    CHECK_OK(tlsplug_socket_destroy(side->sock, side->user ? "ECUSTOM" : NULL,
                                    side->user ? "the host gave up" : NULL));
}

static void reply_hook(pt_pair *p, pt_side *side, int event, const uint8_t *d, size_t n)
{
    (void)d, (void)n;
    if (event != TLSPLUG_EV_DATA || hook_calls++)
        return;
    pt_write(p, side, 4321); /* from inside `data` */
    CHECK_OK(tlsplug_socket_end(side->sock));
    CHECK_OK(tlsplug_socket_end(side->sock));
}

/* ---- cases --------------------------------------------------------------- */

static pt_side *pair_with_hook(pt_pair *p, int on_client, pt_hook hook, int event, int read_mode,
                               const char *version)
{
    pt_creds client = PT_CLIENT;
    client.min_version = client.max_version = version;
    pt_pair_new(p, client, PT_SERVER, read_mode, t_seed());
    pt_side *side = on_client ? &p->c : &p->s;
    side->hook = hook;
    hook_event = event;
    hook_calls = 0;
    return side;
}

/* Three records in one feed; the first `data` frees the server. */
static void free_in_data(const char *version)
{
    t_case("free inside 'data', %s", version);
    pt_pair p;
    pt_side *s = pair_with_hook(&p, 0, free_hook, TLSPLUG_EV_DATA, 0, version);
    pt_handshake(&p);
    for (int i = 0; i < 3; i++)
        pt_write_once(&p, &p.c, 1000);
    p.frag.max_feed = p.frag.max_pull = 1 << 20; /* all in one feed */
    pt_run(&p);
    CHECK(hook_calls == 1 && s->sock == NULL);
    CHECK_STR(pt_log(s), "secure data");
    check_dead(s->stale);
    pt_pair_free(&p);
}

/* The feed that completes the handshake also carries cleartext; the
 * secure event frees the socket before any of it is delivered. */
static void free_in_secure(int on_client, const char *version)
{
    t_case("free inside '%s', %s", on_client ? "secureConnect" : "secure", version);
    pt_pair p;
    int ev = on_client ? TLSPLUG_EV_SECURE_CONNECT : TLSPLUG_EV_SECURE;
    pt_side *side = pair_with_hook(&p, on_client, free_hook, ev, 0, version);
    pt_write(&p, &p.c, 3000); /* early writes: they travel with the last flights */
    pt_write(&p, &p.s, 3000);
    p.frag.max_feed = p.frag.max_pull = 1 << 20;
    pt_pair_start(&p);
    pt_run(&p);
    CHECK(hook_calls == 1 && side->sock == NULL);
    CHECK_STR(pt_log(side), on_client ? "secureConnect" : "secure");
    check_dead(side->stale);
    pt_pair_free(&p);
}

/* Free inside `end`, `close` or `error`, in either delivery mode. */
static void free_in_late_event(int event, int read_mode, const char *version)
{
    t_case("free inside '%s', %s, %s", pt_event_name(event), read_mode ? "read()" : "data callback",
           version);
    pt_pair p;
    pt_side *c = pair_with_hook(&p, 1, free_hook, event, read_mode, version);
    pt_handshake(&p);
    pt_write(&p, &p.s, 2000);
    if (event == TLSPLUG_EV_ERROR) {
        pt_run(&p);
        /* A plaintext fatal handshake_failure alert, where records are encrypted. */
        static const uint8_t junk[] = "\x15\x03\x03\x00\x02\x02\x28";
        (void)pt_feed(&p, c, junk, sizeof junk - 1);
        pt_service(&p, c);
    } else {
        CHECK_OK(tlsplug_socket_end(p.s.sock));
        pt_run(&p);
    }
    CHECKF(hook_calls == 1 && c->sock == NULL, "hook ran %d times; events %s", hook_calls,
           pt_log(c));
    CHECK(c->rx_bytes == 2000);
    check_dead(c->stale);
    pt_pair_free(&p);
}

/* destroy() inside `data` or `secureConnect`: `close` (after `error` when
 * a code is given) and nothing else; the handle stays valid. */
static void destroy_inside(int event, int with_code, const char *version)
{
    t_case("destroy(%s) inside '%s', %s", with_code ? "code" : "no error", pt_event_name(event),
           version);
    pt_pair p;
    pt_side *c = pair_with_hook(&p, 1, destroy_hook, event, 0, version);
    c->user = with_code ? c : NULL;
    pt_write(&p, &p.s, 3000);
    for (int i = 0; i < 3; i++)
        pt_write_once(&p, &p.s, 1000);
    p.frag.max_feed = p.frag.max_pull = 1 << 20;
    pt_pair_start(&p);
    pt_run(&p);
    CHECK(hook_calls == 1);
    const char *sec = "secureConnect", *tail = with_code ? "error close" : "close";
    char want[64];
    if (event == TLSPLUG_EV_DATA)
        snprintf(want, sizeof want, "%s data %s", sec, tail);
    else
        snprintf(want, sizeof want, "%s %s", sec, tail);
    CHECK_STR(pt_log(c), want);
    if (with_code)
        CHECK_STR(c->error_code, "ECUSTOM");
    CHECK(c->close_had_error == with_code);
    unsigned f = t_state(c->sock);
    CHECKF((f & TLSPLUG_STATE_CLOSED) && !(f & TLSPLUG_STATE_WRITABLE), "state 0x%x", f);
    uint8_t b = 0;
    CHECK_RC(tlsplug_socket_write(c->sock, &b, 1), TLSPLUG_E_CLOSED);
    CHECK_RC(tlsplug_socket_feed(c->sock, &b, 1), TLSPLUG_E_CLOSED);
    CHECK_OK(tlsplug_socket_destroy(c->sock, "EAGAIN", "again")); /* a no-op now */
    CHECK_STR(pt_log(c), want);
    pt_pair_free(&p);
}

/* Write and end from inside `data`: the reply and the end arrive. */
static void reply_inside_data(int read_mode, const char *version)
{
    t_case("write and end inside 'data', %s, %s", read_mode ? "read()" : "data callback", version);
    pt_pair p;
    pt_side *s = pair_with_hook(&p, 0, reply_hook, TLSPLUG_EV_DATA, read_mode, version);
    pt_handshake(&p);
    pt_write(&p, &p.c, 10);
    pt_run(&p);
    CHECK(p.c.rx_bytes == 4321 && s->rx_bytes == 10);
    CHECK_STR(pt_log(&p.c), "secureConnect data end close");
    CHECK_STR(pt_log(s), "secure data end close");
    CHECK(p.c.close_had_error == 0 && s->close_had_error == 0);
    pt_pair_free(&p);
}

int main(void)
{
    t_init("pump_reentrancy", 10);
    static const char *const versions[] = {"TLSv1.2", "TLSv1.3"};
    for (int v = 0; v < 2; v++) {
        const char *ver = versions[v];
        free_in_data(ver);
        free_in_secure(1, ver);
        free_in_secure(0, ver);
        for (int read_mode = 0; read_mode < 2; read_mode++) {
            free_in_late_event(TLSPLUG_EV_END, read_mode, ver);
            free_in_late_event(TLSPLUG_EV_CLOSE, read_mode, ver);
            free_in_late_event(TLSPLUG_EV_ERROR, read_mode, ver);
            reply_inside_data(read_mode, ver);
        }
        for (int with_code = 0; with_code < 2; with_code++) {
            destroy_inside(TLSPLUG_EV_DATA, with_code, ver);
            destroy_inside(TLSPLUG_EV_SECURE_CONNECT, with_code, ver);
        }
        printf("  %s: free in data/secure/end/close/error, destroy in data/secureConnect, "
               "write+end in data: ok\n", ver);
    }
    return t_done();
}
