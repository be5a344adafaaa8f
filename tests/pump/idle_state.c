/* What a socket makes only when it is needed, so that an idle connection
 * stays small (tests/bench/README.md, idle memory): the callback table,
 * the event queue, the Finished messages, the authorization code and the
 * sticky error record. Each must answer as if it had always been there,
 * after the handshake and after the connection sat idle. */
#include <stdio.h>
#include <stdlib.h>

#include "pair.h"

/* ---- callbacks and the queue -------------------------------------------- */

/* The userdata each event's callback was registered with: tag(event). */
static uintptr_t tag(int event, int round) { return (uintptr_t)(1000 * round + event); }

static uintptr_t expected[64]; /* the userdata set last for each event */
static int tagged_seen[64];

static void on_tagged(uintptr_t ud, void *source, int event, void *subject, const uint8_t *data,
                      size_t len)
{
    (void)source, (void)subject, (void)data, (void)len;
    CHECKF(ud == expected[event], "event %d reached the callback with userdata %lu, not %lu",
           event, (unsigned long)ud, (unsigned long)expected[event]);
    tagged_seen[event]++;
}

static void set_tagged(tlsplug_socket *s, int event, int round)
{
    expected[event] = round ? tag(event, round) : 0;
    CHECK_OK(tlsplug_socket_on(s, event, round ? on_tagged : NULL, expected[event]));
}

/* Callbacks set in any order, replaced and removed: each event reaches the
 * callback (and userdata) set for it last, and one without a callback goes
 * to the queue, which exists only once turned on. */
static void callbacks_and_queue(uint64_t seed)
{
    t_case("callbacks set out of order, replaced, removed; the queue made on demand");
    pt_pair p;
    pt_pair_new(&p, PT_CLIENT, PT_SERVER, 0, seed);
    tlsplug_socket *c = p.c.sock;
    int ev = 0;
    size_t n = 0;
    uint8_t buf[4096];
    CHECK_RC(tlsplug_socket_next_event(c, &ev, buf, sizeof buf, &n), TLSPLUG_E_AGAIN);

    /* Drop the pair's recorder from the client, then set every event from
     * the last to the first (each goes in front of the ones set before). */
    for (int e = TLSPLUG_EV_SECURE_CONNECT; e <= TLSPLUG_EV_TRACE; e++)
        CHECK_OK(tlsplug_socket_on(c, e, NULL, 0));
    for (int e = TLSPLUG_EV_TRACE; e >= TLSPLUG_EV_SECURE_CONNECT; e--)
        set_tagged(c, e, 1);
    /* Every other one removed (the table shrinks), then some of the rest
     * replaced in place: secureConnect (1) gets a new userdata, data (3)
     * keeps its first one, session (8) has none. */
    for (int e = TLSPLUG_EV_SECURE_CONNECT; e <= TLSPLUG_EV_TRACE; e++)
        if (e % 2 == 0)
            set_tagged(c, e, 0);
    for (int e = TLSPLUG_EV_TRACE; e >= TLSPLUG_EV_SECURE_CONNECT; e--)
        if (e % 4 == 1)
            set_tagged(c, e, 2);
    CHECK_OK(tlsplug_socket_set_event_queue(c, 1));

    pt_pair_start(&p);
    pt_run(&p);
    unsigned f = 0;
    CHECK_OK(tlsplug_socket_state(c, &f));
    CHECK(f & TLSPLUG_STATE_SECURE);
    CHECK(tagged_seen[TLSPLUG_EV_SECURE_CONNECT] == 1);
    pt_write_once(&p, &p.s, 100);
    pt_run(&p);
    CHECK(tagged_seen[TLSPLUG_EV_DATA] >= 1);
    CHECK(tagged_seen[TLSPLUG_EV_SESSION] == 0);

    /* TLS 1.3: the server's tickets came as `session` events, queued. */
    int sessions = 0;
    while (tlsplug_socket_next_event(c, &ev, buf, sizeof buf, &n) == TLSPLUG_OK) {
        CHECKF(ev % 2 == 0, "event %d was queued although it has a callback", ev);
        sessions += ev == TLSPLUG_EV_SESSION;
    }
    CHECK(sessions >= 1);

    /* Every callback but `data`'s removed (without it records wait for
     * read()): the peer's end and the close are queued. */
    for (int e = TLSPLUG_EV_SECURE_CONNECT; e <= TLSPLUG_EV_TRACE; e++)
        if (e != TLSPLUG_EV_DATA)
            CHECK_OK(tlsplug_socket_on(c, e, NULL, 0));
    CHECK_OK(tlsplug_socket_end(p.s.sock));
    pt_run(&p);
    CHECK_OK(tlsplug_socket_next_event(c, &ev, buf, sizeof buf, &n));
    CHECK(ev == TLSPLUG_EV_END);
    /* Off drops what waits (the close); on again, the queue starts empty. */
    CHECK_OK(tlsplug_socket_set_event_queue(c, 0));
    CHECK_RC(tlsplug_socket_next_event(c, &ev, buf, sizeof buf, &n), TLSPLUG_E_AGAIN);
    CHECK_OK(tlsplug_socket_set_event_queue(c, 1));
    CHECK_RC(tlsplug_socket_next_event(c, &ev, buf, sizeof buf, &n), TLSPLUG_E_AGAIN);
    CHECK_OK(tlsplug_socket_state(c, &f));
    CHECK(f & TLSPLUG_STATE_CLOSED);
    pt_pair_free(&p);
}

/* ---- Finished messages ---------------------------------------------------- */

static size_t finished(tlsplug_socket *s, int peer, uint8_t *buf, size_t cap)
{
    size_t n = 0;
    int rc = peer ? tlsplug_socket_get_peer_finished(s, buf, cap, &n)
                  : tlsplug_socket_get_finished(s, buf, cap, &n);
    CHECK_OK(rc);
    return n;
}

/* Each side's Finished is the other's peer Finished. */
static void check_crosswise(pt_pair *p, size_t *len)
{
    uint8_t a[64], b[64], c[64], d[64];
    size_t na = finished(p->c.sock, 0, a, sizeof a), nb = finished(p->s.sock, 1, b, sizeof b);
    size_t nc = finished(p->s.sock, 0, c, sizeof c), nd = finished(p->c.sock, 1, d, sizeof d);
    CHECKF(na == nb && na >= 12 && memcmp(a, b, na) == 0, "client Finished %zu bytes, server saw %zu",
           na, nb);
    CHECKF(nc == nd && nc >= 12 && memcmp(c, d, nc) == 0, "server Finished %zu bytes, client saw %zu",
           nc, nd);
    CHECK(na == nc && memcmp(a, c, na) != 0); /* two messages, one length */
    /* Too small a buffer: the length needed, nothing else. */
    size_t need = 0;
    CHECK_RC(tlsplug_socket_get_finished(p->c.sock, a, na - 1, &need), TLSPLUG_E_BUFSIZE);
    CHECK(need == na);
    *len = na;
}

static void finished_messages(const char *version, uint64_t seed)
{
    t_case("getFinished / getPeerFinished, %s, after traffic and idle", version);
    pt_creds server = PT_SERVER;
    server.min_version = server.max_version = version;
    pt_pair p;
    pt_pair_new(&p, PT_CLIENT, server, 0, seed);
    uint8_t b[64];
    size_t n = 0;
    CHECK_RC(tlsplug_socket_get_finished(p.c.sock, b, sizeof b, &n), TLSPLUG_E_UNAVAILABLE);
    CHECK_RC(tlsplug_socket_get_peer_finished(p.s.sock, b, sizeof b, &n), TLSPLUG_E_UNAVAILABLE);
    pt_handshake(&p);
    pt_send(&p, 20000, 20000);
    pt_run(&p);
    size_t len = 0;
    check_crosswise(&p, &len);
    if (strcmp(version, "TLSv1.2") == 0) {
        CHECK(len == 12); /* RFC 5246: verify_data_length is 12 for every suite */
        /* A renegotiation's Finished replace the first handshake's. */
        uint8_t before[64];
        CHECK(finished(p.c.sock, 0, before, sizeof before) == len);
        CHECK_OK(tlsplug_socket_renegotiate(p.c.sock, 0, 1));
        pt_run(&p);
        check_crosswise(&p, &len);
        uint8_t after[64];
        CHECK(finished(p.c.sock, 0, after, sizeof after) == len && memcmp(before, after, len) != 0);
    }
    pt_pair_free(&p);
}

/* ---- the authorization code ----------------------------------------------- */

static void authorization_code(uint64_t seed)
{
    t_case("authorizationError made only for a peer that is not authorized");
    pt_pair p;
    pt_pair_new(&p, PT_CLIENT, PT_SERVER, 0, seed);
    pt_handshake(&p);
    CHECK(pt_authorized(p.c.sock) == 1);
    CHECK(pt_get(p.c.sock, tlsplug_socket_authorization_error) == NULL);
    pt_pair_free(&p);

    /* The system's roots do not hold the test CA: not authorized, and
     * (rejectUnauthorized off) still connected. */
    pt_creds client = PT_CLIENT;
    client.ca = NULL;
    pt_pair_new(&p, client, PT_SERVER, 0, seed);
    CHECK_OK(tlsplug_socket_set_reject_unauthorized(p.c.sock, 0));
    pt_handshake(&p);
    CHECK(pt_authorized(p.c.sock) == 0);
    const char *code = pt_get(p.c.sock, tlsplug_socket_authorization_error);
    CHECK(code && *code);
    char first[64];
    snprintf(first, sizeof first, "%s", code);
    pt_send(&p, 5000, 5000);
    pt_run(&p);
    CHECK_STR(pt_get(p.c.sock, tlsplug_socket_authorization_error), first);
    pt_pair_free(&p);
}

/* ---- an error after idle --------------------------------------------------- */

static void tamper_once(pt_pair *p, pt_side *from, uint64_t off, uint8_t *data, size_t n)
{
    (void)off;
    if (from == &p->s && n > 5) {
        data[n - 1] ^= 0x5a; /* the last byte of the record's tag */
        p->tamper = NULL;
    }
}

static const char *error_text(tlsplug_socket *s, int field, char *buf, size_t cap)
{
    size_t n = 0;
    CHECK_OK(tlsplug_error_get(s, field, buf, cap, &n));
    return buf;
}

static void error_after_idle(uint64_t seed)
{
    t_case("a failure after the connection sat idle: its code and message, again and again");
    pt_pair p;
    pt_pair_new(&p, PT_CLIENT, PT_SERVER, 0, seed);
    pt_handshake(&p);
    pt_send(&p, 3000, 3000);
    pt_run(&p);
    p.tamper = tamper_once;
    pt_write_once(&p, &p.s, 500);
    pt_run(&p);
    pt_expect_fatal(&p.c, TLSPLUG_E_TLS, NULL);
    char code[64], message[512], again[512];
    error_text(p.c.sock, TLSPLUG_ERROR_CODE, code, sizeof code);
    CHECK_STR(code, p.c.error_code);
    error_text(p.c.sock, TLSPLUG_ERROR_MESSAGE, message, sizeof message);
    CHECK(*message);
    for (int i = 0; i < 3; i++) {
        uint8_t b = 0x17;
        CHECK_RC(tlsplug_socket_feed(p.c.sock, &b, 1), TLSPLUG_E_TLS);
        CHECK_STR(error_text(p.c.sock, TLSPLUG_ERROR_CODE, again, sizeof again), code);
        CHECK_STR(error_text(p.c.sock, TLSPLUG_ERROR_MESSAGE, again, sizeof again), message);
    }
    pt_pair_free(&p);
}

int main(void)
{
    t_init("pump_idle_state", 29);
    callbacks_and_queue(t_seed());
    finished_messages("TLSv1.3", t_seed() + 1);
    finished_messages("TLSv1.2", t_seed() + 2);
    authorization_code(t_seed() + 3);
    error_after_idle(t_seed() + 4);
    return t_done();
}
