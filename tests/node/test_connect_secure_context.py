"""Port of Node's test/parallel/tls/connect-secure-context.js: a client
given a secureContext made with only a CA (and, in the second case, every
other context option as null, which means "not given") verifies the
server and connects, as node does with the same certificates. sessionTimeout,
ticketKeys and sigalgs are not create_secure_context options in the Python
binding (the first two are the server's), so they are not passed."""
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, pki, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
const nulls = {ciphers: null, clientCertEngine: null, crl: null, dhparam: null, passphrase: null,
               pfx: null, privateKeyIdentifier: null, privateKeyEngine: null, sessionIdContext: null,
               sessionTimeout: null, sigalgs: null, ticketKeys: null};
const out = [];
const server = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem')}, () => {});
server.listen(0, '127.0.0.1', () => {
  (function next(i) {
    if (i === 2) { server.close(); return report(out); }
    const ctx = tls.createSecureContext(Object.assign({ca: pem('ca.pem')}, i ? nulls : {}));
    const c = tls.connect({port: server.address().port, host: '127.0.0.1', servername: 'localhost',
                           secureContext: ctx}, () => {
      out.push({authorized: c.authorized}); c.end(); next(i + 1);
    });
    c.on('error', (e) => { out.push({error: e.code}); next(i + 1); });
  })(0);
});
"""

NULLS = dict(ciphers=None, client_cert_engine=None, crl=None, dhparam=None, passphrase=None,
             pfx=None, private_key_identifier=None, private_key_engine=None,
             session_id_context=None)


class ConnectSecureContext(LoopTestCase):
    def test_client_secure_context(self):
        want = node_eval(NODE)
        self.assertIsInstance(want, list)
        server, port = listening_server(self)
        got = []
        for nulls in ({}, NULLS):
            ctx = tlsplug.create_secure_context(ca=pki("ca.pem"), **nulls)

            def on_secure():
                got.append({"authorized": c.authorized})
                c.end()

            c = tlsplug.connect(port, "127.0.0.1", servername="localhost", secure_context=ctx,
                                on_secure_connect=on_secure)
            c.on("error", lambda e: got.append({"error": e.code}))
            run_until(self, lambda: c.closed, what="client close")
            ctx.close()
        self.assertEqual(got, want)
        close_server(self, server)


if __name__ == "__main__":
    unittest.main()
