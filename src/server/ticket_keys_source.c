/* The fleet's ticket master key from one place: a file, or a key in Redis
 * (read through the Redis store's module), so every server of a fleet
 * starts from the same 48 bytes; GnuTLS then rotates the working key from
 * them on its own (docs/GNUTLS.md, "Sessions and tickets"). */
#include <errno.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handle.h"
#include "server.h"
#include "api_impl.h"

#define DEFAULT_NAME "tlsplug:ticket-keys"

/* At most 49 bytes of the file (one more than wanted tells a longer file). */
static int read_file(struct tlsplug_server *srv, const char *path, uint8_t *buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return tp_fail(&srv->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_VALUE",
                       "ticket keys: %s: %s", path, strerror(errno));
    *len = fread(buf, 1, 49, f);
    fclose(f);
    return TLSPLUG_OK;
}

/* "redis://...#NAME": the URL and the key's name (malloc'd URL). */
static int read_redis(struct tlsplug_server *srv, const char *source, uint8_t *buf, size_t *len)
{
    const char *hash = strchr(source, '#');
    const char *name = hash && hash[1] ? hash + 1 : DEFAULT_NAME;
    size_t ulen = hash ? (size_t)(hash - source) : strlen(source);
    char *url = strndup(source, ulen);
    if (!url)
        return tp_fail(&srv->err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY", "out of memory");
    uint8_t *val = NULL;
    size_t vlen = 0;
    int rc = tp_store_fetch(url, name, &val, &vlen, &srv->err);
    free(url);
    if (rc)
        return rc;
    *len = vlen > 49 ? 49 : vlen;
    memcpy(buf, val, *len);
    gnutls_memset(val, 0, vlen);
    free(val);
    return TLSPLUG_OK;
}

int tp_api_server_load_ticket_keys(tlsplug_server *h, const char *source)
{
    struct tlsplug_server *srv = tp_handle_get(h, TP_TAG_SERVER);
    if (!srv)
        return TLSPLUG_E_BADHANDLE;
    if (!source || !*source)
        return tp_fail(&srv->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_VALUE",
                       "ticket keys: a file or a redis:// URL is needed");
    uint8_t keys[49];
    size_t len = 0;
    int redis = strncmp(source, "redis://", 8) == 0 || strncmp(source, "redis+unix://", 13) == 0;
    int rc = redis ? read_redis(srv, source, keys, &len) : read_file(srv, source, keys, &len);
    if (rc == TLSPLUG_OK && len != sizeof srv->ticket_keys)
        rc = tp_fail(&srv->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_VALUE",
                     "Session ticket keys must be a 48-byte buffer (%s holds %s%zu bytes)",
                     source, len > 48 ? "more than " : "", len > 48 ? (size_t)48 : len);
    if (rc == TLSPLUG_OK)
        memcpy(srv->ticket_keys, keys, sizeof srv->ticket_keys);
    gnutls_memset(keys, 0, sizeof keys);
    return rc;
}
