package tlsplug

// #include <tlsplug.h>
import "C"

import (
	"encoding/json"
	"strings"
)

// The rest of Node 20's tls surface on a Conn: exportKeyingMaterial, the
// X509Certificate objects, getSharedSigalgs, enableTrace.

// SharedSigalgs is Node's getSharedSigalgs(): the signature algorithms both
// ends can use, in Node's names ("RSA-PSS+SHA256", "ECDSA+SHA384"). A
// client's list is empty unless the server asked for a certificate, and
// so is any list before the peer's hello. Once the connection closed: nil
// and an *Error with StatusEUnavailable (Node's null).
func (c *Conn) SharedSigalgs() ([]string, error) {
	var js string
	if err := c.query(func(s *C.tlsplug_socket) (err error) { js, err = cSocketGetSharedSigalgs(s); return }); err != nil {
		return nil, err
	}
	list := []string{}
	if err := json.Unmarshal([]byte(js), &list); err != nil {
		return nil, err
	}
	return list, nil
}

// SignatureAlgorithm is the TLS signature scheme this end signed the
// handshake with ("rsa_pss_rsae_sha256", "ecdsa_secp256r1_sha256"); ""
// when it signed nothing (a client without a certificate, a resumption)
// or before the handshake. PeerSignatureAlgorithm is the peer's.
func (c *Conn) SignatureAlgorithm() string { return c.text(cSocketGetSignatureAlgorithm) }

// PeerSignatureAlgorithm: see SignatureAlgorithm.
func (c *Conn) PeerSignatureAlgorithm() string { return c.text(cSocketGetPeerSignatureAlgorithm) }

// ExportKeyingMaterial is Node's exportKeyingMaterial(length, label,
// context), with crypto/tls's ConnectionState.ExportKeyingMaterial
// signature: length bytes of the RFC 5705 / RFC 8446 exporter, equal on
// both ends. A nil context is "no context", which TLS 1.2 tells from an
// empty one. Errors are *Error with Node's code: ERR_OUT_OF_RANGE for a
// length outside 1..2^32-1, ERR_TLS_INVALID_STATE before the handshake,
// ERR_SSL_TLS_ILLEGAL_EXPORTER_LABEL for a label TLS 1.2 reserves.
func (c *Conn) ExportKeyingMaterial(label string, context []byte, length int) ([]byte, error) {
	if length < 1 || uint64(length) > 1<<32-1 {
		return nil, errorf("ERR_OUT_OF_RANGE",
			"The value of \"length\" is out of range. It must be >= 1 && <= 4294967295. Received %d", length)
	}
	out := make([]byte, length)
	var n int
	err := c.query(func(s *C.tlsplug_socket) (err error) {
		n, err = cSocketExportKeyingMaterial(s, []byte(label), context, out)
		return
	})
	if err != nil {
		return nil, err
	}
	return out[:n], nil
}

// ALPNInfo is what Node's ALPNCallback receives: the client's SNI name
// ("" when it sent none) and the protocols it offers, in its order.
type ALPNInfo struct {
	ServerName string
	Protocols  []string
}

// answerALPN asks the server's ALPNCallback and answers the held socket.
func (s *TLSServer) answerALPN(c *Conn, wire []byte) {
	info := ALPNInfo{ServerName: c.Servername()}
	for i := 0; i < len(wire) && i+1+int(wire[i]) <= len(wire); i += 1 + int(wire[i]) {
		info.Protocols = append(info.Protocols, string(wire[i+1:i+1+int(wire[i])]))
	}
	proto, ok := s.ALPNCallback(info)
	c.answer(func(sock *C.tlsplug_socket) error {
		if !ok {
			return cSocketAlpnCallbackDone(sock, nil)
		}
		return cSocketAlpnCallbackDone(sock, []byte(proto))
	})
}

// RootCertificates is Node's tls.rootCertificates: the PEMs a Config
// without CA trusts (the system's trust store), each from "-----BEGIN
// CERTIFICATE-----\n" to "\n-----END CERTIFICATE-----". A fresh slice on
// every call, so callers cannot change anyone else's.
func RootCertificates() ([]string, error) {
	text, err := cRootCertificates()
	if err != nil {
		return nil, err
	}
	var out []string
	const end = "\n-----END CERTIFICATE-----"
	for {
		i := strings.Index(text, end)
		if i < 0 {
			return out, nil
		}
		out = append(out, strings.TrimLeft(text[:i+len(end)], "\n"))
		text = text[i+len(end):]
	}
}

// buildEngines refuses Node's engine options explicitly (GnuTLS has none);
// an empty string is "not given" (NULL).
func (c *Config) buildEngines(h *C.tlsplug_context) error {
	if c.PrivateKeyEngine != "" || c.PrivateKeyIdentifier != "" {
		if err := cContextSetPrivateKeyEngine(h, c.PrivateKeyEngine, c.PrivateKeyIdentifier); err != nil {
			return err
		}
	}
	if c.ClientCertEngine != "" {
		return cContextSetClientCertEngine(h, c.ClientCertEngine)
	}
	return nil
}
