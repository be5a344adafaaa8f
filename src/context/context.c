/* SecureContext: credentials and trust, configured then frozen.
 *
 * Setters parse their input at once, so a bad PEM or a wrong passphrase is
 * reported by the call that brought it (as Node's createSecureContext
 * throws). GnuTLS objects are assembled when the first socket freezes the
 * context; from then on it is read-only and shared, reference counted.
 */
#include "context.h"

#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "defaults.h"
#include "handle.h"
#include "ciphers.h"
#include "pem.h"
#include "tlsplug.h"
#include "api_impl.h"
#include "sigalgs.h"

/* The key exchanges that enable an external PSK at TLS 1.3. */
#define TP_PSK_MODES "+ECDHE-PSK:+DHE-PSK:+PSK"

/* What every Node-option priority string ends with. */
#define TP_PRIORITY_TAIL "+COMP-NULL:+SIGN-ALL:+CTYPE-X509"

/* Node's version names, in ascending order (also used by the defaults). */
static const struct {
    const char *node;
    gnutls_protocol_t gnutls;
    const char *priority;
} versions[] = {
    {"TLSv1", GNUTLS_TLS1_0, "+VERS-TLS1.0"},
    {"TLSv1.1", GNUTLS_TLS1_1, "+VERS-TLS1.1"},
    {"TLSv1.2", GNUTLS_TLS1_2, "+VERS-TLS1.2"},
    {"TLSv1.3", GNUTLS_TLS1_3, "+VERS-TLS1.3"},
};
#define NVERSIONS (sizeof versions / sizeof *versions)

int tp_version_from_name(const char *name)
{
    for (size_t i = 0; name && i < NVERSIONS; i++)
        if (strcmp(name, versions[i].node) == 0)
            return (int)versions[i].gnutls;
    return 0;
}

static struct tlsplug_context *get(tlsplug_context *h)
{
    return tp_handle_get(h, TP_TAG_CONTEXT);
}

int tp_api_context_new(tlsplug_context **out)
{
    if (!out)
        return TLSPLUG_E_INVAL;
    struct tlsplug_context *c = calloc(1, sizeof *c);
    if (!c)
        return TLSPLUG_E_NOMEM;
    tp_error_clear(&c->err);
    atomic_init(&c->refs, 1);
    /* Node reads its module defaults when the context is created. */
    tp_defaults d;
    if (tp_defaults_get(&d) != 0) {
        pthread_mutex_destroy(&c->lock);
        free(c);
        return TLSPLUG_E_NOMEM;
    }
    c->min_version = d.min_version;
    c->max_version = d.max_version;
    c->ecdh_curve = d.ecdh_curve; /* ownership moves to the context */
    c->ciphers = d.ciphers;
    pthread_mutex_init(&c->lock, NULL);
    c->err_lock = &c->lock;
    c->handle = tp_handle_new(TP_TAG_CONTEXT, c);
    if (!c->handle) {
        pthread_mutex_destroy(&c->lock);
        free(c);
        return TLSPLUG_E_NOMEM;
    }
    *out = (tlsplug_context *)c->handle;
    return TLSPLUG_OK;
}

static void destroy(struct tlsplug_context *c)
{
    for (unsigned i = 0; i < c->nkeys; i++)
        gnutls_x509_privkey_deinit(c->keys[i]);
    free(c->keys);
    for (unsigned i = 0; i < c->nchains; i++) {
        for (unsigned j = 0; j < c->chains[i].n; j++)
            gnutls_x509_crt_deinit(c->chains[i].certs[j]);
        gnutls_free(c->chains[i].certs);
    }
    free(c->chains);
    tp_buf_free(&c->ca_pem);
    free(c->secure_protocol);
    free(c->ciphers);
    free(c->priority);
    free(c->ecdh_curve);
    free(c->sigalgs);
    free(c->session_id_context);
    if (c->dh)
        gnutls_dh_params_deinit(c->dh);
    for (unsigned i = 0; i < c->ncrls; i++)
        gnutls_x509_crl_deinit(c->crls[i]);
    free(c->crls);
    if (c->cred)
        gnutls_certificate_free_credentials(c->cred);
    free(c->psk_hint);
    for (int i = 0; i < 2; i++)
        if (c->priority_cache[i])
            gnutls_priority_deinit(c->priority_cache[i]);
    for (unsigned i = 0; i < c->nsuite_prio; i++)
        gnutls_priority_deinit(c->suite_prio[i].prio);
    tp_cipher_policy_free(c->policy);
    if (c->trust)
        gnutls_x509_trust_list_deinit(c->trust, 1);
    tp_error_clear(&c->err);
    gnutls_memset(c->ticket_keys, 0, sizeof c->ticket_keys);
    gnutls_memset(c->session_key, 0, sizeof c->session_key);
    gnutls_memset(c->stek, 0, sizeof c->stek);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

void tp_context_release(struct tlsplug_context *c)
{
    if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) == 1)
        destroy(c);
}

static void hold(void *obj)
{
    struct tlsplug_context *c = obj;
    atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
}

struct tlsplug_context *tp_context_get_held(tlsplug_context *h)
{
    return tp_handle_get_held(h, TP_TAG_CONTEXT, hold);
}

int tp_api_context_free(tlsplug_context *h)
{
    if (!h)
        return TLSPLUG_OK;
    struct tlsplug_context *c = get(h);
    if (!c || tp_handle_retire(h, TP_TAG_CONTEXT) != 0)
        return TLSPLUG_E_BADHANDLE;
    tp_context_release(c);
    return TLSPLUG_OK;
}

int tp_context_settable(struct tlsplug_context *c)
{
    if (c->frozen)
        return tp_fail(&c->err, TLSPLUG_E_STATE, "ERR_TLS_CONTEXT_FROZEN",
                       "the context is in use by a socket and can no longer change");
    return TLSPLUG_OK;
}

int tp_context_set_string(struct tlsplug_context *c, char **field, const char *value)
{
    char *copy = NULL;
    if (value && !(copy = strdup(value)))
        return tp_fail(&c->err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY", "out of memory");
    free(*field);
    *field = copy;
    return TLSPLUG_OK;
}

struct tlsplug_context *tp_context_for_setter(tlsplug_context *h, const char *what, const void *p,
                                              size_t len, int *rc)
{
    struct tlsplug_context *c = get(h);
    if (!c) {
        *rc = TLSPLUG_E_BADHANDLE;
        return NULL;
    }
    if (what && (!p || len == 0 || len > UINT32_MAX))
        *rc = tp_fail(&c->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_TYPE",
                      "%s: expected a non-empty buffer", what);
    else
        *rc = tp_context_settable(c);
    return *rc ? NULL : c;
}

int tp_api_context_add_key(tlsplug_context *h, const uint8_t *pem, size_t len,
                           const char *passphrase)
{
    int rc;
    struct tlsplug_context *c = tp_context_for_setter(h, "key", pem, len, &rc);
    if (!c)
        return rc;
    gnutls_x509_privkey_t key;
    if (gnutls_x509_privkey_init(&key) < 0)
        return tp_fail(&c->err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY", "out of memory");
    gnutls_datum_t d = {(unsigned char *)pem, (unsigned)len};
    int err = gnutls_x509_privkey_import2(key, &d, GNUTLS_X509_FMT_PEM, passphrase, 0);
    if (err < 0) {
        gnutls_x509_privkey_deinit(key);
        int bad_pass = err == GNUTLS_E_DECRYPTION_FAILED;
        tp_fail_gnutls(&c->err, TLSPLUG_E_CREDENTIALS, err, -1, 0,
                       bad_pass ? "key: bad decrypt (wrong or missing passphrase)"
                                : "key: not a usable PEM private key");
        /* OpenSSL 3 (Node 18 and 20): no decoder takes it. */
        tp_error_set_code(&c->err, bad_pass ? "ERR_OSSL_BAD_DECRYPT" : "ERR_OSSL_UNSUPPORTED");
        return TLSPLUG_E_CREDENTIALS;
    }
    rc = tp_context_check_key(c, key);
    gnutls_x509_privkey_t *keys = rc ? NULL : realloc(c->keys, (c->nkeys + 1) * sizeof *keys);
    if (!keys) {
        gnutls_x509_privkey_deinit(key);
        if (rc)
            return rc;
        return tp_fail(&c->err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY", "out of memory");
    }
    keys[c->nkeys++] = key;
    c->keys = keys;
    return TLSPLUG_OK;
}

/* Import every certificate of a PEM buffer; the count, or a status. */
static int import_certs(struct tlsplug_context *c, const uint8_t *pem, size_t len,
                        const char *what, gnutls_x509_crt_t **out, unsigned *n)
{
    int err = tp_pem_import_certs(pem, len, out, n);
    if (err < 0) {
        char msg[64];
        snprintf(msg, sizeof msg, "%s: no PEM certificate could be read", what);
        tp_fail_gnutls(&c->err, TLSPLUG_E_CREDENTIALS, err < 0 ? err : GNUTLS_E_BASE64_DECODING_ERROR,
                       -1, 0, msg);
        tp_error_set_code(&c->err, "ERR_OSSL_PEM_NO_START_LINE");
        return TLSPLUG_E_CREDENTIALS;
    }
    return TLSPLUG_OK;
}

int tp_api_context_add_cert(tlsplug_context *h, const uint8_t *pem, size_t len)
{
    int rc;
    struct tlsplug_context *c = tp_context_for_setter(h, "cert", pem, len, &rc);
    if (!c)
        return rc;
    tp_chain chain = {0};
    rc = import_certs(c, pem, len, "cert", &chain.certs, &chain.n);
    if (rc)
        return rc;
    rc = tp_context_check_chain(c, chain.certs[0]);
    tp_chain *chains = rc ? NULL : realloc(c->chains, (c->nchains + 1) * sizeof *chains);
    if (!chains) {
        for (unsigned j = 0; j < chain.n; j++)
            gnutls_x509_crt_deinit(chain.certs[j]);
        gnutls_free(chain.certs);
        if (rc)
            return rc;
        return tp_fail(&c->err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY", "out of memory");
    }
    chains[c->nchains++] = chain;
    c->chains = chains;
    return TLSPLUG_OK;
}

int tp_context_add_pair(struct tlsplug_context *c, gnutls_x509_privkey_t key, gnutls_x509_crt_t *certs,
                        unsigned n)
{
    /* A bundle's key must be its leaf's (OpenSSL checks it as Node loads a pfx). */
    int matches = tp_context_key_matches(key, certs[0]);
    gnutls_x509_privkey_t *keys = matches ? realloc(c->keys, (c->nkeys + 1) * sizeof *keys) : NULL;
    if (keys)
        c->keys = keys;
    tp_chain *chains = keys ? realloc(c->chains, (c->nchains + 1) * sizeof *chains) : NULL;
    if (!chains) {
        gnutls_x509_privkey_deinit(key);
        for (unsigned j = 0; j < n; j++)
            gnutls_x509_crt_deinit(certs[j]);
        gnutls_free(certs);
        if (!matches)
            return tp_fail(&c->err, TLSPLUG_E_CREDENTIALS, "ERR_OSSL_X509_KEY_VALUES_MISMATCH",
                           "key values mismatch: the bundle's key does not match its certificate");
        return tp_fail(&c->err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY", "out of memory");
    }
    c->chains = chains;
    c->keys[c->nkeys++] = key;
    c->chains[c->nchains++] = (tp_chain){certs, n};
    return TLSPLUG_OK;
}

int tp_api_context_add_ca(tlsplug_context *h, const uint8_t *pem, size_t len)
{
    int rc;
    struct tlsplug_context *c = tp_context_for_setter(h, "ca", pem, len, &rc);
    if (!c)
        return rc;
    /* Keep them as plain PEM, whatever type they came in, for the trust
     * list and the credentials built later. */
    gnutls_x509_crt_t *certs = NULL;
    unsigned n = 0;
    rc = import_certs(c, pem, len, "ca", &certs, &n);
    if (rc)
        return rc;
    for (unsigned j = 0; j < n; j++) {
        gnutls_datum_t out = {NULL, 0};
        if (rc == TLSPLUG_OK &&
            (gnutls_x509_crt_export2(certs[j], GNUTLS_X509_FMT_PEM, &out) < 0 ||
             tp_buf_append(&c->ca_pem, out.data, out.size) != 0))
            rc = tp_fail(&c->err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY", "out of memory");
        gnutls_free(out.data);
        gnutls_x509_crt_deinit(certs[j]);
    }
    gnutls_free(certs);
    if (rc == TLSPLUG_OK)
        c->have_ca = 1;
    return rc;
}

static int set_version(tlsplug_context *h, const char *name, int is_max)
{
    int rc;
    struct tlsplug_context *c = tp_context_for_setter(h, NULL, NULL, 0, &rc);
    if (!c)
        return rc;
    if (c->secure_protocol)
        return tp_fail(&c->err, TLSPLUG_E_INVAL, "ERR_TLS_PROTOCOL_VERSION_CONFLICT",
                       "TLS protocol version \"%s\" conflicts with secureProtocol \"%s\"",
                       name ? name : "(null)", c->secure_protocol);
    int v = tp_version_from_name(name);
    if (v) {
        *(is_max ? &c->max_version : &c->min_version) = v;
        c->versions_set = 1;
        return TLSPLUG_OK;
    }
    return tp_fail(&c->err, TLSPLUG_E_INVAL, "ERR_TLS_INVALID_PROTOCOL_VERSION",
                   "'%s' is not a valid TLS protocol version", name ? name : "(null)");
}

int tp_api_context_set_min_version(tlsplug_context *h, const char *version)
{
    return set_version(h, version, 0);
}

int tp_api_context_set_max_version(tlsplug_context *h, const char *version)
{
    return set_version(h, version, 1);
}

/* The key whose public key is the leaf's, or NULL. */
static gnutls_x509_privkey_t key_for(struct tlsplug_context *c, gnutls_x509_crt_t leaf)
{
    for (unsigned i = 0; i < c->nkeys; i++)
        if (tp_context_key_matches(c->keys[i], leaf))
            return c->keys[i];
    return NULL;
}

/* The GnuTLS priority string for Node's options: versions (after
 * secureOptions), suites, groups (ecdhCurve), and server precedence. The
 * roles differ on DHE: a client offers it as Node's default list does; a
 * server negotiates it only with `dhparam`, as Node. */
static int build_priority(struct tlsplug_context *c, int server, char **out)
{
    int lo, hi;
    if (c->min_version > c->max_version)
        return tp_fail(&c->err, TLSPLUG_E_INVAL, "ERR_TLS_PROTOCOL_VERSION_CONFLICT",
                       "minVersion is greater than maxVersion");
    if (!tp_context_version_range(c, &lo, &hi))
        return tp_fail(&c->err, TLSPLUG_E_INVAL, "ERR_SSL_NO_PROTOCOLS_AVAILABLE",
                       "no protocols available: secureOptions disable every allowed version");
    char groups[512];
    /* FFDHE groups: a server with `dhparam` leaves them out, so its own
     * prime is used (the pinned suite priority puts them back for a client
     * that offers them); a client offers them only with TLS 1.3, as
     * OpenSSL's does. */
    int ffdhe = server ? !c->dh : hi >= GNUTLS_TLS1_3;
    int rc = tp_context_groups(c, ffdhe, groups, sizeof groups);
    if (rc)
        return rc;
    tp_buf b = {0};
    int bad = tp_buf_append(&b, "NONE", 4);
    for (size_t i = NVERSIONS; i-- > 0;) /* highest first: GnuTLS prefers the first */
        if ((int)versions[i].gnutls >= lo && (int)versions[i].gnutls <= hi) {
            bad |= tp_buf_append(&b, ":", 1);
            bad |= tp_buf_append(&b, versions[i].priority, strlen(versions[i].priority));
        }
    /* The suites: a superset of the policy (GnuTLS enables the product of
     * key exchange, cipher and MAC); the exact set is enforced per
     * handshake (hooks.c). A server does DHE only with `dhparam`. */
    const char *suites = tp_cipher_policy_tokens(c->policy, hi >= GNUTLS_TLS1_3);
    if (!*suites)
        return tp_fail(&c->err, TLSPLUG_E_INVAL, "ERR_SSL_NO_CIPHER_MATCH",
                       "no cipher match: `ciphers` selects no suite for the allowed versions");
    bad |= tp_buf_append(&b, ":", 1);
    bad |= tp_buf_append(&b, suites, strlen(suites));
    if (server && !c->dh)
        bad |= tp_buf_append(&b, ":-DHE-RSA:-DHE-DSS", 18);
    /* pskCallback at TLS 1.3: the PSK key exchange modes (psk_dhe_ke,
     * psk_ke) come from the key exchanges GnuTLS is given. */
    if (c->psk && hi >= GNUTLS_TLS1_3)
        bad |= tp_buf_append(&b, ":" TP_PSK_MODES, sizeof TP_PSK_MODES);
    bad |= tp_buf_append(&b, ":" TP_PRIORITY_TAIL ":", sizeof TP_PRIORITY_TAIL + 1);
    bad |= tp_buf_append(&b, groups, strlen(groups));
    const char *sign = tp_context_sign_tokens(c);
    bad |= tp_buf_append(&b, sign, strlen(sign));
    if (tp_context_server_precedence(c))
        bad |= tp_buf_append(&b, ":%SERVER_PRECEDENCE", 19);
    bad |= tp_buf_append(&b, "", 1); /* the NUL */
    if (bad) {
        tp_buf_free(&b);
        return tp_fail(&c->err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY", "out of memory");
    }
    *out = (char *)b.data; /* head is 0: the buffer is the string */
    return TLSPLUG_OK;
}

/* A native priority string as given; `sigalgs`, when set too, replaces its
 * signature algorithms rather than being ignored. */
static int native_priority(struct tlsplug_context *c, char **out)
{
    const char *sign = tp_context_sign_tokens(c);
    size_t n = strlen(c->priority) + strlen(sign) + 1;
    if (!(*out = malloc(n)))
        return tp_fail(&c->err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY", "out of memory");
    snprintf(*out, n, "%s%s", c->priority, sign);
    return TLSPLUG_OK;
}

/* The TP_HAVE_* bits of the certificates' keys, for the server's choice of
 * suite, plus the key exchanges the context can do. */
static unsigned key_kinds(const struct tlsplug_context *c)
{
    unsigned have = TP_HAVE_ECDHE | (c->dh ? TP_HAVE_DHE : 0) | (c->psk ? TP_HAVE_PSK : 0);
    for (unsigned i = 0; i < c->nkeys; i++) {
        switch (gnutls_x509_privkey_get_pk_algorithm2(c->keys[i], NULL)) {
        case GNUTLS_PK_RSA: have |= TP_HAVE_RSA; break;
        case GNUTLS_PK_RSA_PSS: have |= TP_HAVE_RSA_PSS; break;
        case GNUTLS_PK_ECDSA: have |= TP_HAVE_ECDSA; break;
        case GNUTLS_PK_EDDSA_ED25519:
        case GNUTLS_PK_EDDSA_ED448: have |= TP_HAVE_EDDSA; break;
        case GNUTLS_PK_DSA: have |= TP_HAVE_DSA; break;
        default: break;
        }
    }
    return have;
}

gnutls_priority_t tp_context_suite_priority(struct tlsplug_context *c, const uint8_t id[2],
                                            int version, unsigned flags)
{
    /* A client offering FFDHE groups gets DHE from GnuTLS only when one of
     * them is shared (RFC 7919), GnuTLS reading supported_groups with this
     * priority: name them then, though GnuTLS then uses an FFDHE group in
     * place of `dhparam` (which serves every other client). */
    int ffdhe = !c->dh || (flags & TP_SUITE_CLIENT_FFDHE);
    flags = (ffdhe ? TP_SUITE_CLIENT_FFDHE : 0) | (flags & TP_SUITE_NO_TICKETS);
    gnutls_priority_t found = NULL;
    pthread_mutex_lock(&c->lock);
    for (unsigned i = 0; i < c->nsuite_prio && !found; i++)
        if (c->suite_prio[i].id[0] == id[0] && c->suite_prio[i].id[1] == id[1] &&
            c->suite_prio[i].version == version && c->suite_prio[i].flags == flags)
            found = c->suite_prio[i].prio;
    if (!found) {
        char base[TP_SUITE_PRIORITY_MAX], groups[512];
        char text[TP_SUITE_PRIORITY_MAX + 512 + TP_SIGALGS_TOKENS_MAX];
        if (tp_suite_priority(id[0], id[1], version, base, sizeof base) == TLSPLUG_OK &&
            tp_context_groups(c, ffdhe, groups, sizeof groups) == TLSPLUG_OK) {
            /* The context's groups (ecdhCurve) in place of GROUP-ALL. */
            char *at = strstr(base, "+GROUP-ALL");
            if (at) {
                *at = 0;
                snprintf(text, sizeof text, "%s%s%s", base, groups, at + 10);
            } else {
                snprintf(text, sizeof text, "%s", base);
            }
            strncat(text, tp_context_sign_tokens(c), sizeof text - strlen(text) - 1);
            if (tp_context_server_precedence(c))
                strncat(text, ":%SERVER_PRECEDENCE", sizeof text - strlen(text) - 1);
            if (c->psk && version == GNUTLS_TLS1_3)
                strncat(text, ":" TP_PSK_MODES, sizeof text - strlen(text) - 1);
            if (flags & TP_SUITE_NO_TICKETS)
                strncat(text, ":%NO_TICKETS", sizeof text - strlen(text) - 1);
            gnutls_priority_t p;
            if (gnutls_priority_init2(&p, text, NULL, 0) == 0) {
                found = p;
                if (c->nsuite_prio < sizeof c->suite_prio / sizeof *c->suite_prio)
                    c->suite_prio[c->nsuite_prio++] =
                        (struct tp_suite_prio){{id[0], id[1]}, version, flags, p};
                else
                    found = NULL, gnutls_priority_deinit(p); /* a full cache: no pinning */
            }
        }
    }
    pthread_mutex_unlock(&c->lock);
    return found;
}

static _Atomic(tp_staple_fn) staple_hook;

void tp_context_set_staple_hook(tp_staple_fn fn)
{
    atomic_store(&staple_hook, fn);
}

static int staple(gnutls_session_t session, void *ptr, gnutls_datum_t *response)
{
    (void)ptr;
    tp_staple_fn fn = atomic_load(&staple_hook);
    return fn ? fn(session, response) : GNUTLS_E_NO_CERTIFICATE_STATUS;
}

/* Node (OpenSSL) completes a served chain that holds the leaf alone from
 * the `ca` store: each issuer found there is sent after it, up to a
 * self-signed one (OpenSSL's auto-chain, test-tls-cert-chains-in-ca). A
 * `cert` that brings its own intermediates is served as given. */
static int complete_chains(struct tlsplug_context *c)
{
    if (!c->have_ca)
        return TLSPLUG_OK;
    for (unsigned i = 0; i < c->nchains; i++) {
        tp_chain *ch = &c->chains[i];
        if (ch->n != 1)
            continue;
        gnutls_x509_crt_t *ca = NULL;
        unsigned nca = 0;
        if (tp_pem_import_certs(tp_buf_peek(&c->ca_pem), tp_buf_len(&c->ca_pem), &ca, &nca) < 0)
            return TLSPLUG_OK; /* nothing usable: serve the leaf alone */
        int rc = TLSPLUG_OK;
        for (unsigned depth = 0; depth < 10 && rc == TLSPLUG_OK; depth++) {
            gnutls_x509_crt_t last = ch->certs[ch->n - 1];
            if (gnutls_x509_crt_check_issuer(last, last))
                break; /* self-signed: the chain is complete */
            unsigned j = 0;
            while (j < nca && !(ca[j] && gnutls_x509_crt_check_issuer(last, ca[j])))
                j++;
            if (j == nca)
                break;
            gnutls_x509_crt_t *grown = gnutls_malloc((ch->n + 1) * sizeof *grown);
            if (!grown) {
                rc = tp_fail(&c->err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY", "out of memory");
                break;
            }
            memcpy(grown, ch->certs, ch->n * sizeof *grown);
            grown[ch->n++] = ca[j];
            ca[j] = NULL;
            gnutls_free(ch->certs);
            ch->certs = grown;
        }
        for (unsigned j = 0; j < nca; j++)
            if (ca[j])
                gnutls_x509_crt_deinit(ca[j]);
        gnutls_free(ca);
        if (rc)
            return rc;
    }
    return TLSPLUG_OK;
}

/* Assemble the GnuTLS objects; under c->lock, before `frozen` is set. */
static int build(struct tlsplug_context *c)
{
    int err = gnutls_certificate_allocate_credentials(&c->cred);
    if (err < 0)
        return tp_fail_gnutls(&c->err, TLSPLUG_E_NOMEM, err, -1, 0, "credentials");
    if (c->nkeys && !c->nchains)
        return tp_fail(&c->err, TLSPLUG_E_CREDENTIALS, "ERR_TLS_CERT_MISSING",
                       "a private key was given without a certificate (`cert`)");
    int chained = complete_chains(c);
    if (chained)
        return chained;
    /* In TLS 1.3 GnuTLS serves the first compatible pair; OpenSSL (Node)
     * follows the client's signature algorithms, where OpenSSL, Node and
     * browsers list ECDSA and EdDSA before RSA: load those pairs first. */
    for (unsigned k = 0; k < 2 * c->nchains; k++) {
        unsigned i = k % c->nchains;
        int pk = gnutls_x509_crt_get_pk_algorithm(c->chains[i].certs[0], NULL);
        int ec = pk == GNUTLS_PK_ECDSA || pk == GNUTLS_PK_EDDSA_ED25519 || pk == GNUTLS_PK_EDDSA_ED448;
        if ((k < c->nchains) != ec)
            continue; /* first pass: EC pairs; second pass: the rest */
        gnutls_x509_privkey_t key = key_for(c, c->chains[i].certs[0]);
        if (!key)
            return tp_fail(&c->err, TLSPLUG_E_CREDENTIALS, "ERR_OSSL_X509_KEY_VALUES_MISMATCH",
                           "key values mismatch: certificate chain %u has no matching `key`", i);
        err = gnutls_certificate_set_x509_key(c->cred, c->chains[i].certs, c->chains[i].n, key);
        if (err < 0)
            return tp_fail_gnutls(&c->err, TLSPLUG_E_CREDENTIALS, err, -1, 0, "cert");
    }
    if (c->have_ca) {
        /* The server names these CAs in its CertificateRequest. */
        gnutls_datum_t d = {(unsigned char *)tp_buf_peek(&c->ca_pem), (unsigned)tp_buf_len(&c->ca_pem)};
        err = gnutls_certificate_set_x509_trust_mem(c->cred, &d, GNUTLS_X509_FMT_PEM);
        if (err < 0)
            return tp_fail_gnutls(&c->err, TLSPLUG_E_CREDENTIALS, err, -1, 0, "ca");
    }
    /* Node gives every context random ticket keys. GnuTLS wants 64 bytes
     * where Node has 48: derive them in a fixed way (SHA-512), so equal
     * ticketKeys resume across servers and processes. */
    err = gnutls_rnd(GNUTLS_RND_KEY, c->ticket_keys, sizeof c->ticket_keys);
    if (err < 0 || tp_context_derive_stek(c) < 0)
        return tp_fail_gnutls(&c->err, TLSPLUG_E_INTERNAL, err < 0 ? err : GNUTLS_E_INTERNAL_ERROR,
                              -1, 0, "ticket keys");
    if (tp_context_trust_digest(c, c->trust_digest) < 0)
        return tp_fail(&c->err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY", "trust digest");
    if (c->dh)
        gnutls_certificate_set_dh_params(c->cred, c->dh);
    /* Staples come from the host's OCSPRequest answers (the staple hook). */
    gnutls_certificate_set_ocsp_status_request_function(c->cred, staple, NULL);
    if (!c->priority) {
        /* Node adjusts the versions to the cipher lists (no TLS 1.2 names:
         * TLS 1.3 only). */
        int rc = tp_ciphers_compile(c->ciphers, &c->min_version, &c->max_version, &c->policy, &c->err);
        if (rc)
            return rc;
    }
    c->key_kinds = key_kinds(c);
    for (int server = 0; server < 2; server++) {
        char *prio = NULL;
        int rc = c->priority ? native_priority(c, &prio) : build_priority(c, server, &prio);
        if (rc)
            return rc;
        const char *text = prio, *errpos = NULL;
        err = gnutls_priority_init2(&c->priority_cache[server], text, &errpos, 0);
        if (err < 0)
            tp_fail(&c->err, TLSPLUG_E_INTERNAL, "ERR_TLS_INVALID_PRIORITY",
                    "priority \"%s\" refused at \"%s\": %s", text, errpos ? errpos : "",
                    gnutls_strerror(err));
        free(prio);
        if (err < 0)
            break;
    }
    return err < 0 ? TLSPLUG_E_INTERNAL : TLSPLUG_OK;
}

int tp_derive_stek(const uint8_t keys[48], const char *session_id_context, uint8_t out[64])
{
    /* sessionIdContext goes into the key, so tickets made under one
     * context value do not resume under another. */
    uint8_t material[48 + 32];
    size_t sid = session_id_context ? strlen(session_id_context) : 0;
    memcpy(material, keys, 48);
    memcpy(material + 48, session_id_context ? session_id_context : "", sid);
    int err = gnutls_hash_fast(GNUTLS_DIG_SHA512, material, 48 + sid, out);
    gnutls_memset(material, 0, sizeof material);
    return err;
}

int tp_context_derive_stek(struct tlsplug_context *c)
{
    return tp_derive_stek(c->ticket_keys, c->session_id_context, c->stek);
}

int tp_context_acquire(struct tlsplug_context *c)
{
    int rc = TLSPLUG_OK;
    pthread_mutex_lock(&c->lock);
    if (!c->frozen) {
        rc = build(c);
        if (rc == TLSPLUG_OK) {
            c->frozen = 1;
        } else {
            /* Leave nothing half-built: the host may fix the options. */
            if (c->cred)
                gnutls_certificate_free_credentials(c->cred);
            for (int i = 0; i < 2; i++) {
                if (c->priority_cache[i])
                    gnutls_priority_deinit(c->priority_cache[i]);
                c->priority_cache[i] = NULL;
            }
            tp_cipher_policy_free(c->policy);
            c->policy = NULL;
            c->cred = NULL;
        }
    }
    pthread_mutex_unlock(&c->lock);
    if (rc == TLSPLUG_OK)
        atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
    return rc;
}

gnutls_x509_trust_list_t tp_context_trust(struct tlsplug_context *c)
{
    pthread_mutex_lock(&c->lock);
    if (!c->trust && !c->trust_failed) {
        gnutls_x509_trust_list_t tl;
        int err = gnutls_x509_trust_list_init(&tl, 0);
        if (err == 0) {
            if (c->have_ca) {
                gnutls_datum_t d = {(unsigned char *)tp_buf_peek(&c->ca_pem),
                                    (unsigned)tp_buf_len(&c->ca_pem)};
                err = gnutls_x509_trust_list_add_trust_mem(tl, &d, NULL, GNUTLS_X509_FMT_PEM, 0, 0);
            } else {
                err = gnutls_x509_trust_list_add_system_trust(tl, 0, 0);
            }
            if (err < 0) {
                gnutls_x509_trust_list_deinit(tl, 1);
            } else {
                c->trust = tl;
            }
        }
        c->trust_failed = c->trust == NULL;
    }
    gnutls_x509_trust_list_t tl = c->trust;
    pthread_mutex_unlock(&c->lock);
    return tl;
}
