/* Node's module values, settable at run time (see defaults.h). */
#include "defaults.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "tlsplug.h"
#include "api_impl.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int min_version = GNUTLS_TLS1_2;
static int max_version = GNUTLS_TLS1_3;
static char *ecdh_curve;   /* NULL: "auto" */
static char *ciphers;      /* NULL: Node's default list */
static unsigned reneg_limit = 3;
static unsigned reneg_window = 600;

static const char *version_name(int v)
{
    switch (v) {
    case GNUTLS_TLS1_0: return "TLSv1";
    case GNUTLS_TLS1_1: return "TLSv1.1";
    case GNUTLS_TLS1_2: return "TLSv1.2";
    default: return "TLSv1.3";
    }
}

int tp_defaults_get(tp_defaults *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&lock);
    out->min_version = min_version;
    out->max_version = max_version;
    out->reneg_limit = reneg_limit;
    out->reneg_window = reneg_window;
    out->ecdh_curve = strdup(ecdh_curve ? ecdh_curve : "auto");
    out->ciphers = strdup(ciphers ? ciphers : TP_NODE_DEFAULT_CIPHERS);
    pthread_mutex_unlock(&lock);
    if (!out->ecdh_curve || !out->ciphers) {
        tp_defaults_free(out);
        return -1;
    }
    return 0;
}

void tp_defaults_free(tp_defaults *d)
{
    free(d->ecdh_curve);
    free(d->ciphers);
    d->ecdh_curve = d->ciphers = NULL;
}

int tp_api_get_default(int which, char *buf, size_t cap, size_t *len)
{
    if (!len || (cap && !buf))
        return TLSPLUG_E_INVAL;
    tp_defaults d;
    if (tp_defaults_get(&d) != 0)
        return TLSPLUG_E_NOMEM;
    char num[24];
    const char *v = NULL;
    switch (which) {
    case TLSPLUG_DEFAULT_ECDH_CURVE: v = d.ecdh_curve; break;
    case TLSPLUG_DEFAULT_MIN_VERSION: v = version_name(d.min_version); break;
    case TLSPLUG_DEFAULT_MAX_VERSION: v = version_name(d.max_version); break;
    case TLSPLUG_DEFAULT_CIPHERS: v = d.ciphers; break;
    case TLSPLUG_DEFAULT_CLIENT_RENEG_LIMIT:
        snprintf(num, sizeof num, "%u", d.reneg_limit);
        v = num;
        break;
    case TLSPLUG_DEFAULT_CLIENT_RENEG_WINDOW:
        snprintf(num, sizeof num, "%u", d.reneg_window);
        v = num;
        break;
    default: break;
    }
    int rc = v ? tp_copy_string(v, buf, cap, len) : TLSPLUG_E_INVAL;
    tp_defaults_free(&d);
    return rc;
}

/* A decimal number that fits an int; answers 0, or -1 when it is not one. */
static int parse_count(const char *s, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long n = strtoul(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || s[0] == '+' || n > 0x7fffffffUL)
        return -1;
    *out = (unsigned)n;
    return 0;
}

/* Check a curve list or cipher list the way the option would, on a
 * scratch context; answers 0 when it is acceptable. */
static int check_option(int which, const char *value)
{
    tlsplug_context *ctx;
    if (tp_api_context_new(&ctx) != TLSPLUG_OK)
        return -1;
    int rc = which == TLSPLUG_DEFAULT_ECDH_CURVE ? tp_api_context_set_ecdh_curve(ctx, value)
                                                 : tp_api_context_set_ciphers(ctx, value);
    tp_api_context_free(ctx);
    return rc;
}

static int replace(char **field, const char *value)
{
    char *copy = strdup(value);
    if (!copy)
        return TLSPLUG_E_NOMEM;
    pthread_mutex_lock(&lock);
    free(*field);
    *field = copy;
    pthread_mutex_unlock(&lock);
    return TLSPLUG_OK;
}

int tp_api_set_default(int which, const char *value)
{
    if (!value)
        return TLSPLUG_E_INVAL;
    switch (which) {
    case TLSPLUG_DEFAULT_MIN_VERSION:
    case TLSPLUG_DEFAULT_MAX_VERSION: {
        int v = tp_version_from_name(value);
        if (!v)
            return TLSPLUG_E_INVAL;
        pthread_mutex_lock(&lock);
        *(which == TLSPLUG_DEFAULT_MIN_VERSION ? &min_version : &max_version) = v;
        pthread_mutex_unlock(&lock);
        return TLSPLUG_OK;
    }
    case TLSPLUG_DEFAULT_ECDH_CURVE:
    case TLSPLUG_DEFAULT_CIPHERS:
        if (check_option(which, value) != TLSPLUG_OK)
            return TLSPLUG_E_INVAL;
        return replace(which == TLSPLUG_DEFAULT_ECDH_CURVE ? &ecdh_curve : &ciphers, value);
    case TLSPLUG_DEFAULT_CLIENT_RENEG_LIMIT:
    case TLSPLUG_DEFAULT_CLIENT_RENEG_WINDOW: {
        unsigned n;
        /* A limit of 0 forbids renegotiation; a window of 0 means nothing. */
        if (parse_count(value, &n) != 0 || (n == 0 && which == TLSPLUG_DEFAULT_CLIENT_RENEG_WINDOW))
            return TLSPLUG_E_INVAL;
        pthread_mutex_lock(&lock);
        *(which == TLSPLUG_DEFAULT_CLIENT_RENEG_LIMIT ? &reneg_limit : &reneg_window) = n;
        pthread_mutex_unlock(&lock);
        return TLSPLUG_OK;
    }
    default:
        return TLSPLUG_E_INVAL;
    }
}
