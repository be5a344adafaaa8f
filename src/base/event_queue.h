/* The event queue a socket or a server keeps for hosts that poll events
 * instead of taking callbacks (cgo, where a call into the host is costly):
 * a FIFO of events, each with its subject handle and a copy of its payload.
 * One implementation for both objects, so their next_event calls agree. */
#ifndef TLSPLUG_EVENT_QUEUE_H
#define TLSPLUG_EVENT_QUEUE_H

#include <stddef.h>
#include <stdint.h>

typedef struct tp_queued {
    struct tp_queued *next;
    int event;
    uintptr_t subject; /* a handle word, 0 for none */
    size_t len;
    uint8_t data[];
} tp_queued;

typedef struct tp_event_queue {
    int on;                   /* events with no callback are queued */
    tp_queued *head, *tail;
} tp_event_queue;

/* Queue a copy of the event when the queue is on. Out of memory, the event
 * is dropped: the state query still tells the host where things stand. */
void tp_queue_push(tp_event_queue *q, int event, uintptr_t subject, const void *data, size_t len);
/* Turn the queue on or off; turning it off drops what waits. */
void tp_queue_enable(tp_event_queue *q, int on);
/* Drop everything (the owner is going away). */
void tp_queue_clear(tp_event_queue *q);
/* Take the next event: TLSPLUG_OK with it copied out, TLSPLUG_E_AGAIN when
 * none waits, TLSPLUG_E_BUFSIZE with *len set when `cap` is too small (the
 * event stays queued). `subject` may be NULL. */
int tp_queue_pop(tp_event_queue *q, int *event, uintptr_t *subject, uint8_t *buf, size_t cap,
                 size_t *len);

#endif
