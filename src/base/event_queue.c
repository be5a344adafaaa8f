/* The polled event queue (see event_queue.h). */
#include "event_queue.h"

#include <stdlib.h>
#include <string.h>

#include "tlsplug.h"

void tp_queue_push(tp_event_queue *q, int event, uintptr_t subject, const void *data, size_t len)
{
    if (!q->on)
        return;
    tp_queued *e = malloc(sizeof *e + len);
    if (!e)
        return;
    *e = (tp_queued){NULL, event, subject, len};
    if (len)
        memcpy(e->data, data, len);
    if (q->tail)
        q->tail->next = e;
    else
        q->head = e;
    q->tail = e;
}

void tp_queue_clear(tp_event_queue *q)
{
    while (q->head) {
        tp_queued *e = q->head;
        q->head = e->next;
        free(e);
    }
    q->tail = NULL;
}

void tp_queue_enable(tp_event_queue *q, int on)
{
    q->on = on != 0;
    if (!q->on)
        tp_queue_clear(q);
}

int tp_queue_pop(tp_event_queue *q, int *event, uintptr_t *subject, uint8_t *buf, size_t cap,
                 size_t *len)
{
    tp_queued *e = q->head;
    if (!e)
        return TLSPLUG_E_AGAIN;
    if (e->len > cap) {
        *len = e->len;
        return TLSPLUG_E_BUFSIZE;
    }
    if (e->len)
        memcpy(buf, e->data, e->len);
    *event = e->event;
    if (subject)
        *subject = e->subject;
    *len = e->len;
    q->head = e->next;
    if (!q->head)
        q->tail = NULL;
    free(e);
    return TLSPLUG_OK;
}
