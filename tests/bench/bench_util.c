#define _GNU_SOURCE
#include "bench_util.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void bq_append(bq *q, const void *p, size_t n)
{
    if (q->head == q->tail)
        q->head = q->tail = 0;
    if (q->tail + n > q->cap) {
        if (q->head) { /* compact first */
            memmove(q->data, q->data + q->head, q->tail - q->head);
            q->tail -= q->head;
            q->head = 0;
        }
        if (q->tail + n > q->cap) {
            size_t cap = q->cap ? q->cap : 65536;
            while (cap < q->tail + n)
                cap *= 2;
            uint8_t *d = realloc(q->data, cap);
            if (!d)
                die("realloc", 0);
            q->data = d;
            q->cap = cap;
        }
    }
    memcpy(q->data + q->tail, p, n);
    q->tail += n;
}

size_t bq_take(bq *q, void *p, size_t n)
{
    size_t have = q->tail - q->head;
    if (n > have)
        n = have;
    memcpy(p, q->data + q->head, n);
    q->head += n;
    return n;
}

size_t bq_len(const bq *q)
{
    return q->tail - q->head;
}

void bq_free(bq *q)
{
    free(q->data);
    memset(q, 0, sizeof *q);
}

static double now(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void bclock_start(bclock *c)
{
    c->wall = now(CLOCK_MONOTONIC);
    c->cpu = now(CLOCK_PROCESS_CPUTIME_ID);
}

void bclock_stop(const bclock *c, double *wall, double *cpu)
{
    *wall = now(CLOCK_MONOTONIC) - c->wall;
    *cpu = now(CLOCK_PROCESS_CPUTIME_ID) - c->cpu;
}

const char *pki_path(const char *name)
{
    static char path[4096];
    const char *dir = getenv("TLSPLUG_PKI");
    if (!dir || !*dir)
        die("TLSPLUG_PKI is not set", 0);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return path;
}

uint8_t *pki_read(const char *name, size_t *len)
{
    const char *path = pki_path(name);
    FILE *f = fopen(path, "rb");
    if (!f)
        die(path, 0);
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 8192;
            uint8_t *b = realloc(buf, cap);
            if (!b)
                die("realloc", 0);
            buf = b;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        if (r == 0)
            break;
        n += r;
    }
    fclose(f);
    *len = n;
    return buf;
}

size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

void emit_rate(double units, double wall, double cpu)
{
    printf("{\"units\": %.0f, \"wall_s\": %.6f, \"cpu_s\": %.6f}\n", units, wall, cpu);
}

void emit_mem(double client_bytes, double server_bytes)
{
    printf("{\"client_bytes\": %.1f, \"server_bytes\": %.1f}\n", client_bytes, server_bytes);
}

void die(const char *what, long code)
{
    fprintf(stderr, "bench: %s (%ld)\n", what, code);
    exit(1);
}

void usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s bulk BYTES | full ecdsa|rsa COUNT | resume COUNT | mem COUNT\n"
            "       | resume-id memory|redis COUNT (bench_loop)\n"
            "  (certificates from $TLSPLUG_PKI; one JSON line on stdout)\n",
            prog);
    exit(2);
}
