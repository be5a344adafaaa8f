/* The oracle for the cipher tests: `openssl ciphers`, parsed. */
#define _POSIX_C_SOURCE 200809L /* popen, pclose */

#include "oracle.h"

#include <stdlib.h>
#include <string.h>

#include "suites.h"

int failures;

/* 'text' for sh, with any ' written as '\''. */
static void quote(char *out, size_t cap, const char *s)
{
    size_t n = 0;
    out[n++] = '\'';
    for (; *s && n + 6 < cap; s++) {
        if (*s == '\'') {
            memcpy(out + n, "'\\''", 4);
            n += 4;
        } else {
            out[n++] = *s;
        }
    }
    out[n++] = '\'';
    out[n] = '\0';
}

void oracle_run(oracle *o, const char *opts, const char *suites, const char *rules)
{
    char qs[2048], qr[2048], cmd[4400];
    quote(qr, sizeof qr, rules);
    if (suites) {
        quote(qs, sizeof qs, suites);
        snprintf(cmd, sizeof cmd, "openssl ciphers -V -stdname %s -ciphersuites %s -- %s 2>&1", opts, qs, qr);
    } else {
        snprintf(cmd, sizeof cmd, "openssl ciphers -V -stdname %s -- %s 2>&1", opts, qr);
    }
    memset(o, 0, sizeof *o);
    FILE *p = popen(cmd, "r");
    CHECK(p != NULL, "cannot run %s", cmd);
    if (!p)
        return;
    char line[1024];
    int other = 0;
    while (fgets(line, sizeof line, p)) {
        unsigned a, b;
        if (sscanf(line, " 0x%2x,0x%2x - ", &a, &b) == 2) {
            if (o->n < sizeof o->ids / sizeof o->ids[0]) {
                o->ids[o->n][0] = (uint8_t)a;
                o->ids[o->n][1] = (uint8_t)b;
                o->n++;
            }
        } else if (strstr(line, "no cipher match")) {
            o->error = "no cipher match";
        } else if (strstr(line, "invalid command")) {
            o->error = "invalid command";
        } else {
            other = 1;
        }
    }
    int status = pclose(p);
    o->ok = status == 0;
    if (!o->ok && !o->error)
        o->error = "other";
    CHECK(o->ok || !other || o->error, "openssl said something unexpected: %s", cmd);
}

void node_split(const char *ciphers, char *suites, char *rest)
{
    suites[0] = rest[0] = '\0';
    char *copy = strdup(ciphers), *save = NULL;
    /* strtok_r would merge empty elements, which is what Node's filter
     * does to them anyway (it drops empty names). */
    for (char *name = strtok_r(copy, ":", &save); name; name = strtok_r(NULL, ":", &save)) {
        int tls13 = strncmp(name, "TLS_", 4) == 0 || strncmp(name, "!TLS_", 5) == 0;
        char *dst = tls13 ? suites : rest;
        if (*dst)
            strcat(dst, ":");
        strcat(dst, name);
    }
    free(copy);
}

const char *id_text(const uint8_t id[2])
{
    static char text[128];
    const tp_suite *s = tp_suite_by_id(id[0], id[1]);
    snprintf(text, sizeof text, "0x%02X,0x%02X %s", id[0], id[1], s ? s->openssl : "(not in GnuTLS)");
    return text;
}
