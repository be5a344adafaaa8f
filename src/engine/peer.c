/* Verifying the peer when the handshake completes, as Node does: the chain
 * against the context's trust (verify.c), then, on a client, the host name
 * against the leaf (identity.c). The handshake itself never fails on
 * verification: Node finishes it and then destroys the socket. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "identity.h"
#include "session_mac.h"
#include "socket.h"
#include "verify.h"

/* Room for Node's reason with a long list of altnames. */
#define REASON_MAX 4096

/* The code is made only for a peer that is not authorized (an authorized
 * socket carries none); out of memory, Node's code for that. */
static char oom_code[] = "ERR_OUT_OF_MEMORY";

void tp_socket_clear_auth_code(struct tlsplug_socket *s)
{
    if (s->auth_code != oom_code)
        free(s->auth_code);
    s->auth_code = NULL;
}

static void set_code(struct tlsplug_socket *s, const char *code)
{
    char *copy = strndup(code ? code : "", TP_AUTH_CODE_MAX - 1);
    tp_socket_clear_auth_code(s);
    s->auth_code = copy ? copy : oom_code;
}

/* The client's host-name check against the leaf the chain verification
 * imported; answers 0 or fills s->err. */
static int check_identity(struct tlsplug_socket *s, gnutls_x509_crt_t leaf)
{
    const char *host = tp_socket_identity_host(s);
    char *reason = malloc(REASON_MAX);
    if (!reason)
        return tp_fail(&s->err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY", "out of memory");
    int rc = tp_check_server_identity(host, leaf, reason, REASON_MAX);
    if (rc != 0)
        tp_fail(&s->err, TLSPLUG_E_VERIFY, "ERR_TLS_CERT_ALTNAME_INVALID",
                "Hostname/IP does not match certificate's altnames: %s", reason);
    free(reason);
    return rc == 0 ? 0 : TLSPLUG_E_VERIFY;
}

const char *tp_socket_identity_host(const struct tlsplug_socket *s)
{
    /* Node checks options.servername || options.host || 'localhost'. */
    return s->servername ? s->servername : "localhost";
}

int tp_socket_unauthorized(struct tlsplug_socket *s, const char *code)
{
    s->authorized = 0;
    set_code(s, code);
    return s->reject_unauthorized ? TLSPLUG_E_VERIFY : TLSPLUG_OK;
}

int tp_socket_verify_peer(struct tlsplug_socket *s)
{
    s->authorized = 0;
    tp_socket_clear_auth_code(s);
    if (s->role == TLSPLUG_ROLE_SERVER && !s->request_cert)
        return TLSPLUG_OK; /* Node: authorized false, no error, nothing to check */

    if (s->role == TLSPLUG_ROLE_CLIENT && gnutls_session_is_resumed(s->session) &&
        tp_session_verdict_applies(s)) {
        /* Node keeps the verify result with the session and trusts it on
         * resumption (OpenSSL's SSL_SESSION does): no chain walk again.
         * Only for a verdict this process made under the same trust and for
         * the same name (session_mac.h); any other resumed session is
         * verified below like a fresh connection, host name included. */
        if (s->resumed->authorized) {
            s->authorized = 1;
            return TLSPLUG_OK;
        }
        tp_fail(&s->err, TLSPLUG_E_VERIFY, s->resumed->code, "%s (from the resumed session)",
                s->resumed->code);
        return tp_socket_unauthorized(s, s->resumed->code);
    }
    unsigned n = 0;
    const gnutls_datum_t *chain = gnutls_certificate_get_peers(s->session, &n);
    if (!chain)
        n = 0;
    gnutls_x509_trust_list_t tl = tp_context_trust(s->ctx);
    tp_verify_result res = {0, "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
                            "unable to get local issuer certificate"};
    /* The host name too, unless the host's checkServerIdentity does it. */
    int check_host = s->role == TLSPLUG_ROLE_CLIENT && !s->custom_identity;
    gnutls_x509_crt_t leaf = NULL;
    /* OpenSSL checks the purpose by role, and Node reports INVALID_PURPOSE. */
    tp_verify_opts opts = {
        .purpose = s->role == TLSPLUG_ROLE_CLIENT ? TP_PURPOSE_SSL_SERVER : TP_PURPOSE_SSL_CLIENT,
        .crl_check = s->ctx->ncrls > 0, /* Node's `crl` turns on CRL_CHECK_ALL */
        .crls = s->ctx->crls,
        .ncrls = s->ctx->ncrls,
        .tl_in_memory = s->ctx->have_ca, /* the `ca` option's certificates (context.c) */
    };
    /* A PSK handshake authenticates the peer by the key, with no
     * certificate: OpenSSL's verify result stays X509_V_OK and Node goes on
     * to checkServerIdentity (which PSK clients replace). */
    if (gnutls_auth_get_type(s->session) == GNUTLS_CRD_PSK)
        res.authorized = 1;
    else if (tl)
        tp_verify_chain_leaf(tl, chain, n, &opts, time(NULL), &res, check_host ? &leaf : NULL);

    if (!res.authorized) {
        tp_fail(&s->err, TLSPLUG_E_VERIFY, res.code, "%s", res.message);
        return tp_socket_unauthorized(s, res.code);
    }
    if (s->role == TLSPLUG_ROLE_CLIENT && s->custom_identity)
        return TP_VERIFY_ASK_HOST;
    if (check_host) {
        int bad = check_identity(s, leaf);
        if (leaf)
            gnutls_x509_crt_deinit(leaf);
        if (bad != 0)
            return tp_socket_unauthorized(s, tp_error_code(&s->err));
    }
    s->authorized = 1;
    return TLSPLUG_OK;
}
