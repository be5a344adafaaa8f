/* cli_common: what the two echo examples share on the command line:
 * reading "--name VALUE" options, building the SecureContext from PEM
 * files (Node's key, cert, ca, minVersion, maxVersion options), and
 * printing a tlsplug error as "CODE: MESSAGE". */
#ifndef TLSPLUG_EXAMPLE_CLI_COMMON_H
#define TLSPLUG_EXAMPLE_CLI_COMMON_H

#include <stddef.h>

#include "tlsplug.h"

/* The SecureContext options both examples take; NULL means not given. */
struct cli_tls_options {
    const char *key;         /* --key FILE: PEM private key */
    const char *cert;        /* --cert FILE: PEM chain, leaf first */
    const char *ca;          /* --ca FILE: PEM trusted certificates */
    const char *min_version; /* --min-version TLSv1.2|TLSv1.3 */
    const char *max_version; /* --max-version TLSv1.2|TLSv1.3 */
};

/* Match argv[*i] against option `name` ("--port"), written as
 * "--port VALUE" or "--port=VALUE". Answers 1 and stores the value (and
 * steps *i past a separate value) on a match, 0 when argv[*i] is another
 * option, -1 when the value is missing (after printing so). */
int cli_take_value(int argc, char **argv, int *i, const char *name, const char **value);

/* Take one of the cli_tls_options at argv[*i]: answers as cli_take_value. */
int cli_take_tls_option(int argc, char **argv, int *i, struct cli_tls_options *o);

/* Parse whole non-negative seconds into milliseconds; 0 or -1. */
int cli_parse_seconds(const char *text, int *ms);

/* Build a context from the options. 0, or -1 after printing on stderr,
 * prefixed with `prog`, which file and what went wrong. */
int cli_make_context(const char *prog, const struct cli_tls_options *o, tlsplug_context **out);

/* "CODE: MESSAGE" of the last error on a tlsplug handle, in buf. */
const char *cli_error_text(const void *handle, char *buf, size_t cap);

#endif
