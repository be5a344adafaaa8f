package tlsplug

import (
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// pki reads a file of the test PKI (tests/support/make_pki.sh) from $TLSPLUG_PKI.
func pki(t testing.TB, name string) []byte {
	t.Helper()
	dir := os.Getenv("TLSPLUG_PKI")
	if dir == "" {
		t.Fatal("TLSPLUG_PKI is not set (ctest sets it; or run tests/support/make_pki.sh DIR)")
	}
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pkiDir is the PKI directory, checked to hold ca.pem.
func pkiDir(t testing.TB) string {
	pki(t, "ca.pem")
	return os.Getenv("TLSPLUG_PKI")
}

func serverConfig(t testing.TB) *Config {
	return &Config{Key: [][]byte{pki(t, "server.key")}, Cert: [][]byte{pki(t, "server-chain.pem")}}
}

func clientConfig(t testing.TB) *Config {
	return &Config{CA: [][]byte{pki(t, "ca.pem")}}
}

// bounded fails the test when f does not return within d.
func bounded(t testing.TB, d time.Duration, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s: still running after %v", what, d)
	}
}

// serve runs handler for every accepted Conn until the test ends.
func serve(t testing.TB, cfg *Config, handler func(c *Conn)) net.Listener {
	t.Helper()
	l, err := Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				handler(c.(*Conn))
			}()
		}
	}()
	return l
}

func echo(c *Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
