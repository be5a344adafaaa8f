/* Shared pieces of the loop tests: an echo server on a loop (Node's doc
 * example: the server echoes what each client sends and ends when the
 * client ends) and a checking client that sends a seeded stream and
 * verifies the echo. Built on the pump tests' kit (testlib.h, pair.h). */
#ifndef LOOP_LOOPKIT_H
#define LOOP_LOOPKIT_H

#include "../pump/pair.h"
#include "../pump/testlib.h"

typedef struct lk_server {
    tlsplug_server *srv;
    tlsplug_context *ctx;
    int port;
    int listening, closed;
    size_t secure_connections, client_errors, connections_seen;
    size_t max_buffered; /* the largest echo bufferSize seen after a write */
    char last_client_error[64];
} lk_server;

/* Listen on 127.0.0.1 with an ephemeral port; runs the loop until
 * `listening` (so port is known). */
void lk_server_start(lk_server *s, tlsplug_loop *loop, pt_creds creds);
void lk_server_free(lk_server *s);
/* Register the recorder on a server made by hand. */
void lk_server_watch(lk_server *s);
/* Make a socket echo what it reads (with backpressure). */
void lk_echo_socket(tlsplug_socket *sock);

typedef struct lk_client {
    tlsplug_socket *sock;
    uint64_t seed;
    size_t total;      /* bytes to send and expect back */
    size_t sent, got;  /* progress */
    size_t chunk;      /* write size */
    int secure, ended, closed, had_error, authorized;
    char error_code[64];
    int pause_ms;      /* >0: pause reading for this long once, half way */
    int hold;          /* do not end once everything came back */
    int paused_once;
    size_t got_at_pause;
    size_t max_buffered; /* the largest bufferSize seen after a write */
    int drains;          /* `drain` events heard */
    tlsplug_loop *loop;
} lk_client;

/* The checking client's socket on `ctx`, not connected (c->loop, chunk,
 * pause_ms and hold are kept). */
void lk_client_begin(lk_client *c, tlsplug_context *ctx, size_t total, uint64_t seed);
/* Connect a checking client to 127.0.0.1:port that sends `total` bytes. */
void lk_client_start(lk_client *c, tlsplug_loop *loop, int port, size_t total, uint64_t seed);
void lk_client_free(lk_client *c);

/* Run the loop until `*flag` is non-zero or the timeout passes (fails). */
void lk_run_until(tlsplug_loop *loop, const int *flag, int timeout_ms);

#endif
