/* The one handshake hook of a session. GnuTLS keeps a single hook per
 * session (GNUTLS_MAP.md appendix A), so every observer goes through this
 * dispatcher. Hooks only observe: they return 0 unless a handshake must be
 * refused. */
#include <string.h>

#include "socket.h"

static void keep(uint8_t *dst, uint8_t *len, const gnutls_datum_t *msg)
{
    size_t n = msg->size < 64 ? msg->size : 64;
    memcpy(dst, msg->data, n);
    *len = (uint8_t)n;
}

static int dispatch(gnutls_session_t session, unsigned htype, unsigned when, unsigned incoming,
                    const gnutls_datum_t *msg)
{
    struct tlsplug_socket *s = gnutls_session_get_ptr(session);
    if (!s || !msg)
        return 0;
    if (htype == GNUTLS_HANDSHAKE_FINISHED) {
        /* Node's getFinished()/getPeerFinished(): the verify_data, 12 bytes
         * in TLS 1.2, the hash length in TLS 1.3; again on each handshake. */
        if (!incoming && when == GNUTLS_HOOK_POST)
            keep(s->finished, &s->finished_len, msg);
        else if (incoming && when == GNUTLS_HOOK_PRE)
            keep(s->peer_finished, &s->peer_finished_len, msg);
    }
    if (htype == GNUTLS_HANDSHAKE_NEW_SESSION_TICKET && incoming) {
        /* The ticket bytes only exist before GnuTLS consumes the message
         * (PRE); the resumable session only after (POST). */
        if (when == GNUTLS_HOOK_PRE)
            tp_session_ticket_seen(s, msg);
        else
            tp_session_ticket_done(s);
    }
    return 0;
}

void tp_hooks_attach(struct tlsplug_socket *s)
{
    gnutls_handshake_set_hook_function(s->session, GNUTLS_HANDSHAKE_ANY, GNUTLS_HOOK_BOTH, dispatch);
}
