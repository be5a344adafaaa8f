#define _GNU_SOURCE
#include "bench_tcp.h"

#include "bench_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void workload_parse(int argc, char **argv, workload *w)
{
    memset(w, 0, sizeof *w);
    if (argc < 3)
        usage(argv[0]);
    if (strcmp(argv[1], "bulk") == 0) {
        w->kind = W_BULK;
        w->bytes = strtod(argv[2], NULL);
    } else if (strcmp(argv[1], "full") == 0 && argc > 3) {
        w->kind = W_FULL;
        w->rsa = strcmp(argv[2], "rsa") == 0;
        w->count = strtol(argv[3], NULL, 10);
    } else if (strcmp(argv[1], "resume") == 0) {
        w->kind = W_RESUME;
        w->count = strtol(argv[2], NULL, 10);
    } else if (strcmp(argv[1], "resume-id") == 0 && argc > 3) {
        w->kind = W_RESUME_ID;
        w->store = argv[2];
        w->count = strtol(argv[3], NULL, 10);
    } else if (strcmp(argv[1], "mem") == 0) {
        w->kind = W_MEM;
        w->count = strtol(argv[2], NULL, 10);
    } else {
        usage(argv[0]);
    }
    if ((w->kind == W_BULK && w->bytes <= 0) || (w->kind != W_BULK && w->count <= 0))
        usage(argv[0]);
}

static void sock_opts(int fd)
{
    int one = 1;
    struct timeval tv = {.tv_sec = BENCH_IO_TIMEOUT_S};
    /* Handshakes are small ping-pongs: Nagle would add delayed-ACK stalls. */
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0)
        die("setsockopt", errno);
}

int tcp_listen(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die("socket", errno);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 1024) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &al) < 0)
        die("bind/listen", errno);
    *port = ntohs(a.sin_port);
    return fd;
}

int tcp_accept(int lfd)
{
    struct pollfd p = {.fd = lfd, .events = POLLIN};
    int r;
    do
        r = poll(&p, 1, BENCH_IO_TIMEOUT_S * 1000);
    while (r < 0 && errno == EINTR);
    if (r <= 0)
        die("accept: timed out", r);
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        die("accept", errno);
    sock_opts(fd);
    return fd;
}

int tcp_connect(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die("socket", errno);
    sock_opts(fd); /* SO_SNDTIMEO also bounds connect() */
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
        die("connect", errno);
    return fd;
}

size_t rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, res = 0;
    if (!f || fscanf(f, "%lu %lu", &size, &res) != 2)
        die("/proc/self/statm", errno);
    fclose(f);
    return (size_t)res * (size_t)sysconf(_SC_PAGESIZE);
}

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double cpu_now(void)
{
    return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

double wall_now(void)
{
    return clock_s(CLOCK_MONOTONIC);
}

void server_spawn(server_child *sc, int lfd, void (*fn)(int lfd, void *arg, int report_fd, int done_fd),
                  void *arg)
{
    int rep[2], done[2];
    if (pipe2(rep, O_CLOEXEC) < 0 || pipe2(done, O_CLOEXEC) < 0)
        die("pipe", errno);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        die("fork", errno);
    if (pid == 0) {
        alarm(BENCH_WATCHDOG_S); /* alarms are not inherited */
        close(rep[0]);
        close(done[1]);
        fn(lfd, arg, rep[1], done[0]);
        _exit(0);
    }
    close(rep[1]);
    close(done[0]);
    close(lfd); /* only the child accepts */
    sc->pid = pid;
    sc->report_fd = rep[0];
    sc->done_fd = done[1];
}

void child_report(int report_fd, const server_report *r)
{
    if (write(report_fd, r, sizeof *r) != (ssize_t)sizeof *r)
        die("report write", errno);
    close(report_fd);
}

void child_wait_done(int done_fd)
{
    struct pollfd p = {.fd = done_fd, .events = POLLIN};
    if (poll(&p, 1, BENCH_WATCHDOG_S * 1000) <= 0)
        die("parent never finished", 0);
    close(done_fd);
}

void server_collect(server_child *sc, server_report *r)
{
    struct pollfd p = {.fd = sc->report_fd, .events = POLLIN};
    int n;
    do
        n = poll(&p, 1, BENCH_IO_TIMEOUT_S * 1000);
    while (n < 0 && errno == EINTR);
    if (n <= 0 || read(sc->report_fd, r, sizeof *r) != (ssize_t)sizeof *r)
        die("server report missing", n);
    close(sc->report_fd);
    sc->report_fd = -1;
}

void server_finish(server_child *sc)
{
    if (sc->report_fd >= 0)
        close(sc->report_fd);
    close(sc->done_fd);
    for (int i = 0; i < BENCH_IO_TIMEOUT_S * 100; i++) {
        int st;
        pid_t r = waitpid(sc->pid, &st, WNOHANG);
        if (r == sc->pid) {
            if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
                die("server child failed", st);
            return;
        }
        usleep(10000);
    }
    kill(sc->pid, SIGKILL);
    waitpid(sc->pid, NULL, 0);
    die("server child did not exit", 0);
}

void emit_rate_tcp(double units, double wall, double client_cpu, double server_cpu)
{
    printf("{\"units\": %.0f, \"wall_s\": %.6f, \"cpu_s\": %.6f, \"client_cpu_s\": %.6f, "
           "\"server_cpu_s\": %.6f}\n",
           units, wall, client_cpu + server_cpu, client_cpu, server_cpu);
}

void emit_mem_tcp(double client_heap, double server_heap, double client_rss, double server_rss)
{
    printf("{\"client_bytes\": %.1f, \"server_bytes\": %.1f, \"client_rss_bytes\": %.1f, "
           "\"server_rss_bytes\": %.1f}\n",
           client_heap, server_heap, client_rss, server_rss);
}
