/* The PSK event's callback: the one place the library calls into Go.
 * GnuTLS asks for the key inside the handshake and waits for the answer,
 * so it cannot be queued as Go's other events are (psk.go). */
#include <tlsplug.h>

#include "_cgo_export.h"

/* tlsplug_event_cb for TLSPLUG_EV_PSK. A server's event names the socket as
 * its subject; a socket's own event has none, the socket is the source. */
void tpg_psk_event(uintptr_t owner, void *source, int event, void *subject, const uint8_t *data,
                   size_t len)
{
    (void)event;
    tpgAnswerPSK(owner, subject ? subject : source, (char *)data, len);
}
