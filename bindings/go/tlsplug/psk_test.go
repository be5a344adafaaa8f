package tlsplug

import (
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// Keys of the PSK tests' users (Node's psk-circuit test uses the same shape:
// a long key and a 16-byte one).
var pskUsers = map[string][]byte{
	"UserA": []byte(strings.Repeat("\x11", 128)),
	"UserB": {0x82, 0x07, 0x26, 0x06, 0xb5, 0x02, 0xb0, 0xf4, 0x02, 0x5e, 0x90, 0xeb, 0x75, 0xfe, 0x13, 0x7d},
}

// pskSeen records what a server's PSK callback was asked.
type pskSeen struct {
	mu         sync.Mutex
	identities []string
	remotes    []string
}

func (s *pskSeen) add(id string, transport net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.identities = append(s.identities, id)
	s.remotes = append(s.remotes, transport.RemoteAddr().String())
}

func (s *pskSeen) get() ([]string, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.identities...), append([]string(nil), s.remotes...)
}

// pskServerConfig looks the identity up in pskUsers (nil: refused).
func pskServerConfig(ciphers, hint string, seen *pskSeen) *Config {
	return &Config{Ciphers: ciphers, PSKIdentityHint: hint,
		ServerPSKCallback: func(id string, transport net.Conn) ([]byte, error) {
			seen.add(id, transport)
			return pskUsers[id], nil
		}}
}

// pskClientConfig answers identity with user's key and records the hints.
func pskClientConfig(ciphers, user, identity string, hints *[]string) *Config {
	return &Config{Ciphers: ciphers,
		CheckServerIdentity: func(string, map[string]any) error { return nil },
		ClientPSKCallback: func(hint string) (string, []byte, error) {
			*hints = append(*hints, hint)
			return identity, pskUsers[user], nil
		}}
}

// pskResult is what a PSK client saw: the protocol and cipher once secure,
// then the echo of what it sent.
type pskResult struct {
	protocol, cipher, echo string
	authorized             bool
	clientAddr             string
}

// pskRound dials addr, sends "ping", half-closes and reads the echo.
func pskRound(t *testing.T, addr string, cfg *Config) (pskResult, error) {
	t.Helper()
	c, err := Dial("tcp", addr, cfg)
	if err != nil {
		return pskResult{}, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	r := pskResult{protocol: c.Protocol(), cipher: c.Cipher().Name, authorized: c.Authorized(),
		clientAddr: c.LocalAddr().String()}
	if peer, _ := c.PeerCertificate(false); len(peer) != 0 {
		t.Fatalf("a certificate with PSK: %v", peer)
	}
	if _, err := c.Write([]byte("ping")); err != nil {
		return r, err
	}
	if err := c.CloseWrite(); err != nil {
		return r, err
	}
	b, err := io.ReadAll(c)
	r.echo = string(b)
	return r, err
}

// pskServers starts cfg's server both ways: Listen (the Conn's own socket
// raises the PSK event) and a TLSServer (its server's callback does).
func pskServers(t *testing.T, cfg func() *Config) map[string]string {
	return map[string]string{"Listen": serve(t, cfg(), echo).Addr().String(),
		"TLSServer": serveTLS(t, &TLSServer{Config: cfg()})}
}

// A Go client and a Go server agree on a PSK at TLS 1.2 (a PSK suite, the
// server's hint reaching the client) and at TLS 1.3 (the external PSK, no
// hint), with no certificate on either side.
func TestPSKGoToGo(t *testing.T) {
	for _, tc := range []struct {
		version, ciphers, cipher, hint string
	}{
		{"TLSv1.2", "PSK-AES128-GCM-SHA256", "PSK-AES128-GCM-SHA256", "hint-1"},
		{"TLSv1.3", "TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256", ""},
	} {
		seen := &pskSeen{}
		addrs := pskServers(t, func() *Config {
			cfg := pskServerConfig(tc.ciphers, "hint-1", seen)
			cfg.MaxVersion = tc.version
			return cfg
		})
		for name, addr := range addrs {
			var hints []string
			cfg := pskClientConfig(tc.ciphers, "UserB", "UserB", &hints)
			cfg.MaxVersion = tc.version // else it asks first for TLS 1.3's ClientHello
			r, err := pskRound(t, addr, cfg)
			if err != nil {
				t.Fatalf("%s %s: %v", tc.version, name, err)
			}
			want := pskResult{protocol: tc.version, cipher: tc.cipher, echo: "ping", authorized: true,
				clientAddr: r.clientAddr}
			if r != want {
				t.Fatalf("%s %s: %+v, want %+v", tc.version, name, r, want)
			}
			if len(hints) != 1 || hints[0] != tc.hint {
				t.Fatalf("%s %s: the client's callback got hints %q", tc.version, name, hints)
			}
			ids, remotes := seen.get()
			if len(ids) == 0 || ids[len(ids)-1] != "UserB" || remotes[len(remotes)-1] != r.clientAddr {
				t.Fatalf("%s %s: the server's callback got %q from %q (client at %s)", tc.version, name,
					ids, remotes, r.clientAddr)
			}
		}
	}
}
