"""Port of Node's test/parallel/tls/friendly-error-message.js: a client
with rejectUnauthorized that cannot verify the server's certificate gets an
'error' with OpenSSL's verify code and its readable message (node's, in
the same run, against the same server certificate)."""
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
const server = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem')});
server.on('connection', () => server.close());
server.listen(0, '127.0.0.1', () => {
  tls.connect({port: server.address().port, host: '127.0.0.1', rejectUnauthorized: true})
    .on('error', (e) => report({code: e.code, message: e.message}));
});
"""


class FriendlyErrorMessage(LoopTestCase):
    def test_verify_error_code_and_message(self):
        want = node_eval(NODE)
        self.assertNotIn("timeout", want)
        server, port = listening_server(self)
        got = []
        c = tlsplug.connect(port, "127.0.0.1", reject_unauthorized=True)
        c.on("error", got.append)
        run_until(self, lambda: got, what="client error")
        self.assertIsInstance(got[0], tlsplug.TLSError)
        self.assertEqual({"code": got[0].code, "message": got[0].message}, want)
        closed = []
        c.on("close", closed.append)
        run_until(self, lambda: c.closed or closed, what="client close")
        close_server(self, server)


if __name__ == "__main__":
    unittest.main()
