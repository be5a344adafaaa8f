/* The progress oracle (progress.h) with a fixed set of cuttings, as a plain
 * executable: gcc and sanitizer builds, which build no libFuzzer target,
 * run the same oracle.
 *
 *   whole          every flight in one feed, records as sent (the control)
 *   feed-1         1-byte feeds
 *   record-1       every plaintext handshake record re-framed to 1 byte
 *   hello-split-2  the ClientHello in 2 records, at every split point
 *   hello-split-3  the ClientHello in 3 records, at a spread of points
 *   flight-512     TLS 1.2: the server's plaintext flight in 512-byte records
 *
 * Each family runs over every scenario (both versions, the four server
 * kinds, with and without a client certificate, HRR, read()), except
 * hello-split-2, which runs every split point over the hello-hold paths
 * of both versions. All cases run; the summary lists the failures of
 * each family with the first message, and the exit status is 1 if any.
 * Argument `quick` (sanitizer builds): hello-split-2 takes every 13th split
 * point instead of all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "progress.h"

typedef struct plan {
    size_t feed;            /* feed size; 0 = everything waiting */
    size_t record[2];       /* fixed record size per direction; 0 = as much as allowed */
    size_t hello_cuts[2];   /* the first C>S records' sizes (0 = none) */
    int ncuts, used;        /* hello cuts used so far */
    size_t first_run;       /* the length of the first C>S run (the ClientHello) */
} plan;

static size_t plan_next(oc_cutter *c, int what, int dir, size_t avail)
{
    plan *p = c->user;
    if (what == OC_FEED)
        return p->feed ? p->feed : avail;
    if (dir == OC_C2S && p->first_run == 0)
        p->first_run = avail; /* the first C>S record call sees the whole ClientHello */
    if (dir == OC_C2S && p->used < p->ncuts)
        return p->hello_cuts[p->used++];
    return p->record[dir] ? p->record[dir] : avail;
}

typedef struct family {
    const char *name;
    int cases, failures;
    char first[1200];
} family;

static void run_case(family *f, const oc_scenario *sc, plan pl, int reframe, const char *what)
{
    oc_cutter cut = {plan_next, reframe, &pl};
    const char *err = oc_run(sc, &cut);
    f->cases++;
    if (!err)
        return;
    if (f->failures++ == 0)
        snprintf(f->first, sizeof f->first, "[%s%s%s] %s", oc_scenario_name(sc), what ? ", " : "",
                 what ? what : "", err);
}

/* Every scenario the oracle knows: 2 versions x 4 kinds x client cert x
 * HRR (TLS 1.3 only) x read mode. */
static int scenario_at(int i, oc_scenario *sc)
{
    if (i >= 64)
        return 0;
    *sc = (oc_scenario){.tls13 = i & 1, .server_kind = (i >> 1) & 3, .client_cert = (i >> 3) & 1,
                        .hrr = (i >> 4) & 1, .read_mode = (i >> 5) & 1};
    return !(sc->hrr && !sc->tls13); /* HRR is TLS 1.3's */
}

/* The ClientHello's length under a scenario: one exchange, as sent. */
static size_t hello_length(const oc_scenario *sc)
{
    plan pl = {0};
    oc_cutter cut = {plan_next, 1, &pl};
    oc_run(sc, &cut); /* its verdict is the `whole` family's business */
    return pl.first_run;
}

int main(int argc, char **argv)
{
    int quick = argc > 1 && strcmp(argv[1], "quick") == 0;
    const char *err = oc_init();
    if (err) {
        fprintf(stderr, "progress_replay: %s\n", err);
        return 2;
    }
    family fam[] = {{.name = "whole"},         {.name = "feed-1"},
                    {.name = "record-1"},      {.name = "hello-split-2"},
                    {.name = "hello-split-3"}, {.name = "flight-512"}};
    oc_scenario sc;
    for (int i = 0; i < 64; i++) {
        if (!scenario_at(i, &sc))
            continue;
        run_case(&fam[0], &sc, (plan){0}, 0, NULL);
        run_case(&fam[1], &sc, (plan){.feed = 1}, 0, NULL);
        run_case(&fam[2], &sc, (plan){.record = {1, 1}}, 1, NULL);
        size_t len = hello_length(&sc);
        size_t thirds[][2] = {{1, 1}, {1, len / 2}, {len / 3, len / 3}, {len - 2, 1}, {4, 5}};
        for (size_t k = 0; k < sizeof thirds / sizeof *thirds; k++) {
            char what[96];
            snprintf(what, sizeof what, "ClientHello of %zu as %zu+%zu+rest", len, thirds[k][0],
                     thirds[k][1]);
            run_case(&fam[4], &sc, (plan){.hello_cuts = {thirds[k][0], thirds[k][1]}, .ncuts = 2},
                     1, what);
        }
        if (!sc.tls13)
            run_case(&fam[5], &sc, (plan){.record = {0, 512}}, 1, "server records of 512");
    }
    /* Every split point, over the hello-hold paths of both versions: a bare
     * socket, addContext and the SNI callback (the hold that waits). */
    static const int kinds[] = {OC_PLAIN, OC_SNI_MATCH, OC_SNI_ASYNC};
    for (int v = 0; v < 2; v++) {
        for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
            sc = (oc_scenario){.tls13 = v, .server_kind = kinds[k]};
            size_t len = hello_length(&sc);
            for (size_t at = 1; at < len; at += quick ? 13 : 1) {
                char what[96];
                snprintf(what, sizeof what, "ClientHello of %zu split at %zu", len, at);
                run_case(&fam[3], &sc, (plan){.hello_cuts = {at}, .ncuts = 1}, 1, what);
            }
        }
    }
    int failed = 0;
    for (size_t i = 0; i < sizeof fam / sizeof *fam; i++) {
        printf("%-14s %4d cases, %4d failed%s%s\n", fam[i].name, fam[i].cases, fam[i].failures,
               fam[i].failures ? "; first: " : "", fam[i].first);
        failed += fam[i].failures;
    }
    if (failed)
        printf("progress_replay: FAIL: %d exchanges did not complete\n", failed);
    return failed ? 1 : 0;
}
