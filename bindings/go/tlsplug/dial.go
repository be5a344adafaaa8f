//go:build cgo

package tlsplug

import (
	"context"
	"net"
)

// Dial connects to addr and runs the handshake (Node's tls.connect).
func Dial(network, addr string, cfg *Config) (*Conn, error) {
	return DialContext(context.Background(), network, addr, cfg)
}

// DialContext is Dial with a context bounding the connect and the handshake.
func DialContext(ctx context.Context, network, addr string, cfg *Config) (*Conn, error) {
	var d net.Dialer
	raw, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, netError(err)
	}
	if cfg == nil {
		cfg = &Config{}
	}
	warnIPServerName(cfg.ServerName)
	if cfg.ServerName == "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			host = addr
		}
		cfg = cfg.withServerName(host)
	}
	c := Client(raw, cfg)
	if err := c.HandshakeContext(ctx); err != nil {
		_ = c.Close()
		return nil, err
	}
	return c, nil
}

// withServerName returns a copy of cfg (sharing its options, not its built
// context) whose ServerName is host. Copies are cached per host so that
// repeated dials share one SecureContext.
func (c *Config) withServerName(host string) *Config {
	c.derivedMu.Lock()
	defer c.derivedMu.Unlock()
	if d, ok := c.derived[host]; ok {
		return d
	}
	d := c.clone()
	d.ServerName = host
	if c.derived == nil {
		c.derived = map[string]*Config{}
	}
	if len(c.Session) == 0 {
		c.derived[host] = d
	}
	return d
}

type listener struct {
	net.Listener
	cfg *Config
}

// Listen is Node's tls.createServer().listen(): Accept returns server Conns
// (the handshake runs on their first Read, Write or Handshake).
func Listen(network, addr string, cfg *Config) (net.Listener, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	if _, err := cfg.context(); err != nil {
		return nil, err
	}
	l, err := net.Listen(network, addr)
	if err != nil {
		return nil, err
	}
	return NewListener(l, cfg), nil
}

// NewListener wraps inner: Accept returns server Conns.
func NewListener(inner net.Listener, cfg *Config) net.Listener {
	return &listener{Listener: inner, cfg: cfg}
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return Server(c, l.cfg), nil
}
