/* verify_tool: run the library's verification on one case and print the
 * outcome, for verify_vs_node.py to compare with Node's.
 *
 *   verify_tool [--purpose=server|client|none] [--api=ex|plain] CAFILE CHAINFILE [CRLFILE...]
 *
 * CAFILE holds the trusted certificates (Node's `ca`), CHAINFILE the peer's
 * chain as sent, leaf first (empty: the peer sent none), each CRLFILE CRLs
 * (Node's `crl`). --api=ex (default) calls tp_verify_chain_ex() with the
 * purpose and the CRL list; --api=plain calls tp_verify_chain(), the CRLs
 * then living only in the trust list. Prints "1" when authorized, else
 * "0 CODE MESSAGE". Exit status 2 on a usage or file error.
 */
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "verify.h"

#define MAX_CRLS 16

static int die(const char *what, const char *arg)
{
    fprintf(stderr, "verify_tool: %s: %s\n", what, arg);
    return 2;
}

/* The PEM chain in `path` as DER datums (caller frees); *n = 0 for an empty file. */
static int load_chain(const char *path, gnutls_datum_t **der, unsigned *n)
{
    gnutls_datum_t pem = {NULL, 0};
    *der = NULL;
    *n = 0;
    if (gnutls_load_file(path, &pem) < 0)
        return -1;
    if (pem.size == 0) {
        gnutls_free(pem.data);
        return 0;
    }
    gnutls_x509_crt_t *crts = NULL;
    int r = gnutls_x509_crt_list_import2(&crts, n, &pem, GNUTLS_X509_FMT_PEM, 0);
    gnutls_free(pem.data);
    if (r < 0)
        return -1;
    *der = calloc(*n ? *n : 1, sizeof **der);
    for (unsigned i = 0; i < *n; i++) {
        if (*der && gnutls_x509_crt_export2(crts[i], GNUTLS_X509_FMT_DER, &(*der)[i]) < 0)
            r = -1;
        gnutls_x509_crt_deinit(crts[i]);
    }
    gnutls_free(crts);
    return *der ? r : -1;
}

static int load_crls(const char *path, gnutls_x509_crl_t *crls, unsigned *ncrls)
{
    gnutls_datum_t pem = {NULL, 0};
    if (gnutls_load_file(path, &pem) < 0)
        return -1;
    gnutls_x509_crl_t *list = NULL;
    unsigned n = 0;
    int r = gnutls_x509_crl_list_import2(&list, &n, &pem, GNUTLS_X509_FMT_PEM, 0);
    gnutls_free(pem.data);
    if (r < 0)
        return -1;
    for (unsigned i = 0; i < n; i++) {
        if (*ncrls < MAX_CRLS)
            crls[(*ncrls)++] = list[i];
        else
            gnutls_x509_crl_deinit(list[i]);
    }
    gnutls_free(list);
    return 0;
}

int main(int argc, char **argv)
{
    tp_purpose purpose = TP_PURPOSE_SSL_SERVER;
    int plain = 0;
    int a = 1;
    for (; a < argc && strncmp(argv[a], "--", 2) == 0; a++) {
        if (strcmp(argv[a], "--purpose=server") == 0)
            purpose = TP_PURPOSE_SSL_SERVER;
        else if (strcmp(argv[a], "--purpose=client") == 0)
            purpose = TP_PURPOSE_SSL_CLIENT;
        else if (strcmp(argv[a], "--purpose=none") == 0)
            purpose = TP_PURPOSE_NONE;
        else if (strcmp(argv[a], "--api=plain") == 0)
            plain = 1;
        else if (strcmp(argv[a], "--api=ex") == 0)
            plain = 0;
        else
            return die("unknown option", argv[a]);
    }
    if (argc - a < 2)
        return die("usage", "verify_tool [--purpose=P] [--api=ex|plain] CAFILE CHAINFILE [CRLFILE...]");

    gnutls_x509_trust_list_t tl;
    if (gnutls_x509_trust_list_init(&tl, 0) < 0)
        return die("trust list", "init");
    gnutls_datum_t ca = {NULL, 0};
    if (gnutls_load_file(argv[a], &ca) < 0 ||
        gnutls_x509_trust_list_add_trust_mem(tl, &ca, NULL, GNUTLS_X509_FMT_PEM, 0, 0) < 0)
        return die("cannot load CA file", argv[a]);
    gnutls_free(ca.data);

    gnutls_datum_t *chain;
    unsigned n;
    if (load_chain(argv[a + 1], &chain, &n) < 0)
        return die("cannot load chain", argv[a + 1]);

    gnutls_x509_crl_t crls[MAX_CRLS];
    unsigned ncrls = 0;
    for (int i = a + 2; i < argc; i++)
        if (load_crls(argv[i], crls, &ncrls) < 0)
            return die("cannot load CRL file", argv[i]);

    tp_verify_result res;
    memset(&res, 0, sizeof res);
    if (plain) {
        /* The trust list owns its CRLs from here on. */
        if (ncrls && gnutls_x509_trust_list_add_crls(tl, crls, ncrls, 0, 0) < 0)
            return die("cannot add CRLs", "to the trust list");
        tp_verify_chain(tl, chain, n, ncrls > 0, time(NULL), &res);
    } else {
        /* The trust list is in memory: its issuers read in place must give
         * the verdict their copies give. */
        tp_verify_opts o = {purpose, ncrls > 0, crls, ncrls, 0};
        time_t now = time(NULL);
        tp_verify_chain_ex(tl, chain, n, &o, now, &res);
        tp_verify_result in_place;
        memset(&in_place, 0, sizeof in_place);
        o.tl_in_memory = 1;
        tp_verify_chain_ex(tl, chain, n, &o, now, &in_place);
        if (in_place.authorized != res.authorized || in_place.code != res.code)
            return die("the trust list's issuers read in place change the verdict", argv[a + 1]);
        for (unsigned i = 0; i < ncrls; i++)
            gnutls_x509_crl_deinit(crls[i]);
    }
    if (res.authorized)
        printf("1\n");
    else
        printf("0 %s %s\n", res.code ? res.code : "(null)", res.message ? res.message : "(null)");

    for (unsigned i = 0; i < n; i++)
        gnutls_free(chain[i].data);
    free(chain);
    gnutls_x509_trust_list_deinit(tl, 1);
    return 0;
}
