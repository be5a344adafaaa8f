// The Go binding's client for fragment.py: tlsplug.DialContext to
// 127.0.0.1 (connect and handshake under one deadline), write one line,
// read until the expected reply is in, CloseWrite, read to the end.
// Options come as one JSON argument (see fragment.py); one JSON line
// reports what happened. Every wait is bounded by the options' timeout.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"tlsplug.dev/tlsplug"
)

type options struct {
	Port       int     `json:"port"`
	CA         string  `json:"ca"`
	ServerName string  `json:"servername"`
	Cert       string  `json:"cert"`
	Key        string  `json:"key"`
	Line       string  `json:"line"`
	Expect     string  `json:"expect"`
	Timeout    float64 `json:"timeout"`
}

type result struct {
	Secure             bool    `json:"secure"`
	HandshakeMs        int64   `json:"handshakeMs"`
	Authorized         *bool   `json:"authorized"`
	AuthorizationError *string `json:"authorizationError"`
	Protocol           *string `json:"protocol"`
	Got                string  `json:"got"`
	Error              *string `json:"error"`
	Closed             bool    `json:"closed"`
}

func main() {
	var o options
	var r result
	if len(os.Args) != 2 || json.Unmarshal([]byte(os.Args[1]), &o) != nil {
		fmt.Fprintln(os.Stderr, "usage: goclient JSON-OPTIONS")
		os.Exit(2)
	}
	fail := func(format string, a ...any) {
		if r.Error == nil {
			s := fmt.Sprintf(format, a...)
			r.Error = &s
		}
	}
	run(&o, &r, fail)
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
}

func run(o *options, r *result, fail func(string, ...any)) {
	read := func(path string) []byte {
		b, err := os.ReadFile(path)
		if err != nil {
			fail("%v", err)
		}
		return b
	}
	cfg := &tlsplug.Config{CA: [][]byte{read(o.CA)}, ServerName: o.ServerName}
	if o.Cert != "" {
		cfg.Cert, cfg.Key = [][]byte{read(o.Cert)}, [][]byte{read(o.Key)}
	}
	if r.Error != nil {
		return
	}
	timeout := time.Duration(o.Timeout * float64(time.Second))
	deadline := time.Now().Add(timeout)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	start := time.Now()
	c, err := tlsplug.DialContext(ctx, "tcp", fmt.Sprintf("127.0.0.1:%d", o.Port), cfg)
	if err != nil {
		if ctx.Err() != nil {
			fail("timeout: handshake not done after %v (%v)", timeout, err)
		} else {
			fail("%v", err)
		}
		return
	}
	defer c.Close()
	r.Secure = true
	r.HandshakeMs = time.Since(start).Milliseconds()
	authorized := c.Authorized()
	r.Authorized = &authorized
	if e := c.AuthorizationError(); e != nil {
		s := e.Error()
		r.AuthorizationError = &s
	}
	protocol := c.Protocol()
	r.Protocol = &protocol
	_ = c.SetDeadline(deadline)
	if _, err := c.Write([]byte(o.Line)); err != nil {
		fail("write: %v", err)
		return
	}
	var got bytes.Buffer
	buf := make([]byte, 16384)
	for !strings.Contains(got.String(), o.Expect) {
		n, err := c.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			r.Got = got.String()
			fail("read before the reply was complete: %v", err)
			return
		}
	}
	// End our side (close_notify), then read to the peer's end, as the
	// other clients do.
	if err := c.CloseWrite(); err != nil {
		fail("closeWrite: %v", err)
	}
	for {
		n, err := c.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			break
		}
	}
	r.Got = got.String()
	r.Closed = true
}
