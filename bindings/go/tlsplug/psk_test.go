package tlsplug

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
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

// pskErrorCode is the client's *Error code, "" for another error.
func pskErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// A server callback's error or panic refuses the identity as a nil key
// does (the client sees the same alert), and is the server's handshake
// error: the Conn's (Listen) and OnTLSClientError's (TLSServer). A panic
// does not unwind into C.
func TestPSKServerCallbackFailures(t *testing.T) {
	errNoUser := errors.New("no such user")
	answers := map[string]func() ([]byte, error){
		"refuse": func() ([]byte, error) { return nil, nil },
		"error":  func() ([]byte, error) { return pskUsers["UserB"], errNoUser },
		"panic":  func() ([]byte, error) { panic("boom") },
	}
	clientErr := map[string]string{}
	for _, name := range []string{"refuse", "error", "panic"} {
		answer := answers[name]
		cfg := func() *Config {
			return &Config{Ciphers: "PSK", MaxVersion: "TLSv1.2",
				ServerPSKCallback: func(string, net.Conn) ([]byte, error) { return answer() }}
		}
		listenErr := make(chan error, 1)
		l := serve(t, cfg(), func(c *Conn) { listenErr <- c.Handshake() })
		tlsErr := make(chan error, 1)
		srv := &TLSServer{Config: cfg(), OnTLSClientError: func(err error, _ *Conn) { tlsErr <- err }}
		for way, addr := range map[string]string{"Listen": l.Addr().String(), "TLSServer": serveTLS(t, srv)} {
			var hints []string
			_, err := pskRound(t, addr, pskClientConfig("PSK", "UserB", "UserB", &hints))
			if err == nil {
				t.Fatalf("%s %s: the client connected", name, way)
			}
			if name == "refuse" {
				// Node's code for it is TestPSKCircuitMatchesNode's to check.
				if clientErr[way] = pskErrorCode(err); clientErr[way] == "" {
					t.Fatalf("refused %s: the client failed without Node's code: %v", way, err)
				}
			} else if pskErrorCode(err) != clientErr[way] {
				t.Fatalf("%s %s: the client failed with %v, with a nil key with %s", name, way, err, clientErr[way])
			}
			var serverErr error
			bounded(t, 30*time.Second, "the server's handshake error", func() {
				if way == "Listen" {
					serverErr = <-listenErr
				} else {
					serverErr = <-tlsErr
				}
			})
			switch {
			case serverErr == nil:
				t.Fatalf("%s %s: the server's handshake succeeded", name, way)
			case name == "error" && !errors.Is(serverErr, errNoUser),
				name == "panic" && !strings.Contains(serverErr.Error(), "pskCallback panicked: boom"):
				t.Fatalf("%s %s: the server's handshake failed with %v", name, way, serverErr)
			}
		}
	}
}

// A client callback's error or panic is Dial's error (a panic with an
// error wraps it).
func TestPSKClientCallbackFailures(t *testing.T) {
	seen := &pskSeen{}
	addr := serve(t, pskServerConfig("PSK", "", seen), echo).Addr().String()
	errNoKey := errors.New("no key for this server")
	for name, answer := range map[string]func() (string, []byte, error){
		"error":               func() (string, []byte, error) { return "UserB", pskUsers["UserB"], errNoKey },
		"panic":               func() (string, []byte, error) { panic(fmt.Sprintf("boom %d", 42)) },
		"panic with an error": func() (string, []byte, error) { panic(errNoKey) },
	} {
		answer := answer
		cfg := &Config{Ciphers: "PSK", MaxVersion: "TLSv1.2",
			CheckServerIdentity: func(string, map[string]any) error { return nil },
			ClientPSKCallback:   func(string) (string, []byte, error) { return answer() }}
		_, err := pskRound(t, addr, cfg)
		if name != "panic" && !errors.Is(err, errNoKey) ||
			name == "panic" && (err == nil || !strings.Contains(err.Error(), "pskCallback panicked: boom 42")) {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if ids, _ := seen.get(); len(ids) != 0 {
		t.Fatalf("the server was asked for %q", ids)
	}
}

// Node's pskIdentityHint is at most 256 bytes; the Config says so at once.
func TestPSKLongHint(t *testing.T) {
	_, err := NewConfig(&Config{PSKIdentityHint: strings.Repeat("h", 257),
		ServerPSKCallback: func(string, net.Conn) ([]byte, error) { return nil, nil }})
	if pskErrorCode(err) != "ERR_TLS_PSK_SET_IDENTIY_HINT_FAILED" {
		t.Fatalf("%v", err)
	}
}

// openssl s_client -psk against a Go server, at TLS 1.2 (a PSK suite) and
// TLS 1.3 (the external PSK): the server is asked for the identity
// s_client sends, and the two talk.
func TestPSKOpenSSLClient(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	for _, tc := range []struct{ flag, version, cipher string }{
		{"-tls1_2", "TLSv1.2", "PSK-AES128-GCM-SHA256"},
		{"-tls1_3", "TLSv1.3", "TLS_AES_128_GCM_SHA256"},
	} {
		seen := &pskSeen{}
		cfg := pskServerConfig("PSK-AES128-GCM-SHA256:TLS_AES_128_GCM_SHA256", "", seen)
		state := make(chan string, 1)
		l := serve(t, cfg, func(c *Conn) {
			c.SetDeadline(time.Now().Add(30 * time.Second))
			line, err := bufio.NewReader(c).ReadString('\n')
			state <- fmt.Sprintf("%s %s %q %v", c.Protocol(), c.Cipher().Name, line, err)
			c.Write([]byte("hello " + line))
		})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, openssl, "s_client", "-connect", l.Addr().String(), tc.flag,
			"-cipher", "PSK", "-psk", hex.EncodeToString(pskUsers["UserB"]), "-psk_identity", "UserB")
		stdin, _ := cmd.StdinPipe()
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		stdin.Write([]byte("world\n")) // sent once the handshake is done
		var out []string
		for r := bufio.NewScanner(stdout); r.Scan(); {
			out = append(out, r.Text())
			if r.Text() == "hello world" {
				break
			}
		}
		stdin.Close()
		if err := cmd.Wait(); err != nil || len(out) == 0 || out[len(out)-1] != "hello world" {
			t.Fatalf("%s: s_client: %v: %s", tc.version, err, strings.Join(out, "\n"))
		}
		if got, want := <-state, fmt.Sprintf("%s %s %q <nil>", tc.version, tc.cipher, "world\n"); got != want {
			t.Fatalf("the server saw %s, want %s", got, want)
		}
		if ids, _ := seen.get(); strings.Join(ids, ",") != "UserB" {
			t.Fatalf("%s: the server's callback was asked for %q", tc.version, ids)
		}
	}
}
