/* Loopback-TCP scaffolding for the C benchmark systems (bench_raw_tcp.c,
 * and the tlsplug-on-libuv program to come): an ephemeral listener on
 * 127.0.0.1, the server forked into a child process, and the child's
 * figures (its CPU, heap and RSS) sent back to the parent over a pipe.
 * The protocol every TCP system follows is in tests/bench/README.md. */
#ifndef BENCH_TCP_H
#define BENCH_TCP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Every blocking socket call gives up after this long (SO_RCVTIMEO and
 * SO_SNDTIMEO), and each process has an alarm() of BENCH_WATCHDOG_S. */
#define BENCH_IO_TIMEOUT_S 30
#define BENCH_WATCHDOG_S 600

/* The parsed argv: bulk BYTES | full ecdsa|rsa COUNT | resume COUNT | mem COUNT
 * | resume-id memory|redis COUNT (TLS 1.2 session ids from the server's
 * session store; bench_loop only). */
typedef enum { W_BULK, W_FULL, W_RESUME, W_MEM, W_RESUME_ID } wkind;
typedef struct {
    wkind kind;
    const char *store; /* resume-id: "memory" or "redis" */
    int rsa;        /* full: RSA-2048 rather than ECDSA P-256 */
    double bytes;   /* bulk */
    long count;     /* full, resume, mem */
} workload;

void workload_parse(int argc, char **argv, workload *w);

/* Listening socket on 127.0.0.1, ephemeral port (written to *port). */
int tcp_listen(uint16_t *port);
/* Accept one connection (waits at most BENCH_IO_TIMEOUT_S). */
int tcp_accept(int lfd);
/* Connect to 127.0.0.1:port. Both ends get TCP_NODELAY and the timeouts. */
int tcp_connect(uint16_t port);

/* Resident set size now, from /proc/self/statm, in bytes. */
size_t rss_bytes(void);
/* This process's CPU time (all threads), seconds. */
double cpu_now(void);
double wall_now(void);

/* What the server child sends back once its part is done. */
typedef struct {
    double cpu_s;       /* server CPU over its timed section */
    double heap_bytes;  /* mem: heap growth over COUNT connections */
    double rss_bytes;   /* mem: RSS growth over COUNT connections */
} server_report;

typedef struct {
    pid_t pid;
    int report_fd;  /* parent reads the server_report here */
    int done_fd;    /* parent closes this to let the child exit */
} server_child;

/* Fork; the child runs fn(lfd, arg, report_fd, done_fd) and _exits(0). */
void server_spawn(server_child *sc, int lfd, void (*fn)(int lfd, void *arg, int report_fd, int done_fd),
                  void *arg);
/* Child side: send the report, then (mem) wait until the parent is done. */
void child_report(int report_fd, const server_report *r);
void child_wait_done(int done_fd);
/* Parent side: read the child's report (bounded), then release and reap it. */
void server_collect(server_child *sc, server_report *r);
void server_finish(server_child *sc);

/* The one JSON line of a TCP system (see README.md). */
void emit_rate_tcp(double units, double wall, double client_cpu, double server_cpu);
void emit_mem_tcp(double client_heap, double server_heap, double client_rss, double server_rss);

#endif
