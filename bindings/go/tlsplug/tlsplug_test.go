package tlsplug

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// Node's doc example: an echo server with key and cert, a client trusting the CA.
func TestEchoExample(t *testing.T) {
	l := serve(t, serverConfig(t), echo)
	c, err := Dial("tcp", l.Addr().String(), clientConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !c.Authorized() || c.AuthorizationError() != nil {
		t.Fatalf("authorized=%v err=%v", c.Authorized(), c.AuthorizationError())
	}
	if p := c.Protocol(); p != "TLSv1.3" {
		t.Fatalf("protocol %q", p)
	}
	if ci := c.Cipher(); ci.Name == "" || ci.Version != "TLSv1.3" {
		t.Fatalf("cipher %+v", ci)
	}
	msg := []byte("hello, tlsplug\n")
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatalf("echo %q", got)
	}
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Read(got); n != 0 || err != io.EOF {
		t.Fatalf("after CloseWrite: %d %v, want EOF", n, err)
	}
}

func TestUntrustedServerRefused(t *testing.T) {
	l := serve(t, serverConfig(t), echo)
	_, err := Dial("tcp", l.Addr().String(), &Config{CA: [][]byte{pki(t, "other-ca.pem")}})
	var e *Error
	if !errors.As(err, &e) || e.Status != StatusEVerify || e.Code == "" {
		t.Fatalf("err = %#v, want E_VERIFY with a Node code", err)
	}
	// Not rejecting: the handshake completes, unauthorized.
	c, err := Dial("tcp", l.Addr().String(), &Config{CA: [][]byte{pki(t, "other-ca.pem")}, RejectUnauthorized: Bool(false)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Authorized() || c.AuthorizationError() == nil {
		t.Fatal("should be unauthorized")
	}
}

func TestWrongHostRefused(t *testing.T) {
	l := serve(t, serverConfig(t), echo)
	cfg := clientConfig(t)
	cfg.ServerName = "wrong.example"
	_, err := Dial("tcp", l.Addr().String(), cfg)
	var e *Error
	if !errors.As(err, &e) || e.Code != "ERR_TLS_CERT_ALTNAME_INVALID" {
		t.Fatalf("err = %v, want ERR_TLS_CERT_ALTNAME_INVALID", err)
	}
}

// Node's doc example with client certificates: requestCert + rejectUnauthorized.
func TestClientCertificates(t *testing.T) {
	scfg := serverConfig(t)
	scfg.RequestCert = true
	scfg.CA = [][]byte{pki(t, "ca.pem")}
	type result struct {
		authorized bool
		cn         any
	}
	res := make(chan result, 1)
	l := serve(t, scfg, func(c *Conn) {
		if err := c.Handshake(); err != nil {
			res <- result{}
			return
		}
		cert, _ := c.PeerCertificate(false)
		var cn any
		if subj, ok := cert["subject"].(map[string]any); ok {
			cn = subj["CN"]
		}
		res <- result{c.Authorized(), cn}
		echo(c)
	})
	ccfg := clientConfig(t)
	ccfg.Key = [][]byte{pki(t, "client.key")}
	ccfg.Cert = [][]byte{pki(t, "client-chain.pem")}
	c, err := Dial("tcp", l.Addr().String(), ccfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	r := <-res
	if !r.authorized || r.cn != "tlsplug client" {
		t.Fatalf("server saw %+v", r)
	}
	// Without a certificate the server refuses the client.
	c2, err := Dial("tcp", l.Addr().String(), clientConfig(t))
	if err == nil {
		c2.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err = c2.Read(make([]byte, 1))
		c2.Close()
	}
	if err == nil {
		t.Fatal("client without certificate was accepted")
	}
	<-res
}

func TestALPNAndSNI(t *testing.T) {
	scfg := serverConfig(t)
	scfg.ALPNProtocols = []string{"h2", "http/1.1"}
	names := make(chan string, 1)
	l := serve(t, scfg, func(c *Conn) {
		if c.Handshake() == nil {
			names <- c.Servername() + "|" + c.ALPNProtocol()
		}
	})
	ccfg := clientConfig(t)
	ccfg.ALPNProtocols = []string{"http/1.1", "h2"}
	ccfg.ServerName = "server.test"
	c, err := Dial("tcp", l.Addr().String(), ccfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if p := c.ALPNProtocol(); p != "h2" {
		t.Fatalf("client ALPN %q", p)
	}
	if got := <-names; got != "server.test|h2" {
		t.Fatalf("server saw %q", got)
	}
	// No common protocol: the server refuses.
	ccfg2 := clientConfig(t)
	ccfg2.ALPNProtocols = []string{"spdy/1"}
	if _, err := Dial("tcp", l.Addr().String(), ccfg2); err == nil {
		t.Fatal("no common ALPN protocol: want an error")
	}
}

func TestPeerCertificateDetailed(t *testing.T) {
	l := serve(t, serverConfig(t), echo)
	c, err := Dial("tcp", l.Addr().String(), clientConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cert, err := c.PeerCertificate(true)
	if err != nil {
		t.Fatal(err)
	}
	raw, ok := cert["raw"].([]byte)
	if !ok || len(raw) == 0 {
		t.Fatalf("raw = %T", cert["raw"])
	}
	if err := CheckServerIdentity("localhost", raw); err != nil {
		t.Fatal(err)
	}
	err = CheckServerIdentity("nope.example", raw)
	var e *Error
	if !errors.As(err, &e) || e.Code != "ERR_TLS_CERT_ALTNAME_INVALID" || !strings.Contains(e.Message, "nope.example") {
		t.Fatalf("CheckServerIdentity: %v", err)
	}
	// A NUL byte would cut the host to "localhost" in C: refused instead
	// (Node compares the whole string, which matches nothing).
	if err = CheckServerIdentity("localhost\x00.evil", raw); !errors.As(err, &e) || e.Code != "ERR_INVALID_ARG_VALUE" {
		t.Fatalf("CheckServerIdentity with a NUL: %v", err)
	}
	if x, err := NewX509Certificate(raw); err != nil {
		t.Fatal(err)
	} else if _, err = x.CheckHost("localhost\x00.evil"); !errors.As(err, &e) || e.Code != "ERR_INVALID_ARG_VALUE" {
		t.Fatalf("CheckHost with a NUL: %v", err)
	}
	// Walk to the root, whose issuerCertificate is itself.
	m := cert
	for i := 0; i < 5; i++ {
		next, ok := m["issuerCertificate"].(map[string]any)
		if !ok {
			t.Fatalf("depth %d: issuerCertificate %T", i, m["issuerCertificate"])
		}
		if _, isBytes := next["pubkey"].([]byte); !isBytes {
			t.Fatalf("depth %d: pubkey not bytes", i)
		}
		if sameMap(next, m) {
			if i == 0 {
				t.Fatal("the leaf is not its own issuer")
			}
			return
		}
		m = next
	}
	t.Fatal("no circular root")
}

func sameMap(a, b map[string]any) bool {
	a["\x00probe"] = true
	_, same := b["\x00probe"]
	delete(a, "\x00probe")
	return same
}

func TestCustomCheckServerIdentity(t *testing.T) {
	l := serve(t, serverConfig(t), echo)
	var seen string
	cfg := clientConfig(t)
	cfg.ServerName = "wrong.example" // accepted by the custom check
	cfg.CheckServerIdentity = func(host string, cert map[string]any) error {
		seen = host
		if _, ok := cert["raw"].([]byte); !ok {
			return errors.New("no raw")
		}
		return nil
	}
	c, err := Dial("tcp", l.Addr().String(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if seen != "wrong.example" {
		t.Fatalf("check saw %q", seen)
	}
	cfg2 := clientConfig(t)
	cfg2.CheckServerIdentity = func(string, map[string]any) error { return errors.New("refused by test") }
	_, err = Dial("tcp", l.Addr().String(), cfg2)
	if err == nil || !strings.Contains(err.Error(), "refused by test") {
		t.Fatalf("err = %v", err)
	}
}

func TestSessionResumption(t *testing.T) {
	l := serve(t, serverConfig(t), echo)
	cfg := clientConfig(t)
	c, err := Dial("tcp", l.Addr().String(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	// TLS 1.3 tickets arrive after the handshake: a round trip brings them.
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, make([]byte, 4)); err != nil {
		t.Fatal(err)
	}
	sess := c.Session()
	if c.IsSessionReused() || len(sess) == 0 {
		t.Fatalf("first: reused=%v session=%d bytes", c.IsSessionReused(), len(sess))
	}
	c.Close()
	cfg2 := clientConfig(t)
	cfg2.Session = sess
	c2, err := Dial("tcp", l.Addr().String(), cfg2)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if !c2.IsSessionReused() {
		t.Fatal("second connection did not resume")
	}
}

func TestGetCiphersAndErrors(t *testing.T) {
	cs := GetCiphers()
	found := false
	for _, c := range cs {
		if c == "tls_aes_128_gcm_sha256" {
			found = true
		}
	}
	if !found {
		t.Fatalf("tls_aes_128_gcm_sha256 not in %v", cs)
	}
	_, err := Listen("tcp", "127.0.0.1:0", &Config{Key: [][]byte{[]byte("not a key")}})
	var e *Error
	if !errors.As(err, &e) || e.Status != StatusECredentials {
		t.Fatalf("bad key: %v", err)
	}
	if StatusEVerify.String() != "TLSPLUG_E_VERIFY" || Status(-99).String() != "Status(-99)" {
		t.Fatal("Status.String")
	}
	var _ net.Conn = (*Conn)(nil)
}
