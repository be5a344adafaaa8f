/* tlsplug: the command-line face of libtlsplug. `tlsplug server` and
 * `tlsplug client` are Node's documented tls echo server and client; see
 * server.c and client.c. This file only picks the subcommand. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "opts.h"
#include "tlsplug.h"

static void usage(FILE *to)
{
    fprintf(to,
            "usage: tlsplug server [options]   Node's tls.createServer() echo server, or an\n"
            "                                  HTTPS status page / file server (--www, --serve-dir)\n"
            "       tlsplug client [options]   Node's tls.connect() echo client that shows the\n"
            "                                  peer's chain and the negotiated parameters\n"
            "       tlsplug version            the library's and GnuTLS's versions, the ABI's\n"
            "'tlsplug COMMAND --help' lists a command's options; see tlsplug(1).\n");
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "";
    if (strcmp(cmd, "server") == 0)
        return cmd_server(argc - 1, argv + 1);
    if (strcmp(cmd, "client") == 0)
        return cmd_client(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        /* The library's string already starts with its name. */
        printf("%s (ABI %d)\n", tlsplug_version_string(), tlsplug_abi_version());
        return 0;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (*cmd)
        fprintf(stderr, "tlsplug: unknown command '%s'\n", cmd);
    usage(stderr);
    return OPTS_EXIT_USAGE;
}
