"""Port of Node's test/parallel/tls/connect-simple.js: two clients (one
with the connect callback, one with a 'secureConnect' listener) both reach
the server's secure-connection listener; server.close(callback) then calls
the callback and emits 'close', once each."""
import unittest

from nodeport import LoopTestCase, listening_server, node_eval, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
const r = {serverSecure: 0, clientSecure: 0, closeCallbacks: 0, closeEvents: 0};
const server = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem')}, () => {
  if (++r.serverSecure === 2) {
    server.close(() => { r.closeCallbacks++; setImmediate(() => report(r)); });
    server.on('close', () => r.closeEvents++);
  }
});
server.listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  const c1 = tls.connect({port, host: '127.0.0.1', rejectUnauthorized: false}, () => { r.clientSecure++; c1.end(); });
  const c2 = tls.connect({port, host: '127.0.0.1', rejectUnauthorized: false});
  c2.on('secureConnect', () => { r.clientSecure++; c2.end(); });
});
"""


class ConnectSimple(LoopTestCase):
    def test_two_clients_then_close(self):
        want = node_eval(NODE)
        self.assertNotIn("timeout", want)
        r = {"serverSecure": 0, "clientSecure": 0, "closeCallbacks": 0, "closeEvents": 0}

        def on_connection(sock):
            r["serverSecure"] += 1
            if r["serverSecure"] == 2:
                server.close(lambda *a: r.update(closeCallbacks=r["closeCallbacks"] + 1))
                server.on("close", lambda *a: r.update(closeEvents=r["closeEvents"] + 1))

        server, port = listening_server(self, listener=on_connection)

        def secure(c):
            r["clientSecure"] += 1
            c.end()

        c1 = tlsplug.connect(port, "127.0.0.1", reject_unauthorized=False,
                             on_secure_connect=lambda: secure(c1))
        c2 = tlsplug.connect(port, "127.0.0.1", reject_unauthorized=False)
        c2.on("secureConnect", lambda: secure(c2))
        run_until(self, lambda: r["closeCallbacks"] and c1.closed and c2.closed,
                  what="server close callback")
        self.assertEqual(r, want)


if __name__ == "__main__":
    unittest.main()
