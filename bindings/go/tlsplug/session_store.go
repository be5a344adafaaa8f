package tlsplug

// #cgo pkg-config: tlsplug
// #include <tlsplug.h>
import "C"

import (
	"errors"
	"syscall"
)

// useSessionStore opens the store at SessionStore. A store that answers
// later (Redis) signals a descriptor; a goroutine waits on it and hands
// the answers to the waiting connections (the library's pump contract:
// tlsplug_server_session_store_fd / _dispatch), then wakes them.
func (s *TLSServer) useSessionStore(h *C.tlsplug_server) error {
	if err := cServerUseSessionStore(h, s.SessionStore); err != nil {
		return err
	}
	fd, err := cServerSessionStoreFd(h)
	var e *Error
	if errors.As(err, &e) && e.Status == StatusEUnavailable {
		return nil // answers at once: nothing to watch
	}
	if err != nil {
		return err
	}
	go s.watchSessionStore(h, fd)
	return nil
}

func (s *TLSServer) watchSessionStore(h *C.tlsplug_server, fd int) {
	for {
		var r syscall.FdSet
		r.Bits[fd/64] |= 1 << (uint(fd) % 64)
		tv := syscall.Timeval{Sec: 1} // to notice Close
		_, err := syscall.Select(fd+1, &r, nil, nil, &tv)
		s.mu.Lock()
		if s.h != h {
			s.mu.Unlock()
			return // closed: the descriptor is gone with the store
		}
		if err != nil && err != syscall.EINTR {
			s.mu.Unlock()
			return
		}
		_ = cServerSessionStoreDispatch(h) // only E_BADHANDLE, ruled out above
		conns := make([]*Conn, 0, len(s.conns))
		for _, c := range s.conns {
			conns = append(conns, c)
		}
		s.mu.Unlock()
		for _, c := range conns {
			c.signal()
		}
	}
}
