package tlsplug

// The Go half of the binding's runtime: what the generated wrappers in
// zabi.go call and what does not vary with the registry. Hand-written, so
// gofmt, vet and the tests see it as ordinary code.

// #cgo pkg-config: tlsplug
// #include <stdlib.h>
// #include <tlsplug.h>
// #include "runtime.h"
import "C"

import "unsafe"

// quietErrors are the errors of the statuses that are answers, not failures
// (E_AGAIN, E_BUFSIZE, E_UNAVAILABLE: runtime.c's tpg_quiet): one shared,
// preallocated value each, so that the hot paths' expected statuses cost no
// allocation. Callers compare their Status and never modify them.
var quietErrors = map[Status]*Error{
	StatusEAgain:       {Status: StatusEAgain, Message: StatusEAgain.String(), Alert: -1},
	StatusEBufsize:     {Status: StatusEBufsize, Message: StatusEBufsize.String(), Alert: -1},
	StatusEUnavailable: {Status: StatusEUnavailable, Message: StatusEUnavailable.String(), Alert: -1},
}

// newError turns a shim's failing tpg_ret into an error, and frees the
// detail it carried. Without detail (a quiet status, no handle, a bad
// handle), the message is the status's name.
func newError(r C.tpg_ret) error {
	st := Status(r.st)
	if r.err == nil {
		if q := quietErrors[st]; q != nil {
			return q
		}
		return &Error{Status: st, Message: st.String(), Alert: -1}
	}
	e := r.err
	err := &Error{Status: st, Code: C.GoString(&e.code[0]), Message: C.GoString(&e.message[0]),
		GnuTLS: C.GoString(&e.gnutls[0]), GnuTLSCode: int(e.gnutls_error), Alert: int(e.alert),
		AlertDirection: AlertDirection(e.alert_direction)}
	C.free(unsafe.Pointer(e))
	if err.Message == "" {
		err.Message = st.String()
	}
	return err
}

// dropDetail frees the detail of a tpg_ret whose status is not reported
// (a string getter that retries with a larger buffer).
func dropDetail(r C.tpg_ret) {
	if r.err != nil {
		C.free(unsafe.Pointer(r.err))
	}
}

// cstr copies s into C memory; a nullable empty string becomes NULL.
func cstr(s string, nullable bool) *C.char {
	if nullable && s == "" {
		return nil
	}
	return C.CString(s)
}

func freeCStr(p *C.char) {
	if p != nil {
		C.free(unsafe.Pointer(p))
	}
}

// bytesPtr is the address of b's first byte, nil for an empty slice. C only
// borrows it for the duration of one call.
func bytesPtr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(&b[0])
}

// emptyByte gives an empty, non-nil slice a non-NULL address.
var emptyByte [1]byte

// nullableBytesPtr is bytesPtr for a parameter where NULL means "absent":
// only a nil slice is NULL, an empty one points at emptyByte.
func nullableBytesPtr(b []byte) unsafe.Pointer {
	if b == nil {
		return nil
	}
	if len(b) == 0 {
		return unsafe.Pointer(&emptyByte[0])
	}
	return unsafe.Pointer(&b[0])
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

func itoa(v int) string {
	if v == 0 {
		return "0"
	}
	neg := v < 0
	if neg {
		v = -v
	}
	var b [24]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// apiTableSize answers the size field of a table from tlsplug_get_api
// and sizeof(struct tlsplug_api) in this layer's header: the table must
// be at least that long (it only grows at its end; docs/ABI.md).
func apiTableSize(t *C.tlsplug_api) (have, want int) {
	return int(t.size), int(C.sizeof_tlsplug_api)
}
