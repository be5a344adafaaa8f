#include "buf.h"

#include <stdlib.h>
#include <string.h>

int tp_buf_append(tp_buf *b, const void *p, size_t n)
{
    if (n == 0)
        return 0;
    uint8_t *tail = tp_buf_reserve(b, n);
    if (!tail)
        return -1;
    memcpy(tail, p, n);
    b->tail += n;
    return 0;
}

uint8_t *tp_buf_reserve(tp_buf *b, size_t n)
{
    if (b->cap - b->tail < n) {
        size_t len = tp_buf_len(b);
        if (b->head > 0 && b->cap - len >= n && b->head >= len) {
            /* Enough room once the read bytes are dropped: slide down
             * (cheap, since the unread part is no longer than the gap). */
            memmove(b->data, b->data + b->head, len);
        } else {
            size_t want = len + n;
            size_t cap = b->cap ? b->cap : 4096;
            while (cap < want) {
                if (cap > SIZE_MAX / 2)
                    return NULL;
                cap *= 2;
            }
            uint8_t *d = malloc(cap);
            if (!d)
                return NULL;
            if (len)
                memcpy(d, b->data + b->head, len);
            free(b->data);
            b->data = d;
            b->cap = cap;
        }
        b->head = 0;
        b->tail = len;
    }
    return b->data + b->tail;
}

void tp_buf_consume(tp_buf *b, size_t n)
{
    b->head += n;
    if (b->head == b->tail)
        b->head = b->tail = 0;
}

size_t tp_buf_take(tp_buf *b, void *p, size_t n)
{
    size_t len = tp_buf_len(b);
    if (n > len)
        n = len;
    memcpy(p, b->data + b->head, n);
    tp_buf_consume(b, n);
    return n;
}

void tp_buf_free(tp_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->head = b->tail = b->cap = 0;
}
