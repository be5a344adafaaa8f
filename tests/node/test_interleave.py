"""Port of Node's test/parallel/tls/interleave.js: three separate writes of
a server, made while the client writes too, reach the client whole and in
order."""
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

WRITES = ["some server data", "and a separate packet", "and one more"]

NODE = """
const writes = %r;
const s = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem')}, (c) => {
  c.resume(); writes.forEach((w) => c.write(w));
});
s.listen(0, '127.0.0.1', () => {
  const c = tls.connect(s.address().port, '127.0.0.1', {rejectUnauthorized: false}, () => {
    c.write('some client data');
    let got = '';
    c.on('data', (d) => {
      got += d;
      if (got.length >= writes.join('').length) { c.end(); s.close(); report(got); }
    });
  });
});
"""


class Interleave(LoopTestCase):
    def test_server_writes_arrive_in_order(self):
        want = node_eval(NODE % (WRITES,))
        self.assertEqual(want, "".join(WRITES))
        server_got = []

        def on_conn(conn):
            conn.on("data", server_got.append)
            for w in WRITES:
                conn.write(w)

        server, port = listening_server(self, listener=on_conn)
        got = []
        client = tlsplug.connect(port, "127.0.0.1", reject_unauthorized=False,
                                 on_secure_connect=lambda: client.write("some client data"))
        client.on("data", got.append)
        run_until(self, lambda: len(b"".join(got)) >= len(want), what="the server's writes")
        self.assertEqual(b"".join(got).decode(), want)
        run_until(self, lambda: server_got, what="the client's write")
        self.assertEqual(b"".join(server_got), b"some client data")
        closed = []
        client.on("close", closed.append)
        client.end()
        run_until(self, lambda: closed, what="client close")
        close_server(self, server)


if __name__ == "__main__":
    unittest.main()
