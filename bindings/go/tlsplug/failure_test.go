package tlsplug

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// A server that accepts TCP and never speaks: the context bounds the handshake.
func TestDialContextDeadline(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	held := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			held <- c
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	bounded(t, 20*time.Second, "DialContext", func() {
		_, err = DialContext(ctx, "tcp", l.Addr().String(), clientConfig(t))
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
	(<-held).Close()
}

// The peer drops TCP without close_notify: Node's ECONNRESET, not a clean EOF.
// A peer that hangs up without close_notify after the handshake has ended
// the stream, as Node sees it ('end', no error): Read gives the data, then
// io.EOF.
func TestEndWithoutCloseNotifyIsEOF(t *testing.T) {
	l := serve(t, serverConfig(t), func(c *Conn) {
		if c.Handshake() == nil {
			c.Write([]byte("partial"))
			c.NetConn().Close() // no close_notify
		}
	})
	c, err := Dial("tcp", l.Addr().String(), clientConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	buf := make([]byte, 64)
	got := 0
	for {
		n, err := c.Read(buf[got:])
		got += n
		if err != nil {
			if err != io.EOF {
				t.Fatalf("after %q: err = %v, want io.EOF", buf[:got], err)
			}
			break
		}
	}
	if string(buf[:got]) != "partial" {
		t.Fatalf("read %q", buf[:got])
	}
}

// The shim copies the detail in the failing call: status, code and message.
func TestErrorDetailInSameCall(t *testing.T) {
	h, err := cContextNew()
	if err != nil {
		t.Fatal(err)
	}
	defer cContextFree(h)
	err = cContextSetMinVersion(h, "TLSv0.9")
	var e *Error
	if !errors.As(err, &e) || e.Status != StatusEInval || e.Message == "" {
		t.Fatalf("err = %#v", err)
	}
	if err := cContextFree(h); err != nil {
		t.Fatal(err)
	}
	// Freed twice: BADHANDLE, no detail, no crash.
	if err := cContextFree(h); !errors.As(err, &e) || e.Status != StatusEBadhandle {
		t.Fatalf("double free: %v", err)
	}
	if cAbiVersion() < abiVersion {
		t.Fatal("ABI version")
	}
}
