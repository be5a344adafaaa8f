package tlsplug

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// serveTLS listens with srv and echoes on every Conn until the test ends.
func serveTLS(t *testing.T, srv *TLSServer) string {
	t.Helper()
	l, err := srv.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close(); srv.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(20 * time.Second))
				echo(c.(*Conn))
			}()
		}
	}()
	return l.Addr().String()
}

// stdRoundTrip dials addr with crypto/tls, echoes a line and returns the state.
func stdRoundTrip(t *testing.T, addr string, cfg *tls.Config) (tls.ConnectionState, error) {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := c.Write([]byte("ping")); err != nil {
		return tls.ConnectionState{}, err
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping" {
		return tls.ConnectionState{}, fmt.Errorf("echo %q: %v", buf, err)
	}
	return c.ConnectionState(), nil
}

func leafDER(t *testing.T, name string) []byte {
	b, _ := pem.Decode(pki(t, name))
	if b == nil {
		t.Fatalf("%s: no PEM", name)
	}
	return b.Bytes
}

// Node's doc example: a TLS 1.2 session store through newSession and
// resumeSession, with the binding's client (no tickets) resuming by id.
func TestServerSessionStore(t *testing.T) {
	var mu sync.Mutex
	store := map[string][]byte{}
	var news, hits, misses int
	scfg := serverConfig(t)
	scfg.MaxVersion = "TLSv1.2"
	srv := &TLSServer{
		Config: scfg,
		OnNewSession: func(id, data []byte) {
			time.Sleep(10 * time.Millisecond) // answered later: the output waits
			mu.Lock()
			defer mu.Unlock()
			news++
			store[string(id)] = append([]byte(nil), data...)
		},
		OnResumeSession: func(id []byte) []byte {
			mu.Lock()
			defer mu.Unlock()
			d := store[string(id)]
			if d == nil {
				misses++
			} else {
				hits++
			}
			return d
		},
	}
	addr := serveTLS(t, srv)
	ccfg := clientConfig(t)
	ccfg.SecureOptions = 0x4000 // SSL_OP_NO_TICKET: the server keeps the session by id
	var session []byte
	for round := 1; round <= 2; round++ {
		cfg := ccfg
		if session != nil {
			cfg = clientConfig(t)
			cfg.SecureOptions = 0x4000
			cfg.Session = session
		}
		c, err := Dial("tcp", addr, cfg)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		c.SetDeadline(time.Now().Add(20 * time.Second))
		if _, err := c.Write([]byte("ping")); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 4)
		if _, err := io.ReadFull(c, buf); err != nil {
			t.Fatal(err)
		}
		if got, want := c.IsSessionReused(), round == 2; got != want {
			t.Fatalf("round %d: reused %v", round, got)
		}
		if round == 1 {
			session = c.Session()
			if session == nil {
				t.Fatal("no session")
			}
		}
		c.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	if news != 1 || hits != 1 || misses < 1 {
		t.Fatalf("newSession %d, resume hits %d misses %d", news, hits, misses)
	}
}

// An SNICallback answered 50 ms later chooses between two certificates; an
// error aborts only that connection (and raises tlsClientError).
func TestServerAsyncSNI(t *testing.T) {
	ecCfg := &Config{Key: [][]byte{pki(t, "server-ec.key")}, Cert: [][]byte{pki(t, "server-ec-chain.pem")}}
	var mu sync.Mutex
	var names []string
	clientErrs := make(chan error, 4)
	srv := &TLSServer{
		Config: serverConfig(t),
		SNICallback: func(name string) (*Config, error) {
			time.Sleep(50 * time.Millisecond)
			mu.Lock()
			names = append(names, name)
			mu.Unlock()
			switch name {
			case "ec.test":
				return ecCfg, nil
			case "bad.test":
				return nil, errors.New("no certificate for bad.test")
			}
			return nil, nil
		},
		OnTLSClientError: func(err error, c *Conn) { clientErrs <- err },
	}
	addr := serveTLS(t, srv)
	want := map[string][]byte{"ec.test": leafDER(t, "server-ec.pem"), "rsa.test": leafDER(t, "server.pem")}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for _, name := range []string{"ec.test", "rsa.test", "bad.test", "ec.test"} {
		wg.Add(1)
		go func(name string) {
			defer wg.Done()
			st, err := stdRoundTrip(t, addr, &tls.Config{ServerName: name, InsecureSkipVerify: true})
			if name == "bad.test" {
				if err == nil {
					errs <- errors.New("bad.test: handshake succeeded")
				}
				return
			}
			if err != nil {
				errs <- fmt.Errorf("%s: %w", name, err)
				return
			}
			if !bytes.Equal(st.PeerCertificates[0].Raw, want[name]) {
				errs <- errors.New(name + ": wrong certificate")
			}
		}(name)
	}
	bounded(t, 30*time.Second, "SNI clients", wg.Wait)
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	select {
	case err := <-clientErrs:
		var e *Error
		if !errors.As(err, &e) || e.Code == "" {
			t.Fatalf("tlsClientError: %v", err)
		}
		t.Logf("tlsClientError for the refused name: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("no tlsClientError for the refused SNI name")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(names) != 4 {
		t.Fatalf("SNICallback saw %q", names)
	}
}

// OCSPRequest: the stapled bytes reach a crypto/tls client.
func TestServerOCSPStapling(t *testing.T) {
	resp := []byte("\x30\x03\x0a\x01\x06") // any bytes: the client does not check them
	var mu sync.Mutex
	var gotCert []byte
	srv := &TLSServer{
		Config: serverConfig(t),
		OnOCSPRequest: func(cert, issuer []byte) []byte {
			time.Sleep(10 * time.Millisecond)
			mu.Lock()
			gotCert = append([]byte(nil), cert...)
			mu.Unlock()
			return resp
		},
	}
	addr := serveTLS(t, srv)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pki(t, "ca.pem"))
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		st, err := stdRoundTrip(t, addr, &tls.Config{ServerName: "localhost", RootCAs: pool, MinVersion: v, MaxVersion: v})
		if err != nil {
			t.Fatalf("version %x: %v", v, err)
		}
		if !bytes.Equal(st.OCSPResponse, resp) {
			t.Fatalf("version %x: OCSP response %x", v, st.OCSPResponse)
		}
	}
	// A tlsplug client sees the staple in ConnectionState when it asks.
	for _, ask := range []bool{true, false} {
		cfg := clientConfig(t)
		cfg.RequestOCSP = ask
		c, err := Dial("tcp", addr, cfg)
		if err != nil {
			t.Fatal(err)
		}
		got := c.ConnectionState().OCSPResponse
		c.Close()
		if ask && !bytes.Equal(got, resp) || !ask && got != nil {
			t.Fatalf("RequestOCSP %v: OCSPResponse %x", ask, got)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if !bytes.Equal(gotCert, leafDER(t, "server.pem")) {
		t.Fatal("OCSPRequest: not the server's certificate")
	}
}

// A client that sends nothing: ERR_TLS_HANDSHAKE_TIMEOUT in tlsClientError,
// and the transport is closed.
func TestServerHandshakeTimeout(t *testing.T) {
	clientErrs := make(chan error, 1)
	srv := &TLSServer{
		Config:           serverConfig(t),
		HandshakeTimeout: 200 * time.Millisecond,
		OnTLSClientError: func(err error, c *Conn) { clientErrs <- err },
	}
	addr := serveTLS(t, srv)
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	start := time.Now()
	select {
	case err := <-clientErrs:
		var e *Error
		if !errors.As(err, &e) || e.Code != "ERR_TLS_HANDSHAKE_TIMEOUT" {
			t.Fatalf("tlsClientError: %v", err)
		}
		var ne net.Error
		if !errors.Is(err, ErrHandshakeTimeout) || !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("not ErrHandshakeTimeout, or not a net.Error timeout: %#v", err)
		}
		if d := time.Since(start); d < 150*time.Millisecond {
			t.Fatalf("timed out after %v", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no tlsClientError")
	}
	raw.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadAll(raw); err != nil {
		t.Fatalf("the server did not close the transport: %v", err)
	}
}

// Two servers sharing ticket keys resume each other's TLS 1.3 tickets.
func TestServerSharedTicketKeys(t *testing.T) {
	keys := make([]byte, 48)
	if _, err := rand.Read(keys); err != nil {
		t.Fatal(err)
	}
	a := &TLSServer{Config: serverConfig(t), TicketKeys: keys}
	b := &TLSServer{Config: serverConfig(t)}
	if err := b.SetTicketKeys(keys); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*TLSServer{a, b} {
		if got, err := s.GetTicketKeys(); err != nil || !bytes.Equal(got, keys) {
			t.Fatalf("GetTicketKeys: %x, %v", got, err)
		}
	}
	if err := a.SetTicketKeys(keys[:47]); err == nil {
		t.Fatal("47-byte keys accepted")
	}
	addrA, addrB := serveTLS(t, a), serveTLS(t, b)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pki(t, "ca.pem"))
	cfg := &tls.Config{ServerName: "localhost", RootCAs: pool, MinVersion: tls.VersionTLS13,
		ClientSessionCache: tls.NewLRUClientSessionCache(8)}
	st, err := stdRoundTrip(t, addrA, cfg)
	if err != nil || st.DidResume {
		t.Fatalf("first: resumed %v, %v", st.DidResume, err)
	}
	st, err = stdRoundTrip(t, addrB, cfg)
	if err != nil || !st.DidResume {
		t.Fatalf("B did not resume A's ticket: resumed %v, %v", st.DidResume, err)
	}
	st, err = stdRoundTrip(t, addrA, cfg)
	if err != nil || !st.DidResume {
		t.Fatalf("A did not resume B's ticket: resumed %v, %v", st.DidResume, err)
	}
	// A server with its own keys does not.
	addrC := serveTLS(t, &TLSServer{Config: serverConfig(t)})
	st, err = stdRoundTrip(t, addrC, cfg)
	if err != nil || st.DidResume {
		t.Fatalf("C resumed a ticket it cannot decrypt: resumed %v, %v", st.DidResume, err)
	}
}

// srv.Server over a net.Pipe, with options, AddContext and secureConnection.
func TestServerOverPipe(t *testing.T) {
	secure := make(chan *Conn, 1)
	var klMu sync.Mutex
	var keylog []string
	srv := &TLSServer{
		OnKeylog: func(line []byte, c *Conn) {
			klMu.Lock()
			keylog = append(keylog, string(line))
			klMu.Unlock()
		},
		Config:             serverConfig(t),
		ALPNProtocols:      []string{"h2", "http/1.1"},
		OnSecureConnection: func(c *Conn) { secure <- c },
	}
	ecCfg := &Config{Key: [][]byte{pki(t, "server-ec.key")}, Cert: [][]byte{pki(t, "server-ec-chain.pem")}}
	if err := srv.AddContext("*.test", ecCfg); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	a, b := net.Pipe()
	s := srv.Server(a)
	defer s.Close()
	go func() {
		s.SetDeadline(time.Now().Add(20 * time.Second))
		echo(s)
	}()
	c := tls.Client(b, &tls.Config{ServerName: "ec.test", InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}})
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if err := c.Handshake(); err != nil {
		t.Fatal(err)
	}
	st := c.ConnectionState()
	if st.NegotiatedProtocol != "http/1.1" || !bytes.Equal(st.PeerCertificates[0].Raw, leafDER(t, "server-ec.pem")) {
		t.Fatalf("alpn %q, certificate from the wrong context", st.NegotiatedProtocol)
	}
	select {
	case got := <-secure:
		if got != s {
			t.Fatal("secureConnection: another Conn")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no secureConnection")
	}
	if s.Servername() != "ec.test" || s.ALPNProtocol() != "http/1.1" {
		t.Fatalf("servername %q alpn %q", s.Servername(), s.ALPNProtocol())
	}
	bounded(t, 10*time.Second, "keylog", func() {
		for {
			klMu.Lock()
			n := len(keylog)
			klMu.Unlock()
			if n > 0 {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
	klMu.Lock()
	defer klMu.Unlock()
	if !strings.HasSuffix(keylog[0], "\n") || !strings.Contains(keylog[0], " ") {
		t.Fatalf("keylog line %q", keylog[0])
	}
}

// The handshake timeout also ends a handshake paused on an SNICallback that
// has not answered; the late answer is then ignored.
func TestServerTimeoutWhilePaused(t *testing.T) {
	release := make(chan struct{})
	returned := make(chan struct{})
	clientErrs := make(chan error, 1)
	srv := &TLSServer{
		Config:           serverConfig(t),
		HandshakeTimeout: 300 * time.Millisecond,
		SNICallback: func(string) (*Config, error) {
			<-release
			defer close(returned)
			return nil, nil
		},
		OnTLSClientError: func(err error, c *Conn) { clientErrs <- err },
	}
	addr := serveTLS(t, srv)
	if _, err := stdRoundTrip(t, addr, &tls.Config{ServerName: "slow.test", InsecureSkipVerify: true}); err == nil {
		t.Fatal("handshake succeeded")
	}
	select {
	case err := <-clientErrs:
		var e *Error
		if !errors.As(err, &e) || e.Code != "ERR_TLS_HANDSHAKE_TIMEOUT" {
			t.Fatalf("tlsClientError: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no tlsClientError")
	}
	close(release)
	bounded(t, 10*time.Second, "late SNI answer", func() { <-returned })

	// HandshakeContext gives up on a paused handshake too.
	release2 := make(chan struct{})
	defer close(release2)
	srv2 := &TLSServer{
		Config:      serverConfig(t),
		SNICallback: func(string) (*Config, error) { <-release2; return nil, nil },
	}
	defer srv2.Close()
	a, b := net.Pipe()
	s := srv2.Server(a)
	defer s.Close()
	go func() {
		c := tls.Client(b, &tls.Config{ServerName: "slow.test", InsecureSkipVerify: true})
		c.SetDeadline(time.Now().Add(10 * time.Second))
		c.Handshake() //nolint:errcheck
		c.Close()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	bounded(t, 10*time.Second, "HandshakeContext", func() {
		if err := s.HandshakeContext(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("HandshakeContext: %v", err)
		}
	})
}
