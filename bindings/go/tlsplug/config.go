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
	// PFX holds PKCS#12 (DER) bundles, each a key and its chain, opened
	// with Passphrase (Node's pfx).
	PFX [][]byte
	// CRL holds PEM certificate revocation lists (Node's crl).
	CRL [][]byte
	// DHParam: PEM Diffie-Hellman parameters, or "auto" (Node's dhparam).
	DHParam []byte
	// HonorCipherOrder: the server picks by its own order, not the
	// client's (Node's honorCipherOrder); nil leaves the library's default.
	HonorCipherOrder *bool
	// SecureProtocol is Node's secureProtocol ("TLSv1_2_method", ...).
	SecureProtocol string
	// SessionIDContext is Node's sessionIdContext (server).
	SessionIDContext string
	// Priority is a GnuTLS priority string (a tlsplug extension).
	Priority string
	// SessionKey (a tlsplug extension, 32 to 64 secret bytes) seals this
	// client Config's sessions (Session(), the Session option), so that
	// processes and Configs given the same key resume each other's; by
	// default a session resumes only in the process that made it.
	SessionKey []byte

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
		SecureOptions: c.SecureOptions, PrivateKeyEngine: c.PrivateKeyEngine,
		PrivateKeyIdentifier: c.PrivateKeyIdentifier, ClientCertEngine: c.ClientCertEngine,
		ClientPSKCallback: c.ClientPSKCallback, ServerPSKCallback: c.ServerPSKCallback,
		PSKIdentityHint: c.PSKIdentityHint,
		PFX:             c.PFX, CRL: c.CRL,
		DHParam: c.DHParam, HonorCipherOrder: c.HonorCipherOrder, SecureProtocol: c.SecureProtocol,
		SessionIDContext: c.SessionIDContext, Priority: c.Priority, SessionKey: c.SessionKey,
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
	if err := c.buildCredentials(h); err != nil {
		return nil, err
	}
	if err := c.buildSettings(h); err != nil {
		return nil, err
	}
	if c.Sigalgs != "" {
		if err := cContextSetSigalgs(h, c.Sigalgs); err != nil {
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

// buildCredentials adds the PKCS#12 bundles, certificates, keys, CAs and
// CRLs. Certificates before keys, as Node sets them: each key is checked
// against the certificates of its kind as it is added, so a mismatch fails
// here (ErrKeyMismatch), not at the first handshake.
func (c *Config) buildCredentials(h *C.tlsplug_context) error {
	for _, p := range c.PFX {
		if err := cContextAddPfx(h, p, c.Passphrase); err != nil {
			return err
		}
	}
	for _, crt := range c.Cert {
		if err := cContextAddCert(h, crt); err != nil {
			return err
		}
	}
	for _, k := range c.Key {
		if err := cContextAddKey(h, k, c.Passphrase); err != nil {
			return err
		}
	}
	for _, ca := range c.CA {
		if err := cContextAddCa(h, ca); err != nil {
			return err
		}
	}
	for _, crl := range c.CRL {
		if err := cContextAddCrl(h, crl); err != nil {
			return err
		}
	}
	return nil
}

// buildSettings applies the string and flag options that are set, in
// Node's order (secureProtocol before the version bounds).
func (c *Config) buildSettings(h *C.tlsplug_context) error {
	steps := []struct {
		set bool
		do  func() error
	}{
		{c.SecureProtocol != "", func() error { return cContextSetSecureProtocol(h, c.SecureProtocol) }},
		{c.MinVersion != "", func() error { return cContextSetMinVersion(h, c.MinVersion) }},
		{c.MaxVersion != "", func() error { return cContextSetMaxVersion(h, c.MaxVersion) }},
		{c.Ciphers != "", func() error { return cContextSetCiphers(h, c.Ciphers) }},
		{c.Priority != "", func() error { return cContextSetPriority(h, c.Priority) }},
		{c.HonorCipherOrder != nil, func() error { return cContextSetHonorCipherOrder(h, *c.HonorCipherOrder) }},
		{c.ECDHCurve != "", func() error { return cContextSetEcdhCurve(h, c.ECDHCurve) }},
		{c.DHParam != nil, func() error { return cContextSetDhparam(h, c.DHParam) }},
		{c.SecureOptions != 0, func() error { return cContextSetSecureOptions(h, c.SecureOptions) }},
		{c.SessionIDContext != "", func() error { return cContextSetSessionIdContext(h, c.SessionIDContext) }},
		{c.SessionKey != nil, func() error { return cContextSetSessionKey(h, c.SessionKey) }},
	}
	for _, s := range steps {
		if s.set {
			if err := s.do(); err != nil {
				return err
			}
		}
	}
	return nil
}
