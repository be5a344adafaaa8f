/* The socket-level pieces of Node's tls.Server semantics, in memory:
 * ALPN (server preference, no overlap refused), client sessions (the
 * `session` event, getSession, getTLSTicket, isSessionReused, resuming
 * with the `session` option), `keylog` lines, setMaxSendFragment on the
 * wire, and NPN's explicit refusal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pair.h"

static const char *const versions[] = {"TLSv1.2", "TLSv1.3"};

/* ---------------------------------------------------------------- ALPN */

static void set_alpn(tlsplug_socket *s, const char *wire)
{
    CHECK_OK(tlsplug_socket_set_alpn_protocols(s, (const uint8_t *)wire, strlen(wire)));
}

static void alpn(const char *version)
{
    t_case("ALPN: overlap picks the server's preference, %s", version);
    pt_creds server = PT_SERVER;
    server.min_version = server.max_version = version;
    pt_pair p;
    pt_pair_new(&p, PT_CLIENT, server, 0, t_seed());
    set_alpn(p.c.sock, "\x02h2\x08http/1.1");
    set_alpn(p.s.sock, "\x08http/1.1\x02h2");
    pt_handshake(&p);
    CHECK_STR(pt_get(p.c.sock, tlsplug_socket_get_alpn_protocol), "http/1.1");
    CHECK_STR(pt_get(p.s.sock, tlsplug_socket_get_alpn_protocol), "http/1.1");
    pt_pair_free(&p);

    t_case("ALPN: no overlap is refused, as Node 20 does, %s", version);
    pt_pair_new(&p, PT_CLIENT, server, 0, t_seed());
    set_alpn(p.c.sock, "\x02h2");
    set_alpn(p.s.sock, "\x08http/1.1");
    pt_pair_start(&p);
    pt_run(&p);
    CHECK_STR(p.s.error_code, "ERR_SSL_NO_APPLICATION_PROTOCOL");
    CHECK_STR(p.c.error_code, "ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL");
    CHECK(p.c.counts[TLSPLUG_EV_SECURE_CONNECT] == 0);
    pt_pair_free(&p);

    t_case("ALPN: a client without ALPN is served; alpnProtocol is false, %s", version);
    pt_pair_new(&p, PT_CLIENT, server, 0, t_seed());
    set_alpn(p.s.sock, "\x08http/1.1");
    pt_handshake(&p);
    CHECK(pt_get(p.c.sock, tlsplug_socket_get_alpn_protocol) == NULL);
    CHECK(pt_get(p.s.sock, tlsplug_socket_get_alpn_protocol) == NULL);
    pt_pair_free(&p);
}

static void alpn_misuse(void)
{
    t_case("ALPN: malformed lists and late calls are refused");
    pt_pair p;
    pt_pair_new(&p, PT_CLIENT, PT_SERVER, 0, t_seed());
    static const char *const bad[] = {"\x05h2", "\x00", ""};
    for (size_t i = 0; i < 3; i++)
        CHECK_RC(tlsplug_socket_set_alpn_protocols(p.c.sock, (const uint8_t *)bad[i],
                                                   i == 1 ? 1 : strlen(bad[i])),
                 TLSPLUG_E_INVAL);
    pt_handshake(&p);
    CHECK_RC(tlsplug_socket_set_alpn_protocols(p.c.sock, (const uint8_t *)"\x02h2", 3),
             TLSPLUG_E_STATE);
    pt_pair_free(&p);
}

/* ---------------------------------------------------------------- sessions */

typedef struct session_log {
    int events;
    uint8_t blob[8192];
    size_t len;
} session_log;

static void on_session(uintptr_t ud, void *src, int ev, void *subj, const uint8_t *d, size_t n)
{
    (void)src, (void)ev, (void)subj;
    session_log *log = (session_log *)ud;
    log->events++;
    CHECKF(n > 0 && n <= sizeof log->blob, "session event of %zu bytes", n);
    memcpy(log->blob, d, n);
    log->len = n;
}

/* Read-mode delivery lets post-handshake tickets in through read(). */
static void exchange(pt_pair *p)
{
    pt_write(p, &p->s, 100);
    pt_write(p, &p->c, 100);
    pt_run(p);
}

static void sessions(const char *version)
{
    t_case("sessions: a new session, then resuming it, %s", version);
    pt_creds server = PT_SERVER;
    server.min_version = server.max_version = version;
    tlsplug_context *cctx = pt_context(PT_CLIENT), *sctx = pt_context(server);
    session_log first = {0}, second = {0};

    pt_pair p;
    pt_pair_init(&p, cctx, sctx, 1, t_seed());
    CHECK_OK(tlsplug_socket_on(p.c.sock, TLSPLUG_EV_SESSION, on_session, (uintptr_t)&first));
    uint8_t scratch[16];
    size_t n = 0;
    CHECK_RC(tlsplug_socket_get_session(p.c.sock, scratch, sizeof scratch, &n), TLSPLUG_E_UNAVAILABLE);
    pt_handshake(&p);
    exchange(&p);
    int reused = -1;
    CHECK_OK(tlsplug_socket_is_session_reused(p.c.sock, &reused));
    CHECK(reused == 0);
    /* TLS 1.3 servers send two tickets after the handshake; TLS 1.2 gives
     * the session once, with the handshake. */
    CHECKF(first.events == (strcmp(version, "TLSv1.3") == 0 ? 2 : 1), "%d session events",
           first.events);
    uint8_t ticket[4096];
    CHECK_OK(tlsplug_socket_get_tls_ticket(p.c.sock, ticket, sizeof ticket, &n));
    CHECK(n > 16);
    CHECK_RC(tlsplug_socket_get_session(p.c.sock, scratch, 1, &n), TLSPLUG_E_BUFSIZE);
    CHECK(n > 16);
    pt_pair_free(&p);

    pt_pair_init(&p, cctx, sctx, 1, t_seed() + 1);
    CHECK_OK(tlsplug_socket_on(p.c.sock, TLSPLUG_EV_SESSION, on_session, (uintptr_t)&second));
    CHECK_OK(tlsplug_socket_set_session(p.c.sock, first.blob, first.len));
    pt_handshake(&p);
    exchange(&p);
    CHECK_OK(tlsplug_socket_is_session_reused(p.c.sock, &reused));
    CHECK(reused == 1);
    CHECK_OK(tlsplug_socket_is_session_reused(p.s.sock, &reused));
    CHECK(reused == 1);
    /* A resumed TLS 1.2 session is no new session: no event, as in Node. */
    if (strcmp(version, "TLSv1.2") == 0)
        CHECK(second.events == 0);
    pt_pair_free(&p);

    t_case("sessions: a blob that is no session, and a late one, are refused, %s", version);
    pt_pair_init(&p, cctx, sctx, 1, t_seed() + 2);
    CHECK_RC(tlsplug_socket_set_session(p.c.sock, (const uint8_t *)"not a session", 13),
             TLSPLUG_E_INVAL);
    CHECK_RC(tlsplug_socket_set_session(p.s.sock, first.blob, first.len), TLSPLUG_E_INVAL);
    pt_handshake(&p);
    CHECK_RC(tlsplug_socket_set_session(p.c.sock, first.blob, first.len), TLSPLUG_E_STATE);
    pt_pair_free(&p);
    tlsplug_context_free(cctx);
    tlsplug_context_free(sctx);
}

static void resumed_verdict(void)
{
    t_case("sessions: the verification verdict travels with the session, as in Node");
    /* A client that trusts nothing here: unauthorized, allowed by
     * rejectUnauthorized false. */
    tlsplug_context *cctx = pt_context((pt_creds){0}), *sctx = pt_context(PT_SERVER);
    session_log first = {0};
    pt_pair p;
    pt_pair_init(&p, cctx, sctx, 1, t_seed());
    CHECK_OK(tlsplug_socket_set_reject_unauthorized(p.c.sock, 0));
    CHECK_OK(tlsplug_socket_on(p.c.sock, TLSPLUG_EV_SESSION, on_session, (uintptr_t)&first));
    pt_handshake(&p);
    exchange(&p);
    const char *code = pt_get(p.c.sock, tlsplug_socket_authorization_error);
    CHECK(code != NULL);
    char want[64];
    snprintf(want, sizeof want, "%s", code);
    CHECK(first.events > 0);
    pt_pair_free(&p);

    /* Resumed: no chain walk, the same verdict. */
    pt_pair_init(&p, cctx, sctx, 1, t_seed() + 3);
    CHECK_OK(tlsplug_socket_set_reject_unauthorized(p.c.sock, 0));
    CHECK_OK(tlsplug_socket_set_session(p.c.sock, first.blob, first.len));
    pt_handshake(&p);
    int reused = -1, authorized = -1;
    CHECK_OK(tlsplug_socket_is_session_reused(p.c.sock, &reused));
    CHECK_OK(tlsplug_socket_authorized(p.c.sock, &authorized));
    CHECK(reused == 1 && authorized == 0);
    CHECK_STR(pt_get(p.c.sock, tlsplug_socket_authorization_error), want);
    pt_pair_free(&p);

    /* A client that rejects refuses the resumed session with that code. */
    pt_pair_init(&p, cctx, sctx, 1, t_seed() + 4);
    CHECK_OK(tlsplug_socket_set_session(p.c.sock, first.blob, first.len));
    pt_pair_start(&p);
    pt_run(&p);
    CHECK_STR(p.c.error_code, want);
    CHECK(p.c.counts[TLSPLUG_EV_SECURE_CONNECT] == 0);
    pt_pair_free(&p);
    tlsplug_context_free(cctx);
    tlsplug_context_free(sctx);
}

/* ---------------------------------------------------------------- keylog */

typedef struct keylog {
    int lines;
    char labels[16][48];
    char secrets[16][160];
} keylog;

static void on_keylog(uintptr_t ud, void *src, int ev, void *subj, const uint8_t *d, size_t n)
{
    (void)src, (void)ev, (void)subj;
    keylog *k = (keylog *)ud;
    CHECKF(n > 0 && d[n - 1] == '\n', "a key log line without its newline");
    char line[512];
    CHECK(n < sizeof line);
    memcpy(line, d, n);
    line[n] = 0;
    /* Node's form: LABEL <64 hex digits of client_random> <hex secret>\n */
    char label[48], random[80], secret[160];
    CHECKF(sscanf(line, "%47s %79s %159s", label, random, secret) == 3, "line \"%s\"", line);
    CHECKF(strlen(random) == 64 && strspn(random, "0123456789abcdef") == 64, "random \"%s\"", random);
    CHECKF(strspn(secret, "0123456789abcdef") == strlen(secret), "secret \"%s\"", secret);
    CHECK(k->lines < 16);
    snprintf(k->labels[k->lines], sizeof k->labels[0], "%s", label);
    snprintf(k->secrets[k->lines], sizeof k->secrets[0], "%s", secret);
    k->lines++;
}

static void keylog_lines(const char *version)
{
    t_case("keylog: Node's lines, the same secrets on both sides, %s", version);
    pt_creds server = PT_SERVER;
    server.min_version = server.max_version = version;
    pt_pair p;
    pt_pair_new(&p, PT_CLIENT, server, 0, t_seed());
    keylog kc = {0}, ks = {0}, off = {0};
    CHECK_OK(tlsplug_socket_set_keylog(p.c.sock, 1));
    CHECK_OK(tlsplug_socket_set_keylog(p.s.sock, 1));
    CHECK_OK(tlsplug_socket_on(p.c.sock, TLSPLUG_EV_KEYLOG, on_keylog, (uintptr_t)&kc));
    CHECK_OK(tlsplug_socket_on(p.s.sock, TLSPLUG_EV_KEYLOG, on_keylog, (uintptr_t)&ks));
    pt_handshake(&p);
    if (strcmp(version, "TLSv1.3") == 0)
        CHECKF(kc.lines == 5, "%d lines", kc.lines); /* 2 handshake, 2 traffic, exporter */
    else
        CHECKF(kc.lines == 1 && strcmp(kc.labels[0], "CLIENT_RANDOM") == 0, "%d lines", kc.lines);
    CHECK(kc.lines == ks.lines);
    for (int i = 0; i < kc.lines; i++)
        for (int j = 0; j < ks.lines; j++)
            if (strcmp(kc.labels[i], ks.labels[j]) == 0)
                CHECKF(strcmp(kc.secrets[i], ks.secrets[j]) == 0, "%s differs", kc.labels[i]);
    pt_pair_free(&p);

    t_case("keylog: nothing without set_keylog, %s", version);
    pt_pair_new(&p, PT_CLIENT, server, 0, t_seed());
    CHECK_OK(tlsplug_socket_on(p.c.sock, TLSPLUG_EV_KEYLOG, on_keylog, (uintptr_t)&off));
    pt_handshake(&p);
    CHECK(off.lines == 0);
    pt_pair_free(&p);
}

/* ---------------------------------------------------------------- records */

/* The largest record body in `n` bytes of TLS records. */
static size_t largest_record(const uint8_t *d, size_t n)
{
    size_t max = 0;
    for (size_t i = 0; i + 5 <= n;) {
        size_t len = (size_t)d[i + 3] << 8 | d[i + 4];
        if (len > max)
            max = len;
        i += 5 + len;
    }
    return max;
}

static void max_send_fragment(const char *version)
{
    t_case("setMaxSendFragment(1000) cuts this side's records, %s", version);
    pt_creds server = PT_SERVER;
    server.min_version = server.max_version = version;
    pt_pair p;
    pt_pair_new(&p, PT_CLIENT, server, 0, t_seed());
    pt_handshake(&p);
    CHECK_RC(tlsplug_socket_set_max_send_fragment(p.c.sock, 511), TLSPLUG_E_INVAL);
    CHECK_RC(tlsplug_socket_set_max_send_fragment(p.c.sock, 16385), TLSPLUG_E_INVAL);
    CHECK_OK(tlsplug_socket_set_max_send_fragment(p.c.sock, 1000));
    uint8_t *msg = calloc(1, 10000);
    CHECK(msg);
    CHECK_OK(tlsplug_socket_write(p.c.sock, msg, 10000));
    free(msg);
    const uint8_t *view;
    size_t n;
    CHECK_OK(tlsplug_socket_peek_output(p.c.sock, &view, &n));
    /* 1000 bytes of cleartext plus at most the AEAD overhead (a 24-byte
     * GCM nonce and tag in TLS 1.2, the type byte and tag in 1.3). */
    size_t largest = largest_record(view, n);
    CHECKF(largest > 1000 && largest <= 1024, "largest record %zu", largest);
    CHECK(n > 10 * 1000); /* ten records or more */
    pt_pair_free(&p);
}

static void npn(void)
{
    t_case("NPN is refused, pointing to ALPN");
    pt_pair p;
    pt_pair_new(&p, PT_CLIENT, PT_SERVER, 0, t_seed());
    CHECK_RC(tlsplug_socket_set_npn_protocols(p.c.sock, (const uint8_t *)"\x02h2", 3),
             TLSPLUG_E_UNSUPPORTED);
    char msg[512];
    size_t n;
    CHECK_OK(tlsplug_error_get(p.c.sock, TLSPLUG_ERROR_MESSAGE, msg, sizeof msg, &n));
    CHECKF(strstr(msg, "ALPN") != NULL, "message \"%s\"", msg);
    pt_pair_free(&p);
}

int main(void)
{
    t_init("pump_alpn_session", 11);
    for (size_t i = 0; i < 2; i++) {
        alpn(versions[i]);
        sessions(versions[i]);
        keylog_lines(versions[i]);
        max_send_fragment(versions[i]);
    }
    alpn_misuse();
    resumed_verdict();
    npn();
    return t_done();
}
