// Command echo_server is Node's tls.createServer doc example in Go: an echo
// server on 127.0.0.1 with a key and a certificate.
//
//	echo_server -key server.key -cert server-chain.pem [-addr 127.0.0.1:8000] [-ca ca.pem -request-cert]
package main

import (
	"flag"
	"io"
	"log"
	"os"

	"tlsplug.dev/tlsplug"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "listen address")
	key := flag.String("key", "server.key", "private key (PEM)")
	cert := flag.String("cert", "server-chain.pem", "certificate chain (PEM)")
	ca := flag.String("ca", "", "CA for client certificates (PEM)")
	requestCert := flag.Bool("request-cert", false, "ask clients for a certificate")
	flag.Parse()
	cfg := &tlsplug.Config{Key: [][]byte{mustRead(*key)}, Cert: [][]byte{mustRead(*cert)}, RequestCert: *requestCert}
	if *ca != "" {
		cfg.CA = [][]byte{mustRead(*ca)}
	}
	l, err := tlsplug.Listen("tcp", *addr, cfg)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("server bound on %s", l.Addr())
	for {
		c, err := l.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go func() {
			defer c.Close()
			tc := c.(*tlsplug.Conn)
			if err := tc.Handshake(); err != nil {
				log.Printf("handshake: %v", err)
				return
			}
			log.Printf("server connected %s", map[bool]string{true: "authorized", false: "unauthorized"}[tc.Authorized()])
			_, _ = io.WriteString(c, "welcome!\n")
			_, _ = io.Copy(c, c)
		}()
	}
}

func mustRead(path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	return b
}
