/* TLSSocket internals shared by socket.c (lifecycle, options, events),
 * pump.c (the sans-IO engine) and socket_meta.c (connection metadata). */
#ifndef TLSPLUG_SOCKET_H
#define TLSPLUG_SOCKET_H

#include <gnutls/gnutls.h>
#include <stdbool.h>

#include "buf.h"
#include "context.h"
#include "error.h"
#include "event_queue.h"
#include "object.h"
#include "hello.h"
#include "tlsplug.h"

#include "abi_tables.h" /* TP_EV_COUNT, from the registry's events */

/* ---- seams ----
 * The engine never names the layers above it. They install tables of
 * functions on a socket instead, and the engine calls up only through
 * those (the shape of s2n's send/recv callbacks and BearSSL's
 * low_read/low_write). The other way, a driver calls the engine only
 * through the driver API (driver.h), never touching the fields below.
 *
 * A driver that owns the socket's transport (the loop) installs a
 * tp_transport: */
typedef struct tp_transport {
    /* Send ciphertext now: the bytes the transport took (0: none, or it
     * cannot be written now; the engine keeps the rest). */
    size_t (*send_now)(void *ctx, const giovec_t *iov, int iovcnt);
    /* Read ciphertext now: the bytes read, 0 at the peer's end, -1 when
     * nothing can be read now. */
    ssize_t (*recv_now)(void *ctx, void *buf, size_t n);
    /* The outermost entry point on the socket returned: send what it
     * produced, close the transport when the socket closed, re-arm. */
    void (*after_call)(void *ctx);
    /* The socket is being destroyed: close the transport, forget it. */
    void (*detach)(void *ctx);
    /* resume(): deliver what waits from the driver's next turn, as Node
     * does, rather than inside the host's call. */
    void (*defer_pump)(void *ctx);
    /* Ciphertext handed to the transport and not yet written out. */
    size_t (*inflight)(void *ctx);
} tp_transport;

/* A tls.Server that accepted the socket installs a tp_owner: */
typedef struct tp_owner {
    /* One of the server's events about this socket. */
    void (*emit)(struct tlsplug_server *srv, int event, struct tlsplug_socket *s,
                 const void *data, size_t len);
    /* Whether the server wants `event` at all (saves building a payload). */
    int (*listens)(struct tlsplug_server *srv, int event);
    /* The ClientHello was read: run the server's stages (SNICallback,
     * resumeSession, OCSPRequest); set hello_released once GnuTLS may read. */
    int (*hello_stages)(struct tlsplug_socket *s);
    /* The socket is being destroyed: drop its reference to the server. */
    void (*release)(struct tlsplug_server *srv);
} tp_owner;


/* An idle connection should cost little beyond GnuTLS's own session (the
 * idle-memory target is raw GnuTLS + 0.5 KiB): yes/no state is one bit
 * each (the `bool x : 1` fields, grouped so that they pack), and what only
 * some sockets or only failures need lives behind a pointer made on first
 * use (callbacks, the sticky error, the authorization code, a resumed
 * session's verdict). */
struct tlsplug_socket {
    TP_OBJECT_HEAD;
    int fatal;          /* the status every later pump call answers, 0 while healthy;
                           its detail is the head's `sticky` record, made then */
    uintptr_t handle;
    struct tlsplug_context *ctx;
    gnutls_session_t session;
    /* Re-entrancy: how many entry points are on the stack for this socket
     * (a driver's callbacks count too: tp_driver_enter), and whether it was
     * freed from inside one of them (`freed` below). */
    int depth;
    unsigned handshakes;   /* Node's count of recent handshakes (server) */

    /* Options. */
    char *servername;
    unsigned min_dh_size;  /* client: Node's minDHSize */
    unsigned data_batch;   /* the largest `data` event; 0 = one record */
    uint8_t *alpn;         /* ALPNProtocols in wire form; NULL when none */
    uint32_t alpn_len;     /* at most 64 KiB (tp_alpn_valid) */
    unsigned reneg_limit;  /* CLIENT_RENEG_LIMIT / _WINDOW when the socket was made */
    struct tlsplug_server *server; /* the server that accepted it, or NULL (opaque here) */
    const tp_owner *owner;         /* installed by that server */
    size_t deadline_ms;    /* handshake deadline on the host's clock; 0 = none */
    /* Waiting for tlsplug_socket_new_session_done(): output held (the
     * hello's questions wait in the hello: tp_hello). */
    int hold_output;
    unsigned reneg_window_s;
    uint8_t started;       /* 1 the handshake started, 2 the secure event was emitted */
    uint16_t max_fragment; /* setMaxSendFragment (512..16384); 0 = GnuTLS's maximum */
    /* A suite's id: a server's, the one post_client_hello pinned (hooks.c);
     * a client's, a ServerHello's refused as outside `ciphers` (the error's
     * message, pump.c). */
    uint8_t suite[2];
    uint8_t pinned_version; /* server: the pinned suite's gnutls_protocol_t; 0 when none */
    uint8_t pinned_flags;  /* its TP_SUITE_* flags */
    struct tp_psk *psk;    /* pskCallback (psk.c): made when the context has one */
    uint64_t last_handshake_ms;

    /* Yes/no state, one bit each. */
    bool reject_unauthorized : 1; /* these five: set_flag (socket.c) */
    bool request_cert : 1;
    bool allow_half_open : 1;
    bool custom_identity : 1;  /* client: the host checks the name (checkServerIdentity) */
    bool request_ocsp : 1;     /* client: emit OCSP_RESPONSE */
    bool pair : 1;             /* a SecurePair: both roles emit `secure` */
    bool no_renegotiation : 1; /* disableRenegotiation() */
    bool keylog : 1;           /* produce `keylog` events */
    bool sni_no_cert : 1;      /* the SNICallback answered a context without a certificate */
    bool hello_parsed : 1;     /* server: the ClientHello was read (hello / sni set) */
    bool alpn_refuse : 1;      /* ALPNCallback answered none: no_application_protocol */
    bool trace : 1;            /* enableTrace(): a TRACE event per handshake message */
    bool finish_pending : 1;   /* the handshake completed while output was held */
    bool stores_sessions : 1;  /* server with newSession: the handshake's records wait in `out` */
    bool reneg_requested : 1;  /* this side called renegotiate(): RENEGOTIATED follows */
    bool reauth : 1;           /* the handshake in progress is TLS 1.3 post-handshake auth */
    bool reneg_ticket : 1;     /* server: a renegotiation's ClientHello offers a ticket */
    /* The pump's input. */
    bool in_eof : 1;           /* the host said the transport ended */
    bool starved : 1;          /* GnuTLS asked for input and found none */
    bool read_blocked : 1;     /* read() needs more input than is buffered */
    /* Where the connection is. */
    bool hello_released : 1;   /* server: GnuTLS may read the client's first flight */
    bool secure : 1;           /* the first handshake completed */
    bool renegotiating : 1;    /* a later handshake is in progress */
    bool end_requested : 1;    /* end() was called; close_notify goes once possible */
    bool ended : 1;            /* close_notify queued */
    bool peer_ended : 1;       /* close_notify received (or clean EOF after our end) */
    bool closed : 1;           /* the session is over; CLOSE was emitted */
    bool had_error : 1;
    /* Verification. */
    bool authorized : 1;        /* set when the handshake completes */
    bool awaiting_identity : 1; /* waiting for tlsplug_socket_check_server_identity_done() */
    bool session_emitted : 1;   /* client: the TLS 1.2 `session` event was emitted */
    /* Stream behaviour (stream.c). */
    bool paused : 1;           /* pause(): `data` waits until resume() */
    bool need_drain : 1;       /* the buffered amount reached hwm: DRAIN once empty */
    bool host_lookup : 1;      /* the `lookup` option: the host resolves names */
    bool queue_on : 1;         /* set_event_queue(): events with no callback are queued */
    /* Freed from inside an entry point (the memory goes when the outermost
     * call returns: `depth` below). */
    bool freed : 1;
    uint8_t role; /* TLSPLUG_ROLE_* */
    uint8_t last_record_type; /* the outer content type of the last record header GnuTLS took */

    /* The pump's buffers. */
    tp_buf in;      /* ciphertext fed by the host, not yet read by GnuTLS */
    /* Ciphertext the host lent for the duration of one feed (read straight
     * from its buffer; what is left is copied to `in` as the feed returns).
     * Only while `in` is empty, so the order of bytes is simply lent, in. */
    const uint8_t *lent;
    size_t lent_len;
    tp_buf out;     /* ciphertext GnuTLS produced, for the host to pull */
    /* The host's own buffer during one write_pull: GnuTLS's records go
     * straight into it while `out` is empty (pump_batch.c). */
    struct tp_window *window;
    /* Cleartext written before the handshake completed: made by such a
     * write, freed once sent (most sockets never have one). */
    tp_buf *pending;
    /* Cleartext decrypted for one `data` event, while drain() fills it. */
    uint8_t *batch;
    size_t batch_len;

    /* Server, from the client's first bytes until the first handshake
     * ends: what the ClientHello said and the host's answers about it
     * (tp_hello; an idle connection holds none of it). */
    tp_hello *hello;
    char *sni;        /* server: the name the client sent in SNI, kept after the handshake */

    /* Node's authorizationError when not authorized (made then), or NULL. */
    char *auth_code;

    /* The latest handshake's Finished messages (verify_data), ours and the
     * peer's, in one block made to measure: their lengths, then their
     * bytes (tp_socket_finished); NULL before the first. */
    uint8_t *finished;

    /* Client: the latest session ticket (getTLSTicket), and the one its
     * ClientHello offered to resume with; each its length (2 bytes, big
     * endian, as on the wire) then its bytes: tp_socket_ticket(). */
    uint8_t *ticket;
    uint8_t *offered_ticket;
    /* Client: the verdict carried by the session being resumed, or NULL. */
    struct tp_resumed_verdict *resumed;

    /* Ciphertext counted in and out (Node's bytesRead / bytesWritten). */
    size_t bytes_fed, bytes_pulled;

    size_t hwm;        /* Node's writableHighWaterMark */
    /* The transport driving this socket (the loop's connection), or NULL
     * when the host drives the pump itself. */
    const tp_transport *transport;
    void *transport_ctx;

    /* Events: the callbacks set, one per bit of on_mask in event order (a
     * host sets a few of the events, so no table of all of them per
     * socket); NULL while none is set. tp_socket_callback() finds one. */
    uint64_t on_mask;
    struct tp_callback *on;
    /* For hosts that poll (tlsplug_socket_next_event): made with the first
     * event queued while queue_on, NULL otherwise. */
    tp_event_queue *queue;
};
TP_OBJECT_CHECK(struct tlsplug_socket);

struct tp_callback {
    tlsplug_event_cb cb;
    uintptr_t userdata;
};
_Static_assert(TP_EV_COUNT <= 64, "one bit of tlsplug_socket.on_mask per event");

/* Bytes the host answered (resumeSession, OCSPRequest). */
struct tp_answer {
    size_t len;
    uint8_t data[];
};

/* A resumed session's verdict (session.c takes it from the blob). */
struct tp_resumed_verdict {
    int authorized;
    uint8_t binding[32]; /* what it was computed against (session_mac.h) */
    char code[];         /* the authorization code, "" when authorized */
};

/* The longest authorization code kept, its NUL included (as OpenSSL's
 * verify reasons, and a session blob's one-byte length, need). */
#define TP_AUTH_CODE_MAX 64
/* Our (peer 0) or the peer's (1) latest Finished verify_data: its length
 * (0: none yet) and, through *p, its bytes. */
#define TP_FINISHED_MAX 64
static inline size_t tp_socket_finished(const struct tlsplug_socket *s, int peer, const uint8_t **p)
{
    const uint8_t *b = s->finished;
    if (!b)
        return 0;
    *p = b + 2 + (peer ? b[0] : 0);
    return b[peer];
}

/* A ticket block's length and, through *p, its bytes; 0 when none. */
static inline size_t tp_socket_ticket(const uint8_t *block, const uint8_t **p)
{
    if (!block)
        return 0;
    *p = block + 2;
    return (size_t)block[0] << 8 | block[1];
}
/* Keep a ticket (at most 65535 bytes, its wire length) in *block, made to
 * measure; out of memory the previous one stays. */
void tp_socket_keep_ticket(uint8_t **block, const uint8_t *t, size_t n);

/* Cleartext held for the handshake (pending). */
static inline size_t tp_socket_pending_len(const struct tlsplug_socket *s)
{
    return s->pending ? tp_buf_len(s->pending) : 0;
}
/* Forget the held cleartext (close, destroy). */
void tp_socket_drop_pending(struct tlsplug_socket *s);

/* The authorization code, "" when none. */
static inline const char *tp_socket_auth_code(const struct tlsplug_socket *s)
{
    return s->auth_code ? s->auth_code : "";
}

/* The callback set for `event`, or NULL when none is. */
static inline const struct tp_callback *tp_socket_callback(const struct tlsplug_socket *s, int event)
{
    uint64_t bit = (uint64_t)1 << event;
    if (!(s->on_mask & bit))
        return NULL;
    return &s->on[__builtin_popcountll(s->on_mask & (bit - 1))];
}
/* Whether a callback is set for `event` (the `data` one: flowing mode). */
static inline int tp_socket_has_callback(const struct tlsplug_socket *s, int event)
{
    return (s->on_mask >> event) & 1;
}

/* Create a socket on a context object (whose handle the host may already
 * have freed: a server keeps its own reference). Errors go on the context. */
int tp_socket_create(struct tlsplug_context *ctx, int role, struct tlsplug_socket **out_s,
                     tlsplug_socket **out);

/* psk.c: PSK credentials for a context with pskCallback; a GnuTLS status. */
int tp_psk_attach(struct tlsplug_socket *s);
void tp_psk_free(struct tlsplug_socket *s);
/* The alert OpenSSL sends for an identity the host refused; -1 otherwise. */
int tp_psk_refusal_alert(const struct tlsplug_socket *s, int err);

/* Look up a live socket and mark an entry point on its stack; NULL for a
 * bad handle. Every successful tp_socket_enter is paired with tp_socket_leave. */
struct tlsplug_socket *tp_socket_enter(const void *h);
/* Leave an entry point, freeing the socket if it was freed meanwhile;
 * answers `rc` so entry points can `return tp_socket_leave(s, rc)`. */
int tp_socket_leave(struct tlsplug_socket *s, int rc);

/* Deliver the cleartext batched for a `data` event (pump.c's drain). */
void tp_socket_flush_batch(struct tlsplug_socket *s);
/* Deliver an event to its callback, or to the queue. Callers must check
 * s->freed (and state) afterwards: the callback may have freed or destroyed
 * the socket. */
void tp_emit(struct tlsplug_socket *s, int event, const void *data, size_t len);

/* Mark the session over and emit CLOSE once (on a loop, once the
 * transport is closed too: tp_socket_emit_close). */
void tp_socket_close(struct tlsplug_socket *s);
void tp_socket_emit_close(struct tlsplug_socket *s);

/* What was written and is not yet sent: cleartext held for the handshake
 * plus ciphertext not yet pulled (and, on a loop, not yet written). */
size_t tp_socket_buffered(const struct tlsplug_socket *s);
/* After output left the socket: DRAIN when the buffer emptied after
 * reaching the high-water mark (stream.c). */
void tp_socket_maybe_drain(struct tlsplug_socket *s);

/* Serve `ctx` on a server socket that has not started its handshake in
 * GnuTLS yet (SNI): credentials, priority and the context reference. */
int tp_socket_switch_context(struct tlsplug_socket *s, struct tlsplug_context *ctx);

/* socket_meta.c: the signature algorithms both ends can use (OpenSSL's
 * shared sigalgs, in its order), at most cap of them into out; *npeer is
 * how many the peer listed (0: it sent no list). */
struct tp_sigalg;
unsigned tp_socket_shared_sigalgs(struct tlsplug_socket *s, const struct tp_sigalg **out,
                                  unsigned cap, unsigned *npeer);
/* Install or remove (NULL) the driver's transport. */
void tp_socket_set_transport(struct tlsplug_socket *s, const tp_transport *t, void *ctx);
/* A server event about this socket, through its owner (none: nothing). */
static inline void tp_socket_owner_emit(struct tlsplug_socket *s, int event, const void *data,
                                        size_t len)
{
    if (s->owner)
        s->owner->emit(s->server, event, s, data, len);
}

/* A transport failure (ECONNRESET, ECONNREFUSED, ENOTFOUND, ...): record
 * Node's code and message, emit ERROR and CLOSE; answers TLSPLUG_E_NET. */
int tp_socket_net_fail(struct tlsplug_socket *s, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record a fatal failure (the detail is already in s->err): emit ERROR and
 * CLOSE, and answer the sticky status. */
int tp_socket_fatal(struct tlsplug_socket *s, int status);

/* Node's message for a peer gone before the handshake finished: a client
 * says why it could not connect, a server just sees the hang-up. */
static inline const char *tp_socket_hangup_message(const struct tlsplug_socket *s)
{
    return s->role == TLSPLUG_ROLE_SERVER
               ? "socket hang up"
               : "Client network socket disconnected before secure TLS connection was established";
}

/* Node's client-initiated renegotiation limit: count a handshake starting
 * now on a server; answers TLSPLUG_OK, or fails the socket with
 * ERR_TLS_SESSION_ATTACK past CLIENT_RENEG_LIMIT per CLIENT_RENEG_WINDOW. */
int tp_socket_count_handshake(struct tlsplug_socket *s);

/* Answer the sticky fatal error again, with its detail. */
int tp_socket_sticky(struct tlsplug_socket *s);

/* ---- the engine (pump.c) ---- */

/* Install the in-memory transport functions on the session. */
void tp_pump_attach(struct tlsplug_socket *s);
/* Drive the engine as far as the input allows. */
int tp_pump(struct tlsplug_socket *s);
/* Ciphertext arrived (tlsplug_socket_feed, or a loop's read): lend it to
 * GnuTLS when it can be read in place, else keep a copy; count and pump
 * it. `data` need only live for the call. */
int tp_pump_feed(struct tlsplug_socket *s, const uint8_t *data, size_t len);
/* Copy what is left of lent ciphertext into `in` (which is empty while
 * anything is lent); answers 0 or -1 when out of memory. */
int tp_pump_keep_lent(struct tlsplug_socket *s);
/* tlsplug_socket_write() on an entered socket. */
int tp_pump_write(struct tlsplug_socket *s, const uint8_t *data, size_t len);
/* Encrypt and queue cleartext (the handshake must be complete). */
int tp_pump_send(struct tlsplug_socket *s, const uint8_t *p, size_t n);
/* Queue close_notify as soon as the handshake allows (Node's end()). */
int tp_pump_end(struct tlsplug_socket *s);
/* Close once both sides ended. */
void tp_pump_maybe_close(struct tlsplug_socket *s);
/* How much ciphertext a driver should let wait in `in` before it stops
 * reading: while a server holds the ClientHello, as much as the largest
 * hello can take on the wire (the hold's own cap ends it past that);
 * otherwise enough for a few records, so a paused or slow reader pushes
 * back on its peer. */
#define TP_IN_LIMIT (256u * 1024u)
static inline size_t tp_socket_in_limit(const struct tlsplug_socket *s)
{
    return s->role == TLSPLUG_ROLE_SERVER && !s->hello_parsed ? TP_HELLO_MAX_HELD : TP_IN_LIMIT;
}
/* Ciphertext waiting for GnuTLS: lent by the current feed, or kept. */
static inline size_t tp_in_len(const struct tlsplug_socket *s)
{
    return tp_buf_len(&s->in) + s->lent_len;
}

/* Ciphertext bytes GnuTLS has taken, ever: all that came in, less what
 * waits (every byte counted in bytes_fed is lent, kept in `in`, or taken). */
static inline size_t tp_socket_pulled(const struct tlsplug_socket *s)
{
    return s->bytes_fed - tp_in_len(s);
}

/* A host buffer records are written into (tlsplug_socket_write_pull). */
struct tp_window {
    uint8_t *buf;
    size_t cap, len;
};

/* Whether the socket waits for the host (input and events are held). */
static inline int tp_socket_waiting(const struct tlsplug_socket *s)
{
    const tp_hello *h = s->hello;
    return s->awaiting_identity || s->hold_output ||
           (h && (h->awaiting_sni || h->awaiting_resume || h->awaiting_ocsp || h->awaiting_alpn));
}

/* Node's ALPNProtocols in wire form: at most 64 KiB of names, each after
 * its length byte, none empty (alpn.c). */
int tp_alpn_valid(const uint8_t *p, size_t n);
/* A comma-separated list of names ("h2, http/1.1") in the wire form
 * (malloc'd into *wire); TLSPLUG_OK or a status recorded on err. */
int tp_alpn_from_list(const char *names, uint8_t **wire, size_t *len, tp_error *err);

/* Serve exactly this one protocol (ALPNCallback's answer), which the
 * client offered: GnuTLS then selects it (alpn.c). */
int tp_alpn_choose(struct tlsplug_socket *s, const uint8_t *name, size_t len);

/* A certificate from DER bytes; NULL when they are not one (socket_cert.c). */
gnutls_x509_crt_t tp_cert_import_der(const uint8_t *der, size_t der_len);

/* The bound on any loop that GnuTLS could, through a bug or a hostile peer,
 * keep busy without consuming input. */
#define MAX_SPINS 100000

/* Run gnutls_handshake as far as the input allows. */
int tp_pump_handshake_step(struct tlsplug_socket *s);
/* A GnuTLS failure: send the fitting alert, record Node's code, go fatal. */
int tp_pump_tls_failure(struct tlsplug_socket *s, int err, const char *what);

/* What one attempt to read a record came to. */
enum { TP_RECV_DATA = 0, TP_RECV_RETRY = 1, TP_RECV_WAIT = 2, TP_RECV_EOF = 3 };
/* Read one record's worth into buf (continuing a renegotiation first).
 * Answers TP_RECV_DATA with *got > 0, another TP_RECV_* value, or a fatal
 * status. */
int tp_pump_recv(struct tlsplug_socket *s, uint8_t *buf, size_t cap, size_t *got);
/* The TLSPLUG_STATE_* bits of tlsplug_socket_state(). */
unsigned tp_pump_state(struct tlsplug_socket *s);

/* Verify the peer when the handshake completes (peer.c): sets `authorized`
 * and `auth_code`; answers TLSPLUG_E_VERIFY with the detail in s->err when
 * the peer must be refused (rejectUnauthorized), TP_VERIFY_ASK_HOST when the
 * chain verified and the host checks the name itself, else TLSPLUG_OK. */
#define TP_VERIFY_ASK_HOST 1
int tp_socket_verify_peer(struct tlsplug_socket *s);
/* The host name a client checks: servername, or "localhost" as in Node. */
const char *tp_socket_identity_host(const struct tlsplug_socket *s);
/* Forget the authorization code (peer.c). */
void tp_socket_clear_auth_code(struct tlsplug_socket *s);
/* Record a failed verification; answers TLSPLUG_E_VERIFY when the peer
 * must be refused, else TLSPLUG_OK. */
int tp_socket_unauthorized(struct tlsplug_socket *s, const char *code);

/* The ephemeral key exchange (socket_meta.c): type "ECDH" or "DH", the
 * curve name (NULL for DH) and size in bits; answers 0 when it was
 * ephemeral, -1 otherwise. */
int tp_socket_ephemeral(struct tlsplug_socket *s, const char **type, const char **name,
                        unsigned *size);

/* The one handshake hook of a session (hooks.c). */
void tp_hooks_attach(struct tlsplug_socket *s);

/* Use a server's 48-byte ticket keys (with the context's sessionIdContext)
 * on a server socket; answers a status. */
int tp_socket_use_ticket_keys(struct tlsplug_socket *s, const uint8_t keys[48]);

/* At start: ALPN on the session (alpn.c); answers 0 or a GnuTLS error. */
int tp_alpn_apply(struct tlsplug_socket *s);
/* At start: key log lines, when someone listens (session.c). */
void tp_keylog_apply(struct tlsplug_socket *s);
/* Session tickets seen by the client's hook (session.c). */
void tp_session_ticket_seen(struct tlsplug_socket *s, const gnutls_datum_t *body);
void tp_session_ticket_done(struct tlsplug_socket *s);
/* Client, after its first handshake: the TLS 1.2 `session` event. */
void tp_session_handshake_done(struct tlsplug_socket *s);

/* After the handshake (and the identity answer): flush what was written
 * meanwhile, emit the secure event, honour a pending end() (pump.c). */
int tp_pump_finish_secure(struct tlsplug_socket *s);

#endif
