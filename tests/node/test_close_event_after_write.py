"""Port of Node's test/parallel/tls/close-event-after-write.js: a server
that ends with 1 MiB once both ends are ready; the client reads all of it
and ends; the server's socket then emits 'close' (once)."""
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

SIZE = 1024 * 1024

NODE = """
const SIZE = %d;
const r = {clientRead: 0, serverCloses: 0};
let cconn = null, sconn = null;
function go() { if (cconn && sconn) { cconn.resume(); sconn.resume(); sconn.end(Buffer.alloc(SIZE)); } }
const server = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem')}, (c) => {
  c.on('close', () => { r.serverCloses++; server.close(() => report(r)); });
  sconn = c; go();
});
server.listen(0, '127.0.0.1', () => {
  tls.connect(server.address().port, '127.0.0.1', {rejectUnauthorized: false}, function() {
    cconn = this;
    cconn.on('data', (d) => { r.clientRead += d.length; if (r.clientRead === SIZE) cconn.end(); });
    go();
  });
});
""" % SIZE


class CloseEventAfterWrite(LoopTestCase):
    def test_server_close_after_large_end(self):
        want = node_eval(NODE)
        self.assertNotIn("timeout", want)
        r = {"clientRead": 0, "serverCloses": 0}
        ends = {}

        def go():
            if len(ends) == 2:
                ends["server"].end(bytes(SIZE))

        def on_connection(sock):
            sock.on("close", lambda *a: r.update(serverCloses=r["serverCloses"] + 1))
            ends["server"] = sock
            go()

        server, port = listening_server(self, listener=on_connection)

        def on_data(d):
            r["clientRead"] += len(d)
            if r["clientRead"] == SIZE:
                client.end()

        def on_secure():
            client.on("data", on_data)
            ends["client"] = client
            go()

        client = tlsplug.connect(port, "127.0.0.1", reject_unauthorized=False,
                                 on_secure_connect=on_secure)
        run_until(self, lambda: r["serverCloses"] and client.closed, what="server socket close")
        close_server(self, server)
        self.assertEqual(r, want)


if __name__ == "__main__":
    unittest.main()
