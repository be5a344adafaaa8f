package tlsplug

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func stdTLSConfig(t *testing.T) *tls.Config {
	cert, err := tls.X509KeyPair(pki(t, "server-chain.pem"), pki(t, "server.key"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pki(t, "ca.pem"))
	return &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, ClientCAs: pool}
}

// The tlsplug client against Go's crypto/tls server, with ALPN and a client certificate.
func TestInteropClientToCryptoTLS(t *testing.T) {
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		scfg := stdTLSConfig(t)
		scfg.MinVersion, scfg.MaxVersion = v, v
		scfg.NextProtos = []string{"h2"}
		scfg.ClientAuth = tls.RequireAndVerifyClientCert
		l, err := tls.Listen("tcp", "127.0.0.1:0", scfg)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				go func() { defer c.Close(); io.Copy(c, c) }()
			}
		}()
		cfg := clientConfig(t)
		cfg.ALPNProtocols = []string{"h2"}
		cfg.Key = [][]byte{pki(t, "client.key")}
		cfg.Cert = [][]byte{pki(t, "client-chain.pem")}
		c, err := Dial("tcp", l.Addr().String(), cfg)
		if err != nil {
			t.Fatalf("version %x: %v", v, err)
		}
		c.SetDeadline(time.Now().Add(30 * time.Second))
		want := map[uint16]string{tls.VersionTLS12: "TLSv1.2", tls.VersionTLS13: "TLSv1.3"}[v]
		if c.Protocol() != want || c.ALPNProtocol() != "h2" || !c.Authorized() {
			t.Fatalf("protocol %q alpn %q authorized %v", c.Protocol(), c.ALPNProtocol(), c.Authorized())
		}
		if _, err := c.Write([]byte("interop")); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 7)
		if _, err := io.ReadFull(c, b); err != nil || string(b) != "interop" {
			t.Fatalf("%q %v", b, err)
		}
		c.Close()
	}
}

// Go's crypto/tls client against a tlsplug server (Listen), with SNI and a client certificate.
func TestInteropCryptoTLSClientToServer(t *testing.T) {
	scfg := serverConfig(t)
	scfg.ALPNProtocols = []string{"http/1.1"}
	scfg.RequestCert = true
	scfg.CA = [][]byte{pki(t, "ca.pem")}
	seen := make(chan string, 1)
	l := serve(t, scfg, func(c *Conn) {
		if c.Handshake() == nil {
			seen <- c.Servername()
		}
		echo(c)
	})
	ccfg := stdTLSConfig(t)
	ccfg.ServerName = "server.test"
	ccfg.NextProtos = []string{"http/1.1"}
	cert, err := tls.X509KeyPair(pki(t, "client-chain.pem"), pki(t, "client.key"))
	if err != nil {
		t.Fatal(err)
	}
	ccfg.Certificates = []tls.Certificate{cert}
	c, err := tls.Dial("tcp", l.Addr().String(), ccfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if st := c.ConnectionState(); st.NegotiatedProtocol != "http/1.1" || st.Version != tls.VersionTLS13 {
		t.Fatalf("state %+v", st)
	}
	if _, err := c.Write([]byte("from crypto/tls")); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 15)
	if _, err := io.ReadFull(c, b); err != nil || string(b) != "from crypto/tls" {
		t.Fatalf("%q %v", b, err)
	}
	if got := <-seen; got != "server.test" {
		t.Fatalf("servername %q", got)
	}
}

func nodeCmd(t *testing.T, ctx context.Context, script string, args ...string) *exec.Cmd {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	return exec.CommandContext(ctx, node, append([]string{"-e", script}, args...)...)
}

// startNodeServer runs script (which prints its port, then serves until
// its stdin ends) for the rest of the test: the port. args are its
// process.argv[1:]; none gives it the PKI directory.
func startNodeServer(t *testing.T, ctx context.Context, script string, args ...string) string {
	t.Helper()
	if len(args) == 0 {
		args = []string{pkiDir(t)}
	}
	cmd := nodeCmd(t, ctx, script, args...)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Wait() })
	port, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(port)
}

const nodeServer = `
const tls = require('tls'), fs = require('fs'), p = process.argv[1];
const server = tls.createServer({
  key: fs.readFileSync(p + '/server.key'), cert: fs.readFileSync(p + '/server-chain.pem'),
  ca: fs.readFileSync(p + '/ca.pem'), requestCert: true, rejectUnauthorized: true,
  ALPNProtocols: ['h2', 'http/1.1'],
}, (s) => {
  s.write(JSON.stringify({authorized: s.authorized, alpn: s.alpnProtocol, sni: s.servername,
    cn: s.getPeerCertificate().subject.CN}) + '\n');
  s.pipe(s);
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.stdin.on('end', () => process.exit(0)); process.stdin.resume();
`

// The tlsplug client against Node's tls server.
func TestInteropClientToNodeServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	port := startNodeServer(t, ctx, nodeServer)
	cfg := clientConfig(t)
	cfg.ServerName = "server.test"
	cfg.ALPNProtocols = []string{"http/1.1"}
	cfg.Key = [][]byte{pki(t, "client.key")}
	cfg.Cert = [][]byte{pki(t, "client-chain.pem")}
	c, err := DialContext(ctx, "tcp", "127.0.0.1:"+port, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	var info map[string]any
	if err := json.Unmarshal([]byte(line), &info); err != nil {
		t.Fatal(err)
	}
	if info["authorized"] != true || info["alpn"] != "http/1.1" || info["sni"] != "server.test" || info["cn"] != "tlsplug client" {
		t.Fatalf("node server saw %v", info)
	}
	if c.ALPNProtocol() != "http/1.1" {
		t.Fatalf("alpn %q", c.ALPNProtocol())
	}
	if _, err := c.Write([]byte("node echo\n")); err != nil {
		t.Fatal(err)
	}
	if got, err := r.ReadString('\n'); err != nil || got != "node echo\n" {
		t.Fatalf("%q %v", got, err)
	}
}

const nodeClient = `
const tls = require('tls'), fs = require('fs'), p = process.argv[1];
const s = tls.connect({host: '127.0.0.1', port: +process.argv[2], servername: 'localhost',
  ca: fs.readFileSync(p + '/ca.pem'), key: fs.readFileSync(p + '/client.key'),
  cert: fs.readFileSync(p + '/client-chain.pem'), ALPNProtocols: ['x', 'http/1.1']}, () => {
  s.write('hello from node');
  s.end();
});
let data = '';
s.on('data', (d) => { data += d; });
s.on('end', () => console.log(JSON.stringify({authorized: s.authorized, alpn: s.alpnProtocol,
  protocol: s.getProtocol(), data})));
s.on('error', (e) => { console.log(JSON.stringify({error: e.code || e.message})); process.exit(1); });
`

// Node's tls client against a tlsplug server (Listen).
func TestInteropNodeClientToServer(t *testing.T) {
	scfg := serverConfig(t)
	scfg.ALPNProtocols = []string{"http/1.1"}
	scfg.RequestCert = true
	scfg.CA = [][]byte{pki(t, "ca.pem")}
	authorized := make(chan bool, 1)
	l := serve(t, scfg, func(c *Conn) {
		c.SetDeadline(time.Now().Add(30 * time.Second))
		if c.Handshake() != nil {
			authorized <- false
			return
		}
		authorized <- c.Authorized()
		io.Copy(c, c)
		c.CloseWrite()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	port := l.Addr().String()[strings.LastIndex(l.Addr().String(), ":")+1:]
	out, err := nodeCmd(t, ctx, nodeClient, pkiDir(t), port).Output()
	if err != nil {
		t.Fatalf("node client: %v: %s", err, out)
	}
	var info map[string]any
	if err := json.Unmarshal(out, &info); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if info["authorized"] != true || info["alpn"] != "http/1.1" || info["protocol"] != "TLSv1.3" || info["data"] != "hello from node" {
		t.Fatalf("node client saw %v", info)
	}
	if !<-authorized {
		t.Fatal("server did not authorize the node client")
	}
}
