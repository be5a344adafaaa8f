"""Port of Node's test/parallel/tls/server-connection-server.js: the
server's 'connection' event hands over the accepted socket, whose `server`
is that very server (node answers the same of its own, in this run)."""
import unittest

from nodeport import LoopTestCase, listening_server, node_eval
from nodeport_ports4 import one_client

NODE = """
const server = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem')},
                                s => s.end('hello'));
server.listen(0, '127.0.0.1', () => {
  const r = {};
  server.on('connection', s => { r.connections = (r.connections || 0) + 1;
                                 r.sameServer = s.server === server; });
  const c = tls.connect({host: '127.0.0.1', port: server.address().port,
                         rejectUnauthorized: false}, () => c.end());
  c.resume();
  c.on('close', () => server.close(() => report(r)));
});
"""


class ServerConnectionServer(LoopTestCase):
    def test_connection_socket_server(self):
        want = node_eval(NODE)
        self.assertTrue(want["sameServer"])
        server, port = listening_server(self, listener=lambda s: s.end(b"hello"))
        got = {}

        def on_connection(s):
            got["connections"] = got.get("connections", 0) + 1
            got["sameServer"] = s.server is server
        server.on("connection", on_connection)
        one_client(self, server, port)
        self.assertEqual(got, want)


if __name__ == "__main__":
    unittest.main()
