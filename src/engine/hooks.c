/* The one handshake hook of a session. GnuTLS keeps a single hook per
 * session (docs/GNUTLS.md, "Suites, versions and the fallback signal"), so
 * every observer goes through this dispatcher. Hooks only observe: they
 * return 0 unless a handshake must be refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ciphers.h"
#include "socket.h"
#include "api_impl.h"

/* Keep one side's verify_data in the socket's finished block (socket.h):
 * made to measure, the other side's copied over. Out of memory, neither
 * is kept (getFinished answers none) rather than a stale one. */
static void keep(struct tlsplug_socket *s, int peer, const gnutls_datum_t *msg)
{
    uint8_t len[2] = {0, 0};
    const uint8_t *part[2] = {NULL, NULL};
    for (int i = 0; i < 2; i++)
        len[i] = (uint8_t)tp_socket_finished(s, i, &part[i]);
    len[peer] = (uint8_t)(msg->size < TP_FINISHED_MAX ? msg->size : TP_FINISHED_MAX);
    part[peer] = msg->data;
    uint8_t *b = malloc(2 + (size_t)len[0] + len[1]);
    if (b) {
        b[0] = len[0];
        b[1] = len[1];
        if (len[0])
            memcpy(b + 2, part[0], len[0]);
        if (len[1])
            memcpy(b + 2 + len[0], part[1], len[1]);
    }
    free(s->finished);
    s->finished = b;
}

/* Client: GnuTLS offers the whole product of its key exchanges, ciphers
 * and MACs, so a server may pick a suite outside `ciphers`: refuse it, as
 * OpenSSL refuses a suite it did not offer. The ServerHello body is
 * legacy_version(2) random(32) session_id<1> cipher_suite(2) ... */
static int check_server_suite(struct tlsplug_socket *s, const gnutls_datum_t *msg)
{
    const uint8_t *p = msg->data;
    if (!s->ctx->policy || msg->size < 35 || msg->size < 35u + p[34] + 2)
        return 0;
    const uint8_t *id = p + 35 + p[34];
    if (tp_cipher_policy_allows(s->ctx->policy, id[0], id[1]))
        return 0;
    memcpy(s->suite, id, 2); /* for the error's message (pump.c) */
    return GNUTLS_E_UNKNOWN_CIPHER_SUITE;
}

static int find_ticket(void *ctx, unsigned tls_id, const unsigned char *data, unsigned size)
{
    (void)data;
    if (tls_id == 35 && size > 0)
        *(int *)ctx = 1;
    return 0;
}

/* The ticket a client's ClientHello offers: the session_ticket extension
 * (TLS 1.2), or the first pre_shared_key identity (TLS 1.3: identities<2>
 * of identity<2> obfuscated_ticket_age(4)). */
static int find_offered_ticket(void *ctx, unsigned tls_id, const unsigned char *data,
                               unsigned size)
{
    struct tlsplug_socket *s = ctx;
    const unsigned char *t = data;
    unsigned n = size;
    if (tls_id == 41) {
        if (size < 4 || (unsigned)(data[2] << 8 | data[3]) + 4 > size)
            return 0;
        n = (unsigned)(data[2] << 8 | data[3]);
        t = data + 4;
    } else if (tls_id != 35) {
        return 0;
    }
    tp_socket_keep_ticket(&s->offered_ticket, t, n);
    return 0;
}

/* enableTrace(): "Sent ClientHello, Length=512", the name in OpenSSL's
 * spelling made from GnuTLS's ("CLIENT HELLO"). A message sent is told once
 * sent (POST), one received before it is processed (PRE). */
static void trace(struct tlsplug_socket *s, unsigned htype, unsigned incoming,
                  const gnutls_datum_t *msg)
{
    const char *g = gnutls_handshake_description_get_name((gnutls_handshake_description_t)htype);
    char name[64], line[128];
    size_t n = 0;
    for (int up = 1; g && *g && n + 1 < sizeof name; g++) {
        if (*g == ' ' || *g == '_') {
            up = 1;
            continue;
        }
        name[n++] = (char)(up ? *g : (*g >= 'A' && *g <= 'Z' ? *g + 32 : *g));
        up = 0;
    }
    name[n] = 0;
    int len = snprintf(line, sizeof line, "%s %s, Length=%u", incoming ? "Received" : "Sent",
                       n ? name : "Unknown", msg->size);
    if (len > 0)
        tp_emit(s, TLSPLUG_EV_TRACE, line, (size_t)len < sizeof line ? (size_t)len : sizeof line - 1);
}

static int dispatch(gnutls_session_t session, unsigned htype, unsigned when, unsigned incoming,
                    const gnutls_datum_t *msg)
{
    struct tlsplug_socket *s = gnutls_session_get_ptr(session);
    if (!s || !msg)
        return 0;
    if (s->trace && when == (incoming ? GNUTLS_HOOK_PRE : GNUTLS_HOOK_POST))
        trace(s, htype, incoming, msg);
    if (htype == GNUTLS_HANDSHAKE_SERVER_HELLO && incoming && when == GNUTLS_HOOK_PRE &&
        s->role == TLSPLUG_ROLE_CLIENT)
        return check_server_suite(s, msg);
    if (htype == GNUTLS_HANDSHAKE_CLIENT_HELLO && incoming && when == GNUTLS_HOOK_PRE &&
        s->role == TLSPLUG_ROLE_SERVER && s->renegotiating) {
        /* Does the client offer to resume (post_client_hello)? */
        int offers = 0;
        gnutls_ext_raw_parse(&offers, find_ticket, msg, GNUTLS_EXT_RAW_FLAG_TLS_CLIENT_HELLO);
        s->reneg_ticket = offers != 0;
    }
    if (htype == GNUTLS_HANDSHAKE_CLIENT_HELLO && !incoming && when == GNUTLS_HOOK_POST &&
        s->role == TLSPLUG_ROLE_CLIENT)
        gnutls_ext_raw_parse(s, find_offered_ticket, msg, GNUTLS_EXT_RAW_FLAG_TLS_CLIENT_HELLO);
    if (htype == GNUTLS_HANDSHAKE_FINISHED) {
        /* Node's getFinished()/getPeerFinished(): the verify_data, 12 bytes
         * in TLS 1.2, the hash length in TLS 1.3; again on each handshake. */
        if (!incoming && when == GNUTLS_HOOK_POST)
            keep(s, 0, msg);
        else if (incoming && when == GNUTLS_HOOK_PRE)
            keep(s, 1, msg);
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

/* pskCallback at TLS 1.3: an external PSK is bound to SHA-256 (GnuTLS's
 * and OpenSSL's default), so, as OpenSSL, choose among the client's SHA-256
 * suites first (all but TLS_AES_256_GCM_SHA384); answers whether one fit. */
static int choose_for_psk(struct tlsplug_socket *s, int version, uint8_t id[2])
{
    uint8_t sha256[512];
    size_t n = 0;
    for (size_t i = 0; i + 1 < s->hello->suites_len && n + 2 <= sizeof sha256; i += 2)
        if (!(s->hello->suites[i] == 0x13 && s->hello->suites[i + 1] == 0x02)) {
            sha256[n++] = s->hello->suites[i];
            sha256[n++] = s->hello->suites[i + 1];
        }
    struct tlsplug_context *c = s->ctx;
    return tp_cipher_policy_choose(c->policy, sha256, n, version, tp_context_server_precedence(c),
                                   c->key_kinds, id);
}

/* Server, once GnuTLS has read the ClientHello (the version is known):
 * pin the suite OpenSSL would choose from `ciphers`, in the client's order
 * or, with honorCipherOrder, the server's (docs/GNUTLS.md, "Suites,
 * versions and the fallback signal"). */
static int post_client_hello(gnutls_session_t session)
{
    struct tlsplug_socket *s = gnutls_session_get_ptr(session);
    struct tlsplug_context *c = s->ctx;
    if (s->alpn_refuse) /* ALPNCallback chose none: GnuTLS sends the alert */
        return GNUTLS_E_NO_APPLICATION_PROTOCOL;
    if (!s->hello && s->renegotiating && s->reneg_requested && s->reneg_ticket &&
        s->pinned_version) {
        /* A renegotiation this server asked for, the client offering a
         * ticket: OpenSSL's and Node's clients answer the HelloRequest
         * offering to resume (SSL_renegotiate_abbreviated), and GnuTLS 3.7
         * fails a resumed renegotiation when it renews the ticket (it
         * cannot pack the session while the epochs differ: internal_error).
         * Without tickets from now on the new handshake is a full one, so
         * a requested certificate does come (a Node server resumes there
         * and gets none). The same suite as pinned before. */
        gnutls_priority_t p = tp_context_suite_priority(c, s->suite, s->pinned_version,
                                                        s->pinned_flags | TP_SUITE_NO_TICKETS);
        if (p)
            gnutls_priority_set(session, p);
        return 0;
    }
    if (!c->policy || !s->hello || s->hello->suites_len == 0)
        return 0; /* a native priority, or a hello the pre-parser passed on */
    /* The version GnuTLS reports here is tentative: never pin one the
     * context excludes (GnuTLS then refuses the client by itself). */
    int version = (int)gnutls_protocol_get_version(session), lo, hi;
    if (!tp_context_version_range(c, &lo, &hi))
        return 0;
    if (!tp_hello_offers_version(s->hello, tp_wire_version(lo), tp_wire_version(hi)))
        return GNUTLS_E_UNSUPPORTED_VERSION_PACKET; /* GnuTLS would fail on the suites */
    if (version < lo || version > hi)
        return 0;
    /* RFC 7507: a client that fell back below what both sides could do
     * is being downgraded. GnuTLS checks this only after this callback,
     * against the pinned priority, which names one version: so check it
     * here, against the context's highest version. */
    if (s->hello->fallback_scsv && s->hello->max_version < tp_wire_version(hi))
        return GNUTLS_E_INAPPROPRIATE_FALLBACK;
    uint8_t id[2];
    if (!(c->psk && version == GNUTLS_TLS1_3 && choose_for_psk(s, version, id)) &&
        !tp_cipher_policy_choose(c->policy, s->hello->suites, s->hello->suites_len, version,
                                 tp_context_server_precedence(c), c->key_kinds, id))
        return GNUTLS_E_NO_CIPHER_SUITES; /* Node's ERR_SSL_NO_SHARED_CIPHER */
    unsigned flags = s->hello->ffdhe ? TP_SUITE_CLIENT_FFDHE : 0;
    gnutls_priority_t pinned = tp_context_suite_priority(c, id, version, flags);
    if (pinned) {
        gnutls_priority_set(session, pinned);
        memcpy(s->suite, id, 2);
        s->pinned_version = (uint8_t)version;
        s->pinned_flags = (uint8_t)flags;
    }
    return 0;
}

void tp_hooks_attach(struct tlsplug_socket *s)
{
    gnutls_handshake_set_hook_function(s->session, GNUTLS_HANDSHAKE_ANY, GNUTLS_HOOK_BOTH, dispatch);
    if (s->role == TLSPLUG_ROLE_SERVER)
        gnutls_handshake_set_post_client_hello_function(s->session, post_client_hello);
}

int tp_api_socket_enable_trace(tlsplug_socket *h)
{
    struct tlsplug_socket *s = tp_socket_enter(h);
    if (!s)
        return TLSPLUG_E_BADHANDLE;
    s->trace = 1;
    return tp_socket_leave(s, TLSPLUG_OK);
}
