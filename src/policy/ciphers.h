/* Node's `ciphers` option on GnuTLS: compile an OpenSSL cipher string into
 * a policy, then use the policy to build priority strings and to pick the
 * suite a server negotiates.
 *
 * GnuTLS enables suites only as a product of key exchanges, ciphers and
 * MACs, so it cannot hold an arbitrary list such as Node's default. The
 * plan (docs/GNUTLS.md, "Suites, versions and the fallback signal"):
 *   - the context's priority enables a superset: tp_cipher_policy_tokens();
 *   - a server picks the suite itself from the ClientHello the pump has
 *     parsed, tp_cipher_policy_choose(), and sets tp_suite_priority() for
 *     that one suite in the post-client-hello callback;
 *   - a client checks the server's choice, tp_cipher_policy_allows(), in
 *     its SERVER_HELLO hook and aborts on anything else.
 *
 * What a string selects, in what order, and which strings are errors, are
 * OpenSSL 3.0's (the tests compare with `openssl ciphers`); a policy then
 * negotiates only the selected suites GnuTLS has.
 */
#ifndef TLSPLUG_CIPHERS_H
#define TLSPLUG_CIPHERS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Node 20's tls.DEFAULT_CIPHERS (`node -p tls.DEFAULT_CIPHERS`; the tests
 * check it). */
#define TP_CIPHERS_NODE_DEFAULT                                                                    \
    "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:"                  \
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:"       \
    "ECDHE-ECDSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA256:"             \
    "DHE-RSA-AES128-SHA256:ECDHE-RSA-AES256-SHA384:DHE-RSA-AES256-SHA384:ECDHE-RSA-AES256-SHA256:" \
    "DHE-RSA-AES256-SHA256:HIGH:!aNULL:!eNULL:!EXPORT:!DES:!RC4:!MD5:!PSK:!SRP:!CAMELLIA"

/* OpenSSL's security level when the string names none (@SECLEVEL=n):
 * Node 20's OpenSSL 3.0 default. */
#define TP_CIPHERS_DEFAULT_SECLEVEL 1

/* A compiled `ciphers` value: immutable, so one may be shared by every
 * socket of a frozen context, on any thread. */
typedef struct tp_cipher_policy tp_cipher_policy;

/* Compile Node's `ciphers` the way Node 20 does (processCiphers in
 * lib/internal/tls/secure-context.js, then SSL_CTX_set_ciphersuites and
 * SSL_CTX_set_cipher_list):
 *
 *   - NULL or "" means TP_CIPHERS_NODE_DEFAULT (Node: `ciphers ||
 *     DEFAULT_CIPHERS`; a host that changed the module default passes
 *     that string instead);
 *   - the ':'-separated names that start with "TLS_" (or "!TLS_", which
 *     OpenSSL then knows no suite by) are the TLS 1.3 list: standard
 *     names, unknown ones skipped, an error when none is known (OpenSSL
 *     accepts any suite's standard name here, and a TLS 1.2 one then stays
 *     usable at TLS 1.2, as it does in Node). With no such names the TLS
 *     1.3 suites are OpenSSL's default three, and TLS 1.3 stays enabled
 *     (Node 20 measured: "AES128-SHA" still negotiates TLS 1.3);
 *   - the rest is an OpenSSL cipher list over the TLS <= 1.2 suites;
 *   - *min_version / *max_version (gnutls_protocol_t, may be NULL) are
 *     adjusted as Node 20 does: with only TLS_ names and a range holding
 *     1.2 and 1.3, min becomes TLS 1.3. They change only on success.
 *
 * Errors, all TLSPLUG_E_INVAL with Node's code and message in *err
 * (may be NULL), in Node's order:
 *   ERR_INVALID_ARG_VALUE   every ':'-separated element is empty (":");
 *   ERR_SSL_NO_CIPHER_MATCH no known name among the TLS_ ones, or a
 *                           non-empty rest that selects no suite;
 *   ERR_SSL_INVALID_COMMAND a character that can start no name, an
 *                           unknown @command, @SECLEVEL beyond 0..5.
 * TLSPLUG_E_NOMEM when out of memory; TLSPLUG_E_INVAL for a NULL out. On
 * success *out is the policy (free it with tp_cipher_policy_free()). A
 * policy may select no suite GnuTLS can negotiate (e.g. "ARIA"): OpenSSL
 * accepts it, and handshakes fail. */
int tp_ciphers_compile(const char *ciphers, int *min_version, int *max_version,
                       tp_cipher_policy **out, tp_error *err);

/* NULL is accepted, here and by the functions below (an empty policy). */
void tp_cipher_policy_free(tp_cipher_policy *p);

/* The security level the string set (@SECLEVEL=n, the last one wins), or
 * TP_CIPHERS_DEFAULT_SECLEVEL. The policy applies it to suites as
 * OpenSSL's default security callback does (level >= 1: no anonymous,
 * NULL-cipher or MD5 suites; higher levels: stronger ciphers, no SHA-1
 * MAC, forward secrecy); it also governs key sizes, which is the
 * context's business. */
int tp_cipher_policy_seclevel(const tp_cipher_policy *p);

/* The GnuTLS priority keywords enabling every suite the policy can
 * negotiate: key exchanges, then ciphers, then MACs, each in the order
 * the policy first uses them, e.g. "+ECDHE-RSA:+AES-128-GCM:+AEAD", and
 * the +SIGN-DSA-* keywords when a DSS suite is among them (GnuTLS's
 * SIGN-ALL has no DSA). No versions, groups, other signatures or "NONE:"
 * prefix: the caller adds those.
 * GnuTLS enables the whole product, a superset when the selection is not
 * one, so a server must still choose and a client check. "" when the
 * policy can negotiate nothing. Owned by the policy.
 *
 * tls13: 1 when the priority string will enable TLS 1.3, 0 when not.
 * GnuTLS turns TLS 1.3 off altogether when SRP or RSA-PSK key exchange or
 * the NULL cipher is enabled, so with 1 the suites needing those are left
 * out: a client does not offer them (a server can still pin one with
 * tp_suite_priority() once it has chosen one at TLS 1.2). With 0 the TLS
 * 1.3 suites are left out. */
const char *tp_cipher_policy_tokens(const tp_cipher_policy *p, int tls13);

/* Number of suites in the policy's list, and the i-th one's id: the
 * TLS 1.3 list then the TLS <= 1.2 list, in OpenSSL's order, as
 * `openssl ciphers` prints them (duplicates kept). `all` = 0 counts only
 * suites the policy can negotiate (known to GnuTLS, allowed at its
 * security level); `all` = 1 every suite OpenSSL would list. Answers 0
 * and fills id, or -1 past the end. */
size_t tp_cipher_policy_count(const tp_cipher_policy *p, int all);
int tp_cipher_policy_id(const tp_cipher_policy *p, int all, size_t i, uint8_t id[2]);

/* Can this policy negotiate the suite (in its list, known to GnuTLS,
 * allowed at its security level)? For a client's check of the server's
 * choice; GnuTLS itself rejects a suite the version forbids. */
int tp_cipher_policy_allows(const tp_cipher_policy *p, uint8_t id0, uint8_t id1);

/* What a server has for the handshake at hand, for
 * tp_cipher_policy_choose(). TLS 1.3 suites need none of these. */
enum {
    TP_HAVE_RSA = 1 << 0,     /* an rsaEncryption key: signs (ECDHE-RSA, DHE-RSA)
                                 and decrypts (RSA and RSA-PSK key transport) */
    TP_HAVE_RSA_PSS = 1 << 1, /* an RSA-PSS key: signs only */
    TP_HAVE_ECDSA = 1 << 2,
    TP_HAVE_EDDSA = 1 << 3, /* Ed25519/Ed448: sign ECDHE-ECDSA suites (RFC 8422) */
    TP_HAVE_DSA = 1 << 4,
    TP_HAVE_DHE = 1 << 5,   /* DH parameters (Node: `dhparam`; without it no DHE) */
    TP_HAVE_ECDHE = 1 << 6, /* an EC group both sides have (a ClientHello
                               without supported_groups has all) */
    TP_HAVE_PSK = 1 << 7,   /* a PSK callback */
    TP_HAVE_SRP = 1 << 8,   /* SRP credentials (Node has none) */
    TP_HAVE_ANON = 1 << 9,  /* anonymous credentials (GnuTLS needs them for
                               ADH/AECDH, which also need seclevel 0) */
};

/* A server's choice, as OpenSSL's ssl3_choose_cipher() makes it: the first
 * suite, in the client's order (or the policy's when server_order, Node's
 * honorCipherOrder), that is in both lists, can be negotiated, is usable
 * at `version` (the negotiated gnutls_protocol_t: TLS 1.3 suites only at
 * 1.3, others only below it and not below their own first version) and
 * whose key exchange and authentication `have` (TP_HAVE_*) allows.
 * client_suites is the ClientHello's list (len bytes, 2 per suite;
 * signalling values are skipped). Answers 1 and writes out_id, or 0 when
 * there is none (Node: ERR_SSL_NO_SHARED_CIPHER). */
int tp_cipher_policy_choose(const tp_cipher_policy *p, const uint8_t *client_suites, size_t len,
                            int version, int server_order, unsigned have, uint8_t out_id[2]);

/* Room always enough for tp_suite_priority(). */
#define TP_SUITE_PRIORITY_MAX 256

/* A GnuTLS priority string that makes GnuTLS negotiate exactly this suite
 * at this version (gnutls_protocol_t), for a server to set once it has
 * chosen: "NONE:+VERS-TLS1.2:+ECDHE-RSA:+AES-128-GCM:+AEAD:+SIGN-ALL:
 * +GROUP-ALL:+COMP-NULL:+CTYPE-X509" (a caller may replace the +GROUP-ALL
 * part; TLS 1.3 PSK modes need their key-exchange keywords added). DSS
 * suites also get the +SIGN-DSA-* keywords SIGN-ALL lacks. Answers
 * TLSPLUG_OK; TLSPLUG_E_INVAL for a suite GnuTLS cannot negotiate, or not
 * at that version; TLSPLUG_E_BUFSIZE when cap is short. */
int tp_suite_priority(uint8_t id0, uint8_t id1, int version, char *buf, size_t cap);

#endif
