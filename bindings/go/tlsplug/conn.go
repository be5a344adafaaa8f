package tlsplug

// #cgo pkg-config: tlsplug
// #include <tlsplug.h>
import "C"

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"runtime"
	"runtime/cgo"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

const (
	chunkSize = 64 << 10
)

// Transfer buffers are borrowed for one read or one flush, not kept per
// connection: an idle Conn then holds no buffer (a thousand idle
// connections would otherwise keep 128 KiB each).
var (
	readBufs  = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}
	flushBufs = sync.Pool{New: func() any { b := make([]byte, chunkSize+1024); return &b }}
	// Event payloads are copied out as they are taken, so the buffer they
	// land in is borrowed for one drain too (4 KiB per idle Conn before).
	eventBufs = sync.Pool{New: func() any { b := make([]byte, 4096); return &b }}
)

// Conn is a TLS connection (Node's TLSSocket) over a transport net.Conn. It
// implements net.Conn. One goroutine may Read while another Writes; Close
// may be called from any goroutine.
type Conn struct {
	conn   net.Conn
	cfg    *Config
	server bool

	// mu guards the C socket (used by one thread at a time) and the fields
	// the event queue fills. It is never held across Go IO.
	mu         sync.Mutex
	sock       *C.tlsplug_socket
	ctx        *secureContext // keeps the context's finalizer away while sock lives
	closing    bool
	fatal      error
	session    []byte
	ocsp       []byte // the stapled OCSP response (RequestOCSP)
	hsDone     bool
	csiPending bool
	csiHost    string

	setupOnce sync.Once
	setupErr  error

	hsMu       sync.Mutex
	hsErr      error
	hsComplete atomic.Bool

	flushMu    sync.Mutex  // orders ciphertext on the wire
	writeErr   error       // under flushMu
	flushAgain atomic.Bool // a non-blocking flush found flushMu taken

	readMu  sync.Mutex // one reader (and the handshake's input) at a time
	writeMu sync.Mutex

	// srv is the TLSServer that accepted this Conn (nil otherwise): its
	// lock is taken after mu for every C call on the socket, since the
	// server's handle is used by its sockets' calls.
	srv   *TLSServer
	wake  chan struct{} // an answer to a paused handshake arrived
	timer *time.Timer   // the handshake timeout (under mu)

	pskHandle cgo.Handle // the PSK event's userdata, for a socket of its own (psk.go)
}

// lock takes the socket's lock (and its server's).
func (c *Conn) lock() {
	c.mu.Lock()
	if c.srv != nil {
		c.srv.mu.Lock()
	}
}

// unlock dispatches the server events the calls raised and releases the locks.
func (c *Conn) unlock() {
	if c.srv != nil {
		c.srv.drainLocked()
		c.srv.mu.Unlock()
	}
	c.mu.Unlock()
}

// signal wakes a handshake waiting on a paused socket.
func (c *Conn) signal() {
	if c.wake == nil {
		return
	}
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Client returns a client-side Conn over conn. The handshake runs on the
// first Read, Write or Handshake.
func Client(conn net.Conn, cfg *Config) *Conn { return newConn(conn, cfg, false) }

// Server returns a server-side Conn over conn.
func Server(conn net.Conn, cfg *Config) *Conn { return newConn(conn, cfg, true) }

func newConn(conn net.Conn, cfg *Config, server bool) *Conn {
	if cfg == nil {
		cfg = &Config{}
	}
	return &Conn{conn: conn, cfg: cfg, server: server}
}

func (c *Conn) setup() error {
	c.setupOnce.Do(func() { c.setupErr = c.doSetup() })
	return c.setupErr
}

func (c *Conn) doSetup() error {
	if c.srv != nil {
		return c.srv.setupConn(c)
	}
	sc, err := c.cfg.context()
	if err != nil {
		return err
	}
	role := int(cRoleClient)
	if c.server {
		role = int(cRoleServer)
	}
	c.lock()
	defer c.unlock()
	if c.closing {
		return net.ErrClosed
	}
	s, err := cSocketNew(sc.h, role)
	runtime.KeepAlive(sc)
	if err != nil {
		return err
	}
	c.sock, c.ctx = s, sc
	cfg := c.cfg
	steps := []func() error{
		func() error { return cSocketSetEventQueue(s, true) },
		func() error { return cSocketSetAllowHalfOpen(s, true) },
		func() error { return cSocketSetRejectUnauthorized(s, cfg.rejectUnauthorized()) },
	}
	if len(cfg.ALPNProtocols) > 0 {
		steps = append(steps, func() error {
			w, err := alpnWire(cfg.ALPNProtocols)
			if err != nil {
				return err
			}
			return cSocketSetAlpnProtocols(s, w)
		})
	}
	if cfg.pskEnabled() {
		steps = append(steps, func() error { return c.listenPSK(s) })
	}
	if c.server {
		steps = append(steps, func() error { return cSocketSetRequestCert(s, cfg.RequestCert) })
	} else {
		if cfg.ServerName != "" {
			steps = append(steps, func() error {
				if err := checkName("ServerName", cfg.ServerName); err != nil {
					return err
				}
				return cSocketSetServername(s, cfg.ServerName)
			})
		}
		if len(cfg.Session) > 0 {
			steps = append(steps, func() error { return cSocketSetSession(s, cfg.Session) })
		}
		if cfg.MinDHSize > 0 {
			steps = append(steps, func() error { return cSocketSetMinDhSize(s, cfg.MinDHSize) })
		}
		if cfg.CheckServerIdentity != nil {
			steps = append(steps, func() error { return cSocketSetCheckServerIdentity(s, true) })
		}
		if cfg.RequestOCSP {
			steps = append(steps, func() error { return cSocketSetRequestOcsp(s, true) })
		}
	}
	steps = append(steps, func() error { return cSocketStart(s) })
	for _, f := range steps {
		if err := f(); err != nil {
			return err
		}
	}
	c.drainLocked()
	return nil
}

// drainLocked takes every queued event. c.mu is held.
func (c *Conn) drainLocked() {
	if c.sock == nil {
		return
	}
	bp := eventBufs.Get().(*[]byte)
	c.drainInto(*bp)
	eventBufs.Put(bp)
}

// drainInto takes the events through buf (a larger one for a payload that
// does not fit, dropped afterwards).
func (c *Conn) drainInto(buf []byte) {
	for {
		ev, n, err := cSocketNextEvent(c.sock, buf)
		if err != nil {
			if hasStatus(err, StatusEBufsize) && n > len(buf) {
				buf = make([]byte, n)
				continue
			}
			return
		}
		payload := buf[:n]
		switch cEvent(ev) {
		case cEventSecureConnect, cEventSecure:
			c.hsDone = true
		case cEventError:
			if c.fatal == nil {
				c.fatal = c.errorFromHandleLocked(string(payload))
			}
		case cEventCheckServerIdentity:
			c.csiPending = true
			c.csiHost = string(payload)
		case cEventSession:
			c.session = append(c.session[:0], payload...) // Session() hands out copies
		case cEventOcspResponse:
			c.ocsp = append([]byte(nil), payload...)
		}
	}
}

func (c *Conn) errorFromHandleLocked(code string) error {
	e := &Error{Status: StatusETls, Code: code, Alert: -1}
	p := unsafe.Pointer(c.sock)
	if m, err := cErrorGet(p, int(cErrorFieldMessage)); err == nil {
		e.Message = m
	}
	if g, err := cErrorGet(p, int(cErrorFieldGnutls)); err == nil {
		e.GnuTLS = g
	}
	if st, g, a, d, err := cErrorDetail(p); err == nil {
		e.Status, e.GnuTLSCode, e.Alert, e.AlertDirection = Status(st), g, a, AlertDirection(d)
	}
	return e
}

// noteErrLocked keeps the first fatal error a call answered. The
// wrappers answer *Error itself (a type assertion: errors.As would put its
// target on the heap at every call of the hot paths).
func (c *Conn) noteErrLocked(err error) {
	if e, ok := err.(*Error); ok && c.fatal == nil && e.Status != StatusEAgain && e.Status != StatusEBadhandle {
		c.fatal = err
	}
}

// flush sends pending ciphertext. A blocking flush waits for the flush lock;
// a non-blocking one leaves the work to whoever holds it, and says so
// (flushAgain), so that the holder goes round once more.
func (c *Conn) flush(blocking bool) error {
	for {
		if blocking {
			c.flushMu.Lock()
		} else if !c.flushMu.TryLock() {
			c.flushAgain.Store(true)
			return nil
		}
		c.flushAgain.Store(false)
		if c.writeErr != nil {
			err := c.writeErr
			c.flushMu.Unlock()
			return err
		}
		bp := flushBufs.Get().(*[]byte)
		c.sendLocked(nil, *bp) //nolint:errcheck // writeErr and the socket's own error tell
		flushBufs.Put(bp)
		err := c.writeErr
		c.flushMu.Unlock()
		if err != nil || !c.flushAgain.Load() {
			return err
		}
	}
}

// sendLocked encrypts clear (may be empty) and sends every record waiting,
// one write_pull per transport write: GnuTLS puts the records straight
// into out. c.flushMu is held, so ciphertext goes out in order. Answers the
// socket's failure; a transport failure is kept in writeErr.
func (c *Conn) sendLocked(clear, out []byte) error {
	for {
		c.lock()
		if c.sock == nil {
			c.unlock()
			return net.ErrClosed
		}
		n, st, err := cSocketWritePull(c.sock, clear, out)
		more := hasStatus(err, StatusEBufsize)
		if more {
			err = nil
		}
		c.noteErrLocked(err)
		if st&uint32(cStateEvents) != 0 {
			c.drainLocked()
		}
		c.unlock()
		clear = nil
		if n > 0 {
			if _, werr := c.conn.Write(out[:n]); werr != nil {
				c.writeErr = werr
				return err
			}
		}
		if !more {
			return err
		}
	}
}

// hasStatus tells whether err is the library's status st (the quiet
// statuses are shared values: no allocation, no reflection).
func hasStatus(err error, st Status) bool {
	e, ok := err.(*Error)
	return ok && e.Status == st
}

// readInput reads ciphertext from the transport and feeds it.
func (c *Conn) readInput() error {
	bp := readBufs.Get().(*[]byte)
	defer readBufs.Put(bp)
	rbuf := *bp
	n, rerr := c.conn.Read(rbuf)
	c.lock()
	if c.sock == nil {
		c.unlock()
		return net.ErrClosed
	}
	var err error
	if n > 0 {
		err = cSocketFeed(c.sock, rbuf[:n])
	}
	if err == nil && rerr == io.EOF {
		err = cSocketFeedEof(c.sock)
	}
	c.noteErrLocked(err)
	c.drainLocked()
	c.unlock()
	c.flush(false) //nolint:errcheck // a write error shows on the next Write
	if err != nil {
		return err
	}
	if rerr != nil && rerr != io.EOF {
		return rerr
	}
	return nil
}

// Handshake runs the handshake if it has not run yet.
func (c *Conn) Handshake() error { return c.HandshakeContext(context.Background()) }

// HandshakeContext runs the handshake; when ctx ends first, the transport is
// closed and the context's error is returned.
func (c *Conn) HandshakeContext(ctx context.Context) error {
	if c.hsComplete.Load() {
		return c.hsErr
	}
	c.hsMu.Lock()
	defer c.hsMu.Unlock()
	if c.hsComplete.Load() {
		return c.hsErr
	}
	if ctx.Done() != nil {
		stop := make(chan struct{})
		finished := make(chan struct{})
		defer func() { close(stop); <-finished }()
		go func() {
			defer close(finished)
			select {
			case <-ctx.Done():
				_ = c.conn.Close()
			case <-stop:
			}
		}()
	}
	err := c.handshake(ctx)
	if err != nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	c.hsErr = err
	c.hsComplete.Store(true)
	return err
}

func (c *Conn) handshake(ctx context.Context) error {
	if err := c.setup(); err != nil {
		return err
	}
	c.readMu.Lock()
	defer c.readMu.Unlock()
	for {
		c.lock()
		if c.sock == nil {
			c.unlock()
			return net.ErrClosed
		}
		c.drainLocked()
		fatal, done, csi, host := c.fatal, c.hsDone, c.csiPending, c.csiHost
		c.csiPending = false
		st, _ := cSocketState(c.sock)
		c.unlock()
		if err := c.flush(true); err != nil && fatal == nil {
			return err
		}
		if fatal != nil {
			return fatal
		}
		if csi {
			if err := c.checkIdentity(host); err != nil {
				return err
			}
			continue
		}
		if done {
			return nil
		}
		if c.srv != nil && st&uint32(cStatePaused) != 0 {
			// A server callback's goroutine answers; no input is needed
			// (nor read) until it has.
			select {
			case <-c.wake:
			case <-ctx.Done():
				return ctx.Err()
			}
			continue
		}
		if st&uint32(cStateClosed) != 0 {
			return io.ErrUnexpectedEOF
		}
		if err := c.readInput(); err != nil {
			c.lock()
			c.drainLocked()
			fatal := c.fatal
			c.unlock()
			c.flush(false) //nolint:errcheck
			if fatal != nil {
				return fatal
			}
			return netError(err)
		}
	}
}

func (c *Conn) checkIdentity(host string) error {
	cert, _ := c.PeerCertificate(true)
	verr := c.cfg.CheckServerIdentity(host, cert)
	c.lock()
	defer c.unlock()
	if c.sock == nil {
		return net.ErrClosed
	}
	var err error
	if verr == nil {
		err = cSocketCheckServerIdentityDone(c.sock, "", "")
	} else {
		code := "ERR_TLS_CERT_ALTNAME_INVALID"
		var e *Error
		if errors.As(verr, &e) && e.Code != "" {
			code = e.Code
		}
		err = cSocketCheckServerIdentityDone(c.sock, code, verr.Error())
	}
	c.noteErrLocked(err)
	c.drainLocked()
	return nil
}

// Read reads cleartext; io.EOF once the peer ended. Each round is one
// transport read and one feed_read, which feeds the ciphertext and
// decrypts every record that fits straight into b.
func (c *Conn) Read(b []byte) (int, error) {
	if err := c.Handshake(); err != nil {
		return 0, err
	}
	if len(b) == 0 {
		return 0, nil
	}
	c.readMu.Lock()
	defer c.readMu.Unlock()
	var in []byte // read from the transport, for the next feed_read
	var rbp *[]byte
	defer func() {
		if rbp != nil {
			readBufs.Put(rbp)
		}
	}()
	for {
		c.lock()
		if c.sock == nil {
			c.unlock()
			return 0, net.ErrClosed
		}
		n, st, err := cSocketFeedRead(c.sock, in, b)
		in = nil
		c.noteErrLocked(err)
		if st&uint32(cStateEvents) != 0 {
			c.drainLocked()
		}
		c.unlock()
		if st&uint32(cStateHasOutput) != 0 {
			c.flush(false) //nolint:errcheck // a write error shows on the next Write
		}
		if err == nil {
			if n > 0 {
				return n, nil
			}
			return 0, io.EOF
		}
		if !hasStatus(err, StatusEAgain) {
			return 0, err
		}
		if rbp == nil {
			rbp = readBufs.Get().(*[]byte)
		}
		m, rerr := c.conn.Read(*rbp)
		if m > 0 {
			in = (*rbp)[:m]
			continue // an EOF with it comes again on the next transport read
		}
		if rerr != io.EOF {
			if rerr == nil {
				continue
			}
			return 0, rerr
		}
		c.lock()
		if c.sock == nil {
			c.unlock()
			return 0, net.ErrClosed
		}
		err = cSocketFeedEof(c.sock)
		c.noteErrLocked(err)
		c.drainLocked()
		c.unlock()
		c.flush(false) //nolint:errcheck
		if err != nil {
			return 0, err
		}
	}
}

// Write writes cleartext; it returns once the ciphertext went to the
// transport. One write_pull per chunk encrypts it and hands the records
// back in the flush buffer.
func (c *Conn) Write(b []byte) (int, error) {
	if err := c.Handshake(); err != nil {
		return 0, err
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	written := 0
	bp := flushBufs.Get().(*[]byte)
	defer flushBufs.Put(bp)
	for len(b) > 0 {
		n := len(b)
		if n > chunkSize {
			n = chunkSize
		}
		c.flushMu.Lock()
		err := c.writeErr
		if err == nil {
			err = c.sendLocked(b[:n], *bp)
			if err == nil {
				err = c.writeErr
			}
		}
		c.flushMu.Unlock()
		if err != nil {
			return written, err
		}
		written += n
		b = b[n:]
	}
	if c.flushAgain.Load() {
		return written, c.flush(true)
	}
	return written, nil
}

// CloseWrite sends close_notify; the peer reads EOF, this side can still read.
func (c *Conn) CloseWrite() error {
	if err := c.Handshake(); err != nil {
		return err
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	c.lock()
	if c.sock == nil {
		c.unlock()
		return net.ErrClosed
	}
	err := cSocketEnd(c.sock)
	c.drainLocked()
	c.unlock()
	if err != nil {
		return err
	}
	return c.flush(true)
}

// Close sends close_notify (when it can without waiting) and closes the
// transport. A blocked Read or Write returns.
func (c *Conn) Close() error {
	c.lock()
	if c.closing {
		c.unlock()
		return net.ErrClosed
	}
	c.closing = true
	if c.sock != nil && c.hsDone && c.fatal == nil {
		_ = cSocketEnd(c.sock)
	}
	c.unlock()
	if c.flushMu.TryLock() {
		if c.writeErr == nil {
			_ = c.conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
			buf := make([]byte, 4096)
			for {
				c.lock()
				n := 0
				var err error = io.EOF
				if c.sock != nil {
					n, err = cSocketPull(c.sock, buf)
				}
				c.unlock()
				if err != nil || n == 0 {
					break
				}
				if _, err := c.conn.Write(buf[:n]); err != nil {
					break
				}
			}
		}
		c.flushMu.Unlock()
	}
	err := c.conn.Close()
	c.lock()
	if c.timer != nil {
		c.timer.Stop()
	}
	if c.sock != nil {
		if c.srv != nil {
			c.srv.forgetLocked(c)
		}
		_ = cSocketFree(c.sock)
		c.sock = nil
		releaseHandle(&c.pskHandle)
	}
	c.unlock()
	c.signal()
	runtime.KeepAlive(c.ctx)
	return err
}

// NetConn is the transport.
func (c *Conn) NetConn() net.Conn { return c.conn }

func (c *Conn) LocalAddr() net.Addr                { return c.conn.LocalAddr() }
func (c *Conn) RemoteAddr() net.Addr               { return c.conn.RemoteAddr() }
func (c *Conn) SetDeadline(t time.Time) error      { return c.conn.SetDeadline(t) }
func (c *Conn) SetReadDeadline(t time.Time) error  { return c.conn.SetReadDeadline(t) }
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.conn.SetWriteDeadline(t) }

// query runs f on the live socket under the lock.
func (c *Conn) query(f func(s *C.tlsplug_socket) error) error {
	c.lock()
	defer c.unlock()
	if c.sock == nil {
		return net.ErrClosed
	}
	return f(c.sock)
}

// Authorized is Node's tlsSocket.authorized.
func (c *Conn) Authorized() bool {
	var v int
	_ = c.query(func(s *C.tlsplug_socket) (err error) { v, err = cSocketAuthorized(s); return })
	return v != 0
}

// AuthorizationError is Node's tlsSocket.authorizationError: nil when
// authorized, else an *Error whose Code is Node's (CERT_HAS_EXPIRED, ...).
func (c *Conn) AuthorizationError() error {
	var code string
	err := c.query(func(s *C.tlsplug_socket) (err error) { code, err = cSocketAuthorizationError(s); return })
	if err != nil || code == "" {
		return nil
	}
	return &Error{Status: StatusEVerify, Code: code, Message: code, Alert: -1}
}

func (c *Conn) text(f func(s *C.tlsplug_socket) (string, error)) string {
	var v string
	_ = c.query(func(s *C.tlsplug_socket) (err error) { v, err = f(s); return })
	return v
}

// Protocol is Node's getProtocol(): "TLSv1.3", "TLSv1.2"; "" before the handshake.
func (c *Conn) Protocol() string { return c.text(cSocketGetProtocol) }

// ALPNProtocol is the protocol ALPN selected, "" when none (Node's false).
func (c *Conn) ALPNProtocol() string { return c.text(cSocketGetAlpnProtocol) }

// Servername is the SNI name (Node's tlsSocket.servername).
func (c *Conn) Servername() string { return c.text(cSocketGetServername) }

// CipherInfo is Node's getCipher() object.
type CipherInfo struct{ Name, StandardName, Version string }

// Cipher is Node's getCipher().
func (c *Conn) Cipher() CipherInfo {
	get := func(f cCipherField) string {
		return c.text(func(s *C.tlsplug_socket) (string, error) { return cSocketGetCipher(s, int(f)) })
	}
	return CipherInfo{get(cCipherFieldName), get(cCipherFieldStandardName), get(cCipherFieldVersion)}
}

func growBytes(f func(buf []byte) (int, error)) ([]byte, error) {
	buf := make([]byte, 2048)
	for {
		n, err := f(buf)
		var e *Error
		if errors.As(err, &e) && e.Status == StatusEBufsize && n > len(buf) {
			buf = make([]byte, n)
			continue
		}
		if err != nil {
			return nil, err
		}
		return buf[:n], nil
	}
}

// Session is Node's getSession(): a blob for Config.Session; nil when none
// arrived yet.
func (c *Conn) Session() []byte {
	var b []byte
	_ = c.query(func(s *C.tlsplug_socket) (err error) {
		b, err = growBytes(func(buf []byte) (int, error) { return cSocketGetSession(s, buf) })
		if err != nil && c.session != nil {
			b, err = append([]byte(nil), c.session...), nil
		}
		return
	})
	return b
}

// IsSessionReused is Node's isSessionReused().
func (c *Conn) IsSessionReused() bool {
	var v int
	_ = c.query(func(s *C.tlsplug_socket) (err error) { v, err = cSocketIsSessionReused(s); return })
	return v != 0
}

// PeerCertificate is Node's getPeerCertificate(detailed): the certificate
// object with raw and pubkey as []byte; with detailed, issuerCertificate
// links the chain and the root's issuerCertificate is the root itself.
// An empty map when the peer sent no certificate.
func (c *Conn) PeerCertificate(detailed bool) (map[string]any, error) {
	var js string
	err := c.query(func(s *C.tlsplug_socket) (err error) { js, err = cSocketGetPeerCertificate(s, detailed); return })
	if err != nil {
		return nil, err
	}
	return decodeCert(js)
}

// Certificate is Node's getCertificate(): the local certificate.
func (c *Conn) Certificate() (map[string]any, error) {
	var js string
	err := c.query(func(s *C.tlsplug_socket) (err error) { js, err = cSocketGetCertificate(s); return })
	if err != nil {
		return nil, err
	}
	return decodeCert(js)
}

func decodeCert(js string) (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		return nil, err
	}
	fixCert(m)
	return m, nil
}

func fixCert(m map[string]any) {
	for _, k := range []string{"raw", "pubkey"} {
		if s, ok := m[k].(string); ok {
			if b, err := base64.StdEncoding.DecodeString(s); err == nil {
				m[k] = b
			}
		}
	}
	switch v := m["issuerCertificate"].(type) {
	case string:
		if v == "[Circular]" {
			m["issuerCertificate"] = m
		}
	case map[string]any:
		fixCert(v)
	}
}
