/* The event queue, for hosts that poll instead of taking callbacks: with
 * set_event_queue(1) and no callbacks, next_event() yields the events in
 * order with copies of their payloads (CLOSE: one byte, hadError; ERROR:
 * Node's code). A too-small buffer answers E_BUFSIZE with the length needed
 * and leaves the event queued; an empty queue answers E_AGAIN. `data` is
 * never queued: cleartext waits for read(). */
#include <stdio.h>
#include <string.h>

#include "pair.h"

/* Drop the recorder's callbacks and turn the queue on. */
static void queue_mode(pt_side *side)
{
    for (int ev = TLSPLUG_EV_SECURE_CONNECT; ev <= TLSPLUG_EV_ERROR; ev++)
        CHECK_OK(tlsplug_socket_on(side->sock, ev, NULL, 0));
    CHECK_OK(tlsplug_socket_set_event_queue(side->sock, 1));
    side->queued = 1;
}

/* The next event must be `want` with this payload. A client's `session`
 * events (a resumable session; when and how many depends on the version)
 * are checked for a payload and passed over. */
static void expect_event(pt_side *side, int want, const void *payload, size_t plen)
{
    int ev = 0;
    uint8_t buf[8192];
    size_t len = 999;
    int rc;
    do {
        rc = tlsplug_socket_next_event(side->sock, &ev, buf, sizeof buf, &len);
        CHECKF(rc != TLSPLUG_OK || ev != TLSPLUG_EV_SESSION || len > 0,
               "%s: an empty 'session' event", side->name);
    } while (rc == TLSPLUG_OK && ev == TLSPLUG_EV_SESSION && want != TLSPLUG_EV_SESSION);
    CHECKF(rc == TLSPLUG_OK, "%s: next_event answered %s, expected '%s'", side->name,
           tlsplug_status_name(rc), pt_event_name(want));
    CHECKF(ev == want, "%s: next event '%s', expected '%s'", side->name, pt_event_name(ev),
           pt_event_name(want));
    CHECKF(len == plen && (plen == 0 || memcmp(buf, payload, plen) == 0),
           "%s: '%s' payload of %zu bytes, expected %zu", side->name, pt_event_name(ev), len, plen);
}

static void expect_empty(pt_side *side)
{
    int ev = 0;
    uint8_t buf[8192];
    size_t len = 0;
    int rc;
    do
        rc = tlsplug_socket_next_event(side->sock, &ev, buf, sizeof buf, &len);
    while (rc == TLSPLUG_OK && ev == TLSPLUG_EV_SESSION);
    CHECK_RC(rc, TLSPLUG_E_AGAIN);
}

static const uint8_t clean = 0, failed = 1;

/* A whole connection in queue mode on both sides. */
static void lifecycle(const char *version, uint64_t seed)
{
    t_case("queue: a connection's life, %s", version);
    pt_creds client = PT_CLIENT;
    client.min_version = client.max_version = version;
    pt_pair p;
    pt_pair_new(&p, client, PT_SERVER, 1 /* read(): no data callback */, seed);
    queue_mode(&p.c);
    queue_mode(&p.s);
    expect_empty(&p.c);

    pt_pair_start(&p);
    pt_run(&p);
    expect_event(&p.c, TLSPLUG_EV_SECURE_CONNECT, NULL, 0);
    expect_empty(&p.c);
    expect_event(&p.s, TLSPLUG_EV_SECURE, NULL, 0);
    expect_empty(&p.s);

    /* Cleartext is read, never queued. */
    pt_write(&p, &p.c, 5000);
    pt_run(&p);
    CHECK(p.s.rx_bytes == 5000);
    expect_empty(&p.s);

    CHECK_OK(tlsplug_socket_end(p.s.sock));
    pt_run(&p);
    expect_event(&p.c, TLSPLUG_EV_END, NULL, 0);
    expect_event(&p.c, TLSPLUG_EV_CLOSE, &clean, 1);
    expect_empty(&p.c);
    expect_event(&p.s, TLSPLUG_EV_END, NULL, 0);
    expect_event(&p.s, TLSPLUG_EV_CLOSE, &clean, 1);
    expect_empty(&p.s);
    /* No callback ran: the recorder saw only what read() returned. */
    CHECK_STR(pt_log(&p.c), "");
    CHECK_STR(pt_log(&p.s), "data");
    pt_pair_free(&p);
}

/* ERROR carries the code; small buffers answer E_BUFSIZE and keep it. */
static void error_and_bufsize(void)
{
    t_case("queue: error, then E_BUFSIZE");
    pt_pair p;
    pt_pair_new(&p, PT_CLIENT, PT_SERVER, 0, t_seed());
    queue_mode(&p.c);
    CHECK_OK(tlsplug_socket_start(p.c.sock));
    pt_discard_output(&p.c);
    static const uint8_t junk[] = "this is not a ServerHello, not at all";
    CHECK_RC(tlsplug_socket_feed(p.c.sock, junk, sizeof junk), TLSPLUG_E_TLS);
    char code[64];
    snprintf(code, sizeof code, "%s", t_error_code(p.c.sock));
    CHECKF(strncmp(code, "ERR_SSL_", 8) == 0, "code \"%s\"", code);
    size_t clen = strlen(code);

    int ev = -1;
    uint8_t buf[64];
    size_t len = 0;
    CHECK_RC(tlsplug_socket_next_event(p.c.sock, &ev, NULL, 0, &len), TLSPLUG_E_BUFSIZE);
    CHECK(len == clen && ev == -1);
    len = 0;
    CHECK_RC(tlsplug_socket_next_event(p.c.sock, &ev, buf, clen - 1, &len), TLSPLUG_E_BUFSIZE);
    CHECK(len == clen);
    expect_event(&p.c, TLSPLUG_EV_ERROR, code, clen); /* still there */
    CHECK_RC(tlsplug_socket_next_event(p.c.sock, &ev, NULL, 0, &len), TLSPLUG_E_BUFSIZE);
    CHECK(len == 1);
    len = 0;
    CHECK_OK(tlsplug_socket_next_event(p.c.sock, &ev, buf, 1, &len)); /* exactly enough */
    CHECK(ev == TLSPLUG_EV_CLOSE && len == 1 && buf[0] == failed);
    expect_empty(&p.c);

    /* Bad arguments. */
    CHECK_RC(tlsplug_socket_next_event(p.c.sock, NULL, buf, sizeof buf, &len), TLSPLUG_E_INVAL);
    CHECK_RC(tlsplug_socket_next_event(p.c.sock, &ev, buf, sizeof buf, NULL), TLSPLUG_E_INVAL);
    CHECK_RC(tlsplug_socket_next_event(p.c.sock, &ev, NULL, 4, &len), TLSPLUG_E_INVAL);
    pt_pair_free(&p);
}

/* destroy(code) in queue mode: ERROR with that code, CLOSE with hadError. */
static void destroy_queued(void)
{
    t_case("queue: destroy with a code");
    pt_pair p;
    pt_pair_new(&p, PT_CLIENT, PT_SERVER, 0, t_seed());
    queue_mode(&p.c);
    pt_pair_start(&p);
    pt_run(&p);
    expect_event(&p.c, TLSPLUG_EV_SECURE_CONNECT, NULL, 0);
    CHECK_OK(tlsplug_socket_destroy(p.c.sock, "ECUSTOM", "host gave up"));
    expect_event(&p.c, TLSPLUG_EV_ERROR, "ECUSTOM", 7);
    expect_event(&p.c, TLSPLUG_EV_CLOSE, &failed, 1);
    expect_empty(&p.c);
    pt_pair_free(&p);
}

/* Events with a callback are not queued; turning the queue off drops it. */
static void mixed_and_off(void)
{
    t_case("queue: turned off with events queued");
    pt_pair p;
    pt_pair_new(&p, PT_CLIENT, PT_SERVER, 0, t_seed());
    queue_mode(&p.c);
    pt_pair_start(&p);
    pt_run(&p);
    CHECK_OK(tlsplug_socket_end(p.s.sock));
    pt_run(&p);
    expect_event(&p.c, TLSPLUG_EV_SECURE_CONNECT, NULL, 0);
    CHECK_OK(tlsplug_socket_set_event_queue(p.c.sock, 0)); /* END and CLOSE are dropped */
    expect_empty(&p.c);
    CHECK_OK(tlsplug_socket_set_event_queue(p.c.sock, 1));
    expect_empty(&p.c);
    pt_pair_free(&p);

    t_case("queue: a callback takes its event, the queue the rest");
    pt_pair_new(&p, PT_CLIENT, PT_SERVER, 0, t_seed());
    CHECK_OK(tlsplug_socket_set_event_queue(p.c.sock, 1));
    /* Only `end` loses its callback: it alone is queued. */
    CHECK_OK(tlsplug_socket_on(p.c.sock, TLSPLUG_EV_END, NULL, 0));
    pt_handshake(&p);
    CHECK_OK(tlsplug_socket_end(p.s.sock));
    pt_run(&p);
    CHECK_STR(pt_log(&p.c), "secureConnect close");
    expect_event(&p.c, TLSPLUG_EV_END, NULL, 0);
    expect_empty(&p.c);
    pt_pair_free(&p);
}

int main(void)
{
    t_init("pump_queue", 9);
    lifecycle("TLSv1.2", t_seed());
    lifecycle("TLSv1.3", t_seed() + 1);
    error_and_bufsize();
    destroy_queued();
    mixed_and_off();
    printf("  lifecycle, error payload, E_BUFSIZE, destroy, mixed callbacks, queue off: ok\n");
    return t_done();
}
