/* Signature schemes: Node's `sigalgs` option (OpenSSL's list syntax),
 * getSharedSigalgs() and the scheme a handshake signed with. GnuTLS names
 * and numbers them its own way; the table in sigalgs.c joins the names
 * (docs/GNUTLS.md, "Signature algorithms"). */
#ifndef TLSPLUG_SIGALGS_H
#define TLSPLUG_SIGALGS_H

#include <gnutls/gnutls.h>
#include <stddef.h>

/* Room for every scheme's keywords (tp_sigalgs_tokens) and "-SIGN-ALL". */
#define TP_SIGALGS_TOKENS_MAX 1024

typedef struct tp_sigalg {
    const char *iana;   /* the TLS name, OpenSSL's ("rsa_pss_rsae_sha256") */
    int named;          /* OpenSSL takes `iana` as a list item (not all have one) */
    const char *sig;    /* the SIG of OpenSSL's "SIG+HASH" form; NULL for EdDSA */
    const char *hash;   /* its HASH ("SHA256"); NULL for EdDSA */
    const char *node;   /* how Node's getSharedSigalgs() prints it ("RSA-PSS+SHA256") */
    gnutls_sign_algorithm_t tls12, tls13; /* GnuTLS's ids at TLS <= 1.2 and 1.3; 0: none */
} tp_sigalg;

/* Parse Node's `sigalgs` (':'-separated; each item an OpenSSL name such as
 * "rsa_pss_rsae_sha256" or "ed25519", or "SIG+HASH" such as "RSA+SHA256",
 * "RSA-PSS+SHA384", "ECDSA+SHA256"; spaces around an item are ignored) as
 * OpenSSL does: an unknown, empty or repeated item is refused. Writes the
 * GnuTLS priority keywords ("+SIGN-RSA-SHA256:+SIGN-...") into buf.
 * Answers 0, or -1 with the offending item copied (NUL-terminated) into
 * bad (of size badcap), or -2 when buf is too small. */
int tp_sigalgs_tokens(const char *list, char *buf, size_t cap, char *bad, size_t badcap);

/* The scheme GnuTLS calls `id`, or NULL when the table has none. */
const tp_sigalg *tp_sigalg_by_gnutls(gnutls_sign_algorithm_t id);

#endif
