/* ALPN, as Node 20 does it, and NPN's explicit refusal. */
#include <stdlib.h>
#include <string.h>

#include "socket.h"
#include "api_impl.h"

int tp_alpn_valid(const uint8_t *p, size_t n)
{
    if (!p || n == 0 || n > 0xFFFF)
        return 0;
    for (size_t i = 0; i < n; i += 1 + p[i])
        if (p[i] == 0 || i + 1 + p[i] > n)
            return 0;
    return 1;
}

int tp_alpn_from_list(const char *names, uint8_t **wire, size_t *len, tp_error *err)
{
    if (!names)
        return tp_fail(err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_TYPE",
                       "ALPNProtocols: expected a comma-separated list of names");
    /* The wire form is never longer than the list plus one byte. */
    size_t cap = strlen(names) + 1, n = 0;
    uint8_t *out = malloc(cap);
    if (!out)
        return tp_fail(err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY", "out of memory");
    unsigned index = 0;
    for (const char *p = names;; index++) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *end = p + strcspn(p, ",");
        const char *last = end;
        while (last > p && (last[-1] == ' ' || last[-1] == '\t'))
            last--;
        size_t nl = (size_t)(last - p);
        if (nl == 0 || nl > 255) {
            free(out);
            if (nl == 0)
                return tp_fail(err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_VALUE",
                               "ALPNProtocols: the name at index %u is empty", index);
            return tp_fail(err, TLSPLUG_E_INVAL, "ERR_OUT_OF_RANGE",
                           "The byte length of the protocol at index %u exceeds the maximum "
                           "length. It must be <= 255. Received %zu",
                           index, nl);
        }
        out[n++] = (uint8_t)nl;
        memcpy(out + n, p, nl);
        n += nl;
        if (!*end)
            break;
        p = end + 1;
    }
    *wire = out;
    *len = n;
    return TLSPLUG_OK;
}

int tp_api_socket_set_alpn_list(tlsplug_socket *h, const char *names)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    uint8_t *wire = NULL;
    size_t len = 0;
    int rc = tp_alpn_from_list(names, &wire, &len, &s->err);
    if (rc == TLSPLUG_OK)
        rc = tp_api_socket_set_alpn_protocols(h, wire, len);
    free(wire);
    return tp_socket_leave(s, rc);
}

int tp_api_socket_set_alpn_protocols(tlsplug_socket *h, const uint8_t *protocols,
                                     size_t len)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    int rc = TLSPLUG_OK;
    if (s->started)
        rc = tp_fail(&s->err, TLSPLUG_E_STATE, "ERR_TLS_INVALID_STATE",
                     "ALPNProtocols: the handshake has already started");
    else if (!tp_alpn_valid(protocols, len))
        rc = tp_fail(&s->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_VALUE",
                     "ALPNProtocols: expected length-prefixed, non-empty names");
    if (rc == TLSPLUG_OK) {
        uint8_t *copy = malloc(len);
        if (!copy)
            rc = tp_fail(&s->err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY", "out of memory");
        else {
            memcpy(copy, protocols, len);
            free(s->alpn);
            s->alpn = copy;
            s->alpn_len = (uint32_t)len; /* valid: at most 64 KiB */
        }
    }
    return tp_socket_leave(s, rc);
}

int tp_alpn_apply(struct tlsplug_socket *s)
{
    if (!s->alpn)
        return 0;
    unsigned count = 0; /* the list was checked when it was set */
    for (size_t i = 0; i < s->alpn_len; i += 1 + s->alpn[i])
        count++;
    gnutls_datum_t *names = calloc(count, sizeof *names);
    if (!names)
        return GNUTLS_E_MEMORY_ERROR;
    for (size_t i = 0, k = 0; i < s->alpn_len; i += 1 + s->alpn[i], k++)
        names[k] = (gnutls_datum_t){s->alpn + i + 1, s->alpn[i]};
    /* Node 20's server picks by its own order and refuses a client with no
     * protocol in common (when the client offered ALPN at all). */
    unsigned flags = s->role == TLSPLUG_ROLE_SERVER
                         ? GNUTLS_ALPN_SERVER_PRECEDENCE | GNUTLS_ALPN_MANDATORY
                         : 0;
    int err = gnutls_alpn_set_protocols(s->session, names, count, flags);
    free(names);
    return err;
}

int tp_alpn_choose(struct tlsplug_socket *s, const uint8_t *name, size_t len)
{
    uint8_t *one = malloc(1 + len);
    if (!one)
        return tp_fail(&s->err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY", "out of memory");
    one[0] = (uint8_t)len;
    memcpy(one + 1, name, len);
    free(s->alpn);
    s->alpn = one;
    s->alpn_len = (uint32_t)(1 + len);
    int err = tp_alpn_apply(s);
    return err < 0 ? tp_pump_tls_failure(s, err, "ALPNCallback") : TLSPLUG_OK;
}

int tp_api_socket_get_alpn_protocol(tlsplug_socket *h, char *buf, size_t cap,
                                    size_t *len)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    if (!len)
        return tp_socket_leave(s, TLSPLUG_E_INVAL);
    gnutls_datum_t p = {NULL, 0};
    if (!s->secure || gnutls_alpn_get_selected_protocol(s->session, &p) < 0 || p.size == 0)
        return tp_socket_leave(s, TLSPLUG_E_UNAVAILABLE);
    /* One byte more for the NUL; protocol names may hold any byte. */
    if ((size_t)p.size + 1 > cap) {
        *len = p.size;
        return tp_socket_leave(s, cap && !buf ? TLSPLUG_E_INVAL : TLSPLUG_E_BUFSIZE);
    }
    memcpy(buf, p.data, p.size);
    buf[p.size] = 0;
    *len = p.size;
    return tp_socket_leave(s, TLSPLUG_OK);
}

int tp_api_socket_set_npn_protocols(tlsplug_socket *h, const uint8_t *protocols,
                                    size_t len)
{
    (void)protocols;
    (void)len;
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    return tp_socket_leave(
        s, tp_fail(&s->err, TLSPLUG_E_UNSUPPORTED, "ERR_TLS_NPN_UNSUPPORTED",
                   "NPN is not supported: GnuTLS cannot send or accept NPN's encrypted "
                   "NextProtocol message (and Node removed NPN); use ALPN (ALPNProtocols)"));
}
