package tlsplug

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

// connected answers both ends of a handshaken connection over 127.0.0.1.
func connected(t *testing.T, scfg, ccfg *Config) (client, server *Conn) {
	t.Helper()
	got := make(chan *Conn, 1)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	l := serve(t, scfg, func(c *Conn) {
		if c.Handshake() == nil {
			got <- c
			<-release
		}
	})
	c, err := Dial("tcp", l.Addr().String(), ccfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	select {
	case s := <-got:
		return c, s
	case <-time.After(10 * time.Second):
		t.Fatal("the server side never completed its handshake")
	}
	return nil, nil
}

func TestExportKeyingMaterial(t *testing.T) {
	for _, version := range []string{"TLSv1.2", "TLSv1.3"} {
		t.Run(version, func(t *testing.T) {
			scfg := serverConfig(t)
			scfg.MaxVersion = version
			ccfg := clientConfig(t)
			ccfg.ServerName = "localhost"
			ccfg.MaxVersion = version
			c, s := connected(t, scfg, ccfg)
			if c.Protocol() != version {
				t.Fatalf("protocol %q", c.Protocol())
			}
			a, err := c.ExportKeyingMaterial("EXPORTER-test", nil, 64)
			if err != nil || len(a) != 64 {
				t.Fatalf("export: %v (%d bytes)", err, len(a))
			}
			b, err := s.ExportKeyingMaterial("EXPORTER-test", nil, 64)
			if err != nil || !bytes.Equal(a, b) {
				t.Fatalf("the ends differ: %x / %x (%v)", a, b, err)
			}
			withCtx, _ := c.ExportKeyingMaterial("EXPORTER-test", []byte{0, 1, 2, 3}, 64)
			if bytes.Equal(a, withCtx) {
				t.Fatal("a context changed nothing")
			}
			empty, _ := c.ExportKeyingMaterial("EXPORTER-test", []byte{}, 64)
			if bytes.Equal(empty, a) != (version == "TLSv1.3") {
				t.Fatalf("empty context vs none: equal=%v in %s", bytes.Equal(empty, a), version)
			}
			_, err = c.ExportKeyingMaterial("client finished", nil, 16)
			var e *Error
			if version == "TLSv1.2" && (!errors.As(err, &e) || e.Code != "ERR_SSL_TLS_ILLEGAL_EXPORTER_LABEL") {
				t.Fatalf("reserved label: %v", err)
			}
			if _, err = c.ExportKeyingMaterial("x", nil, 0); !errors.As(err, &e) || e.Code != "ERR_OUT_OF_RANGE" {
				t.Fatalf("length 0: %v", err)
			}
		})
	}
}
