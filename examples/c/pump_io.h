/* pump_io: drive one tlsplug_socket over a connected non-blocking TCP fd.
 *
 * libtlsplug is sans-IO: it takes ciphertext with feed() and hands it out
 * with peek_output()/consume_output(). This is the smallest glue that moves
 * those bytes to and from a real socket with poll():
 *
 *   recv() -> tlsplug_socket_feed()      EOF -> tlsplug_socket_feed_eof()
 *   tlsplug_socket_peek_output() -> send() -> tlsplug_socket_consume_output()
 *
 * and closes the connection the polite way: once the TLS socket is CLOSED,
 * the last output (close_notify, or the alert of a failure) is sent, the
 * write side is shut, and what the peer still sends is read and dropped
 * for a short while before close(). Closing with unread input makes the
 * kernel answer with a RST instead of a FIN, and on some systems a RST
 * makes the peer drop what it had not read yet, the alert included: a
 * clear "certificate required" would become a bare ECONNRESET.
 *
 * A host with one connection and nothing else calls pump_io_run(). The
 * loop can also be the host's, so that one loop serves several
 * connections (the echo server) or a connection and other fds (the echo
 * client's stdin). For each pump_io, every round: pump_io_prepare() fills
 * its pollfd; poll() them all with a timeout no later than the smallest
 * pump_io_poll_timeout(); hand each result to pump_io_service(); call
 * pump_io_tick() to enforce deadlines; drop the pump_io once
 * pump_io_done().
 *
 * Transport failures (send() or recv() errors, the deadline) destroy the TLS
 * socket with Node's code (ECONNRESET, EPIPE, ETIMEDOUT...), so the host
 * sees them through the socket's `error` and `close` events like any other.
 * The pump_io never frees the tlsplug_socket: that stays the host's.
 */
#ifndef TLSPLUG_EXAMPLE_PUMP_IO_H
#define TLSPLUG_EXAMPLE_PUMP_IO_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "tlsplug.h"

/* Above this much ciphertext waiting to be sent, the connection stops
 * reading: an echo must not buffer without bound when its peer is slow to
 * read (Node's stream backpressure, in one number). */
#define PUMP_IO_HIGH_WATER (1024u * 1024u)

/* How long a closing connection keeps draining the peer's input. */
#define PUMP_IO_LINGER_MS 2000

enum pump_io_phase {
    PUMP_IO_ACTIVE, /* TLS is running */
    PUMP_IO_LINGER, /* TLS is over, all sent, write side shut: draining */
    PUMP_IO_DONE    /* fd closed */
};

struct pump_io {
    tlsplug_socket *sock;
    int fd; /* -1 once closed */
    enum pump_io_phase phase;
    int read_eof;           /* recv() answered EOF or failed: never read again */
    int write_failed;       /* send() failed: output can no longer go anywhere */
    int64_t deadline;       /* CLOCK_MONOTONIC ms; 0 for none */
    int timeout_ms;         /* what the deadline was set from, for the message */
    const char *expiry_code; /* Node's code to destroy with at the deadline */
    int64_t linger_until;
};

/* Milliseconds on CLOCK_MONOTONIC: the clock of every deadline here. */
int64_t pump_io_now_ms(void);

/* Take charge of `fd` (connected, non-blocking) for `sock` (started or
 * about to be). No deadline until pump_io_set_timeout(). */
void pump_io_init(struct pump_io *io, tlsplug_socket *sock, int fd);

/* Give the connection timeout_ms from now (<= 0: no limit); when it passes,
 * the socket is destroyed with `code` (NULL: "ETIMEDOUT") and the fd
 * closed. Callable again to move the deadline (Node's handshakeTimeout
 * then a socket timeout, for instance). */
void pump_io_set_timeout(struct pump_io *io, int timeout_ms, const char *code);

/* Send what can be sent now, advance the closing phases, and fill `pfd`
 * with what this connection waits for (events 0 when nothing). Call it
 * right before every poll(): it also sends what the host wrote since. */
void pump_io_prepare(struct pump_io *io, struct pollfd *pfd);

/* Act on what poll() reported for this connection's pollfd. */
void pump_io_service(struct pump_io *io, short revents);

/* Milliseconds until this connection's next deadline from `now`, or -1. */
int pump_io_poll_timeout(const struct pump_io *io, int64_t now);

/* Enforce the deadlines: the overall timeout and the end of lingering. */
void pump_io_tick(struct pump_io *io, int64_t now);

/* The fd is closed and nothing is left to do. */
int pump_io_done(const struct pump_io *io);

/* The whole loop for a host with one connection and nothing else to
 * watch: drive it until pump_io_done(). Answers 0, or -1 when it had to
 * give up on its own (poll() failed, or it would have waited forever); the
 * socket was then destroyed and the fd closed. How the TLS session ended
 * the host learns from its events. */
int pump_io_run(struct pump_io *io);

/* Close the fd now, whatever the phase (for a host that is exiting). */
void pump_io_abort(struct pump_io *io);

#endif
