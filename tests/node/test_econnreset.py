"""Port of Node's test/parallel/tls/econnreset.js: a plain TCP client that
connects and goes away before any handshake gives the TLS server one
'tlsClientError' (with the socket) whose code and message are node's
("socket hang up", ECONNRESET), and no secure connection."""
import socket
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, run_until

NODE = """
const r = {clientErrors: 0, secure: 0};
const server = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem')}, () => r.secure++);
server.on('tlsClientError', (err, conn) => {
  r.clientErrors++; r.withSocket = !!conn; r.code = err.code; r.message = err.message;
  server.close(() => report(r));
});
server.listen(0, '127.0.0.1', () => {
  const c = net.connect(server.address().port, '127.0.0.1', () => c.destroy());
});
"""


class EConnReset(LoopTestCase):
    def test_hang_up_before_handshake(self):
        want = node_eval(NODE)
        self.assertNotIn("timeout", want)
        r = {"clientErrors": 0, "secure": 0}

        def on_client_error(err, conn):
            r.update(clientErrors=r["clientErrors"] + 1, withSocket=conn is not None,
                     code=err.code, message=err.message)

        server, port = listening_server(self, listener=lambda s: r.update(secure=r["secure"] + 1))
        server.on("tlsClientError", on_client_error)
        raw = socket.create_connection(("127.0.0.1", port), timeout=5)
        raw.close()
        run_until(self, lambda: r["clientErrors"], what="tlsClientError")
        close_server(self, server)
        self.assertEqual(r, want)


if __name__ == "__main__":
    unittest.main()
