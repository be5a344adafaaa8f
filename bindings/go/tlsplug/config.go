package tlsplug

// #cgo pkg-config: tlsplug
// #include <tlsplug.h>
import "C"

import (
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
	// Sigalgs is Node's sigalgs: the signature algorithms offered and
	// accepted, in preference order ("rsa_pss_rsae_sha256:ECDSA+SHA256").
	Sigalgs string
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
	// PSKCallback and PSKIdentityHint are Node's pskCallback and
	// pskIdentityHint. Not supported in Go: GnuTLS asks for the key inside
	// the handshake and waits for the answer, which must come from inside
	// the library's event callback, while Go's events are queued. Setting
	// either fails the Config with ERR_FEATURE_UNAVAILABLE_ON_PLATFORM
	// (StatusEUnsupported); the C, Python and Ruby APIs have them.
	PSKCallback     func(hintOrIdentity string) (key []byte, identity string)
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
		MinVersion: c.MinVersion, MaxVersion: c.MaxVersion, ECDHCurve: c.ECDHCurve, Sigalgs: c.Sigalgs,
		RequestCert: c.RequestCert, CheckServerIdentity: c.CheckServerIdentity,
		MinDHSize: c.MinDHSize, Session: c.Session, RequestOCSP: c.RequestOCSP,
		SecureOptions: c.SecureOptions,
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
	if c.Sigalgs != "" {
		if err := cContextSetSigalgs(h, c.Sigalgs); err != nil {
			return nil, err
		}
	}
	if err := c.buildEngines(h); err != nil {
		return nil, err
	}
	return sc, nil
}

func alpnWire(protos []string) ([]byte, error) {
	var b []byte
	for _, p := range protos {
		if len(p) == 0 || len(p) > 255 {
			return nil, errorf("ERR_OUT_OF_RANGE", "invalid ALPN protocol %q", p)
		}
		b = append(b, byte(len(p)))
		b = append(b, p...)
	}
	return b, nil
}
