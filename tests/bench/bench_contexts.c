#include "bench_contexts.h"

#include <stdio.h>
#include <stdlib.h>

#include "bench_util.h"

static void chk(int st, const char *what)
{
    if (st != TLSPLUG_OK) {
        fprintf(stderr, "bench: %s: %s\n", what, tlsplug_status_name(st));
        exit(1);
    }
}

static void add(tlsplug_context *ctx, const char *file,
                int (*fn)(tlsplug_context *, const uint8_t *, size_t), const char *what)
{
    size_t n;
    uint8_t *pem = pki_read(file, &n);
    chk(fn(ctx, pem, n), what);
    free(pem);
}

static int add_key(tlsplug_context *ctx, const uint8_t *pem, size_t n)
{
    return tlsplug_context_add_key(ctx, pem, n, NULL);
}

void bench_contexts(int rsa, tlsplug_context **client, tlsplug_context **server)
{
    chk(tlsplug_context_new(server), "context_new");
    chk(tlsplug_context_new(client), "context_new");
    tlsplug_context *both[2] = {*client, *server};
    for (int i = 0; i < 2; i++) {
        chk(tlsplug_context_set_min_version(both[i], "TLSv1.3"), "set_min_version");
        chk(tlsplug_context_set_max_version(both[i], "TLSv1.3"), "set_max_version");
        chk(tlsplug_context_set_ciphers(both[i], "TLS_AES_128_GCM_SHA256"), "set_ciphers");
        chk(tlsplug_context_set_ecdh_curve(both[i], "X25519"), "set_ecdh_curve");
    }
    add(*server, rsa ? "server.key" : "server-ec.key", add_key, "add_key");
    add(*server, rsa ? "server-chain.pem" : "server-ec-chain.pem", tlsplug_context_add_cert,
        "add_cert");
    add(*client, "ca.pem", tlsplug_context_add_ca, "add_ca");
}
