"""Port of Node's test/parallel/tls/fast-writing.js: a client writing 1 KiB
chunks until write() answers false gets 'drain' and may go on writing,
while the server receives the data as non-empty byte chunks."""
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
const r = {gotChunk: false, gotDrain: false, chunksAreBuffers: true, refused: false};
function done() { if (r.gotChunk && r.gotDrain) report(r); }
const server = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem')}, (conn) => {
  conn.on('data', (c) => {
    r.gotChunk = true;
    if (!Buffer.isBuffer(c) || !c.length) r.chunksAreBuffers = false;
    done();
  });
});
server.listen(0, '127.0.0.1', () => {
  const chunk = Buffer.alloc(1024, 'x');
  const conn = tls.connect({port: server.address().port, host: '127.0.0.1', rejectUnauthorized: false}, () => {
    conn.on('drain', () => { r.gotDrain = true; done(); write(); });
    write();
  });
  function write() { while (conn.write(chunk) !== false); r.refused = true; }
});
"""


class FastWriting(LoopTestCase):
    def test_write_until_false_then_drain(self):
        want = node_eval(NODE)
        self.assertNotIn("timeout", want)
        r = {"gotChunk": False, "gotDrain": False, "chunksAreBuffers": True, "refused": False}
        chunk = b"x" * 1024

        def on_connection(conn):
            def on_data(c):
                r["gotChunk"] = True
                if not isinstance(c, bytes) or not c:
                    r["chunksAreBuffers"] = False
            conn.on("data", on_data)

        server, port = listening_server(self, listener=on_connection)
        done = lambda: r["gotChunk"] and r["gotDrain"]  # noqa: E731

        def write():
            for _ in range(100000):  # bounded: a write buffer that never fills fails below
                if client.write(chunk) is False:
                    r["refused"] = True
                    return
            self.fail("write() never answered false")

        def on_drain():
            r["gotDrain"] = True
            if not done():
                write()

        def on_secure():
            client.on("drain", on_drain)
            write()

        client = tlsplug.connect(port, "127.0.0.1", reject_unauthorized=False,
                                 on_secure_connect=on_secure)
        run_until(self, done, what="a chunk at the server and a drain at the client")
        self.assertEqual(r, want)
        client.destroy()
        run_until(self, lambda: client.closed, what="client close")
        close_server(self, server)


if __name__ == "__main__":
    unittest.main()
