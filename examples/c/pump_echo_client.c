/* pump_echo_client: Node's tls.connect() echo client example, in C on
 * tlsplug's sans-IO pump, for hosts that own their IO: the program makes
 * the TCP connection itself and drives the socket with poll() through
 * pump_io.c (feed what arrives, pull what to send). echo_client.c is the
 * same client on the library's loop, which does all of that for you.
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
 * Differences, so that scripts and tests can use it: the status lines go to
 * stderr and the received bytes go to stdout exactly as they came (no
 * decoding, no added newlines); stdin's EOF ends the connection
 * (stdin.pipe(socket) calls socket.end()); the exit status is 0 when the
 * connection closed cleanly, 1 after an error (printed as "CODE: message").
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_common.h"
#include "pump_io.h"
#include "tcp.h"
#include "tlsplug.h"

struct client_opts {
    struct cli_tls_options tls;
    const char *host;
    const char *port;
    const char *servername;
    int reject_unauthorized;
    int timeout_ms; /* overall; 0: none */
};

struct client {
    tlsplug_socket *sock;
    struct pump_io io;
    int piping;     /* secureConnect happened: stdin flows into the socket */
    int stdin_open; /* stdin has not reached EOF */
    int closed;     /* `close` was emitted */
    int had_error;
};

static void usage(FILE *to, const char *prog)
{
    fprintf(to,
            "usage: %s --port N [options]\n"
            "Node's tls.connect() echo client example: stdin goes to the server,\n"
            "what the server sends goes to stdout; status lines go to stderr.\n"
            "  --port N            server port (required)\n"
            "  --host HOST         server address (default 127.0.0.1)\n"
            "  --servername NAME   SNI and identity check (default localhost)\n"
            "  --ca FILE           PEM certificates to trust instead of the system's\n"
            "  --key FILE          PEM private key for a client certificate\n"
            "  --cert FILE         PEM client certificate chain, leaf first\n"
            "  --insecure          go on when the server fails verification\n"
            "                      (rejectUnauthorized: false)\n"
            "  --min-version V     TLSv1.2 or TLSv1.3\n"
            "  --max-version V     TLSv1.2 or TLSv1.3\n"
            "  --timeout SECONDS   give up (ETIMEDOUT) if not closed by then\n",
            prog);
}

static int parse_args(int argc, char **argv, struct client_opts *o)
{
    memset(o, 0, sizeof *o);
    o->host = "127.0.0.1";
    o->servername = "localhost";
    o->reject_unauthorized = 1;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        int rc;
        if ((rc = cli_take_tls_option(argc, argv, &i, &o->tls)) != 0 ||
            (rc = cli_take_value(argc, argv, &i, "--host", &o->host)) != 0 ||
            (rc = cli_take_value(argc, argv, &i, "--port", &o->port)) != 0 ||
            (rc = cli_take_value(argc, argv, &i, "--servername", &o->servername)) != 0) {
            if (rc < 0)
                return -1;
        } else if ((rc = cli_take_value(argc, argv, &i, "--timeout", &v)) != 0) {
            if (rc < 0 || cli_parse_seconds(v, &o->timeout_ms) != 0) {
                fprintf(stderr, "%s: --timeout needs whole seconds\n", argv[0]);
                return -1;
            }
        } else if (strcmp(argv[i], "--insecure") == 0) {
            o->reject_unauthorized = 0;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout, argv[0]);
            exit(0);
        } else {
            fprintf(stderr, "%s: unknown argument %s\n", argv[0], argv[i]);
            usage(stderr, argv[0]);
            return -1;
        }
    }
    if (!o->port) {
        fprintf(stderr, "%s: --port is required\n", argv[0]);
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- output */

/* Write all of it to stdout, raw. A non-blocking stdout (inherited from
 * a parent) is waited on; 0 or -1 with errno. */
static int write_stdout(const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(STDOUT_FILENO, p, n);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd pfd = {.fd = STDOUT_FILENO, .events = POLLOUT};
            (void)poll(&pfd, 1, 1000);
        } else if (!(w < 0 && errno == EINTR)) {
            return -1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- events */

static void on_secure_connect(struct client *cl)
{
    char protocol[32] = "?", cipher[128] = "?", code[64] = "", why[80] = "";
    size_t len;
    int authorized = 0;
    tlsplug_socket_authorized(cl->sock, &authorized);
    tlsplug_socket_get_protocol(cl->sock, protocol, sizeof protocol, &len);
    tlsplug_socket_get_cipher(cl->sock, TLSPLUG_CIPHER_NAME, cipher, sizeof cipher, &len);
    /* Node's authorizationError says why, when --insecure let it through. */
    if (!authorized &&
        tlsplug_socket_authorization_error(cl->sock, code, sizeof code, &len) == TLSPLUG_OK)
        snprintf(why, sizeof why, " (%s)", code);
    fprintf(stderr, "client connected %s %s %s%s\n", authorized ? "authorized" : "unauthorized",
            protocol, cipher, why);
    cl->piping = 1; /* process.stdin.pipe(socket) */
}

static void on_event(uintptr_t userdata, void *source, int event, void *subject,
                     const uint8_t *data, size_t len)
{
    struct client *cl = (struct client *)userdata;
    (void)subject;
    switch (event) {
    case TLSPLUG_EV_SECURE_CONNECT:
        on_secure_connect(cl);
        break;
    case TLSPLUG_EV_DATA:
        if (write_stdout(data, len) != 0)
            tlsplug_socket_destroy(cl->sock, tcp_errno_code(errno), "cannot write to stdout");
        break;
    case TLSPLUG_EV_END:
        fprintf(stderr, "server ends connection\n");
        break;
    case TLSPLUG_EV_ERROR: {
        /* Read the detail now: later calls may record other errors. */
        char err[512];
        cl->had_error = 1;
        fprintf(stderr, "client error %s\n", cli_error_text(source, err, sizeof err));
        break;
    }
    case TLSPLUG_EV_CLOSE:
        cl->closed = 1;
        if (len >= 1 && data[0])
            cl->had_error = 1;
        break;
    default:
        break;
    }
}

/* ---------------------------------------------------------------- stdin */

static void read_stdin(struct client *cl)
{
    uint8_t buf[65536];
    ssize_t r = read(STDIN_FILENO, buf, sizeof buf);
    if (r > 0) {
        tlsplug_socket_write(cl->sock, buf, (size_t)r);
        return;
    }
    if (r < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    if (r < 0)
        fprintf(stderr, "pump_echo_client: reading stdin: %s; ending the connection\n", strerror(errno));
    cl->stdin_open = 0;
    tlsplug_socket_end(cl->sock); /* stdin.pipe(socket) ends the socket on EOF */
}

/* Whether stdin should be read now: after secureConnect, while the socket
 * takes writes and its output is not backed up. */
static int want_stdin(const struct client *cl)
{
    unsigned st = 0;
    size_t pending = 0;
    if (!cl->piping || !cl->stdin_open)
        return 0;
    if (tlsplug_socket_state(cl->sock, &st) != TLSPLUG_OK || !(st & TLSPLUG_STATE_WRITABLE))
        return 0;
    tlsplug_socket_pending_output(cl->sock, &pending);
    return pending < PUMP_IO_HIGH_WATER;
}

static void run(struct client *cl)
{
    while (!pump_io_done(&cl->io)) {
        struct pollfd pfds[2];
        pump_io_prepare(&cl->io, &pfds[0]);
        if (pump_io_done(&cl->io))
            break;
        nfds_t n = 1;
        if (want_stdin(cl))
            pfds[n++] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
        int wait = pump_io_poll_timeout(&cl->io, pump_io_now_ms());
        if (pfds[0].events == 0 && n == 1 && wait < 0) {
            tlsplug_socket_destroy(cl->sock, "ERR_STALLED", "the connection cannot progress");
            pump_io_abort(&cl->io);
            break;
        }
        if (poll(pfds, n, wait) > 0) {
            pump_io_service(&cl->io, pfds[0].revents);
            if (n > 1 && (pfds[1].revents & (POLLIN | POLLHUP | POLLERR)))
                read_stdin(cl);
        }
        pump_io_tick(&cl->io, pump_io_now_ms());
    }
}

int main(int argc, char **argv)
{
    struct client_opts o;
    if (parse_args(argc, argv, &o) != 0)
        return 2;
    signal(SIGPIPE, SIG_IGN); /* a closed stdout answers EPIPE instead */

    tlsplug_context *ctx = NULL;
    if (cli_make_context("pump_echo_client", &o.tls, &ctx) != 0)
        return 1;
    struct client cl;
    memset(&cl, 0, sizeof cl);
    cl.stdin_open = 1;
    char err[512];
    if (tlsplug_socket_new(ctx, TLSPLUG_ROLE_CLIENT, &cl.sock) != TLSPLUG_OK) {
        fprintf(stderr, "client error %s\n", cli_error_text(ctx, err, sizeof err));
        tlsplug_context_free(ctx);
        return 1;
    }
    tlsplug_context_free(ctx); /* the socket holds its own reference */
    tlsplug_socket_set_servername(cl.sock, o.servername);
    tlsplug_socket_set_reject_unauthorized(cl.sock, o.reject_unauthorized);
    static const int events[] = {TLSPLUG_EV_SECURE_CONNECT, TLSPLUG_EV_DATA, TLSPLUG_EV_END,
                                 TLSPLUG_EV_ERROR, TLSPLUG_EV_CLOSE};
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++)
        tlsplug_socket_on(cl.sock, events[i], on_event, (uintptr_t)&cl);

    int64_t started = pump_io_now_ms();
    int fd = tcp_connect(o.host, o.port, o.timeout_ms, err, sizeof err);
    if (fd < 0) {
        fprintf(stderr, "client error %s\n", err);
        tlsplug_socket_free(cl.sock);
        return 1;
    }
    pump_io_init(&cl.io, cl.sock, fd);
    if (o.timeout_ms > 0) { /* what is left of the overall timeout */
        int left = o.timeout_ms - (int)(pump_io_now_ms() - started);
        pump_io_set_timeout(&cl.io, left > 0 ? left : 1, "ETIMEDOUT");
    }
    tlsplug_socket_start(cl.sock); /* a failure emits `error`; run() sends any alert */
    run(&cl);

    int status = cl.had_error || !cl.closed ? 1 : 0;
    tlsplug_socket_free(cl.sock);
    return status;
}
