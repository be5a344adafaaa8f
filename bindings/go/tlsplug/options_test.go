package tlsplug

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// dialOnce connects with cfg to l, makes one round trip (a TLS 1.3 ticket
// arrives after the handshake) and answers whether the connection resumed
// and the session it ends with.
func dialOnce(t *testing.T, addr string, cfg *Config) (bool, []byte) {
	t.Helper()
	c, err := Dial("tcp", addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, make([]byte, 4)); err != nil {
		t.Fatal(err)
	}
	return c.IsSessionReused(), c.Session()
}

// SessionKey (Python's and Ruby's session_key): a session saved through one
// Config resumes through another Config given the same key, and through
// none with another key or without one.
func TestSessionKeySharedBetweenConfigs(t *testing.T) {
	l := serve(t, serverConfig(t), echo)
	key := bytes.Repeat([]byte{7}, 32)
	first := clientConfig(t)
	first.SessionKey = key
	reused, sess := dialOnce(t, l.Addr().String(), first)
	if reused || len(sess) == 0 {
		t.Fatalf("first: reused=%v session=%d bytes", reused, len(sess))
	}
	for _, tc := range []struct {
		name string
		key  []byte
		want bool
	}{{"same key", key, true}, {"other key", make([]byte, 32), false}, {"no key", nil, false}} {
		cfg := clientConfig(t)
		cfg.SessionKey = tc.key
		cfg.Session = sess
		if got, _ := dialOnce(t, l.Addr().String(), cfg); got != tc.want {
			t.Errorf("%s: reused=%v, want %v", tc.name, got, tc.want)
		}
	}
	_, err := NewConfig(&Config{SessionKey: []byte("short")})
	var e *Error
	if !errors.As(err, &e) || e.Status != StatusEInval {
		t.Fatalf("a 5-byte SessionKey: %v", err)
	}
}

// PFX, CRL, DHParam, SecureProtocol, Priority, SessionIDContext and
// HonorCipherOrder reach the library: a PKCS#12 bundle serves a
// handshake, and each bad value fails NewConfig with the library's error.
func TestContextOptionsReachTheLibrary(t *testing.T) {
	dir := pkiDir(t)
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl is not installed")
	}
	p12 := filepath.Join(t.TempDir(), "server.p12")
	out, err := exec.Command(openssl, "pkcs12", "-export", "-passout", "pass:sekrit",
		"-inkey", filepath.Join(dir, "server.key"), "-in", filepath.Join(dir, "server-chain.pem"),
		"-out", p12).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl pkcs12: %v %s", err, out)
	}
	der, err := os.ReadFile(p12)
	if err != nil {
		t.Fatal(err)
	}
	srv := &Config{PFX: [][]byte{der}, Passphrase: "sekrit", HonorCipherOrder: Bool(true),
		SessionIDContext: "options-test", Priority: "NORMAL"}
	l := serve(t, srv, echo)
	if reused, _ := dialOnce(t, l.Addr().String(), clientConfig(t)); reused {
		t.Fatal("a first connection resumed")
	}
	for name, cfg := range map[string]*Config{
		"PFX":            {PFX: [][]byte{[]byte("not a pfx")}},
		"CRL":            {CRL: [][]byte{[]byte("not a crl")}},
		"DHParam":        {DHParam: []byte("not dh params")},
		"SecureProtocol": {SecureProtocol: "NoSuchMethod"},
		"Priority":       {Priority: "NO-SUCH-PRIORITY"},
	} {
		if _, err := NewConfig(cfg); err == nil {
			t.Errorf("%s: a bad value was accepted", name)
		}
	}
}
