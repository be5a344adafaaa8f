/* tcp: listening, accepting and connecting over TCP (see tcp.h). */
#include "tcp.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pump_io.h" /* pump_io_now_ms: one clock for every deadline */

const char *tcp_errno_code(int err)
{
    /* The errors a TCP client or server actually meets; Node reports
     * them under these names. */
    static const struct {
        int err;
        const char *name;
    } names[] = {
        {ECONNREFUSED, "ECONNREFUSED"}, {ECONNRESET, "ECONNRESET"},
        {ECONNABORTED, "ECONNABORTED"}, {EPIPE, "EPIPE"},
        {ETIMEDOUT, "ETIMEDOUT"},       {EHOSTUNREACH, "EHOSTUNREACH"},
        {ENETUNREACH, "ENETUNREACH"},   {EADDRINUSE, "EADDRINUSE"},
        {EADDRNOTAVAIL, "EADDRNOTAVAIL"}, {EACCES, "EACCES"},
        {EAFNOSUPPORT, "EAFNOSUPPORT"}, {EMFILE, "EMFILE"},
        {ENOBUFS, "ENOBUFS"},           {ENOMEM, "ENOMEM"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].err == err)
            return names[i].name;
    return "ERR_SYSTEM_ERROR";
}

int tcp_set_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return -1;
    return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* "ADDR:PORT" of a socket address, numeric, IPv6 in brackets as in URLs. */
static void format_addr(const struct sockaddr *sa, socklen_t len, char *out, size_t cap)
{
    char host[64], serv[16];
    if (getnameinfo(sa, len, host, sizeof host, serv, sizeof serv,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(out, cap, "?");
        return;
    }
    snprintf(out, cap, sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, serv);
}

static struct addrinfo *resolve(const char *host, const char *port, int passive, char *err,
                                size_t err_cap)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        /* Node's code for a failed lookup. */
        snprintf(err, err_cap, "ENOTFOUND: getaddrinfo ENOTFOUND %s (%s)", host,
                 gai_strerror(rc));
        return NULL;
    }
    return res;
}

int tcp_listen(const char *host, const char *port, char *bound, size_t bound_cap, char *err,
               size_t err_cap)
{
    struct addrinfo *res = resolve(host, port, 1, err, err_cap);
    if (!res)
        return -1;
    int fd = -1, saved = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        /* A restarted server may rebind at once a port it just used. */
        int one = 1;
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 64) == 0 &&
            tcp_set_nonblocking(fd) == 0)
            break;
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        snprintf(err, err_cap, "%s: listen %s %s:%s", tcp_errno_code(saved),
                 tcp_errno_code(saved), host, port);
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
        format_addr((struct sockaddr *)&ss, len, bound, bound_cap);
    else
        snprintf(bound, bound_cap, "%s:%s", host, port);
    return fd;
}

int tcp_accept(int listen_fd)
{
    int fd;
    do
        fd = accept(listen_fd, NULL, NULL);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return -1;
    if (tcp_set_nonblocking(fd) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    /* TLS records are written whole; Nagle would only delay the small
     * ones (a handshake flight, an echoed line) behind a delayed ACK. */
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* Wait for a non-blocking connect to finish: 0, or -1 with errno. */
static int await_connect(int fd, int64_t deadline)
{
    for (;;) {
        int wait = -1;
        if (deadline) {
            int64_t left = deadline - pump_io_now_ms();
            if (left <= 0) {
                errno = ETIMEDOUT;
                return -1;
            }
            wait = (int)left;
        }
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int r = poll(&p, 1, wait);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            continue; /* the deadline check above answers */
        int soerr = 0;
        socklen_t len = sizeof soerr;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
            return -1;
        if (soerr) {
            errno = soerr;
            return -1;
        }
        return 0;
    }
}

int tcp_connect(const char *host, const char *port, int timeout_ms, char *err, size_t err_cap)
{
    struct addrinfo *res = resolve(host, port, 0, err, err_cap);
    if (!res)
        return -1;
    int64_t deadline = timeout_ms > 0 ? pump_io_now_ms() + timeout_ms : 0;
    int fd = -1, saved = 0;
    char where[96] = "?";
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        format_addr(ai->ai_addr, ai->ai_addrlen, where, sizeof where);
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        if (tcp_set_nonblocking(fd) == 0 &&
            (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
             ((errno == EINPROGRESS || errno == EINTR) && await_connect(fd, deadline) == 0)))
            break;
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        const char *code = tcp_errno_code(saved);
        snprintf(err, err_cap, "%s: connect %s %s", code, code, where);
        return -1;
    }
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}
