"""Port of Node's test/parallel/tls/socket-destroy.js: a server socket
destroyed on its first 'data' while the client is still writing 1 MiB
(more than one TLS record) neither crashes nor hangs: the server socket
closes, and so does the client (with or without an error, as the peer
vanished mid-write). Node also calls its internal _destroySSL() first
(no tlsplug counterpart: destroy() is the one way). Which sides close, and
how many 'data' events the server saw, come from live node."""
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
let data = 0, serverClosed = false;
const server = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem')}, c => {
  c.once('data', () => { data++; c.destroy(); });
  c.on('close', () => { serverClosed = true; });
});
server.listen(0, '127.0.0.1', () => {
  const cl = tls.connect({port: server.address().port, host: '127.0.0.1', rejectUnauthorized: false},
                         function() { this.write('*'.repeat(1 << 20)); });
  cl.on('error', () => cl.destroy());
  cl.on('close', () => server.close(() => report({data, serverClosed, clientClosed: true})));
});
"""


class SocketDestroy(LoopTestCase):
    def test_destroy_on_first_data_while_the_peer_writes(self):
        want = node_eval(NODE)
        data, server_closed, client_closed = [], [], []

        def on_conn(conn):
            conn.once("data", lambda chunk: (data.append(chunk), conn.destroy()))
            conn.on("close", server_closed.append)

        server, port = listening_server(self, None, on_conn)
        client = tlsplug.connect(port, "127.0.0.1", reject_unauthorized=False,
                                 on_secure_connect=lambda: client.write(b"*" * (1 << 20)))
        client.on("error", lambda e: client.destroy())
        client.on("close", client_closed.append)
        run_until(self, lambda: client_closed and server_closed, what="both sides closed")
        close_server(self, server)
        self.assertEqual({"data": len(data), "serverClosed": bool(server_closed),
                          "clientClosed": bool(client_closed)}, want)


if __name__ == "__main__":
    unittest.main()
