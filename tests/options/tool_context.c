/* tool_context: tls_tool's SecureContext (see tool_context.h). */
#include "tool_context.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool_report.h"

#define MAX_FILE (4u * 1024u * 1024u)

unsigned char *tool_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "tls_tool: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    unsigned char *buf = malloc(MAX_FILE + 1);
    size_t n = buf ? fread(buf, 1, MAX_FILE + 1, f) : 0;
    int bad = !buf || ferror(f) || n > MAX_FILE || n == 0;
    fclose(f);
    if (bad) {
        fprintf(stderr, "tls_tool: %s: unreadable, empty or larger than %u bytes\n", path, MAX_FILE);
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

/* The setters that take a file's bytes. */
static int apply_file(tlsplug_context *ctx, const char *flag, const unsigned char *d, size_t n,
                      const char *passphrase)
{
    if (strcmp(flag, "--key") == 0)
        return tlsplug_context_add_key(ctx, d, n, passphrase);
    if (strcmp(flag, "--cert") == 0)
        return tlsplug_context_add_cert(ctx, d, n);
    if (strcmp(flag, "--ca") == 0)
        return tlsplug_context_add_ca(ctx, d, n);
    if (strcmp(flag, "--pfx") == 0)
        return tlsplug_context_add_pfx(ctx, d, n, passphrase);
    if (strcmp(flag, "--crl") == 0)
        return tlsplug_context_add_crl(ctx, d, n);
    return tlsplug_context_set_dhparam(ctx, d, n); /* --dhparam */
}

static int is_file_option(const char *flag)
{
    static const char *const files[] = {"--key", "--cert", "--ca", "--pfx", "--crl", "--dhparam"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        if (strcmp(flag, files[i]) == 0)
            return 1;
    return 0;
}

/* The path loaders: the library reads the file. -1 when `flag` is none. */
static int apply_path(tlsplug_context *ctx, const char *flag, const char *path,
                      const char *passphrase)
{
    if (strcmp(flag, "--key-file") == 0)
        return tlsplug_context_add_key_file(ctx, path, passphrase);
    if (strcmp(flag, "--cert-file") == 0)
        return tlsplug_context_add_cert_file(ctx, path);
    if (strcmp(flag, "--ca-file") == 0)
        return tlsplug_context_add_ca_file(ctx, path);
    if (strcmp(flag, "--crl-file") == 0)
        return tlsplug_context_add_crl_file(ctx, path);
    if (strcmp(flag, "--pfx-file") == 0)
        return tlsplug_context_add_pfx_file(ctx, path, passphrase);
    return -1;
}

/* The setters that take text; -100 for a value tls_tool itself refuses. */
static int apply_text(tlsplug_context *ctx, const char *flag, const char *v)
{
    if (strcmp(flag, "--ciphers") == 0)
        return tlsplug_context_set_ciphers(ctx, v);
    if (strcmp(flag, "--priority") == 0)
        return tlsplug_context_set_priority(ctx, v);
    if (strcmp(flag, "--honor-cipher-order") == 0)
        return tlsplug_context_set_honor_cipher_order(ctx, 1);
    if (strcmp(flag, "--ecdh-curve") == 0)
        return tlsplug_context_set_ecdh_curve(ctx, v);
    if (strcmp(flag, "--min-version") == 0)
        return tlsplug_context_set_min_version(ctx, v);
    if (strcmp(flag, "--max-version") == 0)
        return tlsplug_context_set_max_version(ctx, v);
    if (strcmp(flag, "--secure-protocol") == 0)
        return tlsplug_context_set_secure_protocol(ctx, v);
    if (strcmp(flag, "--session-id-context") == 0)
        return tlsplug_context_set_session_id_context(ctx, v);
    /* --secure-options: decimal or 0x hex, as Node's numbers are given */
    char *end = NULL;
    errno = 0;
    unsigned long n = strtoul(v, &end, 0);
    if (!*v || *end || errno || n > 0xffffffffUL)
        return -100;
    return tlsplug_context_set_secure_options(ctx, (unsigned)n);
}

int tool_make_context(const struct tool_args *a, tlsplug_context **out)
{
    tlsplug_context *ctx = NULL;
    int rc = tlsplug_context_new(&ctx);
    if (rc != TLSPLUG_OK) {
        fprintf(stderr, "tls_tool: tlsplug_context_new: %s\n", tlsplug_status_name(rc));
        return 3;
    }
    for (int i = 0; i < a->nctx; i++) {
        const struct tool_ctx_opt *o = &a->ctx[i];
        if (is_file_option(o->flag)) {
            size_t n = 0;
            unsigned char *d = tool_read_file(o->value, &n);
            if (!d) {
                tlsplug_context_free(ctx);
                return 3;
            }
            rc = apply_file(ctx, o->flag, d, n, a->passphrase);
            free(d);
        } else if ((rc = apply_path(ctx, o->flag, o->value, a->passphrase)) != -1) {
            /* the library read the file */
        } else {
            rc = apply_text(ctx, o->flag, o->value);
            if (rc == -100) {
                fprintf(stderr, "tls_tool: %s: not a number: %s\n", o->flag, o->value);
                tlsplug_context_free(ctx);
                return 3;
            }
        }
        if (rc != TLSPLUG_OK) {
            report_option_error(ctx, o->flag, o->value, rc);
            tlsplug_context_free(ctx);
            return 2;
        }
    }
    *out = ctx;
    return 0;
}
