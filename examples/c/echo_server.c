/* echo_server: Node's tls.createServer() echo example, in C on tlsplug.
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
 * Each accepted TCP connection gets a server-role tlsplug_socket and a
 * pump_io; all of them share one poll() loop, so connections are served
 * concurrently. The socket echoes every byte (socket.pipe(socket)) and,
 * with Node's default allowHalfOpen false, ends when the client ends.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_common.h"
#include "pump_io.h"
#include "tcp.h"
#include "tlsplug.h"

#define MAX_CONNS 64
/* Node's tls.Server handshakeTimeout default. */
#define HANDSHAKE_TIMEOUT_MS 120000

struct server_opts {
    struct cli_tls_options tls;
    const char *host;
    const char *port;
    int request_cert;
    int reject_unauthorized;
    int once;
    int timeout_ms; /* per connection, after the handshake; 0: none */
};

struct conn {
    int id;
    tlsplug_socket *sock;
    struct pump_io io;
    const struct server_opts *opts;
    int had_error;
};

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
            "  --timeout SECONDS   close a connection this long after its handshake\n"
            "  --once              serve one connection, then exit (0 if it closed cleanly)\n",
            prog);
}

static int parse_args(int argc, char **argv, struct server_opts *o)
{
    memset(o, 0, sizeof *o);
    o->host = "127.0.0.1";
    o->port = "0";
    o->reject_unauthorized = 1;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        int rc;
        if ((rc = cli_take_tls_option(argc, argv, &i, &o->tls)) != 0 ||
            (rc = cli_take_value(argc, argv, &i, "--host", &o->host)) != 0 ||
            (rc = cli_take_value(argc, argv, &i, "--port", &o->port)) != 0) {
            if (rc < 0)
                return -1;
        } else if ((rc = cli_take_value(argc, argv, &i, "--timeout", &v)) != 0) {
            if (rc < 0 || cli_parse_seconds(v, &o->timeout_ms) != 0) {
                fprintf(stderr, "%s: --timeout needs whole seconds\n", argv[0]);
                return -1;
            }
        } else if (strcmp(argv[i], "--request-cert") == 0) {
            o->request_cert = 1;
        } else if (strcmp(argv[i], "--insecure") == 0) {
            o->reject_unauthorized = 0;
        } else if (strcmp(argv[i], "--once") == 0) {
            o->once = 1;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout, argv[0]);
            exit(0);
        } else {
            fprintf(stderr, "%s: unknown argument %s\n", argv[0], argv[i]);
            usage(stderr, argv[0]);
            return -1;
        }
    }
    if (!o->tls.key || !o->tls.cert) {
        fprintf(stderr, "%s: --key and --cert are required\n", argv[0]);
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- events */

static void on_secure(struct conn *c)
{
    int authorized = 0;
    tlsplug_socket_authorized(c->sock, &authorized);
    printf("server connected %s\n", authorized ? "authorized" : "unauthorized");
    /* The handshake is done: from now on the connection's own timeout. */
    pump_io_set_timeout(&c->io, c->opts->timeout_ms, "ETIMEDOUT");
    static const char welcome[] = "welcome!\n";
    tlsplug_socket_write(c->sock, (const uint8_t *)welcome, sizeof welcome - 1);
}

static void on_event(uintptr_t userdata, void *source, int event, void *subject,
                     const uint8_t *data, size_t len)
{
    struct conn *c = (struct conn *)userdata;
    (void)subject;
    switch (event) {
    case TLSPLUG_EV_SECURE:
        on_secure(c);
        break;
    case TLSPLUG_EV_DATA:
        /* socket.pipe(socket): every byte goes straight back. */
        tlsplug_socket_write(c->sock, data, len);
        break;
    case TLSPLUG_EV_ERROR: {
        /* Node's 'tlsClientError' (before the handshake) or the socket's
         * 'error'; either way the connection closes and the server goes on. */
        char err[512];
        c->had_error = 1;
        fprintf(stderr, "server connection %d error %s\n", c->id,
                cli_error_text(source, err, sizeof err));
        break;
    }
    default:
        break; /* END: our end follows by itself (allowHalfOpen false); CLOSE: seen by the loop */
    }
}

/* ---------------------------------------------------------------- connections */

static struct conn *conn_open(int fd, int id, tlsplug_context *ctx, const struct server_opts *o)
{
    struct conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->id = id;
    c->opts = o;
    char err[512];
    if (tlsplug_socket_new(ctx, TLSPLUG_ROLE_SERVER, &c->sock) != TLSPLUG_OK) {
        fprintf(stderr, "echo_server: cannot create a socket: %s\n",
                cli_error_text(ctx, err, sizeof err));
        free(c);
        return NULL;
    }
    pump_io_init(&c->io, c->sock, fd);
    pump_io_set_timeout(&c->io, HANDSHAKE_TIMEOUT_MS, "ERR_TLS_HANDSHAKE_TIMEOUT");
    tlsplug_socket_set_request_cert(c->sock, o->request_cert);
    tlsplug_socket_set_reject_unauthorized(c->sock, o->reject_unauthorized);
    static const int events[] = {TLSPLUG_EV_SECURE, TLSPLUG_EV_DATA, TLSPLUG_EV_END,
                                 TLSPLUG_EV_ERROR, TLSPLUG_EV_CLOSE};
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++)
        tlsplug_socket_on(c->sock, events[i], on_event, (uintptr_t)c);
    /* A failed start has emitted `error` and `close`; pump_io sends the
     * alert, if any, and closes. */
    tlsplug_socket_start(c->sock);
    return c;
}

static void conn_free(struct conn *c)
{
    pump_io_abort(&c->io);
    tlsplug_socket_free(c->sock);
    free(c);
}

/* ---------------------------------------------------------------- main loop */

static volatile sig_atomic_t stop_requested;
/* The self-pipe: a signal that lands between the loop's check of
 * stop_requested and poll() would otherwise leave poll() asleep. */
static int wake_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    (void)sig;
    int saved = errno;
    stop_requested = 1;
    ssize_t r = write(wake_pipe[1], "", 1);
    (void)r; /* a full pipe already wakes poll() */
    errno = saved;
}

/* pfds[] holds the listener, the wake pipe, then one per connection. */
enum { PFD_LISTEN, PFD_WAKE, PFD_CONNS };

/* Serve until stopped (or, with --once, until the first connection is
 * over). Answers the exit status. */
static int serve(int lfd, tlsplug_context *ctx, const struct server_opts *o)
{
    struct conn *conns[MAX_CONNS];
    struct pollfd pfds[PFD_CONNS + MAX_CONNS];
    int nconns = 0, accepted = 0, status = 0;
    while (!stop_requested) {
        int accepting = lfd >= 0 && nconns < MAX_CONNS;
        int wait = -1;
        int64_t now = pump_io_now_ms();
        pfds[PFD_LISTEN] = (struct pollfd){.fd = accepting ? lfd : -1, .events = POLLIN};
        pfds[PFD_WAKE] = (struct pollfd){.fd = wake_pipe[0], .events = POLLIN};
        for (int i = 0; i < nconns; i++) {
            pump_io_prepare(&conns[i]->io, &pfds[PFD_CONNS + i]);
            int t = pump_io_poll_timeout(&conns[i]->io, now);
            if (t >= 0 && (wait < 0 || t < wait))
                wait = t;
        }
        /* Drop the connections that are over (prepare may have finished them). */
        for (int i = 0; i < nconns;) {
            if (!pump_io_done(&conns[i]->io)) {
                i++;
                continue;
            }
            if (conns[i]->had_error && o->once)
                status = 1;
            conn_free(conns[i]);
            conns[i] = conns[--nconns];
            pfds[PFD_CONNS + i] = pfds[PFD_CONNS + nconns];
        }
        if (o->once && accepted && nconns == 0)
            break;
        if (poll(pfds, (nfds_t)(PFD_CONNS + nconns), wait) < 0)
            continue; /* EINTR from a signal: the loop condition decides */
        for (int i = 0; i < nconns; i++)
            pump_io_service(&conns[i]->io, pfds[PFD_CONNS + i].revents);
        now = pump_io_now_ms();
        for (int i = 0; i < nconns; i++)
            pump_io_tick(&conns[i]->io, now);
        if (accepting && (pfds[PFD_LISTEN].revents & POLLIN)) {
            int fd = tcp_accept(lfd);
            if (fd < 0)
                continue; /* the client went away already, or EMFILE: keep serving */
            struct conn *c = conn_open(fd, accepted + 1, ctx, o);
            if (!c) {
                close(fd);
                continue;
            }
            conns[nconns++] = c;
            accepted++;
            if (o->once) { /* --once: no second connection */
                close(lfd);
                lfd = -1;
            }
        }
    }
    for (int i = 0; i < nconns; i++)
        conn_free(conns[i]);
    if (lfd >= 0)
        close(lfd);
    return status;
}

int main(int argc, char **argv)
{
    struct server_opts o;
    if (parse_args(argc, argv, &o) != 0)
        return 2;
    /* Lines, not blocks, even into a pipe: tests wait for each line. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* send() uses MSG_NOSIGNAL; this covers stdout going away. */
    signal(SIGPIPE, SIG_IGN);
    /* SIGINT/SIGTERM stop the loop (poll() answers EINTR), so open
     * connections are freed before exit. */
    if (pipe(wake_pipe) != 0 || tcp_set_nonblocking(wake_pipe[0]) != 0 ||
        tcp_set_nonblocking(wake_pipe[1]) != 0) {
        perror("echo_server: pipe");
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    tlsplug_context *ctx = NULL;
    if (cli_make_context("echo_server", &o.tls, &ctx) != 0)
        return 1;
    /* A first socket freezes the context, which is when a key that does
     * not match its certificate shows: fail now, as Node's createServer()
     * throws, rather than at the first client. */
    tlsplug_socket *probe = NULL;
    char err[512];
    if (tlsplug_socket_new(ctx, TLSPLUG_ROLE_SERVER, &probe) != TLSPLUG_OK) {
        fprintf(stderr, "echo_server: %s\n", cli_error_text(ctx, err, sizeof err));
        tlsplug_context_free(ctx);
        return 1;
    }
    tlsplug_socket_free(probe);
    char bound[96];
    int lfd = tcp_listen(o.host, o.port, bound, sizeof bound, err, sizeof err);
    if (lfd < 0) {
        fprintf(stderr, "echo_server: %s\n", err);
        tlsplug_context_free(ctx);
        return 1;
    }
    /* Node's example says 'server bound'; the address is what a test needs. */
    printf("listening on %s\n", bound);
    fflush(stdout);
    int status = serve(lfd, ctx, &o);
    tlsplug_context_free(ctx);
    return status;
}
