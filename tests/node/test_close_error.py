"""Port of Node's test/parallel/tls/close-error.js: a client that cannot
verify the server (no CA given) never sees 'secureConnect'; it gets one
'error' and then one 'close' whose had_error argument is true."""
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
const server = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem')}, () => {});
server.listen(0, '127.0.0.1', () => {
  const r = {secure: 0, errors: 0};
  const c = tls.connect(server.address().port, '127.0.0.1', () => { r.secure++; });
  c.on('error', () => { r.errors++; });
  c.on('close', (hadError) => { r.closeArg = hadError; server.close(); report(r); });
});
"""


class CloseError(LoopTestCase):
    def test_unverified_server_error_then_close_with_error(self):
        want = node_eval(NODE)
        self.assertNotIn("timeout", want)
        self.assertTrue(want["closeArg"])  # what Node's file asserts of node itself
        server, port = listening_server(self)
        r = {"secure": 0, "errors": 0}
        c = tlsplug.connect(port, "127.0.0.1", on_secure_connect=lambda: r.update(secure=r["secure"] + 1))
        c.on("error", lambda e: r.update(errors=r["errors"] + 1))
        c.on("close", lambda had_error: r.update(closeArg=had_error))
        run_until(self, lambda: "closeArg" in r, what="client close")
        self.assertEqual(r, want)
        close_server(self, server)


if __name__ == "__main__":
    unittest.main()
