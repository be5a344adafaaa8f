package tlsplug

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// The PSK circuit of Node's psk-circuit test, three ways in one run: node
// on both ends (the oracle), a Go client against a node server, and a node
// client against a Go TLSServer. What each client saw (the protocol and
// the echo, or the error code) must be what node's client saw with node.

const pskCircuitCiphers = "PSK+HIGH:TLS_AES_128_GCM_SHA256"

// pskCase is one connection: the key of user, offered as identity.
type pskCase struct {
	Name, User, Identity string
	Opts                 map[string]string // node's minVersion / maxVersion
}

var pskCircuit = []pskCase{
	{"a", "UserA", "UserA", nil},
	{"a_tls12", "UserA", "UserA", map[string]string{"maxVersion": "TLSv1.2"}},
	{"a_tls13", "UserA", "UserA", map[string]string{"minVersion": "TLSv1.3"}},
	{"b", "UserB", "UserB", nil},
	{"b_tls12", "UserB", "UserB", map[string]string{"maxVersion": "TLSv1.2"}},
	{"unknown_identity", "UserB", "UserC", nil},
	{"wrong_key", "UserA", "UserB", nil},
	{"unknown_identity_tls12", "UserB", "UserC", map[string]string{"maxVersion": "TLSv1.2"}},
	{"wrong_key_tls12", "UserA", "UserB", map[string]string{"maxVersion": "TLSv1.2"}},
}

// nodePSK runs the circuit's node side; argv: the setup as JSON, then the
// mode: "both" (server and clients, prints the clients' results), "server"
// (prints its port, serves until stdin ends) or "client PORT" (prints the
// results).
const nodePSK = `
const tls = require('tls');
const setup = JSON.parse(process.argv[1]), mode = process.argv[2];
const USERS = {};
for (const [u, k] of Object.entries(setup.users)) USERS[u] = Buffer.from(k, 'hex');
function server() {
  const s = tls.createServer({ciphers: setup.ciphers, pskCallback: (sock, id) => USERS[id]},
    (c) => c.pipe(c));
  s.on('tlsClientError', () => {});
  return s;
}
function client(port, c, cb) {
  const r = {};
  const s = tls.connect(Object.assign({port, host: '127.0.0.1', ciphers: setup.ciphers,
    checkServerIdentity: () => {}, pskCallback: () => ({psk: USERS[c.User], identity: c.Identity})},
    c.Opts || {}), () => { r.version = s.getProtocol(); s.end('x'); });
  s.on('data', (d) => { r.data = (r.data || '') + d; });
  s.on('error', (e) => { r.error = e.code; });
  s.on('close', () => cb(r));
}
function all(port, done) {
  const out = {};
  const next = (i) => i === setup.cases.length ? done(out) :
    client(port, setup.cases[i], (r) => { out[setup.cases[i].Name] = r; next(i + 1); });
  next(0);
}
if (mode === 'server') {
  const s = server();
  s.listen(0, '127.0.0.1', () => console.log(s.address().port));
  process.stdin.on('end', () => process.exit(0)); process.stdin.resume();
} else if (mode === 'client') {
  all(+process.argv[3], (out) => console.log(JSON.stringify(out)));
} else {
  const s = server();
  s.listen(0, '127.0.0.1', () => all(s.address().port, (out) => {
    console.log(JSON.stringify(out)); s.close();
  }));
}
`

func nodePSKSetup(t *testing.T) string {
	users := map[string]string{}
	for u, k := range pskUsers {
		users[u] = hex.EncodeToString(k)
	}
	b, err := json.Marshal(map[string]any{"users": users, "ciphers": pskCircuitCiphers, "cases": pskCircuit})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// nodeResults runs node with args and decodes the results it prints.
func nodeResults(t *testing.T, ctx context.Context, args ...string) map[string]map[string]string {
	t.Helper()
	out, err := nodeCmd(t, ctx, nodePSK, args...).Output()
	if err != nil {
		t.Fatalf("node %s: %v: %s", args[1:], err, out)
	}
	var r map[string]map[string]string
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("node %s: %v: %s", args[1:], err, out)
	}
	return r
}

// goPSKClient is node's client of the circuit in Go.
func goPSKClient(addr string, c pskCase) map[string]string {
	cfg := &Config{Ciphers: pskCircuitCiphers, MinVersion: c.Opts["minVersion"], MaxVersion: c.Opts["maxVersion"],
		CheckServerIdentity: func(string, map[string]any) error { return nil },
		ClientPSKCallback: func(string) (string, []byte, error) {
			return c.Identity, pskUsers[c.User], nil
		}}
	r := map[string]string{}
	conn, err := Dial("tcp", addr, cfg)
	if err == nil {
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(30 * time.Second))
		r["version"] = conn.Protocol()
		var data []byte
		if _, err = conn.Write([]byte("x")); err == nil {
			if err = conn.CloseWrite(); err == nil {
				data, err = io.ReadAll(conn)
			}
		}
		if len(data) > 0 {
			r["data"] = string(data)
		}
	}
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			r["error"] = e.Code
		} else {
			r["error"] = err.Error()
		}
	}
	return r
}

func TestPSKCircuitMatchesNode(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	setup := nodePSKSetup(t)
	want := nodeResults(t, ctx, setup, "both")
	if len(want) != len(pskCircuit) || want["a"]["data"] != "x" || want["wrong_key"]["error"] == "" {
		t.Fatalf("node with node: %v", want) // the oracle itself must tell success from failure
	}

	t.Logf("node with node: %v", want)

	// A Go client against node's server.
	port := startNodeServer(t, ctx, nodePSK, setup, "server")
	got := map[string]map[string]string{}
	for _, c := range pskCircuit {
		got[c.Name] = goPSKClient("127.0.0.1:"+port, c)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Go client, node server:\n got %v\nwant %v", got, want)
	}

	// node's client against a Go TLSServer.
	seen := &pskSeen{}
	addr := serveTLS(t, &TLSServer{Config: pskServerConfig(pskCircuitCiphers, "", seen)})
	got = nodeResults(t, ctx, setup, "client", addr[strings.LastIndex(addr, ":")+1:])
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("node client, Go server:\n got %v\nwant %v", got, want)
	}
	ids, _ := seen.get()
	var sent []string
	for _, c := range pskCircuit {
		sent = append(sent, c.Identity)
	}
	if strings.Join(ids, " ") != strings.Join(sent, " ") {
		t.Errorf("the Go server's callback was asked for %q, the clients sent %q", ids, sent)
	}
}
