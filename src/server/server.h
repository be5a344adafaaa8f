/* tls.Server internals shared with the socket engine. */
#ifndef TLSPLUG_SERVER_H
#define TLSPLUG_SERVER_H

#include <stdatomic.h>

#include "context.h"
#include "error.h"
#include "socket.h"

typedef struct tp_sni_entry {
    char *pattern; /* addContext's hostname, '*' = [^.]* */
    struct tlsplug_context *ctx;
} tp_sni_entry;

typedef struct tp_server_event {
    struct tp_server_event *next;
    int event;
    uintptr_t subject; /* the socket's handle */
    size_t len;
    uint8_t data[];
} tp_server_event;

struct tlsplug_server {
    uintptr_t handle;
    atomic_int refs; /* the handle's, plus one per socket it accepted */
    int freed;       /* the handle is gone: no more events */
    tp_error err;
    struct tlsplug_context *ctx; /* the server's own context */
    int request_cert;
    int reject_unauthorized;
    size_t handshake_timeout_ms;
    uint8_t *alpn;
    size_t alpn_len;
    int sni_callback;
    int session_store;       /* newSession / resumeSession */
    int ocsp;                /* OCSPRequest */
    int keylog;              /* the server's 'keylog' event */
    unsigned session_timeout; /* seconds */
    tp_sni_entry *sni;
    size_t nsni;
    uint8_t ticket_keys[48];
    struct {
        tlsplug_event_cb cb;
        uintptr_t userdata;
    } on[TP_EV_COUNT];
    int queue_on;
    tp_server_event *qhead, *qtail;

    /* On a loop (loop_server.c). */
    struct tp_listener *listener; /* while listening (and closing), else NULL */
    size_t connections;           /* open connections the loop accepted */
    int max_connections;          /* negative: no limit */
};

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

/* Serve `ctx` on a server socket that has not started its handshake in
 * GnuTLS yet (SNI): credentials, priority and the context reference. */
int tp_socket_switch_context(struct tlsplug_socket *s, struct tlsplug_context *ctx);

#endif
