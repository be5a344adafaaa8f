"""Port of Node's test/parallel/tls/timeout-server.js: a server with
handshakeTimeout whose TCP client never sends a ClientHello reports
'tlsClientError' with the timeout error and the connection, and never
'secureConnection'. The error's code and message are taken from live node."""
import socket
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, run_until

NODE = """
const server = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem'),
                                 handshakeTimeout: 50}, () => report({secure: true}));
server.on('tlsClientError', (err, conn) => {
  const out = {code: err.code, message: err.message, conn: conn instanceof tls.TLSSocket};
  conn.destroy(); server.close(() => report(out));
});
server.listen(0, '127.0.0.1', () => net.connect(server.address().port, '127.0.0.1'));
"""


class TimeoutServer(LoopTestCase):
    def test_silent_client_times_out_the_handshake(self):
        want = node_eval(NODE)
        self.assertTrue(want.get("conn"), want)
        secure, client_errors = [], []
        server, port = listening_server(self, {"handshake_timeout": 50}, secure.append)
        server.on("tlsClientError", lambda err, conn: (client_errors.append((err, conn)),
                                                       conn.destroy()))
        silent = socket.create_connection(("127.0.0.1", port), timeout=10)
        try:
            run_until(self, lambda: client_errors, what="tlsClientError")
        finally:
            silent.close()
        err, conn = client_errors[0]
        self.assertEqual(err.code, want["code"])
        self.assertEqual(str(err.message), want["message"])
        self.assertIsNotNone(conn)
        self.assertEqual(secure, [])
        close_server(self, server)


if __name__ == "__main__":
    unittest.main()
