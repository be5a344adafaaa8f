"""Port of Node's test/parallel/tls/invoke-queued.js: writes a server made
before it destroys the connection are still delivered, in order, and the
client then sees the end. (Node's file chains the writes through write
callbacks, which the Python binding's write() does not take; the writes
here are queued back to back, then the socket is destroyed once they are
flushed, as Node's last callback does.)"""
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
const s = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem')}, (c) => {
  c.write('hello ', null, () => { c.write('world!', null, () => c.destroy()); c.write(' gosh'); });
  s.close();
});
s.listen(0, '127.0.0.1', () => {
  const c = tls.connect(s.address().port, '127.0.0.1', {rejectUnauthorized: false}, () => {
    let got = '';
    c.on('data', (d) => { got += d; });
    c.on('end', () => report({got, end: true}));
  });
});
"""


class InvokeQueued(LoopTestCase):
    def test_queued_writes_arrive_before_destroy(self):
        want = node_eval(NODE)
        self.assertTrue(want.get("end"), want)

        def on_conn(conn):
            for part in ("hello ", "world!", " gosh"):
                conn.write(part)
            conn.on("drain", conn.destroy)
            if conn.buffer_size == 0:
                conn.destroy()

        server, port = listening_server(self, listener=on_conn)
        got, ended = [], []
        client = tlsplug.connect(port, "127.0.0.1", reject_unauthorized=False)
        client.on("data", got.append)
        client.on("end", lambda: ended.append(True))
        run_until(self, lambda: ended, what="the client's end")
        self.assertEqual(b"".join(got).decode(), want["got"])
        close_server(self, server)


if __name__ == "__main__":
    unittest.main()
