/* SecureContext internals shared with the socket engine. */
#ifndef TLSPLUG_CONTEXT_H
#define TLSPLUG_CONTEXT_H

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <pthread.h>
#include <stdatomic.h>

#include "buf.h"
#include "error.h"
#include "object.h"

typedef struct tp_chain {
    gnutls_x509_crt_t *certs; /* leaf first */
    unsigned n;
} tp_chain;

struct tlsplug_context {
    TP_OBJECT_HEAD; /* err_lock is &lock: contexts are shared across threads */
    uintptr_t handle;
    atomic_int refs; /* the caller's reference plus one per socket */
    pthread_mutex_t lock; /* freeze, err and the lazily built trust list */
    int frozen;

    /* Configuration, fixed once frozen. */
    gnutls_x509_privkey_t *keys;
    unsigned nkeys;
    tp_chain *chains;
    unsigned nchains;
    int min_version; /* gnutls_protocol_t */
    int max_version;
    int versions_set;      /* minVersion or maxVersion was given */
    char *secure_protocol; /* secureProtocol as given, NULL when none */
    unsigned secure_options;
    int honor_cipher_order;
    char *ciphers;         /* Node's `ciphers`; NULL for the default */
    char *priority;        /* a native GnuTLS priority string replacing the above */
    char *ecdh_curve;      /* "auto" or a list */
    char *sigalgs;         /* `sigalgs` as GnuTLS keywords ("+SIGN-..."), NULL for GnuTLS's all */
    gnutls_dh_params_t dh; /* `dhparam`, NULL when none */
    char *session_id_context;
    gnutls_x509_crl_t *crls;
    unsigned ncrls;
    tp_buf ca_pem; /* the `ca` option's PEM, concatenated; empty = system trust */
    int have_ca;
    int psk;        /* pskCallback: the host answers TLSPLUG_EV_PSK (engine/psk.c) */
    char *psk_hint; /* pskIdentityHint, NULL when none */

    /* Built when frozen; read-only afterwards, so sockets on any thread share it. */
    gnutls_certificate_credentials_t cred;
    gnutls_priority_t priority_cache[2]; /* [0] for clients, [1] for servers */
    struct tp_cipher_policy *policy;     /* `ciphers` compiled; NULL with a native priority */
    unsigned key_kinds;                  /* TP_HAVE_* of the certificates' keys */
    struct tp_suite_prio {               /* single-suite priorities, made on demand */
        uint8_t id[2];
        int version;
        unsigned flags; /* FFDHE groups named, no tickets (tp_context_suite_priority) */
        gnutls_priority_t prio;
    } suite_prio[32];
    unsigned nsuite_prio;
    uint8_t ticket_keys[48]; /* Node's 48-byte ticketKeys */
    uint8_t stek[64];        /* GnuTLS's 64-byte key, derived from ticket_keys */
    uint8_t trust_digest[32]; /* what decides verdicts, bound into client sessions (session_mac.c) */
    uint8_t session_key[64];  /* the host's key for client session blobs (session_mac.c) */
    size_t session_key_len;   /* 0: this process's own key */
    gnutls_x509_trust_list_t trust; /* built on first verification */
    int trust_failed;
};

TP_OBJECT_CHECK(struct tlsplug_context);

/* context_options.c: GnuTLS priority tokens for `ecdhCurve` (and whether
 * custom DH parameters exclude the FFDHE groups); 0 or a status. */
int tp_context_groups(struct tlsplug_context *ctx, int ffdhe, char *buf, size_t cap);

/* context_options.c: what replaces a priority's signature algorithms
 * ("-SIGN-ALL:+SIGN-..."), "" when `sigalgs` was not given. */
const char *tp_context_sign_tokens(const struct tlsplug_context *ctx);

/* context_options.c: what secureOptions and the options say. */
int tp_context_no_tickets(const struct tlsplug_context *ctx);
int tp_context_no_renegotiation(const struct tlsplug_context *ctx);
int tp_context_server_precedence(const struct tlsplug_context *ctx);
/* The version range after secureOptions; 0 when no version is left. */
int tp_context_version_range(const struct tlsplug_context *ctx, int *min, int *max);
/* A GnuTLS version as it is written on the wire (TLS 1.2 is 0x0303):
 * GnuTLS numbers SSL 3.0 as 1 and each later version one more. */
static inline unsigned tp_wire_version(int gnutls_version)
{
    return 0x0300u + (unsigned)(gnutls_version - GNUTLS_SSL3);
}

/* pairing.c: whether the key's public key is the leaf's; and the checks
 * of a key, or a chain's leaf, about to be added against the context's
 * pairs (TLSPLUG_OK, or TLSPLUG_E_CREDENTIALS with Node's
 * ERR_OSSL_X509_KEY_VALUES_MISMATCH recorded). */
int tp_context_key_matches(gnutls_x509_privkey_t key, gnutls_x509_crt_t leaf);
int tp_context_check_key(struct tlsplug_context *ctx, gnutls_x509_privkey_t key);
int tp_context_check_chain(struct tlsplug_context *ctx, gnutls_x509_crt_t leaf);

/* Add a key and its chain (taking ownership of both, even on failure). */
int tp_context_add_pair(struct tlsplug_context *ctx, gnutls_x509_privkey_t key,
                        gnutls_x509_crt_t *certs, unsigned n);

/* Server: the priority that makes GnuTLS negotiate exactly this suite at
 * this version (with the context's groups), cached; NULL on failure.
 * flags: TP_SUITE_* below. */
#define TP_SUITE_CLIENT_FFDHE 1u /* the ClientHello's supported_groups names an FFDHE group */
#define TP_SUITE_NO_TICKETS 2u   /* %NO_TICKETS: no ticket taken or issued from now on */
gnutls_priority_t tp_context_suite_priority(struct tlsplug_context *ctx, const uint8_t id[2],
                                            int version, unsigned flags);

/* Derive GnuTLS's 64-byte ticket key from Node's 48-byte ticketKeys and a
 * sessionIdContext (NULL for none): SHA-512 of both, a fixed derivation so
 * equal keys resume across servers and processes. */
int tp_derive_stek(const uint8_t keys[48], const char *session_id_context, uint8_t out[64]);
int tp_context_derive_stek(struct tlsplug_context *ctx);

/* The OCSP staple of a server's handshake, asked for by every context's
 * credentials: installed by the layer that keeps the host's OCSPRequest
 * answers (the server, which alone raises OCSPRequest); until then, no
 * staple. The answer is GnuTLS's: 0 with a gnutls_malloc'd response, or
 * GNUTLS_E_NO_CERTIFICATE_STATUS. */
typedef int (*tp_staple_fn)(gnutls_session_t session, gnutls_datum_t *response);
void tp_context_set_staple_hook(tp_staple_fn fn);

/* A Node version name ("TLSv1.2") as a gnutls_protocol_t, 0 when unknown. */
int tp_version_from_name(const char *name);

/* Answer TLSPLUG_OK while the context may still change, else record and
 * answer TLSPLUG_E_STATE (the first socket froze it). */
int tp_context_settable(struct tlsplug_context *ctx);

/* The start of every setter: the context behind `h` if it may still
 * change, else NULL with *rc set (TLSPLUG_E_BADHANDLE or the recorded
 * TLSPLUG_E_STATE). With `what`, the setter takes a buffer (p, len) that
 * must be non-empty; `what` names the option in the error. */
struct tlsplug_context *tp_context_for_setter(tlsplug_context *h, const char *what, const void *p,
                                              size_t len, int *rc);

/* Replace an owned string option with a copy of `value` (NULL clears). */
int tp_context_set_string(struct tlsplug_context *ctx, char **field, const char *value);

/* Freeze the context for use by a socket (idempotent, thread-safe) and take
 * a reference; answers a status with the detail on ctx->err. */
int tp_context_acquire(struct tlsplug_context *ctx);
/* The context behind a handle with a reference taken inside the lookup,
 * so that another thread's tlsplug_context_free cannot destroy it before
 * the caller is done (drop it with tp_context_release); NULL when the
 * handle is not a live context. */
struct tlsplug_context *tp_context_get_held(tlsplug_context *h);
/* SHA-256 of everything in a context that decides a verification verdict
 * (the CAs, or the system's trust, and the CRLs); made when it freezes
 * (trust_digest.c). Answers 0 or -1. */
int tp_context_trust_digest(const struct tlsplug_context *ctx, uint8_t out[32]);
/* Drop a reference taken by tp_context_acquire or held by the caller. */
void tp_context_release(struct tlsplug_context *ctx);
/* The trust list for verifying peers (the `ca` option or system roots),
 * built on first use; NULL when it could not be built. */
gnutls_x509_trust_list_t tp_context_trust(struct tlsplug_context *ctx);

#endif
