"""Port of Node's test/parallel/tls/empty-sni-context.js: an SNICallback
that answers a context with no certificate fails the connection: the
server's tlsClientError says a null parameter was passed (Node's code), the
client gets the handshake_failure alert, and no secureConnection happens."""
import unittest

from nodeport import LoopTestCase, close_server, node_eval, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
const server = tls.createServer({SNICallback: (name, cb) => cb(null, tls.createSecureContext())},
                                () => { r.secureConnection = true; });
const r = {secureConnection: false};
const done = () => { if (r.server && r.client) { server.close(); report(r); } };
server.on('tlsClientError', (err) => { r.server = {code: err.code, nullParameter:
  /passed a null parameter/i.test(err.message)}; done(); });
server.listen(0, () => {
  const c = tls.connect({port: server.address().port, rejectUnauthorized: false,
                         servername: 'any.name'}, () => { r.secureConnect = true; });
  c.on('error', (err) => { r.client = {code: err.code}; done(); });
});
"""


class EmptySNIContext(LoopTestCase):
    def test_sni_context_without_certificate_fails_both_sides(self):
        want = node_eval(NODE)
        self.assertNotIn("timeout", want)
        r = {"secureConnection": False}

        def sni(name, cb):
            cb(None, tlsplug.create_secure_context())

        server = tlsplug.create_server({"sni_callback": sni},
                                       lambda s: r.update(secureConnection=True))
        server.on("tlsClientError", lambda err, s: r.update(server={
            "code": err.code, "nullParameter": "passed a null parameter" in str(err).lower()}))
        server.listen(0, "127.0.0.1")
        run_until(self, lambda: server.listening, what="listening")
        client = tlsplug.connect(server.address()["port"], "127.0.0.1",
                                 reject_unauthorized=False, servername="any.name",
                                 on_secure_connect=lambda: r.update(secureConnect=True))
        client.on("error", lambda err: r.update(client={"code": err.code}))
        run_until(self, lambda: "server" in r and "client" in r, what="both errors")
        self.assertEqual(r, want)
        close_server(self, server)


if __name__ == "__main__":
    unittest.main()
