/* opts: table-driven argument parsing (see opts.h). */
#include "opts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Whether `arg` (up to `n` bytes) is one of the '|'-separated `names`. */
static int names_match(const char *names, const char *arg, size_t n)
{
    for (const char *p = names; *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, arg, n) == 0)
            return 1;
        p += len + (bar != NULL);
    }
    return 0;
}

static const struct opt *find(const struct opt *table, const char *arg, size_t n)
{
    for (const struct opt *o = table; o->names; o++)
        if (names_match(o->names, arg, n))
            return o;
    return NULL;
}

int opts_parse(const char *cmd, const char *synopsis, const struct opt *table, int argc,
               char **argv, int first)
{
    for (int i = first; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0 || strcmp(arg, "-help") == 0) {
            opts_usage(stdout, cmd, synopsis, table);
            return 1;
        }
        /* "--name=value" only for long options: openssl's never have '='. */
        const char *eq = strncmp(arg, "--", 2) == 0 ? strchr(arg, '=') : NULL;
        size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
        const struct opt *o = arg[0] == '-' ? find(table, arg, n) : NULL;
        if (!o) {
            fprintf(stderr, "tlsplug %s: unknown %s '%s' (try 'tlsplug %s --help')\n", cmd,
                    arg[0] == '-' ? "option" : "argument", arg, cmd);
            return -1;
        }
        if (!o->arg) {
            if (eq) {
                fprintf(stderr, "tlsplug %s: option %.*s takes no value\n", cmd, (int)n, arg);
                return -1;
            }
            *(int *)o->slot = 1;
            continue;
        }
        const char *value;
        if (eq) {
            value = eq + 1;
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            fprintf(stderr, "tlsplug %s: option %s needs a value (%s)\n", cmd, arg, o->arg);
            return -1;
        }
        if (!o->many) {
            *(const char **)o->slot = value;
            continue;
        }
        const char **list = o->slot;
        int k = 0;
        while (list[k])
            k++;
        if (k == OPTS_MANY) {
            fprintf(stderr, "tlsplug %s: option %.*s given more than %d times\n", cmd, (int)n, arg,
                    OPTS_MANY);
            return -1;
        }
        list[k] = value;
    }
    return 0;
}

void opts_usage(FILE *to, const char *cmd, const char *synopsis, const struct opt *table)
{
    fprintf(to, "usage: tlsplug %s [options]\n%s\n\noptions:\n", cmd, synopsis);
    for (const struct opt *o = table; o->names; o++) {
        char spell[96];
        snprintf(spell, sizeof spell, "%s%s%s", o->names, o->arg ? " " : "", o->arg ? o->arg : "");
        for (char *p = spell; *p; p++)
            if (*p == '|')
                *p = ',';
        if (strlen(spell) > 30) /* a long spelling: its help on the next line */
            fprintf(to, "  %s\n  %-30s %s%s\n", spell, "", o->help, o->many ? " (repeatable)" : "");
        else
            fprintf(to, "  %-30s %s%s\n", spell, o->help, o->many ? " (repeatable)" : "");
    }
    fprintf(to, "  %-30s %s\n", "--help,-h", "this help");
}

int opts_int(const char *cmd, const char *what, const char *text, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < min || v > max) {
        fprintf(stderr, "tlsplug %s: %s wants a whole number from %ld to %ld, not '%s'\n", cmd,
                what, min, max, text);
        return -1;
    }
    *out = v;
    return 0;
}
