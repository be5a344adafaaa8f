/* tls.Server without IO, in memory: accept, addContext and its wildcard
 * rules, the async SNICallback (answered later, inside, with an error,
 * twice), secureConnection and tlsClientError, the handshake timeout on an
 * injected clock, ticket keys shared between servers, setSecureContext,
 * server options, the server's event queue, and freeing a server under
 * live sockets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pair.h"

/* Server events, recorded. */
typedef struct server_log {
    int secure_connections, client_errors, sni;
    char error_code[64];
    char sni_name[256];
    tlsplug_socket *subject;
    tlsplug_context *answer; /* answer SNI from inside the callback with this */
    int answer_inside;
} server_log;

static void on_server(uintptr_t ud, void *src, int ev, void *subj, const uint8_t *d, size_t n)
{
    (void)src;
    server_log *log = (server_log *)ud;
    log->subject = subj;
    if (ev == TLSPLUG_EV_SECURE_CONNECTION)
        log->secure_connections++;
    else if (ev == TLSPLUG_EV_TLS_CLIENT_ERROR) {
        log->client_errors++;
        snprintf(log->error_code, sizeof log->error_code, "%.*s", (int)n, (const char *)d);
    } else if (ev == TLSPLUG_EV_SNI_CALLBACK) {
        log->sni++;
        snprintf(log->sni_name, sizeof log->sni_name, "%.*s", (int)n, (const char *)d);
        if (log->answer_inside)
            CHECK_OK(tlsplug_socket_sni_done(subj, log->answer, NULL));
    }
}

static tlsplug_server *new_server(pt_creds creds, server_log *log)
{
    tlsplug_context *ctx = pt_context(creds);
    tlsplug_server *srv;
    CHECK_OK(tlsplug_server_new(ctx, &srv));
    CHECK_OK(tlsplug_context_free(ctx)); /* the server keeps its own reference */
    for (int ev = TLSPLUG_EV_SECURE_CONNECTION; ev <= TLSPLUG_EV_SNI_CALLBACK; ev++)
        CHECK_OK(tlsplug_server_on(srv, ev, on_server, (uintptr_t)log));
    return srv;
}

/* A pair whose server socket comes from `srv` (accepted at `now`); the
 * client sends `sni` and is not started yet. These tests look at which
 * certificate is served, not at verification: the client accepts any. */
static void pair_unstarted(pt_pair *p, tlsplug_server *srv, tlsplug_context *cctx,
                           const char *sni, size_t now, int read_mode)
{
    tlsplug_context *unused = pt_context(PT_SERVER);
    pt_pair_init(p, cctx, unused, read_mode, t_seed());
    CHECK_OK(tlsplug_context_free(unused));
    tlsplug_socket *s;
    CHECK_OK(tlsplug_server_accept(srv, now, &s));
    pt_pair_adopt_server(p, s);
    CHECK_OK(tlsplug_socket_set_servername(p->c.sock, sni));
    CHECK_OK(tlsplug_socket_set_reject_unauthorized(p->c.sock, 0));
}

static void pair_on(pt_pair *p, tlsplug_server *srv, tlsplug_context *cctx, const char *sni,
                    size_t now)
{
    pair_unstarted(p, srv, cctx, sni, now, 0);
    CHECK_OK(tlsplug_socket_start(p->c.sock));
}

/* Which certificate the client saw: its subject CN and key kind. */
static const char *served(pt_pair *p)
{
    static char out[300];
    char json[8192];
    size_t n = 0;
    CHECK_OK(tlsplug_socket_get_peer_certificate(p->c.sock, 0, json, sizeof json, &n));
    snprintf(out, sizeof out, "%s/%s", strstr(json, "\"CN\":\"other.test\"") ? "other.test" : "localhost",
             strstr(json, "\"nistCurve\"") ? "EC" : "RSA");
    return out;
}

static void sni_add_context(void)
{
    t_case("addContext: exact, wildcard, no match, the latest added wins");
    server_log log = {0};
    tlsplug_server *srv = new_server(PT_SERVER, &log);
    tlsplug_context *ec = pt_context((pt_creds){.key = "server-ec.key", .cert = "server-ec-chain.pem"});
    tlsplug_context *other = pt_context((pt_creds){.key = "wronghost.key", .cert = "wronghost-chain.pem"});
    CHECK_OK(tlsplug_server_add_context(srv, "a.test", ec));
    CHECK_OK(tlsplug_server_add_context(srv, "*.b.test", other));
    CHECK_RC(tlsplug_server_add_context(srv, NULL, ec), TLSPLUG_E_INVAL);
    tlsplug_context *cctx = pt_context(PT_CLIENT);
    static const struct {
        const char *sni, *want;
    } cases[] = {
        {"a.test", "localhost/EC"},      {"x.b.test", "other.test/RSA"},
        {"y.z.b.test", "localhost/RSA"}, {"b.test", "localhost/RSA"},
        {"nothing.test", "localhost/RSA"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        pt_pair p;
        pair_on(&p, srv, cctx, cases[i].sni, 0);
        pt_run(&p);
        CHECKF(p.c.counts[TLSPLUG_EV_SECURE_CONNECT] == 1, "%s: no secureConnect", cases[i].sni);
        CHECKF(strcmp(served(&p), cases[i].want) == 0, "%s: served %s, want %s", cases[i].sni,
               served(&p), cases[i].want);
        pt_pair_free(&p);
    }
    CHECKF(log.secure_connections == 5, "%d secureConnection", log.secure_connections);

    /* The latest added context wins among matches. */
    CHECK_OK(tlsplug_server_add_context(srv, "*.test", other));
    pt_pair p;
    pair_on(&p, srv, cctx, "a.test", 0);
    pt_run(&p);
    CHECK_STR(served(&p), "other.test/RSA");
    pt_pair_free(&p);
    tlsplug_context_free(cctx);
    tlsplug_context_free(ec);
    tlsplug_context_free(other);
    CHECK_OK(tlsplug_server_free(srv));
}

static void sni_callback(void)
{
    t_case("SNICallback: answered later, the handshake waits");
    server_log log = {0};
    tlsplug_server *srv = new_server(PT_SERVER, &log);
    CHECK_OK(tlsplug_server_set_sni_callback(srv, 1));
    tlsplug_context *ec = pt_context((pt_creds){.key = "server-ec.key", .cert = "server-ec-chain.pem"});
    tlsplug_context *cctx = pt_context(PT_CLIENT);
    pt_pair p;
    pair_on(&p, srv, cctx, "localhost", 0);
    pt_run(&p);
    CHECK(log.sni == 1);
    CHECK_STR(log.sni_name, "localhost");
    CHECK(log.subject == p.s.sock);
    CHECK(t_state(p.s.sock) & TLSPLUG_STATE_PAUSED);
    CHECK(p.c.counts[TLSPLUG_EV_SECURE_CONNECT] == 0 && p.s.counts[TLSPLUG_EV_SECURE] == 0);
    CHECK_OK(tlsplug_socket_sni_done(p.s.sock, ec, NULL));
    CHECK_RC(tlsplug_socket_sni_done(p.s.sock, ec, NULL), TLSPLUG_E_STATE); /* twice */
    pt_run(&p);
    CHECK(p.c.counts[TLSPLUG_EV_SECURE_CONNECT] == 1 && log.secure_connections == 1);
    CHECK_STR(served(&p), "localhost/EC");
    pt_pair_free(&p);

    t_case("SNICallback: answered inside the callback");
    log.answer = ec;
    log.answer_inside = 1;
    pair_on(&p, srv, cctx, "localhost", 0);
    pt_run(&p);
    CHECK(p.c.counts[TLSPLUG_EV_SECURE_CONNECT] == 1);
    CHECK_STR(served(&p), "localhost/EC");
    pt_pair_free(&p);

    t_case("SNICallback: an error aborts that connection only");
    log.answer_inside = 0;
    pt_pair bad, good;
    pair_on(&bad, srv, cctx, "localhost", 0);
    pair_on(&good, srv, cctx, "localhost", 0);
    pt_run(&bad);
    pt_run(&good);
    CHECK_RC(tlsplug_socket_sni_done(bad.s.sock, NULL, "no certificate for that name"), TLSPLUG_E_TLS);
    CHECK(log.client_errors == 1);
    CHECK_STR(log.error_code, "ERR_TLS_SNI_CALLBACK");
    CHECK_OK(tlsplug_socket_sni_done(good.s.sock, NULL, NULL));
    pt_run(&bad);
    pt_run(&good);
    /* Node destroys the socket without an alert: the client learns it from
     * the transport's end. */
    CHECK(t_state(bad.s.sock) & TLSPLUG_STATE_CLOSED);
    CHECK_RC(tlsplug_socket_feed_eof(bad.c.sock), TLSPLUG_E_TLS);
    CHECK_STR(bad.c.error_code, "ECONNRESET");
    CHECK(bad.c.counts[TLSPLUG_EV_SECURE_CONNECT] == 0);
    CHECK(good.c.counts[TLSPLUG_EV_SECURE_CONNECT] == 1);
    CHECK_STR(served(&good), "localhost/RSA"); /* NULL: the server's own context */
    pt_pair_free(&bad);
    pt_pair_free(&good);
    tlsplug_context_free(cctx);
    tlsplug_context_free(ec);
    CHECK_OK(tlsplug_server_free(srv));
}

static void handshake_timeout(void)
{
    t_case("handshakeTimeout: a stalled ClientHello, time injected");
    server_log log = {0};
    tlsplug_server *srv = new_server(PT_SERVER, &log);
    CHECK_OK(tlsplug_server_set_handshake_timeout(srv, 5000));
    tlsplug_socket *s;
    CHECK_OK(tlsplug_server_accept(srv, 1000, &s));
    size_t at = 0;
    CHECK_OK(tlsplug_socket_next_timeout(s, &at));
    CHECK(at == 6000);
    /* Half a ClientHello: a record header promising more. */
    static const uint8_t half[] = {22, 3, 1, 0, 200, 1, 0, 0, 196, 3, 3};
    CHECK_OK(tlsplug_socket_feed(s, half, sizeof half));
    CHECK_OK(tlsplug_socket_tick(s, 5999));
    CHECK(log.client_errors == 0);
    CHECK_RC(tlsplug_socket_tick(s, 6000), TLSPLUG_E_TLS);
    CHECK(log.client_errors == 1);
    CHECK_STR(log.error_code, "ERR_TLS_HANDSHAKE_TIMEOUT");
    CHECK(t_state(s) & TLSPLUG_STATE_CLOSED);
    CHECK_RC(tlsplug_socket_next_timeout(s, &at), TLSPLUG_E_UNAVAILABLE);
    CHECK_OK(tlsplug_socket_free(s));

    t_case("handshakeTimeout: no timeout once secure");
    tlsplug_context *cctx = pt_context(PT_CLIENT);
    pt_pair p;
    pair_on(&p, srv, cctx, "localhost", 1000);
    pt_run(&p);
    CHECK(p.s.counts[TLSPLUG_EV_SECURE] == 1);
    CHECK_OK(tlsplug_socket_tick(p.s.sock, 1000000));
    CHECK(!(t_state(p.s.sock) & TLSPLUG_STATE_CLOSED));
    pt_pair_free(&p);
    tlsplug_context_free(cctx);
    CHECK_OK(tlsplug_server_free(srv));
}

/* Connect with `session` (may be NULL); answers isSessionReused and keeps
 * the new session in *out. */
static int connect_resume(tlsplug_server *srv, tlsplug_context *cctx, const uint8_t *session,
                          size_t len, uint8_t *out, size_t *out_len)
{
    pt_pair p;
    pair_unstarted(&p, srv, cctx, "localhost", 0, 1);
    if (session)
        CHECK_OK(tlsplug_socket_set_session(p.c.sock, session, len));
    CHECK_OK(tlsplug_socket_start(p.c.sock));
    pt_run(&p);
    CHECK(p.c.counts[TLSPLUG_EV_SECURE_CONNECT] == 1);
    pt_write(&p, &p.s, 10); /* lets TLS 1.3 tickets through read() */
    pt_run(&p);
    int reused = -1;
    CHECK_OK(tlsplug_socket_is_session_reused(p.c.sock, &reused));
    *out_len = 0;
    int rc = tlsplug_socket_get_session(p.c.sock, out, 8192, out_len);
    CHECK(rc == TLSPLUG_OK || rc == TLSPLUG_E_UNAVAILABLE);
    pt_pair_free(&p);
    return reused;
}

static void ticket_keys(const char *version)
{
    t_case("ticketKeys: two servers with the same keys resume each other's tickets, %s", version);
    pt_creds creds = PT_SERVER;
    creds.min_version = creds.max_version = version;
    server_log la = {0}, lb = {0}, lc = {0};
    tlsplug_server *a = new_server(creds, &la), *b = new_server(creds, &lb), *c = new_server(creds, &lc);
    uint8_t keys[64];
    size_t n = 0;
    CHECK_RC(tlsplug_server_get_ticket_keys(a, keys, 10, &n), TLSPLUG_E_BUFSIZE);
    CHECK_OK(tlsplug_server_get_ticket_keys(a, keys, sizeof keys, &n));
    CHECK(n == 48);
    CHECK_RC(tlsplug_server_set_ticket_keys(b, keys, 47), TLSPLUG_E_INVAL);
    CHECK_OK(tlsplug_server_set_ticket_keys(b, keys, 48));
    tlsplug_context *cctx = pt_context(PT_CLIENT);
    static uint8_t session[8192], next[8192];
    size_t slen = 0, nlen = 0;
    CHECK(connect_resume(a, cctx, NULL, 0, session, &slen) == 0);
    CHECK(slen > 0);
    CHECKF(connect_resume(b, cctx, session, slen, next, &nlen) == 1, "b did not resume a's ticket");
    CHECKF(connect_resume(c, cctx, session, slen, next, &nlen) == 0, "c resumed with other keys");
    /* New keys on a: its old tickets no longer resume there. */
    keys[0] ^= 1;
    CHECK_OK(tlsplug_server_set_ticket_keys(a, keys, 48));
    CHECK(connect_resume(a, cctx, session, slen, next, &nlen) == 0);
    tlsplug_context_free(cctx);
    CHECK_OK(tlsplug_server_free(a));
    CHECK_OK(tlsplug_server_free(b));
    CHECK_OK(tlsplug_server_free(c));
}

static void options_and_context(void)
{
    t_case("server options: requestCert, ALPN; setSecureContext for new connections");
    server_log log = {0};
    pt_creds creds = PT_SERVER;
    creds.ca = "ca.pem";
    tlsplug_server *srv = new_server(creds, &log);
    CHECK_OK(tlsplug_server_set_request_cert(srv, 1));
    CHECK_OK(tlsplug_server_set_alpn_protocols(srv, (const uint8_t *)"\x08http/1.1", 9));
    CHECK_RC(tlsplug_server_set_alpn_protocols(srv, (const uint8_t *)"\x09http/1.1", 9), TLSPLUG_E_INVAL);
    tlsplug_context *cctx = pt_context((pt_creds){.key = "client.key", .cert = "client-chain.pem", .ca = "ca.pem"});
    pt_pair p;
    pair_unstarted(&p, srv, cctx, "localhost", 0, 0);
    CHECK_OK(tlsplug_socket_set_alpn_protocols(p.c.sock, (const uint8_t *)"\x02h2\x08http/1.1", 12));
    CHECK_OK(tlsplug_socket_start(p.c.sock));
    pt_run(&p);
    int authorized = 0;
    CHECK_OK(tlsplug_socket_authorized(p.s.sock, &authorized));
    CHECK(authorized == 1);
    CHECK_STR(pt_get(p.s.sock, tlsplug_socket_get_alpn_protocol), "http/1.1");
    pt_pair_free(&p);

    /* A new context: new connections get its certificate. */
    tlsplug_context *ec = pt_context((pt_creds){.key = "server-ec.key", .cert = "server-ec-chain.pem", .ca = "ca.pem"});
    CHECK_OK(tlsplug_server_set_secure_context(srv, ec));
    tlsplug_context_free(ec);
    pair_on(&p, srv, cctx, "localhost", 0);
    pt_run(&p);
    CHECK(p.c.counts[TLSPLUG_EV_SECURE_CONNECT] == 1);
    CHECK_STR(served(&p), "localhost/EC");
    pt_pair_free(&p);
    tlsplug_context_free(cctx);
    CHECK_OK(tlsplug_server_free(srv));
}

static int server_keylog_lines;

static void on_server_keylog(uintptr_t ud, void *src, int ev, void *subj, const uint8_t *d,
                             size_t n)
{
    (void)src, (void)ev, (void)d;
    CHECK(subj == (void *)ud || ud == 0);
    CHECK(n > 0 && d[n - 1] == '\n');
    server_keylog_lines++;
}

static void server_keylog(void)
{
    t_case("the server's keylog event, with the socket as subject");
    server_log log = {0};
    tlsplug_server *srv = new_server(PT_SERVER, &log);
    CHECK_OK(tlsplug_server_set_keylog(srv, 1));
    CHECK_OK(tlsplug_server_on(srv, TLSPLUG_EV_KEYLOG, on_server_keylog, 0));
    tlsplug_context *cctx = pt_context(PT_CLIENT);
    pt_pair p;
    server_keylog_lines = 0;
    pair_on(&p, srv, cctx, "localhost", 0);
    pt_run(&p);
    CHECK(p.c.counts[TLSPLUG_EV_SECURE_CONNECT] == 1);
    CHECKF(server_keylog_lines == 5, "%d lines", server_keylog_lines); /* TLS 1.3 */
    pt_pair_free(&p);
    tlsplug_context_free(cctx);
    CHECK_OK(tlsplug_server_free(srv));
}

static void queue_and_free(void)
{
    t_case("server event queue; freeing the server under a live socket");
    tlsplug_context *sctx = pt_context(PT_SERVER);
    tlsplug_server *srv;
    CHECK_OK(tlsplug_server_new(sctx, &srv));
    tlsplug_context_free(sctx);
    CHECK_OK(tlsplug_server_set_event_queue(srv, 1));
    tlsplug_context *cctx = pt_context(PT_CLIENT);
    pt_pair p;
    pair_on(&p, srv, cctx, "localhost", 0);
    pt_run(&p);
    int ev = 0;
    tlsplug_socket *subject = NULL;
    size_t n = 0;
    CHECK_OK(tlsplug_server_next_event(srv, &ev, &subject, NULL, 0, &n));
    CHECK(ev == TLSPLUG_EV_SECURE_CONNECTION && subject == p.s.sock && n == 0);
    CHECK_RC(tlsplug_server_next_event(srv, &ev, &subject, NULL, 0, &n), TLSPLUG_E_AGAIN);
    CHECK_RC(tlsplug_server_on(srv, TLSPLUG_EV_DATA, NULL, 0), TLSPLUG_E_INVAL);
    CHECK_OK(tlsplug_server_free(srv));
    CHECK_RC(tlsplug_server_free(srv), TLSPLUG_E_BADHANDLE);
    /* The socket lives on. */
    pt_send(&p, 1000, 1000);
    pt_run(&p);
    CHECK_OK(tlsplug_socket_end(p.c.sock));
    pt_run(&p);
    CHECK(p.s.counts[TLSPLUG_EV_CLOSE] == 1);
    pt_pair_free(&p);
    tlsplug_context_free(cctx);
}

/* The host's session store and OCSP answers, recorded. */
typedef struct store {
    int new_sessions, resumes, ocsp_requests;
    int offered_known; /* the last resumeSession asked for the stored id */
    uint8_t id[32], data[8192];
    size_t id_len, data_len;
    tlsplug_socket *pending; /* a question left for later */
    uint8_t cert[4096];
    size_t cert_len;
} store;

static void on_store(uintptr_t ud, void *src, int ev, void *subj, const uint8_t *d, size_t n)
{
    (void)src;
    store *st = (store *)ud;
    st->pending = subj;
    if (ev == TLSPLUG_EV_NEW_SESSION) {
        st->new_sessions++;
        CHECK(n > 1 && d[0] > 0 && (size_t)d[0] + 1 < n);
        st->id_len = d[0];
        memcpy(st->id, d + 1, st->id_len);
        st->data_len = n - 1 - st->id_len;
        CHECK(st->data_len <= sizeof st->data);
        memcpy(st->data, d + 1 + st->id_len, st->data_len);
    } else if (ev == TLSPLUG_EV_RESUME_SESSION) {
        /* Clients send a random legacy id on a first connection too: the
         * store looks it up and usually misses, as with Node. */
        st->resumes++;
        CHECK(n > 0 && n <= 32);
        st->offered_known = n == st->id_len && memcmp(d, st->id, n) == 0;
    } else if (ev == TLSPLUG_EV_OCSP_REQUEST) {
        st->ocsp_requests++;
        CHECK(n > 4);
        size_t clen = (size_t)d[0] << 24 | (size_t)d[1] << 16 | (size_t)d[2] << 8 | d[3];
        CHECK(4 + clen <= n && clen <= sizeof st->cert);
        memcpy(st->cert, d + 4, clen);
        st->cert_len = clen;
    }
}

static void session_store(void)
{
    t_case("newSession/resumeSession: a TLS 1.2 store by id, answered later");
    pt_creds creds = PT_SERVER;
    creds.min_version = creds.max_version = "TLSv1.2";
    server_log log = {0};
    store st = {0};
    tlsplug_server *srv = new_server(creds, &log);
    CHECK_OK(tlsplug_server_set_session_store(srv, 1));
    CHECK_OK(tlsplug_server_on(srv, TLSPLUG_EV_NEW_SESSION, on_store, (uintptr_t)&st));
    CHECK_OK(tlsplug_server_on(srv, TLSPLUG_EV_RESUME_SESSION, on_store, (uintptr_t)&st));
    CHECK_RC(tlsplug_server_set_session_timeout(srv, 0), TLSPLUG_E_INVAL);
    CHECK_OK(tlsplug_server_set_session_timeout(srv, 600));
    /* A client without tickets, so the server keeps the session by id. */
    tlsplug_context *cctx = pt_context(PT_CLIENT);
    CHECK_OK(tlsplug_context_set_secure_options(cctx, 0x00004000u)); /* SSL_OP_NO_TICKET */

    static uint8_t session[8192];
    size_t slen = 0;
    /* 1: a first connection: its random id is unknown; the new session is
     * stored, and nothing reaches the client until the store answers. */
    /* 2: resuming by id, found. 3: offered again, but the store misses. */
    for (int round = 1; round <= 3; round++) {
        pt_pair p;
        pair_unstarted(&p, srv, cctx, "localhost", 0, 0);
        if (round > 1)
            CHECK_OK(tlsplug_socket_set_session(p.c.sock, session, slen));
        CHECK_OK(tlsplug_socket_start(p.c.sock));
        pt_run(&p);
        CHECKF(st.resumes == round, "round %d: %d resumeSession", round, st.resumes);
        CHECK(t_state(p.s.sock) & TLSPLUG_STATE_PAUSED);
        CHECK(st.offered_known == (round > 1));
        int hit = round == 2;
        CHECK_OK(tlsplug_socket_resume_session_done(st.pending, hit ? st.data : NULL,
                                                    hit ? st.data_len : 0));
        CHECK_RC(tlsplug_socket_resume_session_done(st.pending, NULL, 0), TLSPLUG_E_STATE);
        pt_run(&p);
        if (!hit) {
            CHECK(st.new_sessions == (round == 1 ? 1 : 2) && st.id_len > 0);
            CHECK(p.c.counts[TLSPLUG_EV_SECURE_CONNECT] == 0 && p.s.counts[TLSPLUG_EV_SECURE] == 0);
            CHECK(t_state(p.s.sock) & TLSPLUG_STATE_PAUSED);
            CHECK_OK(tlsplug_socket_new_session_done(st.pending));
            CHECK_RC(tlsplug_socket_new_session_done(st.pending), TLSPLUG_E_STATE);
            pt_run(&p);
        }
        CHECK(p.c.counts[TLSPLUG_EV_SECURE_CONNECT] == 1 && p.s.counts[TLSPLUG_EV_SECURE] == 1);
        int reused = -1;
        CHECK_OK(tlsplug_socket_is_session_reused(p.s.sock, &reused));
        CHECKF(reused == hit, "round %d: server reused %d", round, reused);
        CHECK_OK(tlsplug_socket_is_session_reused(p.c.sock, &reused));
        CHECK(reused == hit);
        if (round == 1)
            CHECK_OK(tlsplug_socket_get_session(p.c.sock, session, sizeof session, &slen));
        pt_send(&p, 1000, 1000);
        pt_run(&p);
        pt_pair_free(&p);
    }
    CHECK(log.secure_connections == 3);
    tlsplug_context_free(cctx);
    CHECK_OK(tlsplug_server_free(srv));
}

static uint8_t staple[64];
static size_t staple_len;

static void on_ocsp_response(uintptr_t ud, void *src, int ev, void *subj, const uint8_t *d, size_t n)
{
    (void)ud, (void)src, (void)ev, (void)subj;
    CHECK(n <= sizeof staple);
    if (n) /* nothing stapled comes as no payload (Node's null), d may be NULL */
        memcpy(staple, d, n);
    staple_len = n;
}

static void ocsp(const char *version)
{
    t_case("OCSPRequest answered later; the client's OCSPResponse byte for byte, %s", version);
    pt_creds creds = PT_SERVER;
    creds.min_version = creds.max_version = version;
    server_log log = {0};
    store st = {0};
    tlsplug_server *srv = new_server(creds, &log);
    CHECK_OK(tlsplug_server_set_ocsp(srv, 1));
    CHECK_OK(tlsplug_server_on(srv, TLSPLUG_EV_OCSP_REQUEST, on_store, (uintptr_t)&st));
    tlsplug_context *cctx = pt_context(PT_CLIENT);
    static const uint8_t response[] = "a stapled response, as the host gave it";
    for (int answer = 1; answer >= 0; answer--) {
        pt_pair p;
        pair_unstarted(&p, srv, cctx, "localhost", 0, 0);
        CHECK_OK(tlsplug_socket_set_request_ocsp(p.c.sock, 1));
        CHECK_OK(tlsplug_socket_on(p.c.sock, TLSPLUG_EV_OCSP_RESPONSE, on_ocsp_response, 0));
        staple_len = 0;
        CHECK_OK(tlsplug_socket_start(p.c.sock));
        pt_run(&p);
        CHECK(st.ocsp_requests == 2 - answer && st.cert_len > 100); /* the server's certificate */
        CHECK(p.c.counts[TLSPLUG_EV_SECURE_CONNECT] == 0);
        CHECK_OK(tlsplug_socket_ocsp_done(st.pending, answer ? response : NULL,
                                          answer ? sizeof response : 0));
        pt_run(&p);
        CHECK(p.c.counts[TLSPLUG_EV_SECURE_CONNECT] == 1);
        if (answer)
            CHECKF(staple_len == sizeof response && memcmp(staple, response, staple_len) == 0,
                   "staple of %zu bytes", staple_len);
        else
            CHECK(staple_len == 0);
        pt_pair_free(&p);
    }
    tlsplug_context_free(cctx);
    CHECK_OK(tlsplug_server_free(srv));
}

int main(void)
{
    t_init("pump_server", 21);
    session_store();
    ocsp("TLSv1.2");
    ocsp("TLSv1.3");
    sni_add_context();
    sni_callback();
    handshake_timeout();
    ticket_keys("TLSv1.2");
    ticket_keys("TLSv1.3");
    options_and_context();
    server_keylog();
    queue_and_free();
    return t_done();
}
