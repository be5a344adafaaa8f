/* Shared by every C benchmark program (bench_tcp.c adds the TCP parts):
 * byte queues, clocks, PKI files, heap measurement and the one-line JSON
 * result the driver reads. */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* A byte queue: append at the tail, take from the head. */
typedef struct {
    uint8_t *data;
    size_t head, tail, cap;
} bq;

void bq_append(bq *q, const void *p, size_t n);
size_t bq_take(bq *q, void *p, size_t n);
size_t bq_len(const bq *q);
void bq_free(bq *q);

typedef struct {
    double wall, cpu;
} bclock;

void bclock_start(bclock *c);
/* Seconds since bclock_start: wall and this process's CPU. */
void bclock_stop(const bclock *c, double *wall, double *cpu);

/* $TLSPLUG_PKI/name, read whole (exits on failure); free() it. */
uint8_t *pki_read(const char *name, size_t *len);
/* $TLSPLUG_PKI/name as a path (static buffer, valid until the next call). */
const char *pki_path(const char *name);

/* Heap in use now (mallinfo2), in bytes. */
size_t heap_in_use(void);

/* Print {"units":..,"wall_s":..,"cpu_s":..} on stdout. */
void emit_rate(double units, double wall, double cpu);
/* Print {"client_bytes":..,"server_bytes":..} (per connection). */
void emit_mem(double client_bytes, double server_bytes);

void die(const char *what, long code);
void usage(const char *prog);

#define BULK_CHUNK 16384

#endif
