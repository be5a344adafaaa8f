/* tlsctx: the SecureContext from files, ALPN lists, error text (see tlsctx.h). */
#include "tlsctx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *tlsctx_error(const void *handle, char *buf, size_t cap)
{
    char code[96] = "", msg[400] = "";
    size_t len;
    int has_code = tlsplug_error_get(handle, TLSPLUG_ERROR_CODE, code, sizeof code, &len) == TLSPLUG_OK && *code;
    int has_msg = tlsplug_error_get(handle, TLSPLUG_ERROR_MESSAGE, msg, sizeof msg, &len) == TLSPLUG_OK && *msg;
    if (has_code && has_msg)
        snprintf(buf, cap, "%s: %s", code, msg);
    else
        snprintf(buf, cap, "%s", has_code ? code : has_msg ? msg : "(no detail recorded)");
    return buf;
}

/* The whole file, NUL-terminated; NULL with errno on failure. */
char *tlsctx_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *data = NULL;
    size_t used = 0, cap = 0;
    for (;;) {
        if (cap - used < 4096) {
            char *p = realloc(data, cap = cap * 2 + 8192);
            if (!p) {
                free(data);
                fclose(f);
                errno = ENOMEM;
                return NULL;
            }
            data = p;
        }
        size_t got = fread(data + used, 1, cap - used - 1, f);
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
    data[used] = '\0';
    *len = used;
    return data;
}

enum what { KEY, CERT, CA };

const char *tlsctx_passphrase(const char *cmd, const char *spec, char *buf, size_t cap)
{
    if (strncmp(spec, "env:", 4) == 0) {
        const char *v = getenv(spec + 4);
        if (!v) {
            fprintf(stderr, "tlsplug %s: --passphrase %s: the variable is not set\n", cmd, spec);
            return NULL;
        }
        snprintf(buf, cap, "%s", v);
    } else if (strncmp(spec, "file:", 5) == 0) {
        size_t len;
        char *data = tlsctx_slurp(spec + 5, &len);
        if (!data) {
            fprintf(stderr, "tlsplug %s: --passphrase %s: %s\n", cmd, spec, strerror(errno));
            return NULL;
        }
        data[strcspn(data, "\r\n")] = '\0'; /* the first line, as openssl */
        snprintf(buf, cap, "%s", data);
        free(data);
    } else {
        snprintf(buf, cap, "%s", strncmp(spec, "pass:", 5) == 0 ? spec + 5 : spec);
    }
    return buf;
}

static const char *g_passphrase; /* for add_pem's KEY, set by tlsctx_build */

static int add_pem(tlsplug_context *ctx, enum what w, const char *pem, size_t len)
{
    const uint8_t *p = (const uint8_t *)pem;
    switch (w) {
    case KEY: return tlsplug_context_add_key(ctx, p, len, g_passphrase);
    case CERT: return tlsplug_context_add_cert(ctx, p, len);
    default: return tlsplug_context_add_ca(ctx, p, len);
    }
}

/* One PEM, from memory or else from `path` (NULL: nothing to add). */
static int add(const char *cmd, tlsplug_context *ctx, enum what w, const char *path,
               const char *pem)
{
    static const char *const names[] = {"--key", "--cert", "--ca"};
    size_t len = pem ? strlen(pem) : 0;
    char *data = NULL;
    if (!pem && path) {
        if (!(data = tlsctx_slurp(path, &len))) {
            fprintf(stderr, "tlsplug %s: %s %s: %s\n", cmd, names[w], path, strerror(errno));
            return -1;
        }
        pem = data;
    }
    int rc = pem ? add_pem(ctx, w, pem, len) : TLSPLUG_OK;
    free(data);
    if (rc != TLSPLUG_OK) {
        char err[512];
        fprintf(stderr, "tlsplug %s: %s %s: %s\n", cmd, names[w], path ? path : "(generated)",
                tlsctx_error(ctx, err, sizeof err));
        return -1;
    }
    return 0;
}

int tlsctx_build(const char *cmd, const struct tls_files *f, const char *key_pem,
                 const char *cert_pem, tlsplug_context **out)
{
    tlsplug_context *ctx;
    if (tlsplug_context_new(&ctx) != TLSPLUG_OK) {
        fprintf(stderr, "tlsplug %s: cannot create a context\n", cmd);
        return -1;
    }
    char err[512], pass[1024];
    g_passphrase = NULL;
    if (f->passphrase && !(g_passphrase = tlsctx_passphrase(cmd, f->passphrase, pass, sizeof pass))) {
        tlsplug_context_free(ctx);
        return -1;
    }
    int ok = add(cmd, ctx, KEY, f->key, key_pem) == 0 && add(cmd, ctx, CERT, f->cert, cert_pem) == 0 &&
             add(cmd, ctx, CA, f->ca, NULL) == 0;
    if (ok && f->min_version && tlsplug_context_set_min_version(ctx, f->min_version) != TLSPLUG_OK) {
        fprintf(stderr, "tlsplug %s: --min-version %s: %s\n", cmd, f->min_version,
                tlsctx_error(ctx, err, sizeof err));
        ok = 0;
    }
    if (ok && f->max_version && tlsplug_context_set_max_version(ctx, f->max_version) != TLSPLUG_OK) {
        fprintf(stderr, "tlsplug %s: --max-version %s: %s\n", cmd, f->max_version,
                tlsctx_error(ctx, err, sizeof err));
        ok = 0;
    }
    if (ok && f->ciphers && tlsplug_context_set_ciphers(ctx, f->ciphers) != TLSPLUG_OK) {
        fprintf(stderr, "tlsplug %s: --ciphers %s: %s\n", cmd, f->ciphers, tlsctx_error(ctx, err, sizeof err));
        ok = 0;
    }
    if (ok && f->groups && tlsplug_context_set_ecdh_curve(ctx, f->groups) != TLSPLUG_OK) {
        fprintf(stderr, "tlsplug %s: --groups %s: %s\n", cmd, f->groups, tlsctx_error(ctx, err, sizeof err));
        ok = 0;
    }
    if (ok && f->sigalgs && tlsplug_context_set_sigalgs(ctx, f->sigalgs) != TLSPLUG_OK) {
        fprintf(stderr, "tlsplug %s: --sigalgs %s: %s\n", cmd, f->sigalgs, tlsctx_error(ctx, err, sizeof err));
        ok = 0;
    }
    if (ok && f->dhparam) {
        size_t len;
        char *pem = tlsctx_slurp(f->dhparam, &len);
        if (!pem) {
            fprintf(stderr, "tlsplug %s: --dhparam %s: %s\n", cmd, f->dhparam, strerror(errno));
            ok = 0;
        } else if (tlsplug_context_set_dhparam(ctx, (const uint8_t *)pem, len) != TLSPLUG_OK) {
            fprintf(stderr, "tlsplug %s: --dhparam %s: %s\n", cmd, f->dhparam, tlsctx_error(ctx, err, sizeof err));
            ok = 0;
        }
        free(pem);
    }
    memset(pass, 0, sizeof pass);
    g_passphrase = NULL;
    if (!ok) {
        tlsplug_context_free(ctx);
        return -1;
    }
    *out = ctx;
    return 0;
}

int tlsctx_alpn(const char *cmd, const char *list, uint8_t *out, size_t cap)
{
    size_t used = 0;
    for (const char *p = list;;) {
        size_t n = strcspn(p, ",");
        if (n == 0 || n > 255 || used + 1 + n > cap) {
            fprintf(stderr, "tlsplug %s: --alpn '%s': want names of 1 to 255 bytes, comma-separated\n",
                    cmd, list);
            return -1;
        }
        out[used++] = (uint8_t)n;
        memcpy(out + used, p, n);
        used += n;
        if (!p[n])
            return (int)used;
        p += n + 1;
    }
}
