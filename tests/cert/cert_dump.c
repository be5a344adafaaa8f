/* cert_dump: what tlsplug says about certificates, as JSON on stdout, for
 * cert_vs_node.js to hold against Node. It also checks, itself, the calling
 * rules the JSON cannot show (states, E_BUFSIZE and the length it answers,
 * bad arguments) and exits 1 with a message on the first violation.
 *
 *   cert_dump client PORT [options]  connect to 127.0.0.1:PORT
 *   cert_dump server [options]       listen on 127.0.0.1:0, print "PORT n",
 *                                    take one connection
 *     options: --key F --cert F (PEM), --ca F, --servername N,
 *              --request-cert, --no-reject
 *     prints {"authorized", "peer", "detailed", "own", "fields": [per depth]}
 *   cert_dump json DER...            [tlsplug_cert_to_json() per file, or
 *                                    its status name]
 *   cert_dump identity DER HOST...   [{"host", "status", "reason"}]
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tlsplug.h"

#define TIMEOUT_MS 20000

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("cert_dump: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

#define EXPECT(expr, want)                                                                  \
    do {                                                                                    \
        int got_ = (expr), want_ = (want);                                                  \
        if (got_ != want_)                                                                  \
            die("%s:%d: %s answered %s, expected %s", __FILE__, __LINE__, #expr,            \
                tlsplug_status_name(got_), tlsplug_status_name(want_));                     \
    } while (0)

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die("cannot open %s: %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    uint8_t *b = malloc(cap);
    for (;;) {
        if (!b)
            die("out of memory");
        n += fread(b + n, 1, cap - n, f);
        if (n < cap)
            break;
        cap *= 2;
        b = realloc(b, cap);
    }
    fclose(f);
    *len = n;
    return b;
}

/* A JSON string (the library's text is UTF-8; bytes pass through). */
static void print_json_string(const uint8_t *p, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '"' || p[i] == '\\')
            printf("\\%c", p[i]);
        else if (p[i] < 0x20)
            printf("\\u%04x", p[i]);
        else
            putchar(p[i]);
    }
    putchar('"');
}

/* ---- the (buf, cap, len) protocol ----------------------------------------- */

typedef int (*text_fn)(void *arg, char *buf, size_t cap, size_t *len);

/* Call fn three ways: size query (NULL, 0), one byte short (room for the
 * text but not its NUL), exact. Answers the text (malloc'd) or NULL with
 * *status for any other answer. */
static char *get_text(text_fn fn, void *arg, int *status, size_t *out_len)
{
    size_t len = 12345;
    int rc = fn(arg, NULL, 0, &len);
    *status = rc;
    if (rc != TLSPLUG_E_BUFSIZE)
        return NULL;
    size_t need = len;
    char *buf = malloc(need + 1);
    if (!buf)
        die("out of memory");
    memset(buf, 'X', need + 1);
    len = 0;
    if (need > 0) {
        EXPECT(fn(arg, buf, need, &len), TLSPLUG_E_BUFSIZE);
        if (len != need)
            die("E_BUFSIZE answered length %zu, then %zu", need, len);
    }
    len = 0;
    rc = fn(arg, buf, need + 1, &len);
    *status = rc;
    if (len != need || buf[need] != 0)
        die("with cap %zu: status %s, length %zu, NUL %s", need + 1, tlsplug_status_name(rc), len,
            buf[need] ? "missing" : "present");
    *out_len = need;
    return buf;
}

/* ---- sockets --------------------------------------------------------------- */

typedef struct opts {
    const char *key, *cert, *ca, *servername;
    int request_cert, reject;
} opts;

static tlsplug_context *make_context(const opts *o)
{
    tlsplug_context *ctx;
    size_t n;
    EXPECT(tlsplug_context_new(&ctx), TLSPLUG_OK);
    if (o->key) {
        uint8_t *p = read_file(o->key, &n);
        EXPECT(tlsplug_context_add_key(ctx, p, n, NULL), TLSPLUG_OK);
        free(p);
    }
    if (o->cert) {
        uint8_t *p = read_file(o->cert, &n);
        EXPECT(tlsplug_context_add_cert(ctx, p, n), TLSPLUG_OK);
        free(p);
    }
    if (o->ca) {
        uint8_t *p = read_file(o->ca, &n);
        EXPECT(tlsplug_context_add_ca(ctx, p, n), TLSPLUG_OK);
        free(p);
    }
    return ctx;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void flush(tlsplug_socket *s, int fd)
{
    uint8_t buf[16384];
    size_t n;
    while (tlsplug_socket_pull(s, buf, sizeof buf, &n) == TLSPLUG_OK && n > 0) {
        for (size_t off = 0; off < n;) {
            ssize_t w = send(fd, buf + off, n - off, MSG_NOSIGNAL);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                return; /* the peer went away; the state tells the rest */
            off += (size_t)w;
        }
    }
}

/* Pump until the handshake completes or fails; answers the state bits. */
static unsigned handshake(tlsplug_socket *s, int fd)
{
    long long deadline = now_ms() + TIMEOUT_MS;
    for (;;) {
        flush(s, fd);
        unsigned st = 0;
        EXPECT(tlsplug_socket_state(s, &st), TLSPLUG_OK);
        if (st & (TLSPLUG_STATE_SECURE | TLSPLUG_STATE_ERROR | TLSPLUG_STATE_CLOSED))
            return st;
        long long left = deadline - now_ms();
        if (left <= 0)
            die("handshake timed out");
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int r = poll(&pfd, 1, (int)left);
        if (r < 0 && errno != EINTR)
            die("poll: %s", strerror(errno));
        if (r <= 0)
            continue;
        uint8_t buf[16384];
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n > 0)
            tlsplug_socket_feed(s, buf, (size_t)n);
        else if (n == 0)
            tlsplug_socket_feed_eof(s);
        else if (errno != EINTR)
            die("recv: %s", strerror(errno));
    }
}

static int peer_plain(void *s, char *b, size_t c, size_t *l)
{
    return tlsplug_socket_get_peer_certificate(s, 0, b, c, l);
}
static int peer_detailed(void *s, char *b, size_t c, size_t *l)
{
    return tlsplug_socket_get_peer_certificate(s, 1, b, c, l);
}
static int own_cert(void *s, char *b, size_t c, size_t *l)
{
    return tlsplug_socket_get_certificate(s, b, c, l);
}

/* Before the handshake there is nothing to tell. */
static void check_unavailable(tlsplug_socket *s)
{
    char b[64];
    size_t len;
    EXPECT(tlsplug_socket_get_peer_certificate(s, 0, b, sizeof b, &len), TLSPLUG_E_UNAVAILABLE);
    EXPECT(tlsplug_socket_get_peer_certificate(s, 1, b, sizeof b, &len), TLSPLUG_E_UNAVAILABLE);
    EXPECT(tlsplug_socket_get_certificate(s, b, sizeof b, &len), TLSPLUG_E_UNAVAILABLE);
    EXPECT(tlsplug_socket_peer_cert_field(s, 0, TLSPLUG_CERT_RAW, (uint8_t *)b, sizeof b, &len),
           TLSPLUG_E_UNAVAILABLE);
}

static void check_bad_args(tlsplug_socket *s)
{
    char b[64];
    size_t len;
    EXPECT(tlsplug_socket_get_peer_certificate(s, 0, b, sizeof b, NULL), TLSPLUG_E_INVAL);
    EXPECT(tlsplug_socket_get_peer_certificate(s, 0, NULL, 10, &len), TLSPLUG_E_INVAL);
    EXPECT(tlsplug_socket_get_certificate(s, NULL, 10, &len), TLSPLUG_E_INVAL);
    EXPECT(tlsplug_socket_peer_cert_field(s, 0, 0, (uint8_t *)b, sizeof b, &len), TLSPLUG_E_INVAL);
    EXPECT(tlsplug_socket_peer_cert_field(s, 0, TLSPLUG_CERT_RAW + 1, (uint8_t *)b, sizeof b, &len),
           TLSPLUG_E_INVAL);
    EXPECT(tlsplug_socket_peer_cert_field(s, 0, TLSPLUG_CERT_RAW, (uint8_t *)b, sizeof b, NULL),
           TLSPLUG_E_INVAL);
    EXPECT(tlsplug_socket_get_peer_certificate(NULL, 0, b, sizeof b, &len), TLSPLUG_E_BADHANDLE);
    EXPECT(tlsplug_socket_get_certificate(NULL, b, sizeof b, &len), TLSPLUG_E_BADHANDLE);
    EXPECT(tlsplug_socket_peer_cert_field(NULL, 0, 1, (uint8_t *)b, sizeof b, &len),
           TLSPLUG_E_BADHANDLE);
}

static const char *const field_names[] = {NULL, "SUBJECT_CN", "ISSUER_CN", "SUBJECT_ALT_NAME",
                                          "SERIAL_NUMBER", "VALID_FROM", "VALID_TO", "FINGERPRINT",
                                          "FINGERPRINT256", "FINGERPRINT512", "RAW"};

/* One depth's fields as a JSON object; 0 when there is no certificate
 * there (every field then answers E_UNAVAILABLE). */
static int print_fields(tlsplug_socket *s, unsigned depth)
{
    size_t len;
    uint8_t small[1];
    int rc = tlsplug_socket_peer_cert_field(s, depth, TLSPLUG_CERT_RAW, small, 0, &len);
    if (rc == TLSPLUG_E_UNAVAILABLE) {
        for (int f = TLSPLUG_CERT_SUBJECT_CN; f <= TLSPLUG_CERT_RAW; f++)
            EXPECT(tlsplug_socket_peer_cert_field(s, depth, f, small, sizeof small, &len),
                   TLSPLUG_E_UNAVAILABLE);
        return 0;
    }
    EXPECT(rc, TLSPLUG_E_BUFSIZE);
    printf("%s{", depth ? "," : "");
    for (int f = TLSPLUG_CERT_SUBJECT_CN; f <= TLSPLUG_CERT_RAW; f++) {
        printf("%s\"%s\":", f > 1 ? "," : "", field_names[f]);
        size_t need = 0;
        rc = tlsplug_socket_peer_cert_field(s, depth, f, NULL, 0, &need);
        if (rc == TLSPLUG_E_UNAVAILABLE) {
            printf("null");
            continue;
        }
        EXPECT(rc, TLSPLUG_E_BUFSIZE);
        int text = f != TLSPLUG_CERT_RAW;
        uint8_t *buf = malloc(need + 1);
        if (!buf)
            die("out of memory");
        memset(buf, 'X', need + 1);
        if (need + text > 0) /* one byte short (text needs one for its NUL) */
            EXPECT(tlsplug_socket_peer_cert_field(s, depth, f, buf, need + text - 1, &len),
                   TLSPLUG_E_BUFSIZE);
        EXPECT(tlsplug_socket_peer_cert_field(s, depth, f, buf, need + text, &len), TLSPLUG_OK);
        if (len != need || (text && buf[need] != 0))
            die("field %s: length %zu after %zu, NUL %d", field_names[f], len, need, buf[need]);
        if (text) {
            print_json_string(buf, len);
        } else {
            putchar('"');
            for (size_t i = 0; i < len; i++)
                printf("%02x", buf[i]);
            putchar('"');
        }
        free(buf);
    }
    printf("}");
    return 1;
}

static void print_text_member(const char *name, text_fn fn, tlsplug_socket *s)
{
    int status;
    size_t n = 0; /* set by get_text; gcc -O2 cannot tell */
    char *t = get_text(fn, s, &status, &n);
    EXPECT(status, TLSPLUG_OK);
    if (strlen(t) != n)
        die("%s: NUL inside the JSON", name);
    printf(",\"%s\":%s", name, t);
    free(t);
}

static void report(tlsplug_socket *s, unsigned st)
{
    if (!(st & TLSPLUG_STATE_SECURE)) {
        char code[128] = "", msg[512] = "";
        size_t l;
        tlsplug_error_get(s, TLSPLUG_ERROR_CODE, code, sizeof code, &l);
        tlsplug_error_get(s, TLSPLUG_ERROR_MESSAGE, msg, sizeof msg, &l);
        die("the handshake failed: %s: %s", code, msg);
    }
    int authorized = -1;
    EXPECT(tlsplug_socket_authorized(s, &authorized), TLSPLUG_OK);
    check_bad_args(s);
    printf("{\"authorized\":%s", authorized ? "true" : "false");
    print_text_member("peer", peer_plain, s);
    print_text_member("detailed", peer_detailed, s);
    print_text_member("own", own_cert, s);
    printf(",\"fields\":[");
    for (unsigned d = 0; print_fields(s, d); d++)
        if (d > 16)
            die("more than 16 certificates at the peer");
    printf("]}\n");
}

static int parse_opts(int argc, char **argv, int i, opts *o)
{
    memset(o, 0, sizeof *o);
    o->reject = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = !strcmp(a, "--key")          ? &o->key
                            : !strcmp(a, "--cert")       ? &o->cert
                            : !strcmp(a, "--ca")         ? &o->ca
                            : !strcmp(a, "--servername") ? &o->servername
                                                         : NULL;
        if (slot && i + 1 < argc)
            *slot = argv[++i];
        else if (!strcmp(a, "--request-cert"))
            o->request_cert = 1;
        else if (!strcmp(a, "--no-reject"))
            o->reject = 0;
        else
            die("unknown option %s", a);
    }
    return 0;
}

static tlsplug_socket *make_socket(const opts *o, int role)
{
    tlsplug_context *ctx = make_context(o);
    tlsplug_socket *s;
    EXPECT(tlsplug_socket_new(ctx, role, &s), TLSPLUG_OK);
    EXPECT(tlsplug_context_free(ctx), TLSPLUG_OK);
    EXPECT(tlsplug_socket_set_reject_unauthorized(s, o->reject), TLSPLUG_OK);
    if (role == TLSPLUG_ROLE_CLIENT && o->servername)
        EXPECT(tlsplug_socket_set_servername(s, o->servername), TLSPLUG_OK);
    if (role == TLSPLUG_ROLE_SERVER)
        EXPECT(tlsplug_socket_set_request_cert(s, o->request_cert), TLSPLUG_OK);
    check_unavailable(s);
    return s;
}

static void finish(tlsplug_socket *s, int fd)
{
    tlsplug_socket_end(s);
    flush(s, fd);
    shutdown(fd, SHUT_WR);
    /* Read until the peer closes too (bounded): closing with unread input
     * would reset the connection under the peer's feet. */
    long long deadline = now_ms() + TIMEOUT_MS;
    for (;;) {
        long long left = deadline - now_ms();
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
            break;
        uint8_t buf[4096];
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n == 0 || (n < 0 && errno != EINTR))
            break;
    }
    close(fd);
    EXPECT(tlsplug_socket_free(s), TLSPLUG_OK);
}

static int run_client(int argc, char **argv)
{
    if (argc < 3)
        die("client needs a port");
    opts o;
    parse_opts(argc, argv, 3, &o);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
        die("connect: %s", strerror(errno));
    tlsplug_socket *s = make_socket(&o, TLSPLUG_ROLE_CLIENT);
    EXPECT(tlsplug_socket_start(s), TLSPLUG_OK);
    check_unavailable(s);
    report(s, handshake(s, fd));
    finish(s, fd);
    return 0;
}

static int run_server(int argc, char **argv)
{
    opts o;
    parse_opts(argc, argv, 2, &o);
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 1) < 0 ||
        getsockname(lfd, (struct sockaddr *)&sa, &sl) < 0)
        die("listen: %s", strerror(errno));
    printf("PORT %d\n", ntohs(sa.sin_port));
    fflush(stdout);
    struct pollfd pfd = {.fd = lfd, .events = POLLIN};
    if (poll(&pfd, 1, TIMEOUT_MS) != 1)
        die("no connection came");
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0)
        die("accept: %s", strerror(errno));
    close(lfd);
    tlsplug_socket *s = make_socket(&o, TLSPLUG_ROLE_SERVER);
    EXPECT(tlsplug_socket_start(s), TLSPLUG_OK);
    check_unavailable(s);
    report(s, handshake(s, fd));
    finish(s, fd);
    return 0;
}

/* ---- no socket --------------------------------------------------------------- */

typedef struct der_arg {
    const uint8_t *p;
    size_t n;
} der_arg;

static int to_json(void *a, char *b, size_t c, size_t *l)
{
    der_arg *d = a;
    return tlsplug_cert_to_json(d->p, d->n, b, c, l);
}

/* Bytes that are not a certificate answer E_CREDENTIALS, for both calls. */
static void check_not_certs(const uint8_t *der, size_t n)
{
    static const uint8_t junk[] = "hello, I am not a certificate";
    const struct {
        const uint8_t *p;
        size_t n;
    } bad[] = {{junk, sizeof junk - 1}, {der, n / 2}, {der, 1}, {der + 1, n - 1}};
    char b[256];
    size_t len = 99;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        EXPECT(tlsplug_cert_to_json(bad[i].p, bad[i].n, b, sizeof b, &len), TLSPLUG_E_CREDENTIALS);
        EXPECT(tlsplug_check_server_identity("localhost", bad[i].p, bad[i].n, b, sizeof b, &len),
               TLSPLUG_E_CREDENTIALS);
    }
    EXPECT(tlsplug_cert_to_json(der, 0, b, sizeof b, &len), TLSPLUG_E_CREDENTIALS);
    EXPECT(tlsplug_cert_to_json(NULL, 10, b, sizeof b, &len), TLSPLUG_E_INVAL);
    EXPECT(tlsplug_cert_to_json(der, n, NULL, 10, &len), TLSPLUG_E_INVAL);
    EXPECT(tlsplug_cert_to_json(der, n, b, sizeof b, NULL), TLSPLUG_E_INVAL);
    EXPECT(tlsplug_check_server_identity(NULL, der, n, b, sizeof b, &len), TLSPLUG_E_INVAL);
    EXPECT(tlsplug_check_server_identity("localhost", NULL, n, b, sizeof b, &len), TLSPLUG_E_INVAL);
    EXPECT(tlsplug_check_server_identity("localhost", der, n, NULL, 10, &len), TLSPLUG_E_INVAL);
    EXPECT(tlsplug_check_server_identity("localhost", der, n, b, sizeof b, NULL), TLSPLUG_E_INVAL);
}

static int run_json(int argc, char **argv)
{
    printf("[");
    for (int i = 2; i < argc; i++) {
        der_arg d;
        uint8_t *p = read_file(argv[i], &d.n);
        d.p = p;
        check_not_certs(p, d.n);
        int status;
        size_t n;
        char *t = get_text(to_json, &d, &status, &n);
        printf("%s", i > 2 ? "," : "");
        if (t && status == TLSPLUG_OK)
            printf("%s", t);
        else
            printf("\"%s\"", tlsplug_status_name(status));
        free(t);
        free(p);
    }
    printf("]\n");
    return 0;
}

static int run_identity(int argc, char **argv)
{
    if (argc < 3)
        die("identity needs a DER file");
    size_t n;
    uint8_t *der = read_file(argv[2], &n);
    check_not_certs(der, n);
    printf("[");
    for (int i = 3; i < argc; i++) {
        const char *host = argv[i];
        size_t len = 777;
        char *why = NULL;
        int rc = tlsplug_check_server_identity(host, der, n, NULL, 0, &len);
        if (rc == TLSPLUG_OK) {
            if (len != 0)
                die("%s: a match with reason length %zu", host, len);
            char b[4] = "zz";
            EXPECT(tlsplug_check_server_identity(host, der, n, b, sizeof b, &len), TLSPLUG_OK);
            if (len != 0 || b[0] != 0)
                die("%s: a match left a reason", host);
        } else {
            /* A mismatch answers E_VERIFY whatever the buffer: the full
             * length, and the reason cut to what fits. */
            EXPECT(rc, TLSPLUG_E_VERIFY);
            size_t need = len;
            if (need == 0)
                die("%s: a mismatch without a reason", host);
            why = malloc(need + 1);
            if (!why)
                die("out of memory");
            EXPECT(tlsplug_check_server_identity(host, der, n, why, need, &len), TLSPLUG_E_VERIFY);
            if (len != need || strlen(why) != need - 1)
                die("%s: cut reason: length %zu (want %zu), text %zu", host, len, need, strlen(why));
            rc = tlsplug_check_server_identity(host, der, n, why, need + 1, &len);
            EXPECT(rc, TLSPLUG_E_VERIFY);
            if (len != need || strlen(why) != need)
                die("%s: reason length %zu, text %zu, asked %zu", host, len, strlen(why), need);
        }
        printf("%s{\"host\":", i > 3 ? "," : "");
        print_json_string((const uint8_t *)host, strlen(host));
        printf(",\"status\":\"%s\",\"reason\":", tlsplug_status_name(rc));
        if (why)
            print_json_string((const uint8_t *)why, strlen(why));
        else
            printf("null");
        printf("}");
        free(why);
    }
    printf("]\n");
    free(der);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        die("usage: cert_dump client|server|json|identity ...");
    if (!strcmp(argv[1], "client"))
        return run_client(argc, argv);
    if (!strcmp(argv[1], "server"))
        return run_server(argc, argv);
    if (!strcmp(argv[1], "json"))
        return run_json(argc, argv);
    if (!strcmp(argv[1], "identity"))
        return run_identity(argc, argv);
    die("unknown mode %s", argv[1]);
}
