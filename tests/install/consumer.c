/*
 * A program that lives outside the tlsplug tree and sees only what an
 * installation gives it: <tlsplug.h> and -ltlsplug. It proves the header
 * compiles on its own and that the installed library loads and answers.
 */
#include <stdio.h>
#include <tlsplug.h>

int main(void)
{
    int abi = tlsplug_abi_version();
    const char *version = tlsplug_version_string();
    tlsplug_context *ctx = NULL;
    int rc = tlsplug_context_new(&ctx);

    printf("version \"%s\", abi %d (header abi %d), context_new=%d\n",
           version ? version : "(null)", abi, TLSPLUG_ABI_VERSION, rc);
    if (rc != 0 || ctx == NULL)
        return 1;
    rc = tlsplug_context_free(ctx);
    if (rc != 0) {
        printf("context_free=%d\n", rc);
        return 1;
    }
    /* A binding checks exactly this right after loading the library. */
    return abi == TLSPLUG_ABI_VERSION ? 0 : 1;
}
