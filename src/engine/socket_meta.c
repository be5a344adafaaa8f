/* Connection metadata: Node's TLSSocket properties and getters. */
#include <stdio.h>
#include <string.h>

#include "sigalgs.h"
#include "socket.h"
#include "suites.h"
#include "api_impl.h"

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

int tp_api_socket_authorized(tlsplug_socket *h, int *authorized)
{
    GETTER_ENTER(h, s, authorized);
    *authorized = s->authorized;
    return tp_socket_leave(s, TLSPLUG_OK);
}

int tp_api_socket_authorization_error(tlsplug_socket *h, char *buf, size_t cap,
                                      size_t *len)
{
    GETTER_ENTER(h, s, len);
    return string_or_unavailable(s, tp_socket_auth_code(s), buf, cap, len);
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

int tp_api_socket_get_protocol(tlsplug_socket *h, char *buf, size_t cap, size_t *len)
{
    GETTER_ENTER(h, s, len);
    /* None once closed, as Node's (its handle is gone by 'close'). */
    const char *p = s->secure && !s->closed ? node_protocol(gnutls_protocol_get_version(s->session))
                                            : NULL;
    return string_or_unavailable(s, p, buf, cap, len);
}

int tp_api_socket_get_cipher(tlsplug_socket *h, int field, char *buf, size_t cap,
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
    case TLSPLUG_CIPHER_VERSION: /* the suite's, not the connection's protocol */
        v = suite ? suite->version : NULL;
        break;
    default:
        return tp_socket_leave(s, tp_fail(&s->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_VALUE",
                                          "get_cipher: unknown field %d", field));
    }
    return string_or_unavailable(s, v, buf, cap, len);
}

int tp_api_socket_get_servername(tlsplug_socket *h, char *buf, size_t cap,
                                 size_t *len)
{
    GETTER_ENTER(h, s, len);
    const char *v = s->role == TLSPLUG_ROLE_CLIENT ? s->servername : s->sni;
    return string_or_unavailable(s, v, buf, cap, len);
}

int tp_api_socket_encrypted(tlsplug_socket *h, int *encrypted)
{
    GETTER_ENTER(h, s, encrypted);
    *encrypted = 1;
    return tp_socket_leave(s, TLSPLUG_OK);
}

int tp_socket_ephemeral(struct tlsplug_socket *s, const char **type, const char **name,
                        unsigned *size)
{
    gnutls_kx_algorithm_t kx = gnutls_kx_get(s->session);
    int tls13 = gnutls_protocol_get_version(s->session) == GNUTLS_TLS1_3;
    if (!tls13 && kx != GNUTLS_KX_ECDHE_RSA && kx != GNUTLS_KX_ECDHE_ECDSA &&
        kx != GNUTLS_KX_DHE_RSA && kx != GNUTLS_KX_DHE_DSS && kx != GNUTLS_KX_ECDHE_PSK &&
        kx != GNUTLS_KX_DHE_PSK)
        return -1;
    static const struct {
        gnutls_group_t group;
        const char *name;
        unsigned size;
    } curves[] = {
        {GNUTLS_GROUP_X25519, "X25519", 253},      {GNUTLS_GROUP_X448, "X448", 448},
        {GNUTLS_GROUP_SECP256R1, "prime256v1", 256}, {GNUTLS_GROUP_SECP384R1, "secp384r1", 384},
        {GNUTLS_GROUP_SECP521R1, "secp521r1", 521},
    };
    gnutls_group_t g = gnutls_group_get(s->session);
    for (size_t i = 0; i < sizeof curves / sizeof *curves; i++)
        if (curves[i].group == g) {
            *type = "ECDH";
            *name = curves[i].name;
            *size = curves[i].size;
            return 0;
        }
    static const struct {
        gnutls_group_t group;
        unsigned size;
    } ffdhe[] = {{GNUTLS_GROUP_FFDHE2048, 2048}, {GNUTLS_GROUP_FFDHE3072, 3072},
                 {GNUTLS_GROUP_FFDHE4096, 4096}, {GNUTLS_GROUP_FFDHE6144, 6144},
                 {GNUTLS_GROUP_FFDHE8192, 8192}};
    for (size_t i = 0; i < sizeof ffdhe / sizeof *ffdhe; i++)
        if (ffdhe[i].group == g) {
            *type = "DH";
            *name = NULL;
            *size = ffdhe[i].size;
            return 0;
        }
    /* Custom DH parameters (TLS 1.2 DHE): the prime's size. */
    int bits = gnutls_dh_get_prime_bits(s->session);
    if (bits <= 0)
        return -1;
    *type = "DH";
    *name = NULL;
    *size = (unsigned)bits;
    return 0;
}

int tp_api_socket_get_ephemeral_key_info(tlsplug_socket *h, char *buf, size_t cap,
                                         size_t *len)
{
    GETTER_ENTER(h, s, len);
    /* Node returns null on a server. */
    if (!s->secure || s->role != TLSPLUG_ROLE_CLIENT)
        return tp_socket_leave(s, TLSPLUG_E_UNAVAILABLE);
    const char *type, *name;
    unsigned size;
    char json[96] = "{}";
    if (tp_socket_ephemeral(s, &type, &name, &size) == 0) {
        if (name)
            snprintf(json, sizeof json, "{\"type\":\"%s\",\"name\":\"%s\",\"size\":%u}", type, name, size);
        else
            snprintf(json, sizeof json, "{\"type\":\"%s\",\"size\":%u}", type, size);
    }
    return tp_socket_leave(s, tp_copy_string(json, buf, cap, len));
}

static int finished_copy(tlsplug_socket *h, int peer, uint8_t *buf, size_t cap, size_t *len)
{
    GETTER_ENTER(h, s, len);
    const uint8_t *p = NULL;
    size_t n = tp_socket_finished(s, peer, &p);
    if (n == 0)
        return tp_socket_leave(s, TLSPLUG_E_UNAVAILABLE);
    return tp_socket_leave(s, tp_copy_bytes(p, n, buf, cap, len));
}

int tp_api_socket_get_finished(tlsplug_socket *h, uint8_t *buf, size_t cap, size_t *len)
{
    return finished_copy(h, 0, buf, cap, len);
}

int tp_api_socket_get_peer_finished(tlsplug_socket *h, uint8_t *buf, size_t cap,
                                    size_t *len)
{
    return finished_copy(h, 1, buf, cap, len);
}

int tp_api_socket_bytes_written(tlsplug_socket *h, size_t *n)
{
    GETTER_ENTER(h, s, n);
    *n = s->bytes_pulled;
    return tp_socket_leave(s, TLSPLUG_OK);
}

int tp_api_socket_bytes_read(tlsplug_socket *h, size_t *n)
{
    GETTER_ENTER(h, s, n);
    *n = s->bytes_fed;
    return tp_socket_leave(s, TLSPLUG_OK);
}

/* ---------------------------------------------------------------- signatures */

/* Is GnuTLS's `id` among this context's signature algorithms? */
static int signs_with(const gnutls_sign_algorithm_t *ours, unsigned n, gnutls_sign_algorithm_t id)
{
    for (unsigned i = 0; i < n; i++)
        if (ours[i] == id)
            return 1;
    return 0;
}

unsigned tp_socket_shared_sigalgs(struct tlsplug_socket *s, const struct tp_sigalg **out,
                                  unsigned cap, unsigned *npeer_out)
{
    /* The peer's list is what GnuTLS calls requested: a server's is the
     * ClientHello's signature_algorithms, a client's the server's
     * CertificateRequest (none without one, as OpenSSL's client). Ours is
     * the context's priority; the sign list is the same in the pinned
     * per-suite priorities. */
    gnutls_sign_algorithm_t peer[64];
    unsigned npeer = 0;
    while (npeer < sizeof peer / sizeof *peer &&
           gnutls_sign_algorithm_get_requested(s->session, npeer, &peer[npeer]) == 0)
        npeer++;
    *npeer_out = npeer;
    const unsigned int *ours_raw = NULL;
    int server = s->role == TLSPLUG_ROLE_SERVER;
    int nours = s->ctx->priority_cache[server]
                    ? gnutls_priority_sign_list(s->ctx->priority_cache[server], &ours_raw)
                    : 0;
    gnutls_sign_algorithm_t ours[128];
    unsigned n = 0;
    for (int i = 0; i < nours && n < sizeof ours / sizeof *ours; i++)
        ours[n++] = (gnutls_sign_algorithm_t)ours_raw[i];
    /* OpenSSL lists them in the peer's order, or in its own under
     * SSL_OP_CIPHER_SERVER_PREFERENCE (honorCipherOrder). */
    int own_order = tp_context_server_precedence(s->ctx);
    const gnutls_sign_algorithm_t *pref = own_order ? ours : peer, *allow = own_order ? peer : ours;
    unsigned npref = own_order ? n : npeer, nallow = own_order ? npeer : n, nout = 0;
    for (unsigned i = 0; i < npref && nout < cap; i++) {
        const tp_sigalg *a = tp_sigalg_by_gnutls(pref[i]);
        int dup = !a || !signs_with(allow, nallow, pref[i]);
        for (unsigned j = 0; j < nout && !dup; j++)
            dup = out[j] == a;
        if (!dup)
            out[nout++] = a;
    }
    return nout;
}

int tp_api_socket_get_shared_sigalgs(tlsplug_socket *h, char *buf, size_t cap, size_t *len)
{
    GETTER_ENTER(h, s, len);
    /* Node answers what OpenSSL has so far ([] before a hello) and null
     * once the socket closed. */
    if (s->closed)
        return tp_socket_leave(s, TLSPLUG_E_UNAVAILABLE);
    const tp_sigalg *shared[64];
    unsigned npeer, n = tp_socket_shared_sigalgs(s, shared, 64, &npeer);
    char json[1024] = "[";
    for (unsigned i = 0; i < n; i++) {
        size_t at = strlen(json);
        snprintf(json + at, sizeof json - at, "%s\"%s\"", i ? "," : "", shared[i]->node);
    }
    strncat(json, "]", sizeof json - strlen(json) - 1);
    return tp_socket_leave(s, tp_copy_string(json, buf, cap, len));
}

/* The scheme one side signed the handshake with: GnuTLS keeps the
 * server's (gnutls_sign_algorithm_get) and the client's certificate's
 * (gnutls_sign_algorithm_get_client); 0 when that side signed nothing
 * (RSA key transport, no client certificate, a resumption). */
static int signature_of(tlsplug_socket *h, int peer, char *buf, size_t cap, size_t *len)
{
    GETTER_ENTER(h, s, len);
    if (!s->secure)
        return tp_socket_leave(s, TLSPLUG_E_UNAVAILABLE);
    int server_side = (s->role == TLSPLUG_ROLE_SERVER) != peer;
    int id = server_side ? gnutls_sign_algorithm_get(s->session)
                         : gnutls_sign_algorithm_get_client(s->session);
    if (id <= 0)
        return tp_socket_leave(s, TLSPLUG_E_UNAVAILABLE);
    const tp_sigalg *a = tp_sigalg_by_gnutls((gnutls_sign_algorithm_t)id);
    return string_or_unavailable(s, a ? a->iana : gnutls_sign_get_name((gnutls_sign_algorithm_t)id),
                                 buf, cap, len);
}

int tp_api_socket_get_signature_algorithm(tlsplug_socket *h, char *buf, size_t cap, size_t *len)
{
    return signature_of(h, 0, buf, cap, len);
}

int tp_api_socket_get_peer_signature_algorithm(tlsplug_socket *h, char *buf, size_t cap,
                                               size_t *len)
{
    return signature_of(h, 1, buf, cap, len);
}
