/* plugin_echo: libtlsplug as a plugin. This program is built WITHOUT
 * -ltlsplug (only libdl): it dlopens the library at run time through
 * tlsplug_loader.h, and every call goes through the function table that
 * tlsplug_get_api() hands out. It then runs Node's echo pair in memory: a
 * server and a client socket on the sans-IO pump, the bytes one pulls fed
 * to the other, the server writing back whatever it reads.
 *
 *   plugin_echo PKI_DIR [LIBRARY]
 *
 * PKI_DIR holds ca.pem, server-chain.pem and server.key (as made by
 * tests/support/make_pki.sh); LIBRARY is the file to load (default: the
 * SONAME, libtlsplug.so.1, found by the dynamic loader). Exits 0 when every
 * byte came back and both sides closed cleanly; 1 with the loader's message
 * when the library cannot be used (no such file, not libtlsplug, too old).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsplug_loader.h"

#define PAYLOAD (256u * 1024u) /* more than one TLS record, fewer than many rounds */
#define MAX_ROUNDS 10000       /* every round moves bytes; a stall is an error */

static const tlsplug_api *api;

struct side {
    const char *name;
    tlsplug_socket *sock;
    int secure, ended, closed, failed;
    int echo;              /* the server writes back what it reads */
    unsigned char *got;    /* the client's copy of what came back */
    size_t got_len, got_cap;
};

static void on_event(uintptr_t userdata, void *source, int event, void *subject,
                     const uint8_t *data, size_t len)
{
    struct side *s = (struct side *)userdata;
    (void)source, (void)subject;
    switch (event) {
    case TLSPLUG_EV_SECURE_CONNECT:
    case TLSPLUG_EV_SECURE:
        s->secure = 1;
        break;
    case TLSPLUG_EV_DATA:
        if (s->echo) {
            /* Calling back into the library from its callback is allowed
             * (docs/ABI.md): this is socket.pipe(socket). */
            if (api->socket_write(s->sock, data, len) != TLSPLUG_OK)
                s->failed = 1;
        } else if (s->got_len + len <= s->got_cap) {
            memcpy(s->got + s->got_len, data, len);
            s->got_len += len;
        } else {
            s->failed = 1; /* more came back than was sent */
        }
        break;
    case TLSPLUG_EV_END:
        s->ended = 1;
        break;
    case TLSPLUG_EV_ERROR:
        fprintf(stderr, "%s: error %.*s\n", s->name, (int)len, (const char *)data);
        s->failed = 1;
        break;
    case TLSPLUG_EV_CLOSE:
        s->closed = 1;
        if (len == 1 && data[0])
            s->failed = 1; /* hadError */
        break;
    default:
        break;
    }
}

/* Print a failed call with the handle's message (if it has one). */
static int fail(const char *what, int rc, const void *handle)
{
    char msg[256] = "";
    size_t n = 0;
    if (handle == NULL || api->error_get(handle, TLSPLUG_ERROR_MESSAGE, msg, sizeof msg, &n) != TLSPLUG_OK)
        msg[0] = '\0';
    fprintf(stderr, "plugin_echo: %s: %s%s%s\n", what, api->status_name(rc), msg[0] ? ": " : "", msg);
    return 1;
}

static unsigned char *read_file(const char *dir, const char *name, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    long size = -1;
    if (f != NULL && fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)size + 1)) != NULL && fread(buf, 1, (size_t)size, f) == (size_t)size) {
        *len = (size_t)size;
    } else {
        fprintf(stderr, "plugin_echo: cannot read %s\n", path);
        free(buf);
        buf = NULL;
    }
    if (f != NULL)
        fclose(f);
    return buf;
}

/* Move what `from` has to send into `to`. Answers the bytes moved, -1 on error. */
static long transfer(struct side *from, struct side *to)
{
    static uint8_t buf[16384];
    long moved = 0;
    for (int i = 0; i < 1024; i++) { /* bounded: 16 MiB per call at most */
        size_t n = 0;
        int rc = from->sock ? api->socket_pull(from->sock, buf, sizeof buf, &n) : TLSPLUG_E_AGAIN;
        if (rc == TLSPLUG_E_AGAIN || (rc == TLSPLUG_OK && n == 0))
            break;
        if (rc != TLSPLUG_OK)
            return fail("pull", rc, from->sock), -1;
        moved += (long)n;
        rc = api->socket_feed(to->sock, buf, n);
        /* A fatal feed is reported by the error event; stop moving bytes. */
        if (rc != TLSPLUG_OK)
            return to->failed = 1, moved;
    }
    return moved;
}

static int echo_pair(const char *pki)
{
    size_t ca_len = 0, cert_len = 0, key_len = 0;
    unsigned char *ca = read_file(pki, "ca.pem", &ca_len);
    unsigned char *cert = read_file(pki, "server-chain.pem", &cert_len);
    unsigned char *key = read_file(pki, "server.key", &key_len);
    unsigned char *sent = malloc(PAYLOAD), *got = malloc(PAYLOAD);
    tlsplug_context *sctx = NULL, *cctx = NULL;
    struct side server = {.name = "server", .echo = 1};
    struct side client = {.name = "client", .got = got, .got_cap = PAYLOAD};
    int rc, status = 1;

    if (ca == NULL || cert == NULL || key == NULL || sent == NULL || got == NULL)
        goto out;
    for (size_t i = 0; i < PAYLOAD; i++)
        sent[i] = (unsigned char)(i * 7 + i / 251); /* not a multiple of any record size */

    if ((rc = api->context_new(&sctx)) != TLSPLUG_OK)
        { fail("context_new", rc, NULL); goto out; }
    if ((rc = api->context_add_cert(sctx, cert, cert_len)) != TLSPLUG_OK ||
        (rc = api->context_add_key(sctx, key, key_len, NULL)) != TLSPLUG_OK)
        { fail("server credentials", rc, sctx); goto out; }
    if ((rc = api->context_new(&cctx)) != TLSPLUG_OK)
        { fail("context_new", rc, NULL); goto out; }
    if ((rc = api->context_add_ca(cctx, ca, ca_len)) != TLSPLUG_OK)
        { fail("client ca", rc, cctx); goto out; }
    if ((rc = api->socket_new(sctx, TLSPLUG_ROLE_SERVER, &server.sock)) != TLSPLUG_OK ||
        (rc = api->socket_new(cctx, TLSPLUG_ROLE_CLIENT, &client.sock)) != TLSPLUG_OK)
        { fail("socket_new", rc, NULL); goto out; }
    if ((rc = api->socket_set_servername(client.sock, "localhost")) != TLSPLUG_OK)
        { fail("servername", rc, client.sock); goto out; }
    static const int events[] = {TLSPLUG_EV_SECURE_CONNECT, TLSPLUG_EV_SECURE, TLSPLUG_EV_DATA,
                                 TLSPLUG_EV_END, TLSPLUG_EV_ERROR, TLSPLUG_EV_CLOSE};
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++)
        if ((rc = api->socket_on(server.sock, events[i], on_event, (uintptr_t)&server)) != TLSPLUG_OK ||
            (rc = api->socket_on(client.sock, events[i], on_event, (uintptr_t)&client)) != TLSPLUG_OK)
            { fail("socket_on", rc, NULL); goto out; }
    if ((rc = api->socket_start(server.sock)) != TLSPLUG_OK || (rc = api->socket_start(client.sock)) != TLSPLUG_OK)
        { fail("start", rc, NULL); goto out; }
    /* Written before the handshake: buffered until it completes, as in Node. */
    if ((rc = api->socket_write(client.sock, sent, PAYLOAD)) != TLSPLUG_OK)
        { fail("write", rc, client.sock); goto out; }

    int ended = 0, rounds = 0;
    while (!(client.closed && server.closed) && !client.failed && !server.failed) {
        if (++rounds > MAX_ROUNDS) {
            fprintf(stderr, "plugin_echo: no end after %d rounds\n", MAX_ROUNDS);
            goto out;
        }
        long a = transfer(&client, &server), b = transfer(&server, &client);
        if (a < 0 || b < 0)
            goto out;
        if (!ended && client.got_len == PAYLOAD) {
            /* Everything came back: end, as the client of Node's example does. */
            if ((rc = api->socket_end(client.sock)) != TLSPLUG_OK)
                { fail("end", rc, client.sock); goto out; }
            ended = 1;
            continue;
        }
        if (a == 0 && b == 0) {
            fprintf(stderr, "plugin_echo: stalled (client has %zu of %u bytes back)\n", client.got_len, PAYLOAD);
            goto out;
        }
    }
    if (client.failed || server.failed || !client.secure || !server.secure || !client.ended) {
        fprintf(stderr, "plugin_echo: the echo failed (client secure %d ended %d, server secure %d)\n",
                client.secure, client.ended, server.secure);
        goto out;
    }
    if (client.got_len != PAYLOAD || memcmp(sent, got, PAYLOAD) != 0) {
        fprintf(stderr, "plugin_echo: %zu bytes came back, not the %u sent\n", client.got_len, PAYLOAD);
        goto out;
    }
    printf("echoed %u bytes through the table in %d rounds; both sides closed cleanly\n", PAYLOAD, rounds);
    status = 0;
out:
    if (client.sock)
        api->socket_free(client.sock);
    if (server.sock)
        api->socket_free(server.sock);
    api->context_free(cctx); /* NULL is a no-op */
    api->context_free(sctx);
    free(ca), free(cert), free(key), free(sent), free(got);
    return status;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s PKI_DIR [LIBRARY]\n", argv[0]);
        return 2;
    }
    const char *path = argc == 3 ? argv[2] : TLSPLUG_SONAME;
    tlsplug_load_error err;
    if (tlsplug_load(path, &api, &err) != TLSPLUG_LOAD_OK) {
        fprintf(stderr, "plugin_echo: %s\n", err.message);
        return 1;
    }
    printf("loaded %s: %s, ABI version %u, table of %zu bytes\n", path, api->version_string(), api->version,
           api->size);
    return echo_pair(argv[1]);
}
