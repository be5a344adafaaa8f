/* tls.Server internals shared with the socket engine. */
#ifndef TLSPLUG_SERVER_H
#define TLSPLUG_SERVER_H

#include <stdatomic.h>

#include "context.h"
#include "error.h"
#include "object.h"
#include "socket.h"
#include "store.h"

typedef struct tp_sni_entry {
    char *pattern; /* addContext's hostname, '*' = [^.]* */
    struct tlsplug_context *ctx;
} tp_sni_entry;


struct tlsplug_server {
    TP_OBJECT_HEAD;
    uintptr_t handle;
    atomic_int refs; /* the handle's, plus one per socket it accepted */
    int freed;       /* the handle is gone: no more events */
    struct tlsplug_context *ctx; /* the server's own context */
    int request_cert;
    int reject_unauthorized;
    size_t handshake_timeout_ms;
    uint8_t *alpn;
    size_t alpn_len;
    int sni_callback;
    int alpn_callback; /* ALPNCallback: the host picks the protocol */
    int session_store;       /* newSession / resumeSession */
    int ocsp;                /* OCSPRequest */
    int keylog;              /* the server's 'keylog' event */
    unsigned session_timeout; /* seconds */
    tp_sni_entry *sni;
    size_t nsni;
    uint8_t ticket_keys[48];
    /* Where TLS 1.2 sessions go when the host has not taken them
     * (session_store): the embedded cache by default, made at the first
     * accept (session_cache_size 0: none), or tlsplug_server_use_session_store's. */
    struct tp_store *store;
    size_t session_cache_size;
    struct {
        tlsplug_event_cb cb;
        uintptr_t userdata;
    } on[TP_EV_COUNT];
    tp_event_queue queue; /* for hosts that poll (tlsplug_server_next_event) */

    /* On a loop (loop_server.c). */
    struct tp_listener *listener; /* while listening (and closing), else NULL */
    void (*listener_detach)(struct tp_listener *l); /* installed with it by the loop */
    size_t connections;           /* open connections the loop accepted */
    int max_connections;          /* negative: no limit */
};
TP_OBJECT_CHECK(struct tlsplug_server);

static inline void tp_server_acquire(struct tlsplug_server *srv)
{
    atomic_fetch_add_explicit(&srv->refs, 1, memory_order_relaxed);
}

/* Drop a reference (a socket's, when it is destroyed). */
void tp_server_release(struct tlsplug_server *srv);

/* Deliver a server event about socket `s` (NULL for the server's own
 * events: listening, close, error) to its callback or queue. */
void tp_server_emit(struct tlsplug_server *srv, int event, struct tlsplug_socket *s,
                    const void *data, size_t len);

/* The context addContext chose for an SNI name, or NULL. */
struct tlsplug_context *tp_server_match(struct tlsplug_server *srv, const char *servername);

/* Route GnuTLS's session cache of a server socket to the host's store. */
void tp_session_store_attach(struct tlsplug_socket *s);

/* The session store the server's sockets use now (made on first need),
 * or NULL: the host's events, or no store at all. */
struct tp_store *tp_server_store(struct tlsplug_server *srv);

/* Hand the store's waiting answers to the sockets that asked (on the
 * thread that owns them: the loop's, or a pump host's). */
void tp_server_store_dispatch(struct tp_store *st);

/* The staple of the host's OCSPRequest answer, if any (the context's
 * staple hook, installed when the first server is made). */
int tp_ocsp_staple(gnutls_session_t session, gnutls_datum_t *response);

/* The server's ClientHello stages (server_hello.c): SNI, resumeSession,
 * OCSPRequest, each possibly waiting for the host; answers a status, and
 * sets hello_released once GnuTLS may read the hello. */
int tp_hello_stages(struct tlsplug_socket *s);

#endif
