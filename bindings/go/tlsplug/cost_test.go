package tlsplug

import (
	"io"
	"net"
	"runtime"
	"testing"
	"time"
)

// What the binding costs in the units that do not depend on the machine's
// load: cgo calls, heap allocations and the heap an idle connection keeps.
// Both ends run in this process, so every figure is for both.
// `go test -run x -bench . ` reports them per record and per handshake
// (tests/bench/README.md, "The Go binding").

type costs struct{ cgo, mallocs, bytes uint64 }

func measureCosts(f func()) costs {
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	c0 := runtime.NumCgoCall()
	f()
	c1 := runtime.NumCgoCall()
	runtime.ReadMemStats(&m1)
	return costs{uint64(c1 - c0), m1.Mallocs - m0.Mallocs, m1.TotalAlloc - m0.TotalAlloc}
}

// tcpPair is a connected pair of loopback TCP connections.
func tcpPair(t testing.TB) (client, server net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept() // nil on failure
		accepted <- c
	}()
	client, err = net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	select {
	case server = <-accepted:
	case <-time.After(10 * time.Second):
		t.Fatal("accept timed out")
	}
	if server == nil {
		t.Fatal("accept failed")
	}
	return client, server
}

// costConfigs are the benchmark programs' settings (tests/bench): TLS 1.3,
// AES-128-GCM, X25519, an ECDSA server; their contexts built beforehand.
func costConfigs(t testing.TB) (client, server *Config) {
	server = &Config{Key: [][]byte{pki(t, "server-ec.key")}, Cert: [][]byte{pki(t, "server-ec-chain.pem")},
		MinVersion: "TLSv1.3", Ciphers: "TLS_AES_128_GCM_SHA256", ECDHCurve: "X25519"}
	client = &Config{CA: [][]byte{pki(t, "ca.pem")}, ServerName: "localhost",
		MinVersion: "TLSv1.3", Ciphers: "TLS_AES_128_GCM_SHA256", ECDHCurve: "X25519"}
	for _, c := range []*Config{client, server} {
		if _, err := c.context(); err != nil {
			t.Fatal(err)
		}
	}
	return client, server
}

// exchange runs the benchmarks' connection: handshake, one byte each way.
// The server's Conn is handed to keep (nil: it reads to the end and closes).
func exchange(t testing.TB, ccfg, scfg *Config, keep func(s *Conn)) *Conn {
	rc, rs := tcpPair(t)
	c, s := Client(rc, ccfg), Server(rs, scfg)
	done := make(chan error, 1)
	go func() {
		var b [1]byte
		_, err := io.ReadFull(s, b[:])
		if err == nil {
			_, err = s.Write(b[:])
		}
		if err == nil && keep == nil {
			_, _ = io.Copy(io.Discard, s)
			s.Close()
		}
		done <- err
	}()
	var b [1]byte
	if _, err := c.Write([]byte("p")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, b[:]); err != nil {
		t.Fatal(err)
	}
	if keep != nil {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		keep(s)
	}
	return c
}

// bulkCosts: n 16 KiB writes from the client to a server reading 16 KiB at
// a time, after the handshake.
func bulkCosts(t testing.TB, n int) costs {
	ccfg, scfg := costConfigs(t)
	var s *Conn
	c := exchange(t, ccfg, scfg, func(srv *Conn) { s = srv })
	defer c.Close()
	defer s.Close()
	buf, rbuf := make([]byte, 16<<10), make([]byte, 16<<10)
	return measureCosts(func() {
		done := make(chan error, 1)
		go func() {
			for i := 0; i < n; i++ {
				if _, err := c.Write(buf); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
		for total := 0; total < n*len(buf); {
			m, err := s.Read(rbuf)
			if err != nil {
				t.Fatal(err)
			}
			total += m
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

// resumeCosts: n handshakes resumed with the priming connection's session,
// each with the one-byte exchange and Close on both ends.
func resumeCosts(t testing.TB, n int) costs {
	ccfg, scfg := costConfigs(t)
	c := exchange(t, ccfg, scfg, nil)
	sess := c.Session()
	c.Close()
	if len(sess) == 0 {
		t.Fatal("no session from the priming connection")
	}
	rcfg := ccfg.clone()
	rcfg.Session = sess
	if _, err := rcfg.context(); err != nil {
		t.Fatal(err)
	}
	return measureCosts(func() {
		for i := 0; i < n; i++ {
			c := exchange(t, rcfg, scfg, nil)
			if !c.IsSessionReused() {
				t.Fatalf("handshake %d did not resume", i)
			}
			c.Close()
		}
	})
}

func BenchmarkBulk(b *testing.B) {
	c := bulkCosts(b, b.N)
	b.SetBytes(16 << 10)
	b.ReportMetric(float64(c.cgo)/float64(b.N), "cgo/record")
	b.ReportMetric(float64(c.mallocs)/float64(b.N), "allocs/record")
	b.ReportMetric(float64(c.bytes)/float64(b.N), "B/record")
}

func BenchmarkResume(b *testing.B) {
	c := resumeCosts(b, b.N)
	b.ReportMetric(float64(c.cgo)/float64(b.N), "cgo/hs")
	b.ReportMetric(float64(c.mallocs)/float64(b.N), "allocs/hs")
	b.ReportMetric(float64(c.bytes)/float64(b.N), "B/hs")
}

// A record costs one cgo call per transport write on the sending side and
// at most two per transport read on the receiving side (the call that finds
// nothing left, then the feed_read of what the transport read), and no
// allocation: the wrappers answer their outputs by value and the binding
// keeps no per-call garbage (errors.As, copies).
func TestBulkCostsPerRecord(t *testing.T) {
	const n = 2000
	c := bulkCosts(t, n)
	perRecord, allocs := float64(c.cgo)/n, float64(c.mallocs)/n
	t.Logf("%.2f cgo calls, %.2f allocations (%.0f bytes) per 16 KiB record", perRecord, allocs,
		float64(c.bytes)/n)
	if perRecord > 3 {
		t.Errorf("%.2f cgo calls per record, want at most 3", perRecord)
	}
	if allocs > 0.5 && !raceEnabled {
		t.Errorf("%.2f allocations per record, want none", allocs)
	}
}

// An idle connection keeps no transfer or event buffer on the Go heap: what
// stays is the Conn, its transport and (client) the last session blob.
func TestIdleConnKeepsNoBuffers(t *testing.T) {
	const pairs = 100
	ccfg, scfg := costConfigs(t)
	heap := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.GC() // and the pools' victim caches
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	h0 := heap()
	conns := make([]*Conn, 0, 2*pairs)
	for i := 0; i < pairs; i++ {
		c := exchange(t, ccfg, scfg, func(s *Conn) { conns = append(conns, s) })
		conns = append(conns, c)
	}
	h1 := heap()
	perPair := float64(h1-h0) / pairs
	sessionLen := len(conns[1].session)
	for _, c := range conns {
		c.Close()
	}
	t.Logf("%.0f bytes of Go heap per idle pair (client session blob %d bytes)", perPair, sessionLen)
	if limit := float64(sessionLen) + 3072; perPair > limit && !raceEnabled {
		t.Errorf("%.0f bytes of Go heap per idle pair, want at most %.0f", perPair, limit)
	}
}
