package tlsplug

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"
)

func TestReadDeadlineTimeout(t *testing.T) {
	l := serve(t, serverConfig(t), echo)
	c, err := Dial("tcp", l.Addr().String(), clientConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	start := time.Now()
	_, err = c.Read(make([]byte, 10))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("err = %v, want a timeout net.Error", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatal("deadline ignored")
	}
	// A read timeout is not fatal: the connection still works.
	c.SetReadDeadline(time.Time{})
	if _, err := c.Write([]byte("again")); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 5)
	if _, err := io.ReadFull(c, b); err != nil || string(b) != "again" {
		t.Fatalf("%q %v", b, err)
	}
}

func TestWriteDeadlineTimeout(t *testing.T) {
	// The server never reads: writes fill the socket buffers, then time out.
	lc, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	hold := make(chan net.Conn, 1)
	go func() {
		raw, err := lc.Accept()
		if err != nil {
			return
		}
		s := Server(raw, serverConfig(t))
		s.Handshake()
		hold <- raw // keep it open, never read
	}()
	c, err := Dial("tcp", lc.Addr().String(), clientConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	raw := <-hold
	defer raw.Close()
	c.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
	chunk := make([]byte, 1<<20)
	var werr error
	bounded(t, 30*time.Second, "write with deadline", func() {
		for i := 0; i < 1024 && werr == nil; i++ {
			_, werr = c.Write(chunk)
		}
	})
	var ne net.Error
	if !errors.As(werr, &ne) || !ne.Timeout() {
		t.Fatalf("err = %v, want a timeout net.Error", werr)
	}
}

func TestCloseUnblocksRead(t *testing.T) {
	l := serve(t, serverConfig(t), echo)
	c, err := Dial("tcp", l.Addr().String(), clientConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	res := make(chan error, 1)
	started := make(chan struct{})
	go func() {
		close(started)
		_, err := c.Read(make([]byte, 10))
		res <- err
	}()
	<-started
	// Wait until the reader holds the read lock (it is then in Read, on its
	// way to, or blocked in, the transport's Read).
	for c.readMu.TryLock() {
		c.readMu.Unlock()
		select {
		case err := <-res:
			t.Fatalf("read returned early: %v", err)
		default:
			runtime.Gosched()
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-res:
		if err == nil {
			t.Fatal("read after close: no error")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Read still blocked after Close")
	}
	if _, err := c.Write([]byte("x")); err == nil {
		t.Fatal("write after close succeeded")
	}
	if err := c.Close(); err == nil {
		t.Fatal("second Close: want an error")
	}
}

// 64 MiB each way, concurrently, through an echo server: writer and reader
// goroutines share one Conn.
func TestCopy64MiBBothWays(t *testing.T) {
	const size = 64 << 20
	l := serve(t, serverConfig(t), func(c *Conn) { io.Copy(c, c); c.CloseWrite() })
	c, err := Dial("tcp", l.Addr().String(), clientConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	src := io.LimitReader(rand.New(rand.NewSource(1)), size)
	want := sha256.New()
	var werr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, werr = io.Copy(c, io.TeeReader(src, want))
		if werr == nil {
			werr = c.CloseWrite()
		}
	}()
	got := sha256.New()
	var n int64
	bounded(t, 90*time.Second, "64 MiB echo", func() { n, err = io.Copy(got, c) })
	wg.Wait()
	if err != nil || werr != nil {
		t.Fatalf("read err %v, write err %v", err, werr)
	}
	if n != size || fmt.Sprintf("%x", got.Sum(nil)) != fmt.Sprintf("%x", want.Sum(nil)) {
		t.Fatalf("echoed %d bytes, digest mismatch or short", n)
	}
}

func TestManyConcurrentConnections(t *testing.T) {
	const conns = 100
	l := serve(t, serverConfig(t), echo)
	cfg := clientConfig(t)
	cfg.ServerName = "localhost"
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, err := Dial("tcp", l.Addr().String(), cfg)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(60 * time.Second))
			msg := []byte(fmt.Sprintf("conn %d says hi", i))
			var rerr error
			got := make([]byte, len(msg))
			done := make(chan struct{})
			go func() { defer close(done); _, rerr = io.ReadFull(c, got) }()
			if _, err := c.Write(msg); err != nil {
				errs <- err
				return
			}
			<-done
			if rerr != nil || string(got) != string(msg) {
				errs <- fmt.Errorf("conn %d: %q %v", i, got, rerr)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
