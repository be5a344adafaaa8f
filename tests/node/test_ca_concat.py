"""Port of Node's test/parallel/tls/ca-concat.js: `ca` given as one string
of several PEM certificates (an unrelated root first, the server's real
root after it) trusts every certificate in it, so the handshake is
authorized."""
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, pki, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
const server = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem')}, (s) => s.end());
server.listen(0, '127.0.0.1', () => {
  const c = tls.connect({port: server.address().port, host: '127.0.0.1', servername: 'localhost',
                         ca: pem('other-ca.pem') + '\\n' + pem('ca.pem')}, () => {
    const r = {authorized: c.authorized, error: c.authorizationError || null};
    c.destroy(); server.close(); report(r);
  });
  c.on('error', (e) => { server.close(); report({error: e.code}); });
});
"""


class CaConcat(LoopTestCase):
    def test_concatenated_ca_string(self):
        want = node_eval(NODE)
        server, port = listening_server(self, listener=lambda s: s.end())
        got, errors = {}, []
        ca = (pki("other-ca.pem") + b"\n" + pki("ca.pem")).decode()

        def on_secure():
            got.update(authorized=client.authorized, error=client.authorization_error)
            client.destroy()

        client = tlsplug.connect(port, "127.0.0.1", servername="localhost", ca=ca,
                                 on_secure_connect=on_secure)
        client.on("error", lambda e: errors.append(e.code))
        run_until(self, lambda: got or errors, what="handshake")
        self.assertEqual(errors, [])
        self.assertEqual(got, want)
        self.assertTrue(got["authorized"])
        close_server(self, server)


if __name__ == "__main__":
    unittest.main()
