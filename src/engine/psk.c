/* Node's pskCallback and pskIdentityHint. GnuTLS asks for the key inside
 * the handshake and waits for the answer, so the host answers from inside
 * the PSK event's callback (tlsplug_socket_psk_answer); an event nobody
 * answers there (no callback: queued) refuses the PSK, as a pskCallback
 * that returns null. */
#include <gnutls/gnutls.h>
#include <stdlib.h>
#include <string.h>

#include "socket.h"
#include "api_impl.h"

/* A socket's PSK state: made when its context has a pskCallback. */
struct tp_psk {
    void *cred;          /* gnutls_psk_{client,server}_credentials_t */
    bool asking : 1;     /* inside the PSK event: tlsplug_socket_psk_answer() allowed */
    bool answered : 1;
    bool refused : 1;    /* server: the host gave no key for the identity */
    gnutls_datum_t key;      /* the answer, gnutls_malloc'ed, handed to GnuTLS */
    gnutls_datum_t identity; /* client: the identity to send */
};

static void forget_answer(struct tlsplug_socket *s)
{
    if (!s->psk)
        return;
    if (s->psk->key.data)
        gnutls_memset(s->psk->key.data, 0, s->psk->key.size);
    gnutls_free(s->psk->key.data);
    gnutls_free(s->psk->identity.data);
    s->psk->key = (gnutls_datum_t){NULL, 0};
    s->psk->identity = (gnutls_datum_t){NULL, 0};
    s->psk->answered = 0;
}

/* Raise the PSK event (the server's own when a server owns the socket, as
 * Node's server option) and answer whether the host gave a key. */
static int ask(struct tlsplug_socket *s, const char *text, size_t len)
{
    forget_answer(s);
    s->psk->asking = 1;
    if (s->owner)
        tp_socket_owner_emit(s, TLSPLUG_EV_PSK, text, len);
    else
        tp_emit(s, TLSPLUG_EV_PSK, text, len);
    s->psk->asking = 0;
    return s->psk->answered && !s->freed;
}

/* GnuTLS frees what it is given with gnutls_free. */
static int give(const gnutls_datum_t *from, gnutls_datum_t *to)
{
    to->data = gnutls_malloc(from->size ? from->size : 1);
    if (!to->data)
        return -1;
    if (from->size)
        memcpy(to->data, from->data, from->size);
    to->size = from->size;
    return 0;
}

static int client_key(gnutls_session_t session, char **username, gnutls_datum_t *key)
{
    struct tlsplug_socket *s = gnutls_session_get_ptr(session);
    const char *hint = gnutls_psk_client_get_hint(session); /* TLS 1.2 only */
    if (!ask(s, hint ? hint : "", hint ? strlen(hint) : 0))
        return -1;
    gnutls_datum_t id;
    if (give(&s->psk->identity, &id) < 0)
        return -1;
    if (give(&s->psk->key, key) < 0) {
        gnutls_free(id.data);
        return -1;
    }
    /* give() left room for the NUL the name needs: the identity was copied
     * with its terminator (tlsplug_socket_psk_answer). */
    *username = (char *)id.data;
    forget_answer(s);
    return 0;
}

static int server_key(gnutls_session_t session, const gnutls_datum_t *username,
                      gnutls_datum_t *key)
{
    struct tlsplug_socket *s = gnutls_session_get_ptr(session);
    if (!ask(s, (const char *)username->data, username->size)) {
        s->psk->refused = 1; /* the alert is chosen by tp_psk_refusal_alert */
        return -1;
    }
    int rc = give(&s->psk->key, key);
    forget_answer(s);
    return rc;
}

int tp_psk_refusal_alert(const struct tlsplug_socket *s, int err)
{
    if (!s->psk || !s->psk->refused || err != GNUTLS_E_SRP_PWD_ERROR)
        return -1;
    /* OpenSSL: unknown_psk_identity at TLS 1.2; at TLS 1.3 it ignores the
     * PSK and, with no certificate to fall back on, handshake_failure.
     * GnuTLS would send internal_error. */
    return gnutls_protocol_get_version(s->session) == GNUTLS_TLS1_3 ? GNUTLS_A_HANDSHAKE_FAILURE
                                                                   : GNUTLS_A_UNKNOWN_PSK_IDENTITY;
}

int tp_psk_attach(struct tlsplug_socket *s)
{
    int err;
    if (!s->psk && !(s->psk = calloc(1, sizeof *s->psk)))
        return GNUTLS_E_MEMORY_ERROR;
    if (s->role == TLSPLUG_ROLE_CLIENT) {
        gnutls_psk_client_credentials_t c;
        err = gnutls_psk_allocate_client_credentials(&c);
        if (err < 0)
            return err;
        s->psk->cred = c;
        gnutls_psk_set_client_credentials_function(c, client_key);
    } else {
        gnutls_psk_server_credentials_t c;
        err = gnutls_psk_allocate_server_credentials(&c);
        if (err < 0)
            return err;
        s->psk->cred = c;
        gnutls_psk_set_server_credentials_function2(c, server_key);
        if (s->ctx->psk_hint && (err = gnutls_psk_set_server_credentials_hint(c, s->ctx->psk_hint)) < 0)
            return err;
    }
    return gnutls_credentials_set(s->session, GNUTLS_CRD_PSK, s->psk->cred);
}

void tp_psk_free(struct tlsplug_socket *s)
{
    if (!s->psk)
        return;
    forget_answer(s);
    if (s->psk->cred && s->role == TLSPLUG_ROLE_CLIENT)
        gnutls_psk_free_client_credentials(s->psk->cred);
    else if (s->psk->cred)
        gnutls_psk_free_server_credentials(s->psk->cred);
    free(s->psk);
    s->psk = NULL;
}

int tp_api_socket_psk_answer(tlsplug_socket *h, const uint8_t *key, size_t len,
                             const char *identity)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    if (!s->psk || !s->psk->asking)
        return tp_socket_leave(s, tp_fail(&s->err, TLSPLUG_E_STATE, "ERR_TLS_INVALID_STATE",
                                          "psk_answer: only from inside the PSK event's callback"));
    if (!key || len == 0)
        return tp_socket_leave(s, tp_fail(&s->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_TYPE",
                                          "psk: a non-empty key is required"));
    if (s->role == TLSPLUG_ROLE_CLIENT && (!identity || strlen(identity) > 256))
        return tp_socket_leave(s, tp_fail(&s->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_TYPE",
                                          "identity: a string of at most 256 bytes is required"));
    forget_answer(s);
    gnutls_datum_t k = {(unsigned char *)key, (unsigned)len};
    int bad = give(&k, &s->psk->key) < 0;
    if (!bad && s->role == TLSPLUG_ROLE_CLIENT) {
        gnutls_datum_t id = {(unsigned char *)identity, (unsigned)strlen(identity) + 1};
        bad = give(&id, &s->psk->identity) < 0;
    }
    if (bad) {
        forget_answer(s);
        return tp_socket_leave(s, tp_fail(&s->err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY", "out of memory"));
    }
    s->psk->answered = 1;
    return tp_socket_leave(s, TLSPLUG_OK);
}
