// Command fleetserver is the fleet tests' Go tlsplug server, as
// fleet_server.py: Node's echo server on 127.0.0.1 (an ephemeral port),
// printing "listening on ADDR" once bound and one "connection
// resumed=yes|no" line per handshake on stderr.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"strings"
	"time"

	"tlsplug.dev/tlsplug"
)

func main() {
	key := flag.String("key", "", "private key (PEM)")
	cert := flag.String("cert", "", "certificate chain (PEM)")
	store := flag.String("session-store", "", "memory, redis://... or redis+unix://...")
	keys := flag.String("ticket-keys", "", "48 bytes of ticket keys")
	timeout := flag.Int("session-timeout", 0, "seconds")
	flag.Parse()
	srv := &tlsplug.TLSServer{
		Config:         &tlsplug.Config{Key: [][]byte{mustRead(*key)}, Cert: [][]byte{mustRead(*cert)}},
		SessionStore:   *store,
		SessionTimeout: time.Duration(*timeout) * time.Second,
	}
	if strings.HasPrefix(*keys, "redis") {
		srv.TicketKeysSource = *keys // the library reads the Redis key
	} else if *keys != "" {
		srv.TicketKeys = mustRead(*keys)
	}
	l, err := srv.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on %s\n", l.Addr())
	for {
		c, err := l.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go serve(c)
	}
}

func serve(c net.Conn) {
	defer c.Close()
	tc := c.(*tlsplug.Conn)
	if err := tc.Handshake(); err != nil {
		return
	}
	reused := map[bool]string{true: "yes", false: "no"}[tc.IsSessionReused()]
	fmt.Fprintf(os.Stderr, "connection resumed=%s\n", reused)
	_, _ = io.WriteString(c, "welcome!\n")
	_, _ = io.Copy(c, c)
}

func mustRead(path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	return b
}
