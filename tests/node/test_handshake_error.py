"""Port of Node's test/parallel/tls/handshake-error.js: tls.connect with a
`ciphers` list that names no suite throws at the call (nothing is
connected), with Node's "no cipher match" error."""
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
const server = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem')});
server.listen(0, '127.0.0.1', () => {
  let out = {thrown: false};
  try {
    tls.connect({port: server.address().port, host: '127.0.0.1', ciphers: 'no-such-cipher'},
                () => { out.connected = true; });
  } catch (e) { out = {thrown: true, code: e.code, message: e.message}; }
  server.close(() => report(out));
});
"""


class HandshakeError(LoopTestCase):
    def test_unknown_cipher_throws_at_connect(self):
        want = node_eval(NODE)
        self.assertTrue(want["thrown"], want)
        self.assertRegex(want["message"], "(?i)no cipher match")
        server, port = listening_server(self)
        secure = []
        with self.assertRaises(tlsplug.TLSError) as caught:
            tlsplug.connect(port, "127.0.0.1", ciphers="no-such-cipher",
                            on_secure_connect=lambda: secure.append(1))
        self.assertEqual(caught.exception.code, want["code"])
        self.assertRegex(str(caught.exception), "(?i)no cipher match")
        self.assertEqual(server.connections, 0)
        close_server(self, server)
        self.assertEqual(secure, [])


if __name__ == "__main__":
    unittest.main()
