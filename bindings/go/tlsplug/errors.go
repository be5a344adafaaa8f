package tlsplug

import (
	"errors"
	"fmt"
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

// Is matches another *Error by status (and code when the target has one).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return t.Status == e.Status && (t.Code == "" || t.Code == e.Code)
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
