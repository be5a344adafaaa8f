/* tool_args: tls_tool's command line (see tool_args.h). */
#include "tool_args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Context options that take a value; each may be given several times
 * (the repeatable ones add, the others replace, as the setters do). */
static const char *const ctx_valued[] = {
    "--key",        "--cert",         "--ca",         "--pfx",
    "--crl",        "--ciphers",      "--priority",   "--ecdh-curve",
    "--dhparam",    "--min-version",  "--max-version", "--secure-protocol",
    "--secure-options", "--session-id-context",
    "--key-file",   "--cert-file",    "--ca-file",    "--crl-file",   "--pfx-file",
};

void tool_usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s server|client --port N [--host 127.0.0.1] [options]\n"
            "       %s ciphers\n"
            "One TLS connection over TCP through libtlsplug; one JSON line per event on stdout.\n"
            "context (in command-line order):\n"
            "  --key FILE --cert FILE --ca FILE --pfx FILE --crl FILE   (repeatable)\n"
            "  --key-file, --cert-file, --ca-file, --crl-file, --pfx-file PATH: the same\n"
            "      through the library's path loaders (tlsplug_context_add_*_file)\n"
            "  --passphrase P  --ciphers LIST  --priority GNUTLS  --honor-cipher-order\n"
            "  --ecdh-curve LIST  --dhparam FILE  --min-version V  --max-version V\n"
            "  --secure-protocol METHOD  --secure-options N  --session-id-context S\n"
            "socket:\n"
            "  --servername NAME  --insecure  --request-cert  --min-dh-size N\n"
            "  --alpn LIST (comma-separated, tlsplug_socket_set_alpn_list)\n"
            "  --check-identity accept|reject-with-CODE  --pair  --send TEXT\n"
            "  --timeout SECONDS (default 20)\n"
            "server: prints \"PORT n\" once listening (use --port 0).\n"
            "exit: 0 secure and closed cleanly, 1 TLS failure, 2 option refused, 3 usage/IO.\n",
            prog, prog);
}

static int take(int argc, char **argv, int *i, const char **out)
{
    if (*i + 1 >= argc) {
        fprintf(stderr, "tls_tool: %s needs a value\n", argv[*i]);
        return -1;
    }
    *out = argv[++*i];
    return 0;
}

static int parse_uint(const char *flag, const char *text, unsigned long max, unsigned long *out)
{
    char *end = NULL;
    unsigned long v = strtoul(text, &end, 0);
    if (!*text || *end || v > max) {
        fprintf(stderr, "tls_tool: %s: not a number: %s\n", flag, text);
        return -1;
    }
    *out = v;
    return 0;
}

static int is_ctx_valued(const char *flag)
{
    for (size_t i = 0; i < sizeof ctx_valued / sizeof *ctx_valued; i++)
        if (strcmp(flag, ctx_valued[i]) == 0)
            return 1;
    return 0;
}

int tool_parse_args(int argc, char **argv, struct tool_args *a)
{
    memset(a, 0, sizeof *a);
    a->host = "127.0.0.1";
    a->timeout_ms = 20000;
    if (argc < 2) {
        tool_usage(argv[0]);
        return -1;
    }
    if (strcmp(argv[1], "server") == 0)
        a->mode = TOOL_SERVER;
    else if (strcmp(argv[1], "client") == 0)
        a->mode = TOOL_CLIENT;
    else if (strcmp(argv[1], "ciphers") == 0)
        a->mode = TOOL_CIPHERS;
    else {
        tool_usage(argv[0]);
        return -1;
    }
    for (int i = 2; i < argc; i++) {
        const char *f = argv[i], *v = NULL;
        unsigned long n;
        if (is_ctx_valued(f) || strcmp(f, "--honor-cipher-order") == 0) {
            if (a->nctx == TOOL_MAX_CTX_OPTS) {
                fprintf(stderr, "tls_tool: too many context options\n");
                return -1;
            }
            if (is_ctx_valued(f) && take(argc, argv, &i, &v) != 0)
                return -1;
            a->ctx[a->nctx].flag = f;
            a->ctx[a->nctx].value = v;
            a->nctx++;
        } else if (strcmp(f, "--host") == 0) {
            if (take(argc, argv, &i, &a->host) != 0)
                return -1;
        } else if (strcmp(f, "--port") == 0) {
            if (take(argc, argv, &i, &a->port) != 0)
                return -1;
        } else if (strcmp(f, "--passphrase") == 0) {
            if (take(argc, argv, &i, &a->passphrase) != 0)
                return -1;
        } else if (strcmp(f, "--servername") == 0) {
            if (take(argc, argv, &i, &a->servername) != 0)
                return -1;
        } else if (strcmp(f, "--check-identity") == 0) {
            if (take(argc, argv, &i, &a->check_identity) != 0)
                return -1;
            if (strcmp(a->check_identity, "accept") != 0 &&
                (strncmp(a->check_identity, "reject-with-", 12) != 0 || !a->check_identity[12])) {
                fprintf(stderr, "tls_tool: --check-identity accept|reject-with-CODE\n");
                return -1;
            }
        } else if (strcmp(f, "--alpn") == 0) {
            if (take(argc, argv, &i, &a->alpn) != 0)
                return -1;
        } else if (strcmp(f, "--send") == 0) {
            if (take(argc, argv, &i, &a->send) != 0)
                return -1;
        } else if (strcmp(f, "--min-dh-size") == 0) {
            if (take(argc, argv, &i, &v) != 0 || parse_uint(f, v, 1u << 20, &n) != 0)
                return -1;
            a->min_dh_size = (unsigned)n;
            a->has_min_dh_size = 1;
        } else if (strcmp(f, "--timeout") == 0) {
            if (take(argc, argv, &i, &v) != 0 || parse_uint(f, v, 3600, &n) != 0)
                return -1;
            a->timeout_ms = (int)n * 1000;
        } else if (strcmp(f, "--insecure") == 0) {
            a->insecure = 1;
        } else if (strcmp(f, "--request-cert") == 0) {
            a->request_cert = 1;
        } else if (strcmp(f, "--pair") == 0) {
            a->pair = 1;
        } else {
            fprintf(stderr, "tls_tool: unknown option %s\n", f);
            tool_usage(argv[0]);
            return -1;
        }
    }
    if (a->mode != TOOL_CIPHERS && !a->port) {
        fprintf(stderr, "tls_tool: --port is required\n");
        return -1;
    }
    if (a->pair && a->servername) {
        /* A SecurePair starts at once: there is no moment to set SNI. */
        fprintf(stderr, "tls_tool: --servername cannot be combined with --pair\n");
        return -1;
    }
    return 0;
}
