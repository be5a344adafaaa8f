/* pump_io: one tlsplug_socket over one TCP fd with poll() (see pump_io.h). */
#include "pump_io.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tcp.h"

/* recv() buffer, and how many reads one service call may make before it
 * lets the other connections of a poll loop have their turn. */
#define READ_CHUNK 65536
#define READS_PER_SERVICE 16

int64_t pump_io_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void pump_io_init(struct pump_io *io, tlsplug_socket *sock, int fd)
{
    memset(io, 0, sizeof *io);
    io->sock = sock;
    io->fd = fd;
    io->phase = PUMP_IO_ACTIVE;
}

void pump_io_set_timeout(struct pump_io *io, int timeout_ms, const char *code)
{
    io->deadline = timeout_ms > 0 ? pump_io_now_ms() + timeout_ms : 0;
    io->timeout_ms = timeout_ms;
    io->expiry_code = code ? code : "ETIMEDOUT";
}

static unsigned sock_state(const struct pump_io *io)
{
    unsigned flags = 0;
    if (tlsplug_socket_state(io->sock, &flags) != TLSPLUG_OK)
        return TLSPLUG_STATE_CLOSED; /* a dead handle has nothing left to say */
    return flags;
}

/* A transport failure ends the TLS socket the way Node's net layer ends a
 * TLSSocket: destroy(err), so `error` and `close` reach the host. */
static void transport_failed(struct pump_io *io, const char *op, int err)
{
    char msg[128];
    const char *code = tcp_errno_code(err);
    snprintf(msg, sizeof msg, "%s %s (%s)", op, code, strerror(err));
    tlsplug_socket_destroy(io->sock, code, msg);
}

static void close_fd(struct pump_io *io)
{
    if (io->fd >= 0)
        close(io->fd);
    io->fd = -1;
    io->phase = PUMP_IO_DONE;
}

/* Send pending ciphertext until the kernel's buffer is full. */
static void flush(struct pump_io *io)
{
    if (io->fd < 0)
        return;
    for (;;) {
        const uint8_t *p;
        size_t n;
        if (tlsplug_socket_peek_output(io->sock, &p, &n) != TLSPLUG_OK)
            return; /* nothing pending */
        if (io->write_failed) { /* nowhere to send it: drop it */
            tlsplug_socket_consume_output(io->sock, n);
            return;
        }
        /* MSG_NOSIGNAL: a peer that is gone must answer EPIPE, not kill us. */
        ssize_t w = send(io->fd, p, n, MSG_NOSIGNAL);
        if (w > 0) {
            tlsplug_socket_consume_output(io->sock, (size_t)w);
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        int err = w < 0 ? errno : EPIPE;
        io->write_failed = 1;
        transport_failed(io, "write", err);
    }
}

/* Once the TLS session is over and its last bytes are out, shut the write
 * side and drain the peer for a while (see pump_io.h for why). */
static void maybe_finish(struct pump_io *io)
{
    if (io->phase != PUMP_IO_ACTIVE)
        return;
    unsigned st = sock_state(io);
    if (!(st & TLSPLUG_STATE_CLOSED))
        return;
    if ((st & TLSPLUG_STATE_HAS_OUTPUT) && !io->write_failed)
        return;
    if (io->read_eof || io->write_failed) {
        close_fd(io); /* the peer is gone already: nothing to drain */
        return;
    }
    shutdown(io->fd, SHUT_WR);
    io->phase = PUMP_IO_LINGER;
    io->linger_until = pump_io_now_ms() + PUMP_IO_LINGER_MS;
    if (io->deadline && io->deadline < io->linger_until)
        io->linger_until = io->deadline;
}

void pump_io_prepare(struct pump_io *io, struct pollfd *pfd)
{
    pfd->fd = io->fd;
    pfd->events = 0;
    pfd->revents = 0;
    if (io->phase == PUMP_IO_ACTIVE) {
        flush(io);
        maybe_finish(io);
    }
    pfd->fd = io->fd; /* maybe_finish may have closed it */
    if (io->phase == PUMP_IO_LINGER) {
        pfd->events = POLLIN;
        return;
    }
    if (io->phase != PUMP_IO_ACTIVE)
        return;
    unsigned st = sock_state(io);
    size_t pending = 0;
    tlsplug_socket_pending_output(io->sock, &pending);
    if ((st & TLSPLUG_STATE_HAS_OUTPUT) && !io->write_failed)
        pfd->events |= POLLOUT;
    if (!io->read_eof && !(st & TLSPLUG_STATE_CLOSED) && pending < PUMP_IO_HIGH_WATER)
        pfd->events |= POLLIN;
}

/* Drain and drop input while lingering; the peer's EOF (or any error) ends it. */
static void linger_read(struct pump_io *io)
{
    uint8_t buf[4096];
    for (int i = 0; i < READS_PER_SERVICE; i++) {
        ssize_t r = recv(io->fd, buf, sizeof buf, 0);
        if (r > 0)
            continue;
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        close_fd(io);
        return;
    }
}

/* recv() into the TLS socket: feed the bytes, feed EOF at the end. */
static void read_into_socket(struct pump_io *io)
{
    uint8_t buf[READ_CHUNK];
    for (int i = 0; i < READS_PER_SERVICE && !io->read_eof; i++) {
        unsigned st = sock_state(io);
        if (st & TLSPLUG_STATE_CLOSED)
            return;
        size_t pending = 0;
        tlsplug_socket_pending_output(io->sock, &pending);
        if (pending >= PUMP_IO_HIGH_WATER)
            return; /* backpressure: let the output drain first */
        ssize_t r = recv(io->fd, buf, sizeof buf, 0);
        if (r > 0) {
            /* A failure here is the socket's own (a bad record, a failed
             * verification): it has emitted `error` and `close` already,
             * and its alert waits in the output for flush(). */
            if (tlsplug_socket_feed(io->sock, buf, (size_t)r) != TLSPLUG_OK)
                return;
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        io->read_eof = 1;
        if (r == 0)
            tlsplug_socket_feed_eof(io->sock); /* clean or truncated: the socket tells */
        else
            transport_failed(io, "read", errno);
    }
}

void pump_io_service(struct pump_io *io, short revents)
{
    if (io->phase == PUMP_IO_LINGER) {
        if (revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))
            linger_read(io);
        return;
    }
    if (io->phase != PUMP_IO_ACTIVE)
        return;
    /* POLLHUP and POLLERR are read as well: recv() says what happened. */
    if ((revents & (POLLIN | POLLHUP | POLLERR)) && !io->read_eof)
        read_into_socket(io);
    if (revents & POLLNVAL) {
        io->read_eof = 1;
        io->write_failed = 1;
        transport_failed(io, "poll", EBADF);
    }
    flush(io);
    maybe_finish(io);
}

int pump_io_poll_timeout(const struct pump_io *io, int64_t now)
{
    int64_t until = 0;
    if (io->phase == PUMP_IO_LINGER)
        until = io->linger_until;
    else if (io->phase == PUMP_IO_ACTIVE)
        until = io->deadline;
    if (!until)
        return -1;
    if (until <= now)
        return 0;
    return until - now > 0x7fffffff ? 0x7fffffff : (int)(until - now);
}

void pump_io_tick(struct pump_io *io, int64_t now)
{
    if (io->phase == PUMP_IO_LINGER && now >= io->linger_until) {
        close_fd(io);
    } else if (io->phase == PUMP_IO_ACTIVE && io->deadline && now >= io->deadline) {
        char msg[96];
        snprintf(msg, sizeof msg, "the connection timed out after %d ms", io->timeout_ms);
        tlsplug_socket_destroy(io->sock, io->expiry_code, msg);
        close_fd(io);
    }
}

int pump_io_done(const struct pump_io *io)
{
    return io->phase == PUMP_IO_DONE;
}

void pump_io_abort(struct pump_io *io)
{
    close_fd(io);
}

int pump_io_run(struct pump_io *io)
{
    while (!pump_io_done(io)) {
        struct pollfd pfd;
        pump_io_prepare(io, &pfd);
        if (pump_io_done(io))
            break;
        int wait = pump_io_poll_timeout(io, pump_io_now_ms());
        if (pfd.events == 0 && wait < 0) {
            /* Nothing to send, nothing to read, no deadline: waiting would
             * be forever (a half-open socket the host never ends). */
            tlsplug_socket_destroy(io->sock, "ERR_STALLED", "the connection cannot progress");
            close_fd(io);
            return -1;
        }
        int r = poll(&pfd, 1, wait);
        if (r < 0 && errno != EINTR) {
            transport_failed(io, "poll", errno);
            close_fd(io);
            return -1;
        }
        if (r > 0)
            pump_io_service(io, pfd.revents);
        pump_io_tick(io, pump_io_now_ms());
    }
    return 0;
}
