"""Port of Node's test/parallel/tls/use-after-free-regression.js: a client
writes three keep-alive HTTP requests back to back to an (ECDSA) server
that answers each, and destroys itself on the first answer; the server
still sees all three requests and nothing crashes or errors. Live node
(an https server) says how many requests the server serves."""
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, pki, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

REQUEST = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: Keep-alive\r\n\r\n"
ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 23\r\n\r\nboom goes the dynamite\n"

NODE = """
const kMessage = %s;
let served = 0, data = 0;
const server = require('https').createServer({key: pem('server-ec.key'), cert: pem('server-ec-chain.pem')},
  (req, res) => { served++; res.writeHead(200); res.end('boom goes the dynamite\\n'); });
server.listen(0, '127.0.0.1', () => {
  const socket = tls.connect(server.address().port, '127.0.0.1', {rejectUnauthorized: false}, () => {
    socket.write(kMessage); socket.write(kMessage); socket.write(kMessage);
  });
  socket.on('data', () => { data++; socket.destroy(); });
});
server.on('connection', c => c.on('close', () => server.close(() => report({served, data}))));
"""


class UseAfterFreeRegression(LoopTestCase):
    def test_destroy_on_first_answer_to_pipelined_requests(self):
        import json
        want = node_eval(NODE % json.dumps(REQUEST))
        served, server_errors, ended = [], [], []

        def on_conn(conn):
            buf = bytearray()

            def on_data(chunk):
                buf.extend(chunk)
                while b"\r\n\r\n" in buf:
                    del buf[:buf.index(b"\r\n\r\n") + 4]
                    served.append(1)
                    conn.write(ANSWER)

            conn.on("data", on_data)
            conn.on("error", server_errors.append)
            conn.on("close", ended.append)

        server, port = listening_server(self, {"key": pki("server-ec.key"),
                                               "cert": pki("server-ec-chain.pem")}, on_conn)
        data, closed = [], []
        client = tlsplug.connect(port, "127.0.0.1", reject_unauthorized=False)
        client.once("secureConnect", lambda: [client.write(REQUEST) for _ in range(3)])
        client.on("data", lambda chunk: (data.append(chunk), client.destroy()))
        client.on("close", closed.append)
        run_until(self, lambda: closed and ended, what="both sides closed")
        close_server(self, server)
        self.assertEqual(len(served), want["served"])
        self.assertEqual(len(data), want["data"])


if __name__ == "__main__":
    unittest.main()
