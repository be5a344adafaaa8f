"""Port of Node's test/parallel/tls/add-context.js: addContext() with a
dict of options and with a SecureContext serves that context (here: its CA
trusts the client's certificate, so the requestCert server finds the client
authorized) to clients whose servername matches; an unknown name gets the
server's own context (not authorized). Plus addContext() without a name,
which Node refuses at the call with its own code."""
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, pki, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NAMES = ["context1", "context2", "unknowncontext"]

NODE = """
const server = tls.createServer({key: pem('self.key'), cert: pem('self.pem'), ca: [pem('other-ca.pem')],
                                 requestCert: true, rejectUnauthorized: false}, (c) => {
  r.authorized[c.servername] = c.authorized;
  if (Object.keys(r.authorized).length === 3) { server.close(); report(r); }
});
const r = {authorized: {}, noName: {}};
const ctx = {key: pem('server.key'), cert: pem('server-chain.pem'), ca: [pem('ca.pem')]};
server.addContext('context1', ctx);
server.addContext('context2', tls.createSecureContext(ctx));
for (const [k, v] of [['undefined', undefined], ['empty', '']]) {
  try { server.addContext(v, ctx); r.noName[k] = null; } catch (e) { r.noName[k] = e.code; }
}
server.listen(0, () => {
  for (const servername of %s) {
    const c = tls.connect({key: pem('client.key'), cert: pem('client-chain.pem'), ca: [pem('ca.pem')],
                           rejectUnauthorized: false, port: server.address().port, servername},
                          () => c.end());
  }
});
"""


class AddContext(LoopTestCase):
    def test_contexts_by_servername(self):
        import json
        want = node_eval(NODE % json.dumps(NAMES))
        self.assertNotIn("timeout", want)
        authorized = {}
        server, port = listening_server(
            self, {"key": pki("self.key"), "cert": pki("self.pem"), "ca": [pki("other-ca.pem")],
                   "request_cert": True, "reject_unauthorized": False},
            lambda c: authorized.__setitem__(c.servername, c.authorized))
        ctx = {"key": pki("server.key"), "cert": pki("server-chain.pem"), "ca": [pki("ca.pem")]}
        server.add_context("context1", ctx)
        server.add_context("context2", tlsplug.create_secure_context(**ctx))
        no_name = {}
        for key, name in (("undefined", None), ("empty", "")):
            try:
                server.add_context(name, ctx)
                no_name[key] = None
            except tlsplug.TLSError as e:
                no_name[key] = e.code
        self.assertEqual(no_name, want["noName"])
        for servername in NAMES:
            c = tlsplug.connect(port, "127.0.0.1", key=pki("client.key"),
                                cert=pki("client-chain.pem"), ca=[pki("ca.pem")],
                                reject_unauthorized=False, servername=servername)
            c.once("secureConnect", c.end)
        run_until(self, lambda: len(authorized) == 3, what="three connections")
        self.assertEqual(authorized, want["authorized"])
        close_server(self, server)


if __name__ == "__main__":
    unittest.main()
