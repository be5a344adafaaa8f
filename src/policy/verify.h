/* Node's certificate verification outcome over GnuTLS's trust list.
 *
 * GnuTLS's status bits summarise a chain; Node reports the *last* error
 * OpenSSL finds, per certificate. verify.c reproduces Node's
 * `authorized` / `authorizationError` (docs/GNUTLS.md, "Verification and certificates").
 */
#ifndef TLSPLUG_VERIFY_H
#define TLSPLUG_VERIFY_H

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <time.h>

typedef struct tp_verify_result {
    int authorized;      /* 1 when the chain verified */
    const char *code;    /* Node's code (static), NULL when authorized */
    const char *message; /* Node's message for the code (static), NULL when authorized */
} tp_verify_result;

/* Verify `chain` (DER, as the peer sent it, leaf first; n may be 0 for a
 * peer that sent none) against `tl` at time `now`. `crl_check` is set when
 * the context had Node's `crl` option (OpenSSL's CRL_CHECK_ALL). */
void tp_verify_chain(gnutls_x509_trust_list_t tl, const gnutls_datum_t *chain, unsigned n,
                     int crl_check, time_t now, tp_verify_result *out);


/* What Node needs beyond the chain and the trust list:
 * - the peer's role: OpenSSL checks the certificate purpose (ssl_server when
 *   a client verifies a server, ssl_client when a server verifies a client)
 *   and Node reports INVALID_PURPOSE;
 * - the `crl` option's CRLs themselves: Node sets CRL_CHECK_ALL, so every
 *   certificate in the path needs a CRL from its issuer (UNABLE_TO_GET_CRL
 *   otherwise), and a trust list cannot list the CRLs it holds.
 * tp_verify_chain() above is tp_verify_chain_ex() with TP_PURPOSE_NONE and no
 * CRL list; with crl_check it falls back to GnuTLS's revocation check of the
 * CRLs in `tl`, which finds revoked certificates but cannot report
 * UNABLE_TO_GET_CRL. */
typedef enum tp_purpose {
    TP_PURPOSE_NONE = 0,       /* no purpose check */
    TP_PURPOSE_SSL_SERVER = 1, /* a client verifying its server */
    TP_PURPOSE_SSL_CLIENT = 2  /* a server verifying its client */
} tp_purpose;

typedef struct tp_verify_opts {
    tp_purpose purpose;
    int crl_check;                 /* Node's `crl` option was given */
    const gnutls_x509_crl_t *crls; /* its CRLs (borrowed); NULL: use tl's, see above */
    unsigned ncrls;
    /* `tl` holds only certificates added from memory (the `ca` option) and
     * no one changes it while this runs: its issuers are read in place.
     * Otherwise each is copied (a PKCS #11 store, which the system trust
     * may be, lends none safely: GnuTLS adds what it looks up there). */
    int tl_in_memory;
} tp_verify_opts;

/* tp_verify_chain() with the options above; `opts` NULL means none (no
 * purpose check, no CRL check). The CRLs need not be in `tl`, and should
 * not be verified on adding (docs/GNUTLS.md: no GNUTLS_TL_VERIFY_CRL). */
void tp_verify_chain_ex(gnutls_x509_trust_list_t tl, const gnutls_datum_t *chain, unsigned n,
                        const tp_verify_opts *opts, time_t now, tp_verify_result *out);

/* tp_verify_chain_ex() that, when the chain is authorized and `leaf` is not
 * NULL, hands over the leaf as imported for the verification (the caller
 * deinits it), so the host-name check need not import and parse it again.
 * *leaf is left NULL otherwise. */
void tp_verify_chain_leaf(gnutls_x509_trust_list_t tl, const gnutls_datum_t *chain, unsigned n,
                          const tp_verify_opts *opts, time_t now, tp_verify_result *out,
                          gnutls_x509_crt_t *leaf);

#endif
