/* identity_tool: run the library's port of tls.checkServerIdentity() (and
 * net.isIP()) for identity_vs_node.py to compare with Node's answers.
 *
 *   identity_tool CERTFILE HEXHOST...   one certificate, many hostnames
 *   identity_tool --isip HEXSTR...      tp_is_ip() on each string
 *
 * Arguments are hex-encoded so any byte can pass. Output, one line each:
 *   SAN <0|1> <hex subjectaltname>      (certificate mode, first line)
 *   <0|1 match> <hex reason>            (certificate mode, per host)
 *   <0|1>                               (--isip, per string)
 * Exit status 2 on a usage or file error.
 */
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity.h"
#include "verify_altnames.h"

static int die(const char *what, const char *arg)
{
    fprintf(stderr, "identity_tool: %s: %s\n", what, arg);
    return 2;
}

static char *unhex(const char *h)
{
    size_t n = strlen(h);
    if (n % 2)
        return NULL;
    char *s = malloc(n / 2 + 1);
    if (!s)
        return NULL;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(h + 2 * i, "%2x", &v) != 1) {
            free(s);
            return NULL;
        }
        s[i] = (char)v;
    }
    s[n / 2] = 0;
    return s;
}

static void print_hex(const char *s)
{
    if (!*s)
        fputs("-", stdout); /* keep the field present */
    for (; *s; s++)
        printf("%02x", (unsigned char)*s);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return die("usage", "identity_tool CERTFILE HEXHOST... | --isip HEXSTR...");
    if (strcmp(argv[1], "--isip") == 0) {
        for (int i = 2; i < argc; i++) {
            char *s = unhex(argv[i]);
            if (!s)
                return die("bad hex", argv[i]);
            printf("%d\n", tp_is_ip(s));
            free(s);
        }
        return 0;
    }

    gnutls_datum_t pem = {NULL, 0};
    gnutls_x509_crt_t crt;
    if (gnutls_load_file(argv[1], &pem) < 0 || gnutls_x509_crt_init(&crt) < 0 ||
        gnutls_x509_crt_import(crt, &pem, GNUTLS_X509_FMT_PEM) < 0)
        return die("cannot load certificate", argv[1]);
    gnutls_free(pem.data);

    tp_names nm;
    if (tp_names_get(crt, &nm) < 0)
        return die("tp_names_get", "failed");
    printf("SAN %d ", nm.has_san);
    print_hex(nm.has_san ? (const char *)tp_buf_peek(&nm.text) : "");
    printf("\n");
    tp_names_free(&nm);

    for (int i = 2; i < argc; i++) {
        char *host = unhex(argv[i]);
        if (!host)
            return die("bad hex", argv[i]);
        char reason[2048];
        memset(reason, 'x', sizeof reason); /* the library must terminate it */
        int r = tp_check_server_identity(host, crt, reason, sizeof reason);
        if (r == 0) {
            printf("1 -\n");
        } else if (r == -1 && memchr(reason, 0, sizeof reason)) {
            printf("0 ");
            print_hex(reason);
            printf("\n");
        } else {
            printf("? bad-return-%d\n", r);
        }
        free(host);
    }
    gnutls_x509_crt_deinit(crt);
    return 0;
}
