// tlsplug's Go binding over loopback TCP: bench_go's program (crypto/tls)
// with tlsplug.Client / tlsplug.Server over the same net.Conns in place of
// tls.Client / tls.Server. Follows the protocol of tests/bench/README.md:
// the server is a child process (this program with --serve; port and report
// come back on its stdout, it exits when its stdin closes), the client is
// this process; each reads getrusage(RUSAGE_SELF) user+system around its own
// timed section and the line reports the sum.
//
//	bench_gotlsplug bulk BYTES | full ecdsa|rsa COUNT | resume COUNT | mem COUNT
//
// TLS 1.3 only, TLS_AES_128_GCM_SHA256, X25519 (set on the Config: tlsplug
// takes Node's ciphers / ecdhCurve); the first connection checks what was
// negotiated. resume offers (*Conn).Session() of the priming connection
// through a Config whose Session is that blob, and checks IsSessionReused.
// Heap for mem is the Go heap (MemStats.HeapAlloc) plus the C heap
// (mallinfo2 uordblks+hblkhd), where libtlsplug and GnuTLS allocate.
//
// Built by tests/bench/run (go build, offline); cgo finds the library with
// PKG_CONFIG_PATH (the driver writes a tlsplug.pc for the build tree) and
// the program runs with LD_LIBRARY_PATH at the build tree's src/.
package main

// #include <malloc.h>
// static size_t c_heap(void) { struct mallinfo2 mi = mallinfo2(); return mi.uordblks + mi.hblkhd; }
import "C"

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"tlsplug.dev/tlsplug"
)

const (
	ioTimeout = 30 * time.Second
	chunk     = 16384
	suite     = "TLS_AES_128_GCM_SHA256"
)

type workload struct {
	kind  string
	rsa   bool
	bytes int64
	count int
}

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "bench_gotlsplug[%d]: %s\n", os.Getpid(), fmt.Sprintf(format, a...))
	os.Exit(1)
}

func check(err error, what string) {
	if err != nil {
		fail("%s: %v", what, err)
	}
}

func parse(args []string) workload {
	bad := func() { fail("usage: bench_gotlsplug bulk BYTES | full ecdsa|rsa COUNT | resume COUNT | mem COUNT") }
	if len(args) < 2 {
		bad()
	}
	w := workload{kind: args[0]}
	var err error
	switch w.kind {
	case "bulk":
		var f float64
		f, err = strconv.ParseFloat(args[1], 64)
		w.bytes = int64(f)
	case "full":
		if len(args) < 3 {
			bad()
		}
		w.rsa = args[1] == "rsa"
		w.count, err = strconv.Atoi(args[2])
	case "resume", "mem":
		w.count, err = strconv.Atoi(args[1])
	default:
		bad()
	}
	if err != nil {
		bad()
	}
	return w
}

func pki(name string) []byte {
	d := os.Getenv("TLSPLUG_PKI")
	if d == "" {
		fail("TLSPLUG_PKI is not set")
	}
	b, err := os.ReadFile(filepath.Join(d, name))
	check(err, name)
	return b
}

func cpuNow() float64 {
	var ru syscall.Rusage
	check(syscall.Getrusage(syscall.RUSAGE_SELF, &ru), "getrusage")
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

// mem: Go heap in use after a collection plus the C malloc heap, and RSS.
func mem() (heap, rss float64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b, err := os.ReadFile("/proc/self/statm")
	check(err, "statm")
	f := strings.Fields(string(b))
	pages, _ := strconv.ParseFloat(f[1], 64)
	return float64(ms.HeapAlloc) + float64(C.c_heap()), pages * float64(os.Getpagesize())
}

func say(v any) {
	b, _ := json.Marshal(v)
	os.Stdout.Write(append(b, '\n'))
}

func base() *tlsplug.Config {
	return &tlsplug.Config{MinVersion: "TLSv1.3", MaxVersion: "TLSv1.3", Ciphers: suite, ECDHCurve: "X25519"}
}

// warm builds cfg's SecureContext now, before any timing: the binding builds
// it on first use and has no call for that but Listen (which checks the
// context first); a throwaway listener does it.
func warm(cfg *tlsplug.Config) {
	l, err := tlsplug.Listen("tcp", "127.0.0.1:0", cfg)
	check(err, "context")
	l.Close()
}

func readByte(c *tlsplug.Conn) {
	var b [1]byte
	_, err := io.ReadFull(c, b[:])
	check(err, "read")
}

// ---- server child ----

func serve(w workload) {
	cfg := base()
	chain, key := "server-ec-chain.pem", "server-ec.key"
	if w.rsa {
		chain, key = "server-chain.pem", "server.key"
	}
	cfg.Cert, cfg.Key = [][]byte{pki(chain)}, [][]byte{pki(key)}
	warm(cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err, "listen")
	tl := ln.(*net.TCPListener)
	var h0, r0 float64
	if w.kind == "mem" {
		h0, r0 = mem()
	}
	say(map[string]any{"port": tl.Addr().(*net.TCPAddr).Port})
	accept := func() *tlsplug.Conn {
		tl.SetDeadline(time.Now().Add(ioTimeout))
		raw, err := tl.Accept()
		check(err, "accept")
		raw.SetDeadline(time.Now().Add(ioTimeout))
		c := tlsplug.Server(raw, cfg)
		check(c.Handshake(), "server handshake")
		return c
	}
	drain := func(c *tlsplug.Conn) { io.Copy(io.Discard, c); c.Close() }
	switch w.kind {
	case "bulk":
		c := accept()
		buf := make([]byte, chunk)
		var got int64
		t0 := cpuNow()
		for got < w.bytes {
			c.SetDeadline(time.Now().Add(ioTimeout))
			n, err := c.Read(buf)
			check(err, "read (bulk)")
			got += int64(n)
		}
		_, err := c.Write([]byte("k"))
		check(err, "write")
		say(map[string]any{"report": map[string]any{"cpu_s": cpuNow() - t0}})
		drain(c)
	case "mem":
		conns := make([]*tlsplug.Conn, 0, w.count)
		for i := 0; i < w.count; i++ {
			c := accept()
			readByte(c)
			_, err := c.Write([]byte("k"))
			check(err, "write")
			c.SetDeadline(time.Time{}) // idle from here on
			conns = append(conns, c)
		}
		h, r := mem()
		say(map[string]any{"report": map[string]any{"heap_bytes": h - h0, "rss_bytes": r - r0}})
		runtime.KeepAlive(conns)
	default:
		prime := 0
		if w.kind == "resume" {
			prime = 1
		}
		t0 := cpuNow()
		for i := 0; i < w.count+prime; i++ {
			if i == prime {
				t0 = cpuNow()
			}
			c := accept()
			readByte(c)
			_, err := c.Write([]byte("k"))
			check(err, "write")
			drain(c)
		}
		say(map[string]any{"report": map[string]any{"cpu_s": cpuNow() - t0}})
	}
	// Wait (bounded) for the parent to close our stdin.
	done := make(chan struct{})
	go func() { io.Copy(io.Discard, os.Stdin); close(done) }()
	select {
	case <-done:
	case <-time.After(600 * time.Second):
	}
}

// ---- client (parent) ----

type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan map[string]json.RawMessage
}

func startChild(args []string) *child {
	self, err := os.Executable()
	check(err, "executable")
	cmd := exec.Command(self, append([]string{"--serve"}, args...)...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	check(err, "pipe")
	stdout, err := cmd.StdoutPipe()
	check(err, "pipe")
	check(cmd.Start(), "start server child")
	ch := &child{cmd: cmd, stdin: stdin, lines: make(chan map[string]json.RawMessage, 4)}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var m map[string]json.RawMessage
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				ch.lines <- m
			}
		}
		close(ch.lines)
	}()
	return ch
}

func (ch *child) read(key string, v any) {
	select {
	case m, ok := <-ch.lines:
		if !ok {
			fail("server child said nothing")
		}
		check(json.Unmarshal(m[key], v), "child line")
	case <-time.After(4 * ioTimeout):
		ch.cmd.Process.Kill()
		fail("server child timed out")
	}
}

func (ch *child) finish() {
	ch.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- ch.cmd.Wait() }()
	select {
	case err := <-done:
		check(err, "server child")
	case <-time.After(ioTimeout):
		ch.cmd.Process.Kill()
		fail("server child did not exit")
	}
}

func client(w workload, args []string) any {
	ch := startChild(args)
	var port int
	ch.read("port", &port)
	cfg := base()
	cfg.CA = [][]byte{pki("ca.pem")}
	cfg.ServerName = "localhost" // SNI and the identity check; RejectUnauthorized nil = true
	warm(cfg)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	checked := false
	connect := func(cfg *tlsplug.Config) *tlsplug.Conn {
		raw, err := net.DialTimeout("tcp", addr, ioTimeout)
		check(err, "dial")
		raw.SetDeadline(time.Now().Add(ioTimeout))
		c := tlsplug.Client(raw, cfg)
		check(c.Handshake(), "client handshake")
		if !checked {
			if ci := c.Cipher(); ci.StandardName != suite || c.Protocol() != "TLSv1.3" {
				fail("negotiated %s %s, not TLSv1.3 %s", c.Protocol(), ci.StandardName, suite)
			}
			checked = true
		}
		return c
	}
	exchange := func(cfg *tlsplug.Config) *tlsplug.Conn {
		c := connect(cfg)
		_, err := c.Write([]byte("p"))
		check(err, "write")
		readByte(c) // also takes in the server's ticket
		return c
	}
	type report struct {
		CPU  float64 `json:"cpu_s"`
		Heap float64 `json:"heap_bytes"`
		RSS  float64 `json:"rss_bytes"`
	}
	var rep report
	switch w.kind {
	case "bulk":
		c := connect(cfg)
		buf := make([]byte, chunk)
		for i := range buf {
			buf[i] = 'x'
		}
		var sent int64
		w0, c0 := time.Now(), cpuNow()
		for sent < w.bytes {
			c.SetDeadline(time.Now().Add(ioTimeout))
			_, err := c.Write(buf) // blocking: returns once the transport took it
			check(err, "write (bulk)")
			sent += chunk
		}
		readByte(c)
		wall, cpu := time.Since(w0).Seconds(), cpuNow()-c0
		c.Close()
		ch.read("report", &rep)
		ch.finish()
		return rate(float64(sent), wall, cpu, rep.CPU)
	case "mem":
		h0, r0 := mem()
		conns := make([]*tlsplug.Conn, 0, w.count)
		for i := 0; i < w.count; i++ {
			c := exchange(cfg)
			c.SetDeadline(time.Time{})
			conns = append(conns, c)
		}
		h, r := mem()
		ch.read("report", &rep)
		for _, c := range conns {
			c.NetConn().Close()
		}
		ch.finish()
		n := float64(w.count)
		return map[string]float64{"client_bytes": (h - h0) / n, "server_bytes": rep.Heap / n,
			"client_rss_bytes": (r - r0) / n, "server_rss_bytes": rep.RSS / n}
	}
	use := cfg
	if w.kind == "resume" {
		c := exchange(cfg)
		sess := c.Session()
		c.Close()
		if len(sess) == 0 {
			fail("no session from the priming connection")
		}
		// The binding takes the session on the Config (one SecureContext per
		// Config): one Config carrying the blob serves every timed connection.
		use = base()
		use.CA, use.ServerName, use.Session = cfg.CA, cfg.ServerName, sess
		warm(use)
	}
	w0, c0 := time.Now(), cpuNow()
	for i := 0; i < w.count; i++ {
		c := exchange(use)
		if w.kind == "resume" && !c.IsSessionReused() {
			fail("handshake %d did not resume", i)
		}
		c.Close() // sends close_notify, does not wait for the peer's
	}
	wall, cpu := time.Since(w0).Seconds(), cpuNow()-c0
	ch.read("report", &rep)
	ch.finish()
	return rate(float64(w.count), wall, cpu, rep.CPU)
}

func rate(units, wall, ccpu, scpu float64) map[string]float64 {
	return map[string]float64{"units": units, "wall_s": wall, "cpu_s": ccpu + scpu,
		"client_cpu_s": ccpu, "server_cpu_s": scpu}
}

func main() {
	time.AfterFunc(600*time.Second, func() { fail("watchdog: took too long") })
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "--serve" {
		serve(parse(args[1:]))
		return
	}
	say(client(parse(args), args))
}
