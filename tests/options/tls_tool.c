/* tls_tool: one TLS connection over TCP through libtlsplug, with one flag
 * per createSecureContext option and socket extra, reporting what Node's
 * getters say as JSON lines. The options tests run it against peers nobody
 * here wrote (openssl s_server/s_client, gnutls-serv, Node's tls) and read
 * the wire from both sides.
 *
 *   tls_tool server --port 0 [options]   prints "PORT n", serves ONE
 *       connection: reports `secure`, echoes what it receives until the
 *       peer ends.
 *   tls_tool client --port N [options]   connects, reports `secure`
 *       (secureConnect), then with --send TEXT writes "TEXT\n" and waits
 *       for one line back (reported as `reply`), then ends.
 *   tls_tool ciphers                     prints tlsplug_get_ciphers().
 *
 * stdout carries only "PORT n" and JSON lines (tool_report.h), the last one
 * {"event":"exit"} with the byte counters once the connection is over; exit status
 * 0 secure and closed cleanly, 1 TLS failure, 2 an option was refused
 * (option-error line), 3 usage or transport trouble. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pump_io.h"
#include "tcp.h"
#include "tlsplug.h"
#include "tool_args.h"
#include "tool_context.h"
#include "tool_report.h"

struct run {
    const struct tool_args *a;
    int is_server;
    tlsplug_socket *sock;
    int secure;     /* the secure event fired */
    int had_error;  /* an error event fired */
    int closed;
    char reply[4096];
    size_t reply_len;
    int replied; /* the client reported its one line */
};

static void on_secure(struct run *r, int ev)
{
    r->secure = 1;
    report_secure(r->sock, r->is_server, ev == TLSPLUG_EV_SECURE ? "secure" : "secureConnect");
    if (r->is_server)
        return; /* the server echoes until the peer ends */
    if (r->a->send) {
        tlsplug_socket_write(r->sock, (const uint8_t *)r->a->send, strlen(r->a->send));
        tlsplug_socket_write(r->sock, (const uint8_t *)"\n", 1);
    } else {
        tlsplug_socket_end(r->sock);
    }
}

static void on_data(struct run *r, const uint8_t *data, size_t len)
{
    if (r->is_server) {
        tlsplug_socket_write(r->sock, data, len);
        return;
    }
    if (r->replied)
        return;
    size_t room = sizeof r->reply - r->reply_len;
    size_t n = len < room ? len : room;
    memcpy(r->reply + r->reply_len, data, n);
    r->reply_len += n;
    char *nl = memchr(r->reply, '\n', r->reply_len);
    if (nl || r->reply_len == sizeof r->reply) {
        report_text("reply", "text", r->reply, nl ? (size_t)(nl - r->reply) : r->reply_len);
        r->replied = 1;
        tlsplug_socket_end(r->sock);
    }
}

/* Node's checkServerIdentity option: accept, or fail with an error whose
 * code is CODE (authorizationError becomes CODE). */
static void on_identity(struct run *r, const uint8_t *host, size_t len)
{
    report_text("checkServerIdentity", "host", (const char *)host, len);
    const char *how = r->a->check_identity;
    int rc;
    if (strcmp(how, "accept") == 0) {
        rc = tlsplug_socket_check_server_identity_done(r->sock, NULL, NULL);
    } else {
        const char *code = how + strlen("reject-with-");
        char msg[160];
        snprintf(msg, sizeof msg, "custom checkServerIdentity refused the host (%s)", code);
        rc = tlsplug_socket_check_server_identity_done(r->sock, code, msg);
    }
    if (rc != TLSPLUG_OK && rc != TLSPLUG_E_VERIFY)
        fprintf(stderr, "tls_tool: check_server_identity_done: %s\n", tlsplug_status_name(rc));
}

static void on_event(uintptr_t ud, void *source, int ev, void *subject, const uint8_t *data,
                     size_t len)
{
    struct run *r = (struct run *)ud;
    (void)source;
    (void)subject;
    switch (ev) {
    case TLSPLUG_EV_SECURE:
    case TLSPLUG_EV_SECURE_CONNECT:
        on_secure(r, ev);
        break;
    case TLSPLUG_EV_DATA:
        on_data(r, data, len);
        break;
    case TLSPLUG_EV_CHECK_SERVER_IDENTITY:
        on_identity(r, data, len);
        break;
    case TLSPLUG_EV_END:
        report_text("end", "role", r->is_server ? "server" : "client", strlen("server"));
        break;
    case TLSPLUG_EV_ERROR:
        r->had_error = 1;
        report_error(r->sock, "error");
        break;
    case TLSPLUG_EV_CLOSE:
        r->closed = 1;
        report_close(r->sock, len > 0 && data[0]);
        break;
    default:
        break;
    }
}

/* The socket with its options and callbacks, not started unless a pair.
 * Answers 0, or the exit status after reporting. */
static int make_socket(struct run *r, tlsplug_context *ctx)
{
    const struct tool_args *a = r->a;
    int rc;
    if (a->pair) {
        rc = tlsplug_secure_pair_new(ctx, r->is_server, a->request_cert, !a->insecure, &r->sock);
        if (rc != TLSPLUG_OK) {
            report_option_error(ctx, "secure_pair_new", NULL, rc);
            return 2;
        }
    } else {
        rc = tlsplug_socket_new(ctx, r->is_server ? TLSPLUG_ROLE_SERVER : TLSPLUG_ROLE_CLIENT,
                                &r->sock);
        if (rc != TLSPLUG_OK) {
            /* The context froze here: its detail is on the context. */
            report_option_error(ctx, "socket_new", NULL, rc);
            return 2;
        }
    }
    static const int events[] = {TLSPLUG_EV_SECURE, TLSPLUG_EV_SECURE_CONNECT, TLSPLUG_EV_DATA,
                                 TLSPLUG_EV_END,    TLSPLUG_EV_CLOSE,          TLSPLUG_EV_ERROR,
                                 TLSPLUG_EV_CHECK_SERVER_IDENTITY};
    for (size_t i = 0; i < sizeof events / sizeof *events; i++)
        tlsplug_socket_on(r->sock, events[i], on_event, (uintptr_t)r);
    if (a->pair)
        return 0;
    const char *what = NULL;
    const char *value = NULL;
    char num[16];
    if (a->servername && (rc = tlsplug_socket_set_servername(r->sock, a->servername)) != 0) {
        what = "--servername";
        value = a->servername;
    } else if ((rc = tlsplug_socket_set_reject_unauthorized(r->sock, !a->insecure)) != 0) {
        what = "--insecure";
    } else if (a->alpn && (rc = tlsplug_socket_set_alpn_list(r->sock, a->alpn)) != 0) {
        what = "--alpn";
        value = a->alpn;
    } else if (a->request_cert && (rc = tlsplug_socket_set_request_cert(r->sock, 1)) != 0) {
        what = "--request-cert";
    } else if (a->has_min_dh_size &&
               (rc = tlsplug_socket_set_min_dh_size(r->sock, a->min_dh_size)) != 0) {
        what = "--min-dh-size";
        snprintf(num, sizeof num, "%u", a->min_dh_size);
        value = num;
    } else if (a->check_identity &&
               (rc = tlsplug_socket_set_check_server_identity(r->sock, 1)) != 0) {
        what = "--check-identity";
        value = a->check_identity;
    }
    if (what) {
        report_option_error(r->sock, what, value, rc);
        return 2;
    }
    return 0;
}

/* Listen, print "PORT n", wait (bounded) for one connection. */
static int accept_one(const struct tool_args *a, int *fd_out)
{
    char bound[96], err[256];
    int lfd = tcp_listen(a->host, a->port, bound, sizeof bound, err, sizeof err);
    if (lfd < 0) {
        fprintf(stderr, "tls_tool: %s\n", err);
        return 3;
    }
    const char *colon = strrchr(bound, ':');
    printf("PORT %s\n", colon ? colon + 1 : "?");
    fflush(stdout);
    int64_t deadline = pump_io_now_ms() + a->timeout_ms;
    for (;;) {
        int fd = tcp_accept(lfd);
        if (fd >= 0) {
            close(lfd);
            *fd_out = fd;
            return 0;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            fprintf(stderr, "tls_tool: accept: %s\n", strerror(errno));
            break;
        }
        int64_t left = deadline - pump_io_now_ms();
        if (left <= 0) {
            fprintf(stderr, "tls_tool: no connection within %d ms\n", a->timeout_ms);
            break;
        }
        struct pollfd p = {.fd = lfd, .events = POLLIN};
        (void)poll(&p, 1, (int)left);
    }
    close(lfd);
    return 3;
}

static int list_ciphers(void)
{
    size_t len = 0;
    int rc = tlsplug_get_ciphers(NULL, 0, &len);
    if (rc != TLSPLUG_E_BUFSIZE && rc != TLSPLUG_OK) {
        printf("{\"event\":\"ciphers\",\"status\":\"%s\"}\n", tlsplug_status_name(rc));
        return 1;
    }
    char *buf = malloc(len + 1);
    if (!buf || tlsplug_get_ciphers(buf, len + 1, &len) != TLSPLUG_OK) {
        free(buf);
        return 1;
    }
    report_text("ciphers", "list", buf, len);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    struct tool_args a;
    if (tool_parse_args(argc, argv, &a) != 0)
        return 3;
    if (a.mode == TOOL_CIPHERS)
        return list_ciphers();
    struct run r;
    memset(&r, 0, sizeof r);
    r.a = &a;
    r.is_server = a.mode == TOOL_SERVER;
    tlsplug_context *ctx = NULL;
    int status = tool_make_context(&a, &ctx);
    if (status != 0)
        return status;
    status = make_socket(&r, ctx);
    int fd = -1;
    if (status == 0) {
        if (r.is_server) {
            status = accept_one(&a, &fd);
        } else {
            char err[256];
            fd = tcp_connect(a.host, a.port, a.timeout_ms, err, sizeof err);
            if (fd < 0) {
                fprintf(stderr, "tls_tool: %s\n", err);
                status = 3;
            }
        }
    }
    if (status == 0) {
        struct pump_io io;
        pump_io_init(&io, r.sock, fd);
        pump_io_set_timeout(&io, a.timeout_ms, "ETIMEDOUT");
        int rc = a.pair ? TLSPLUG_OK : tlsplug_socket_start(r.sock);
        if (rc != TLSPLUG_OK) {
            report_error(r.sock, "error");
            pump_io_abort(&io);
            status = 1;
        } else {
            pump_io_run(&io);
            /* Everything pulled has been sent (or dropped): the totals. */
            report_counters(r.sock, "exit");
            status = r.secure && !r.had_error ? 0 : 1;
        }
    }
    tlsplug_socket_free(r.sock);
    tlsplug_context_free(ctx);
    return status;
}
