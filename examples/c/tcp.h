/* tcp: the plain-socket half of the examples. Listening, accepting and
 * connecting over TCP with non-blocking fds, and naming errno values the
 * way Node does (ECONNREFUSED, ECONNRESET, ...), since Node's error codes
 * for transport failures are libuv's errno names. Nothing TLS here. */
#ifndef TLSPLUG_EXAMPLE_TCP_H
#define TLSPLUG_EXAMPLE_TCP_H

#include <stddef.h>

/* Node's name for an errno value ("ECONNRESET"); "ERR_SYSTEM_ERROR" for
 * one this table does not know. The string is static. */
const char *tcp_errno_code(int err);

/* Put an fd in non-blocking mode; 0 or -1 (errno set). */
int tcp_set_nonblocking(int fd);

/* Bind and listen on host:port (port "0" picks an ephemeral one). Answers
 * the non-blocking listening fd and writes "ADDR:PORT" of what was really
 * bound (numeric, IPv6 in brackets) to `bound`; on failure -1 with the
 * reason in `err`. */
int tcp_listen(const char *host, const char *port, char *bound, size_t bound_cap, char *err,
               size_t err_cap);

/* Accept one connection: a non-blocking fd, or -1 when none is waiting
 * (errno EAGAIN) or on error. */
int tcp_accept(int listen_fd);

/* Connect to host:port within timeout_ms (<= 0: no limit). Answers a
 * connected non-blocking fd, or -1 with "CODE: message" in `err`, Node's
 * style ("ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:8000"). */
int tcp_connect(const char *host, const char *port, int timeout_ms, char *err, size_t err_cap);

#endif
