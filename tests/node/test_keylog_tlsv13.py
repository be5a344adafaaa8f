"""Port of Node's test/parallel/tls/keylog-tlsv13.js: over TLS 1.3 the
client's and the server's 'keylog' listeners, added right after connect(),
each get one NSS key log line per secret (bytes), and the server's listener
also gets the socket it is about."""
import unittest

from nodeport import LoopTestCase, listening_server, node_eval, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE_COUNTS = """
const server = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem'),
                                 minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3'}).listen(0, () => {
  const client = tls.connect({port: server.address().port, rejectUnauthorized: false});
  const n = {client: 0, server: 0, buffers: true, encrypted: true};
  server.on('keylog', (line, sock) => { n.server++; n.buffers &&= Buffer.isBuffer(line);
                                        n.encrypted &&= sock.encrypted === true; });
  client.on('keylog', (line) => { n.client++; n.buffers &&= Buffer.isBuffer(line); });
  client.once('secureConnect', () => { server.close(); client.end(); });
  client.on('close', () => setImmediate(() => report(n)));
});
"""


class KeylogTLSv13(LoopTestCase):
    def test_listeners_added_after_connect_get_every_line(self):
        want = node_eval(NODE_COUNTS)
        self.assertNotIn("timeout", want)
        server, port = listening_server(self, {"min_version": "TLSv1.3",
                                               "max_version": "TLSv1.3"})
        client = tlsplug.connect(port, "127.0.0.1", reject_unauthorized=False)
        got = {"client": [], "server": []}
        server.on("keylog", lambda line, sock: got["server"].append((line, sock.encrypted)))
        client.on("keylog", got["client"].append)  # after connect(), as Node's test
        closed = []
        client.once("secureConnect", lambda: (server.close(), client.end()))
        client.on("close", closed.append)
        run_until(self, lambda: closed, what="client close")
        self.assertEqual(len(got["client"]), want["client"])
        self.assertEqual(len(got["server"]), want["server"])
        self.assertTrue(want["buffers"] and want["encrypted"])
        self.assertTrue(all(isinstance(line, bytes) for line in got["client"]))
        self.assertTrue(all(isinstance(line, bytes) and enc is True
                            for line, enc in got["server"]))
        run_until(self, lambda: not tlsplug.get_loop().alive, what="server closed")


if __name__ == "__main__":
    unittest.main()
