/* The context's trust digest: what decides a verification verdict, hashed
 * once when the context freezes, so that a client session's verdict can be
 * bound to the trust it was computed under (engine/session_mac.h). */
#include <string.h>

#include "context.h"
#include "digest.h"

int tp_context_trust_digest(const struct tlsplug_context *c, uint8_t out[32])
{
    gnutls_hash_hd_t h;
    if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
        return -1;
    /* The CAs as given, or "the system's trust"; then the CRLs (Node's
     * `crl` turns on CRL checking, so having any changes verdicts). */
    const char *kind = c->have_ca ? "ca" : "system";
    int bad = tp_hash_field(h, kind, strlen(kind)) < 0 ||
              (c->have_ca && tp_hash_field(h, tp_buf_peek(&c->ca_pem), tp_buf_len(&c->ca_pem)) < 0) ||
              tp_hash_number(h, c->ncrls) < 0;
    for (unsigned i = 0; !bad && i < c->ncrls; i++) {
        gnutls_datum_t der;
        bad = gnutls_x509_crl_export2(c->crls[i], GNUTLS_X509_FMT_DER, &der) < 0;
        if (!bad) {
            bad = tp_hash_field(h, der.data, der.size) < 0;
            gnutls_free(der.data);
        }
    }
    gnutls_hash_deinit(h, out);
    return bad ? -1 : 0;
}
