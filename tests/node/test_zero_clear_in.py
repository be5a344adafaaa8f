"""Port of Node's test/parallel/tls/zero-clear-in.js: a client that calls
end('') (zero bytes of cleartext) right after connect, before its
handshake, gets no 'error': the handshake completes, the server sees the
connection, and both sides close cleanly, as with live node."""
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
let errors = 0, secure = 0, served = 0;
const server = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem')}, c => {
  served++; c.on('error', () => errors++); c.end();
});
server.listen(0, '127.0.0.1', () => {
  const conn = tls.connect({port: server.address().port, host: '127.0.0.1',
                            rejectUnauthorized: false}, () => secure++);
  conn.end('');
  conn.on('error', () => errors++);
  conn.on('close', () => server.close(() => report({errors, secure, served})));
});
"""


class ZeroClearIn(LoopTestCase):
    def test_ending_with_empty_data_before_the_handshake(self):
        want = node_eval(NODE)
        errors, secure, served, closed = [], [], [], []

        def on_conn(conn):
            served.append(conn)
            conn.on("error", errors.append)
            conn.end()

        server, port = listening_server(self, None, on_conn)
        client = tlsplug.connect(port, "127.0.0.1", reject_unauthorized=False,
                                 on_secure_connect=lambda: secure.append(1))
        client.end(b"")
        client.on("error", errors.append)
        client.on("close", closed.append)
        run_until(self, lambda: closed, what="client close")
        close_server(self, server)
        self.assertEqual({"errors": len(errors), "secure": len(secure), "served": len(served)},
                         want)


if __name__ == "__main__":
    unittest.main()
