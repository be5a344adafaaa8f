/* In-memory credentials for the progress oracle (see progress.h): a root,
 * a server leaf for localhost and a client leaf, all ECDSA P-256 so that
 * start-up stays fast; the server's chain includes the root so that its
 * TLS 1.2 flight is long enough to span several re-framed records. */
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "progress.h"

#define TRY(expr)                                                                            \
    do {                                                                                     \
        if ((expr) < 0)                                                                      \
            return "credentials: " #expr " failed";                                          \
    } while (0)

static char *pem_of(gnutls_datum_t d)
{
    char *s = malloc(d.size + 1);
    if (s) {
        memcpy(s, d.data, d.size);
        s[d.size] = 0;
    }
    gnutls_free(d.data);
    return s;
}

static const char *new_key(gnutls_x509_privkey_t *key)
{
    TRY(gnutls_x509_privkey_init(key));
    TRY(gnutls_x509_privkey_generate(*key, GNUTLS_PK_ECDSA,
                                     GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0));
    return NULL;
}

/* A certificate for `key` named `cn`, signed by issuer/issuer_key (itself
 * when NULL). */
static const char *new_cert(gnutls_x509_crt_t *crt, gnutls_x509_privkey_t key, const char *cn,
                            unsigned char serial, int ca, int server, gnutls_x509_crt_t issuer,
                            gnutls_x509_privkey_t issuer_key)
{
    time_t now = time(NULL);
    TRY(gnutls_x509_crt_init(crt));
    TRY(gnutls_x509_crt_set_version(*crt, 3));
    TRY(gnutls_x509_crt_set_serial(*crt, &serial, 1));
    TRY(gnutls_x509_crt_set_activation_time(*crt, now - 3600));
    TRY(gnutls_x509_crt_set_expiration_time(*crt, now + 86400));
    TRY(gnutls_x509_crt_set_dn_by_oid(*crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
                                      (unsigned)strlen(cn)));
    TRY(gnutls_x509_crt_set_key(*crt, key));
    TRY(gnutls_x509_crt_set_basic_constraints(*crt, ca, -1));
    if (ca) {
        TRY(gnutls_x509_crt_set_key_usage(*crt, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN));
    } else {
        TRY(gnutls_x509_crt_set_key_usage(*crt, GNUTLS_KEY_DIGITAL_SIGNATURE));
        TRY(gnutls_x509_crt_set_key_purpose_oid(
            *crt, server ? GNUTLS_KP_TLS_WWW_SERVER : GNUTLS_KP_TLS_WWW_CLIENT, 0));
    }
    if (server)
        TRY(gnutls_x509_crt_set_subject_alt_name(*crt, GNUTLS_SAN_DNSNAME, "localhost", 9,
                                                 GNUTLS_FSAN_SET));
    TRY(gnutls_x509_crt_sign2(*crt, issuer ? issuer : *crt, issuer_key ? issuer_key : key,
                              GNUTLS_DIG_SHA256, 0));
    return NULL;
}

static const char *export_key(gnutls_x509_privkey_t key, char **out)
{
    gnutls_datum_t d;
    TRY(gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &d));
    return (*out = pem_of(d)) ? NULL : "credentials: out of memory";
}

static const char *export_cert(gnutls_x509_crt_t crt, char **out)
{
    gnutls_datum_t d;
    TRY(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &d));
    return (*out = pem_of(d)) ? NULL : "credentials: out of memory";
}

const char *oc_make_creds(oc_creds *out)
{
    memset(out, 0, sizeof *out);
    gnutls_x509_privkey_t ca_key, srv_key, cli_key;
    gnutls_x509_crt_t ca, srv, cli;
    const char *err;
    char *leaf = NULL;
    if ((err = new_key(&ca_key)) || (err = new_key(&srv_key)) || (err = new_key(&cli_key)))
        return err;
    if ((err = new_cert(&ca, ca_key, "progress oracle root", 1, 1, 0, NULL, NULL)) ||
        (err = new_cert(&srv, srv_key, "localhost", 2, 0, 1, ca, ca_key)) ||
        (err = new_cert(&cli, cli_key, "progress oracle client", 3, 0, 0, ca, ca_key)))
        return err;
    if ((err = export_cert(ca, &out->ca)) || (err = export_key(srv_key, &out->server_key)) ||
        (err = export_cert(srv, &leaf)) || (err = export_key(cli_key, &out->client_key)) ||
        (err = export_cert(cli, &out->client_cert)))
        return err;
    size_t nl = strlen(leaf), nc = strlen(out->ca);
    if (!(out->server_chain = malloc(nl + nc + 1)))
        return "credentials: out of memory";
    memcpy(out->server_chain, leaf, nl);
    memcpy(out->server_chain + nl, out->ca, nc + 1);
    free(leaf);
    gnutls_x509_crt_deinit(ca);
    gnutls_x509_crt_deinit(srv);
    gnutls_x509_crt_deinit(cli);
    gnutls_x509_privkey_deinit(ca_key);
    gnutls_x509_privkey_deinit(srv_key);
    gnutls_x509_privkey_deinit(cli_key);
    return NULL;
}
