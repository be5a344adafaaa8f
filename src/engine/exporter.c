/* Node's tlsSocket.exportKeyingMaterial(): the RFC 5705 / RFC 8446
 * exporter, which both ends compute alike from the session's secrets. */
#include <string.h>

#include "socket.h"
#include "api_impl.h"

/* TLS 1.2's PRF labels the handshake itself uses. OpenSSL (so Node) refuses
 * a label that starts with one of them before TLS 1.3, where the exporter
 * has its own secret; GnuTLS would derive the handshake's own values. */
static int reserved_label(const uint8_t *label, size_t n)
{
    static const char *const reserved[] = {"client finished", "server finished",
                                           "master secret", "extended master secret",
                                           "key expansion"};
    for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++) {
        size_t k = strlen(reserved[i]);
        if (n >= k && memcmp(label, reserved[i], k) == 0)
            return 1;
    }
    return 0;
}

int tp_api_socket_export_keying_material(tlsplug_socket *h, const uint8_t *label,
                                         size_t label_len, const uint8_t *context,
                                         size_t context_len, uint8_t *buf, size_t length,
                                         size_t *len)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    int rc;
    if (!len || (!label && label_len) || (!buf && length))
        rc = tp_fail(&s->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_VALUE",
                     "exportKeyingMaterial: a NULL label, buffer or length");
    else if (length == 0 || length > 0xFFFFFFFFu)
        rc = tp_fail(&s->err, TLSPLUG_E_INVAL, "ERR_OUT_OF_RANGE",
                     "exportKeyingMaterial: the length must be >= 1 && <= 4294967295, "
                     "not %zu", length);
    else if (!s->secure)
        rc = tp_fail(&s->err, TLSPLUG_E_STATE, "ERR_TLS_INVALID_STATE",
                     "TLS socket connection must be securely established");
    else if (gnutls_protocol_get_version(s->session) != GNUTLS_TLS1_3 &&
             reserved_label(label, label_len))
        rc = tp_fail(&s->err, TLSPLUG_E_INVAL, "ERR_SSL_TLS_ILLEGAL_EXPORTER_LABEL",
                     "exportKeyingMaterial: the label is one TLS 1.2 reserves for the "
                     "handshake (tls illegal exporter label)");
    else {
        /* GnuTLS takes a NULL context as none (TLS 1.2 frames an empty one
         * differently), so an empty context must stay a non-NULL pointer. */
        static const uint8_t empty[1];
        const char *ctx = context ? (const char *)(context_len ? context : empty) : NULL;
        const char *lab = label ? (const char *)label : (const char *)empty;
        int err = gnutls_prf_rfc5705(s->session, label_len, lab, context_len,
                                     ctx, length, (char *)buf);
        if (err < 0)
            rc = tp_fail(&s->err, TLSPLUG_E_INVAL, "ERR_OUT_OF_RANGE",
                         "exportKeyingMaterial: %zu bytes cannot be exported (%s)", length,
                         gnutls_strerror(err));
        else {
            *len = length;
            rc = TLSPLUG_OK;
        }
    }
    return tp_socket_leave(s, rc);
}
