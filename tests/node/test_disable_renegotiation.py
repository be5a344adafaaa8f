"""Port of Node's test/parallel/tls/disable-renegotiation.js (TLS 1.2): a
client's renegotiate() checks its arguments at the call (Node's
ERR_INVALID_ARG_TYPE); a first renegotiation succeeds; after the server
socket's disableRenegotiation(), the next one answers true but the server
socket fails with Node's code and message and the callback never runs.

Deviation (docs/NODE_MAP.md): a Node client emits 'secure' and
'secureConnect' again when a renegotiation completes; a tlsplug client does
not (renegotiate()'s callback says it completed), so those counts are
checked to differ exactly so."""
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
tls.DEFAULT_MAX_VERSION = 'TLSv1.2';
const r = {argErrors: [], first: null, second: null, firstCallback: null, secondCallback: 0,
           secure: 0, secureConnect: 0};
const server = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem')}, (socket) => {
  socket.on('error', (err) => { r.server = {code: err.code, message: err.message};
                                socket.destroy(); server.close(); });
  socket.on('data', (chunk) => { socket.write(chunk); socket.disableRenegotiation(); });
});
server.on('close', () => setTimeout(() => report(r), 100));
server.listen(0, () => {
  const client = tls.connect({rejectUnauthorized: false, port: server.address().port}, () => {
    for (const args of [[() => {}], [{}, false]]) {
      try { client.renegotiate(...args); r.argErrors.push(null); } catch (e) { r.argErrors.push(e.code); }
    }
    r.first = client.renegotiate({}, (err) => {
      r.firstCallback = err ? err.code : 'ok';
      client.write('data', () => { r.second = client.renegotiate({}, () => { r.secondCallback++; }); });
    });
  });
  client.on('secureConnect', () => r.secureConnect++);
  client.on('secure', () => r.secure++);
  client.on('error', () => {});
});
"""


class DisableRenegotiation(LoopTestCase):
    def test_renegotiation_until_disabled(self):
        want = node_eval(NODE)
        self.assertNotIn("timeout", want)
        r = {"argErrors": [], "first": None, "second": None, "firstCallback": None,
             "secondCallback": 0, "secure": 0, "secureConnect": 0}

        def on_connection(socket):
            def on_error(err):
                r["server"] = {"code": err.code, "message": err.message}
                socket.destroy()
            socket.on("error", on_error)
            socket.on("data", lambda chunk: (socket.write(chunk), socket.disable_renegotiation()))

        server, port = listening_server(self, {"max_version": "TLSv1.2"}, on_connection)

        def second_callback(err):
            r["secondCallback"] += 1

        def first_callback(err):
            r["firstCallback"] = err.code if err else "ok"
            client.write(b"data")
            r["second"] = client.renegotiate({}, second_callback)

        def on_secure_connect():
            for args in (((lambda: None),), ({}, False)):
                try:
                    client.renegotiate(*args)
                    r["argErrors"].append(None)
                except TypeError as e:
                    r["argErrors"].append(getattr(e, "code", None))
            r["first"] = client.renegotiate({}, first_callback)

        client = tlsplug.connect(port, "127.0.0.1", reject_unauthorized=False,
                                 on_secure_connect=on_secure_connect)
        client.on("secureConnect", lambda: r.update(secureConnect=r["secureConnect"] + 1))
        client.on("secure", lambda: r.update(secure=r["secure"] + 1))
        client.on("error", lambda e: None)
        closed = []
        client.on("close", closed.append)
        run_until(self, lambda: "server" in r and closed, what="server error and client close")
        counts = {k: (r.pop(k), want.pop(k)) for k in ("secure", "secureConnect")}
        self.assertEqual(r, want)
        # Node: one per handshake (2); tlsplug: secureConnect once, no 'secure'.
        self.assertEqual(counts, {"secure": (0, 2), "secureConnect": (1, 2)})
        close_server(self, server)


if __name__ == "__main__":
    unittest.main()
