/* opts: the command line, table-driven. Each command lists its options
 * once (names, help); parsing, --help and the "bad flag" message all come
 * from that table, so they cannot drift apart. Long options take
 * "--name VALUE" or "--name=VALUE"; openssl-style aliases ("-connect")
 * take "-name VALUE". */
#ifndef TLSPLUG_TOOL_OPTS_H
#define TLSPLUG_TOOL_OPTS_H

#include <stdio.h>

struct opt {
    const char *names; /* "--port|-accept": every spelling, '|'-separated */
    const char *arg;   /* the value's name in --help ("N"), NULL for a flag */
    const char *help;
    void *slot;        /* int * (a flag: set to 1) or const char ** (a value) */
    int many;          /* repeatable: slot is const char *[OPTS_MANY + 1], NULL-ended */
};

#define OPTS_MANY 16

/* Exit status for a bad command line, as most Unix tools. */
#define OPTS_EXIT_USAGE 2

/* Parse argv[first..]: 0 when all went into slots, 1 when --help was
 * printed (exit 0), -1 after printing what is wrong (exit 2). */
int opts_parse(const char *cmd, const char *synopsis, const struct opt *table, int argc,
               char **argv, int first);

void opts_usage(FILE *to, const char *cmd, const char *synopsis, const struct opt *table);

/* A whole number in [min, max] from `text`, or -1 after printing why
 * (naming the option `what`). */
int opts_int(const char *cmd, const char *what, const char *text, long min, long max, long *out);

#endif
