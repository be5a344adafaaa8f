// The server under test on the Go binding: tlsplug.Listen (Node's
// tls.createServer().listen()) with the test PKI's certificate, on
// 127.0.0.1 and an ephemeral port. Prints "listening on 127.0.0.1:PORT"
// once bound (the test waits for that line); each connection runs its
// handshake and echoes. The test kills it; it also exits by itself after
// lifetime so an orphan cannot linger.
package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"

	"tlsplug.dev/tlsplug"
)

const lifetime = 600 * time.Second

func main() {
	pki := os.Getenv("TLSPLUG_PKI")
	key, err := os.ReadFile(filepath.Join(pki, "server.key"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cert, err := os.ReadFile(filepath.Join(pki, "server-chain.pem"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	l, err := tlsplug.Listen("tcp", "127.0.0.1:0", &tlsplug.Config{Key: [][]byte{key}, Cert: [][]byte{cert}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(1)
	}
	fmt.Printf("listening on %s\n", l.Addr())
	time.AfterFunc(lifetime, func() { os.Exit(0) })
	for {
		c, err := l.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, "accept:", err)
			os.Exit(1)
		}
		go serve(c)
	}
}

func serve(c net.Conn) {
	defer c.Close()
	if hs, ok := c.(interface{ Handshake() error }); ok {
		if err := hs.Handshake(); err != nil {
			fmt.Fprintln(os.Stderr, "tlsClientError", err)
			return
		}
	}
	_, _ = io.Copy(c, c)
}
