"""Port of Node's test/parallel/tls/client-renegotiation-13.js: on a TLS 1.3
connection a client's renegotiate({}, callback) answers false and the
callback gets an error with Node's code, library and reason (TLS 1.3 has
no renegotiation)."""
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, pki, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
const server = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem')},
                                (s) => s.on('data', () => {})).listen(0, () => {
  const c = tls.connect({port: server.address().port, ca: pem('ca.pem'), servername: 'localhost',
                         checkServerIdentity: () => { identity++; }}, () => {
    const protocol = c.getProtocol();
    const ok = c.renegotiate({}, (err) => report({ok, protocol, identity, code: err.code,
                                                  library: err.library, reason: err.reason}));
  });
  let identity = 0;
});
"""


class ClientRenegotiation13(LoopTestCase):
    def test_tls13_client_renegotiate_fails_with_nodes_error(self):
        want = node_eval(NODE)
        self.assertNotIn("timeout", want)
        server, port = listening_server(self, listener=lambda s: s.on("data", lambda d: None))
        seen = {"identity": 0}

        def identity(host, cert):
            seen["identity"] += 1

        def on_secure():
            seen["protocol"] = client.get_protocol()
            seen["ok"] = client.renegotiate({}, lambda err: seen.setdefault("err", err))

        client = tlsplug.connect(port, "127.0.0.1", ca=pki("ca.pem"), servername="localhost",
                                 check_server_identity=identity, on_secure_connect=on_secure)
        run_until(self, lambda: "err" in seen, what="renegotiate's callback")
        self.assertEqual(seen["protocol"], want["protocol"])
        self.assertEqual(seen["identity"], want["identity"])
        self.assertIs(seen["ok"], want["ok"])
        err = seen["err"]
        self.assertIsInstance(err, tlsplug.TLSError)
        self.assertEqual(err.code, want["code"])
        self.assertEqual(err.library, want["library"])
        self.assertEqual(err.reason, want["reason"])
        client.destroy()
        close_server(self, server)


if __name__ == "__main__":
    unittest.main()
