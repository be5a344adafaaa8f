/* The driver API: what a layer that owns a socket's transport (the loop)
 * may do with the socket, and all it may know of it.
 *
 * The engine calls a driver through the tp_transport table it installs
 * (socket.h, "seams"); the driver calls the engine through the functions
 * below, and never reads or writes a field of struct tlsplug_socket
 * itself (tests/layers/check_layers.py fails a file in src/loop/ that
 * does). So the socket's layout, its re-entrancy count and the rules
 * between its flags stay the engine's, and a second driver (another event
 * loop) would need exactly this list.
 *
 * The accessors a driver calls on every read, write and kick are static
 * inline: they compile to the same loads and stores the loop made itself
 * (the loop benchmarks' instruction counts hold it to that). The rest is
 * in driver.c.
 *
 * A driver holds the socket's pointer, not its handle: the engine detaches
 * the transport (tp_transport.detach) before the memory goes, so a pointer
 * the driver still holds is live. Entry points a driver defines on a socket
 * handle (tlsplug_socket_set_timeout, ...) open and close with
 * tp_socket_enter / tp_socket_leave, as every entry point does. */
#ifndef TLSPLUG_DRIVER_H
#define TLSPLUG_DRIVER_H

#include <string.h>

#include "socket.h"

/* ---- taking the transport over ---- */

/* Install the driver's transport table on `s` (the engine then sends and
 * reads through it), or take it off again: the driver forgets the socket
 * (closed, freed, or the attach failed). */
static inline void tp_driver_attach(struct tlsplug_socket *s, const tp_transport *t, void *ctx)
{
    tp_socket_set_transport(s, t, ctx);
}
static inline void tp_driver_detach(struct tlsplug_socket *s)
{
    tp_socket_set_transport(s, NULL, NULL);
}
/* The driver's context when `t` is the table installed on `s`, else NULL:
 * how a driver's entry points find their connection, and tell a socket on
 * another driver (or on none: the host drives the pump) from their own. */
static inline void *tp_driver_transport_of(const struct tlsplug_socket *s, const tp_transport *t)
{
    return s->transport == t ? s->transport_ctx : NULL;
}
/* Whether any driver's transport is installed. */
static inline int tp_driver_has_transport(const struct tlsplug_socket *s)
{
    return s->transport != NULL;
}
/* The socket's handle, for the public calls a driver makes on it
 * (tp_api_socket_start, _feed_eof, _tick, _free) and for freeing a socket
 * the driver owns after its pointer is gone. */
static inline uintptr_t tp_driver_handle(const struct tlsplug_socket *s)
{
    return s->handle;
}

/* ---- re-entrancy ----
 * A driver calls into the socket from its own callbacks (a read, a timer,
 * a write's completion). Bracket those calls like an entry point: the
 * host's event callbacks may call back in, or free the socket, and the
 * socket's memory and the transport's after_call must wait for the
 * outermost leave. */
static inline void tp_driver_enter(struct tlsplug_socket *s)
{
    s->depth++;
}
/* Leave what tp_driver_enter entered: the outermost leave frees a socket
 * freed meanwhile, or calls the transport's after_call (the kick). Touch
 * `s` no more afterwards unless the driver still holds it (its detach
 * clears the pointer). */
static inline void tp_driver_leave(struct tlsplug_socket *s)
{
    tp_socket_leave(s, 0);
}
/* The host freed the socket inside the current entry: its memory goes at
 * the outermost leave, and nothing but leaving may touch it now. */
static inline int tp_driver_freed(const struct tlsplug_socket *s)
{
    return s->freed;
}

/* ---- input ---- */

/* Ciphertext the transport read: lent to GnuTLS for the call (only what it
 * leaves is copied), counted, pumped; failures become the socket's events.
 * Inside tp_driver_enter. */
static inline void tp_driver_feed(struct tlsplug_socket *s, const uint8_t *data, size_t len)
{
    tp_pump_feed(s, data, len);
}
/* Whether the driver should read now: the session is open, the socket is
 * not paused (a paused socket still completes its handshake: Node reads
 * until `secure`), and less ciphertext waits than the engine will hold
 * (tp_socket_in_limit), so a slow reader pushes back on its peer. */
static inline int tp_driver_wants_read(const struct tlsplug_socket *s)
{
    return !s->closed && !(s->paused && s->secure) && tp_buf_len(&s->in) < tp_socket_in_limit(s);
}

/* ---- output ----
 * The ciphertext the engine produced waits in one buffer. A driver sends
 * from it in place, or moves the whole buffer into its own write request
 * (no copy); the engine starts a fresh one. */

/* The server waits for the host's newSession answer: nothing may be sent
 * yet (not even what already waits), as Node holds the Finished. */
static inline int tp_driver_holds_output(const struct tlsplug_socket *s)
{
    return s->hold_output;
}
/* How much ciphertext waits (held or not). */
static inline size_t tp_driver_output_len(const struct tlsplug_socket *s)
{
    return tp_buf_len(&s->out);
}
/* The waiting ciphertext, in place: its length, and *p its first byte. */
static inline size_t tp_driver_output(const struct tlsplug_socket *s, const uint8_t **p)
{
    *p = tp_buf_peek(&s->out);
    return tp_buf_len(&s->out);
}
/* The transport wrote `n` bytes the engine did not hand over (GnuTLS's
 * straight send_now, or a write request's moved buffer completing):
 * Node's bytesWritten counts them. */
static inline void tp_driver_sent(struct tlsplug_socket *s, size_t n)
{
    s->bytes_pulled += n;
}
/* The transport wrote the first `n` bytes of tp_driver_output: they leave
 * the buffer and are counted. */
static inline void tp_driver_output_sent(struct tlsplug_socket *s, size_t n)
{
    tp_buf_consume(&s->out, n);
    s->bytes_pulled += n;
}
/* Everything waiting was sent: give the buffer's memory back (an idle
 * connection keeps none). Answers whether DRAIN is now due, which the
 * driver emits from its own turn (tp_driver_drain), not inside the call
 * that wrote. */
static inline int tp_driver_output_emptied(struct tlsplug_socket *s)
{
    tp_buf_release_if_empty(&s->out);
    return s->need_drain && tp_socket_buffered(s) == 0;
}
/* Move the waiting ciphertext into `into` (an empty buffer the driver
 * owns, handed to its write request): the memory changes hands, no byte
 * is copied, and the engine's next output starts a fresh buffer. The
 * driver counts the bytes with tp_driver_sent once they are written, and
 * reports them as in flight meanwhile (tp_transport.inflight). */
static inline void tp_driver_take_output(struct tlsplug_socket *s, tp_buf *into)
{
    *into = s->out;
    memset(&s->out, 0, sizeof s->out);
}

/* ---- where the session is ---- */

/* The handshake was started (by tp_api_socket_start, or by the host). */
static inline int tp_driver_started(const struct tlsplug_socket *s)
{
    return s->started != 0;
}
/* The session is over (CLOSE follows once the driver closes the
 * transport): nothing more will be sent or read for it. */
static inline int tp_driver_closed(const struct tlsplug_socket *s)
{
    return s->closed;
}
/* This side's close_notify is queued (end()): once it is written the
 * driver shuts its sending half (the FIN), as Node's end() does. */
static inline int tp_driver_ended(const struct tlsplug_socket *s)
{
    return s->ended;
}
/* Both sides ended with close_notify and nothing failed: the last bytes
 * must reach the peer before the transport closes. (After destroy() or an
 * error the driver sends only what the kernel takes at once.) */
static inline int tp_driver_ended_orderly(const struct tlsplug_socket *s)
{
    return s->ended && s->peer_ended && !s->had_error;
}
/* The handshake deadline on the driver's clock while the first handshake
 * runs (tp_api_socket_tick enforces it), else 0. */
static inline uint64_t tp_driver_deadline(const struct tlsplug_socket *s)
{
    return s->deadline_ms && !s->secure ? s->deadline_ms : 0;
}
/* A client socket (connecting is for clients; adopting is for both). */
static inline int tp_driver_is_client(const struct tlsplug_socket *s)
{
    return s->role == TLSPLUG_ROLE_CLIENT;
}
/* The `lookup` option: the host resolves names (LOOKUP_REQUEST) instead of
 * the driver. A socket option, so it is set before any driver exists. */
static inline int tp_driver_host_lookup(const struct tlsplug_socket *s)
{
    return s->host_lookup;
}
static inline void tp_driver_set_host_lookup(struct tlsplug_socket *s, int enabled)
{
    s->host_lookup = enabled != 0;
}
/* Node checks the server's certificate against `servername`, else against
 * the host it connected to: set `host` unless a servername was given.
 * Answers TLSPLUG_OK or TLSPLUG_E_NOMEM. */
int tp_driver_default_servername(struct tlsplug_socket *s, const char *host);

/* ---- events and failures ---- */

/* An event of the transport's (CONNECT, LOOKUP, TIMEOUT, ...) to the
 * host; inside tp_driver_enter. Check tp_driver_freed and the state after:
 * the callback may free or destroy the socket. */
static inline void tp_driver_emit(struct tlsplug_socket *s, int event, const void *data, size_t len)
{
    tp_emit(s, event, data, len);
}
/* The transport is closed: Node's `close` (on a driver it waits for the
 * transport, see tp_socket_close); inside tp_driver_enter. */
static inline void tp_driver_emit_close(struct tlsplug_socket *s)
{
    tp_socket_emit_close(s);
}
/* DRAIN, if the buffered amount emptied after reaching the high-water mark
 * and the socket was not freed meanwhile; inside tp_driver_enter. */
static inline void tp_driver_drain(struct tlsplug_socket *s)
{
    if (!s->freed)
        tp_socket_maybe_drain(s);
}
/* Run the delivery resume() deferred to the driver's turn
 * (tp_transport.defer_pump), unless the socket was freed, closed or
 * paused again since; inside tp_driver_enter. */
static inline void tp_driver_pump_deferred(struct tlsplug_socket *s)
{
    if (!s->freed && !s->closed && !s->paused)
        tp_pump(s);
}
/* The transport failed (ECONNRESET, ECONNREFUSED, ENOTFOUND, ...): Node's
 * code and message go on the socket, which emits ERROR and CLOSE; on a
 * session already over only the detail is recorded. Inside
 * tp_driver_enter (or an entry point). Answers TLSPLUG_E_NET. */
int tp_driver_fail(struct tlsplug_socket *s, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Ciphertext the socket produced could not be written: as tp_driver_fail
 * while the session is open; after it closed (the peer's end crossed our
 * last writes) still one ERROR before CLOSE, unless there was one: data
 * was lost. */
void tp_driver_lost_output(struct tlsplug_socket *s, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The transport went away before it carried anything (an accept that
 * failed) or with its driver (the loop is freed): mark the session over,
 * with no ERROR and without sending anything more. */
static inline void tp_driver_close_quietly(struct tlsplug_socket *s)
{
    s->closed = 1;
}
/* An entry point the driver defines on the socket refuses the call (a bad
 * argument, a state it cannot serve, a socket option the system refused):
 * the detail goes on the socket's error for tlsplug_socket_error, with no
 * event. Answers `status`. */
int tp_driver_refuse(struct tlsplug_socket *s, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
