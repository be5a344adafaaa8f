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
	// Nothing at all: the length comes back by value and the handle goes as
	// a uintptr (before: the ~1.3 KB error detail and the *Error, 5 objects,
	// then cgo's escapes of the out-parameter and the handle's box).
	if allocs > 0 {
		t.Fatalf("cSocketRead answering E_AGAIN allocates %v objects per call", allocs)
	}
}
