package tlsplug

// Node's pskCallback. GnuTLS asks for the key synchronously inside the
// handshake, so unlike Go's other events (queued, read after the C call
// returns) the PSK event has a C callback (psk.c) that calls back into Go
// while the C call driving the handshake is still running, on the same
// goroutine, with the Conn's locks held by it. C gets a runtime/cgo.Handle
// as the callback's userdata, never a Go pointer.

// #include <tlsplug.h>
// void tpg_psk_event(uintptr_t owner, void *source, int event, void *subject, const uint8_t *data, size_t len);
import "C"

import (
	"fmt"
	"runtime/cgo"
	"unsafe"
)

// pskEnabled tells whether the Config's context asks for PSK keys.
func (c *Config) pskEnabled() bool {
	return c.ClientPSKCallback != nil || c.ServerPSKCallback != nil
}

// pskEvents is the callback registered for the PSK event.
var pskEvents = C.tlsplug_event_cb(C.tpg_psk_event)

// tpgAnswerPSK is the PSK event: owner is the handle of a *Conn (a client,
// or a server Conn without a TLSServer) or of a *TLSServer, whose
// connections' events come to it.
//
//export tpgAnswerPSK
func tpgAnswerPSK(owner C.uintptr_t, sock unsafe.Pointer, text *C.char, n C.size_t) {
	s := (*C.tlsplug_socket)(sock)
	var c *Conn
	switch o := cgo.Handle(owner).Value().(type) {
	case *Conn:
		c = o
	case *TLSServer:
		// The event fires inside a C call on one of the server's sockets,
		// made under the server's lock by this goroutine.
		c = o.conns[s]
	}
	if c != nil {
		c.answerPSKLocked(s, C.GoStringN(text, C.int(n)))
	}
}

// answerPSKLocked asks the Config's callback for c's role and answers the
// socket; not answering refuses the key. The callback's error (or panic,
// which must not unwind into C) becomes the handshake's error. c.mu is
// held by this goroutine.
func (c *Conn) answerPSKLocked(sock *C.tlsplug_socket, text string) {
	identity, key, err := c.askPSK(text)
	if err == nil && len(key) > 0 {
		err = cSocketPskAnswer(sock, key, identity)
	}
	if err != nil && c.fatal == nil {
		c.fatal = err
	}
}

// askPSK runs the callback: the client's gets the server's hint, the
// server's the identity the client sent.
func (c *Conn) askPSK(text string) (identity string, key []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			identity, key = "", nil
			if e, ok := r.(error); ok {
				err = fmt.Errorf("tlsplug: pskCallback panicked: %w", e)
			} else {
				err = fmt.Errorf("tlsplug: pskCallback panicked: %v", r)
			}
		}
	}()
	if !c.server {
		if c.cfg.ClientPSKCallback != nil {
			return c.cfg.ClientPSKCallback(text)
		}
		return "", nil, nil
	}
	if c.cfg.ServerPSKCallback != nil {
		key, err = c.cfg.ServerPSKCallback(text, c.conn)
	}
	return "", key, err
}

// listenPSK registers the PSK event of a Conn's own socket (a client's, or
// a server Conn without a TLSServer); Close releases the handle.
func (c *Conn) listenPSK(s *C.tlsplug_socket) error {
	c.pskHandle = cgo.NewHandle(c)
	return cSocketOn(s, int(cEventPsk), pskEvents, uintptr(c.pskHandle))
}

// listenPSK registers the PSK event of the server's sockets; Close
// releases the handle.
func (s *TLSServer) listenPSK(h *C.tlsplug_server) error {
	s.pskHandle = cgo.NewHandle(s)
	return cServerOn(h, int(cEventPsk), pskEvents, uintptr(s.pskHandle))
}

// releaseHandle deletes a PSK handle once the C handle that held it is freed.
func releaseHandle(h *cgo.Handle) {
	if *h != 0 {
		h.Delete()
		*h = 0
	}
}
