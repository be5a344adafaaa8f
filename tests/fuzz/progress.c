/* The progress oracle's exchange (see progress.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "progress.h"
#include "tlsplug.h"

/* Rounds of the shuttle: a handshake, two messages and the ends take a
 * dozen when every byte moves; a pump that never settles fails here
 * rather than hanging. */
#define MAX_ROUNDS 10000
/* Each side's message after the handshake; the feeds cut its records too.
 * (Feeds per round are bounded by the bytes
 * waiting: each carries at least one.) */
#define MSG_LEN 3000

static char failure[1024];

static const char *fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(failure, sizeof failure, fmt, ap);
    va_end(ap);
    return failure;
}

/* ---- contexts ---------------------------------------------------------------- */

static oc_creds creds;
static tlsplug_context *client_ctx[2][2]; /* [tls13][client certificate] */
static tlsplug_context *server_ctx[2][2]; /* [tls13][hrr] */

static int add_pem(tlsplug_context *ctx, int (*add)(tlsplug_context *, const uint8_t *, size_t),
                   const char *pem)
{
    return add(ctx, (const uint8_t *)pem, strlen(pem));
}

static const char *make_context(tlsplug_context **out, int tls13, int server, int extra)
{
    const char *v = tls13 ? "TLSv1.3" : "TLSv1.2";
    tlsplug_context *ctx;
    if (tlsplug_context_new(&ctx) != TLSPLUG_OK)
        return "tlsplug_context_new failed";
    int rc = add_pem(ctx, tlsplug_context_add_ca, creds.ca);
    if (rc == TLSPLUG_OK && (server || extra))
        rc = tlsplug_context_add_key(ctx, (const uint8_t *)(server ? creds.server_key : creds.client_key),
                                     strlen(server ? creds.server_key : creds.client_key), NULL);
    if (rc == TLSPLUG_OK && (server || extra))
        rc = add_pem(ctx, tlsplug_context_add_cert, server ? creds.server_chain : creds.client_cert);
    if (rc == TLSPLUG_OK)
        rc = tlsplug_context_set_min_version(ctx, v);
    if (rc == TLSPLUG_OK)
        rc = tlsplug_context_set_max_version(ctx, v);
    /* HRR: the client's first key share (X25519) is a group the server
     * does not take, so it asks again for P-384. */
    if (rc == TLSPLUG_OK && server && extra)
        rc = tlsplug_context_set_ecdh_curve(ctx, "P-384");
    if (rc == TLSPLUG_OK && !server)
        rc = tlsplug_context_set_ecdh_curve(ctx, "X25519:P-256:P-384");
    if (rc != TLSPLUG_OK)
        return fail("setting up a %s context answered %s", server ? "server" : "client",
                    tlsplug_status_name(rc));
    *out = ctx;
    return NULL;
}

const char *oc_init(void)
{
    const char *err = oc_make_creds(&creds);
    for (int v = 0; v < 2 && !err; v++)
        for (int x = 0; x < 2 && !err; x++)
            if (!(err = make_context(&client_ctx[v][x], v, 0, x)))
                err = make_context(&server_ctx[v][x], v, 1, x);
    return err;
}

const char *oc_scenario_name(const oc_scenario *sc)
{
    static char name[128];
    static const char *kinds[] = {"plain-socket", "sni-addContext", "sni-callback", "alpn-no-sni"};
    snprintf(name, sizeof name, "TLS1.%d %s%s%s%s", sc->tls13 ? 3 : 2, kinds[sc->server_kind & 3],
             sc->client_cert ? " client-cert" : "", sc->hrr && sc->tls13 ? " hrr" : "",
             sc->read_mode ? " read()" : "");
    return name;
}

/* ---- one side ---------------------------------------------------------------- */

typedef struct side {
    const char *name;
    tlsplug_socket *sock;
    int client, read_mode;
    int secure, ended, closed, close_error, errors;
    char error[96];
    oc_buf rx;        /* cleartext received */
    oc_buf wire;      /* ciphertext on its way to this side */
    oc_reframer rf;   /* this side's output, re-framed */
    uint64_t fed;     /* ciphertext fed to this side */
} side;

typedef struct exchange {
    side c, s;
    tlsplug_server *srv;
    int sni_pending, sni_answers, secure_connections, client_errors;
    char client_error[96];
} exchange;

static void on_socket(uintptr_t ud, void *source, int event, void *subject, const uint8_t *data,
                      size_t len)
{
    (void)source, (void)subject;
    side *sd = (side *)ud;
    switch (event) {
    case TLSPLUG_EV_SECURE_CONNECT:
    case TLSPLUG_EV_SECURE:
        sd->secure++;
        break;
    case TLSPLUG_EV_DATA:
        oc_buf_add(&sd->rx, data, len);
        break;
    case TLSPLUG_EV_END:
        sd->ended++;
        break;
    case TLSPLUG_EV_CLOSE:
        sd->closed++;
        sd->close_error = len == 1 && data[0];
        break;
    case TLSPLUG_EV_ERROR:
        sd->errors++;
        snprintf(sd->error, sizeof sd->error, "%.*s", (int)len, (const char *)data);
        break;
    default:
        break;
    }
}

static void on_server(uintptr_t ud, void *source, int event, void *subject, const uint8_t *data,
                      size_t len)
{
    (void)source, (void)subject;
    exchange *x = (exchange *)ud;
    if (event == TLSPLUG_EV_SNI_CALLBACK)
        x->sni_pending = 1; /* answered on the next round: the hello stays held meanwhile */
    else if (event == TLSPLUG_EV_SECURE_CONNECTION)
        x->secure_connections++;
    else if (event == TLSPLUG_EV_TLS_CLIENT_ERROR) {
        x->client_errors++;
        snprintf(x->client_error, sizeof x->client_error, "%.*s", (int)len, (const char *)data);
    }
}

static unsigned state_of(const side *sd)
{
    unsigned f = 0;
    if (sd->sock)
        tlsplug_socket_state(sd->sock, &f);
    return f;
}

static const char *error_of(const side *sd)
{
    static char code[2][96];
    char *b = code[sd->client];
    size_t n = 0;
    if (!sd->sock || tlsplug_error_get(sd->sock, TLSPLUG_ERROR_CODE, b, sizeof code[0], &n) != TLSPLUG_OK)
        snprintf(b, sizeof code[0], "%s", sd->error[0] ? sd->error : "none");
    return b;
}

static const char *setup_side(side *sd, const char *name, int client, int read_mode)
{
    sd->name = name;
    sd->client = client;
    sd->read_mode = read_mode;
    for (int ev = TLSPLUG_EV_SECURE_CONNECT; ev <= TLSPLUG_EV_ERROR; ev++)
        if (!(ev == TLSPLUG_EV_DATA && read_mode) &&
            tlsplug_socket_on(sd->sock, ev, on_socket, (uintptr_t)sd) != TLSPLUG_OK)
            return "tlsplug_socket_on failed";
    return NULL;
}

static const uint8_t alpn[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

static const char *setup(exchange *x, const oc_scenario *sc)
{
    int v = sc->tls13 != 0, kind = sc->server_kind & 3;
    tlsplug_context *sctx = server_ctx[v][sc->tls13 && sc->hrr];
    if (tlsplug_socket_new(client_ctx[v][sc->client_cert != 0], TLSPLUG_ROLE_CLIENT, &x->c.sock))
        return "tlsplug_socket_new (client) failed";
    if (kind != OC_ALPN && tlsplug_socket_set_servername(x->c.sock, "localhost"))
        return "set_servername failed";
    if (kind == OC_ALPN && tlsplug_socket_set_alpn_protocols(x->c.sock, alpn, sizeof alpn))
        return "client set_alpn_protocols failed";
    if (kind == OC_PLAIN) {
        if (tlsplug_socket_new(sctx, TLSPLUG_ROLE_SERVER, &x->s.sock))
            return "tlsplug_socket_new (server) failed";
        if (sc->client_cert && (tlsplug_socket_set_request_cert(x->s.sock, 1) ||
                                tlsplug_socket_set_reject_unauthorized(x->s.sock, 1)))
            return "server request_cert failed";
    } else {
        if (tlsplug_server_new(sctx, &x->srv))
            return "tlsplug_server_new failed";
        for (int ev = TLSPLUG_EV_SECURE_CONNECTION; ev <= TLSPLUG_EV_SNI_CALLBACK; ev++)
            if (tlsplug_server_on(x->srv, ev, on_server, (uintptr_t)x))
                return "tlsplug_server_on failed";
        if (kind == OC_SNI_MATCH && tlsplug_server_add_context(x->srv, "localhost", sctx))
            return "add_context failed";
        if (kind == OC_SNI_ASYNC && tlsplug_server_set_sni_callback(x->srv, 1))
            return "set_sni_callback failed";
        if (kind == OC_ALPN && tlsplug_server_set_alpn_protocols(x->srv, alpn + 3, sizeof alpn - 3))
            return "server set_alpn_protocols failed";
        if (sc->client_cert && (tlsplug_server_set_request_cert(x->srv, 1) ||
                                tlsplug_server_set_reject_unauthorized(x->srv, 1)))
            return "server request_cert failed";
    }
    const char *err;
    if ((err = setup_side(&x->c, "client", 1, sc->read_mode)))
        return err;
    if (x->srv && tlsplug_server_accept(x->srv, 0, &x->s.sock))
        return "tlsplug_server_accept failed";
    if ((err = setup_side(&x->s, "server", 0, sc->read_mode)))
        return err;
    x->c.rf.tls13 = x->s.rf.tls13 = v;
    x->c.rf.dir = OC_C2S;
    x->s.rf.dir = OC_S2C;
    if (tlsplug_socket_start(x->c.sock))
        return "client start failed";
    if (!x->srv && tlsplug_socket_start(x->s.sock)) /* accepted sockets are started */
        return "server start failed";
    return NULL;
}

static void teardown(exchange *x)
{
    side *sides[2] = {&x->c, &x->s};
    for (int i = 0; i < 2; i++) {
        if (sides[i]->sock)
            tlsplug_socket_free(sides[i]->sock);
        oc_buf_free(&sides[i]->rx);
        oc_buf_free(&sides[i]->wire);
        oc_reframer_free(&sides[i]->rf);
    }
    if (x->srv)
        tlsplug_server_free(x->srv);
}

/* ---- the shuttle --------------------------------------------------------------- */

static size_t clamp(size_t v, size_t lo, size_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Take everything `from` has to send onto `to`'s wire (re-framed when the
 * cutting says so). Answers the bytes taken. */
static size_t collect(side *from, side *to, oc_cutter *cut)
{
    uint8_t buf[16384];
    size_t total = 0;
    for (int i = 0; i < 100000; i++) {
        size_t n = 0;
        int rc = tlsplug_socket_pull(from->sock, buf, sizeof buf, &n);
        if (rc != TLSPLUG_OK || n == 0)
            break;
        if (cut->reframe)
            oc_reframe(&from->rf, buf, n, &to->wire, cut);
        else
            oc_buf_add(&to->wire, buf, n);
        total += n;
    }
    return total;
}

/* read() mode: take the cleartext while the state says READABLE. */
static void read_all(side *sd)
{
    uint8_t buf[4096];
    for (int i = 0; sd->read_mode && i < 100000; i++) {
        if (!(state_of(sd) & TLSPLUG_STATE_READABLE))
            return;
        size_t n = 0;
        if (tlsplug_socket_read(sd->sock, buf, sizeof buf, &n) != TLSPLUG_OK || n == 0)
            return;
        oc_buf_add(&sd->rx, buf, n);
    }
}

/* Feed `to` its wire in the cutter's sizes. Answers NULL or a failure. */
static const char *deliver(side *to, int dir, oc_cutter *cut, size_t *moved)
{
    while (to->wire.len > 0) {
        size_t k = clamp(cut->next(cut, OC_FEED, dir, to->wire.len), 1, to->wire.len);
        int rc = tlsplug_socket_feed(to->sock, to->wire.p, k);
        if (rc != TLSPLUG_OK)
            return fail("%s: feed of %zu bytes (after %llu) answered %s, code %s", to->name, k,
                        (unsigned long long)to->fed, tlsplug_status_name(rc), error_of(to));
        oc_buf_drop(&to->wire, k);
        to->fed += k;
        *moved += k;
        read_all(to);
    }
    return NULL;
}

static void message(const side *sd, uint8_t *out)
{
    for (size_t i = 0; i < MSG_LEN; i++)
        out[i] = (uint8_t)(i * 31 + (sd->client ? 7 : 101) + (i >> 8));
}

static const char *shuttle(exchange *x, const oc_scenario *sc, oc_cutter *cut)
{
    int written = 0, ending = 0;
    uint8_t msg[MSG_LEN];
    for (int round = 0; round < MAX_ROUNDS; round++) {
        size_t moved = 0;
        const char *err;
        collect(&x->c, &x->s, cut);
        if ((err = deliver(&x->s, OC_C2S, cut, &moved)))
            return err;
        collect(&x->s, &x->c, cut);
        if ((err = deliver(&x->c, OC_S2C, cut, &moved)))
            return err;
        if (x->c.errors || x->s.errors)
            return fail("error event: client %s, server %s", x->c.errors ? x->c.error : "none",
                        x->s.errors ? x->s.error : "none");
        if (x->sni_pending) {
            x->sni_pending = 0;
            x->sni_answers++;
            int rc = tlsplug_socket_sni_done(x->s.sock, NULL, NULL);
            if (rc != TLSPLUG_OK)
                return fail("sni_done answered %s", tlsplug_status_name(rc));
            moved++;
        }
        if (x->c.secure && x->s.secure && !written) {
            side *sides[2] = {&x->c, &x->s};
            for (int i = 0; i < 2; i++) {
                message(sides[i], msg);
                int rc = tlsplug_socket_write(sides[i]->sock, msg, sizeof msg);
                if (rc != TLSPLUG_OK)
                    return fail("%s: write answered %s", sides[i]->name, tlsplug_status_name(rc));
            }
            written = 1;
            moved++;
        }
        if (written && !ending && x->c.rx.len >= MSG_LEN && x->s.rx.len >= MSG_LEN) {
            int rc = tlsplug_socket_end(x->c.sock);
            if (rc != TLSPLUG_OK)
                return fail("client: end answered %s", tlsplug_status_name(rc));
            ending = 1;
            moved++;
        }
        if (x->c.closed && x->s.closed)
            return NULL;
        if (moved == 0) {
            /* Nothing to send either way, nothing to answer: a stall. */
            unsigned fc = state_of(&x->c), fs = state_of(&x->s);
            return fail("STALL in round %d (%s): client %s secure=%d state=0x%x fed %llu; "
                        "server %s secure=%d state=0x%x fed %llu; records re-framed c>s %zu->%zu, "
                        "s>c %zu->%zu",
                        round, !(x->c.secure && x->s.secure) ? "handshake unfinished"
                               : !written || x->c.rx.len < MSG_LEN || x->s.rx.len < MSG_LEN
                                   ? "messages incomplete"
                                   : "end() did not close both sides",
                        (fc & TLSPLUG_STATE_WANT_INPUT) ? "wants input" : "idle", x->c.secure, fc,
                        (unsigned long long)x->c.fed,
                        (fs & TLSPLUG_STATE_WANT_INPUT) ? "wants input" : "idle", x->s.secure, fs,
                        (unsigned long long)x->s.fed, x->c.rf.records_in, x->c.rf.records_out,
                        x->s.rf.records_in, x->s.rf.records_out);
        }
    }
    (void)sc;
    return fail("no end after %d rounds", MAX_ROUNDS);
}

/* After the shuttle: what each side must have seen. */
static const char *verdict(exchange *x, const oc_scenario *sc)
{
    uint8_t want[MSG_LEN];
    side *sides[2] = {&x->c, &x->s};
    for (int i = 0; i < 2; i++) {
        side *sd = sides[i], *peer = sides[1 - i];
        if (sd->secure != 1 || sd->ended != 1 || sd->closed != 1 || sd->close_error || sd->errors)
            return fail("%s: secure=%d end=%d close=%d hadError=%d errors=%d", sd->name,
                        sd->secure, sd->ended, sd->closed, sd->close_error, sd->errors);
        message(peer, want);
        if (sd->rx.len != MSG_LEN || memcmp(sd->rx.p, want, MSG_LEN) != 0)
            return fail("%s: received %zu bytes, not the peer's %d-byte message", sd->name,
                        sd->rx.len, MSG_LEN);
    }
    int authorized = 0;
    tlsplug_socket_authorized(x->c.sock, &authorized);
    if (!authorized)
        return "client: the server was not authorized";
    if (sc->client_cert) {
        tlsplug_socket_authorized(x->s.sock, &authorized);
        if (!authorized)
            return "server: the client certificate was not authorized";
    }
    if (x->srv && (x->secure_connections != 1 || x->client_errors))
        return fail("server: %d secureConnection, %d tlsClientError (%s)", x->secure_connections,
                    x->client_errors, x->client_error);
    if ((sc->server_kind & 3) == OC_SNI_ASYNC && x->sni_answers != 1)
        return fail("server: %d SNICallback answers", x->sni_answers);
    if ((sc->server_kind & 3) == OC_ALPN) {
        char proto[32];
        size_t n = 0;
        if (tlsplug_socket_get_alpn_protocol(x->c.sock, proto, sizeof proto, &n) != TLSPLUG_OK ||
            strcmp(proto, "http/1.1") != 0)
            return "client: ALPN did not settle on http/1.1";
    }
    return NULL;
}

const char *oc_run(const oc_scenario *sc, oc_cutter *cut)
{
    exchange x;
    memset(&x, 0, sizeof x);
    const char *err = setup(&x, sc);
    if (!err)
        err = shuttle(&x, sc, cut);
    if (!err)
        err = verdict(&x, sc);
    teardown(&x);
    return err;
}
