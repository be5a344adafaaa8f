/* Helpers shared by the cipher tests: a failure counter, and the oracle,
 * `openssl ciphers`, run in the test (expected values are never pasted). */
#ifndef TLSPLUG_TEST_CIPHERS_ORACLE_H
#define TLSPLUG_TEST_CIPHERS_ORACLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

extern int failures;

#define CHECK(cond, ...)                                                    \
    do {                                                                    \
        if (!(cond)) {                                                      \
            failures++;                                                     \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                   \
            fputc('\n', stderr);                                            \
        }                                                                   \
    } while (0)

/* What `openssl ciphers` answered. */
typedef struct oracle {
    int ok;               /* it listed suites (exit status 0) */
    const char *error;    /* else "no cipher match", "invalid command" or "other" */
    size_t n;             /* suites listed, in its order */
    uint8_t ids[512][2];
} oracle;

/* Runs `openssl ciphers -V -stdname OPTS [-ciphersuites SUITES] -- RULES`
 * (SUITES NULL: no -ciphersuites; the arguments are shell-quoted here). */
void oracle_run(oracle *o, const char *opts, const char *suites, const char *rules);

/* Node's processCiphers() split, done the test's own way: the non-empty
 * ':'-separated names starting with "TLS_" or "!TLS_" into suites, the
 * rest into rest
 * (both joined by ':', buffers as large as the input). */
void node_split(const char *ciphers, char *suites, char *rest);

/* "0xC0,0x2F ECDHE-RSA-AES128-GCM-SHA256" style text for messages. */
const char *id_text(const uint8_t id[2]);

#endif
