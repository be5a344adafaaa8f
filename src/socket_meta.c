/* Connection metadata: Node's TLSSocket properties and getters. */
#include "socket.h"
#include "suites.h"

/* Every getter starts the same way; `out` is the pointer it must write. */
#define GETTER_ENTER(h, s, out)                                                  \
    struct tlsplug_socket *s = tp_socket_enter(h);                               \
    if (!s)                                                                      \
        return TLSPLUG_E_BADHANDLE;                                              \
    if (!(out))                                                                  \
        return tp_socket_leave(s, TLSPLUG_E_INVAL)

static int string_or_unavailable(struct tlsplug_socket *s, const char *v, char *buf, size_t cap,
                                 size_t *len)
{
    if (!v || !*v)
        return tp_socket_leave(s, TLSPLUG_E_UNAVAILABLE);
    return tp_socket_leave(s, tp_copy_string(v, buf, cap, len));
}

TLSPLUG_API int tlsplug_socket_authorized(tlsplug_socket *h, int *authorized)
{
    GETTER_ENTER(h, s, authorized);
    *authorized = s->authorized;
    return tp_socket_leave(s, TLSPLUG_OK);
}

TLSPLUG_API int tlsplug_socket_authorization_error(tlsplug_socket *h, char *buf, size_t cap,
                                                   size_t *len)
{
    GETTER_ENTER(h, s, len);
    return string_or_unavailable(s, s->auth_code, buf, cap, len);
}

/* Node's protocol names: "TLSv1.3", "TLSv1.2", "TLSv1.1", "TLSv1". */
static const char *node_protocol(gnutls_protocol_t v)
{
    switch (v) {
    case GNUTLS_TLS1_3: return "TLSv1.3";
    case GNUTLS_TLS1_2: return "TLSv1.2";
    case GNUTLS_TLS1_1: return "TLSv1.1";
    case GNUTLS_TLS1_0: return "TLSv1";
    default: return NULL;
    }
}

TLSPLUG_API int tlsplug_socket_get_protocol(tlsplug_socket *h, char *buf, size_t cap, size_t *len)
{
    GETTER_ENTER(h, s, len);
    const char *p = s->secure ? node_protocol(gnutls_protocol_get_version(s->session)) : NULL;
    return string_or_unavailable(s, p, buf, cap, len);
}

TLSPLUG_API int tlsplug_socket_get_cipher(tlsplug_socket *h, int field, char *buf, size_t cap,
                                          size_t *len)
{
    GETTER_ENTER(h, s, len);
    const char *v = NULL;
    const tp_suite *suite = s->secure ? tp_suite_of_session(s->session) : NULL;
    switch (field) {
    case TLSPLUG_CIPHER_NAME:
        v = suite ? suite->openssl : NULL;
        break;
    case TLSPLUG_CIPHER_STANDARD_NAME:
        v = suite ? suite->iana : NULL;
        break;
    case TLSPLUG_CIPHER_VERSION:
        v = s->secure ? node_protocol(gnutls_protocol_get_version(s->session)) : NULL;
        break;
    default:
        return tp_socket_leave(s, tp_fail(&s->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_VALUE",
                                          "get_cipher: unknown field %d", field));
    }
    return string_or_unavailable(s, v, buf, cap, len);
}

TLSPLUG_API int tlsplug_socket_get_servername(tlsplug_socket *h, char *buf, size_t cap,
                                              size_t *len)
{
    GETTER_ENTER(h, s, len);
    const char *v = s->role == TLSPLUG_ROLE_CLIENT ? s->servername : s->hello.servername;
    return string_or_unavailable(s, v, buf, cap, len);
}

TLSPLUG_API int tlsplug_socket_encrypted(tlsplug_socket *h, int *encrypted)
{
    GETTER_ENTER(h, s, encrypted);
    *encrypted = 1;
    return tp_socket_leave(s, TLSPLUG_OK);
}
