package tlsplug

// #include <tlsplug.h>
import "C"

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strings"
)

// X509Certificate is Node's crypto.X509Certificate for a connection's
// certificates (Conn.X509Certificate, Conn.PeerX509Certificate) or one
// made by NewX509Certificate. The fields are Node's (from the library's
// certificate object); the checks are GnuTLS's, through the C ABI. Parse
// gives crypto/x509's view of the same DER.
type X509Certificate struct {
	Raw                                         []byte // DER
	Subject, Issuer                             string // Node's "K=V" lines
	SubjectAltName                              string // "DNS:a, IP Address:1.2.3.4", "" when none
	SerialNumber                                string // uppercase hex
	ValidFrom, ValidTo                          string // "Jan  1 00:00:00 2030 GMT"
	Fingerprint, Fingerprint256, Fingerprint512 string
	CA                                          bool
	KeyUsage                                    []string // extended key usage OIDs
	// PublicKeyType is "rsa" or "ec" (Node's publicKey.asymmetricKeyType).
	PublicKeyType string
	// IssuerCertificate is the issuer the peer presented, nil otherwise.
	IssuerCertificate *X509Certificate
}

// NewX509Certificate reads a certificate from PEM or DER.
func NewX509Certificate(data []byte) (*X509Certificate, error) {
	der := data
	if b, _ := pem.Decode(data); b != nil {
		der = b.Bytes
	}
	js, err := cCertToJson(der)
	if err != nil {
		return nil, err
	}
	m, err := decodeCert(js)
	if err != nil {
		return nil, err
	}
	var names struct{ Subject, Issuer json.RawMessage }
	if err := json.Unmarshal([]byte(js), &names); err != nil {
		return nil, err
	}
	str := func(k string) string { s, _ := m[k].(string); return s }
	c := &X509Certificate{Raw: append([]byte(nil), der...), Subject: dn(names.Subject),
		Issuer: dn(names.Issuer), SubjectAltName: str("subjectaltname"),
		SerialNumber: str("serialNumber"), ValidFrom: str("valid_from"), ValidTo: str("valid_to"),
		Fingerprint: str("fingerprint"), Fingerprint256: str("fingerprint256"),
		Fingerprint512: str("fingerprint512")}
	c.CA, _ = m["ca"].(bool)
	if ku, ok := m["ext_key_usage"].([]any); ok {
		for _, u := range ku {
			c.KeyUsage = append(c.KeyUsage, fmt.Sprint(u))
		}
	}
	if _, ok := m["modulus"]; ok {
		c.PublicKeyType = "rsa"
	} else if _, ok := m["asn1Curve"]; ok {
		c.PublicKeyType = "ec"
	}
	return c, nil
}

// dn is Node's text of a name: "K=V" lines in the object's order (DER
// order, which a Go map would lose), a repeated key's values one per line.
func dn(obj json.RawMessage) string {
	var lines []string
	dec := json.NewDecoder(bytes.NewReader(obj))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			break
		}
		var v any
		if dec.Decode(&v) != nil {
			break
		}
		vals, ok := v.([]any)
		if !ok {
			vals = []any{v}
		}
		for _, one := range vals {
			lines = append(lines, fmt.Sprintf("%v=%v", k, one))
		}
	}
	return strings.Join(lines, "\n")
}

// Parse is crypto/x509's parse of the same certificate.
func (c *X509Certificate) Parse() (*x509.Certificate, error) { return x509.ParseCertificate(c.Raw) }

// String is the certificate in PEM, as Node's toString().
func (c *X509Certificate) String() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
}

// Equal tells whether both are the same certificate.
func (c *X509Certificate) Equal(o *X509Certificate) bool {
	return o != nil && bytes.Equal(c.Raw, o.Raw)
}

func (c *X509Certificate) check(kind cX509CheckKind, value string) (bool, error) {
	if err := checkName("name", value); err != nil {
		return false, err
	}
	m, err := cX509Check(c.Raw, int(kind), value)
	return m == 1, err
}

// CheckHost is Node's checkHost: the certificate's name that host matches
// (the entry, e.g. a wildcard), "" when none.
func (c *X509Certificate) CheckHost(host string) (string, error) {
	ok, err := c.check(cX509CheckKindHost, host)
	if !ok || err != nil {
		return "", err
	}
	var dns []string
	for _, e := range strings.Split(c.SubjectAltName, ", ") {
		if strings.HasPrefix(e, "DNS:") {
			dns = append(dns, e[4:])
		}
	}
	low := strings.ToLower(host)
	for _, e := range dns {
		l := strings.ToLower(e)
		_, rest, _ := strings.Cut(low, ".")
		if l == low || (strings.HasPrefix(l, "*.") && rest == l[2:]) {
			return e, nil
		}
	}
	return host, nil
}

// CheckEmail is Node's checkEmail: email when the certificate names it.
func (c *X509Certificate) CheckEmail(email string) (string, error) {
	if ok, err := c.check(cX509CheckKindEmail, email); !ok || err != nil {
		return "", err
	}
	return email, nil
}

// CheckIP is Node's checkIP: ip when the certificate names it.
func (c *X509Certificate) CheckIP(ip string) (string, error) {
	if ok, err := c.check(cX509CheckKindIp, ip); !ok || err != nil {
		return "", err
	}
	return ip, nil
}

// CheckIssued is Node's checkIssued: whether other issued c (by name).
func (c *X509Certificate) CheckIssued(other *X509Certificate) (bool, error) {
	v, err := cX509CheckIssued(c.Raw, other.Raw)
	return v == 1, err
}

// Verify is Node's verify(publicKey): whether c's signature verifies with
// key, a SubjectPublicKeyInfo or a certificate, PEM or DER.
func (c *X509Certificate) Verify(key []byte) (bool, error) {
	v, err := cX509Verify(c.Raw, key)
	return v == 1, err
}

// X509Certificate is Node's getX509Certificate(): the local certificate,
// nil when none.
func (c *Conn) X509Certificate() (*X509Certificate, error) {
	m, err := c.Certificate()
	if err != nil {
		return nil, err
	}
	raw, ok := m["raw"].([]byte)
	if !ok {
		return nil, nil
	}
	return NewX509Certificate(raw)
}

// PeerX509Certificate is Node's getPeerX509Certificate(): the peer's
// certificate, IssuerCertificate linked along the chain it presented.
func (c *Conn) PeerX509Certificate() (*X509Certificate, error) {
	var chain []*X509Certificate
	for depth := uint32(0); depth < 64; depth++ {
		var der []byte
		err := c.query(func(s *C.tlsplug_socket) (err error) {
			der, err = growBytes(func(buf []byte) (int, error) {
				return cSocketPeerCertField(s, depth, int(cCertFieldRaw), buf)
			})
			return
		})
		if err != nil {
			break // no certificate at this depth
		}
		x, err := NewX509Certificate(der)
		if err != nil {
			return nil, err
		}
		chain = append(chain, x)
	}
	for i := 0; i+1 < len(chain); i++ {
		if ok, _ := chain[i].CheckIssued(chain[i+1]); ok && !chain[i].Equal(chain[i+1]) {
			chain[i].IssuerCertificate = chain[i+1]
		}
	}
	if len(chain) == 0 {
		return nil, nil
	}
	return chain[0], nil
}
