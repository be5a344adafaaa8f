package tlsplug

// #cgo pkg-config: tlsplug
// #include <tlsplug.h>
import "C"

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
)

// ConnectionState is crypto/tls's view of the connection, for code written
// against *tls.Conn (golang.org/x/net/http2 reads it through its own
// interface, as does anything asking for ConnectionState()):
//
//   - Version, CipherSuite (0 for a suite crypto/tls does not name, e.g.
//     a DHE or CCM one: Cipher() has Node's names), NegotiatedProtocol,
//     ServerName, DidResume, HandshakeComplete.
//   - PeerCertificates: the chain as the peer sent it, leaf first, parsed.
//   - VerifiedChains: when the peer was verified (Authorized), the one chain
//     that was, up to the trusted root.
//   - OCSPResponse: the staple, with Config.RequestOCSP (client).
//   - TLSUnique: the first Finished message of a full TLS 1.2 handshake;
//     nil for TLS 1.3 and for resumed sessions, as crypto/tls.
//
// The state's ExportKeyingMaterial method cannot be used (crypto/tls keeps
// the function behind it private): call the Conn's own method instead.
// Before the handshake it answers the zero state.
func (c *Conn) ConnectionState() tls.ConnectionState {
	var cs tls.ConnectionState
	c.mu.Lock()
	cs.HandshakeComplete = c.hsDone && c.fatal == nil && c.sock != nil
	cs.OCSPResponse = append([]byte(nil), c.ocsp...)
	c.mu.Unlock()
	if !cs.HandshakeComplete {
		return cs
	}
	cs.Version = tlsVersions[c.Protocol()]
	cs.CipherSuite = suiteID(c.Cipher().StandardName)
	cs.NegotiatedProtocol = c.ALPNProtocol()
	cs.NegotiatedProtocolIsMutual = true //nolint:staticcheck // always true, as in crypto/tls
	cs.ServerName = c.Servername()
	cs.DidResume = c.IsSessionReused()
	cs.PeerCertificates = c.presentedChain()
	if c.Authorized() {
		if chain := verifiedChain(c); len(chain) > 0 {
			cs.VerifiedChains = [][]*x509.Certificate{chain}
		}
	}
	if cs.Version == tls.VersionTLS12 && !cs.DidResume {
		// tls-unique (RFC 5929): the client's Finished, the first one sent.
		get := cSocketGetFinished
		if c.server {
			get = cSocketGetPeerFinished
		}
		_ = c.query(func(s *C.tlsplug_socket) (err error) {
			cs.TLSUnique, err = growBytes(func(buf []byte) (int, error) { return get(s, buf) })
			return
		})
	}
	return cs
}

var tlsVersions = map[string]uint16{
	"TLSv1": tls.VersionTLS10, "TLSv1.1": tls.VersionTLS11,
	"TLSv1.2": tls.VersionTLS12, "TLSv1.3": tls.VersionTLS13,
}

// suiteID is crypto/tls's number for an IANA suite name, 0 when it has none.
func suiteID(name string) uint16 {
	for _, list := range [][]*tls.CipherSuite{tls.CipherSuites(), tls.InsecureCipherSuites()} {
		for _, s := range list {
			if s.Name == name {
				return s.ID
			}
		}
	}
	return 0
}

// presentedChain is the peer's certificates as sent, parsed; those Go
// cannot parse are left out.
func (c *Conn) presentedChain() []*x509.Certificate {
	var chain []*x509.Certificate
	for depth := uint32(0); ; depth++ {
		var der []byte
		err := c.query(func(s *C.tlsplug_socket) (err error) {
			der, err = growBytes(func(buf []byte) (int, error) {
				return cSocketPeerCertField(s, depth, int(cCertFieldRaw), buf)
			})
			return
		})
		if err != nil {
			return chain
		}
		if cert, err := x509.ParseCertificate(der); err == nil {
			chain = append(chain, cert)
		}
	}
}

// verifiedChain walks Node's detailed certificate: issuerCertificate links
// along the verified chain, the root linking to itself.
func verifiedChain(c *Conn) []*x509.Certificate {
	m, err := c.PeerCertificate(true)
	var chain []*x509.Certificate
	for err == nil && m != nil && len(chain) < 16 {
		raw, ok := m["raw"].([]byte)
		if !ok {
			break
		}
		cert, err := x509.ParseCertificate(raw)
		if err != nil {
			break
		}
		chain = append(chain, cert)
		next, _ := m["issuerCertificate"].(map[string]any)
		if nextRaw, _ := next["raw"].([]byte); bytes.Equal(nextRaw, raw) {
			break // the self-signed root
		}
		m = next
	}
	return chain
}
