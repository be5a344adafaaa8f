/* Authenticating session verdicts (see session_mac.h): the per-process key,
 * the MAC and a socket's binding (over its context's trust digest). */
#include "session_mac.h"

#include <gnutls/crypto.h>
#include <pthread.h>
#include <string.h>

#include "digest.h"
#include "socket.h"

/* One key per process, never stored or exported: unless the host gave the
 * context its own key, only this process can seal a blob it accepts. Blobs from another process (or an
 * earlier run) fail the MAC and are not resumed, a full handshake instead.
 * Re-verifying their chain would not help: the chain is in the same
 * unauthenticated blob, and a cache writer can pair its own server's
 * session secrets with a real server's (public) chain. */
static uint8_t process_key[32];
static int have_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void make_key(void)
{
    have_key = gnutls_rnd(GNUTLS_RND_KEY, process_key, sizeof process_key) == 0;
}

int tp_session_mac(const struct tlsplug_context *ctx, const uint8_t *data, size_t len,
                   uint8_t tag[TP_SESSION_TAG_LEN])
{
    const uint8_t *key = ctx->session_key;
    size_t klen = ctx->session_key_len;
    if (!klen) {
        pthread_once(&key_once, make_key);
        if (!have_key)
            return -1;
        key = process_key;
        klen = sizeof process_key;
    }
    return gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, klen, data, len, tag) < 0 ? -1 : 0;
}

int tp_session_mac_ok(const struct tlsplug_context *ctx, const uint8_t *data, size_t len,
                      const uint8_t tag[TP_SESSION_TAG_LEN])
{
    uint8_t want[TP_SESSION_TAG_LEN];
    if (tp_session_mac(ctx, data, len, want) != 0)
        return 0;
    /* Constant time: how much of a forged tag matched must not show. */
    uint8_t diff = 0;
    for (size_t i = 0; i < sizeof want; i++)
        diff |= (uint8_t)(want[i] ^ tag[i]);
    return diff == 0;
}

int tp_session_binding(const struct tlsplug_socket *s, uint8_t out[TP_SESSION_BINDING_LEN])
{
    gnutls_hash_hd_t h;
    if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
        return -1;
    const char *host = tp_socket_identity_host(s);
    uint8_t checker = s->custom_identity ? 1 : 0; /* the host's checkServerIdentity */
    int bad = tp_hash_field(h, s->ctx->trust_digest, sizeof s->ctx->trust_digest) < 0 ||
              tp_hash_field(h, &checker, 1) < 0 || tp_hash_field(h, host, strlen(host)) < 0;
    gnutls_hash_deinit(h, out);
    return bad ? -1 : 0;
}

int tp_session_verdict_applies(const struct tlsplug_socket *s)
{
    uint8_t now[TP_SESSION_BINDING_LEN];
    return s->resumed && tp_session_binding(s, now) == 0 &&
           memcmp(now, s->resumed->binding, sizeof now) == 0;
}
