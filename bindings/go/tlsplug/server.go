package tlsplug

// #cgo pkg-config: tlsplug
// #include <tlsplug.h>
import "C"

import (
	"encoding/binary"
	"errors"
	"net"
	"runtime"
	"runtime/cgo"
	"sync"
	"time"
)

// TLSServer is Node's tls.Server: the options every accepted connection
// shares (its SecureContext, SNI contexts and ticket keys) and Node's server
// events as function fields. Each callback runs in its own goroutine; while
// an answer is outstanding the connection's handshake is paused (no OS
// thread blocks) and it resumes once the callback returns.
//
// Set the fields before the first Listen, NewListener or Server; they must
// not change afterwards (use AddContext and SetTicketKeys for that).
type TLSServer struct {
	// Config holds the server's own credentials and context options (Key,
	// Cert, CA, Ciphers, MinVersion, MaxVersion, ...); ALPNProtocols,
	// RequestCert and RejectUnauthorized there are used unless set below.
	Config *Config

	// RequestCert asks clients for a certificate.
	RequestCert bool
	// RejectUnauthorized (with RequestCert): nil means Config's, then true.
	RejectUnauthorized *bool
	// HandshakeTimeout: 0 means Node's 120 s; negative disables it. Past
	// it the connection fails with ERR_TLS_HANDSHAKE_TIMEOUT and
	// OnTLSClientError runs.
	HandshakeTimeout time.Duration
	// SessionTimeout: how long sessions (ids and tickets) resume; 0 means
	// Node's 300 s. Whole seconds.
	SessionTimeout time.Duration
	// ALPNProtocols in preference order (nil: Config's).
	ALPNProtocols []string
	// TicketKeys: 48 bytes (Node's ticketKeys); nil means random ones.
	TicketKeys []byte
	// TicketKeysSource, when set, reads the 48 bytes from a file or from
	// Redis ("redis://HOST[:PORT][/DB]#KEY", "redis+unix:///PATH#KEY"), so
	// a fleet keeps them in one place.
	TicketKeysSource string
	// SessionStore is where TLS 1.2 sessions (by id) are kept when
	// OnNewSession/OnResumeSession are nil: "" or "memory" (the embedded
	// cache), "redis://HOST[:PORT][/DB]" or "redis+unix:///PATH" (either
	// with "?timeout_ms=N"). A Redis store that fails means full handshakes.
	SessionStore string
	// SessionCacheSize: the memory cache's sessions; 0 means the library's
	// default (20480), negative turns the cache off.
	SessionCacheSize int

	// SNICallback is Node's SNICallback: the Config (its context) to serve
	// to a client naming serverName; nil, nil serves the server's own. An
	// error aborts that connection. With SNICallback, AddContext's
	// contexts are not consulted (as in Node).
	SNICallback func(serverName string) (*Config, error)
	// ALPNCallback is Node's ALPNCallback: the protocol to select among
	// the ones the client offers; ok false refuses the client (alert
	// no_application_protocol), and a protocol it did not offer fails the
	// connection (ERR_TLS_ALPN_CALLBACK_INVALID_RESULT). Not called for a
	// client without ALPN. Exclusive with ALPNProtocols (Listen fails with
	// ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS).
	ALPNCallback func(info ALPNInfo) (protocol string, ok bool)
	// OnNewSession is Node's 'newSession' (TLS 1.2 session store): keep
	// data under id. The connection's output waits until it returns.
	OnNewSession func(id, data []byte)
	// OnResumeSession is Node's 'resumeSession': the data stored under id,
	// nil when unknown (a full handshake follows).
	OnResumeSession func(id []byte) []byte
	// OnOCSPRequest is Node's 'OCSPRequest': a DER OCSP response to staple
	// for cert (DER; issuer DER, nil when unknown), nil for none.
	OnOCSPRequest func(cert, issuer []byte) []byte
	// OnTLSClientError is Node's 'tlsClientError': conn failed before it
	// was secure (err is an *Error with Node's Code).
	OnTLSClientError func(err error, conn *Conn)
	// OnSecureConnection is Node's 'secureConnection'.
	OnSecureConnection func(conn *Conn)
	// OnKeylog is Node's server 'keylog': one NSS key log line.
	OnKeylog func(line []byte, conn *Conn)

	once    sync.Once
	initErr error
	epoch   time.Time

	// mu guards the C server and every C call on its sockets (see Conn.lock).
	mu       sync.Mutex
	h        *C.tlsplug_server
	ctx      *secureContext
	contexts []*secureContext
	conns    map[*C.tlsplug_socket]*Conn
	evbuf    []byte
	// pskHandle is the PSK event's userdata (psk.go), with a Config whose
	// ServerPSKCallback (or ClientPSKCallback) is set.
	pskHandle cgo.Handle
}

func (s *TLSServer) init() error {
	s.once.Do(func() { s.initErr = s.build() })
	return s.initErr
}

func (s *TLSServer) build() error {
	cfg := s.Config
	if cfg == nil {
		cfg = &Config{}
	}
	sc, err := cfg.context()
	if err != nil {
		return err
	}
	h, err := cServerNew(sc.h)
	runtime.KeepAlive(sc)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.h, s.ctx, s.epoch = h, sc, time.Now()
	s.conns = map[*C.tlsplug_socket]*Conn{}
	reject := cfg.rejectUnauthorized()
	if s.RejectUnauthorized != nil {
		reject = *s.RejectUnauthorized
	}
	alpn := s.ALPNProtocols
	if alpn == nil {
		alpn = cfg.ALPNProtocols
	}
	steps := []func() error{
		func() error { return cServerSetEventQueue(h, true) },
		func() error { return cServerSetRequestCert(h, s.RequestCert || cfg.RequestCert) },
		func() error { return cServerSetRejectUnauthorized(h, reject) },
	}
	if s.HandshakeTimeout != 0 {
		ms := int(s.HandshakeTimeout / time.Millisecond)
		if ms < 0 {
			ms = 0
		} else if ms == 0 {
			ms = 1
		}
		steps = append(steps, func() error { return cServerSetHandshakeTimeout(h, ms) })
	}
	if s.SessionTimeout != 0 {
		steps = append(steps, func() error { return cServerSetSessionTimeout(h, uint32(s.SessionTimeout/time.Second)) })
	}
	if s.ALPNCallback != nil {
		steps = append(steps, func() error { return cServerSetAlpnCallback(h, true) })
	}
	if len(alpn) > 0 {
		steps = append(steps, func() error {
			w, err := alpnWire(alpn)
			if err != nil {
				return err
			}
			return cServerSetAlpnProtocols(h, w)
		})
	}
	if s.TicketKeys != nil {
		steps = append(steps, func() error { return cServerSetTicketKeys(h, s.TicketKeys) })
	}
	if s.TicketKeysSource != "" {
		steps = append(steps, func() error { return cServerLoadTicketKeys(h, s.TicketKeysSource) })
	}
	if s.SNICallback != nil {
		steps = append(steps, func() error { return cServerSetSniCallback(h, true) })
	}
	if s.OnNewSession != nil || s.OnResumeSession != nil {
		steps = append(steps, func() error { return cServerSetSessionStore(h, true) })
	}
	if s.SessionCacheSize != 0 {
		n := s.SessionCacheSize
		if n < 0 {
			n = 0
		}
		steps = append(steps, func() error { return cServerSetSessionCacheSize(h, n) })
	}
	if s.SessionStore != "" {
		steps = append(steps, func() error { return s.useSessionStore(h) })
	}
	if s.OnOCSPRequest != nil {
		steps = append(steps, func() error { return cServerSetOcsp(h, true) })
	}
	if s.OnKeylog != nil {
		steps = append(steps, func() error { return cServerSetKeylog(h, true) })
	}
	if cfg.pskEnabled() {
		steps = append(steps, func() error { return s.listenPSK(h) })
	}
	for _, f := range steps {
		if err := f(); err != nil {
			return err
		}
	}
	return nil
}

// Close releases the server. Connections it accepted go on, without server
// events.
func (s *TLSServer) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.h == nil {
		return nil
	}
	err := cServerFree(s.h)
	s.h = nil
	releaseHandle(&s.pskHandle)
	return err
}

func (s *TLSServer) handle() (*C.tlsplug_server, error) {
	if err := s.init(); err != nil {
		return nil, err
	}
	if s.h == nil {
		return nil, net.ErrClosed
	}
	return s.h, nil
}

// AddContext is Node's server.addContext(hostname, context): serve cfg's
// context to clients whose SNI name matches hostname ("*.example.com").
func (s *TLSServer) AddContext(hostname string, cfg *Config) error {
	sc, err := cfg.context()
	if err != nil {
		return err
	}
	if err := s.init(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	h, err := s.handle()
	if err != nil {
		return err
	}
	if err := cServerAddContext(h, hostname, sc.h); err != nil {
		return err
	}
	s.contexts = append(s.contexts, sc)
	return nil
}

// GetTicketKeys is Node's server.getTicketKeys(): 48 bytes.
func (s *TLSServer) GetTicketKeys() ([]byte, error) {
	if err := s.init(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	h, err := s.handle()
	if err != nil {
		return nil, err
	}
	return growBytes(func(buf []byte) (int, error) { return cServerGetTicketKeys(h, buf) })
}

// SetTicketKeys is Node's server.setTicketKeys(keys): 48 bytes, for
// connections accepted afterwards.
func (s *TLSServer) SetTicketKeys(keys []byte) error {
	if err := s.init(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	h, err := s.handle()
	if err != nil {
		return err
	}
	return cServerSetTicketKeys(h, keys)
}

// Server returns a server-side Conn over conn accepted by this server: the
// handshake timeout starts now; the handshake runs on the first Read, Write
// or Handshake (Listen's Accept starts it at once).
func (s *TLSServer) Server(conn net.Conn) *Conn {
	c := &Conn{conn: conn, cfg: s.Config, server: true, srv: s, wake: make(chan struct{}, 1)}
	if c.cfg == nil {
		c.cfg = &Config{}
	}
	_ = c.setup() // the error is the handshake's
	return c
}

// Listen is Node's server.listen(): Accept returns this server's Conns,
// their handshakes already running (so that the server's events fire).
func (s *TLSServer) Listen(network, addr string) (net.Listener, error) {
	if err := s.init(); err != nil {
		return nil, err
	}
	l, err := net.Listen(network, addr)
	if err != nil {
		return nil, err
	}
	return s.NewListener(l), nil
}

// NewListener wraps inner: Accept returns this server's Conns.
func (s *TLSServer) NewListener(inner net.Listener) net.Listener {
	return &serverListener{Listener: inner, srv: s}
}

type serverListener struct {
	net.Listener
	srv *TLSServer
}

func (l *serverListener) Accept() (net.Conn, error) {
	raw, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	c := l.srv.Server(raw)
	go c.Handshake() //nolint:errcheck // the error is the Conn's and OnTLSClientError's
	return c, nil
}

func (s *TLSServer) nowMs() int { return int(time.Since(s.epoch)/time.Millisecond) + 1 }

// setupConn accepts c's socket on the server and arms its handshake timer.
func (s *TLSServer) setupConn(c *Conn) error {
	if err := s.init(); err != nil {
		return err
	}
	c.lock()
	defer c.unlock()
	if c.closing {
		return net.ErrClosed
	}
	h, err := s.handle()
	if err != nil {
		return err
	}
	sock, err := cServerAccept(h, s.nowMs())
	if err != nil {
		return err
	}
	c.sock, c.ctx = sock, s.ctx
	s.conns[sock] = c
	if err := cSocketSetEventQueue(sock, true); err != nil {
		return err
	}
	_ = cSocketSetAllowHalfOpen(sock, true)
	if at, err := cSocketNextTimeout(sock); err == nil {
		d := time.Duration(at-s.nowMs()) * time.Millisecond
		c.timer = time.AfterFunc(d, c.tick)
	}
	c.drainLocked()
	return nil
}

// tick runs when the handshake timer fires: past the deadline the socket
// fails (ERR_TLS_HANDSHAKE_TIMEOUT) and the transport is closed, as Node
// destroys the socket.
func (c *Conn) tick() {
	c.lock()
	if c.sock == nil || c.hsDone {
		c.unlock()
		return
	}
	err := cSocketTick(c.sock, c.srv.nowMs())
	c.noteErrLocked(err)
	c.drainLocked()
	if err == nil {
		if at, terr := cSocketNextTimeout(c.sock); terr == nil {
			c.timer.Reset(time.Duration(at-c.srv.nowMs()) * time.Millisecond)
		}
	}
	c.unlock()
	if err != nil {
		_ = c.flush(false)
		_ = c.conn.Close()
		c.signal()
	}
}

// forgetLocked drops c's socket from the server before it is freed.
func (s *TLSServer) forgetLocked(c *Conn) {
	s.drainLocked()
	delete(s.conns, c.sock)
}

// drainLocked dispatches the queued server events, each to a goroutine.
// s.mu is held (and the mu of the Conn whose call raised them).
func (s *TLSServer) drainLocked() {
	if s.h == nil {
		return
	}
	if s.evbuf == nil {
		s.evbuf = make([]byte, 4096)
	}
	for {
		ev, subj, n, err := cServerNextEvent(s.h, s.evbuf)
		if err != nil {
			var e *Error
			if errors.As(err, &e) && e.Status == StatusEBufsize && n > len(s.evbuf) {
				s.evbuf = make([]byte, n)
				continue
			}
			return
		}
		c := s.conns[subj]
		if c == nil {
			continue
		}
		payload := append([]byte(nil), s.evbuf[:n]...)
		s.dispatch(c, cEvent(ev), payload)
	}
}

func (s *TLSServer) dispatch(c *Conn, ev cEvent, p []byte) {
	switch ev {
	case cEventKeylog:
		if s.OnKeylog != nil {
			go s.OnKeylog(p, c)
		}
	case cEventSecureConnection:
		if c.timer != nil {
			c.timer.Stop()
		}
		if s.OnSecureConnection != nil {
			go s.OnSecureConnection(c)
		}
	case cEventTlsClientError:
		if c.timer != nil {
			c.timer.Stop()
		}
		if s.OnTLSClientError != nil {
			go func() {
				c.lock()
				err := c.fatal
				if err == nil && c.sock != nil {
					err = c.errorFromHandleLocked(string(p))
				}
				c.unlock()
				if err == nil {
					err = &Error{Status: StatusETls, Code: string(p), Message: string(p), Alert: -1}
				}
				s.OnTLSClientError(err, c)
			}()
		}
	case cEventSniCallback:
		go func() {
			cfg, err := s.SNICallback(string(p))
			var sc *secureContext
			if err == nil && cfg != nil {
				sc, err = cfg.context()
			}
			c.answer(func(sock *C.tlsplug_socket) error {
				if err != nil {
					msg := err.Error()
					if msg == "" {
						msg = "SNICallback failed"
					}
					return cSocketSniDone(sock, nil, msg)
				}
				if sc == nil {
					return cSocketSniDone(sock, nil, "")
				}
				defer runtime.KeepAlive(sc)
				return cSocketSniDone(sock, sc.h, "")
			})
		}()
	case cEventAlpnCallback:
		go s.answerALPN(c, p)
	case cEventNewSession:
		go func() {
			if s.OnNewSession != nil && len(p) > 0 && int(p[0])+1 <= len(p) {
				idLen := int(p[0])
				s.OnNewSession(p[1:1+idLen], p[1+idLen:])
			}
			c.answer(cSocketNewSessionDone)
		}()
	case cEventResumeSession:
		go func() {
			var data []byte
			if s.OnResumeSession != nil {
				data = s.OnResumeSession(p)
			}
			c.answer(func(sock *C.tlsplug_socket) error { return cSocketResumeSessionDone(sock, data) })
		}()
	case cEventOcspRequest:
		go func() {
			var resp []byte
			if len(p) >= 4 {
				n := int(binary.BigEndian.Uint32(p))
				if 4+n <= len(p) {
					var issuer []byte
					if 4+n < len(p) {
						issuer = p[4+n:]
					}
					resp = s.OnOCSPRequest(p[4:4+n], issuer)
				}
			}
			c.answer(func(sock *C.tlsplug_socket) error { return cSocketOcspDone(sock, resp) })
		}()
	}
}

// answer delivers a callback's answer to the paused socket and lets its
// handshake go on.
func (c *Conn) answer(f func(sock *C.tlsplug_socket) error) {
	c.lock()
	if c.sock != nil {
		err := f(c.sock)
		c.noteErrLocked(err)
		c.drainLocked()
	}
	c.unlock()
	_ = c.flush(false)
	c.signal()
}
