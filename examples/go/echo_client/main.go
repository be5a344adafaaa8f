// Command echo_client is Node's tls.connect doc example in Go: it connects,
// prints what the server sends, and forwards stdin.
//
//	echo_client -ca ca.pem [-addr 127.0.0.1:8000] [-key client.key -cert client-chain.pem]
package main

import (
	"flag"
	"io"
	"log"
	"os"

	"tlsplug.dev/tlsplug"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "server address")
	ca := flag.String("ca", "ca.pem", "CA to trust (PEM)")
	key := flag.String("key", "", "client key (PEM)")
	cert := flag.String("cert", "", "client certificate chain (PEM)")
	servername := flag.String("servername", "localhost", "SNI and identity check name")
	flag.Parse()
	cfg := &tlsplug.Config{CA: [][]byte{mustRead(*ca)}, ServerName: *servername}
	if *key != "" {
		cfg.Key = [][]byte{mustRead(*key)}
		cfg.Cert = [][]byte{mustRead(*cert)}
	}
	c, err := tlsplug.Dial("tcp", *addr, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	log.Printf("client connected %s", map[bool]string{true: "authorized", false: "unauthorized"}[c.Authorized()])
	go func() {
		_, _ = io.Copy(c, os.Stdin)
		_ = c.CloseWrite()
	}()
	if _, err := io.Copy(os.Stdout, c); err != nil {
		log.Fatal(err)
	}
}

func mustRead(path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	return b
}
