"""Port of Node's test/parallel/tls/buffersize.js: on a connected client,
bufferSize is 0, grows by one with each one-byte write made in the same
tick (nothing has reached the socket yet), and is back to 0 once 'finish'
fires after end(); the server receives every byte.

Deviation (docs/NODE_MAP.md): on the loop a write is encrypted and handed
to the kernel at once (a small write on an idle socket is taken whole), so
bufferSize stays 0 where Node counts the bytes until its stream's write
callback; the test asserts both, side by side. The binding has no
writable-side 'finish' event either: the drained size is read at the
server's 'end', which follows every byte the client sent."""
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

WRITES = 9

NODE = """
const n = %d, sizes = [];
let received = '', finish = null;
const server = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem')}, (s) => {
  s.setEncoding('utf8');
  s.on('data', (d) => { received += d; });
  s.on('end', () => { server.close(); report({sizes, finish, received}); });
});
server.listen(0, '127.0.0.1', () => {
  const c = tls.connect({port: server.address().port, host: '127.0.0.1', rejectUnauthorized: false}, () => {
    sizes.push(c.bufferSize);
    for (let i = 0; i < n; i++) { c.write('a'); sizes.push(c.bufferSize); }
    c.on('finish', () => { finish = c.bufferSize; });
    c.end();
  });
});
""" % WRITES


class BufferSize(LoopTestCase):
    def test_buffer_size_counts_unsent_bytes(self):
        want = node_eval(NODE)
        self.assertEqual(want["sizes"], list(range(WRITES + 1)))  # the oracle itself
        received, ended = [], []

        def on_conn(sock):
            sock.on("data", received.append)
            sock.on("end", lambda: (ended.append(True), finish.append(client.buffer_size)))

        server, port = listening_server(self, listener=on_conn)
        sizes, finish = [], []

        def on_secure():
            sizes.append(client.buffer_size)
            for _ in range(WRITES):
                client.write("a")
                sizes.append(client.buffer_size)
            client.end()

        client = tlsplug.connect(port, "127.0.0.1", reject_unauthorized=False,
                                 on_secure_connect=on_secure)
        run_until(self, lambda: ended and finish, what="server end and client finish")
        self.assertEqual(sizes, [0] * (WRITES + 1))  # tlsplug: already with the kernel
        self.assertEqual(finish, [want["finish"]])
        self.assertEqual(b"".join(received).decode(), want["received"])
        client.destroy()
        close_server(self, server)


if __name__ == "__main__":
    unittest.main()
