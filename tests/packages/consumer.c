/* The C consumer of tests/packages: built with pkg-config against the
 * libtlsplug-dev unpacked by `dpkg -x`, run against its libtlsplug1. It
 * prints the library's version and makes a context from a PEM pair, so the
 * header, the link and the runtime lookup are all exercised. */
#include <stdio.h>
#include <stdlib.h>

#include <tlsplug.h>

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[1 << 16];
    *len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return buf;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: consumer CERT KEY\n");
        return 2;
    }
    printf("version: %s\nabi: %d\n", tlsplug_version_string(), tlsplug_abi_version());
    tlsplug_context *ctx;
    size_t len;
    if (tlsplug_context_new(&ctx) != TLSPLUG_OK)
        return 1;
    char *pem = slurp(argv[1], &len);
    int rc = pem ? tlsplug_context_add_cert(ctx, (const uint8_t *)pem, len) : -1;
    pem = rc == TLSPLUG_OK ? slurp(argv[2], &len) : NULL;
    rc = pem ? tlsplug_context_add_key(ctx, (const uint8_t *)pem, len, NULL) : -1;
    printf("context: %s\n", rc == TLSPLUG_OK ? "ok" : "failed");
    tlsplug_context_free(ctx);
    return rc == TLSPLUG_OK ? 0 : 1;
}
