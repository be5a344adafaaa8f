package tlsplug

// #cgo pkg-config: tlsplug
// #include <tlsplug.h>
import "C"

import (
	"net"
	"runtime"
	"sync"
)

// Config holds Node's tls.connect / tls.createServer / createSecureContext
// options. A Config may be shared by many connections and must not be
// modified once used: its SecureContext is built once, on first use.
type Config struct {
	// RejectUnauthorized: nil means true, as in Node.
	RejectUnauthorized *bool
	// ALPNProtocols in preference order.
	ALPNProtocols []string
	// ServerName for SNI and the identity check (client). Dial fills it from
	// the address when empty.
	ServerName string
	// CA, Cert and Key hold PEM blocks (Node's ca, cert, key).
	CA, Cert, Key [][]byte
	Passphrase    string
	Ciphers       string
	MinVersion    string // "TLSv1.2", "TLSv1.3"
	MaxVersion    string
	ECDHCurve     string
	// RequestCert asks the client for a certificate (server).
	RequestCert bool
	// CheckServerIdentity replaces Node's host-name check (client); cert is
	// Node's certificate object. A non-nil error refuses the server.
	CheckServerIdentity func(host string, cert map[string]any) error
	MinDHSize           uint32
	// Session resumes a session from (*Conn).Session() (client).
	Session []byte
	// RequestOCSP asks the server for a stapled OCSP response (client);
	// it shows in ConnectionState().OCSPResponse.
	RequestOCSP bool
	// SecureOptions are Node's secureOptions (OpenSSL SSL_OP_* bits, e.g.
	// 0x4000 SSL_OP_NO_TICKET), as the library understands them.
	SecureOptions uint32
	// PrivateKeyEngine with PrivateKeyIdentifier, and ClientCertEngine, are
	// Node's OpenSSL-engine options. GnuTLS has no engines: setting them
	// fails the Config with ERR_CRYPTO_CUSTOM_ENGINE_NOT_SUPPORTED.
	PrivateKeyEngine, PrivateKeyIdentifier, ClientCertEngine string
	// ClientPSKCallback and ServerPSKCallback are Node's pskCallback, one
	// field per role (as crypto/tls's GetClientCertificate and
	// GetCertificate), so each has exactly its role's answer. Setting either
	// turns TLS-PSK on for the Config's context: choose PSK suites with
	// Ciphers ("PSK", "PSK+HIGH" at TLS 1.2; TLS 1.3 offers the external PSK
	// with its usual suites). A PSK client gets no certificate: give it a
	// CheckServerIdentity that accepts, as Node's PSK clients do.
	//
	// Both run synchronously inside the handshake (GnuTLS waits for the key),
	// on the goroutine driving it, with the connection's lock held (and, for
	// a TLSServer's connection, the server's): keep them quick, and call no
	// method of the Conn or of its TLSServer from inside them. A nil key
	// refuses, as Node's null: the handshake fails (a server refusing sends
	// unknown_psk_identity at TLS 1.2, handshake_failure at TLS 1.3). A
	// non-nil error, or a panic (recovered), refuses too and is the error
	// the handshake returns (and the one OnTLSClientError gets).
	//
	// ClientPSKCallback (client) gets the server's PSKIdentityHint ("" when
	// it sent none, and always at TLS 1.3) and answers the identity to send
	// (1 to 256 bytes) and its key.
	ClientPSKCallback func(hint string) (identity string, key []byte, err error)
	// ServerPSKCallback (server) gets the identity the client sent and the
	// transport (as crypto/tls's ClientHelloInfo.Conn: for its addresses;
	// do not read or write it) and answers that identity's key.
	ServerPSKCallback func(identity string, transport net.Conn) (key []byte, err error)
	// PSKIdentityHint is Node's pskIdentityHint (server, with
	// ServerPSKCallback): sent to TLS 1.2 clients, at most 256 bytes (a
	// longer one fails the Config with ERR_TLS_PSK_SET_IDENTIY_HINT_FAILED).
	PSKIdentityHint string

	once sync.Once
	ctx  *secureContext
	err  error

	derivedMu sync.Mutex
	derived   map[string]*Config
}

// NewConfig checks cfg now, as Node's createSecureContext does: its
// SecureContext is built at once, so bad PEM, a wrong passphrase or a key
// that does not match its certificate (errors.Is(err, ErrKeyMismatch)) is
// an error here rather than at the first handshake. It answers cfg itself.
func NewConfig(cfg *Config) (*Config, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	if _, err := cfg.context(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// clone copies the options (not the built context) into a new Config.
func (c *Config) clone() *Config {
	return &Config{
		RejectUnauthorized: c.RejectUnauthorized, ALPNProtocols: c.ALPNProtocols, ServerName: c.ServerName,
		CA: c.CA, Cert: c.Cert, Key: c.Key, Passphrase: c.Passphrase, Ciphers: c.Ciphers,
		MinVersion: c.MinVersion, MaxVersion: c.MaxVersion, ECDHCurve: c.ECDHCurve,
		RequestCert: c.RequestCert, CheckServerIdentity: c.CheckServerIdentity,
		MinDHSize: c.MinDHSize, Session: c.Session, RequestOCSP: c.RequestOCSP,
		SecureOptions: c.SecureOptions, PrivateKeyEngine: c.PrivateKeyEngine,
		PrivateKeyIdentifier: c.PrivateKeyIdentifier, ClientCertEngine: c.ClientCertEngine,
		ClientPSKCallback: c.ClientPSKCallback, ServerPSKCallback: c.ServerPSKCallback,
		PSKIdentityHint: c.PSKIdentityHint,
	}
}

// Bool is a helper for RejectUnauthorized.
func Bool(b bool) *bool { return &b }

type secureContext struct{ h *C.tlsplug_context }

func (c *Config) rejectUnauthorized() bool {
	return c.RejectUnauthorized == nil || *c.RejectUnauthorized
}

func (c *Config) context() (*secureContext, error) {
	c.once.Do(func() { c.ctx, c.err = c.build() })
	return c.ctx, c.err
}

func (c *Config) build() (*secureContext, error) {
	h, err := cContextNew()
	if err != nil {
		return nil, err
	}
	sc := &secureContext{h: h}
	runtime.SetFinalizer(sc, func(sc *secureContext) { _ = cContextFree(sc.h) })
	// Certificates before keys, as Node sets them: each key is checked
	// against the certificates of its kind as it is added, so a mismatch
	// fails here (ErrKeyMismatch), not at the first handshake.
	for _, crt := range c.Cert {
		if err := cContextAddCert(h, crt); err != nil {
			return nil, err
		}
	}
	for _, k := range c.Key {
		if err := cContextAddKey(h, k, c.Passphrase); err != nil {
			return nil, err
		}
	}
	for _, ca := range c.CA {
		if err := cContextAddCa(h, ca); err != nil {
			return nil, err
		}
	}
	if c.MinVersion != "" {
		if err := cContextSetMinVersion(h, c.MinVersion); err != nil {
			return nil, err
		}
	}
	if c.MaxVersion != "" {
		if err := cContextSetMaxVersion(h, c.MaxVersion); err != nil {
			return nil, err
		}
	}
	if c.Ciphers != "" {
		if err := cContextSetCiphers(h, c.Ciphers); err != nil {
			return nil, err
		}
	}
	if c.SecureOptions != 0 {
		if err := cContextSetSecureOptions(h, c.SecureOptions); err != nil {
			return nil, err
		}
	}
	if c.ECDHCurve != "" {
		if err := cContextSetEcdhCurve(h, c.ECDHCurve); err != nil {
			return nil, err
		}
	}
	if err := c.buildEngines(h); err != nil {
		return nil, err
	}
	if c.pskEnabled() {
		if err := cContextSetPsk(h, true, c.PSKIdentityHint); err != nil {
			return nil, err
		}
	}
	return sc, nil
}

// alpnWire is Node's convertALPNProtocols: each name after its length
// byte; a name over 255 bytes fails with Node's ERR_OUT_OF_RANGE and text.
func alpnWire(protos []string) ([]byte, error) {
	var b []byte
	for i, p := range protos {
		if len(p) > 255 {
			return nil, errorf("ERR_OUT_OF_RANGE", "The byte length of the protocol at index %d exceeds "+
				"the maximum length. It must be <= 255. Received %d", i, len(p))
		}
		if len(p) == 0 {
			return nil, errorf("ERR_OUT_OF_RANGE", "The ALPN protocol at index %d is empty", i)
		}
		b = append(b, byte(len(p)))
		b = append(b, p...)
	}
	return b, nil
}
