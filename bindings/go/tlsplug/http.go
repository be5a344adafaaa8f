//go:build cgo

package tlsplug

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
)

// net/http serves and speaks HTTP/2 only over a *tls.Conn: on any other
// connection it speaks HTTP/1.1, whatever ALPN chose. A Conn that agreed on
// "h2" would then talk HTTP/1.1 to a peer expecting HTTP/2 (the server's
// clients fail with "unexpected EOF", the client reads a "malformed HTTP
// response"). The helpers below therefore never offer "h2": they take it
// out of the Config's ALPNProtocols and keep the rest ("http/1.1", ...).
// To serve HTTP/2, use Listen with "h2" in ALPNProtocols and hand the Conns
// whose ALPNProtocol() is "h2" to an HTTP/2 implementation that takes a
// net.Conn (golang.org/x/net/http2's Server.ServeConn, which reads the TLS
// state through ConnectionState()).

// ListenHTTP is Listen for an http.Server: ALPN without "h2" (see above).
// Set the server's ConnContext to ConnContext so handlers can read the TLS
// state with ConnectionStateFrom (net/http leaves r.TLS nil for any
// connection but a *tls.Conn).
//
//	l, err := tlsplug.ListenHTTP("tcp", ":8443", cfg)
//	srv := &http.Server{Handler: h, ConnContext: tlsplug.ConnContext}
//	err = srv.Serve(l)
func ListenHTTP(network, addr string, cfg *Config) (net.Listener, error) {
	return Listen(network, addr, http1Config(cfg))
}

// NewHTTPListener is NewListener for an http.Server (ALPN without "h2").
func NewHTTPListener(inner net.Listener, cfg *Config) (net.Listener, error) {
	cfg, err := NewConfig(http1Config(cfg))
	if err != nil {
		return nil, err
	}
	return NewListener(inner, cfg), nil
}

// HTTPTransport is an http.Transport (http.DefaultTransport's settings)
// whose https connections are tlsplug Conns made with cfg (ServerName from
// the request's host when empty), ALPN without "h2", HTTP/2 off. Plain
// http:// requests go through as usual. resp.TLS stays nil: net/http fills
// it only for a *tls.Conn.
func HTTPTransport(cfg *Config) *http.Transport {
	cfg = http1Config(cfg)
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = nil
	t.ForceAttemptHTTP2 = false
	t.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{} // no HTTP/2
	t.DialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		return DialContext(ctx, network, addr, cfg)
	}
	return t
}

// http1Config is cfg, or a copy of it without "h2" in ALPNProtocols.
func http1Config(cfg *Config) *Config {
	if cfg == nil {
		return &Config{}
	}
	keep := make([]string, 0, len(cfg.ALPNProtocols))
	for _, p := range cfg.ALPNProtocols {
		if p != "h2" {
			keep = append(keep, p)
		}
	}
	if len(keep) == len(cfg.ALPNProtocols) {
		return cfg
	}
	d := cfg.clone()
	d.ALPNProtocols = keep
	return d
}

type connKey struct{}

// ConnContext is for http.Server's ConnContext field: it puts the
// connection's *Conn in the context of every request on it, where
// ConnectionStateFrom and ConnFrom find it.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	if tc, ok := c.(*Conn); ok {
		return context.WithValue(ctx, connKey{}, tc)
	}
	return ctx
}

// ConnFrom is the *Conn a request came on (r.Context()), when the server's
// ConnContext is ConnContext; nil otherwise.
func ConnFrom(ctx context.Context) *Conn {
	c, _ := ctx.Value(connKey{}).(*Conn)
	return c
}

// ConnectionStateFrom is what r.TLS would hold: the TLS state of the
// connection a request came on (r.Context()), when the server's ConnContext
// is ConnContext; false otherwise.
func ConnectionStateFrom(ctx context.Context) (tls.ConnectionState, bool) {
	c := ConnFrom(ctx)
	if c == nil {
		return tls.ConnectionState{}, false
	}
	return c.ConnectionState(), true
}
