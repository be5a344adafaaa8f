/* OpenSSL 3.0's revocation stage as Node's `crl` option sets it up
 * (X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL): every certificate in
 * the path, the top included, needs a CRL from its issuer. Follows
 * check_revocation(), check_cert(), get_crl_sk(), crl_akid_check(),
 * check_crl() and cert_crl() in crypto/x509/x509_vfy.c. Indirect CRLs,
 * delta CRLs and distribution-point scopes (extended CRL support, which
 * Node does not enable) are not replayed. */
#include <string.h>

#include "verify_int.h"

/* get_crl_score()'s weights, so that the CRL OpenSSL picks is picked. */
enum {
    SCORE_TIME = 0x040,
    SCORE_ISSUER_NAME = 0x020,
    SCORE_ISSUER_CERT = 0x018,
    SCORE_SAME_PATH = 0x008,
    SCORE_AKID = 0x004
};

static int crl_time_ok(gnutls_x509_crl_t crl, time_t now)
{
    time_t this_upd = gnutls_x509_crl_get_this_update(crl);
    time_t next_upd = gnutls_x509_crl_get_next_update(crl);
    return !(this_upd > now) && !(next_upd != (time_t)-1 && next_upd <= now);
}

/* X509_check_akid(): the CRL's authority key id, when both ids exist, must
 * be the candidate issuer's subject key id. */
static int akid_ok(gnutls_x509_crt_t issuer, gnutls_x509_crl_t crl)
{
    unsigned char a[128], s[128];
    size_t asz = sizeof a, ssz = sizeof s;
    if (gnutls_x509_crl_get_authority_key_id(crl, a, &asz, NULL) < 0)
        return 1;
    if (gnutls_x509_crt_get_subject_key_id(issuer, s, &ssz, NULL) < 0)
        return 1;
    return asz == ssz && memcmp(a, s, asz) == 0;
}

/* get_crl_score() for the certificate at depth i: 0 when the CRL cannot be
 * used (another issuer, or no certificate up the path that signed it). */
static unsigned crl_score(const tp_vpath *p, unsigned i, gnutls_x509_crl_t crl,
                          const gnutls_datum_t *cert_issuer, gnutls_x509_crt_t *signer)
{
    gnutls_datum_t cdn = {NULL, 0};
    if (gnutls_x509_crl_get_raw_issuer_dn(crl, &cdn) < 0)
        return 0;
    unsigned score = 0;
    if (tp_v_same_dn(&cdn, cert_issuer)) {
        score = SCORE_ISSUER_NAME;
        if (crl_time_ok(crl, p->now))
            score |= SCORE_TIME;
        /* crl_akid_check(): the certificate above, else one further up
         * with the CRL's issuer name. */
        unsigned cidx = i + 1 < p->len ? i + 1 : i;
        if (akid_ok(p->crt[cidx], crl)) {
            *signer = p->crt[cidx];
            score |= SCORE_AKID | SCORE_ISSUER_CERT;
        } else {
            for (unsigned j = cidx + 1; j < p->len; j++) {
                gnutls_datum_t sdn = {NULL, 0};
                if (gnutls_x509_crt_get_raw_dn(p->crt[j], &sdn) < 0)
                    continue;
                int match = tp_v_same_dn(&sdn, &cdn) && akid_ok(p->crt[j], crl);
                gnutls_free(sdn.data);
                if (match) {
                    *signer = p->crt[j];
                    score |= SCORE_AKID | SCORE_SAME_PATH;
                    break;
                }
            }
        }
    }
    gnutls_free(cdn.data);
    return (score & SCORE_AKID) ? score : 0;
}

static int crl_signature_ok(gnutls_x509_crl_t crl, gnutls_x509_crt_t signer)
{
    unsigned st = 0;
    unsigned flags = GNUTLS_VERIFY_DISABLE_CA_SIGN | GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
                     GNUTLS_VERIFY_ALLOW_BROKEN | GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1;
    if (gnutls_x509_crl_verify(crl, &signer, 1, flags, &st) < 0)
        return 0;
    return (st & (GNUTLS_CERT_SIGNATURE_FAILURE | GNUTLS_CERT_SIGNER_NOT_FOUND)) == 0;
}

/* check_cert() for the certificate at depth i. */
static void check_cert(tp_vpath *p, unsigned i, const gnutls_x509_crl_t *crls, unsigned ncrls)
{
    gnutls_x509_crt_t x = p->crt[i];
    gnutls_datum_t idn = {NULL, 0};
    if (gnutls_x509_crt_get_raw_issuer_dn(x, &idn) < 0) {
        p->err = TP_V_UNABLE_TO_GET_CRL;
        return;
    }
    /* get_crl_sk(): the best score; among equals, the newest. */
    gnutls_x509_crl_t best = NULL;
    gnutls_x509_crt_t best_signer = NULL;
    unsigned best_score = 0;
    for (unsigned k = 0; k < ncrls; k++) {
        gnutls_x509_crt_t signer = NULL;
        unsigned s = crl_score(p, i, crls[k], &idn, &signer);
        if (s == 0 || s < best_score)
            continue;
        if (s == best_score && best &&
            gnutls_x509_crl_get_this_update(crls[k]) <= gnutls_x509_crl_get_this_update(best))
            continue;
        best = crls[k];
        best_signer = signer;
        best_score = s;
    }
    gnutls_free(idn.data);
    if (!best) {
        p->err = TP_V_UNABLE_TO_GET_CRL;
        return;
    }
    /* check_crl(), then cert_crl(); each error is recorded and the checks
     * go on, as under Node's accept-everything verify callback. */
    if (tp_v_ku_reject(best_signer, GNUTLS_KEY_CRL_SIGN))
        p->err = TP_V_KEYUSAGE_NO_CRL_SIGN;
    if (!(best_score & SCORE_TIME)) {
        time_t next_upd = gnutls_x509_crl_get_next_update(best);
        if (gnutls_x509_crl_get_this_update(best) > p->now)
            p->err = TP_V_CRL_NOT_YET_VALID;
        if (next_upd != (time_t)-1 && next_upd <= p->now)
            p->err = TP_V_CRL_HAS_EXPIRED;
    }
    if (!crl_signature_ok(best, best_signer))
        p->err = TP_V_CRL_SIGNATURE_FAILURE;
    if (gnutls_x509_crt_check_revocation(x, &best, 1) == 1)
        p->err = TP_V_CERT_REVOKED;
}

void tp_v_check_revocation(tp_vpath *p, const gnutls_x509_crl_t *crls, unsigned ncrls)
{
    for (unsigned i = 0; i < p->len; i++)
        check_cert(p, i, crls, ncrls);
}
