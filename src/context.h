/* SecureContext internals shared with the socket engine. */
#ifndef TLSPLUG_CONTEXT_H
#define TLSPLUG_CONTEXT_H

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <pthread.h>
#include <stdatomic.h>

#include "buf.h"
#include "error.h"

typedef struct tp_chain {
    gnutls_x509_crt_t *certs; /* leaf first */
    unsigned n;
} tp_chain;

struct tlsplug_context {
    uintptr_t handle;
    atomic_int refs; /* the caller's reference plus one per socket */
    tp_error err;
    pthread_mutex_t lock; /* freeze and the lazily built trust list */
    int frozen;

    /* Configuration, fixed once frozen. */
    gnutls_x509_privkey_t *keys;
    unsigned nkeys;
    tp_chain *chains;
    unsigned nchains;
    int min_version; /* gnutls_protocol_t */
    int max_version;
    tp_buf ca_pem; /* the `ca` option's PEM, concatenated; empty = system trust */
    int have_ca;

    /* Built when frozen; read-only afterwards, so sockets on any thread share it. */
    gnutls_certificate_credentials_t cred;
    gnutls_priority_t priority;
    uint8_t ticket_keys[48]; /* Node's 48-byte ticketKeys */
    uint8_t stek[64];        /* GnuTLS's 64-byte key, derived from ticket_keys */
    gnutls_x509_trust_list_t trust; /* built on first verification */
    int trust_failed;
};

/* Freeze the context for use by a socket (idempotent, thread-safe) and take
 * a reference; answers a status with the detail on ctx->err. */
int tp_context_acquire(struct tlsplug_context *ctx);
/* Drop a reference taken by tp_context_acquire or held by the caller. */
void tp_context_release(struct tlsplug_context *ctx);
/* The trust list for verifying peers (the `ca` option or system roots),
 * built on first use; NULL when it could not be built. */
gnutls_x509_trust_list_t tp_context_trust(struct tlsplug_context *ctx);

#endif
