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
 * "listening on ADDR:PORT" goes to stdout once bound (scripts read the
 * port from it); what happens to connections goes to stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "embed.h"
#include "opts.h"
#include "selfsigned.h"
#include "tlsctx.h"

struct server_opts {
    struct tls_files tls;
    const char *host, *port, *path, *alpn, *max_conns, *cert_out;
    const char *verify, *Verify; /* openssl's -verify/-Verify DEPTH (ignored) */
    int request_cert, insecure, once;
};

struct server {
    const struct server_opts *o;
    tlsplug_server *srv;
    int closing;  /* server.close() was called */
    int failures; /* connections that ended in an error */
};

static const char SYNOPSIS[] =
    "Node's tls.createServer() echo server: each client gets \"welcome!\\n\",\n"
    "then everything it sends back (socket.pipe(socket)). Prints \"listening on\n"
    "ADDR:PORT\" on stdout once bound; connections are logged on stderr.\n"
    "Without --cert/--key it makes a throwaway self-signed certificate.";

/* ---- one connection ------------------------------------------------------ */

/* socket.pipe(socket), with the backpressure pipe() has: stop reading while
 * the echo waits above the high-water mark, go on at 'drain'. */
static void on_socket(uintptr_t ud, void *source, int event, void *subject, const uint8_t *data,
                      size_t len)
{
    (void)subject;
    struct server *s = (struct server *)ud;
    tlsplug_socket *sock = source;
    unsigned state = 0;
    char err[512];
    switch (event) {
    case TLSPLUG_EV_DATA:
        if (tlsplug_socket_write(sock, data, len) == TLSPLUG_OK &&
            tlsplug_socket_state(sock, &state) == TLSPLUG_OK && (state & TLSPLUG_STATE_NEED_DRAIN))
            tlsplug_socket_pause(sock);
        break;
    case TLSPLUG_EV_DRAIN: tlsplug_socket_resume(sock); break;
    case TLSPLUG_EV_ERROR:
        /* Before the handshake completed this is Node's tlsClientError. */
        fprintf(stderr, "server connection error %s\n", tlsctx_error(sock, err, sizeof err));
        break;
    case TLSPLUG_EV_CLOSE:
        if (len && data[0])
            s->failures++;
        break;
    default: break; /* END: we end too (allowHalfOpen false) */
    }
}

static void on_secure_connection(struct server *s, tlsplug_socket *sock)
{
    (void)s;
    int authorized = 0;
    tlsplug_socket_authorized(sock, &authorized);
    fprintf(stderr, "server connected %s\n", authorized ? "authorized" : "unauthorized");
    static const char welcome[] = "welcome!\n";
    tlsplug_socket_write(sock, (const uint8_t *)welcome, sizeof welcome - 1);
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
    (void)source, (void)data, (void)len;
    struct server *s = (struct server *)ud;
    switch (event) {
    case TLSPLUG_EV_LISTENING: print_listening(s); break;
    case TLSPLUG_EV_CONNECTION: {
        static const int events[] = {TLSPLUG_EV_DATA, TLSPLUG_EV_DRAIN, TLSPLUG_EV_ERROR,
                                     TLSPLUG_EV_CLOSE};
        for (size_t i = 0; i < sizeof events / sizeof *events; i++)
            tlsplug_socket_on(subject, events[i], on_socket, ud);
        /* --once: take no other connection; the loop ends with this one. */
        if (s->o->once && !s->closing) {
            s->closing = 1;
            tlsplug_server_close(s->srv);
        }
        break;
    }
    case TLSPLUG_EV_SECURE_CONNECTION: on_secure_connection(s, subject); break;
    default: break;
    }
}

/* ---- setup --------------------------------------------------------------- */

static int parse(int argc, char **argv, struct server_opts *o)
{
    const struct opt table[] = {
        {"--port|-accept|-port", "N", "TCP port (default 8000; 0 picks a free one)", &o->port},
        {"--host", "ADDR", "address to listen on (default: all)", &o->host},
        {"--path|-unix", "PATH", "listen on a Unix socket instead of TCP", &o->path},
        {"--cert|-cert", "FILE", "PEM certificate chain, leaf first", &o->tls.cert},
        {"--key|-key", "FILE", "PEM private key", &o->tls.key},
        {"--ca|-CAfile", "FILE", "PEM certificates trusted for client certificates", &o->tls.ca},
        {"--request-cert", NULL, "ask for a client certificate and refuse clients without a "
                                 "valid one (requestCert, rejectUnauthorized)", &o->request_cert},
        {"-Verify", "DEPTH", "as --request-cert (openssl s_server)", &o->Verify},
        {"-verify", "DEPTH", "ask for a client certificate, accept any (openssl s_server)",
         &o->verify},
        {"--insecure", NULL, "with --request-cert, accept clients that fail verification",
         &o->insecure},
        {"--alpn|-alpn", "LIST", "ALPN protocols in preference order, e.g. h2,http/1.1", &o->alpn},
        {"--min-version", "V", "lowest TLS version (TLSv1.2, TLSv1.3)", &o->tls.min_version},
        {"--max-version", "V", "highest TLS version", &o->tls.max_version},
        {"--max-connections", "N", "refuse connections beyond N open ones", &o->max_conns},
        {"--once", NULL, "serve one connection, then exit (1 if it failed)", &o->once},
        {"--cert-out", "FILE", "write the throwaway certificate here (for a client's --ca)",
         &o->cert_out},
        {NULL, NULL, NULL, NULL},
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

static int configure(struct server *s, const struct server_opts *o)
{
    uint8_t alpn[512];
    long max = -1;
    int n = 0;
    if (o->alpn && (n = tlsctx_alpn("server", o->alpn, alpn, sizeof alpn)) < 0)
        return -1;
    if (o->max_conns && opts_int("server", "--max-connections", o->max_conns, 0, 1000000, &max))
        return -1;
    tlsplug_server_set_request_cert(s->srv, o->request_cert);
    tlsplug_server_set_reject_unauthorized(s->srv, !o->insecure);
    tlsplug_server_set_max_connections(s->srv, (int)max);
    if (n > 0)
        tlsplug_server_set_alpn_protocols(s->srv, alpn, (size_t)n);
    static const int events[] = {TLSPLUG_EV_LISTENING, TLSPLUG_EV_CONNECTION,
                                 TLSPLUG_EV_SECURE_CONNECTION};
    for (size_t i = 0; i < sizeof events / sizeof *events; i++)
        tlsplug_server_on(s->srv, events[i], on_server, (uintptr_t)s);
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
    else if (configure(&s, &o) != 0)
        status = OPTS_EXIT_USAGE;
    else if (tlsplug_loop_new(&loop) != TLSPLUG_OK)
        fprintf(stderr, "tlsplug server: cannot create the loop\n");
    else
        status = listen_and_serve(&s, loop, &o);
    /* The loop first: it stops the server and frees accepted sockets. */
    tlsplug_loop_free(loop);
    tlsplug_server_free(s.srv);
    tlsplug_context_free(ctx);
    return status;
}
