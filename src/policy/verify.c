/* Node's `authorized` / `authorizationError` over GnuTLS (docs/GNUTLS.md,
 * "Verification and certificates").
 *
 * Node's verify callback accepts everything and reads the error afterwards,
 * so OpenSSL's X509_verify_cert() runs to the end and Node reports the *last*
 * error it found. GnuTLS's status bits only summarise a chain, so this file
 * replays OpenSSL 3.0's order over GnuTLS's primitives:
 *
 *   1. build the path: the trust list's issuers first, then the peer's certs
 *      (here); an incomplete or untrusted path is the first error;
 *   2. extensions: CA flags, purpose, path length        (verify_checks.c)
 *   3. signature digest strength                          (verify_checks.c)
 *   4. revocation of every cert, Node's CRL_CHECK_ALL     (verify_crl.c)
 *   5. signatures and validity times, root to leaf        (verify_checks.c)
 *
 * When the replay finds nothing, gnutls_x509_trust_list_verify_crt2() still
 * judges the chain (validity times excepted, they are ours against `now`),
 * so a chain GnuTLS refuses is never authorized. It runs first, and the
 * signatures it found good are not checked again in step 5 (note_verified):
 * each signature costs one public-key operation, the bulk of the work.
 */
#include "verify.h"

#include <string.h>

#include "verify_int.h"

/* Node's code and OpenSSL 3.0's text (X509_verify_cert_error_string) for each
 * error, as Node 20 shows them; tests/unit/verify_vs_node.py checks them. */
static const struct {
    const char *code, *message;
} k_text[] = {
    [TP_V_UNABLE_TO_GET_ISSUER_CERT] = {"UNABLE_TO_GET_ISSUER_CERT", "unable to get issuer certificate"},
    [TP_V_UNABLE_TO_GET_CRL] = {"UNABLE_TO_GET_CRL", "unable to get certificate CRL"},
    [TP_V_CERT_SIGNATURE_FAILURE] = {"CERT_SIGNATURE_FAILURE", "certificate signature failure"},
    [TP_V_CRL_SIGNATURE_FAILURE] = {"CRL_SIGNATURE_FAILURE", "CRL signature failure"},
    [TP_V_CERT_NOT_YET_VALID] = {"CERT_NOT_YET_VALID", "certificate is not yet valid"},
    [TP_V_CERT_HAS_EXPIRED] = {"CERT_HAS_EXPIRED", "certificate has expired"},
    [TP_V_CRL_NOT_YET_VALID] = {"CRL_NOT_YET_VALID", "CRL is not yet valid"},
    [TP_V_CRL_HAS_EXPIRED] = {"CRL_HAS_EXPIRED", "CRL has expired"},
    [TP_V_DEPTH_ZERO_SELF_SIGNED_CERT] = {"DEPTH_ZERO_SELF_SIGNED_CERT", "self-signed certificate"},
    [TP_V_SELF_SIGNED_CERT_IN_CHAIN] = {"SELF_SIGNED_CERT_IN_CHAIN",
                                        "self-signed certificate in certificate chain"},
    [TP_V_UNABLE_TO_GET_ISSUER_CERT_LOCALLY] = {"UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
                                                "unable to get local issuer certificate"},
    [TP_V_UNABLE_TO_VERIFY_LEAF_SIGNATURE] = {"UNABLE_TO_VERIFY_LEAF_SIGNATURE",
                                              "unable to verify the first certificate"},
    [TP_V_CERT_REVOKED] = {"CERT_REVOKED", "certificate revoked"},
    [TP_V_INVALID_CA] = {"INVALID_CA", "invalid CA certificate"},
    [TP_V_PATH_LENGTH_EXCEEDED] = {"PATH_LENGTH_EXCEEDED", "path length constraint exceeded"},
    /* OpenSSL 3.0 says "unsuitable", not 1.1's "unsupported". */
    [TP_V_INVALID_PURPOSE] = {"INVALID_PURPOSE", "unsuitable certificate purpose"},
    [TP_V_CERT_REJECTED] = {"CERT_REJECTED", "certificate rejected"},
    [TP_V_KEYUSAGE_NO_CERTSIGN] = {"UNSPECIFIED", "key usage does not include certificate signing"},
    [TP_V_KEYUSAGE_NO_CRL_SIGN] = {"UNSPECIFIED", "key usage does not include CRL signing"},
    [TP_V_UNHANDLED_CRITICAL_EXTENSION] = {"UNSPECIFIED", "unhandled critical extension"},
    [TP_V_CA_MD_TOO_WEAK] = {"UNSPECIFIED", "CA signature digest algorithm too weak"},
    [TP_V_PERMITTED_VIOLATION] = {"UNSPECIFIED", "permitted subtree violation"},
};

static void set_result(tp_verify_result *out, tp_verr e)
{
    out->authorized = e == TP_V_OK;
    out->code = e == TP_V_OK ? NULL : k_text[e].code;
    out->message = e == TP_V_OK ? NULL : k_text[e].message;
}

/* The certificates met while building: the peer's (imported) and copies of
 * trust-list certificates, all released at the end (trust-list
 * certificates read in place are not ours). */
typedef struct certs {
    gnutls_x509_crt_t peer[TP_VERIFY_MAX_DEPTH];
    unsigned char used[TP_VERIFY_MAX_DEPTH]; /* already in the path */
    unsigned npeer;
    gnutls_x509_crt_t copies[TP_VERIFY_MAX_DEPTH];
    unsigned ncopies;
    int tl_in_memory; /* tp_verify_opts.tl_in_memory: no copies */
} certs;

static void certs_free(certs *c)
{
    for (unsigned i = 0; i < c->npeer; i++)
        if (c->peer[i])
            gnutls_x509_crt_deinit(c->peer[i]);
    for (unsigned i = 0; i < c->ncopies; i++)
        gnutls_x509_crt_deinit(c->copies[i]);
}

/* Import the peer's chain; -1 when a certificate does not parse. Certificates
 * past TP_VERIFY_MAX_DEPTH are ignored. */
static int certs_import(certs *c, const gnutls_datum_t *chain, unsigned n)
{
    for (unsigned i = 0; i < n && i < TP_VERIFY_MAX_DEPTH; i++) {
        if (gnutls_x509_crt_init(&c->peer[c->npeer]) < 0)
            return -1;
        c->npeer++;
        if (gnutls_x509_crt_import(c->peer[i], &chain[i], GNUTLS_X509_FMT_DER) < 0)
            return -1;
    }
    return 0;
}

/* The trust list's issuer of x, or NULL: the list's own certificate when
 * it is in memory (tp_verify_opts.tl_in_memory; a copy costs an export and
 * a parse), else a copy owned by c. */
static gnutls_x509_crt_t trusted_issuer(gnutls_x509_trust_list_t tl, certs *c, gnutls_x509_crt_t x)
{
    gnutls_x509_crt_t iss = NULL;
    if (c->tl_in_memory)
        return gnutls_x509_trust_list_get_issuer(tl, x, &iss, 0) < 0 ? NULL : iss;
    if (c->ncopies == TP_VERIFY_MAX_DEPTH ||
        gnutls_x509_trust_list_get_issuer(tl, x, &iss, GNUTLS_TL_GET_COPY) < 0 || !iss)
        return NULL;
    c->copies[c->ncopies++] = iss;
    return iss;
}

static int valid_at(gnutls_x509_crt_t x, time_t now)
{
    time_t nb = gnutls_x509_crt_get_activation_time(x);
    time_t na = gnutls_x509_crt_get_expiration_time(x);
    return !(nb != (time_t)-1 && nb > now) && !(na != (time_t)-1 && na <= now);
}

/* OpenSSL's find_issuer() over the peer's unused certificates: the first
 * issuer valid now, else the one expiring last. */
static int peer_issuer(certs *c, gnutls_x509_crt_t x, time_t now)
{
    int best = -1;
    time_t best_exp = 0;
    for (unsigned i = 0; i < c->npeer; i++) {
        if (c->used[i] || !gnutls_x509_crt_check_issuer(x, c->peer[i]))
            continue;
        if (valid_at(c->peer[i], now))
            return (int)i;
        time_t exp = gnutls_x509_crt_get_expiration_time(c->peer[i]);
        if (best < 0 || exp > best_exp) {
            best = (int)i;
            best_exp = exp;
        }
    }
    return best;
}

/* Append x to the path, with what the stages ask about it. */
static void path_add(tp_vpath *p, gnutls_x509_crt_t x)
{
    int named;
    p->self[p->len] = (unsigned char)tp_v_self_issued_named(x, &named);
    p->self_named[p->len] = (unsigned char)named;
    p->crt[p->len++] = x;
}

/* OpenSSL's build_chain(): grow the path from the leaf, asking the trust
 * list first and the peer's certificates only while no trusted certificate
 * has been added. A self-issued top ends the path; it is trusted only when
 * the trust list holds exactly that certificate. Then the build's error: a
 * path is trusted only when it ends at a self-issued trust-list certificate
 * (OpenSSL's default trust accepts no partial chain). */
static void build_path(gnutls_x509_trust_list_t tl, certs *c, tp_vpath *p)
{
    path_add(p, c->peer[0]);
    c->used[0] = 1;
    p->num_untrusted = 1;
    while (p->len < TP_VERIFY_MAX_DEPTH) {
        gnutls_x509_crt_t x = p->crt[p->len - 1];
        if (p->self[p->len - 1]) {
            if (p->len == p->num_untrusted) {
                gnutls_x509_crt_t t = trusted_issuer(tl, c, x);
                if (t && gnutls_x509_crt_equals(x, t)) {
                    p->crt[p->len - 1] = t; /* the same certificate: still self-issued */
                    p->num_untrusted--;
                }
            }
            break;
        }
        gnutls_x509_crt_t t = trusted_issuer(tl, c, x);
        if (t) {
            path_add(p, t);
            continue;
        }
        if (p->len > p->num_untrusted)
            break;
        int i = peer_issuer(c, x, p->now);
        if (i < 0)
            break;
        c->used[i] = 1;
        path_add(p, c->peer[i]);
        p->num_untrusted++;
    }

    int self = p->self[p->len - 1];
    if (p->len > p->num_untrusted && self)
        return; /* trusted */
    if (self)
        p->err = p->len == 1 ? TP_V_DEPTH_ZERO_SELF_SIGNED_CERT : TP_V_SELF_SIGNED_CERT_IN_CHAIN;
    else
        p->err = p->num_untrusted < p->len ? TP_V_UNABLE_TO_GET_ISSUER_CERT
                                           : TP_V_UNABLE_TO_GET_ISSUER_CERT_LOCALLY;
}

/* The path being replayed on this thread, for note_verified():
 * gnutls_verify_output_function takes no user pointer. */
static _Thread_local tp_vpath *t_path;

/* GnuTLS calls this for each certificate it judged, with the issuer it
 * judged it against. A verdict of 0 on a (cert, issuer) pair means GnuTLS
 * checked cert's signature with issuer's key and found it good (its
 * verify_crt() sets a bit for anything it could not check), so when the
 * replay's path holds that very pair, its own signature check would only
 * repeat the same public-key operation. Two reports are not such proof and
 * are skipped: CRL checks, and GnuTLS's "this certificate is already
 * trusted" shortcut, which reports a certificate against a trusted one with
 * the same name and key without checking any signature. Such a report can
 * only name a path pair whose certificate's issuer name is its own subject
 * name (p->self_named), so those pairs are left to the replay's own check. */
static int note_verified(gnutls_x509_crt_t cert, gnutls_x509_crt_t issuer, gnutls_x509_crl_t crl,
                         unsigned verification_output)
{
    tp_vpath *p = t_path;
    if (!p || crl || !cert || !issuer || verification_output != 0)
        return 0;
    for (unsigned i = 0; i + 1 < p->len; i++) {
        /* Peer certificates are our own objects; trust-list ones are
         * copies, compared by content. */
        if (p->sig_ok[i] || p->self_named[i] || p->crt[i] != cert)
            continue;
        gnutls_x509_crt_t up = p->crt[i + 1];
        if (up == issuer || gnutls_x509_crt_equals(up, issuer))
            p->sig_ok[i] = 1;
    }
    return 0;
}

/* GnuTLS's own verification of the peer's chain: the judge of what the
 * replay does not cover (name constraints, unknown critical extensions
 * GnuTLS refuses, ...), and, through note_verified(), the one check of the
 * path's signatures when they are good. Answers 0 with GnuTLS's status
 * bits, or -1 when it could not run. Run before the replay; its verdict
 * only counts when the replay finds nothing (gnutls_verdict()). */
static int gnutls_verify(gnutls_x509_trust_list_t tl, certs *c, tp_vpath *p, int crl_fallback,
                         unsigned *st)
{
    unsigned flags = GNUTLS_VERIFY_DISABLE_TIME_CHECKS | GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS;
    if (!crl_fallback)
        flags |= GNUTLS_VERIFY_DISABLE_CRL_CHECKS;
    *st = 0;
    t_path = p;
    int rc = gnutls_x509_trust_list_verify_crt2(tl, c->peer, c->npeer, NULL, 0, flags, st,
                                                note_verified);
    t_path = NULL;
    return rc < 0 ? -1 : 0;
}

/* GnuTLS's verdict on a chain the replay accepted, in Node's terms. The
 * bits the replay already covers should never be set here; the rest (name
 * constraints, unknown critical extensions GnuTLS refuses, ...) map to the
 * nearest OpenSSL error. */
static tp_verr gnutls_verdict(certs *c, int rc, unsigned st)
{
    if (rc < 0)
        return TP_V_CERT_REJECTED;
    if (st == 0)
        return TP_V_OK;
    if (st & GNUTLS_CERT_SIGNATURE_FAILURE)
        return TP_V_CERT_SIGNATURE_FAILURE;
    if (st & GNUTLS_CERT_REVOKED)
        return TP_V_CERT_REVOKED;
    if (st & GNUTLS_CERT_SIGNER_NOT_CA)
        return TP_V_INVALID_CA;
    if (st & GNUTLS_CERT_PURPOSE_MISMATCH)
        return TP_V_INVALID_PURPOSE;
    if (st & GNUTLS_CERT_INSECURE_ALGORITHM)
        return TP_V_CA_MD_TOO_WEAK;
    if (st & GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE)
        return TP_V_PERMITTED_VIOLATION;
    if (st & GNUTLS_CERT_UNKNOWN_CRIT_EXTENSIONS)
        return TP_V_UNHANDLED_CRITICAL_EXTENSION;
    if (st & GNUTLS_CERT_SIGNER_NOT_FOUND) {
        gnutls_x509_crt_t last = c->peer[c->npeer - 1];
        if (tp_v_self_issued(last))
            return c->npeer == 1 ? TP_V_DEPTH_ZERO_SELF_SIGNED_CERT : TP_V_SELF_SIGNED_CERT_IN_CHAIN;
        return c->npeer == 1 ? TP_V_UNABLE_TO_VERIFY_LEAF_SIGNATURE : TP_V_UNABLE_TO_GET_ISSUER_CERT_LOCALLY;
    }
    return TP_V_CERT_REJECTED;
}

void tp_verify_chain_leaf(gnutls_x509_trust_list_t tl, const gnutls_datum_t *chain, unsigned n,
                          const tp_verify_opts *opts, time_t now, tp_verify_result *out,
                          gnutls_x509_crt_t *leaf)
{
    static const tp_verify_opts defaults = {TP_PURPOSE_NONE, 0, NULL, 0, 0};
    if (leaf)
        *leaf = NULL;
    if (!out)
        return;
    if (!opts)
        opts = &defaults;
    /* A server whose client sent no certificate: OpenSSL's verify result
     * stays at its initial value, which Node reports. */
    if (n == 0 || !chain) {
        set_result(out, TP_V_UNABLE_TO_GET_ISSUER_CERT);
        return;
    }
    certs c;
    memset(&c, 0, sizeof c);
    c.tl_in_memory = opts->tl_in_memory;
    if (!tl || certs_import(&c, chain, n) < 0) {
        certs_free(&c);
        set_result(out, TP_V_CERT_REJECTED);
        return;
    }
    tp_vpath p;
    memset(&p, 0, sizeof p);
    p.now = now;
    int own_crls = opts->crl_check && opts->crls;

    build_path(tl, &c, &p);
    unsigned st;
    int rc = gnutls_verify(tl, &c, &p, opts->crl_check && !own_crls, &st);
    tp_v_check_extensions(&p, opts->purpose);
    tp_v_check_auth_level(&p);
    if (own_crls)
        tp_v_check_revocation(&p, opts->crls, opts->ncrls);
    tp_v_check_signatures_and_times(&p);

    if (p.err == TP_V_OK)
        p.err = gnutls_verdict(&c, rc, st);
    if (leaf && p.err == TP_V_OK) {
        *leaf = c.peer[0];
        c.peer[0] = NULL;
    }
    certs_free(&c);
    set_result(out, p.err);
}

void tp_verify_chain_ex(gnutls_x509_trust_list_t tl, const gnutls_datum_t *chain, unsigned n,
                        const tp_verify_opts *opts, time_t now, tp_verify_result *out)
{
    tp_verify_chain_leaf(tl, chain, n, opts, now, out, NULL);
}

void tp_verify_chain(gnutls_x509_trust_list_t tl, const gnutls_datum_t *chain, unsigned n,
                     int crl_check, time_t now, tp_verify_result *out)
{
    tp_verify_opts o = {TP_PURPOSE_NONE, crl_check, NULL, 0, 0};
    tp_verify_chain_ex(tl, chain, n, &o, now, out);
}
