/* tool_args: the command line of tls_tool (see tls_tool.c for the usage).
 *
 * SecureContext options are kept in command-line order, because the order
 * of the setters matters to some checks (secureProtocol after minVersion
 * and the other way round); socket options are plain fields. */
#ifndef TLSPLUG_OPTIONS_TOOL_ARGS_H
#define TLSPLUG_OPTIONS_TOOL_ARGS_H

#define TOOL_MAX_CTX_OPTS 64

enum tool_mode { TOOL_SERVER, TOOL_CLIENT, TOOL_CIPHERS };

/* One context option as given: "--key" and its value (NULL for a flag). */
struct tool_ctx_opt {
    const char *flag;
    const char *value;
};

struct tool_args {
    enum tool_mode mode;
    const char *host;         /* --host, default 127.0.0.1 */
    const char *port;         /* --port, required for server and client */
    const char *passphrase;   /* --passphrase: for every --key and --pfx */
    struct tool_ctx_opt ctx[TOOL_MAX_CTX_OPTS];
    int nctx;
    const char *servername;   /* --servername */
    int insecure;             /* --insecure: rejectUnauthorized false */
    int request_cert;         /* --request-cert */
    unsigned min_dh_size;     /* --min-dh-size N; 0 when not given */
    int has_min_dh_size;
    const char *check_identity; /* --check-identity accept|reject-with-CODE */
    int pair;                 /* --pair: tlsplug_secure_pair_new */
    const char *alpn;         /* --alpn LIST: comma-separated ALPN names */
    const char *send;         /* --send TEXT: client writes TEXT\n, waits for a line */
    int timeout_ms;           /* --timeout SECONDS, default 20 */
};

/* Fill `a` from argv. Answers 0, or -1 after printing the reason on stderr. */
int tool_parse_args(int argc, char **argv, struct tool_args *a);

void tool_usage(const char *prog);

#endif
