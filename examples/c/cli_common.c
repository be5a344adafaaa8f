/* cli_common: options, the SecureContext from files, error text (see cli_common.h). */
#include "cli_common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_take_value(int argc, char **argv, int *i, const char *name, const char **value)
{
    const char *arg = argv[*i];
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0)
        return 0;
    if (arg[n] == '=') {
        *value = arg + n + 1;
        return 1;
    }
    if (arg[n] != '\0')
        return 0; /* "--portal" is not "--port" */
    if (*i + 1 >= argc) {
        fprintf(stderr, "%s: option %s needs a value\n", argv[0], name);
        return -1;
    }
    *value = argv[++*i];
    return 1;
}

int cli_take_tls_option(int argc, char **argv, int *i, struct cli_tls_options *o)
{
    const struct {
        const char *name;
        const char **slot;
    } opts[] = {
        {"--key", &o->key},
        {"--cert", &o->cert},
        {"--ca", &o->ca},
        {"--min-version", &o->min_version},
        {"--max-version", &o->max_version},
    };
    for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++) {
        int rc = cli_take_value(argc, argv, i, opts[k].name, opts[k].slot);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int cli_parse_seconds(const char *text, int *ms)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < 0 || v > 86400)
        return -1;
    *ms = (int)v * 1000;
    return 0;
}

const char *cli_error_text(const void *handle, char *buf, size_t cap)
{
    char code[96] = "", msg[400] = "";
    size_t len;
    int have_code = tlsplug_error_get(handle, TLSPLUG_ERROR_CODE, code, sizeof code, &len) == TLSPLUG_OK;
    int have_msg = tlsplug_error_get(handle, TLSPLUG_ERROR_MESSAGE, msg, sizeof msg, &len) == TLSPLUG_OK;
    if (have_code && have_msg)
        snprintf(buf, cap, "%s: %s", code, msg);
    else if (have_code || have_msg)
        snprintf(buf, cap, "%s", have_code ? code : msg);
    else
        snprintf(buf, cap, "(no error detail recorded)");
    return buf;
}

/* Read a whole file; NULL (errno set) on failure. */
static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *data = NULL;
    size_t used = 0, cap = 0;
    for (;;) {
        if (used == cap) {
            size_t ncap = cap ? cap * 2 : 16384;
            uint8_t *p = realloc(data, ncap);
            if (!p) {
                free(data);
                fclose(f);
                errno = ENOMEM;
                return NULL;
            }
            data = p;
            cap = ncap;
        }
        size_t got = fread(data + used, 1, cap - used, f);
        used += got;
        if (got == 0)
            break;
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        free(data);
        errno = EIO;
        return NULL;
    }
    *len = used;
    return data;
}

typedef int (*pem_adder)(tlsplug_context *, const uint8_t *, size_t);

static int add_key(tlsplug_context *ctx, const uint8_t *pem, size_t len)
{
    return tlsplug_context_add_key(ctx, pem, len, NULL);
}

/* Load one PEM file into the context; 0 or -1 after printing why. */
static int add_file(const char *prog, tlsplug_context *ctx, const char *what, const char *path,
                    pem_adder add)
{
    size_t len = 0;
    uint8_t *pem = read_file(path, &len);
    if (!pem) {
        fprintf(stderr, "%s: cannot read %s %s: %s\n", prog, what, path, strerror(errno));
        return -1;
    }
    int rc = add(ctx, pem, len);
    free(pem);
    if (rc != TLSPLUG_OK) {
        char err[512];
        fprintf(stderr, "%s: %s %s: %s\n", prog, what, path, cli_error_text(ctx, err, sizeof err));
        return -1;
    }
    return 0;
}

int cli_make_context(const char *prog, const struct cli_tls_options *o, tlsplug_context **out)
{
    tlsplug_context *ctx = NULL;
    if (tlsplug_context_new(&ctx) != TLSPLUG_OK) {
        fprintf(stderr, "%s: cannot create a context\n", prog);
        return -1;
    }
    char err[512];
    int ok = (!o->key || add_file(prog, ctx, "key", o->key, add_key) == 0) &&
             (!o->cert || add_file(prog, ctx, "cert", o->cert, tlsplug_context_add_cert) == 0) &&
             (!o->ca || add_file(prog, ctx, "ca", o->ca, tlsplug_context_add_ca) == 0);
    if (ok && o->min_version && tlsplug_context_set_min_version(ctx, o->min_version) != TLSPLUG_OK) {
        fprintf(stderr, "%s: --min-version %s: %s\n", prog, o->min_version,
                cli_error_text(ctx, err, sizeof err));
        ok = 0;
    }
    if (ok && o->max_version && tlsplug_context_set_max_version(ctx, o->max_version) != TLSPLUG_OK) {
        fprintf(stderr, "%s: --max-version %s: %s\n", prog, o->max_version,
                cli_error_text(ctx, err, sizeof err));
        ok = 0;
    }
    if (!ok) {
        tlsplug_context_free(ctx);
        return -1;
    }
    *out = ctx;
    return 0;
}
