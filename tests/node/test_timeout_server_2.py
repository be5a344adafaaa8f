"""Port of Node's test/parallel/tls/timeout-server-2.js: on a server's
secure connection, setTimeout(ms, callback) answers the socket itself and
calls the callback once the connection was idle that long (the client sends
nothing after its handshake); as live node does."""
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
const server = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem')}, (c) => {
  const same = c.setTimeout(50, () => { c.destroy(); server.close(() => report({same, fired: 1})); })
               === c;
});
server.listen(0, '127.0.0.1', () => tls.connect({port: server.address().port, host: '127.0.0.1',
                                                 rejectUnauthorized: false}).on('error', () => {}));
"""


class TimeoutServer2(LoopTestCase):
    def test_idle_secure_connection_times_out(self):
        want = node_eval(NODE)
        answers, fired = [], []

        def on_secure(conn):
            def on_timeout():
                fired.append(conn)
                conn.destroy()
            answers.append(conn.set_timeout(50, on_timeout) is conn)

        server, port = listening_server(self, None, on_secure)
        client = tlsplug.connect(port, "127.0.0.1", reject_unauthorized=False)
        client.on("error", lambda e: None)  # the server destroys it
        closed = []
        client.on("close", closed.append)
        run_until(self, lambda: fired and closed, what="server timeout and client close")
        self.assertEqual({"same": answers == [True], "fired": len(fired)}, want)
        close_server(self, server)


if __name__ == "__main__":
    unittest.main()
