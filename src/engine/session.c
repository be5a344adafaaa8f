/* Client sessions: the `session` option and event, getSession(),
 * getTLSTicket(), isSessionReused(); and the `keylog` event. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session_mac.h"
#include "socket.h"
#include "api_impl.h"

/* tlsplug's session blobs (made by session_data):
 *   "tpS2" | binding (32) | authorized (1) | code length (1) | code |
 *   GnuTLS's session data | tag (32)
 * The verdict (authorized, code) is Node's: OpenSSL keeps the verify
 * result in its sessions and Node trusts it on resumption. Node trusts it
 * from anyone, for any name and any trust, which turns a shared or
 * tampered session cache into an authentication bypass. Here the tag
 * (HMAC-SHA256 under a per-process key, or the context's session key,
 * session_mac.c) covers everything
 * before it, and the binding says what the verdict was computed against.
 * So a blob this process did not make (another process's, an earlier
 * run's, a tampered one) is simply not resumed: a full handshake, verified
 * as usual, and no error. An authentic blob resumes; its verdict is used
 * only under the same binding, else peer.c verifies the session's chain
 * (authentic too) against this context and name, as for a fresh one. */
static const uint8_t BLOB_MAGIC[4] = {'t', 'p', 'S', '2'};
/* The first layout, with no tag: recognised, never resumed. */
static const uint8_t BLOB_MAGIC_V1[4] = {'t', 'p', 'S', '1'};
#define BLOB_HEAD (sizeof BLOB_MAGIC + TP_SESSION_BINDING_LEN + 2) /* before the code */

/* Take a blob for resumption: TLSPLUG_OK (resumed or, when it cannot be
 * authenticated, quietly not), or TLSPLUG_E_INVAL for what is no blob of
 * ours or no session GnuTLS can resume. */
static int take_blob(struct tlsplug_socket *s, const uint8_t *b, size_t len)
{
    if (len >= sizeof BLOB_MAGIC_V1 && memcmp(b, BLOB_MAGIC_V1, sizeof BLOB_MAGIC_V1) == 0)
        return TLSPLUG_OK;
    if (len <= BLOB_HEAD + TP_SESSION_TAG_LEN || memcmp(b, BLOB_MAGIC, sizeof BLOB_MAGIC) != 0)
        return TLSPLUG_E_INVAL;
    const uint8_t *binding = b + sizeof BLOB_MAGIC;
    size_t clen = b[BLOB_HEAD - 1], head = BLOB_HEAD + clen;
    if (clen >= TP_AUTH_CODE_MAX || head + TP_SESSION_TAG_LEN >= len)
        return TLSPLUG_E_INVAL;
    size_t sealed = len - TP_SESSION_TAG_LEN;
    if (!tp_session_mac_ok(s->ctx, b, sealed, b + sealed))
        return TLSPLUG_OK; /* not ours, or altered: a full handshake */
    if (gnutls_session_set_data(s->session, b + head, sealed - head) < 0)
        return TLSPLUG_E_INVAL;
    /* Out of memory the verdict is not kept: peer.c verifies the session's
     * chain as for a fresh one. */
    struct tp_resumed_verdict *v = malloc(sizeof *v + clen + 1);
    if (v) {
        memcpy(v->binding, binding, TP_SESSION_BINDING_LEN);
        v->authorized = b[BLOB_HEAD - 2] != 0;
        memcpy(v->code, b + BLOB_HEAD, clen);
        v->code[clen] = 0;
        free(s->resumed);
        s->resumed = v;
    }
    return TLSPLUG_OK;
}

int tp_api_socket_set_session(tlsplug_socket *h, const uint8_t *session, size_t len)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    int rc = TLSPLUG_OK;
    if (s->started)
        rc = tp_fail(&s->err, TLSPLUG_E_STATE, "ERR_TLS_INVALID_STATE",
                     "session: the handshake has already started");
    else if (!session || !len || s->role != TLSPLUG_ROLE_CLIENT)
        rc = TLSPLUG_E_INVAL;
    else
        rc = take_blob(s, session, len);
    if (rc == TLSPLUG_E_INVAL)
        tp_fail(&s->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_VALUE",
                "session: not a session this library can resume (client sockets only)");
    return tp_socket_leave(s, rc);
}

/* A session blob (gnutls_free it), or -1 before the handshake. The layout
 * is above take_blob. In TLS 1.3 before the server's first ticket it holds
 * GnuTLS's placeholder, which resumes nothing (set back, it gives a full
 * handshake): Node's getSession() is a session there too. */
static int session_data(struct tlsplug_socket *s, gnutls_datum_t *out)
{
    if (!s->secure)
        return -1;
    gnutls_datum_t raw;
    if (gnutls_session_get_data2(s->session, &raw) < 0)
        return -1;
    const char *code = tp_socket_auth_code(s);
    size_t clen = strlen(code), head = BLOB_HEAD + clen;
    size_t sealed = head + raw.size;
    uint8_t *b = gnutls_malloc(sealed + TP_SESSION_TAG_LEN);
    if (b) {
        memcpy(b, BLOB_MAGIC, sizeof BLOB_MAGIC);
        b[BLOB_HEAD - 2] = (uint8_t)s->authorized;
        b[BLOB_HEAD - 1] = (uint8_t)clen;
        memcpy(b + BLOB_HEAD, code, clen);
        memcpy(b + head, raw.data, raw.size);
    }
    gnutls_free(raw.data);
    if (!b || tp_session_binding(s, b + sizeof BLOB_MAGIC) != 0 ||
        tp_session_mac(s->ctx, b, sealed, b + sealed) != 0) {
        gnutls_free(b);
        return -1;
    }
    out->data = b;
    out->size = (unsigned)(sealed + TP_SESSION_TAG_LEN);
    return 0;
}

int tp_api_socket_get_session(tlsplug_socket *h, uint8_t *buf, size_t cap, size_t *len)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    if (!len)
        return tp_socket_leave(s, TLSPLUG_E_INVAL);
    gnutls_datum_t d;
    if (session_data(s, &d) != 0)
        return tp_socket_leave(s, TLSPLUG_E_UNAVAILABLE);
    int rc = tp_copy_bytes(d.data, d.size, buf, cap, len);
    gnutls_free(d.data);
    return tp_socket_leave(s, rc);
}

int tp_api_socket_get_tls_ticket(tlsplug_socket *h, uint8_t *buf, size_t cap,
                                 size_t *len)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    if (!len)
        return tp_socket_leave(s, TLSPLUG_E_INVAL);
    /* As Node: a resumed connection's ticket is the one it resumed with. */
    int resumed = s->secure && gnutls_session_is_resumed(s->session) && s->offered_ticket;
    const uint8_t *t;
    size_t n = tp_socket_ticket(resumed ? s->offered_ticket : s->ticket, &t);
    if (!n)
        return tp_socket_leave(s, TLSPLUG_E_UNAVAILABLE);
    return tp_socket_leave(s, tp_copy_bytes(t, n, buf, cap, len));
}

int tp_api_socket_is_session_reused(tlsplug_socket *h, int *reused)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    if (!reused)
        return tp_socket_leave(s, TLSPLUG_E_INVAL);
    *reused = s->secure && gnutls_session_is_resumed(s->session) != 0;
    return tp_socket_leave(s, TLSPLUG_OK);
}

/* The NewSessionTicket body, before GnuTLS consumes it: TLS 1.2 is
 * lifetime(4) ticket<2>; TLS 1.3 is lifetime(4) age_add(4) nonce<1>
 * ticket<2> extensions<2>. */
void tp_session_ticket_seen(struct tlsplug_socket *s, const gnutls_datum_t *body)
{
    const uint8_t *p = body->data;
    size_t n = body->size, at = 4;
    if (gnutls_protocol_get_version(s->session) == GNUTLS_TLS1_3) {
        at += 4;
        if (n < at + 1)
            return;
        at += 1 + p[at];
    }
    if (n < at + 2)
        return;
    size_t tlen = (size_t)p[at] << 8 | p[at + 1];
    if (n < at + 2 + tlen || tlen == 0)
        return;
    tp_socket_keep_ticket(&s->ticket, p + at + 2, tlen);
}

void tp_socket_keep_ticket(uint8_t **block, const uint8_t *t, size_t n)
{
    uint8_t *b = n && n <= 0xffff ? malloc(2 + n) : NULL;
    if (!b)
        return; /* none, or no memory: getTLSTicket keeps the previous ticket */
    b[0] = (uint8_t)(n >> 8);
    b[1] = (uint8_t)n;
    memcpy(b + 2, t, n);
    free(*block);
    *block = b;
}

/* Whether the host would hear a `session` event (a callback, or the event
 * queue). A blob is made only for one that would: making it copies
 * GnuTLS's session data (the peer's chain included) and seals it with an
 * HMAC, two for each handshake with GnuTLS's two TLS 1.3 tickets. The
 * cleartext decrypted before the event still goes first, as tp_emit would
 * have sent it. */
static int session_heard(struct tlsplug_socket *s)
{
    if (!s->freed && (tp_socket_has_callback(s, TLSPLUG_EV_SESSION) || s->queue_on))
        return 1;
    tp_socket_flush_batch(s);
    return 0;
}

/* TLS 1.3 tickets come after the handshake, one `session` event each. */
void tp_session_ticket_done(struct tlsplug_socket *s)
{
    gnutls_datum_t d;
    if (!s->secure || gnutls_protocol_get_version(s->session) != GNUTLS_TLS1_3 ||
        !session_heard(s) || session_data(s, &d) != 0)
        return;
    tp_emit(s, TLSPLUG_EV_SESSION, d.data, d.size);
    gnutls_free(d.data);
}

void tp_session_handshake_done(struct tlsplug_socket *s)
{
    gnutls_datum_t d;
    /* A resumed TLS 1.2 session is no new session: OpenSSL, and so Node,
     * report none. */
    if (s->role != TLSPLUG_ROLE_CLIENT || s->session_emitted ||
        gnutls_protocol_get_version(s->session) == GNUTLS_TLS1_3 ||
        gnutls_session_is_resumed(s->session))
        return;
    if (!session_heard(s)) {
        s->session_emitted = 1; /* as if emitted: a later listener hears none */
        return;
    }
    if (session_data(s, &d) != 0)
        return;
    s->session_emitted = 1;
    tp_emit(s, TLSPLUG_EV_SESSION, d.data, d.size);
    gnutls_free(d.data);
}

static int keylog_fn(gnutls_session_t session, const char *label, const gnutls_datum_t *secret)
{
    struct tlsplug_socket *s = gnutls_session_get_ptr(session);
    if (!s->keylog) /* turned off after it was installed */
        return 0;
    gnutls_datum_t client_random, server_random;
    gnutls_session_get_random(session, &client_random, &server_random);
    /* Node's line: LABEL <client_random hex> <secret hex>\n */
    size_t n = strlen(label) + 2 * client_random.size + 2 * secret->size + 3;
    char *line = malloc(n + 1);
    if (!line)
        return 0;
    char *w = line + sprintf(line, "%s ", label);
    for (unsigned i = 0; i < client_random.size; i++)
        w += sprintf(w, "%02x", client_random.data[i]);
    *w++ = ' ';
    for (unsigned i = 0; i < secret->size; i++)
        w += sprintf(w, "%02x", secret->data[i]);
    *w++ = '\n';
    tp_emit(s, TLSPLUG_EV_KEYLOG, line, (size_t)(w - line));
    if (s->owner && !s->freed && s->owner->listens(s->server, TLSPLUG_EV_KEYLOG))
        tp_socket_owner_emit(s, TLSPLUG_EV_KEYLOG, line, (size_t)(w - line)); /* the server's */
    free(line);
    return 0;
}

void tp_keylog_apply(struct tlsplug_socket *s)
{
    if (s->keylog)
        gnutls_session_set_keylog_function(s->session, keylog_fn);
}
