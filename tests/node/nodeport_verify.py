"""Helpers shared by the verification ports of branch verify (client-verify,
client-auth): one connection between a server and a client made of Node's
options, run the same way by live node and through the binding, and what
each side saw, so a port compares the two case by case.

Options are Node's names with PEM text as values (the binding takes the
same text; see SNAKE for its option names). A side's record:
secure (the handshake completed on it), authorized, authorizationError,
error (the code of its error: the client's 'error', the server's
'tlsClientError') and, for the client, the data the server sent ("ok"
once it is secure; then the server ends).
"""
import json
import tempfile

from nodeport import close_server, listening_server, node_eval, pki, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

REPLY = "ok"

SNAKE = {"key": "key", "cert": "cert", "ca": "ca", "crl": "crl", "requestCert": "request_cert",
         "rejectUnauthorized": "reject_unauthorized", "maxVersion": "max_version",
         "minVersion": "min_version"}

# A function placed among the client's options: checkServerIdentity that
# accepts any name (the certificates of some cases are not for the host).
ANY_NAME = "<any name>"


def pem(*names: str) -> str:
    """The PKI files `names`, concatenated, as text."""
    return "".join(pki(n).decode() for n in names)


def _record():
    return {"secure": False, "authorized": None, "authorizationError": None, "error": None}


PAIR_NODE = """
const anyName = %s;
function pair(sopts, copts) {
  return new Promise((resolve) => {
    const r = {server: Object.assign(%s, {connError: null}), client: Object.assign(%s, {data: ''})};
    const server = tls.createServer(sopts, (s) => {
      Object.assign(r.server, {secure: true, authorized: s.authorized,
                               authorizationError: s.authorizationError || null});
      s.on('error', (e) => { r.server.connError = e.code || null; });
      s.end('%s');
    });
    server.on('tlsClientError', (e) => { r.server.error = e.code || null; });
    server.listen(0, '127.0.0.1', () => {
      const o = Object.assign({port: server.address().port, host: '127.0.0.1'}, copts);
      if (o.checkServerIdentity === anyName) o.checkServerIdentity = () => undefined;
      const c = tls.connect(o, () => {
        Object.assign(r.client, {secure: true, authorized: c.authorized,
                                 authorizationError: c.authorizationError || null});
      });
      c.on('data', (d) => { r.client.data += d; });
      c.on('error', (e) => { r.client.error = e.code || null; });
      c.on('close', () => server.close(() => resolve(r)));
    });
  });
}
async function pairs(cases) {
  const out = [];
  for (const [sopts, copts] of cases) out.push(await pair(sopts, copts));
  return out;
}
""" % (json.dumps(ANY_NAME), json.dumps(_record()), json.dumps(_record()), REPLY)


def node_pairs(cases):
    """Live node's records for [(server options, client options), ...],
    one node process for them all (the cases go through a file: PEM text
    is too long for a command line)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump(cases, f)
        f.flush()
        return node_eval(PAIR_NODE + "pairs(JSON.parse(fs.readFileSync(%s))).then(report);"
                         % json.dumps(f.name), timeout=30)


def _snake(opts):
    out = {}
    for k, v in opts.items():
        if k == "checkServerIdentity":
            out["check_server_identity"] = lambda host, cert: None
        else:
            out[SNAKE[k]] = v
    return out


def binding_pair(test, sopts, copts):
    """The same connection between a tlsplug server and a tlsplug client:
    answers the records node_pairs gives for it."""
    r = {"server": dict(_record(), connError=None), "client": dict(_record(), data="")}

    def on_secure_connection(s):
        r["server"].update(secure=True, authorized=s.authorized,
                           authorizationError=s.authorization_error or None)
        s.on("error", lambda e: r["server"].update(connError=getattr(e, "code", None)))
        s.end(REPLY)

    def on_client_error(e, _sock=None):
        r["server"]["error"] = getattr(e, "code", None)

    server, port = listening_server(test, _snake(sopts), listener=on_secure_connection)
    server.on("tlsClientError", on_client_error)
    client = tlsplug.connect(port, "127.0.0.1", **_snake(copts))

    def on_secure():
        r["client"].update(secure=True, authorized=client.authorized,
                           authorizationError=client.authorization_error or None)

    def on_data(d):
        r["client"]["data"] += d.decode()

    closed = []
    client.on("secureConnect", on_secure)
    client.on("data", on_data)
    client.on("error", lambda e: r["client"].update(error=getattr(e, "code", None)))
    client.on("close", closed.append)
    run_until(test, lambda: closed, what="client close")
    close_server(test, server)
    return r


def refused_by_server(want) -> bool:
    """Node's record of a server that refused the client's certificate after
    the handshake: the client is secure, the server destroyed the socket."""
    return (want["client"]["secure"] and not want["server"]["secure"]
            and want["server"]["error"] == "ECONNRESET")


def refused_by_client(want) -> bool:
    """Node's record of a client that refused the server's certificate."""
    return not want["client"]["secure"] and want["client"]["error"] not in (None, "ECONNRESET") \
        and not want["client"]["error"].startswith("ERR_")


def assert_pair(test, got, want, verdict=None):
    """The binding's record `got` is node's `want`, but for the two
    documented deviations (docs/NODE_MAP.md):
    - a server refusing the client's certificate reports `verdict` (the
      authorizationError node gives that client when not rejecting) as
      its tlsClientError, where node reports the reset that follows;
    - a client refusing the server's certificate has sent its Finished:
      the server may see secureConnection (not authorized, no
      certificate asked) and then the reset, where node's sees the reset
      as a tlsClientError."""
    if refused_by_server(want):
        test.assertIsNotNone(verdict)
        test.assertEqual(got["server"]["error"], verdict)
        got = dict(got, server=dict(got["server"], error="ECONNRESET"))
    if refused_by_client(want) and got["server"]["secure"]:
        test.assertEqual((got["server"]["authorized"], got["server"]["connError"]), (False, "ECONNRESET"))
        test.assertEqual(want["server"], dict(_record(), connError=None, error="ECONNRESET"))
        got = dict(got, server=want["server"])
    test.assertEqual(got, want)
