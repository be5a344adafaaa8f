/* `tlsplug client`: Node's documented echo client (tls.connect):
 *
 *   const socket = tls.connect(8000, options, () => {
 *     console.log('client connected',
 *                 socket.authorized ? 'authorized' : 'unauthorized');
 *     process.stdin.pipe(socket);
 *     process.stdin.resume();
 *   });
 *   socket.on('data', (data) => { console.log(data); });
 *   socket.on('end', () => { console.log('server ends connection'); });
 *
 * So that scripts can use it, the bytes received go to stdout exactly as
 * they came and the status lines go to stderr: who the peer is (its chain)
 * and what was negotiated (report.c), unless --brief. With --json the whole
 * report is one JSON object on stdout and the connection ends at once (a
 * probe). stdin's end ends the connection (pipe() calls end()). Exit status:
 * 0 after a clean close, 3 when the server failed verification, 4 when the
 * network failed (refused, reset, unresolved, timed out), 1 for any other
 * error ("client error CODE: message"), 2 for bad usage. stdin is polled
 * beside the loop's backend fd: the embedding recipe (embed.c). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "embed.h"
#include "opts.h"
#include "report.h"
#include "session_file.h"
#include "tlsctx.h"

struct client_opts {
    struct tls_files tls;
    const char *host, *port, *connect, *path, *servername, *alpn, *timeout;
    const char *keylog, *verify_hostname, *sess_in, *sess_out, *sess_key;
    int insecure, json, brief, showcerts, trace, ocsp, noservername;
};

/* Exit statuses (documented in tlsplug-client(1)). */
enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_VERIFY = 3, EXIT_NETWORK = 4 };

struct client {
    tlsplug_socket *sock;
    tlsplug_loop *loop;
    size_t timer;   /* the --timeout timer, 0 when none is pending */
    int piping;     /* secureConnect happened: stdin flows into the socket */
    int stdin_open; /* stdin has not ended */
    int draining;   /* above the high-water mark: wait for 'drain' */
    int closed, had_error;
    int failure;    /* EXIT_VERIFY / EXIT_NETWORK / EXIT_FAILED after an error */
    const struct client_opts *o;
    FILE *keylog;
    uint8_t *ocsp;  /* the stapled OCSP response, when one came */
    size_t ocsp_len;
};

static const char SYNOPSIS[] =
    "Node's tls.connect() echo client: stdin goes to the server (its end ends\n"
    "the connection), what the server sends goes to stdout; the peer's chain\n"
    "and the negotiated parameters go to stderr (--json: one object on stdout,\n"
    "then the connection ends). Exit 0 after a clean close, 1 after an error,\n"
    "2 for bad usage, 3 when the server failed verification, 4 when the\n"
    "network failed (refused, reset, unresolved, timed out).";

/* ---- output -------------------------------------------------------------- */

/* All of it to stdout; an inherited non-blocking stdout is waited on. */
static int write_stdout(const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(STDOUT_FILENO, p, n);
        if (w > 0) {
            p += w, n -= (size_t)w;
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd pfd = {.fd = STDOUT_FILENO, .events = POLLOUT};
            (void)poll(&pfd, 1, 1000);
        } else if (!(w < 0 && errno == EINTR)) {
            return -1;
        }
    }
    return 0;
}

static void report_secure(struct client *c)
{
    struct report_opts r = {.json = c->o->json, .brief = c->o->brief, .showcerts = c->o->showcerts,
                            .ocsp_requested = c->o->ocsp, .ocsp = c->ocsp, .ocsp_len = c->ocsp_len,
                            .no_sni = c->o->noservername};
    if (r.json)
        report_json(stdout, c->sock, &r);
    else
        report_text(stderr, c->sock, &r);
}

/* Which exit status an error code means: a certificate that failed
 * verification (the socket has an authorizationError, or the name did not
 * match), the network (Node's errno codes: ECONNREFUSED, ENOTFOUND,
 * ETIMEDOUT...), or anything else (TLS alerts, ERR_SSL_...). */
static int classify(tlsplug_socket *sock, const char *code)
{
    char buf[128];
    size_t len;
    if (strcmp(code, "ERR_TLS_CERT_ALTNAME_INVALID") == 0 ||
        tlsplug_socket_authorization_error(sock, buf, sizeof buf, &len) == TLSPLUG_OK)
        return EXIT_VERIFY;
    if (code[0] == 'E' && strncmp(code, "ERR_", 4) != 0 && strcmp(code, "EPIPE") != 0)
        return EXIT_NETWORK;
    return EXIT_FAILED;
}

static const char *kind_name(int failure)
{
    return failure == EXIT_VERIFY ? "verification" : failure == EXIT_NETWORK ? "network" : "tls";
}

static void report_error(struct client *c, void *handle)
{
    char err[512], code[96] = "", msg[400] = "";
    size_t len;
    tlsplug_error_get(handle, TLSPLUG_ERROR_CODE, code, sizeof code, &len);
    tlsplug_error_get(handle, TLSPLUG_ERROR_MESSAGE, msg, sizeof msg, &len);
    if (!c->failure)
        c->failure = classify(c->sock, code);
    fprintf(stderr, "client error %s\n", tlsctx_error(handle, err, sizeof err));
    if (c->o->json)
        report_json_error(stdout, code, msg, kind_name(c->failure));
}

/* --verify-hostname: Node's check, against the name given rather than the
 * servername. */
static void check_identity(struct client *c)
{
    size_t len = 0;
    uint8_t *der = malloc(65536);
    char reason[512] = "";
    int rc = der ? tlsplug_socket_peer_cert_field(c->sock, 0, TLSPLUG_CERT_RAW, der, 65536, &len)
                 : TLSPLUG_E_NOMEM;
    if (rc == TLSPLUG_OK)
        rc = tlsplug_check_server_identity(c->o->verify_hostname, der, len, reason, sizeof reason,
                                           &len);
    free(der);
    if (rc == TLSPLUG_OK)
        tlsplug_socket_check_server_identity_done(c->sock, NULL, NULL);
    else
        tlsplug_socket_check_server_identity_done(c->sock, "ERR_TLS_CERT_ALTNAME_INVALID",
                                                  *reason ? reason : "the certificate was not readable");
}

/* ---- events -------------------------------------------------------------- */

static void on_event(uintptr_t ud, void *source, int event, void *subject, const uint8_t *data,
                     size_t len)
{
    (void)subject;
    struct client *c = (struct client *)ud;
    switch (event) {
    case TLSPLUG_EV_SECURE_CONNECT:
        report_secure(c);
        if (c->o->json) /* a probe: the report is all it is for */
            tlsplug_socket_end(c->sock);
        else
            c->piping = 1; /* process.stdin.pipe(socket) */
        break;
    case TLSPLUG_EV_CHECK_SERVER_IDENTITY: check_identity(c); break;
    case TLSPLUG_EV_OCSP_RESPONSE:
        /* No payload: asked for, nothing stapled (Node's null). */
        free(c->ocsp);
        c->ocsp = NULL;
        c->ocsp_len = 0;
        if (len && (c->ocsp = malloc(len)) != NULL) {
            memcpy(c->ocsp, data, len);
            c->ocsp_len = len;
        }
        break;
    case TLSPLUG_EV_KEYLOG:
        if (c->keylog) {
            fwrite(data, 1, len, c->keylog);
            fflush(c->keylog);
        }
        break;
    case TLSPLUG_EV_SESSION: /* TLS 1.3: one per ticket; the latest wins */
        if (c->o->sess_out && session_out(c->o->sess_out, data, len) != 0)
            c->failure = EXIT_FAILED;
        break;
    case TLSPLUG_EV_TRACE: fprintf(stderr, "%.*s\n", (int)len, (const char *)data); break;
    case TLSPLUG_EV_DATA:
        if (c->o->json)
            break; /* stdout holds the JSON alone */
        if (write_stdout(data, len) != 0)
            tlsplug_socket_destroy(c->sock, "EPIPE", "cannot write to stdout");
        break;
    case TLSPLUG_EV_DRAIN: c->draining = 0; break;
    case TLSPLUG_EV_END: fprintf(stderr, "server ends connection\n"); break;
    case TLSPLUG_EV_ERROR:
        c->had_error = 1;
        report_error(c, source);
        break;
    case TLSPLUG_EV_CLOSE:
        c->closed = 1;
        c->had_error |= len && data[0];
        tlsplug_loop_clear_timer(c->loop, c->timer); /* else it keeps the loop alive */
        c->timer = 0;
        break;
    default: break;
    }
}

static void on_timeout(uintptr_t ud, void *source, int event, void *subject, const uint8_t *data,
                       size_t len)
{
    (void)source, (void)event, (void)subject, (void)data, (void)len;
    struct client *c = (struct client *)ud;
    c->timer = 0;
    tlsplug_socket_destroy(c->sock, "ETIMEDOUT", "the connection did not close within --timeout");
}

/* ---- stdin: polled beside the loop --------------------------------------- */

static void stdin_prepare(void *arg, struct pollfd *extra)
{
    struct client *c = arg;
    if (c->piping && c->stdin_open && !c->draining && !c->closed)
        *extra = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
}

static void stdin_ready(void *arg, short revents)
{
    (void)revents;
    struct client *c = arg;
    uint8_t buf[65536];
    ssize_t r = read(STDIN_FILENO, buf, sizeof buf);
    unsigned state = 0;
    if (r > 0) {
        if (tlsplug_socket_write(c->sock, buf, (size_t)r) != TLSPLUG_OK)
            c->stdin_open = 0; /* the socket is gone; its events say why */
        else if (tlsplug_socket_state(c->sock, &state) == TLSPLUG_OK &&
                 (state & TLSPLUG_STATE_NEED_DRAIN))
            c->draining = 1; /* write() answered false: wait for 'drain' */
        return;
    }
    if (r < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (r < 0)
        fprintf(stderr, "tlsplug client: reading stdin: %s; ending the connection\n", strerror(errno));
    c->stdin_open = 0;
    tlsplug_socket_end(c->sock); /* stdin.pipe(socket) ends the socket with stdin */
}

/* ---- setup --------------------------------------------------------------- */

static int parse(int argc, char **argv, struct client_opts *o)
{
    const struct opt table[] = {
        {"--host", "HOST", "server name or address (default localhost)", &o->host, 0},
        {"--port|-port", "N", "server port (default 8000)", &o->port, 0},
        {"--connect|-connect", "HOST:PORT", "both at once, as openssl s_client", &o->connect, 0},
        {"--path|-unix", "PATH", "connect to a Unix socket instead of TCP", &o->path, 0},
        {"--servername|--sni|-servername", "NAME", "SNI and the name checked (default: the "
                                                   "host, when a name)", &o->servername, 0},
        {"--no-servername|-noservername", NULL, "send no SNI (the name is still checked)",
         &o->noservername, 0},
        {"--verify-hostname|-verify_hostname", "NAME", "check the certificate against NAME "
                                                       "instead of the servername", &o->verify_hostname, 0},
        {"--ca|-CAfile", "FILE", "PEM certificates to trust instead of the system's", &o->tls.ca, 0},
        {"--cert|-cert", "FILE", "PEM client certificate chain, leaf first", &o->tls.cert, 0},
        {"--key|-key", "FILE", "PEM private key of the client certificate", &o->tls.key, 0},
        {"--passphrase|-pass", "SPEC", "the key's passphrase: TEXT, pass:TEXT, env:VAR or "
                                       "file:PATH", &o->tls.passphrase, 0},
        {"--ciphers|-cipher|-ciphersuites", "LIST", "Node's ciphers string (TLS 1.2 names, TLS 1.3 "
                                                     "TLS_ names, ':'-separated)", &o->tls.ciphers, 0},
        {"--groups|-curves|-groups", "LIST", "key exchange groups, e.g. X25519:P-256",
         &o->tls.groups, 0},
        {"--sigalgs|-sigalgs", "LIST", "signature algorithms, e.g. rsa_pss_rsae_sha256:ECDSA+SHA256",
         &o->tls.sigalgs, 0},
        {"--alpn|-alpn", "LIST", "ALPN protocols in preference order, e.g. h2,http/1.1", &o->alpn, 0},
        {"--insecure|-k", NULL, "go on when the server fails verification "
                                "(rejectUnauthorized: false)", &o->insecure, 0},
        {"--min-version", "V", "lowest TLS version (TLSv1.2, TLSv1.3)", &o->tls.min_version, 0},
        {"--max-version", "V", "highest TLS version", &o->tls.max_version, 0},
        {"--timeout", "SECONDS", "give up (ETIMEDOUT) if not closed by then", &o->timeout, 0},
        {"--json", NULL, "the report as one JSON object on stdout, then end the connection",
         &o->json, 0},
        {"--brief|-brief", NULL, "only the status, protocol, cipher and ALPN lines", &o->brief, 0},
        {"--showcerts|-showcerts", NULL, "print each certificate of the chain in PEM",
         &o->showcerts, 0},
        {"--ocsp|-status", NULL, "ask for a stapled OCSP response and show its status", &o->ocsp, 0},
        {"--keylog|-keylogfile", "FILE", "append the session keys (SSLKEYLOGFILE format)",
         &o->keylog, 0},
        {"--sess-out|-sess_out", "FILE", "save the session to FILE, to resume with --sess-in",
         &o->sess_out, 0},
        {"--sess-in|-sess_in", "FILE", "resume the session saved in FILE", &o->sess_in, 0},
        {"--sess-key", "FILE", "the 32-byte key sealing saved sessions (default: "
                               "$XDG_STATE_HOME/tlsplug/session-key, made on first use)",
         &o->sess_key, 0},
        {"--trace|-msg", NULL, "show each handshake message as it passes (\"Sent ClientHello, "
                               "Length=...\") on stderr", &o->trace, 0},
        {NULL, NULL, NULL, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    int rc = opts_parse("client", SYNOPSIS, table, argc, argv, 1);
    if (rc)
        return rc;
    if (o->connect) { /* HOST:PORT, [V6]:PORT */
        static char host[256];
        const char *colon = strrchr(o->connect, ':');
        size_t n = colon ? (size_t)(colon - o->connect) : 0;
        if (!colon || n == 0 || n >= sizeof host || !colon[1]) {
            fprintf(stderr, "tlsplug client: --connect wants HOST:PORT, not '%s'\n", o->connect);
            return -1;
        }
        int bracket = o->connect[0] == '[' && n > 2 && o->connect[n - 1] == ']';
        snprintf(host, sizeof host, "%.*s", (int)(n - 2 * bracket), o->connect + bracket);
        o->host = host, o->port = colon + 1;
    }
    if (!o->tls.key != !o->tls.cert) {
        fprintf(stderr, "tlsplug client: --key and --cert go together\n");
        return -1;
    }
    if (o->noservername && o->servername) {
        fprintf(stderr, "tlsplug client: --servername and --no-servername contradict each other\n");
        return -1;
    }
    return 0;
}

/* Socket options and the connect; 0, 1 (failed: printed) or 2 (usage). */
static int start(struct client *c, const struct client_opts *o)
{
    uint8_t alpn[512];
    long port = 8000, secs = 0;
    int n = 0;
    char err[512];
    if ((o->alpn && (n = tlsctx_alpn("client", o->alpn, alpn, sizeof alpn)) < 0) ||
        (o->port && opts_int("client", "--port", o->port, 1, 65535, &port)) ||
        (o->timeout && opts_int("client", "--timeout", o->timeout, 1, 86400, &secs)))
        return OPTS_EXIT_USAGE;
    tlsplug_socket_set_reject_unauthorized(c->sock, !o->insecure);
    /* The loop defaults the servername to the host, as Node's tls.connect()
     * (SNI is sent for names only). --no-servername: the ABI has no "no
     * SNI" switch, but an address literal as servername is never sent, so
     * one stands in, and the host name is checked by hand (check_identity). */
    const char *host = o->host ? o->host : "localhost";
    const char *sni = o->noservername ? "0.0.0.0" : o->servername;
    if (sni && tlsplug_socket_set_servername(c->sock, sni) != TLSPLUG_OK) {
        fprintf(stderr, "tlsplug client: --servername %s: %s\n", sni, tlsctx_error(c->sock, err, sizeof err));
        return OPTS_EXIT_USAGE;
    }
    if (o->noservername && !o->verify_hostname) {
        static struct client_opts copy;
        copy = *o;
        copy.verify_hostname = host;
        c->o = o = &copy;
    }
    if (o->verify_hostname)
        tlsplug_socket_set_check_server_identity(c->sock, 1);
    if (o->ocsp)
        tlsplug_socket_set_request_ocsp(c->sock, 1);
    if (o->keylog) {
        int fd = open(o->keylog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd < 0 || !(c->keylog = fdopen(fd, "a"))) {
            fprintf(stderr, "tlsplug client: --keylog %s: %s\n", o->keylog, strerror(errno));
            if (fd >= 0)
                close(fd);
            return EXIT_FAILED;
        }
        tlsplug_socket_set_keylog(c->sock, 1);
    }
    if (n > 0)
        tlsplug_socket_set_alpn_protocols(c->sock, alpn, (size_t)n);
    if (o->trace)
        tlsplug_socket_enable_trace(c->sock);
    if (o->sess_in && session_in(c->sock, o->sess_in) != 0)
        return EXIT_FAILED;
    static const int events[] = {TLSPLUG_EV_SECURE_CONNECT, TLSPLUG_EV_DATA, TLSPLUG_EV_DRAIN,
                                 TLSPLUG_EV_END, TLSPLUG_EV_ERROR, TLSPLUG_EV_CLOSE,
                                 TLSPLUG_EV_CHECK_SERVER_IDENTITY, TLSPLUG_EV_OCSP_RESPONSE,
                                 TLSPLUG_EV_KEYLOG, TLSPLUG_EV_SESSION, TLSPLUG_EV_TRACE};
    for (size_t i = 0; i < sizeof events / sizeof *events; i++)
        tlsplug_socket_on(c->sock, events[i], on_event, (uintptr_t)c);
    if (secs > 0 && tlsplug_loop_set_timer(c->loop, (size_t)secs * 1000, 0, on_timeout,
                                           (uintptr_t)c, &c->timer) != TLSPLUG_OK)
        return 1;
    int rc = o->path ? tlsplug_loop_connect_path(c->loop, c->sock, o->path)
                     : tlsplug_loop_connect(c->loop, c->sock, host, (int)port);
    if (rc != TLSPLUG_OK) {
        report_error(c, c->sock);
        return c->failure ? c->failure : EXIT_FAILED;
    }
    return 0;
}

int cmd_client(int argc, char **argv)
{
    struct client_opts o;
    int rc = parse(argc, argv, &o);
    if (rc)
        return rc > 0 ? 0 : OPTS_EXIT_USAGE;
    tlsplug_context *ctx = NULL;
    if (tlsctx_build("client", &o.tls, NULL, NULL, &ctx) != 0)
        return 1;
    if ((o.sess_in || o.sess_out) && session_key_use(ctx, o.sess_key) != 0) {
        tlsplug_context_free(ctx);
        return 1;
    }
    struct client c = {.stdin_open = 1, .o = &o};
    char err[512];
    int status = 1;
    if (tlsplug_socket_new(ctx, TLSPLUG_ROLE_CLIENT, &c.sock) != TLSPLUG_OK)
        fprintf(stderr, "client error %s\n", tlsctx_error(ctx, err, sizeof err));
    else if (tlsplug_loop_new(&c.loop) != TLSPLUG_OK)
        fprintf(stderr, "tlsplug client: cannot create the loop\n");
    else if ((status = start(&c, &o)) == 0) {
        struct embed e = {.loop = c.loop, .prepare = stdin_prepare, .ready = stdin_ready, .arg = &c};
        if (embed_signals() != 0 || embed_run(&e) != TLSPLUG_OK)
            fprintf(stderr, "tlsplug client: the loop failed: %s\n",
                    tlsctx_error(c.loop, err, sizeof err));
        if (e.signalled)
            fprintf(stderr, "tlsplug client: stopped by signal %d\n", e.signalled);
        status = c.had_error || !c.closed || c.failure ? (c.failure ? c.failure : EXIT_FAILED)
                                                       : EXIT_OK;
    }
    if (c.keylog)
        fclose(c.keylog);
    free(c.ocsp);
    tlsplug_socket_free(c.sock); /* closes it if still open */
    tlsplug_loop_free(c.loop);
    tlsplug_context_free(ctx);
    return status;
}
