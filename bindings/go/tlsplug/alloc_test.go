package tlsplug

import (
	"errors"
	"testing"
)

// The hot paths' expected statuses (E_AGAIN from read and pull) cost no
// allocation: the shim fetches no detail for them and the wrapper answers a
// shared error. A real failure still carries its detail (TestErrorDetailInSameCall).
func TestAgainDoesNotAllocate(t *testing.T) {
	ctx, err := cContextNew()
	if err != nil {
		t.Fatal(err)
	}
	defer cContextFree(ctx)
	sock, err := cSocketNew(ctx, int(cRoleClient))
	if err != nil {
		t.Fatal(err)
	}
	defer cSocketFree(sock)
	buf := make([]byte, 64)
	_, err = cSocketRead(sock, buf)
	var e *Error
	if !errors.As(err, &e) || e.Status != StatusEAgain {
		t.Fatalf("read on a new socket: %v, want E_AGAIN", err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := cSocketRead(sock, buf); err == nil {
			t.Fatal("read succeeded")
		}
	})
	// cgo's own escapes stay (the length out-parameter and one argument
	// slot: two 8-byte objects); the ~1.3 KB error detail and the *Error
	// (5 objects, 1520 bytes, before) must not come back.
	if allocs > 2 {
		t.Fatalf("cSocketRead answering E_AGAIN allocates %v objects per call", allocs)
	}
}
