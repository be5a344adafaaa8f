"""Helpers shared by the ports1 ports of Node's tls tests: one handshake
against a tlsplug server, with the same scenario's JavaScript for live
node, and the peer chain reduced to what the tests compare."""
import base64
import json

from nodeport import close_server, listening_server, node_eval, pki, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

CHAIN_FIELDS = ("subject", "issuer", "serialNumber")

# JavaScript: chain(cert) walks issuerCertificate to the self-signed end.
NODE_CHAIN = """
function chain(c) {
  const out = [];
  for (let n = 0; c && Object.keys(c).length && n < 5; n++) {
    out.push({subject: c.subject, issuer: c.issuer, serialNumber: c.serialNumber});
    if (c.issuerCertificate === c) break;
    c = c.issuerCertificate;
  }
  return out;
}
"""


def chain(cert):
    """The detailed peer certificate as a list of its CHAIN_FIELDS, leaf
    first, up to the self-signed root (bounded)."""
    out = []
    while cert and len(out) < 5:
        out.append({k: cert.get(k) for k in CHAIN_FIELDS})
        nxt = cert.get("issuerCertificate")
        if nxt is cert or nxt is None:
            break
        cert = nxt
    return out


def handshake(test, server_opts, client_opts, on_secure):
    """Connect a tlsplug client to a tlsplug server made of server_opts;
    on_secure(client, server_socket) runs at secureConnect, with the
    server's side once it is secure too. Answers the client's errors."""
    sides, errors, done = [], [], []
    server, port = listening_server(test, server_opts, listener=sides.append)
    client = tlsplug.connect(port, "127.0.0.1", **client_opts)
    client.on("secureConnect", lambda: sides.insert(0, client))
    client.on("error", lambda e: errors.append(e))
    run_until(test, lambda: len(sides) == 2 or errors, what="handshake")
    if not errors:
        on_secure(*sides)
        done.append(True)
    client.destroy()
    close_server(test, server)
    return errors


# ---- The scenario of Node's client-reject.js, shared by its ports
# (test_client_reject.py, and test_client_reject_12.py under a TLS 1.2
# default maximum): a server with a self-signed certificate echoes; four
# clients in turn -- rejectUnauthorized false (secure but not authorized,
# the echo and a 'session' arrive), the default and an explicit None/undefined
# (both an 'error' and no data), and one trusting that certificate through
# `ca` (authorized, echoed). Each client's events are compared with live
# node's, where tls.DEFAULT_MAX_VERSION is set the same.
REJECT_CASES = [
    ("unauthorized", {"rejectUnauthorized": False}),
    ("reject", {}),
    ("rejectUndefined", {"rejectUnauthorized": None}),
    ("authorized", {"ca": True}),
]

REJECT_NODE = """
if (%s) tls.DEFAULT_MAX_VERSION = %s;
const cases = %s, out = {};
const server = tls.createServer({key: pem('self.key'), cert: pem('self.pem')}, (s) => {
  s.pipe(s);
  s.on('end', () => s.end());
});
server.listen(0, '127.0.0.1', () => next(0));
function next(i) {
  if (i === cases.length) { server.close(); return report(out); }
  const [name, o] = cases[i];
  const opts = {port: server.address().port, host: '127.0.0.1', servername: 'localhost'};
  if ('rejectUnauthorized' in o) opts.rejectUnauthorized = o.rejectUnauthorized === null ? undefined : o.rejectUnauthorized;
  if (o.ca) opts.ca = [pem('self.pem')];
  const ev = out[name] = {secure: false, authorized: null, data: '', session: false, error: null,
                          protocol: null};
  const c = tls.connect(opts, () => {
    ev.secure = true; ev.authorized = c.authorized; ev.protocol = c.getProtocol();
  });
  c.once('session', () => { ev.session = true; });
  c.on('data', (d) => { ev.data += d; });
  c.on('error', (e) => { ev.error = e.code; });
  c.on('close', () => next(i + 1));
  c.end(o.ca || o.rejectUnauthorized === false ? 'ok' : 'ng');
}
"""


def reject_expectation(max_version=None):
    return node_eval(REJECT_NODE % (json.dumps(bool(max_version)), json.dumps(max_version),
                             json.dumps(REJECT_CASES)))


def run_reject_cases(test, want):
    """Runs REJECT_CASES against a tlsplug echo server; asserts each against want."""
    def on_conn(sock):
        sock.on("data", sock.write)
        sock.on("end", sock.end)

    server, port = listening_server(test, {"key": pki("self.key"), "cert": pki("self.pem")},
                                    listener=on_conn)
    for name, o in REJECT_CASES:
        with test.subTest(case=name):
            opts = {"servername": "localhost"}
            if "rejectUnauthorized" in o:
                opts["reject_unauthorized"] = o["rejectUnauthorized"]
            if o.get("ca"):
                opts["ca"] = [pki("self.pem")]
            ev = {"secure": False, "authorized": None, "data": "", "session": False,
                  "error": None, "protocol": None}
            closed = []

            def on_secure():
                ev.update(secure=True, authorized=client.authorized,
                          protocol=client.get_protocol())

            def on_data(d):
                ev["data"] += d.decode()

            def on_error(e):
                ev["error"] = e.code

            client = tlsplug.connect(port, "127.0.0.1", on_secure_connect=on_secure, **opts)
            client.once("session", lambda *a: ev.update(session=True))
            client.on("data", on_data)
            client.on("error", on_error)
            client.on("close", closed.append)
            client.end("ok" if o.get("ca") or o.get("rejectUnauthorized") is False else "ng")
            run_until(test, lambda: closed, what=f"{name}: close")
            test.assertEqual(ev, want[name])
    close_server(test, server)


# ---- The scenario of Node's client-resume.js, shared by its ports
# (test_client_resume.py, test_client_resume_12.py): a first client takes
# getSession() at secureConnect and the first 'session' event's session,
# counts its 'session' events to close (TLS 1.3 servers send two tickets,
# TLS 1.2 one), and a second client resumes with the event's session.
RESUME_NODE = """
if (%s) tls.DEFAULT_MAX_VERSION = %s;
const server = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem')}, (s) => s.end('Goodbye'));
server.listen(0, '127.0.0.1', () => {
  const port = server.address().port, r = {sessions: 0};
  let sessionx = null, session1 = null;
  const c1 = tls.connect({port, host: '127.0.0.1', rejectUnauthorized: false}, () => {
    r.protocol = c1.getProtocol(); r.firstReused = c1.isSessionReused();
    sessionx = c1.getSession(); r.hadSessionx = !!sessionx;
    if (session1) again();
  });
  c1.on('data', (d) => { r.data = String(d); });
  c1.once('session', (s) => { session1 = s; if (sessionx) again(); });
  c1.on('session', () => { r.sessions++; });
  let c1closed = false, c2closed = false;
  c1.on('close', () => { c1closed = true; if (c2closed) done(); });
  function again() {
    r.sameSession = sessionx.equals(session1);
    const c2 = tls.connect({port, host: '127.0.0.1', rejectUnauthorized: false, session: session1},
                           () => { r.secondReused = c2.isSessionReused(); });
    c2.on('close', () => { c2closed = true; if (c1closed) done(); });
    c2.resume();
  }
  function done() { server.close(); report(r); }
  c1.resume();
});
"""


def resume_expectation(max_version=None):
    return node_eval(RESUME_NODE % (json.dumps(bool(max_version)), json.dumps(max_version)))


def run_resume(test):
    """Runs the scenario against a tlsplug server; answers what it saw, in
    the keys the node script reports."""
    server, port = listening_server(test, listener=lambda s: s.end("Goodbye"))
    r = {"sessions": 0}
    held = {}
    closed = []

    def again():
        r["sameSession"] = held["x"] == held["1"]
        c2 = tlsplug.connect(port, "127.0.0.1", reject_unauthorized=False, session=held["1"])
        c2.on("secureConnect", lambda: r.update(secondReused=c2.is_session_reused()))
        c2.on("close", closed.append)

    def on_secure():
        r.update(protocol=c1.get_protocol(), firstReused=c1.is_session_reused())
        held["x"] = c1.get_session()
        r["hadSessionx"] = bool(held["x"])
        if "1" in held:
            again()

    def on_session(s):
        r["sessions"] += 1
        if "1" not in held:
            held["1"] = s
            if "x" in held:
                again()

    c1 = tlsplug.connect(port, "127.0.0.1", reject_unauthorized=False, on_secure_connect=on_secure)
    c1.on("data", lambda d: r.update(data=d.decode()))
    c1.on("session", on_session)
    c1.on("close", closed.append)
    run_until(test, lambda: len(closed) == 2, what="both clients closed")
    close_server(test, server)
    return r


# ---- DH parameters in PKCS#3 PEM (the only form GnuTLS reads), for ports
# that need a given size without openssl's seconds-long generation.

# RFC 2409's 1024-bit MODP group (generator 2).
MODP1024 = int("FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
               "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
               "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
               "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF", 16)


def _der(tag: int, body: bytes) -> bytes:
    n = len(body)
    size = bytes([n]) if n < 0x80 else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes(
        (n.bit_length() + 7) // 8, "big")
    return bytes([tag]) + size + body


def pkcs3_dhparam(prime: int, generator: int = 2) -> bytes:
    """PEM of DHParameter ::= SEQUENCE { prime INTEGER, base INTEGER }."""
    def integer(v):
        return _der(0x02, v.to_bytes(v.bit_length() // 8 + 1, "big"))  # leading 0: positive
    b64 = base64.b64encode(_der(0x30, integer(prime) + integer(generator))).decode()
    lines = "\n".join(b64[i:i + 64] for i in range(0, len(b64), 64))
    return f"-----BEGIN DH PARAMETERS-----\n{lines}\n-----END DH PARAMETERS-----\n".encode()
