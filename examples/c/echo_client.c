/* echo_client: Node's tls.connect() echo client example, in C on
 * tlsplug's loop (which connects and drives the socket):
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
 * So that scripts can use it: status lines go to stderr, the bytes
 * received go to stdout unchanged; stdin's EOF ends the connection; the
 * exit status is 0 after a clean close, 1 after an error ("client error
 * CODE: message"). stdin is read in our own poll() beside the loop's
 * backend fd: the way a program with its own event loop embeds tlsplug's.
 * (pump_echo_client.c is the same client driving the sans-IO pump itself.)
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_common.h"
#include "tlsplug.h"

struct client {
    tlsplug_socket *sock;
    tlsplug_loop *loop;
    size_t timer;            /* --timeout, 0 when not pending */
    int piping, stdin_open;  /* stdin flows into the socket after secureConnect */
    int draining;            /* write() said "false": wait for 'drain' */
    int closed, had_error;
};

/* ---- the socket's events -------------------------------------------------- */

static void write_stdout(struct client *c, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(STDOUT_FILENO, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            tlsplug_socket_destroy(c->sock, "EPIPE", "cannot write to stdout");
            return;
        }
        p += w, n -= (size_t)w;
    }
}

static void on_secure_connect(struct client *c)
{
    char protocol[32] = "?", cipher[128] = "?", code[64], why[80] = "";
    size_t len;
    int authorized = 0;
    tlsplug_socket_authorized(c->sock, &authorized);
    tlsplug_socket_get_protocol(c->sock, protocol, sizeof protocol, &len);
    tlsplug_socket_get_cipher(c->sock, TLSPLUG_CIPHER_NAME, cipher, sizeof cipher, &len);
    /* Node's authorizationError says why, when --insecure let it through. */
    if (!authorized && tlsplug_socket_authorization_error(c->sock, code, sizeof code, &len) == 0)
        snprintf(why, sizeof why, " (%s)", code);
    fprintf(stderr, "client connected %s %s %s%s\n", authorized ? "authorized" : "unauthorized",
            protocol, cipher, why);
    c->piping = 1; /* process.stdin.pipe(socket) */
}

static void on_event(uintptr_t ud, void *source, int event, void *subject, const uint8_t *data,
                     size_t len)
{
    (void)source, (void)subject;
    struct client *c = (struct client *)ud;
    char err[512];
    switch (event) {
    case TLSPLUG_EV_SECURE_CONNECT: on_secure_connect(c); break;
    case TLSPLUG_EV_DATA: write_stdout(c, data, len); break;
    case TLSPLUG_EV_DRAIN: c->draining = 0; break;
    case TLSPLUG_EV_END: fprintf(stderr, "server ends connection\n"); break;
    case TLSPLUG_EV_ERROR:
        c->had_error = 1;
        fprintf(stderr, "client error %s\n", cli_error_text(c->sock, err, sizeof err));
        break;
    case TLSPLUG_EV_CLOSE:
        c->closed = 1;
        c->had_error |= len && data[0];
        tlsplug_loop_clear_timer(c->loop, c->timer); /* a pending timer keeps the loop alive */
        break;
    case TLSPLUG_EV_TIMER: /* --timeout */
        c->timer = 0;
        tlsplug_socket_destroy(c->sock, "ETIMEDOUT", "the connection did not close in time");
        break;
    default: break;
    }
}

/* ---- stdin, polled beside the loop --------------------------------------- */

static void read_stdin(struct client *c)
{
    uint8_t buf[65536];
    ssize_t r = read(STDIN_FILENO, buf, sizeof buf);
    unsigned state = 0;
    if (r < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (r <= 0) {
        c->stdin_open = 0;
        tlsplug_socket_end(c->sock); /* stdin.pipe(socket) ends the socket at EOF */
    } else if (tlsplug_socket_write(c->sock, buf, (size_t)r) != TLSPLUG_OK) {
        c->stdin_open = 0; /* the socket is gone; its events say why */
    } else if (tlsplug_socket_state(c->sock, &state) == 0 && (state & TLSPLUG_STATE_NEED_DRAIN)) {
        c->draining = 1;
    }
}

/* The embedding recipe: poll the loop's backend fd (and ours) for at most
 * the loop's next timeout, then let it do what is ready. */
static void run(struct client *c)
{
    int alive = 1, ms, backend;
    tlsplug_loop_backend_fd(c->loop, &backend);
    while (alive) {
        struct pollfd pfds[2] = {{.fd = backend, .events = POLLIN}, {.fd = -1}};
        if (c->piping && c->stdin_open && !c->draining && !c->closed)
            pfds[1] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
        tlsplug_loop_next_timeout(c->loop, &ms);
        if (poll(pfds, 2, ms) > 0 && pfds[1].revents)
            read_stdin(c);
        tlsplug_loop_run_once(c->loop, &alive);
    }
}

/* ---- main ----------------------------------------------------------------- */

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

struct client_opts {
    struct cli_tls_options tls;
    const char *host, *port, *servername;
    int insecure, timeout_ms;
};

static int parse_args(int argc, char **argv, struct client_opts *o)
{
    *o = (struct client_opts){.host = "127.0.0.1", .servername = "localhost"};
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
            if (rc < 0 || cli_parse_seconds(v, &o->timeout_ms) != 0)
                return fprintf(stderr, "%s: --timeout needs whole seconds\n", argv[0]), -1;
        } else if (strcmp(argv[i], "--insecure") == 0) {
            o->insecure = 1;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout, argv[0]);
            return 1;
        } else {
            fprintf(stderr, "%s: unknown argument %s\n", argv[0], argv[i]);
            usage(stderr, argv[0]);
            return -1;
        }
    }
    if (!o->port)
        return fprintf(stderr, "%s: --port is required\n", argv[0]), -1;
    return 0;
}

int main(int argc, char **argv)
{
    struct client_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    signal(SIGPIPE, SIG_IGN); /* a closed stdout answers EPIPE instead */
    tlsplug_context *ctx = NULL;
    if (cli_make_context("echo_client", &o.tls, &ctx) != 0)
        return 1;
    struct client c = {.stdin_open = 1};
    char err[512];
    int status = 1;
    if (tlsplug_socket_new(ctx, TLSPLUG_ROLE_CLIENT, &c.sock) != TLSPLUG_OK) {
        fprintf(stderr, "client error %s\n", cli_error_text(ctx, err, sizeof err));
    } else if (tlsplug_loop_new(&c.loop) != TLSPLUG_OK) {
        fprintf(stderr, "echo_client: cannot create the loop\n");
    } else {
        tlsplug_socket_set_servername(c.sock, o.servername);
        tlsplug_socket_set_reject_unauthorized(c.sock, !o.insecure);
        static const int events[] = {TLSPLUG_EV_SECURE_CONNECT, TLSPLUG_EV_DATA, TLSPLUG_EV_DRAIN,
                                     TLSPLUG_EV_END, TLSPLUG_EV_ERROR, TLSPLUG_EV_CLOSE};
        for (size_t i = 0; i < sizeof events / sizeof events[0]; i++)
            tlsplug_socket_on(c.sock, events[i], on_event, (uintptr_t)&c);
        if (o.timeout_ms > 0)
            tlsplug_loop_set_timer(c.loop, (size_t)o.timeout_ms, 0, on_event, (uintptr_t)&c,
                                   &c.timer);
        if (tlsplug_loop_connect(c.loop, c.sock, o.host, atoi(o.port)) != TLSPLUG_OK) {
            fprintf(stderr, "client error %s\n", cli_error_text(c.sock, err, sizeof err));
        } else {
            run(&c);
            status = c.had_error || !c.closed;
        }
    }
    tlsplug_socket_free(c.sock);
    tlsplug_loop_free(c.loop);
    tlsplug_context_free(ctx);
    return status;
}
