"""Port of Node's test/parallel/tls/client-renegotiation-limit.js: over TLS
1.2, for each tls.CLIENT_RENEG_LIMIT, a client that renegotiates again as
soon as each renegotiation completes is cut off by the server after
LIMIT + 1 attempts: the server socket's error is the renegotiation attack,
and the client, whose server destroyed the connection, closes with no
error (hadError false), having started LIMIT + 1 renegotiations."""
import json
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

LIMITS = [0, 1, 2, 3, 5, 10, 16]

NODE = """
tls.DEFAULT_MAX_VERSION = 'TLSv1.2';
const limits = %s, out = [];
(function next(i) {
  if (i === limits.length) return report(out);
  tls.CLIENT_RENEG_LIMIT = limits[i];
  const r = {renegs: 0, serverError: null, clientErrors: 0, callbackErrors: 0};
  const server = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem')}, (conn) => {
    conn.on('error', (err) => { r.serverError = err.code; r.attack = /TLS session renegotiation attack/.test(err.message);
                                conn.destroy(); });
    conn.pipe(conn);
  });
  server.listen(0, () => {
    const client = tls.connect({port: server.address().port, rejectUnauthorized: false}, spam);
    client.on('error', () => { r.clientErrors++; });
    client.on('close', (hadError) => { r.hadError = hadError; server.close(); out.push(r); next(i + 1); });
    function spam() {
      client.write('');
      client.renegotiate({}, (err) => { if (err) r.callbackErrors++; else spam(); });
      r.renegs++;
    }
  });
})(0);
"""


class ClientRenegotiationLimit(LoopTestCase):
    def test_server_cuts_a_renegotiating_client_at_the_limit(self):
        want = node_eval(NODE % json.dumps(LIMITS), timeout=30)
        self.assertIsInstance(want, list)
        saved = [tlsplug.get_default("CLIENT_RENEG_LIMIT"), tlsplug.get_default("DEFAULT_MAX_VERSION")]
        tlsplug.set_default("DEFAULT_MAX_VERSION", "TLSv1.2")
        try:
            for limit, expected in zip(LIMITS, want):
                with self.subTest(limit=limit):
                    tlsplug.set_default("CLIENT_RENEG_LIMIT", limit)
                    self.assertEqual(self.attack(), expected)
        finally:
            tlsplug.set_default("CLIENT_RENEG_LIMIT", saved[0])
            tlsplug.set_default("DEFAULT_MAX_VERSION", saved[1])

    def attack(self):
        r = {"renegs": 0, "serverError": None, "clientErrors": 0, "callbackErrors": 0}

        def on_connection(conn):
            def on_error(err):
                r.update(serverError=err.code,
                         attack="TLS session renegotiation attack" in str(err))
                conn.destroy()
            conn.on("error", on_error)
            conn.on("data", conn.write)

        server, port = listening_server(self, listener=on_connection)

        def spam():
            client.write(b"")
            client.renegotiate({}, lambda err: r.update(callbackErrors=r["callbackErrors"] + 1)
                               if err else spam())
            r["renegs"] += 1

        client = tlsplug.connect(port, "127.0.0.1", reject_unauthorized=False,
                                 on_secure_connect=spam)
        client.on("error", lambda err: r.update(clientErrors=r["clientErrors"] + 1,
                                                clientCode=err.code))
        client.on("close", lambda had_error: r.update(hadError=had_error))
        run_until(self, lambda: "hadError" in r, what="client close")
        close_server(self, server)
        return r


if __name__ == "__main__":
    unittest.main()
