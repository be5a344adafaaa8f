/* `tlsplug server`: Node's documented echo server (tls.createServer):
 *
 *   const server = tls.createServer(options, (socket) => {
 *     console.log('server connected',
 *                 socket.authorized ? 'authorized' : 'unauthorized');
 *     socket.write('welcome!\n');
 *     socket.setEncoding('utf8');
 *     socket.pipe(socket);
 *   });
 *   server.listen(8000, () => { console.log('server bound'); });
 *
 * That is the default mode (--echo). The others answer HTTP, as openssl
 * s_server's: --www a status page of the connection, --serve-dir DIR
 * static files (GET/HEAD, no escape from DIR), --http one fixed reply per
 * request (for probes).
 *
 * "listening on ADDR:PORT" goes to stdout once bound (scripts read the
 * port from it); what happens to connections goes to stderr: one
 * "connection peer=... outcome=..." line each when it closes, and, when
 * client certificates are asked for, Node's "server connected
 * authorized|unauthorized" as it becomes secure. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "embed.h"
#include "http.h"
#include "opts.h"
#include "selfsigned.h"
#include "tlsctx.h"

enum mode { MODE_ECHO, MODE_WWW, MODE_SERVE_DIR, MODE_HTTP };

struct server_opts {
    struct tls_files tls;
    const char *host, *port, *path, *alpn, *max_conns, *cert_out;
    const char *verify, *Verify; /* openssl's -verify/-Verify DEPTH (ignored) */
    const char *serve_dir, *keylog, *ticket_keys, *ocsp_response, *handshake_timeout;
    const char *session_store, *session_timeout;
    const char *sni[OPTS_MANY + 1];
    int request_cert, insecure, once;
    int echo, www, http, www_cwd;
    enum mode mode;
    char root[PATH_MAX]; /* --serve-dir's realpath */
};

struct conn;

struct server {
    const struct server_opts *o;
    tlsplug_server *srv;
    int closing;  /* server.close() was called */
    int failures; /* connections that ended in an error */
    FILE *keylog;
    uint8_t *ocsp; /* --ocsp-response's DER */
    size_t ocsp_len;
    struct conn *conns; /* open connections, to find one by its socket */
    tlsplug_context *sni_ctx[OPTS_MANY];
};

/* One accepted connection: what its log line says, and the HTTP state. */
struct conn {
    struct conn *next;
    struct server *s;
    tlsplug_socket *sock;
    char peer[96], version[32], suite[128], sni[256], alpn[64], client[160], error[128];
    int secure, resumed;
    char req[HTTP_MAX_HEAD];
    size_t req_len;
    int responded; /* --www/--serve-dir: answered, ending */
    FILE *file;    /* --serve-dir: the body still being sent */
};

static const char SYNOPSIS[] =
    "Node's tls.createServer() echo server: each client gets \"welcome!\\n\",\n"
    "then everything it sends back (socket.pipe(socket)); or, with --www,\n"
    "--serve-dir or --http, an HTTPS server. Prints \"listening on ADDR:PORT\"\n"
    "on stdout once bound; each connection is logged on stderr as it closes.\n"
    "Without --cert/--key it makes a throwaway self-signed certificate.";

/* ---- one connection ------------------------------------------------------ */

static struct conn *find_conn(struct server *s, tlsplug_socket *sock)
{
    for (struct conn *c = s->conns; c; c = c->next)
        if (c->sock == sock)
            return c;
    return NULL;
}

static void get_text(int rc, char *buf, const char *none)
{
    if (rc != TLSPLUG_OK)
        strcpy(buf, none);
}

/* What the log line and the status page say, taken once it is secure. */
static void note_secure(struct conn *c)
{
    size_t len;
    int authorized = 0;
    c->secure = 1;
    get_text(tlsplug_socket_get_protocol(c->sock, c->version, sizeof c->version, &len), c->version, "?");
    get_text(tlsplug_socket_get_cipher(c->sock, TLSPLUG_CIPHER_NAME, c->suite, sizeof c->suite, &len),
             c->suite, "?");
    get_text(tlsplug_socket_get_servername(c->sock, c->sni, sizeof c->sni, &len), c->sni, "(none)");
    get_text(tlsplug_socket_get_alpn_protocol(c->sock, c->alpn, sizeof c->alpn, &len), c->alpn, "(none)");
    tlsplug_socket_is_session_reused(c->sock, &c->resumed);
    tlsplug_socket_authorized(c->sock, &authorized);
    if (!c->s->o->request_cert) {
        strcpy(c->client, "none");
    } else if (authorized) {
        strcpy(c->client, "authorized");
    } else {
        char why[128];
        if (tlsplug_socket_authorization_error(c->sock, why, sizeof why, &len) == TLSPLUG_OK)
            snprintf(c->client, sizeof c->client, "unauthorized:%s", why);
        else
            strcpy(c->client, "unauthorized");
    }
}

static void log_conn(struct conn *c)
{
    if (c->secure)
        fprintf(stderr, "connection peer=%s version=%s suite=%s sni=%s alpn=%s resumed=%s "
                        "client-cert=%s outcome=%s%s\n",
                c->peer, c->version, c->suite, c->sni, c->alpn, c->resumed ? "yes" : "no",
                c->client, *c->error ? "error:" : "ok", c->error);
    else
        fprintf(stderr, "connection peer=%s outcome=handshake-failed:%s\n", c->peer,
                *c->error ? c->error : "closed");
}

static void send_text(struct conn *c, const char *text, size_t len)
{
    tlsplug_socket_write(c->sock, (const uint8_t *)text, len);
}

static void respond(struct conn *c, int status, const char *type, const char *body, int head_only,
                    int keep_alive, const char *extra)
{
    char hdr[512];
    size_t blen = strlen(body);
    int n = snprintf(hdr, sizeof hdr,
                     "HTTP/1.1 %d %s\r\nServer: tlsplug\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "%sConnection: %s\r\n\r\n",
                     status, http_reason(status), type, blen, extra ? extra : "",
                     keep_alive ? "keep-alive" : "close");
    send_text(c, hdr, (size_t)n);
    if (!head_only)
        send_text(c, body, blen);
}

/* The error page of a status, and the end of the connection. */
static void fail_http(struct conn *c, int status, int head_only)
{
    char body[128];
    snprintf(body, sizeof body, "%d %s\n", status, http_reason(status));
    respond(c, status, "text/plain; charset=utf-8", body, head_only, 0,
            status == 405 ? "Allow: GET, HEAD\r\n" : NULL);
    c->responded = 1;
    tlsplug_socket_end(c->sock);
}

/* --www: s_server -www's page, the connection as the server sees it. */
static void status_page(struct conn *c, const struct http_req *r, int head_only)
{
    char body[4096], std[128] = "?";
    size_t len;
    tlsplug_socket_get_cipher(c->sock, TLSPLUG_CIPHER_STANDARD_NAME, std, sizeof std, &len);
    snprintf(body, sizeof body,
             "tlsplug server (%s)\n\nrequest: %s %s %s\npeer: %s\nprotocol: %s\ncipher: %s (%s)\n"
             "servername (SNI): %s\nalpn: %s\nsession: %s\nclient certificate: %s\n",
             tlsplug_version_string(), r->method, r->target, r->version, c->peer, c->version,
             c->suite, std, c->sni, c->alpn, c->resumed ? "resumed" : "new", c->client);
    respond(c, 200, "text/plain; charset=utf-8", body, head_only, 0, NULL);
    c->responded = 1;
    tlsplug_socket_end(c->sock);
}

/* --serve-dir: send the file's body, pausing at the high-water mark. */
static void pump_file(struct conn *c)
{
    char buf[65536];
    unsigned state = 0;
    while (c->file) {
        size_t n = fread(buf, 1, sizeof buf, c->file);
        if (n > 0 && tlsplug_socket_write(c->sock, (const uint8_t *)buf, n) != TLSPLUG_OK)
            n = 0; /* the socket is gone; its events say why */
        if (n < sizeof buf) {
            fclose(c->file);
            c->file = NULL;
            tlsplug_socket_end(c->sock);
            return;
        }
        if (tlsplug_socket_state(c->sock, &state) == TLSPLUG_OK && (state & TLSPLUG_STATE_NEED_DRAIN))
            return; /* go on at 'drain' */
    }
}

static void serve_file(struct conn *c, const struct http_req *r, int head_only)
{
    char path[PATH_MAX];
    int status = http_resolve(c->s->o->root, r->target, path, sizeof path);
    struct stat st;
    FILE *f = status ? NULL : fopen(path, "rb");
    if (!f || fstat(fileno(f), &st) != 0) {
        if (f)
            fclose(f);
        fail_http(c, status ? status : 404, head_only);
        return;
    }
    char hdr[512];
    int n = snprintf(hdr, sizeof hdr,
                     "HTTP/1.1 200 OK\r\nServer: tlsplug\r\nContent-Type: %s\r\nContent-Length: %lld\r\n"
                     "Connection: close\r\n\r\n",
                     http_mime(path), (long long)st.st_size);
    send_text(c, hdr, (size_t)n);
    c->responded = 1;
    if (head_only) {
        fclose(f);
        tlsplug_socket_end(c->sock);
        return;
    }
    c->file = f;
    pump_file(c);
}

/* The HTTP modes: requests from the buffered bytes, answered in order. */
static void on_http_data(struct conn *c, const uint8_t *data, size_t len)
{
    if (c->responded)
        return; /* answered and ending: the rest is not read */
    if (len > sizeof c->req - c->req_len) {
        fail_http(c, 400, 0); /* a request head larger than HTTP_MAX_HEAD */
        return;
    }
    memcpy(c->req + c->req_len, data, len);
    c->req_len += len;
    for (;;) {
        struct http_req r;
        long used = http_parse(c->req, c->req_len, &r);
        if (used == 0)
            return;
        if (used < 0) {
            fail_http(c, 400, 0);
            return;
        }
        memmove(c->req, c->req + used, c->req_len - (size_t)used);
        c->req_len -= (size_t)used;
        int head = strcmp(r.method, "HEAD") == 0;
        if (!head && strcmp(r.method, "GET") != 0) {
            fail_http(c, 405, 0);
            return;
        }
        switch (c->s->o->mode) {
        case MODE_WWW: status_page(c, &r, head); return;
        case MODE_SERVE_DIR: serve_file(c, &r, head); return;
        default: /* MODE_HTTP: one fixed reply per request */
            respond(c, 200, "text/plain; charset=utf-8", "ok\n", head, r.keep_alive, NULL);
            if (!r.keep_alive) {
                c->responded = 1;
                tlsplug_socket_end(c->sock);
                return;
            }
        }
    }
}

/* Echo: socket.pipe(socket), with the backpressure pipe() has: stop reading
 * while the echo waits above the high-water mark, go on at 'drain'. */
static void on_socket(uintptr_t ud, void *source, int event, void *subject, const uint8_t *data,
                      size_t len)
{
    (void)subject;
    struct conn *c = (struct conn *)ud;
    struct server *s = c->s;
    tlsplug_socket *sock = source;
    unsigned state = 0;
    char err[512];
    size_t n;
    switch (event) {
    case TLSPLUG_EV_DATA:
        if (s->o->mode != MODE_ECHO)
            on_http_data(c, data, len);
        else if (tlsplug_socket_write(sock, data, len) == TLSPLUG_OK &&
                 tlsplug_socket_state(sock, &state) == TLSPLUG_OK && (state & TLSPLUG_STATE_NEED_DRAIN))
            tlsplug_socket_pause(sock);
        break;
    case TLSPLUG_EV_DRAIN:
        if (c->file)
            pump_file(c);
        else
            tlsplug_socket_resume(sock);
        break;
    case TLSPLUG_EV_ERROR:
        /* Before the handshake completed this is Node's tlsClientError. */
        fprintf(stderr, "server connection error %s\n", tlsctx_error(sock, err, sizeof err));
        if (tlsplug_error_get(sock, TLSPLUG_ERROR_CODE, c->error, sizeof c->error, &n) != TLSPLUG_OK)
            strcpy(c->error, "error");
        break;
    case TLSPLUG_EV_CLOSE:
        if (len && data[0]) {
            s->failures++;
            if (!*c->error)
                strcpy(c->error, "closed-with-error");
        }
        log_conn(c);
        for (struct conn **p = &s->conns; *p; p = &(*p)->next)
            if (*p == c) {
                *p = c->next;
                break;
            }
        if (c->file)
            fclose(c->file);
        free(c); /* the loop frees the socket after this returns */
        break;
    default: break; /* END: we end too (allowHalfOpen false) */
    }
}

static void on_secure_connection(struct server *s, tlsplug_socket *sock)
{
    struct conn *c = find_conn(s, sock);
    if (c)
        note_secure(c);
    if (s->o->request_cert) { /* Node's example line, when it says something */
        int authorized = 0;
        tlsplug_socket_authorized(sock, &authorized);
        fprintf(stderr, "server connected %s\n", authorized ? "authorized" : "unauthorized");
    }
    if (s->o->mode == MODE_ECHO) {
        static const char welcome[] = "welcome!\n";
        tlsplug_socket_write(sock, (const uint8_t *)welcome, sizeof welcome - 1);
    }
}

/* ---- the server ---------------------------------------------------------- */

static void print_listening(struct server *s)
{
    char addr[256];
    size_t len;
    int port = 0, family = 0;
    if (tlsplug_server_address(s->srv, addr, sizeof addr, &len, &port, &family) != TLSPLUG_OK)
        snprintf(addr, sizeof addr, "?");
    if (family == 0)
        printf("listening on %s\n", addr);
    else
        printf(family == 6 ? "listening on [%s]:%d\n" : "listening on %s:%d\n", addr, port);
    fflush(stdout); /* a script is waiting for this line */
}

static void on_server(uintptr_t ud, void *source, int event, void *subject, const uint8_t *data,
                      size_t len)
{
    (void)source;
    struct server *s = (struct server *)ud;
    switch (event) {
    case TLSPLUG_EV_LISTENING: print_listening(s); break;
    case TLSPLUG_EV_CONNECTION: {
        struct conn *c = calloc(1, sizeof *c);
        if (!c) {
            tlsplug_socket_destroy(subject, "ENOMEM", "out of memory for the connection");
            break;
        }
        c->s = s, c->sock = subject, c->next = s->conns, s->conns = c;
        char addr[80];
        size_t alen;
        int port = 0, family = 0;
        if (tlsplug_socket_address(subject, TLSPLUG_ADDRESS_REMOTE, addr, sizeof addr, &alen, &port,
                                   &family) != TLSPLUG_OK)
            snprintf(c->peer, sizeof c->peer, "?");
        else if (family == 0)
            snprintf(c->peer, sizeof c->peer, "unix");
        else
            snprintf(c->peer, sizeof c->peer, family == 6 ? "[%s]:%d" : "%s:%d", addr, port);
        static const int events[] = {TLSPLUG_EV_DATA, TLSPLUG_EV_DRAIN, TLSPLUG_EV_ERROR,
                                     TLSPLUG_EV_CLOSE};
        for (size_t i = 0; i < sizeof events / sizeof *events; i++)
            tlsplug_socket_on(subject, events[i], on_socket, (uintptr_t)c);
        /* --once: take no other connection; the loop ends with this one. */
        if (s->o->once && !s->closing) {
            s->closing = 1;
            tlsplug_server_close(s->srv);
        }
        break;
    }
    case TLSPLUG_EV_SECURE_CONNECTION: on_secure_connection(s, subject); break;
    case TLSPLUG_EV_KEYLOG:
        if (s->keylog) {
            fwrite(data, 1, len, s->keylog);
            fflush(s->keylog);
        }
        break;
    case TLSPLUG_EV_OCSP_REQUEST: tlsplug_socket_ocsp_done(subject, s->ocsp, s->ocsp_len); break;
    default: break;
    }
}

/* ---- setup --------------------------------------------------------------- */

static int parse(int argc, char **argv, struct server_opts *o)
{
    const struct opt table[] = {
        {"--port|-accept|-port", "N", "TCP port (default 8000; 0 picks a free one)", &o->port, 0},
        {"--host", "ADDR", "address to listen on (default: all)", &o->host, 0},
        {"--path|-unix", "PATH", "listen on a Unix socket instead of TCP", &o->path, 0},
        {"--cert|-cert", "FILE", "PEM certificate chain, leaf first", &o->tls.cert, 0},
        {"--key|-key", "FILE", "PEM private key", &o->tls.key, 0},
        {"--passphrase|-pass", "SPEC", "the key's passphrase: TEXT, pass:TEXT, env:VAR or "
                                       "file:PATH", &o->tls.passphrase, 0},
        {"--sni", "NAME:CERT:KEY", "serve CERT/KEY to clients asking for NAME (addContext; "
                                   "'*' wildcards)", o->sni, 1},
        {"--ca|-CAfile", "FILE", "PEM certificates trusted for client certificates", &o->tls.ca, 0},
        {"--request-cert", NULL, "ask for a client certificate and refuse clients without a "
                                 "valid one (requestCert, rejectUnauthorized)", &o->request_cert, 0},
        {"-Verify", "DEPTH", "as --request-cert (openssl s_server)", &o->Verify, 0},
        {"-verify", "DEPTH", "ask for a client certificate, accept any (openssl s_server)",
         &o->verify, 0},
        {"--insecure", NULL, "with --request-cert, accept clients that fail verification",
         &o->insecure, 0},
        {"--alpn|-alpn", "LIST", "ALPN protocols in preference order, e.g. h2,http/1.1", &o->alpn, 0},
        {"--ciphers|-cipher|-ciphersuites", "LIST", "Node's ciphers string", &o->tls.ciphers, 0},
        {"--groups|-curves|-groups", "LIST", "key exchange groups, e.g. X25519:P-256",
         &o->tls.groups, 0},
        {"--sigalgs|-sigalgs", "LIST", "signature algorithms, e.g. rsa_pss_rsae_sha256:ECDSA+SHA256",
         &o->tls.sigalgs, 0},
        {"--dhparam|-dhparam", "FILE", "PEM DH parameters (enables the DHE suites)",
         &o->tls.dhparam, 0},
        {"--min-version", "V", "lowest TLS version (TLSv1.2, TLSv1.3)", &o->tls.min_version, 0},
        {"--max-version", "V", "highest TLS version", &o->tls.max_version, 0},
        {"--max-connections", "N", "refuse connections beyond N open ones", &o->max_conns, 0},
        {"--once", NULL, "serve one connection, then exit (1 if it failed)", &o->once, 0},
        {"--echo", NULL, "Node's echo server: welcome!, then the echo (the default)", &o->echo, 0},
        {"--www|-www", NULL, "answer each HTTP request with a status page of the connection",
         &o->www, 0},
        {"--serve-dir", "DIR", "serve the files under DIR (HTTP/1.1 GET and HEAD)", &o->serve_dir, 0},
        {"-WWW", NULL, "as --serve-dir . (openssl s_server)", &o->www_cwd, 0},
        {"--http", NULL, "answer every HTTP request with \"ok\" (for probes)", &o->http, 0},
        {"--handshake-timeout", "MS", "milliseconds a client has to complete the handshake "
                                      "(default 120000, 0: none)", &o->handshake_timeout, 0},
        {"--ticket-keys", "SOURCE", "the 48 bytes of session ticket keys (Node's format), from "
                                      "a file or Redis (redis://HOST[:PORT][/DB]#KEY)",
         &o->ticket_keys, 0},
        {"--session-store", "URL", "where TLS 1.2 sessions are kept: memory (the default), "
                                   "redis://HOST[:PORT][/DB] or redis+unix:///PATH",
         &o->session_store, 0},
        {"--session-timeout", "S", "seconds a session or ticket stays resumable (default 300)",
         &o->session_timeout, 0},
        {"--ocsp-response|-status_file", "FILE", "staple this DER OCSP response for clients "
                                                 "that ask", &o->ocsp_response, 0},
        {"--keylog|-keylogfile", "FILE", "append the session keys (SSLKEYLOGFILE format)",
         &o->keylog, 0},
        {"--cert-out", "FILE", "write the throwaway certificate here (for a client's --ca)",
         &o->cert_out, 0},
        {NULL, NULL, NULL, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->port = "8000";
    int rc = opts_parse("server", SYNOPSIS, table, argc, argv, 1);
    if (rc)
        return rc;
    if (!o->tls.key != !o->tls.cert) {
        fprintf(stderr, "tlsplug server: --key and --cert go together\n");
        return -1;
    }
    if (o->www_cwd && !o->serve_dir)
        o->serve_dir = ".";
    int modes = o->echo + o->www + o->http + (o->serve_dir != NULL);
    if (modes > 1) {
        fprintf(stderr, "tlsplug server: --echo, --www, --serve-dir and --http exclude each other\n");
        return -1;
    }
    o->mode = o->www ? MODE_WWW : o->http ? MODE_HTTP : o->serve_dir ? MODE_SERVE_DIR : MODE_ECHO;
    struct stat st;
    errno = 0;
    if (o->serve_dir && (!realpath(o->serve_dir, o->root) || stat(o->root, &st) != 0 ||
                         !S_ISDIR(st.st_mode))) {
        fprintf(stderr, "tlsplug server: --serve-dir %s: %s\n", o->serve_dir,
                errno ? strerror(errno) : "not a directory");
        return -1;
    }
    if (o->Verify)
        o->request_cert = 1;
    if (o->verify)
        o->request_cert = 1, o->insecure = 1;
    return 0;
}

/* The context, with the throwaway certificate when no files were given. */
static int make_context(const struct server_opts *o, tlsplug_context **ctx)
{
    char *key = NULL, *cert = NULL, err[256];
    if (!o->tls.cert) {
        if (selfsigned_make(&key, &cert, err, sizeof err) != 0) {
            fprintf(stderr, "tlsplug server: %s\n", err);
            return -1;
        }
        fprintf(stderr, "tlsplug server: no --cert/--key given: using a throwaway self-signed "
                        "certificate for localhost, 127.0.0.1, ::1\n");
        FILE *f = o->cert_out ? fopen(o->cert_out, "w") : NULL;
        if (o->cert_out && (!f || fputs(cert, f) < 0 || fclose(f) != 0)) {
            perror(o->cert_out);
            free(key), free(cert);
            return -1;
        }
    }
    int rc = tlsctx_build("server", &o->tls, key, cert, ctx);
    free(key), free(cert);
    return rc;
}

/* --sni NAME:CERT:KEY: a context for clients asking for NAME. */
static int add_sni(struct server *s, const struct server_opts *o, const char *spec, int i)
{
    char name[256], cert[PATH_MAX], key[PATH_MAX], err[512];
    const char *c1 = strchr(spec, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c1 || !c2 || c1 == spec || c2 == c1 + 1 || !c2[1] || (size_t)(c1 - spec) >= sizeof name) {
        fprintf(stderr, "tlsplug server: --sni wants NAME:CERT:KEY, not '%s'\n", spec);
        return OPTS_EXIT_USAGE;
    }
    snprintf(name, sizeof name, "%.*s", (int)(c1 - spec), spec);
    snprintf(cert, sizeof cert, "%.*s", (int)(c2 - c1 - 1), c1 + 1);
    snprintf(key, sizeof key, "%s", c2 + 1);
    struct tls_files f = o->tls;
    f.cert = cert, f.key = key, f.ca = o->tls.ca;
    if (tlsctx_build("server", &f, NULL, NULL, &s->sni_ctx[i]) != 0)
        return 1;
    if (tlsplug_server_add_context(s->srv, name, s->sni_ctx[i]) != TLSPLUG_OK) {
        fprintf(stderr, "tlsplug server: --sni %s: %s\n", spec, tlsctx_error(s->srv, err, sizeof err));
        return 1;
    }
    return 0;
}

/* A whole file that must exist; NULL after printing why. */
static uint8_t *read_file(const char *opt, const char *path, size_t *len)
{
    char *data = tlsctx_slurp(path, len);
    if (!data)
        fprintf(stderr, "tlsplug server: %s %s: %s\n", opt, path, strerror(errno));
    return (uint8_t *)data;
}

/* The server's options; 0, 1 (a file or the library refused: printed) or
 * 2 (usage). */
/* --session-store and --session-timeout: what a fleet of servers shares. */
static int session_options(struct server *s, const struct server_opts *o)
{
    long seconds = 0;
    char err[512];
    if (o->session_timeout &&
        opts_int("server", "--session-timeout", o->session_timeout, 1, 604800, &seconds))
        return OPTS_EXIT_USAGE;
    if (seconds)
        tlsplug_server_set_session_timeout(s->srv, (unsigned)seconds);
    if (o->session_store && tlsplug_server_use_session_store(s->srv, o->session_store)) {
        fprintf(stderr, "tlsplug server: --session-store: %s\n", tlsctx_error(s->srv, err, sizeof err));
        return 1;
    }
    return 0;
}

static int configure(struct server *s, const struct server_opts *o)
{
    uint8_t alpn[512];
    long max = -1, ms = -1;
    int n = 0, rc;
    char err[512];
    if (o->alpn && (n = tlsctx_alpn("server", o->alpn, alpn, sizeof alpn)) < 0)
        return OPTS_EXIT_USAGE;
    if ((o->max_conns && opts_int("server", "--max-connections", o->max_conns, 0, 1000000, &max)) ||
        (o->handshake_timeout &&
         opts_int("server", "--handshake-timeout", o->handshake_timeout, 0, 86400000, &ms)))
        return OPTS_EXIT_USAGE;
    tlsplug_server_set_request_cert(s->srv, o->request_cert);
    tlsplug_server_set_reject_unauthorized(s->srv, !o->insecure);
    tlsplug_server_set_max_connections(s->srv, (int)max);
    if (ms >= 0)
        tlsplug_server_set_handshake_timeout(s->srv, (size_t)ms);
    if (n > 0)
        tlsplug_server_set_alpn_protocols(s->srv, alpn, (size_t)n);
    for (int i = 0; o->sni[i]; i++)
        if ((rc = add_sni(s, o, o->sni[i], i)) != 0)
            return rc;
    /* A file or a Redis key: the library reads either. */
    if (o->ticket_keys && tlsplug_server_load_ticket_keys(s->srv, o->ticket_keys) != TLSPLUG_OK) {
        fprintf(stderr, "tlsplug server: --ticket-keys: %s\n", tlsctx_error(s->srv, err, sizeof err));
        return 1;
    }
    if ((rc = session_options(s, o)) != 0)
        return rc;
    if (o->ocsp_response) {
        if (!(s->ocsp = read_file("--ocsp-response", o->ocsp_response, &s->ocsp_len)))
            return 1;
        tlsplug_server_set_ocsp(s->srv, 1);
    }
    if (o->keylog) {
        int fd = open(o->keylog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd < 0 || !(s->keylog = fdopen(fd, "a"))) {
            fprintf(stderr, "tlsplug server: --keylog %s: %s\n", o->keylog, strerror(errno));
            if (fd >= 0)
                close(fd);
            return 1;
        }
        tlsplug_server_set_keylog(s->srv, 1);
    }
    static const int events[] = {TLSPLUG_EV_LISTENING, TLSPLUG_EV_CONNECTION,
                                 TLSPLUG_EV_SECURE_CONNECTION, TLSPLUG_EV_KEYLOG,
                                 TLSPLUG_EV_OCSP_REQUEST};
    for (size_t i = 0; i < sizeof events / sizeof *events; i++)
        if (tlsplug_server_on(s->srv, events[i], on_server, (uintptr_t)s) != TLSPLUG_OK) {
            fprintf(stderr, "tlsplug server: %s\n", tlsctx_error(s->srv, err, sizeof err));
            return 1;
        }
    return 0;
}

static int listen_and_serve(struct server *s, tlsplug_loop *loop, const struct server_opts *o)
{
    long port = 0;
    char err[512];
    if (!o->path && opts_int("server", "--port", o->port, 0, 65535, &port))
        return 2;
    int rc = o->path ? tlsplug_loop_listen_path(loop, s->srv, o->path, 0)
                     : tlsplug_loop_listen(loop, s->srv, o->host, (int)port, 0);
    if (rc != TLSPLUG_OK) {
        /* Node's message names the call and the code already ("listen
         * EADDRINUSE: address already in use 127.0.0.1:8000"): say it once. */
        char msg[400];
        size_t len;
        if (tlsplug_error_get(s->srv, TLSPLUG_ERROR_MESSAGE, msg, sizeof msg, &len) == TLSPLUG_OK &&
            strncmp(msg, "listen ", 7) == 0)
            fprintf(stderr, "tlsplug server: %s\n", msg);
        else
            fprintf(stderr, "tlsplug server: listen: %s\n", tlsctx_error(s->srv, err, sizeof err));
        return 1;
    }
    struct embed e = {.loop = loop};
    if (embed_signals() != 0 || embed_run(&e) != TLSPLUG_OK) {
        fprintf(stderr, "tlsplug server: the loop failed: %s\n", tlsctx_error(loop, err, sizeof err));
        return 1;
    }
    if (e.signalled)
        fprintf(stderr, "tlsplug server: stopped by signal %d\n", e.signalled);
    return s->failures && o->once ? 1 : 0;
}

int cmd_server(int argc, char **argv)
{
    struct server_opts o;
    int rc = parse(argc, argv, &o);
    if (rc)
        return rc > 0 ? 0 : OPTS_EXIT_USAGE;
    tlsplug_context *ctx = NULL;
    if (make_context(&o, &ctx) != 0)
        return 1;
    struct server s = {.o = &o};
    tlsplug_loop *loop = NULL;
    char err[512];
    int status = 1;
    if (tlsplug_server_new(ctx, &s.srv) != TLSPLUG_OK)
        fprintf(stderr, "tlsplug server: %s\n", tlsctx_error(ctx, err, sizeof err));
    else if ((status = configure(&s, &o)) != 0)
        ;
    else if (tlsplug_loop_new(&loop) != TLSPLUG_OK)
        fprintf(stderr, "tlsplug server: cannot create the loop\n");
    else
        status = listen_and_serve(&s, loop, &o);
    /* The loop first: it stops the server and frees accepted sockets. */
    tlsplug_loop_free(loop);
    tlsplug_server_free(s.srv);
    tlsplug_context_free(ctx);
    for (int i = 0; i < OPTS_MANY; i++)
        tlsplug_context_free(s.sni_ctx[i]);
    if (s.keylog)
        fclose(s.keylog);
    free(s.ocsp);
    return status;
}
