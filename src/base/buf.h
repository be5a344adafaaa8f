/* A growable byte FIFO: append at the tail, consume from the head. */
#ifndef TLSPLUG_BUF_H
#define TLSPLUG_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct tp_buf {
    uint8_t *data;
    size_t head; /* first unread byte */
    size_t tail; /* one past the last byte */
    size_t cap;
} tp_buf;

static inline size_t tp_buf_len(const tp_buf *b) { return b->tail - b->head; }
/* The unread bytes; never pointer arithmetic on NULL (an empty buffer
 * may have no storage at all). */
static inline const uint8_t *tp_buf_peek(const tp_buf *b)
{
    return b->data ? b->data + b->head : (const uint8_t *)"";
}

/* Append n bytes; -1 when out of memory (nothing appended). */
int tp_buf_append(tp_buf *b, const void *p, size_t n);
/* Room for n more bytes at the tail (the caller writes there, then adds
 * what it wrote to `tail`); NULL when out of memory. */
uint8_t *tp_buf_reserve(tp_buf *b, size_t n);
/* Drop n bytes from the head (n <= length). */
void tp_buf_consume(tp_buf *b, size_t n);
/* Copy up to n bytes from the head into p and consume them; the count. */
size_t tp_buf_take(tp_buf *b, void *p, size_t n);
void tp_buf_free(tp_buf *b);

/* An idle connection should hold no buffer memory (the idle-memory target
 * is a few KiB per session), so pump buffers are released once drained. */
static inline void tp_buf_release_if_empty(tp_buf *b)
{
    if (b->head == b->tail && b->data)
        tp_buf_free(b);
}

#endif
