package tlsplug

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// connected answers both ends of a handshaken connection over 127.0.0.1.
func connected(t *testing.T, scfg, ccfg *Config) (client, server *Conn) {
	t.Helper()
	got := make(chan *Conn, 1)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	l := serve(t, scfg, func(c *Conn) {
		if c.Handshake() == nil {
			got <- c
			<-release
		}
	})
	c, err := Dial("tcp", l.Addr().String(), ccfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	select {
	case s := <-got:
		return c, s
	case <-time.After(10 * time.Second):
		t.Fatal("the server side never completed its handshake")
	}
	return nil, nil
}

func TestExportKeyingMaterial(t *testing.T) {
	for _, version := range []string{"TLSv1.2", "TLSv1.3"} {
		t.Run(version, func(t *testing.T) {
			scfg := serverConfig(t)
			scfg.MaxVersion = version
			ccfg := clientConfig(t)
			ccfg.ServerName = "localhost"
			ccfg.MaxVersion = version
			c, s := connected(t, scfg, ccfg)
			if c.Protocol() != version {
				t.Fatalf("protocol %q", c.Protocol())
			}
			a, err := c.ExportKeyingMaterial("EXPORTER-test", nil, 64)
			if err != nil || len(a) != 64 {
				t.Fatalf("export: %v (%d bytes)", err, len(a))
			}
			b, err := s.ExportKeyingMaterial("EXPORTER-test", nil, 64)
			if err != nil || !bytes.Equal(a, b) {
				t.Fatalf("the ends differ: %x / %x (%v)", a, b, err)
			}
			withCtx, _ := c.ExportKeyingMaterial("EXPORTER-test", []byte{0, 1, 2, 3}, 64)
			if bytes.Equal(a, withCtx) {
				t.Fatal("a context changed nothing")
			}
			empty, _ := c.ExportKeyingMaterial("EXPORTER-test", []byte{}, 64)
			if bytes.Equal(empty, a) != (version == "TLSv1.3") {
				t.Fatalf("empty context vs none: equal=%v in %s", bytes.Equal(empty, a), version)
			}
			_, err = c.ExportKeyingMaterial("client finished", nil, 16)
			var e *Error
			if version == "TLSv1.2" && (!errors.As(err, &e) || e.Code != "ERR_SSL_TLS_ILLEGAL_EXPORTER_LABEL") {
				t.Fatalf("reserved label: %v", err)
			}
			if _, err = c.ExportKeyingMaterial("x", nil, 0); !errors.As(err, &e) || e.Code != "ERR_OUT_OF_RANGE" {
				t.Fatalf("length 0: %v", err)
			}
		})
	}
}

func TestALPNCallback(t *testing.T) {
	cases := []struct {
		name, answer    string
		ok              bool
		client, srvCode string
		clientErr       string
	}{
		{"chosen", "b", true, "b", "", ""},
		{"refused", "", false, "", "ERR_SSL_NO_APPLICATION_PROTOCOL", "ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL"},
		{"invalid", "zz", true, "", "ERR_TLS_ALPN_CALLBACK_INVALID_RESULT", "ECONNRESET"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			infos := make(chan ALPNInfo, 1)
			clientErrs := make(chan error, 1)
			srv := &TLSServer{
				Config: serverConfig(t),
				ALPNCallback: func(info ALPNInfo) (string, bool) {
					infos <- info
					return tc.answer, tc.ok
				},
				OnTLSClientError: func(err error, c *Conn) { clientErrs <- err },
			}
			addr := serveTLS(t, srv)
			ccfg := clientConfig(t)
			ccfg.ServerName = "localhost"
			ccfg.ALPNProtocols = []string{"a", "b"}
			c, err := Dial("tcp", addr, ccfg)
			if err == nil {
				defer c.Close()
				err = c.Handshake()
			}
			var info ALPNInfo
			select {
			case info = <-infos:
			case <-time.After(10 * time.Second):
				t.Fatal("ALPNCallback was not called")
			}
			if info.ServerName != "localhost" || len(info.Protocols) != 2 || info.Protocols[1] != "b" {
				t.Fatalf("ALPNCallback got %+v", info)
			}
			var e *Error
			if tc.clientErr == "" {
				if err != nil || c.ALPNProtocol() != tc.client {
					t.Fatalf("client: %v, ALPN %q", err, c.ALPNProtocol())
				}
				return
			}
			if !errors.As(err, &e) || e.Code != tc.clientErr {
				t.Fatalf("client error %v, want %s", err, tc.clientErr)
			}
			select {
			case err := <-clientErrs:
				if !errors.As(err, &e) || e.Code != tc.srvCode {
					t.Fatalf("tlsClientError %v, want %s", err, tc.srvCode)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no tlsClientError")
			}
		})
	}
	srv := &TLSServer{Config: serverConfig(t), ALPNProtocols: []string{"a"},
		ALPNCallback: func(ALPNInfo) (string, bool) { return "a", true }}
	_, err := srv.Listen("tcp", "127.0.0.1:0")
	var e *Error
	if !errors.As(err, &e) || e.Code != "ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS" {
		t.Fatalf("ALPNProtocols with ALPNCallback: %v", err)
	}
}

func TestIPServerNameDeprecation(t *testing.T) {
	var got []Warning
	OnWarning = func(w Warning) { got = append(got, w) }
	defer func() { OnWarning = nil }()
	warned.Delete("DEP0123") // once per process: start this test afresh
	l := serve(t, serverConfig(t), echo)
	for i := 0; i < 2; i++ {
		ccfg := clientConfig(t)
		ccfg.ServerName = "127.0.0.1"
		ccfg.RejectUnauthorized = Bool(false)
		c, err := Dial("tcp", l.Addr().String(), ccfg)
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	if len(got) != 1 || got[0].Code != "DEP0123" {
		t.Fatalf("warnings: %+v (want DEP0123 once)", got)
	}
}

func TestX509Certificates(t *testing.T) {
	ccfg := clientConfig(t)
	ccfg.ServerName = "localhost"
	c, s := connected(t, serverConfig(t), ccfg)
	peer, err := c.PeerX509Certificate()
	if err != nil || peer == nil {
		t.Fatalf("PeerX509Certificate: %v", err)
	}
	want, err := NewX509Certificate(pki(t, "server.pem"))
	if err != nil || !peer.Equal(want) {
		t.Fatalf("the peer's certificate is not server.pem (%v)", err)
	}
	local, err := s.X509Certificate()
	if err != nil || !local.Equal(want) {
		t.Fatalf("X509Certificate on the server: %v", err)
	}
	inter, _ := NewX509Certificate(pki(t, "int.pem"))
	if !peer.IssuerCertificate.Equal(inter) || peer.IssuerCertificate.IssuerCertificate != nil {
		t.Fatal("IssuerCertificate is not the presented intermediate alone")
	}
	parsed, err := peer.Parse()
	if err != nil || parsed.Subject.CommonName != "localhost" || peer.Subject != "CN=localhost" {
		t.Fatalf("Parse: %v / %q", err, peer.Subject)
	}
	if parsed.SerialNumber.Text(16) != strings.TrimLeft(strings.ToLower(peer.SerialNumber), "0") {
		t.Fatalf("serial %s vs %s", parsed.SerialNumber.Text(16), peer.SerialNumber)
	}
	if h, _ := peer.CheckHost("LOCALHOST"); h != "localhost" {
		t.Fatalf("CheckHost: %q", h)
	}
	if h, _ := peer.CheckHost("nope.test"); h != "" {
		t.Fatalf("CheckHost(nope.test): %q", h)
	}
	if ip, _ := peer.CheckIP("127.0.0.1"); ip != "127.0.0.1" {
		t.Fatalf("CheckIP: %q", ip)
	}
	if ok, _ := peer.CheckIssued(inter); !ok {
		t.Fatal("CheckIssued(intermediate) is false")
	}
	if ok, _ := peer.Verify(inter.Raw); !ok {
		t.Fatal("Verify with the intermediate's key failed")
	}
	if ok, _ := peer.Verify(peer.Raw); ok {
		t.Fatal("Verify with its own key succeeded")
	}
	if peer.PublicKeyType != "rsa" || peer.CA || !inter.CA {
		t.Fatalf("key %q, CA %v/%v", peer.PublicKeyType, peer.CA, inter.CA)
	}
}

func TestRootCertificates(t *testing.T) {
	roots, err := RootCertificates()
	if err != nil || len(roots) == 0 {
		t.Fatalf("RootCertificates: %d, %v", len(roots), err)
	}
	seen := map[string]bool{}
	for _, r := range roots {
		if !strings.HasPrefix(r, "-----BEGIN CERTIFICATE-----\n") || !strings.HasSuffix(r, "\n-----END CERTIFICATE-----") || seen[r] {
			t.Fatalf("entry %.60q", r)
		}
		seen[r] = true
		if _, err := NewX509Certificate([]byte(r)); err != nil {
			t.Fatal(err)
		}
	}
	roots[0] = "changed"
	again, _ := RootCertificates()
	if again[0] == "changed" {
		t.Fatal("RootCertificates shares its slice")
	}
}

func TestEnginesRefused(t *testing.T) {
	for _, cfg := range []*Config{
		{PrivateKeyEngine: "engine", PrivateKeyIdentifier: "key"},
		{ClientCertEngine: "x"},
	} {
		_, err := cfg.context()
		var e *Error
		if !errors.As(err, &e) || e.Code != "ERR_CRYPTO_CUSTOM_ENGINE_NOT_SUPPORTED" || e.Status != StatusEUnsupported {
			t.Fatalf("%+v: %v", cfg, err)
		}
	}
}

// Node's basic-validations: an ALPN name over 255 bytes is ERR_OUT_OF_RANGE
// with Node's message, which live node gives for the same list.
func TestALPNNameTooLong(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := nodeCmd(t, ctx, `try { require('tls').convertALPNProtocols(['h2', 'a'.repeat(300)], {}); }
catch (e) { console.log(JSON.stringify({code: e.code, message: e.message})); }`).Output()
	if err != nil {
		t.Fatal(err)
	}
	var want struct{ Code, Message string }
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatalf("node said %q: %v", out, err)
	}
	_, err = alpnWire([]string{"h2", strings.Repeat("a", 300)})
	var e *Error
	if !errors.As(err, &e) || e.Code != want.Code || e.Message != want.Message {
		t.Fatalf("got %v, want %+v", err, want)
	}
	if w, err := alpnWire([]string{"h2", strings.Repeat("a", 255)}); err != nil || len(w) != 3+256 {
		t.Fatalf("255 bytes: %d %v", len(w), err)
	}
}

func TestSigalgs(t *testing.T) {
	for _, version := range []string{"TLSv1.2", "TLSv1.3"} {
		t.Run(version, func(t *testing.T) {
			scfg := serverConfig(t)
			scfg.MaxVersion, scfg.Sigalgs = version, "rsa_pss_rsae_sha384:RSA-PSS+SHA256"
			scfg.RequestCert, scfg.CA = true, [][]byte{pki(t, "ca.pem")}
			ccfg := clientConfig(t)
			ccfg.ServerName, ccfg.MaxVersion = "localhost", version
			ccfg.Sigalgs = "RSA-PSS+SHA256:ECDSA+SHA256:rsa_pss_rsae_sha384"
			ccfg.Cert, ccfg.Key = [][]byte{pki(t, "client-chain.pem")}, [][]byte{pki(t, "client.key")}
			c, s := connected(t, scfg, ccfg)
			// The server lists them in the client's order, the client in the server's.
			for _, end := range []struct {
				conn *Conn
				want string
			}{{s, "RSA-PSS+SHA256 RSA-PSS+SHA384"}, {c, "RSA-PSS+SHA384 RSA-PSS+SHA256"}} {
				got, err := end.conn.SharedSigalgs()
				if err != nil || strings.Join(got, " ") != end.want {
					t.Fatalf("shared %q (%v), want %q", got, err, end.want)
				}
			}
			if c.PeerSignatureAlgorithm() != s.SignatureAlgorithm() ||
				s.PeerSignatureAlgorithm() != c.SignatureAlgorithm() {
				t.Fatalf("the ends disagree: client %q/%q, server %q/%q", c.SignatureAlgorithm(),
					c.PeerSignatureAlgorithm(), s.SignatureAlgorithm(), s.PeerSignatureAlgorithm())
			}
			if a := c.SignatureAlgorithm(); a != "rsa_pss_rsae_sha256" && a != "rsa_pss_rsae_sha384" {
				t.Fatalf("client signed with %q", a)
			}
		})
	}
	for _, list := range []string{"bogus", "RSA+SHA256:RSA+SHA256", "RSA+MD5"} {
		_, err := (&Config{Sigalgs: list}).context()
		var e *Error
		if !errors.As(err, &e) || e.Code != "ERR_INVALID_ARG_VALUE" || e.Status != StatusEInval {
			t.Fatalf("%q: %v", list, err)
		}
	}
}
