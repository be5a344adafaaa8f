//go:build cgo

// Package tlsplug is Node.js's tls module for Go, on libtlsplug (GnuTLS).
//
// Conn implements net.Conn over any transport net.Conn; Client, Server,
// Dial, DialContext and Listen mirror crypto/tls. The C library's pump is
// driven by Go's own IO, and its events are queued and read after each C
// call; the one exception is the PSK key, which GnuTLS asks for inside the
// handshake, so the library calls back into Go for it (psk.go).
package tlsplug

import (
	"fmt"
	"strings"
)

// init checks the ABI through the library's one versioned entry point,
// tlsplug_get_api, asked for the version this binding was generated for: a
// library that refuses it is older than the binding. (One that lacks the
// symbol altogether fails earlier, in the dynamic loader.)
func init() {
	t, err := cGetApi(abiVersion)
	if err != nil || t == nil {
		panic(fmt.Sprintf("tlsplug: libtlsplug refuses ABI version %d, the version this binding needs "+
			"(it implements version %d, %s): %v", abiVersion, cAbiVersion(), cVersionString(), err))
	}
	if have, want := apiTableSize(t); have < want {
		panic(fmt.Sprintf("tlsplug: libtlsplug hands out a function table of %d bytes, shorter than the %d bytes "+
			"of ABI version %d: a broken library (%s)", have, want, abiVersion, cVersionString()))
	}
}

// Version is the loaded library's version string (with GnuTLS's).
func Version() string { return cVersionString() }

// GetCiphers is Node's tls.getCiphers(): the suite names tlsplug can negotiate.
func GetCiphers() []string {
	s, err := cGetCiphers()
	if err != nil || s == "" {
		return nil
	}
	return strings.Split(s, ":")
}

// CheckServerIdentity is Node's tls.checkServerIdentity(host, cert) on a DER
// certificate: nil when host matches, else an *Error with Code
// ERR_TLS_CERT_ALTNAME_INVALID and Node's reason as Message.
func CheckServerIdentity(host string, certDER []byte) error {
	if err := checkName("host", host); err != nil {
		return err
	}
	reason, err := cCheckServerIdentity(host, certDER)
	if err != nil {
		if e, ok := err.(*Error); ok && e.Status == StatusEVerify {
			e.Code = "ERR_TLS_CERT_ALTNAME_INVALID"
			if reason != "" {
				e.Message = reason
			}
		}
		return err
	}
	return nil
}

// CertificateJSON is Node's certificate object for a DER certificate, as JSON.
func CertificateJSON(certDER []byte) (string, error) { return cCertToJson(certDER) }

// checkName refuses a name the library compares with a certificate's (a
// host, a server name) when it holds a NUL byte: C would cut it there and
// judge its prefix ("a.example\x00.evil" as "a.example").
func checkName(what, name string) error {
	if strings.IndexByte(name, 0) >= 0 {
		return errorf("ERR_INVALID_ARG_VALUE", "The %q argument must not contain null bytes. Received %q", what, name)
	}
	return nil
}
