/* A resumed session's verification verdict cannot be forged: Node (and
 * OpenSSL) trust the authorized/authorizationError kept in a session, so a
 * tampered, foreign or misplaced session would read `authorized`. tlsplug
 * uses a session's verdict only where this process computed it (the same
 * trust and host name), and otherwise verifies as a fresh connection would.
 *
 * A host that gives its contexts one session key
 * (tlsplug_context_set_session_key) makes its processes one: their blobs
 * resume each other, and only each other.
 *
 * Usage: pump_session_verdict              the tests (one group when named)
 *        pump_session_verdict --blob V [K] print a verified session for
 *                                           "localhost" at version V, in hex,
 *                                           sealed under key byte K (hex) x 32
 *                                           (the "other process" of a test)
 */
#define _POSIX_C_SOURCE 200809L /* popen: the other process of a test */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pair.h"

static const char *const versions[] = {"TLSv1.2", "TLSv1.3"};

/* No certificates: trusts nothing the test PKI made (the system's roots). */
#define NO_TRUST ((pt_creds){0})

typedef struct blob {
    uint8_t d[8192];
    size_t len;
} blob;

/* The latest session a client was handed (TLS 1.3: one per ticket). */
static void on_session(uintptr_t ud, void *src, int ev, void *subj, const uint8_t *d, size_t n)
{
    (void)src, (void)ev, (void)subj;
    blob *b = (blob *)ud;
    CHECKF(n > 0 && n <= sizeof b->d, "session event of %zu bytes", n);
    memcpy(b->d, d, n);
    b->len = n;
}

/* What the client of one connection saw. */
typedef struct outcome {
    int set_rc;     /* tlsplug_socket_set_session's answer */
    int secure;     /* secureConnect was emitted */
    int authorized; /* socket.authorized */
    int reused;     /* socket.isSessionReused() */
    char code[64];  /* the `error` code, or authorizationError when secure */
} outcome;

typedef struct conn {
    tlsplug_context *cctx, *sctx;
    const char *servername;
    int reject; /* rejectUnauthorized */
    const blob *session; /* resume this; NULL for none */
    blob *out;           /* keep the latest session here; NULL to ignore */
    tlsplug_server *srv; /* when set, the server socket comes from it */
} conn;

static uint64_t next_seed(void)
{
    static uint64_t n;
    return t_seed() + ++n;
}

static outcome connect_once(conn c)
{
    outcome o = {.set_rc = TLSPLUG_OK};
    pt_pair p;
    pt_pair_init(&p, c.cctx, c.sctx, 1, next_seed());
    if (c.srv) {
        tlsplug_socket *accepted;
        CHECK_OK(tlsplug_server_accept(c.srv, 0, &accepted));
        pt_pair_adopt_server(&p, accepted);
    }
    /* Whole flights at a time: the byte-at-a-time default would make the
     * many handshakes below slow, and fragmentation is not the subject. */
    p.frag = (pt_frag){.max_feed = 16384, .max_pull = 16384, .max_read = 16384, .max_write = 4096};
    CHECK_OK(tlsplug_socket_set_servername(p.c.sock, c.servername));
    CHECK_OK(tlsplug_socket_set_reject_unauthorized(p.c.sock, c.reject));
    if (c.out) {
        c.out->len = 0;
        CHECK_OK(tlsplug_socket_on(p.c.sock, TLSPLUG_EV_SESSION, on_session, (uintptr_t)c.out));
    }
    if (c.session)
        o.set_rc = tlsplug_socket_set_session(p.c.sock, c.session->d, c.session->len);
    CHECK_OK(tlsplug_socket_start(p.c.sock));
    if (!c.srv)
        CHECK_OK(tlsplug_socket_start(p.s.sock));
    pt_run(&p);
    o.secure = p.c.counts[TLSPLUG_EV_SECURE_CONNECT] == 1;
    if (o.secure && !p.c.error_code[0]) {
        /* Read-mode delivery lets TLS 1.3's post-handshake tickets in. */
        pt_write(&p, &p.s, 10);
        pt_run(&p);
    }
    CHECK_OK(tlsplug_socket_authorized(p.c.sock, &o.authorized));
    CHECK_OK(tlsplug_socket_is_session_reused(p.c.sock, &o.reused));
    const char *code = p.c.error_code[0] ? p.c.error_code
                                         : pt_get(p.c.sock, tlsplug_socket_authorization_error);
    snprintf(o.code, sizeof o.code, "%s", code ? code : "");
    pt_pair_free(&p);
    return o;
}

static tlsplug_context *server_ctx(const char *version)
{
    pt_creds server = PT_SERVER;
    server.min_version = server.max_version = version;
    return pt_context(server);
}

/* Where `needle` starts in `hay`, or -1. */
static long find(const uint8_t *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; k && i + k <= n; i++)
        if (memcmp(hay + i, needle, k) == 0)
            return (long)i;
    return -1;
}

/* (1) A session from a server the client did not trust, one byte of its
 * verdict flipped, is never taken as authorized. */
static void flipped_verdict(const char *version)
{
    t_case("a flipped byte in an unverified session's verdict, %s", version);
    tlsplug_context *cctx = pt_context(NO_TRUST), *sctx = server_ctx(version);
    blob first;
    outcome o = connect_once((conn){cctx, sctx, "localhost", 0, NULL, &first, NULL});
    CHECK(o.secure && !o.authorized && o.code[0]);
    CHECKF(first.len > 0, "no session");
    char fresh[64];
    snprintf(fresh, sizeof fresh, "%s", o.code);

    /* The verdict is the code and whatever comes before it. */
    long at = find(first.d, first.len, fresh);
    CHECKF(at > 0, "the verdict %s is not in the blob", fresh);
    size_t end = (size_t)at + strlen(fresh);
    CHECKF(end <= 200, "the verdict ends at byte %zu", end);
    int resumable = 0;
    for (size_t i = 0; i < end; i++) {
        t_case("byte %zu of %zu of an unverified session flipped, %s", i, end, version);
        blob forged = first;
        forged.d[i] ^= 0x01; /* 0 (unauthorized) becomes 1 */
        o = connect_once((conn){cctx, sctx, "localhost", 1, &forged, NULL, NULL});
        if (o.set_rc == TLSPLUG_E_INVAL)
            continue; /* refused as no session, as any garbage is */
        CHECK_OK(o.set_rc);
        resumable++;
        CHECKF(!o.secure && !o.authorized, "secure %d authorized %d reused %d", o.secure,
               o.authorized, o.reused);
        /* Refused with the code a fresh connection gets, not one from the blob. */
        CHECK_STR(o.code, fresh);
    }
    CHECK(resumable > 0);
    tlsplug_context_free(cctx);
    tlsplug_context_free(sctx);
}

/* (2) A verified session for "localhost" is no verdict for another name. */
static void other_servername(const char *version)
{
    t_case("a session verified for localhost, reused for other.example, %s", version);
    tlsplug_context *cctx = pt_context(PT_CLIENT), *sctx = server_ctx(version);
    blob first;
    outcome o = connect_once((conn){cctx, sctx, "localhost", 1, NULL, &first, NULL});
    CHECK(o.secure && o.authorized && first.len > 0);

    o = connect_once((conn){cctx, sctx, "other.example", 1, NULL, NULL, NULL});
    CHECK(!o.secure && !o.authorized);
    CHECK_STR(o.code, "ERR_TLS_CERT_ALTNAME_INVALID");

    o = connect_once((conn){cctx, sctx, "other.example", 1, &first, NULL, NULL});
    CHECK_OK(o.set_rc);
    CHECKF(!o.secure && !o.authorized, "secure %d authorized %d reused %d", o.secure,
           o.authorized, o.reused);
    CHECK_STR(o.code, "ERR_TLS_CERT_ALTNAME_INVALID");

    t_case("the same, with rejectUnauthorized false, %s", version);
    o = connect_once((conn){cctx, sctx, "other.example", 0, &first, NULL, NULL});
    CHECK(o.secure && !o.authorized);
    CHECK_STR(o.code, "ERR_TLS_CERT_ALTNAME_INVALID");
    tlsplug_context_free(cctx);
    tlsplug_context_free(sctx);
}

/* A verified session is no verdict under a context with other trust. */
static void other_trust(const char *version)
{
    t_case("a verified session reused by a client that does not trust the CA, %s", version);
    tlsplug_context *cctx = pt_context(PT_CLIENT), *sctx = server_ctx(version);
    tlsplug_context *untrusting = pt_context(NO_TRUST);
    blob first;
    outcome o = connect_once((conn){cctx, sctx, "localhost", 1, NULL, &first, NULL});
    CHECK(o.secure && o.authorized && first.len > 0);

    o = connect_once((conn){untrusting, sctx, "localhost", 1, NULL, NULL, NULL});
    CHECK(!o.secure && !o.authorized && o.code[0]);
    char fresh[64];
    snprintf(fresh, sizeof fresh, "%s", o.code);

    o = connect_once((conn){untrusting, sctx, "localhost", 1, &first, NULL, NULL});
    CHECK_OK(o.set_rc);
    CHECKF(!o.secure && !o.authorized, "secure %d authorized %d reused %d", o.secure,
           o.authorized, o.reused);
    CHECK_STR(o.code, fresh);
    tlsplug_context_free(untrusting);
    tlsplug_context_free(cctx);
    tlsplug_context_free(sctx);
}

/* (3) The honest case resumes, and so does the session it hands out. */
static void honest(const char *version)
{
    t_case("a verified session resumes, authorized, twice over, %s", version);
    tlsplug_context *cctx = pt_context(PT_CLIENT), *sctx = server_ctx(version);
    blob first, second;
    outcome o = connect_once((conn){cctx, sctx, "localhost", 1, NULL, &first, NULL});
    CHECK(o.secure && o.authorized && !o.reused && first.len > 0);

    o = connect_once((conn){cctx, sctx, "localhost", 1, &first, &second, NULL});
    CHECK_OK(o.set_rc);
    CHECKF(o.secure && o.authorized && o.reused, "secure %d authorized %d reused %d code %s",
           o.secure, o.authorized, o.reused, o.code);
    /* TLS 1.2 gives no new session on resumption (as Node): reuse it. */
    const blob *again = second.len ? &second : &first;
    o = connect_once((conn){cctx, sctx, "localhost", 1, again, NULL, NULL});
    CHECK(o.secure && o.authorized && o.reused);

    t_case("an unverified session keeps its verdict where it was made, %s", version);
    tlsplug_context *untrusting = pt_context(NO_TRUST);
    o = connect_once((conn){untrusting, sctx, "localhost", 0, NULL, &first, NULL});
    CHECK(o.secure && !o.authorized && first.len > 0);
    char code[64];
    snprintf(code, sizeof code, "%s", o.code);
    o = connect_once((conn){untrusting, sctx, "localhost", 0, &first, NULL, NULL});
    CHECK(o.secure && !o.authorized && o.reused);
    CHECK_STR(o.code, code);
    tlsplug_context_free(untrusting);
    tlsplug_context_free(cctx);
    tlsplug_context_free(sctx);
}

/* Ticket keys both processes share, so that the other process's tickets
 * resume here as far as the server is concerned. */
static tlsplug_server *shared_keys_server(const char *version)
{
    tlsplug_context *sctx = server_ctx(version);
    tlsplug_server *srv;
    CHECK_OK(tlsplug_server_new(sctx, &srv));
    CHECK_OK(tlsplug_context_free(sctx)); /* the server keeps its own reference */
    uint8_t keys[48];
    memset(keys, 0x5e, sizeof keys);
    CHECK_OK(tlsplug_server_set_ticket_keys(srv, keys, sizeof keys));
    return srv;
}

/* A verified session made by another process (this program run again with
 * --blob): its verdict cannot be authenticated here, so it is not resumed;
 * the connection is a full handshake, verified, and no error. */
static blob other_process_blob(const char *self, const char *version, const char *key)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "'%s' --blob %s %s", self, version, key);
    FILE *f = popen(cmd, "r");
    CHECK(f);
    /* Its output: the seed line, then "session=" and the session in hex. */
    static char text[2 * sizeof(blob) + 256];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = 0;
    const char *hex = strstr(text, "session=");
    CHECKF(hex, "no blob from %s", cmd);
    hex += strlen("session=");
    blob theirs = {.len = 0};
    unsigned byte;
    while (theirs.len < sizeof theirs.d && sscanf(hex + 2 * theirs.len, "%2x", &byte) == 1)
        theirs.d[theirs.len++] = (uint8_t)byte;
    CHECKF(pclose(f) == 0, "%s failed", cmd);
    CHECK(theirs.len > 0);
    return theirs;
}

/* 32 bytes of `byte`: a session key for the tests. */
static tlsplug_context *client_with_key(int byte)
{
    tlsplug_context *c = pt_context(PT_CLIENT);
    if (byte >= 0) {
        uint8_t key[32];
        memset(key, byte, sizeof key);
        CHECK_OK(tlsplug_context_set_session_key(c, key, sizeof key));
    }
    return c;
}

static void foreign(const char *self, const char *version)
{
    t_case("a verified session from another process, %s", version);
    blob theirs = other_process_blob(self, version, "");
    tlsplug_context *cctx = pt_context(PT_CLIENT), *sctx = server_ctx(version);
    tlsplug_server *srv = shared_keys_server(version);
    blob ours;
    outcome o = connect_once((conn){cctx, sctx, "localhost", 1, NULL, &ours, srv});
    CHECK(o.secure && o.authorized && !o.reused && ours.len > 0);
    /* The server does resume tickets made under these keys... */
    o = connect_once((conn){cctx, sctx, "localhost", 1, &ours, NULL, srv});
    CHECK(o.secure && o.authorized && o.reused);
    /* ...but the client does not trust the other process's verdict. */
    o = connect_once((conn){cctx, sctx, "localhost", 1, &theirs, NULL, srv});
    CHECK_OK(o.set_rc);
    CHECKF(o.secure && o.authorized && !o.reused, "secure %d authorized %d reused %d code %s",
           o.secure, o.authorized, o.reused, o.code);
    CHECK_OK(tlsplug_server_free(srv));
    tlsplug_context_free(cctx);
    tlsplug_context_free(sctx);
}

/* Another process with the same session key: its blob resumes here, with
 * its verdict; under another key, or this process's own, it does not. */
static void shared_key(const char *self, const char *version)
{
    t_case("a session from another process sealed under our key, %s", version);
    blob theirs = other_process_blob(self, version, "4b");
    tlsplug_context *sctx = server_ctx(version);
    tlsplug_server *srv = shared_keys_server(version);
    tlsplug_context *same = client_with_key(0x4b), *other = client_with_key(0x4c),
                    *none = client_with_key(-1);
    outcome o = connect_once((conn){same, sctx, "localhost", 1, &theirs, NULL, srv});
    CHECK_OK(o.set_rc);
    CHECKF(o.secure && o.authorized && o.reused, "same key: secure %d authorized %d reused %d",
           o.secure, o.authorized, o.reused);
    o = connect_once((conn){other, sctx, "localhost", 1, &theirs, NULL, srv});
    CHECK(o.set_rc == TLSPLUG_OK && o.secure && o.authorized && !o.reused);
    o = connect_once((conn){none, sctx, "localhost", 1, &theirs, NULL, srv});
    CHECK(o.set_rc == TLSPLUG_OK && o.secure && o.authorized && !o.reused);

    t_case("a session key of the wrong length");
    uint8_t key[65] = {0};
    tlsplug_context *c = pt_context(PT_CLIENT);
    CHECK(tlsplug_context_set_session_key(c, key, 31) == TLSPLUG_E_INVAL);
    CHECK_STR(t_error_code(c), "ERR_INVALID_ARG_VALUE");
    CHECK(tlsplug_context_set_session_key(c, key, 65) == TLSPLUG_E_INVAL);
    CHECK(tlsplug_context_set_session_key(c, NULL, 32) == TLSPLUG_E_INVAL);
    CHECK_OK(tlsplug_context_set_session_key(c, key, 64));
    tlsplug_context_free(c);

    CHECK_OK(tlsplug_server_free(srv));
    tlsplug_context_free(same);
    tlsplug_context_free(other);
    tlsplug_context_free(none);
    tlsplug_context_free(sctx);
}

static int print_blob(const char *version, const char *key_byte)
{
    t_init("session_verdict (the other process)", 0x5e55);
    tlsplug_context *cctx = client_with_key(key_byte ? (int)strtol(key_byte, NULL, 16) : -1);
    tlsplug_context *sctx = server_ctx(version);
    tlsplug_server *srv = shared_keys_server(version);
    blob b;
    outcome o = connect_once((conn){cctx, sctx, "localhost", 1, NULL, &b, srv});
    CHECK(o.secure && o.authorized && b.len > 0);
    printf("session=");
    for (size_t i = 0; i < b.len; i++)
        printf("%02x", b.d[i]);
    printf("\n");
    CHECK_OK(tlsplug_server_free(srv));
    tlsplug_context_free(cctx);
    tlsplug_context_free(sctx);
    return 0;
}

int main(int argc, char **argv)
{
    if ((argc == 3 || argc == 4) && strcmp(argv[1], "--blob") == 0)
        return print_blob(argv[2], argc == 4 ? argv[3] : NULL);
    /* An optional argument runs one group: honest, servername, trust,
     * flip, foreign or key. */
    const char *only = argc == 2 ? argv[1] : NULL;
#define RUN(name) (!only || strcmp(only, name) == 0)
    t_init("session_verdict", 0x5e55);
    for (int v = 0; v < 2; v++) {
        if (RUN("honest"))
            honest(versions[v]);
        if (RUN("servername"))
            other_servername(versions[v]);
        if (RUN("trust"))
            other_trust(versions[v]);
        if (RUN("flip"))
            flipped_verdict(versions[v]);
        if (RUN("foreign"))
            foreign(argv[0], versions[v]);
        if (RUN("key"))
            shared_key(argv[0], versions[v]);
    }
    return t_done();
}
