/* server_tool: a tls.Server (tlsplug_server) over real TCP, for the server
 * tests' peers (openssl s_client, Node's tls.connect).
 *
 *   server_tool --key K --cert C [options]
 *
 * Listens on 127.0.0.1:0, prints "PORT n" (flushed), then accepts
 * connections (several at once, one tlsplug_server_accept each) until
 * --max-connections have been accepted and all of them are over. Every
 * connection echoes what it receives and, when its TLS socket closes,
 * prints one JSON line:
 *
 *   {"event":"connection","n":1,"secure":true,"servername":"a.test"|null,
 *    "alpnProtocol":"h2"|false,"protocol":"TLSv1.3"|null,
 *    "isSessionReused":false,"authorized":false,"events":["sni",...],
 *    "tlsClientError":null|"CODE","error":null|"CODE","ocspRequests":0}
 *
 * Options:
 *   --ca FILE --request-cert       ask for a client certificate
 *   --sni HOST=KEY,CERT            addContext (repeatable)
 *   --sni-async MS                 SNICallback instead: answer MS ms later
 *                                  with the matching --sni context (or the
 *                                  default); "fail.test" gets an error
 *   --alpn LIST                    comma list, server preference order
 *   --ticket-keys-file FILE        48 bytes for setTicketKeys
 *   --print-ticket-keys            prints "TICKET_KEYS <hex>" at start
 *   --session-store                answer newSession/resumeSession from an
 *                                  in-memory map
 *   --session-cache-size N         the embedded session cache's size (0: off)
 *   --session-store-delay MS       with --session-store: store and answer
 *                                  newSession, and answer resumeSession, MS ms
 *                                  later (an asynchronous store)
 *   --ocsp-response FILE           answer OCSPRequest with the file's bytes,
 *                                  5 ms later
 *   --disable-renegotiation        disableRenegotiation() on each socket
 *   --renegotiate-on MARK          when received data holds MARK, call
 *                                  renegotiate({requestCert: true,
 *                                  rejectUnauthorized: false}) before echoing
 *                                  it; events get "renegotiate" or
 *                                  "renegotiate-refused:CODE"; "authorized"
 *                                  is read again at "renegotiated"
 *   --max-connections N            (default 1)
 *   --timeout MS                   bound on every wait (default 20000)
 *
 * Exit status: 0 all served, 3 usage or transport trouble. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pump_io.h"
#include "tcp.h"
#include "tlsplug.h"

#define MAX_SNI 8
#define MAX_CONNS 16
#define MAX_STORE 64
#define OCSP_DELAY_MS 5

struct sni_entry {
    char host[256];
    tlsplug_context *ctx;
};

struct opts {
    const char *key, *cert, *ca;
    int request_cert;
    struct sni_entry sni[MAX_SNI];
    int nsni;
    int sni_async_ms; /* -1: addContext */
    uint8_t alpn[256];
    size_t alpn_len;
    const char *ticket_keys_file;
    int print_ticket_keys;
    int session_store;
    long session_cache_size; /* -1: the library's default */
    int store_delay_ms;
    uint8_t *ocsp;
    size_t ocsp_len;
    int has_ocsp;
    int disable_reneg;
    const char *reneg_mark;
    int max_connections;
    int timeout_ms;
};

struct conn {
    int n;
    tlsplug_socket *sock;
    struct pump_io io;
    int secure, closed, printed;
    char servername[256];
    int has_servername;
    char alpn[256];
    int has_alpn;
    char protocol[32];
    int reused, authorized;
    char events[1024];
    char client_error[96];
    char error[96];
    int ocsp_requests;
    /* pending answers on the tool's clock; 0 for none */
    int64_t sni_due;
    char sni_name[256];
    int64_t ocsp_due;
    /* --session-store-delay: what waits for its answer */
    int64_t new_session_due, resume_due;
    uint8_t *pending;
    size_t pending_len;
};

struct store_entry {
    uint8_t *id;
    size_t id_len;
    uint8_t *data;
    size_t data_len;
};

static struct opts O;
static struct conn *conns[MAX_CONNS];
static struct store_entry store[MAX_STORE];
static int nstore;

static int read_file(const char *path, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "server_tool: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (!buf)
            break;
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (n < cap)
            break;
        cap *= 2;
        uint8_t *nb = realloc(buf, cap);
        if (!nb) {
            free(buf);
            buf = NULL;
        }
        buf = nb;
    }
    fclose(f);
    if (!buf)
        return -1;
    *out = buf;
    *len = n;
    return 0;
}

static void json_str(const char *s, size_t len)
{
    putchar('"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static void json_opt(const char *key, int has, const char *val, const char *none)
{
    printf(",\"%s\":", key);
    if (has)
        json_str(val, strlen(val));
    else
        fputs(none, stdout);
}

static int contains(const uint8_t *data, size_t len, const char *mark)
{
    size_t m = strlen(mark);
    for (size_t i = 0; m && i + m <= len; i++)
        if (memcmp(data + i, mark, m) == 0)
            return 1;
    return 0;
}

static void add_event(struct conn *c, const char *name)
{
    size_t used = strlen(c->events);
    snprintf(c->events + used, sizeof c->events - used, "%s\"%s\"", used ? "," : "", name);
}

static void print_conn(struct conn *c)
{
    if (c->printed)
        return;
    c->printed = 1;
    printf("{\"event\":\"connection\",\"n\":%d,\"secure\":%s", c->n, c->secure ? "true" : "false");
    json_opt("servername", c->has_servername, c->servername, "null");
    json_opt("alpnProtocol", c->has_alpn, c->alpn, "false");
    json_opt("protocol", c->protocol[0] != 0, c->protocol, "null");
    printf(",\"isSessionReused\":%s,\"authorized\":%s,\"events\":[%s]", c->reused ? "true" : "false",
           c->authorized ? "true" : "false", c->events);
    json_opt("tlsClientError", c->client_error[0] != 0, c->client_error, "null");
    json_opt("error", c->error[0] != 0, c->error, "null");
    printf(",\"ocspRequests\":%d}\n", c->ocsp_requests);
    fflush(stdout);
}

static void capture_secure(struct conn *c)
{
    size_t len = 0;
    c->secure = 1;
    c->has_servername =
        tlsplug_socket_get_servername(c->sock, c->servername, sizeof c->servername, &len) ==
        TLSPLUG_OK;
    c->has_alpn = tlsplug_socket_get_alpn_protocol(c->sock, c->alpn, sizeof c->alpn, &len) ==
                  TLSPLUG_OK;
    if (tlsplug_socket_get_protocol(c->sock, c->protocol, sizeof c->protocol, &len) != TLSPLUG_OK)
        c->protocol[0] = 0;
    if (tlsplug_socket_is_session_reused(c->sock, &c->reused) != TLSPLUG_OK)
        c->reused = 0;
    if (tlsplug_socket_authorized(c->sock, &c->authorized) != TLSPLUG_OK)
        c->authorized = 0;
}

static void on_socket(uintptr_t ud, void *source, int ev, void *subject, const uint8_t *data,
                      size_t len)
{
    struct conn *c = (struct conn *)ud;
    size_t n = 0;
    (void)source;
    (void)subject;
    switch (ev) {
    case TLSPLUG_EV_SECURE:
        add_event(c, "secure");
        capture_secure(c);
        break;
    case TLSPLUG_EV_DATA:
        if (O.reneg_mark && contains(data, len, O.reneg_mark)) {
            if (tlsplug_socket_renegotiate(c->sock, 1, 0) == TLSPLUG_OK) {
                add_event(c, "renegotiate");
            } else {
                char code[64] = "?", what[96];
                tlsplug_error_get(c->sock, TLSPLUG_ERROR_CODE, code, sizeof code, &n);
                snprintf(what, sizeof what, "renegotiate-refused:%s", code);
                add_event(c, what);
            }
        }
        tlsplug_socket_write(c->sock, data, len);
        break;
    case TLSPLUG_EV_END:
        add_event(c, "end");
        tlsplug_socket_end(c->sock);
        break;
    case TLSPLUG_EV_ERROR:
        add_event(c, "error");
        if (tlsplug_error_get(c->sock, TLSPLUG_ERROR_CODE, c->error, sizeof c->error, &n) !=
            TLSPLUG_OK)
            snprintf(c->error, sizeof c->error, "?");
        break;
    case TLSPLUG_EV_RENEGOTIATED:
        add_event(c, "renegotiated");
        if (tlsplug_socket_authorized(c->sock, &c->authorized) != TLSPLUG_OK)
            c->authorized = 0;
        break;
    case TLSPLUG_EV_CLOSE:
        add_event(c, "close");
        c->closed = 1;
        print_conn(c);
        break;
    default:
        break;
    }
}

static struct conn *find_conn(void *sock)
{
    for (int i = 0; i < MAX_CONNS; i++)
        if (conns[i] && conns[i]->sock == sock)
            return conns[i];
    return NULL;
}

static struct store_entry *store_find(const uint8_t *id, size_t len)
{
    for (int i = 0; i < nstore; i++)
        if (store[i].id_len == len && memcmp(store[i].id, id, len) == 0)
            return &store[i];
    return NULL;
}

static void store_put(const uint8_t *id, size_t id_len, const uint8_t *data, size_t len)
{
    struct store_entry *e = store_find(id, id_len);
    if (!e) {
        if (nstore == MAX_STORE)
            return;
        e = &store[nstore++];
        e->id = malloc(id_len ? id_len : 1);
        if (!e->id) {
            nstore--;
            return;
        }
        memcpy(e->id, id, id_len);
        e->id_len = id_len;
    } else {
        free(e->data);
    }
    e->data = malloc(len ? len : 1);
    e->data_len = e->data ? len : 0;
    if (e->data)
        memcpy(e->data, data, len);
}

static void on_server(uintptr_t ud, void *source, int ev, void *subject, const uint8_t *data,
                      size_t len)
{
    (void)ud;
    (void)source;
    struct conn *c = find_conn(subject);
    if (!c)
        return;
    switch (ev) {
    case TLSPLUG_EV_SECURE_CONNECTION:
        add_event(c, "secureConnection");
        break;
    case TLSPLUG_EV_TLS_CLIENT_ERROR:
        add_event(c, "tlsClientError");
        snprintf(c->client_error, sizeof c->client_error, "%.*s", (int)len, (const char *)data);
        break;
    case TLSPLUG_EV_SNI_CALLBACK:
        add_event(c, "SNICallback");
        snprintf(c->sni_name, sizeof c->sni_name, "%.*s", (int)len, (const char *)data);
        c->sni_due = pump_io_now_ms() + O.sni_async_ms;
        if (c->sni_due == 0)
            c->sni_due = 1;
        break;
    case TLSPLUG_EV_NEW_SESSION:
        add_event(c, "newSession");
        if (O.store_delay_ms && (c->pending = malloc(len ? len : 1))) {
            memcpy(c->pending, data, len);
            c->pending_len = len;
            c->new_session_due = pump_io_now_ms() + O.store_delay_ms;
            break;
        }
        if (len >= 1 && (size_t)data[0] + 1 <= len)
            store_put(data + 1, data[0], data + 1 + data[0], len - 1 - data[0]);
        tlsplug_socket_new_session_done(c->sock);
        break;
    case TLSPLUG_EV_RESUME_SESSION: {
        if (O.store_delay_ms && (c->pending = malloc(len ? len : 1))) {
            memcpy(c->pending, data, len);
            c->pending_len = len;
            c->resume_due = pump_io_now_ms() + O.store_delay_ms;
            break;
        }
        struct store_entry *e = store_find(data, len);
        add_event(c, e ? "resumeSession:hit" : "resumeSession:miss");
        tlsplug_socket_resume_session_done(c->sock, e ? e->data : NULL, e ? e->data_len : 0);
        break;
    }
    case TLSPLUG_EV_OCSP_REQUEST:
        add_event(c, "OCSPRequest");
        c->ocsp_requests++;
        c->ocsp_due = pump_io_now_ms() + OCSP_DELAY_MS;
        break;
    default:
        break;
    }
}

/* Node's addContext pattern: '*' matches a run of characters without a dot. */
static int host_match(const char *pat, const char *name)
{
    if (*pat == 0)
        return *name == 0;
    if (*pat == '*') {
        for (const char *p = name;; p++) {
            if (host_match(pat + 1, p))
                return 1;
            if (*p == 0 || *p == '.')
                return 0;
        }
    }
    char a = *pat, b = *name;
    if (a >= 'A' && a <= 'Z')
        a = (char)(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z')
        b = (char)(b - 'A' + 'a');
    return a == b && host_match(pat + 1, name + 1);
}

static void answer_due(struct conn *c, int64_t now)
{
    if (c->sni_due && now >= c->sni_due) {
        c->sni_due = 0;
        if (strcmp(c->sni_name, "fail.test") == 0) {
            add_event(c, "sni:error");
            tlsplug_socket_sni_done(c->sock, NULL, "server_tool: no context for fail.test");
        } else {
            tlsplug_context *ctx = NULL;
            for (int i = O.nsni - 1; i >= 0 && !ctx; i--)
                if (host_match(O.sni[i].host, c->sni_name))
                    ctx = O.sni[i].ctx;
            add_event(c, ctx ? "sni:context" : "sni:default");
            int rc = tlsplug_socket_sni_done(c->sock, ctx, NULL);
            if (rc != TLSPLUG_OK)
                fprintf(stderr, "server_tool: sni_done: %s\n", tlsplug_status_name(rc));
        }
    }
    if (c->new_session_due && now >= c->new_session_due) {
        c->new_session_due = 0;
        const uint8_t *d = c->pending;
        size_t len = c->pending_len;
        if (len >= 1 && (size_t)d[0] + 1 <= len)
            store_put(d + 1, d[0], d + 1 + d[0], len - 1 - d[0]);
        free(c->pending), c->pending = NULL;
        tlsplug_socket_new_session_done(c->sock);
    }
    if (c->resume_due && now >= c->resume_due) {
        c->resume_due = 0;
        struct store_entry *e = store_find(c->pending, c->pending_len);
        free(c->pending), c->pending = NULL;
        add_event(c, e ? "resumeSession:hit" : "resumeSession:miss");
        tlsplug_socket_resume_session_done(c->sock, e ? e->data : NULL, e ? e->data_len : 0);
    }
    if (c->ocsp_due && now >= c->ocsp_due) {
        c->ocsp_due = 0;
        int rc = tlsplug_socket_ocsp_done(c->sock, O.ocsp, O.ocsp_len);
        if (rc != TLSPLUG_OK)
            fprintf(stderr, "server_tool: ocsp_done: %s\n", tlsplug_status_name(rc));
    }
}

static int load_pem(tlsplug_context *ctx, const char *path,
                    int (*add)(tlsplug_context *, const uint8_t *, size_t))
{
    uint8_t *buf;
    size_t len;
    if (read_file(path, &buf, &len) != 0)
        return -1;
    int rc = add(ctx, buf, len);
    free(buf);
    if (rc != TLSPLUG_OK) {
        fprintf(stderr, "server_tool: %s: %s\n", path, tlsplug_status_name(rc));
        return -1;
    }
    return 0;
}

static int add_key_nopass(tlsplug_context *ctx, const uint8_t *pem, size_t len)
{
    return tlsplug_context_add_key(ctx, pem, len, NULL);
}

static tlsplug_context *make_context(const char *key, const char *cert, const char *ca)
{
    tlsplug_context *ctx = NULL;
    if (tlsplug_context_new(&ctx) != TLSPLUG_OK)
        return NULL;
    if (load_pem(ctx, key, add_key_nopass) != 0 || load_pem(ctx, cert, tlsplug_context_add_cert) != 0 ||
        (ca && load_pem(ctx, ca, tlsplug_context_add_ca) != 0)) {
        tlsplug_context_free(ctx);
        return NULL;
    }
    return ctx;
}

static int usage(const char *why)
{
    fprintf(stderr, "server_tool: %s\n", why);
    return 3;
}

static int parse_args(int argc, char **argv)
{
    O.sni_async_ms = -1;
    O.max_connections = 1;
    O.session_cache_size = -1;
    O.timeout_ms = 20000;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_VALUE()                          \
    do {                                      \
        if (!v)                               \
            return usage("missing a value");  \
        i++;                                  \
    } while (0)
        if (strcmp(a, "--key") == 0) {
            NEED_VALUE();
            O.key = v;
        } else if (strcmp(a, "--cert") == 0) {
            NEED_VALUE();
            O.cert = v;
        } else if (strcmp(a, "--ca") == 0) {
            NEED_VALUE();
            O.ca = v;
        } else if (strcmp(a, "--request-cert") == 0) {
            O.request_cert = 1;
        } else if (strcmp(a, "--sni") == 0) {
            NEED_VALUE();
            if (O.nsni == MAX_SNI)
                return usage("too many --sni");
            char spec[1024];
            snprintf(spec, sizeof spec, "%s", v);
            char *eq = strchr(spec, '=');
            char *comma = eq ? strchr(eq, ',') : NULL;
            if (!eq || !comma)
                return usage("--sni HOST=KEY,CERT");
            *eq = 0;
            *comma = 0;
            if (strlen(spec) >= sizeof O.sni[O.nsni].host)
                return usage("--sni: host too long");
            memcpy(O.sni[O.nsni].host, spec, strlen(spec) + 1);
            O.sni[O.nsni].ctx = make_context(eq + 1, comma + 1, NULL);
            if (!O.sni[O.nsni].ctx)
                return 3;
            O.nsni++;
        } else if (strcmp(a, "--sni-async") == 0) {
            NEED_VALUE();
            O.sni_async_ms = atoi(v);
        } else if (strcmp(a, "--alpn") == 0) {
            NEED_VALUE();
            O.alpn_len = 0;
            const char *p = v;
            while (*p) {
                const char *e = strchr(p, ',');
                size_t n = e ? (size_t)(e - p) : strlen(p);
                if (n == 0 || n > 255 || O.alpn_len + 1 + n > sizeof O.alpn)
                    return usage("bad --alpn");
                O.alpn[O.alpn_len++] = (uint8_t)n;
                memcpy(O.alpn + O.alpn_len, p, n);
                O.alpn_len += n;
                p += n + (e ? 1 : 0);
            }
        } else if (strcmp(a, "--ticket-keys-file") == 0) {
            NEED_VALUE();
            O.ticket_keys_file = v;
        } else if (strcmp(a, "--print-ticket-keys") == 0) {
            O.print_ticket_keys = 1;
        } else if (strcmp(a, "--session-store") == 0) {
            O.session_store = 1;
        } else if (strcmp(a, "--session-cache-size") == 0) {
            NEED_VALUE();
            O.session_cache_size = atol(v);
        } else if (strcmp(a, "--session-store-delay") == 0) {
            NEED_VALUE();
            O.store_delay_ms = atoi(v);
        } else if (strcmp(a, "--ocsp-response") == 0) {
            NEED_VALUE();
            if (read_file(v, &O.ocsp, &O.ocsp_len) != 0)
                return 3;
            O.has_ocsp = 1;
        } else if (strcmp(a, "--disable-renegotiation") == 0) {
            O.disable_reneg = 1;
        } else if (strcmp(a, "--renegotiate-on") == 0) {
            NEED_VALUE();
            O.reneg_mark = v;
        } else if (strcmp(a, "--max-connections") == 0) {
            NEED_VALUE();
            O.max_connections = atoi(v);
        } else if (strcmp(a, "--timeout") == 0) {
            NEED_VALUE();
            O.timeout_ms = atoi(v);
        } else {
            return usage("unknown option");
        }
#undef NEED_VALUE
    }
    if (!O.key || !O.cert || O.max_connections < 1 || O.timeout_ms < 1)
        return usage("need --key and --cert");
    return 0;
}

static int setup_server(tlsplug_server **out)
{
    tlsplug_context *ctx = make_context(O.key, O.cert, O.ca);
    if (!ctx)
        return 3;
    tlsplug_server *srv = NULL;
    int rc = tlsplug_server_new(ctx, &srv);
    tlsplug_context_free(ctx);
    if (rc != TLSPLUG_OK) {
        fprintf(stderr, "server_tool: server_new: %s\n", tlsplug_status_name(rc));
        return 3;
    }
    *out = srv;
    static const int events[] = {TLSPLUG_EV_SECURE_CONNECTION, TLSPLUG_EV_TLS_CLIENT_ERROR,
                                 TLSPLUG_EV_SNI_CALLBACK,      TLSPLUG_EV_NEW_SESSION,
                                 TLSPLUG_EV_RESUME_SESSION,    TLSPLUG_EV_OCSP_REQUEST};
    for (size_t i = 0; i < sizeof events / sizeof *events; i++)
        if ((rc = tlsplug_server_on(srv, events[i], on_server, 0)) != TLSPLUG_OK)
            goto fail;
    if (O.request_cert && (rc = tlsplug_server_set_request_cert(srv, 1)) != TLSPLUG_OK)
        goto fail;
    if (O.alpn_len &&
        (rc = tlsplug_server_set_alpn_protocols(srv, O.alpn, O.alpn_len)) != TLSPLUG_OK)
        goto fail;
    if (O.sni_async_ms >= 0) {
        if ((rc = tlsplug_server_set_sni_callback(srv, 1)) != TLSPLUG_OK)
            goto fail;
    } else {
        for (int i = 0; i < O.nsni; i++)
            if ((rc = tlsplug_server_add_context(srv, O.sni[i].host, O.sni[i].ctx)) != TLSPLUG_OK)
                goto fail;
    }
    if (O.session_store && (rc = tlsplug_server_set_session_store(srv, 1)) != TLSPLUG_OK)
        goto fail;
    if (O.session_cache_size >= 0 &&
        (rc = tlsplug_server_set_session_cache_size(srv, (size_t)O.session_cache_size)) != TLSPLUG_OK)
        goto fail;
    if (O.has_ocsp && (rc = tlsplug_server_set_ocsp(srv, 1)) != TLSPLUG_OK)
        goto fail;
    if (O.ticket_keys_file) {
        uint8_t *keys;
        size_t len;
        if (read_file(O.ticket_keys_file, &keys, &len) != 0)
            return 3;
        rc = tlsplug_server_set_ticket_keys(srv, keys, len);
        free(keys);
        if (rc != TLSPLUG_OK)
            goto fail;
    }
    if (O.print_ticket_keys) {
        uint8_t keys[48];
        size_t len = 0;
        if ((rc = tlsplug_server_get_ticket_keys(srv, keys, sizeof keys, &len)) != TLSPLUG_OK)
            goto fail;
        printf("TICKET_KEYS ");
        for (size_t i = 0; i < len; i++)
            printf("%02x", keys[i]);
        printf("\n");
        fflush(stdout);
    }
    return 0;
fail:
    fprintf(stderr, "server_tool: server setup: %s\n", tlsplug_status_name(rc));
    return 3;
}

static int accept_conn(tlsplug_server *srv, int fd, int n)
{
    int slot = -1;
    for (int i = 0; i < MAX_CONNS && slot < 0; i++)
        if (!conns[i])
            slot = i;
    struct conn *c = slot >= 0 ? calloc(1, sizeof *c) : NULL;
    if (!c) {
        close(fd);
        return -1;
    }
    c->n = n;
    int rc = tlsplug_server_accept(srv, (size_t)pump_io_now_ms(), &c->sock);
    if (rc != TLSPLUG_OK) {
        fprintf(stderr, "server_tool: accept: %s\n", tlsplug_status_name(rc));
        free(c);
        close(fd);
        return -1;
    }
    conns[slot] = c;
    static const int events[] = {TLSPLUG_EV_SECURE, TLSPLUG_EV_DATA,  TLSPLUG_EV_END,
                                 TLSPLUG_EV_ERROR,  TLSPLUG_EV_CLOSE, TLSPLUG_EV_RENEGOTIATED};
    for (size_t i = 0; i < sizeof events / sizeof *events; i++)
        tlsplug_socket_on(c->sock, events[i], on_socket, (uintptr_t)c);
    if (O.disable_reneg)
        tlsplug_socket_disable_renegotiation(c->sock);
    pump_io_init(&c->io, c->sock, fd);
    pump_io_set_timeout(&c->io, O.timeout_ms, "ETIMEDOUT");
    return 0;
}

static void drop_conn(int i)
{
    struct conn *c = conns[i];
    print_conn(c); /* no-op when the close event already printed it */
    tlsplug_socket_free(c->sock);
    free(c->pending);
    free(c);
    conns[i] = NULL;
}

int main(int argc, char **argv)
{
    int status = parse_args(argc, argv);
    tlsplug_server *srv = NULL;
    if (status == 0)
        status = setup_server(&srv);
    int lfd = -1;
    if (status == 0) {
        char bound[96], err[256];
        lfd = tcp_listen("127.0.0.1", "0", bound, sizeof bound, err, sizeof err);
        if (lfd < 0) {
            fprintf(stderr, "server_tool: %s\n", err);
            status = 3;
        } else {
            const char *colon = strrchr(bound, ':');
            printf("PORT %s\n", colon ? colon + 1 : "?");
            fflush(stdout);
        }
    }
    int accepted = 0;
    int64_t idle_deadline = pump_io_now_ms() + O.timeout_ms;
    while (status == 0) {
        int64_t now = pump_io_now_ms();
        struct pollfd pfds[MAX_CONNS + 1];
        struct conn *polled[MAX_CONNS];
        int np = 0, live = 0;
        int wait = -1;
        for (int i = 0; i < MAX_CONNS; i++) {
            if (!conns[i])
                continue;
            struct conn *c = conns[i];
            answer_due(c, now);
            tlsplug_socket_tick(c->sock, (size_t)now);
            pump_io_prepare(&c->io, &pfds[np]);
            if (pump_io_done(&c->io)) {
                drop_conn(i);
                continue;
            }
            live++;
            polled[np++] = c;
            int t = pump_io_poll_timeout(&c->io, now);
            size_t at;
            if (tlsplug_socket_next_timeout(c->sock, &at) == TLSPLUG_OK) {
                int64_t d = (int64_t)at - now;
                int td = d < 0 ? 0 : (int)d;
                if (t < 0 || td < t)
                    t = td;
            }
            int64_t dues[4] = {c->sni_due, c->ocsp_due, c->new_session_due, c->resume_due};
            for (int k = 0; k < 4; k++) {
                if (!dues[k])
                    continue;
                int td = dues[k] <= now ? 0 : (int)(dues[k] - now);
                if (t < 0 || td < t)
                    t = td;
            }
            if (t >= 0 && (wait < 0 || t < wait))
                wait = t;
        }
        if (accepted >= O.max_connections && live == 0)
            break;
        if (live > 0)
            idle_deadline = now + O.timeout_ms;
        int listening = accepted < O.max_connections && live < MAX_CONNS;
        if (listening) {
            pfds[np].fd = lfd;
            pfds[np].events = POLLIN;
            pfds[np].revents = 0;
            if (live == 0) {
                int64_t left = idle_deadline - now;
                if (left <= 0) {
                    fprintf(stderr, "server_tool: no connection within %d ms\n", O.timeout_ms);
                    status = 3;
                    break;
                }
                if (wait < 0 || left < wait)
                    wait = (int)left;
            }
        }
        if (wait < 0) /* every wait is bounded */
            wait = O.timeout_ms;
        if (poll(pfds, (nfds_t)(np + listening), wait) < 0 && errno != EINTR) {
            fprintf(stderr, "server_tool: poll: %s\n", strerror(errno));
            status = 3;
            break;
        }
        for (int i = 0; i < np; i++)
            pump_io_service(&polled[i]->io, pfds[i].revents);
        if (listening && (pfds[np].revents & POLLIN)) {
            while (accepted < O.max_connections) {
                int fd = tcp_accept(lfd);
                if (fd < 0)
                    break;
                accepted++;
                accept_conn(srv, fd, accepted);
                idle_deadline = pump_io_now_ms() + O.timeout_ms;
            }
        }
        now = pump_io_now_ms();
        for (int i = 0; i < np; i++)
            pump_io_tick(&polled[i]->io, now);
    }
    for (int i = 0; i < MAX_CONNS; i++) {
        if (conns[i]) {
            pump_io_abort(&conns[i]->io);
            drop_conn(i);
        }
    }
    if (lfd >= 0)
        close(lfd);
    tlsplug_server_free(srv);
    for (int i = 0; i < O.nsni; i++)
        tlsplug_context_free(O.sni[i].ctx);
    for (int i = 0; i < nstore; i++) {
        free(store[i].id);
        free(store[i].data);
    }
    free(O.ocsp);
    if (status == 0) {
        printf("{\"event\":\"exit\",\"accepted\":%d}\n", accepted);
        fflush(stdout);
    }
    return status;
}
