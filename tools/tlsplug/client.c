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
 * they came and the status lines go to stderr. stdin's end ends the
 * connection (pipe() calls end()); the exit status is 0 once the connection
 * closed cleanly, 1 after an error ("client error CODE: message"). stdin is
 * polled beside the loop's backend fd: the embedding recipe (embed.c). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "embed.h"
#include "opts.h"
#include "tlsctx.h"

struct client_opts {
    struct tls_files tls;
    const char *host, *port, *connect, *path, *servername, *alpn, *timeout;
    int insecure;
};

struct client {
    tlsplug_socket *sock;
    tlsplug_loop *loop;
    size_t timer;   /* the --timeout timer, 0 when none is pending */
    int piping;     /* secureConnect happened: stdin flows into the socket */
    int stdin_open; /* stdin has not ended */
    int draining;   /* above the high-water mark: wait for 'drain' */
    int closed, had_error;
};

static const char SYNOPSIS[] =
    "Node's tls.connect() echo client: stdin goes to the server (its end ends\n"
    "the connection), what the server sends goes to stdout; status lines go\n"
    "to stderr. Exit 0 after a clean close, 1 after an error, 2 for bad usage.";

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
    char buf[128];
    size_t len;
    int authorized = 0;
    tlsplug_socket_authorized(c->sock, &authorized);
    if (authorized)
        fprintf(stderr, "client connected authorized\n");
    else if (tlsplug_socket_authorization_error(c->sock, buf, sizeof buf, &len) == TLSPLUG_OK)
        fprintf(stderr, "client connected unauthorized: %s\n", buf);
    else
        fprintf(stderr, "client connected unauthorized\n");
    if (tlsplug_socket_get_protocol(c->sock, buf, sizeof buf, &len) == TLSPLUG_OK)
        fprintf(stderr, "protocol: %s\n", buf);
    if (tlsplug_socket_get_cipher(c->sock, TLSPLUG_CIPHER_NAME, buf, sizeof buf, &len) == TLSPLUG_OK)
        fprintf(stderr, "cipher: %s\n", buf);
    if (tlsplug_socket_get_alpn_protocol(c->sock, buf, sizeof buf, &len) != TLSPLUG_OK)
        snprintf(buf, sizeof buf, "false"); /* Node's alpnProtocol when none */
    fprintf(stderr, "alpn: %s\n", buf);
}

/* ---- events -------------------------------------------------------------- */

static void on_event(uintptr_t ud, void *source, int event, void *subject, const uint8_t *data,
                     size_t len)
{
    (void)subject;
    struct client *c = (struct client *)ud;
    char err[512];
    switch (event) {
    case TLSPLUG_EV_SECURE_CONNECT:
        report_secure(c);
        c->piping = 1; /* process.stdin.pipe(socket) */
        break;
    case TLSPLUG_EV_DATA:
        if (write_stdout(data, len) != 0)
            tlsplug_socket_destroy(c->sock, "EPIPE", "cannot write to stdout");
        break;
    case TLSPLUG_EV_DRAIN: c->draining = 0; break;
    case TLSPLUG_EV_END: fprintf(stderr, "server ends connection\n"); break;
    case TLSPLUG_EV_ERROR:
        c->had_error = 1;
        fprintf(stderr, "client error %s\n", tlsctx_error(source, err, sizeof err));
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
        {"--host", "HOST", "server name or address (default localhost)", &o->host},
        {"--port|-port", "N", "server port (default 8000)", &o->port},
        {"--connect|-connect", "HOST:PORT", "both at once, as openssl s_client", &o->connect},
        {"--path|-unix", "PATH", "connect to a Unix socket instead of TCP", &o->path},
        {"--servername|-servername", "NAME", "SNI and the name checked (default: the host, "
                                             "when a name)", &o->servername},
        {"--ca|-CAfile", "FILE", "PEM certificates to trust instead of the system's", &o->tls.ca},
        {"--cert|-cert", "FILE", "PEM client certificate chain, leaf first", &o->tls.cert},
        {"--key|-key", "FILE", "PEM private key of the client certificate", &o->tls.key},
        {"--alpn|-alpn", "LIST", "ALPN protocols in preference order, e.g. h2,http/1.1", &o->alpn},
        {"--insecure|-k", NULL, "go on when the server fails verification "
                                "(rejectUnauthorized: false)", &o->insecure},
        {"--min-version", "V", "lowest TLS version (TLSv1.2, TLSv1.3)", &o->tls.min_version},
        {"--max-version", "V", "highest TLS version", &o->tls.max_version},
        {"--timeout", "SECONDS", "give up (ETIMEDOUT) if not closed by then", &o->timeout},
        {NULL, NULL, NULL, NULL},
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
    if (o->servername)
        tlsplug_socket_set_servername(c->sock, o->servername);
    if (n > 0)
        tlsplug_socket_set_alpn_protocols(c->sock, alpn, (size_t)n);
    static const int events[] = {TLSPLUG_EV_SECURE_CONNECT, TLSPLUG_EV_DATA, TLSPLUG_EV_DRAIN,
                                 TLSPLUG_EV_END, TLSPLUG_EV_ERROR, TLSPLUG_EV_CLOSE};
    for (size_t i = 0; i < sizeof events / sizeof *events; i++)
        tlsplug_socket_on(c->sock, events[i], on_event, (uintptr_t)c);
    if (secs > 0 && tlsplug_loop_set_timer(c->loop, (size_t)secs * 1000, 0, on_timeout,
                                           (uintptr_t)c, &c->timer) != TLSPLUG_OK)
        return 1;
    int rc = o->path ? tlsplug_loop_connect_path(c->loop, c->sock, o->path)
                     : tlsplug_loop_connect(c->loop, c->sock, o->host ? o->host : "localhost",
                                            (int)port);
    if (rc != TLSPLUG_OK) {
        fprintf(stderr, "client error %s\n", tlsctx_error(c->sock, err, sizeof err));
        return 1;
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
    struct client c = {.stdin_open = 1};
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
        status = c.had_error || !c.closed ? 1 : 0;
    }
    tlsplug_socket_free(c.sock); /* closes it if still open */
    tlsplug_loop_free(c.loop);
    tlsplug_context_free(ctx);
    return status;
}
