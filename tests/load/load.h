/* Load and soak (see load_main.c for the whole run): a tlsplug_server on a
 * loop in a child process (load_server.c), clients on a loop in the parent
 * (load_client.c), the server's memory and fds measured from the inside
 * (load_proc.c). Built on the pump tests' kit (testlib.h, pair.h). */
#ifndef LOAD_LOAD_H
#define LOAD_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "../pump/pair.h"
#include "../pump/testlib.h"

typedef struct load_config {
    size_t handshakes;   /* storm: handshakes to complete */
    size_t concurrency;  /* storm: clients open at once */
    size_t refusals;     /* storm: extra clients that distrust the server, refused on purpose */
    size_t soak_conns;   /* soak: long-lived connections */
    size_t soak_seconds; /* soak: how long they send */
    long rss_slack_kib;  /* allowed RssAnon growth of the server; <0: report only */
} load_config;

/* ---- process figures (load_proc.c) --------------------------------------- */

typedef struct proc_figures {
    long rss_kib;      /* VmRSS: resident, file-backed pages (code) included */
    long rss_anon_kib; /* RssAnon: the heap and other private memory */
    long hwm_kib;      /* VmHWM: the peak of VmRSS */
    long fds;          /* entries of /proc/self/fd */
} proc_figures;

/* The calling process's figures, after giving freed heap back (malloc_trim). */
proc_figures proc_measure(void);

/* ---- the server process (load_server.c) ---------------------------------- */

typedef struct server_report {
    proc_figures before, after;
    uint64_t connections, secure_connections, client_errors;
    uint64_t bytes_in, bytes_out; /* cleartext the server read and echoed */
    uint64_t peak_open;
    int leftover; /* connections still open when asked to report */
} server_report;

/* Commands on the control pipe, parent to child. */
enum { LOAD_CMD_BASELINE = 'B', LOAD_CMD_REPORT = 'R' };

/* The child's whole life: listen, write the port (an int) on `out`, then
 * answer commands from `in`: BASELINE (once no connection is open:
 * measure, write a server_report with `before`), REPORT (once no
 * connection is open: measure, write the full report, close, exit).
 * Never returns. */
void load_server_main(int in, int out, const load_config *cfg);

/* ---- the clients (load_client.c) ----------------------------------------- */

typedef struct client_figures {
    uint64_t started, handshakes, refused, refused_expected, lost;
    uint64_t bytes_out, bytes_in; /* cleartext sent and received (echoed) back */
    uint64_t mismatches;          /* connections whose echo differed or came short */
    uint64_t peak_open;
    double seconds;
    char first_problem[256];
} client_figures;

/* Storm: cfg->handshakes connections (plus cfg->refusals that fail on
 * purpose), cfg->concurrency at a time, each sending a little and
 * checking the echo. */
void load_storm(tlsplug_loop *loop, int port, const load_config *cfg, client_figures *out);
/* Soak: cfg->soak_conns connections streaming both ways for
 * cfg->soak_seconds, then ending; every byte checked. */
void load_soak(tlsplug_loop *loop, int port, const load_config *cfg, client_figures *out);
/* A few connections before the baseline, so that one-time start-up
 * allocations are not counted as growth. */
void load_warmup(tlsplug_loop *loop, int port, client_figures *out);

#endif
