//go:build cgo

package tlsplug

import (
	"errors"
	"fmt"
	"net"
	"syscall"
)

// Error is a failure the C library reported: its status, Node's error code
// (CERT_HAS_EXPIRED, ECONNRESET, ERR_TLS_CERT_ALTNAME_INVALID, ...), the
// message, the GnuTLS error and the TLS alert, read in the same C call as the
// failing one.
type Error struct {
	Status         Status
	Code           string
	Message        string
	GnuTLS         string // GNUTLS_E_... name, "" when none
	GnuTLSCode     int
	Alert          int // TLS alert number, -1 when none
	AlertDirection AlertDirection
	// Cause is the Go error behind it, when there is one (the *net.OpError
	// of a refused connect): Unwrap answers it, so errors.Is(err,
	// syscall.ECONNREFUSED) and errors.As(err, **net.OpError) see through.
	Cause error
}

func (e *Error) Error() string {
	s := "tlsplug: "
	if e.Code != "" {
		s += e.Code + ": "
	}
	s += e.Message
	if e.Code == "" && e.Message == "" {
		s += e.Status.String()
	}
	return s
}

// Unwrap answers the Go error behind this one, nil when none.
func (e *Error) Unwrap() error { return e.Cause }

// Is matches the package's sentinel errors (ErrCertificateVerification,
// ErrConnectionRefused, ...); a syscall.Errno whose name is the Node code
// (ECONNRESET from the library matches syscall.ECONNRESET); and another
// *Error by status (and code when the target has one).
func (e *Error) Is(target error) bool {
	switch t := target.(type) {
	case *kindError:
		return t.match(e)
	case syscall.Errno:
		return e.Cause == nil && e.Code != "" && errnoCodes[t] == e.Code
	case *Error:
		return t.Status == e.Status && (t.Code == "" || t.Code == e.Code)
	}
	return false
}

// Timeout makes *Error a net.Error: true for a handshake timeout, a
// connect that timed out, or a Cause that says so.
func (e *Error) Timeout() bool {
	var ne net.Error
	if errors.As(e.Cause, &ne) && ne.Timeout() {
		return true
	}
	return e.Code == "ERR_TLS_HANDSHAKE_TIMEOUT" || e.Code == "ETIMEDOUT"
}

// Temporary is net.Error's deprecated method: a timeout is temporary.
func (e *Error) Temporary() bool { return e.Timeout() }

// kindError is a sentinel: a kind of failure, matched by (*Error).Is.
type kindError struct {
	text  string
	match func(*Error) bool
}

func (k *kindError) Error() string { return "tlsplug: " + k.text }

func withCode(code string) func(*Error) bool {
	return func(e *Error) bool { return e.Code == code }
}

func withStatus(st Status) func(*Error) bool {
	return func(e *Error) bool { return e.Status == st }
}

// Sentinel errors for errors.Is. The *Error keeps Node's own code (Code)
// for the detail.
var (
	// ErrCertificateVerification: the peer's certificate was refused
	// (CERT_HAS_EXPIRED, UNABLE_TO_VERIFY_LEAF_SIGNATURE,
	// ERR_TLS_CERT_ALTNAME_INVALID, ...) with RejectUnauthorized on.
	ErrCertificateVerification error = &kindError{"certificate verification failed", withStatus(StatusEVerify)}
	// ErrHandshakeTimeout: Node's ERR_TLS_HANDSHAKE_TIMEOUT (a TLSServer's
	// HandshakeTimeout passed).
	ErrHandshakeTimeout error = &kindError{"TLS handshake timeout", withCode("ERR_TLS_HANDSHAKE_TIMEOUT")}
	// ErrKeyMismatch: a key that does not match its certificate, refused
	// when the Config is built (Node's ERR_OSSL_X509_KEY_VALUES_MISMATCH).
	ErrKeyMismatch error = &kindError{"key does not match the certificate", withCode("ERR_OSSL_X509_KEY_VALUES_MISMATCH")}
	// ErrCredentials: a key, certificate, CA, CRL or PFX that cannot be
	// used (bad PEM, wrong passphrase, key mismatch).
	ErrCredentials error = &kindError{"unusable credentials", withStatus(StatusECredentials)}
	// ErrTLS: a TLS protocol failure (an alert, a malformed record); the
	// alert is in the *Error.
	ErrTLS error = &kindError{"TLS protocol failure", withStatus(StatusETls)}
	// ErrConnectionRefused and ErrConnectionReset: Node's ECONNREFUSED and
	// ECONNRESET (a peer that hung up during the handshake is ECONNRESET,
	// as in Node). errors.Is(err, syscall.ECONNREFUSED) matches too.
	ErrConnectionRefused error = &kindError{"connection refused", withCode("ECONNREFUSED")}
	ErrConnectionReset   error = &kindError{"connection reset", withCode("ECONNRESET")}
	// ErrUnsupported: what GnuTLS cannot do (TLSPLUG_E_UNSUPPORTED).
	ErrUnsupported error = &kindError{"not supported", withStatus(StatusEUnsupported)}
)

// errnoCodes names the errnos Node reports as codes.
var errnoCodes = map[syscall.Errno]string{
	syscall.ECONNREFUSED: "ECONNREFUSED", syscall.ECONNRESET: "ECONNRESET",
	syscall.ECONNABORTED: "ECONNABORTED", syscall.EPIPE: "EPIPE", syscall.ETIMEDOUT: "ETIMEDOUT",
	syscall.EHOSTUNREACH: "EHOSTUNREACH", syscall.ENETUNREACH: "ENETUNREACH",
	syscall.EADDRINUSE: "EADDRINUSE", syscall.ENOENT: "ENOENT", syscall.EACCES: "EACCES",
	syscall.EISDIR: "EISDIR",
}

// netError wraps a transport failure (a refused or reset connect) in an
// *Error with Node's code (ECONNREFUSED, ...) and the Go error as Cause.
func netError(err error) error {
	var errno syscall.Errno
	if err == nil || !errors.As(err, &errno) || errnoCodes[errno] == "" {
		return err
	}
	return &Error{Status: StatusENet, Code: errnoCodes[errno], Message: err.Error(), Alert: -1, Cause: err}
}

// timeoutError is returned when a deadline passes; it is a net.Error.
type timeoutError struct{}

func (timeoutError) Error() string   { return "tlsplug: i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

var errClosed = errors.New("tlsplug: use of closed connection")

func errorf(code, format string, args ...any) error {
	return &Error{Status: StatusEInval, Code: code, Message: fmt.Sprintf(format, args...), Alert: -1}
}
