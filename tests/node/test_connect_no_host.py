"""Port of Node's test/parallel/tls/connect-no-host.js: tls.connect with a
port and no host goes to localhost and checks the certificate against
'localhost', so a certificate for localhost from a trusted CA is
authorized (the server listens on every address, as Node's does)."""
import unittest

from nodeport import LoopTestCase, close_server, node_eval, pki, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
const server = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem')}).listen(0, () => {
  const socket = tls.connect({port: server.address().port, ca: pem('ca.pem')}, () => {
    const r = {authorized: socket.authorized, servername: socket.servername || null};
    socket.destroy(); server.close(); report(r);
  });
  socket.on('error', (e) => report({error: e.code}));
});
"""


class ConnectNoHost(LoopTestCase):
    def test_no_host_is_localhost(self):
        want = node_eval(NODE)
        self.assertNotIn("timeout", want)
        server = tlsplug.create_server({"key": pki("server.key"), "cert": pki("server-chain.pem")})
        server.listen(0)
        run_until(self, lambda: server.listening, what="listening")
        r = {}

        def on_secure():
            r.update(authorized=socket.authorized, servername=socket.servername or None)
            socket.destroy()

        socket = tlsplug.connect({"port": server.address()["port"], "ca": pki("ca.pem")},
                                 on_secure_connect=on_secure)
        socket.on("error", lambda e: r.update(error=e.code))
        run_until(self, lambda: r, what="secureConnect or error")
        self.assertEqual(r, want)
        close_server(self, server)


if __name__ == "__main__":
    unittest.main()
