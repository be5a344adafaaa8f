/* The IO layer's internals: a libuv loop (loop.c) that drives sockets over
 * real file descriptors (loop_conn.c, loop_connect.c, loop_stream.c) and
 * servers that listen (loop_server.c). The engine knows nothing of it: a
 * connection installs its transport table on the socket (tp_conn_transport),
 * and a listener its detach hook on the server. */
#ifndef TLSPLUG_LOOP_H
#define TLSPLUG_LOOP_H

#include <signal.h>
#include <stdbool.h>
#include <uv.h>

#include "error.h"
#include "object.h"
#include "server.h"
#include "driver.h" /* the socket, through the driver API only */

typedef struct tp_timer tp_timer;
typedef struct tp_conn tp_conn;
typedef struct tp_listener tp_listener;
struct tp_store_watch;

/* libuv writes with write(), which raises SIGPIPE on a reset connection
 * (Node ignores SIGPIPE process-wide; a library must not): SIGPIPE is held
 * for this thread around libuv's writes, and one it raised meanwhile is
 * taken back. */
typedef struct tp_sigpipe_guard {
    sigset_t old;
    int was_pending;
    int active; /* SIGPIPE was not ignored: the mask was changed */
} tp_sigpipe_guard;

struct tlsplug_loop {
    TP_OBJECT_HEAD;
    uintptr_t handle;
    uv_loop_t uv;
    /* Work that must not run inside the call that caused it (events the
     * host must hear from the loop, not from its own call): a list of
     * connections and listeners, run from an idle handle, which also tells
     * an embedding host (next timeout 0) that the loop has work now.
     * An item is on at most one list: queued for the next turn (due_*),
     * or in the batch this turn is working through (batch_*). Any callback
     * run from the batch may free other items; freeing one unlinks it
     * from whichever list holds it (tp_conn_undue, tp_listener_undue), so
     * the walk, which takes the batch's head each time, never meets it. */
    uv_idle_t idle;
    tp_conn *due_conns, *batch_conns;
    tp_listener *due_listeners, *batch_listeners;
    uv_timer_t run_deadline; /* tlsplug_loop_run_for */
    tp_conn *conns;          /* every connection, for tlsplug_loop_free */
    tp_listener *listeners;
    tp_timer *timers;
    size_t next_timer_id;
    int running; /* inside uv_run: no nested run, no free */
    /* uv_write requests not yet called back: libuv may write() them, and
     * so raise SIGPIPE, during a run call. A run holds SIGPIPE only while
     * there are some (from its start, or from the first one queued inside
     * it: tp_loop_write_queued); a run with none makes no signal call. */
    unsigned writes_queued;
    tp_sigpipe_guard run_guard;
    int run_guard_held;
    /* Name lookups handed to libuv's thread pool whose callback has not
     * run: the worker writes into `uv` when getaddrinfo returns, so the
     * loop's memory must outlive them (tlsplug_loop_free waits). */
    int lookups;
    uint8_t read_buf[65536]; /* every connection's libuv reads (loop_conn.c) */
};
TP_OBJECT_CHECK(struct tlsplug_loop);

/* ---- connections (loop_conn.c) ---- */

/* Deferred work a connection has (bits of tp_conn.due). */
enum {
    TP_DUE_RESOLVE = 1,   /* start resolving / connecting */
    TP_DUE_DRAIN = 2,     /* emit DRAIN */
    TP_DUE_WRITE_ERR = 4, /* a write failed: fail the socket */
    TP_DUE_PUMP = 8,      /* resume(): deliver what waited */
    TP_DUE_READ_ERR = 16, /* a straight read failed: fail the socket */
};

/* What connecting by host or path needs (tls.connect), made by connect
 * and dropped once the transport is up: an accepted or adopted connection
 * never has one. */
typedef struct tp_dial {
    uv_connect_t connect_req;
    uv_getaddrinfo_t gai_req;
    char *host;          /* the name to resolve, or the path */
    int port;
    struct addrinfo *addrs, *next_addr; /* candidates still to try */
    char attempt[80]; /* "address:port" (or the path) being connected, for messages */
    int last_connect_err;
} tp_dial;

/* A uv_write in flight: only while the kernel refused part of the output. */
typedef struct tp_write {
    uv_write_t req;
    tp_buf buf; /* ciphertext handed to uv_write (tp_driver_take_output) */
} tp_write;

/* An idle connection keeps only its stream handle here: the requests and
 * the timer are made when needed and dropped after (the idle-memory
 * target, tests/bench/README.md). */
struct tp_conn {
    struct tlsplug_loop *loop;
    struct tlsplug_socket *sock; /* NULL once the socket is gone */
    uintptr_t sock_handle;       /* for the loop-owned (accepted) socket's free */
    struct tlsplug_server *srv;  /* the accepting server (a reference), or NULL */
    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } io;
    /* The handshake deadline and setTimeout, while either is set (its
     * handle is closed when neither is); NULL otherwise. */
    uv_timer_t *timer;
    tp_write *write; /* the uv_write in flight, or NULL */
    /* Connecting (tls.connect), or NULL. */
    tp_dial *dial;

    /* State, one bit each. */
    bool owned : 1;     /* accepted by a server: freed after CLOSE */
    bool is_pipe : 1;
    bool connecting : 1, retrying : 1, awaiting_lookup : 1;
    bool connected : 1;  /* the transport is up */
    bool reading : 1;    /* uv_read_start is on */
    bool writing : 1;    /* a uv_write is in flight */
    bool shut : 1;       /* uv_shutdown was asked */
    bool eof : 1;        /* the peer's FIN arrived */
    bool closing : 1;    /* uv_close was asked */
    bool abandoned : 1;  /* the loop is being freed */
    bool gai_active : 1; /* uv_getaddrinfo in flight */
    bool timeout_fired : 1; /* TIMEOUT was emitted for this idle period */
    int8_t no_delay, keep_alive; /* setNoDelay / setKeepAlive, -1 = not set */
    int ops;        /* handles (and a name lookup) not yet closed: each releases one */
    int write_err;  /* the failure TP_DUE_WRITE_ERR reports */
    int read_err;   /* the failure TP_DUE_READ_ERR reports */
    unsigned keep_alive_delay_s;
    unsigned due;
    uint64_t timer_due; /* when the timer fires, 0 when stopped */
    size_t timeout_ms;      /* setTimeout, 0 = off */
    uint64_t last_activity; /* uv_now of the last read or write */

    /* On loop->due_conns or ->batch_conns: the link that points here, or
     * NULL when on neither. */
    tp_conn *due_next, **due_pprev;
    tp_conn *prev, *next; /* loop->conns */
};

/* A connection for `s` on `loop` over a TCP or Unix stream handle, not
 * yet connected; NULL when out of memory. */
tp_conn *tp_conn_new(struct tlsplug_loop *loop, struct tlsplug_socket *s, int is_pipe);
/* Close the transport (CLOSE follows from the loop). */
void tp_conn_close(tp_conn *c);
/* The transport handle is closed: emit CLOSE, count the server's
 * connection, free a loop-owned socket, release the handle's op. */
void tp_conn_io_closed(tp_conn *c);
/* Drop one of c->ops; the last frees the connection. */
void tp_conn_release(tp_conn *c);
/* Take over a transport that is now connected (connect or accept): start
 * reading, apply the TCP options, flush what waits. */
void tp_conn_connected(tp_conn *c);
/* After any entry point on the socket: write what the pump produced, read
 * or stop reading, arm the timer, close when the session is over. Never
 * emits events (what would is made due). */
void tp_conn_kick(tp_conn *c);
/* The socket is being freed: close the transport, without events. */
void tp_conn_detach(tp_conn *c);
/* Queue deferred work (TP_DUE_*) for the loop's next turn. */
void tp_conn_due(tp_conn *c, unsigned what);
/* Take `c` off the deferred work (before its memory goes). */
void tp_conn_undue(tp_conn *c);
/* Run a connection's deferred work (from the loop's idle handle). */
void tp_conn_run_due(tp_conn *c);
/* The loop is being freed: close the transport at once, silently. */
void tp_conn_abandon(tp_conn *c);
/* Send ciphertext straight to the fd: the bytes the kernel took (0 when it
 * took none or the fd cannot be written now). Read straight from the fd:
 * the bytes read, 0 at the peer's FIN, -1 when nothing can be read now. */
size_t tp_conn_send_now(tp_conn *c, const giovec_t *iov, int iovcnt);
ssize_t tp_conn_recv_now(tp_conn *c, void *buf, size_t n);
/* The table a connection installs on its socket (the engine's transport
 * seam), and the connection behind a socket (NULL: not on a loop). */
extern const tp_transport tp_conn_transport;
tp_conn *tp_conn_of(const struct tlsplug_socket *s);
/* One end of the transport as Node shows it (stream.c); -1 when unknown. */
int tp_conn_address(tp_conn *c, int side, char *text, size_t cap, int *port, int *family);
/* Apply setNoDelay / setKeepAlive once connected (stream.c). */
int tp_conn_apply_tcp(tp_conn *c);
/* The host's answer to LOOKUP_REQUEST (loop_connect.c). */
void tp_conn_lookup_answer(tp_conn *c, const char *address, const char *code);
/* Resolve and connect (loop_connect.c), from the loop's turn. */
void tp_conn_start_connect(tp_conn *c);
/* Drop what connecting needed (once connected, or as the connection goes). */
void tp_conn_free_dial(tp_conn *c);
/* Fail the socket for libuv error `err` while doing `what` ("connect",
 * "read", "getaddrinfo", ...), with Node's code and message. */
void tp_conn_fail(tp_conn *c, const char *what, int err, const char *where);

/* ---- servers (loop_server.c) ---- */

enum {
    TP_LDUE_LISTENING = 1,
    TP_LDUE_CLOSE = 2,
};

struct tp_listener {
    struct tlsplug_loop *loop;
    struct tlsplug_server *srv; /* a reference while listening; NULL once detached */
    int is_pipe;
    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } io;
    char *path;
    int closing;      /* close() was asked: no more accepts */
    int handle_closed;
    unsigned due;
    tp_listener *due_next, **due_pprev; /* as tp_conn's */
    tp_listener *prev, *next;           /* loop->listeners */
    struct tp_store_watch *store_watch; /* polls a remote session store (loop_store.c) */
};

/* The server handle is being freed: stop listening, without events. */
void tp_listener_detach(tp_listener *l);
void tp_listener_run_due(tp_listener *l);
void tp_listener_abandon(tp_listener *l);
/* Watch the server's session store if it answers later (at each accept:
 * the host may choose it after listening); stop watching. */
void tp_listener_watch_store(tp_listener *l);
void tp_listener_unwatch_store(tp_listener *l);
/* A connection of the server closed: count it, and finish close(). */
void tp_listener_connection_closed(struct tlsplug_server *srv);

/* ---- the loop (loop.c) ---- */

struct tlsplug_loop *tp_loop_enter(const void *h);
/* Make the idle handle run the due work. */
void tp_loop_wake(struct tlsplug_loop *loop);
void tp_loop_due_listener(tp_listener *l, unsigned what);
/* Take `l` off the deferred work (before its memory goes). */
void tp_listener_undue(tp_listener *l);

void tp_sigpipe_hold(tp_sigpipe_guard *g);
void tp_sigpipe_release(tp_sigpipe_guard *g);
/* A uv_write was queued on this loop; one was called back. */
void tp_loop_write_queued(struct tlsplug_loop *loop);
void tp_loop_write_done(struct tlsplug_loop *loop);

/* An IPv4 or IPv6 address as Node shows it: text, port, family 4 / 6;
 * -1 for any other family. */
int tp_sockaddr_describe(const struct sockaddr *sa, char *text, size_t cap, int *port, int *family);

/* Node's code for a libuv error: ENOTFOUND for names that do not resolve. */
const char *tp_uv_code(int err);

#endif
