/* echo_server: Node's tls.createServer() echo example, in C on tlsplug's
 * loop (which listens, accepts and drives every connection):
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
 * It prints "listening on ADDR:PORT" (the address a test needs) instead of
 * 'server bound'. With Node's default allowHalfOpen false, a connection
 * ends when its client ends. SIGINT/SIGTERM stop it cleanly.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"
#include "tlsplug.h"

struct server_opts {
    struct cli_tls_options tls;
    const char *host, *port;
    int request_cert, insecure, once, timeout_ms;
};

struct server {
    tlsplug_server *srv;
    const struct server_opts *o;
    int failed; /* a connection ended in an error */
};

/* ---- each connection: socket.pipe(socket) -------------------------------- */

static void on_socket(uintptr_t ud, void *source, int event, void *subject, const uint8_t *data,
                      size_t len)
{
    (void)subject;
    struct server *s = (struct server *)ud;
    tlsplug_socket *sock = source;
    unsigned state = 0;
    char err[512];
    switch (event) {
    case TLSPLUG_EV_DATA: /* echo; pipe() pauses while the echo is backed up */
        tlsplug_socket_write(sock, data, len);
        if (tlsplug_socket_state(sock, &state) == TLSPLUG_OK && (state & TLSPLUG_STATE_NEED_DRAIN))
            tlsplug_socket_pause(sock);
        break;
    case TLSPLUG_EV_DRAIN: tlsplug_socket_resume(sock); break;
    case TLSPLUG_EV_TIMEOUT: /* --timeout: idle that long */
        tlsplug_socket_destroy(sock, "ETIMEDOUT", "the connection was idle too long");
        break;
    case TLSPLUG_EV_ERROR:
        fprintf(stderr, "server connection error %s\n", cli_error_text(sock, err, sizeof err));
        break;
    case TLSPLUG_EV_CLOSE: s->failed |= len && data[0]; break;
    default: break;
    }
}

/* ---- the server: 'connection' and 'secureConnection' --------------------- */

static void on_server(uintptr_t ud, void *source, int event, void *subject, const uint8_t *data,
                      size_t len)
{
    (void)source, (void)data, (void)len;
    struct server *s = (struct server *)ud;
    tlsplug_socket *sock = subject;
    if (event == TLSPLUG_EV_LISTENING) {
        char addr[128];
        size_t n;
        int port, family;
        tlsplug_server_address(s->srv, addr, sizeof addr, &n, &port, &family);
        printf(family == 6 ? "listening on [%s]:%d\n" : "listening on %s:%d\n", addr, port);
    } else if (event == TLSPLUG_EV_CONNECTION) {
        static const int events[] = {TLSPLUG_EV_DATA, TLSPLUG_EV_DRAIN, TLSPLUG_EV_TIMEOUT,
                                     TLSPLUG_EV_ERROR, TLSPLUG_EV_CLOSE};
        for (size_t i = 0; i < sizeof events / sizeof events[0]; i++)
            tlsplug_socket_on(sock, events[i], on_socket, ud);
        if (s->o->once) /* no second connection; the loop ends after this one */
            tlsplug_server_close(s->srv);
    } else if (event == TLSPLUG_EV_SECURE_CONNECTION) {
        int authorized = 0;
        tlsplug_socket_authorized(sock, &authorized);
        printf("server connected %s\n", authorized ? "authorized" : "unauthorized");
        tlsplug_socket_write(sock, (const uint8_t *)"welcome!\n", 9);
        if (s->o->timeout_ms > 0)
            tlsplug_socket_set_timeout(sock, (size_t)s->o->timeout_ms);
    }
}

/* ---- main ----------------------------------------------------------------- */

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig) { (void)sig, stop_requested = 1; }

static void usage(FILE *to, const char *prog)
{
    fprintf(to,
            "usage: %s --key FILE --cert FILE [options]\n"
            "Node's tls.createServer() echo example: writes \"welcome!\\n\", then echoes.\n"
            "  --port N            port to listen on; 0 (the default) picks a free one\n"
            "  --host ADDR         address to listen on (default 127.0.0.1)\n"
            "  --key FILE          PEM private key\n"
            "  --cert FILE         PEM certificate chain, leaf first\n"
            "  --ca FILE           PEM certificates trusted for client certificates\n"
            "  --request-cert      ask clients for a certificate (Node's requestCert)\n"
            "  --insecure          with --request-cert, accept clients that fail\n"
            "                      verification (rejectUnauthorized: false)\n"
            "  --min-version V     TLSv1.2 or TLSv1.3\n"
            "  --max-version V     TLSv1.2 or TLSv1.3\n"
            "  --timeout SECONDS   close a connection idle this long after its handshake\n"
            "  --once              serve one connection, then exit (0 if it closed cleanly)\n",
            prog);
}

static int parse_args(int argc, char **argv, struct server_opts *o)
{
    *o = (struct server_opts){.host = "127.0.0.1", .port = "0"};
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        int rc;
        if ((rc = cli_take_tls_option(argc, argv, &i, &o->tls)) != 0 ||
            (rc = cli_take_value(argc, argv, &i, "--host", &o->host)) != 0 ||
            (rc = cli_take_value(argc, argv, &i, "--port", &o->port)) != 0) {
            if (rc < 0)
                return -1;
        } else if ((rc = cli_take_value(argc, argv, &i, "--timeout", &v)) != 0) {
            if (rc < 0 || cli_parse_seconds(v, &o->timeout_ms) != 0)
                return fprintf(stderr, "%s: --timeout needs whole seconds\n", argv[0]), -1;
        } else if (strcmp(argv[i], "--request-cert") == 0) {
            o->request_cert = 1;
        } else if (strcmp(argv[i], "--insecure") == 0) {
            o->insecure = 1;
        } else if (strcmp(argv[i], "--once") == 0) {
            o->once = 1;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout, argv[0]);
            return 1;
        } else {
            fprintf(stderr, "%s: unknown argument %s\n", argv[0], argv[i]);
            usage(stderr, argv[0]);
            return -1;
        }
    }
    if (!o->tls.key || !o->tls.cert)
        return fprintf(stderr, "%s: --key and --cert are required\n", argv[0]), -1;
    return 0;
}

int main(int argc, char **argv)
{
    struct server_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    setvbuf(stdout, NULL, _IOLBF, 0); /* lines, even into a pipe: tests wait for them */
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    tlsplug_context *ctx = NULL;
    if (cli_make_context("echo_server", &o.tls, &ctx) != 0)
        return 1;
    struct server s = {.o = &o};
    tlsplug_loop *loop = NULL;
    char err[512];
    char *end;
    long port = strtol(o.port, &end, 10);
    int status = 1;
    if (*end || end == o.port || port < 0 || port > 65535) {
        fprintf(stderr, "echo_server: --port %s is not a port number\n", o.port);
        status = 2;
    } else if (tlsplug_server_new(ctx, &s.srv) != TLSPLUG_OK) { /* e.g. the key does not match */
        fprintf(stderr, "echo_server: %s\n", cli_error_text(ctx, err, sizeof err));
    } else if (tlsplug_loop_new(&loop) != TLSPLUG_OK) {
        fprintf(stderr, "echo_server: cannot create the loop\n");
    } else {
        tlsplug_server_set_request_cert(s.srv, o.request_cert);
        tlsplug_server_set_reject_unauthorized(s.srv, !o.insecure);
        static const int events[] = {TLSPLUG_EV_LISTENING, TLSPLUG_EV_CONNECTION,
                                     TLSPLUG_EV_SECURE_CONNECTION};
        for (size_t i = 0; i < sizeof events / sizeof events[0]; i++)
            tlsplug_server_on(s.srv, events[i], on_server, (uintptr_t)&s);
        if (tlsplug_loop_listen(loop, s.srv, o.host, (int)port, 0) != TLSPLUG_OK) {
            fprintf(stderr, "echo_server: %s\n", cli_error_text(s.srv, err, sizeof err));
        } else {
            /* Run in slices so that a signal (which libuv's wait rides out)
             * is seen within 100 ms. */
            int alive = 1;
            while (alive && !stop_requested)
                tlsplug_loop_run_for(loop, 100, &alive);
            status = o.once && s.failed;
        }
    }
    tlsplug_loop_free(loop); /* stops the server, frees what is still open */
    tlsplug_server_free(s.srv);
    tlsplug_context_free(ctx);
    return status;
}
