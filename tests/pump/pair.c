/* See pair.h. */
#include "pair.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bounds on the shuttle's loops: far above what any test needs, low enough
 * that a pump that never settles fails in seconds instead of hanging. */
#define MAX_STEPS 4000000
#define MAX_PULLS 20000000
#define MAX_READS 20000000
/* pt_send keeps at most this much ciphertext waiting on a side. */
#define SEND_WINDOW (1u << 20)

/* ---- contexts ------------------------------------------------------------ */

static void add_pem(tlsplug_context *ctx, const char *file,
                    int (*add)(tlsplug_context *, const uint8_t *, size_t))
{
    size_t len = 0;
    uint8_t *pem = t_pki_read(file, &len);
    int rc = add(ctx, pem, len);
    CHECKF(rc == TLSPLUG_OK, "adding %s to a context answered %s (%s)", file,
           tlsplug_status_name(rc), t_error_code(ctx));
    free(pem);
}

static int add_key(tlsplug_context *ctx, const uint8_t *pem, size_t len)
{
    return tlsplug_context_add_key(ctx, pem, len, NULL);
}

tlsplug_context *pt_context(pt_creds creds)
{
    tlsplug_context *ctx = NULL;
    CHECK_OK(tlsplug_context_new(&ctx));
    if (creds.key)
        add_pem(ctx, creds.key, add_key);
    if (creds.cert)
        add_pem(ctx, creds.cert, tlsplug_context_add_cert);
    if (creds.ca)
        add_pem(ctx, creds.ca, tlsplug_context_add_ca);
    if (creds.min_version)
        CHECK_OK(tlsplug_context_set_min_version(ctx, creds.min_version));
    if (creds.max_version)
        CHECK_OK(tlsplug_context_set_max_version(ctx, creds.max_version));
    return ctx;
}

/* ---- the recorder -------------------------------------------------------- */

const char *pt_event_name(int event)
{
    switch (event) {
    case TLSPLUG_EV_SECURE_CONNECT: return "secureConnect";
    case TLSPLUG_EV_SECURE: return "secure";
    case TLSPLUG_EV_DATA: return "data";
    case TLSPLUG_EV_END: return "end";
    case TLSPLUG_EV_CLOSE: return "close";
    case TLSPLUG_EV_ERROR: return "error";
    default: return "?";
    }
}

const char *pt_log(const pt_side *side)
{
    static char bufs[4][PT_LOG_MAX * 16];
    static unsigned next;
    char *b = bufs[next++ % 4];
    b[0] = 0;
    for (int i = 0; i < side->nlog; i++) {
        if (i)
            strcat(b, " ");
        strcat(b, pt_event_name(side->log[i]));
    }
    return b;
}

/* Cleartext arrived (from the `data` event or from read()). */
static void deliver(pt_side *side, const uint8_t *data, size_t len)
{
    if (side->rx_check) {
        size_t at = t_stream_diff(side->rx_seed, side->rx_bytes, data, len);
        CHECKF(at == len, "%s: cleartext byte %llu differs from what the peer sent", side->name,
               (unsigned long long)(side->rx_bytes + at));
    }
    side->rx_bytes += len;
    if (side->echo) {
        int rc = tlsplug_socket_write(side->sock, data, len);
        CHECKF(rc == TLSPLUG_OK, "%s: echo write answered %s (%s)", side->name,
               tlsplug_status_name(rc), t_error_code(side->sock));
    }
}

/* Node's event rules, then the bookkeeping, then the test's hook. */
static void record(pt_side *side, int event, const uint8_t *data, size_t len)
{
    const char *name = pt_event_name(event);
    CHECKF(side->counts[TLSPLUG_EV_CLOSE] == 0, "%s: '%s' after 'close' (events: %s)",
           side->name, name, pt_log(side));
    switch (event) {
    case TLSPLUG_EV_SECURE_CONNECT:
    case TLSPLUG_EV_SECURE:
        CHECKF(event == (side->client ? TLSPLUG_EV_SECURE_CONNECT : TLSPLUG_EV_SECURE),
               "%s: got '%s'", side->name, name);
        CHECKF(side->counts[event] == 0, "%s: second '%s'", side->name, name);
        CHECKF(len == 0, "%s: '%s' with a payload", side->name, name);
        break;
    case TLSPLUG_EV_DATA:
        CHECKF(data && len > 0, "%s: empty 'data'", side->name);
        if (side->queued)
            break;
        CHECKF(side->counts[TLSPLUG_EV_SECURE] + side->counts[TLSPLUG_EV_SECURE_CONNECT] == 1,
               "%s: cleartext before the secure event (events: %s)", side->name, pt_log(side));
        CHECKF(side->counts[TLSPLUG_EV_END] == 0, "%s: 'data' after 'end' (events: %s)",
               side->name, pt_log(side));
        break;
    case TLSPLUG_EV_END:
        CHECKF(side->counts[event] == 0, "%s: second 'end'", side->name);
        CHECKF(len == 0, "%s: 'end' with a payload", side->name);
        break;
    case TLSPLUG_EV_ERROR: {
        CHECKF(side->counts[event] == 0, "%s: second 'error' (first %s)", side->name,
               side->error_code);
        CHECKF(data && len > 0 && len < sizeof side->error_code,
               "%s: 'error' payload of %zu bytes", side->name, len);
        memcpy(side->error_code, data, len);
        side->error_code[len] = 0;
        CHECKF(strlen(side->error_code) == len, "%s: NUL inside the error code", side->name);
        /* The detail on the handle says the same, from inside the callback. */
        CHECK_STR(t_error_code(side->sock), side->error_code);
        break;
    }
    case TLSPLUG_EV_CLOSE:
        CHECKF(len == 1 && data && data[0] <= 1, "%s: 'close' payload of %zu bytes", side->name,
               len);
        side->close_had_error = data[0];
        CHECKF(side->close_had_error == (side->counts[TLSPLUG_EV_ERROR] > 0),
               "%s: close hadError=%d but events were: %s", side->name, side->close_had_error,
               pt_log(side));
        break;
    default:
        t_fail(__FILE__, __LINE__, "%s: unknown event %d", side->name, event);
    }
    side->counts[event]++;
    if (!(event == TLSPLUG_EV_DATA && side->nlog && side->log[side->nlog - 1] == event)) {
        CHECKF(side->nlog < PT_LOG_MAX, "%s: too many events (%s)", side->name, pt_log(side));
        side->log[side->nlog++] = event;
    }
    if (event == TLSPLUG_EV_DATA)
        deliver(side, data, len);
    if (side->hook && side->sock)
        side->hook(side->pair, side, event, data, len);
}

static void on_event(uintptr_t userdata, void *source, int event, void *subject,
                     const uint8_t *data, size_t len)
{
    pt_side *side = (pt_side *)userdata;
    CHECKF(side->sock, "%s: '%s' after the socket was freed", side->name,
           pt_event_name(event));
    CHECKF(source == side->sock, "%s: event source %p is not the socket %p", side->name, source,
           (void *)side->sock);
    CHECKF(subject == NULL, "%s: '%s' with a subject", side->name, pt_event_name(event));
    CHECKF(event != TLSPLUG_EV_DATA || !side->read_mode, "%s: 'data' without a callback",
           side->name);
    record(side, event, data, len);
}

void pt_side_free(pt_side *side)
{
    side->stale = side->sock;
    side->sock = NULL;
    CHECK_OK(tlsplug_socket_free(side->stale));
}

/* ---- the pair ------------------------------------------------------------ */

static void ensure_buf(pt_pair *p)
{
    size_t need = p->frag.max_pull > p->frag.max_write ? p->frag.max_pull : p->frag.max_write;
    if (p->frag.max_read > need)
        need = p->frag.max_read;
    need *= 2; /* pulls, then reads and writes each in their own half */
    if (need <= p->bufcap)
        return;
    free(p->buf);
    p->buf = malloc(need);
    CHECK(p->buf);
    p->bufcap = need;
}

static uint8_t *pull_buf(pt_pair *p) { ensure_buf(p); return p->buf; }
static uint8_t *side_buf(pt_pair *p) { ensure_buf(p); return p->buf + p->bufcap / 2; }

static void side_init(pt_pair *p, pt_side *side, tlsplug_context *ctx, int client,
                      int read_mode)
{
    side->name = client ? "client" : "server";
    side->client = client;
    side->pair = p;
    side->read_mode = read_mode;
    side->close_had_error = -1;
    side->rx_check = 1;
    CHECK_OK(tlsplug_socket_new(ctx, client ? TLSPLUG_ROLE_CLIENT : TLSPLUG_ROLE_SERVER,
                                &side->sock));
    for (int ev = TLSPLUG_EV_SECURE_CONNECT; ev <= TLSPLUG_EV_ERROR; ev++)
        if (!(ev == TLSPLUG_EV_DATA && read_mode))
            CHECK_OK(tlsplug_socket_on(side->sock, ev, on_event, (uintptr_t)side));
}

void pt_pair_init(pt_pair *p, tlsplug_context *cctx, tlsplug_context *sctx, int read_mode,
                  uint64_t seed)
{
    memset(p, 0, sizeof *p);
    t_rng_seed(&p->rng, seed);
    p->frag = PT_FRAG_BYTES;
    side_init(p, &p->c, cctx, 1, read_mode);
    side_init(p, &p->s, sctx, 0, read_mode);
    CHECK_OK(tlsplug_socket_set_servername(p->c.sock, "localhost"));
    p->c.tx_seed = t_rng_next(&p->rng);
    p->s.tx_seed = t_rng_next(&p->rng);
    p->c.rx_seed = p->s.tx_seed;
    p->s.rx_seed = p->c.tx_seed;
}

void pt_pair_adopt_server(pt_pair *p, tlsplug_socket *accepted)
{
    CHECK_OK(tlsplug_socket_free(p->s.sock));
    p->s.sock = accepted;
    for (int ev = TLSPLUG_EV_SECURE_CONNECT; ev <= TLSPLUG_EV_ERROR; ev++)
        if (!(ev == TLSPLUG_EV_DATA && p->s.read_mode))
            CHECK_OK(tlsplug_socket_on(accepted, ev, on_event, (uintptr_t)&p->s));
}

void pt_pair_new(pt_pair *p, pt_creds client, pt_creds server, int read_mode, uint64_t seed)
{
    tlsplug_context *cctx = pt_context(client), *sctx = pt_context(server);
    pt_pair_init(p, cctx, sctx, read_mode, seed);
    CHECK_OK(tlsplug_context_free(cctx));
    CHECK_OK(tlsplug_context_free(sctx));
}

void pt_pair_free(pt_pair *p)
{
    if (p->c.sock)
        pt_side_free(&p->c);
    if (p->s.sock)
        pt_side_free(&p->s);
    free(p->buf);
    p->buf = NULL;
    p->bufcap = 0;
}

void pt_pair_start(pt_pair *p)
{
    CHECK_OK(tlsplug_socket_start(p->c.sock));
    CHECK_OK(tlsplug_socket_start(p->s.sock));
}

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

int pt_feed(pt_pair *p, pt_side *to, const uint8_t *data, size_t n)
{
    size_t off = 0;
    while (off < n && to->sock) {
        size_t k = t_rng_range(&p->rng, 1, min_size(p->frag.max_feed, n - off));
        int rc = tlsplug_socket_feed(to->sock, data + off, k);
        if (rc != TLSPLUG_OK) {
            to->last_err = rc;
            return rc;
        }
        off += k;
        /* Read-mode hosts sometimes read between feeds. */
        if (to->read_mode && t_rng_below(&p->rng, 4) == 0)
            pt_service(p, to);
    }
    pt_service(p, to);
    return TLSPLUG_OK;
}

size_t pt_transfer(pt_pair *p, pt_side *from, pt_side *to)
{
    size_t moved = 0;
    int idx = from == &p->c ? 0 : 1;
    for (long i = 0;; i++) {
        CHECKF(i < MAX_PULLS, "%s keeps producing output", from->name);
        if (!from->sock)
            break;
        size_t pending = 0;
        CHECK_OK(tlsplug_socket_pending_output(from->sock, &pending));
        if (pending == 0)
            break;
        uint8_t *buf = pull_buf(p);
        size_t want = t_rng_range(&p->rng, 1, p->frag.max_pull), n = 0;
        if (t_rng_below(&p->rng, 2)) {
            CHECK_OK(tlsplug_socket_pull(from->sock, buf, want, &n));
        } else {
            const uint8_t *view = NULL;
            size_t vlen = 0;
            CHECK_OK(tlsplug_socket_peek_output(from->sock, &view, &vlen));
            CHECK(view && vlen == pending);
            n = min_size(want, vlen);
            memcpy(buf, view, n);
            CHECK_OK(tlsplug_socket_consume_output(from->sock, n));
        }
        CHECKF(n == min_size(want, pending), "%s: pulled %zu of %zu pending (asked %zu)",
               from->name, n, pending, want);
        if (p->tamper)
            p->tamper(p, from, p->sent[idx], buf, n);
        p->sent[idx] += n;
        moved += n;
        if (to->sock)
            pt_feed(p, to, buf, n); /* a failing feed drops the rest, as a real transport would */
    }
    return moved;
}

size_t pt_service(pt_pair *p, pt_side *side)
{
    if (!side->read_mode || !side->sock || side->eof)
        return 0;
    size_t total = 0;
    uint8_t *buf = side_buf(p);
    for (long i = 0;; i++) {
        CHECKF(i < MAX_READS, "%s: read() never stops", side->name);
        unsigned f = t_state(side->sock);
        if (!(f & TLSPLUG_STATE_READABLE))
            break;
        size_t cap = t_rng_range(&p->rng, 1, p->frag.max_read), n = 0;
        int rc = tlsplug_socket_read(side->sock, buf, cap, &n);
        if (!side->sock)
            break; /* freed by a hook inside read() */
        if (rc == TLSPLUG_OK && n > 0) {
            CHECKF(n <= cap, "%s: read() gave %zu bytes into %zu", side->name, n, cap);
            record(side, TLSPLUG_EV_DATA, buf, n);
            total += n;
            if (!side->sock)
                break;
        } else if (rc == TLSPLUG_OK) {
            side->eof = 1;
            break;
        } else if (rc == TLSPLUG_E_AGAIN) {
            f = t_state(side->sock);
            CHECKF(!(f & TLSPLUG_STATE_READABLE) && (f & TLSPLUG_STATE_WANT_INPUT),
                   "%s: read() answered E_AGAIN, then state 0x%x (want WANT_INPUT, not READABLE)",
                   side->name, f);
            break;
        } else {
            side->last_err = rc;
            break;
        }
    }
    return total;
}

static int event_total(const pt_pair *p)
{
    int n = 0;
    for (int i = 0; i < 8; i++)
        n += p->c.counts[i] + p->s.counts[i];
    return n;
}

size_t pt_step(pt_pair *p)
{
    int before = event_total(p);
    size_t progress = pt_transfer(p, &p->c, &p->s);
    progress += pt_transfer(p, &p->s, &p->c);
    progress += pt_service(p, &p->c);
    progress += pt_service(p, &p->s);
    return progress + (size_t)(event_total(p) - before);
}

void pt_run(pt_pair *p)
{
    for (long i = 0;; i++) {
        CHECKF(i < MAX_STEPS, "the pair never settles (client: %s; server: %s)", pt_log(&p->c),
               pt_log(&p->s));
        if (pt_step(p) == 0)
            return;
    }
}

void pt_handshake(pt_pair *p)
{
    pt_pair_start(p);
    pt_run(p);
    CHECKF(p->c.counts[TLSPLUG_EV_SECURE_CONNECT] == 1 && p->s.counts[TLSPLUG_EV_SECURE] == 1,
           "handshake incomplete: client %s (%s), server %s (%s)", pt_log(&p->c),
           p->c.error_code, pt_log(&p->s), p->s.error_code);
    CHECK(p->c.counts[TLSPLUG_EV_ERROR] == 0 && p->s.counts[TLSPLUG_EV_ERROR] == 0);
    unsigned fc = t_state(p->c.sock), fs = t_state(p->s.sock);
    CHECKF((fc & TLSPLUG_STATE_SECURE) && !(fc & TLSPLUG_STATE_HANDSHAKING),
           "client state 0x%x after the handshake", fc);
    CHECKF((fs & TLSPLUG_STATE_SECURE) && !(fs & TLSPLUG_STATE_HANDSHAKING),
           "server state 0x%x after the handshake", fs);
}

void pt_write(pt_pair *p, pt_side *side, size_t n)
{
    uint8_t *buf = side_buf(p);
    while (n > 0) {
        size_t k = t_rng_range(&p->rng, 1, min_size(n, p->frag.max_write));
        t_stream_fill(side->tx_seed, side->tx_bytes, buf, k);
        int rc = tlsplug_socket_write(side->sock, buf, k);
        CHECKF(rc == TLSPLUG_OK, "%s: write of %zu bytes answered %s (%s)", side->name, k,
               tlsplug_status_name(rc), t_error_code(side->sock));
        side->tx_bytes += k;
        n -= k;
    }
}

void pt_write_once(pt_pair *p, pt_side *side, size_t n)
{
    uint8_t *buf = malloc(n ? n : 1);
    CHECK(buf);
    t_stream_fill(side->tx_seed, side->tx_bytes, buf, n);
    int rc = tlsplug_socket_write(side->sock, buf, n);
    CHECKF(rc == TLSPLUG_OK, "%s: write of %zu bytes answered %s (%s)", side->name, n,
           tlsplug_status_name(rc), t_error_code(side->sock));
    side->tx_bytes += n;
    free(buf);
    (void)p;
}

void pt_send(pt_pair *p, size_t nc, size_t ns)
{
    size_t left[2] = {nc, ns};
    pt_side *sides[2] = {&p->c, &p->s};
    int idle = 0;
    for (long i = 0; left[0] || left[1]; i++) {
        CHECKF(i < MAX_STEPS, "pt_send never finishes");
        int wrote = 0;
        for (int k = 0; k < 2; k++) {
            if (!left[k] || !sides[k]->sock)
                continue;
            size_t pending = 0;
            CHECK_OK(tlsplug_socket_pending_output(sides[k]->sock, &pending));
            if (pending >= SEND_WINDOW)
                continue;
            size_t n = t_rng_range(&p->rng, 1, min_size(left[k], 4 * p->frag.max_write));
            pt_write(p, sides[k], n);
            left[k] -= n;
            wrote = 1;
        }
        if (pt_step(p) == 0 && !wrote) {
            CHECKF(++idle < 3, "stalled with %zu/%zu bytes unwritten (client: %s; server: %s)",
                   left[0], left[1], pt_log(&p->c), pt_log(&p->s));
        } else {
            idle = 0;
        }
    }
}

void pt_expect_fatal(pt_side *side, int status, const char *code)
{
    tlsplug_socket *s = side->sock;
    CHECKF(side->counts[TLSPLUG_EV_ERROR] == 1, "%s: no error (events: %s)", side->name,
           pt_log(side));
    CHECKF(side->counts[TLSPLUG_EV_CLOSE] == 1 && side->close_had_error == 1,
           "%s: events %s", side->name, pt_log(side));
    CHECKF(side->log[side->nlog - 1] == TLSPLUG_EV_CLOSE &&
               side->log[side->nlog - 2] == TLSPLUG_EV_ERROR,
           "%s: events %s (want ... error close)", side->name, pt_log(side));
    if (code)
        CHECK_STR(side->error_code, code);
    CHECK_STR(t_error_code(s), side->error_code);
    int st = 0;
    CHECK_OK(tlsplug_error_detail(s, &st, NULL, NULL, NULL));
    CHECKF(st == status, "%s: error_detail status %s, expected %s", side->name,
           tlsplug_status_name(st), tlsplug_status_name(status));

    /* Sticky: the same status and the same code, whatever comes next. */
    uint8_t b = 0x17;
    size_t n = 0;
    CHECK_RC(tlsplug_socket_feed(s, &b, 1), status);
    CHECK_STR(t_error_code(s), side->error_code);
    CHECK_RC(tlsplug_socket_write(s, &b, 1), status);
    CHECK_STR(t_error_code(s), side->error_code);
    CHECK_RC(tlsplug_socket_read(s, &b, 1, &n), status);
    CHECK_STR(t_error_code(s), side->error_code);
    CHECK_RC(tlsplug_socket_end(s), status);
    CHECK_STR(t_error_code(s), side->error_code);
    CHECK_RC(tlsplug_socket_feed_eof(s), status);
    CHECK_STR(t_error_code(s), side->error_code);
    char text[256];
    CHECK_OK(tlsplug_error_get(s, TLSPLUG_ERROR_MESSAGE, text, sizeof text, &n));
    CHECKF(n > 0, "%s: empty error message", side->name);
    unsigned f = t_state(s);
    CHECKF((f & (TLSPLUG_STATE_ERROR | TLSPLUG_STATE_CLOSED)) ==
                   (TLSPLUG_STATE_ERROR | TLSPLUG_STATE_CLOSED) &&
               !(f & (TLSPLUG_STATE_WRITABLE | TLSPLUG_STATE_READABLE |
                      TLSPLUG_STATE_WANT_INPUT | TLSPLUG_STATE_HANDSHAKING)),
           "%s: state 0x%x after a fatal error", side->name, f);
    CHECKF(side->nlog >= 2 && side->counts[TLSPLUG_EV_ERROR] == 1, "%s: more events: %s",
           side->name, pt_log(side));
}

void pt_discard_output(pt_side *side)
{
    uint8_t buf[4096];
    size_t n = 0;
    for (int i = 0; i < 100000; i++)
        if (tlsplug_socket_pull(side->sock, buf, sizeof buf, &n) != TLSPLUG_OK)
            return;
    t_fail(__FILE__, __LINE__, "%s: output never drains", side->name);
}

/* ---- metadata ------------------------------------------------------------ */

static char *ring(void)
{
    static char bufs[8][256];
    static unsigned next;
    return bufs[next++ % 8];
}

static const char *string_answer(int rc, char *buf, size_t len, const char *what)
{
    if (rc == TLSPLUG_E_UNAVAILABLE)
        return NULL;
    CHECKF(rc == TLSPLUG_OK, "%s answered %s", what, tlsplug_status_name(rc));
    CHECKF(strlen(buf) == len, "%s: length %zu for \"%s\"", what, len, buf);
    return buf;
}

const char *pt_get(tlsplug_socket *s, pt_getter getter)
{
    char *buf = ring();
    size_t len = 0;
    int rc = getter(s, buf, 256, &len);
    return string_answer(rc, buf, len, "a string getter");
}

const char *pt_cipher(tlsplug_socket *s, int field)
{
    char *buf = ring();
    size_t len = 0;
    int rc = tlsplug_socket_get_cipher(s, field, buf, 256, &len);
    return string_answer(rc, buf, len, "get_cipher");
}

int pt_authorized(tlsplug_socket *s)
{
    int a = -1;
    CHECK_OK(tlsplug_socket_authorized(s, &a));
    CHECK(a == 0 || a == 1);
    return a;
}
