"""Port of Node's test/parallel/tls/sni-server-client.js: a server with a
default certificate and contexts added for an exact name, a wildcard
('*.test.com', matching one label only) and a name whose context sends a
chain. The client's servername picks the certificate it gets (read by its
authorizationError: a trusted certificate for another name gives
ERR_TLS_CERT_ALTNAME_INVALID, the self-signed default does not), and the
server's socket reports that servername. Every value is live node's."""
import json
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, pki, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

CONTEXTS = [("a.example.com", "server"), ("*.test.com", "wronghost"),
            ("chain.example.com", "server-ec")]
NAMES = ["a.example.com", "b.test.com", "a.b.test.com", "c.wrong.com", "chain.example.com"]

NODE = """
const contexts = %s, names = %s, out = [];
(function next(i) {
  if (i === names.length) return report(out);
  const r = {};
  const server = tls.createServer({key: pem('self.key'), cert: pem('self.pem')}, s => {
    r.servername = s.servername; r.authorized = s.authorized;
  });
  for (const [host, name] of contexts)
    server.addContext(host, {key: pem(name + '.key'), cert: pem(name + '-chain.pem')});
  server.on('tlsClientError', e => { r.tlsClientError = e.code; });
  server.listen(0, '127.0.0.1', () => {
    const c = tls.connect({host: '127.0.0.1', port: server.address().port, ca: pem('ca.pem'),
                           servername: names[i], rejectUnauthorized: false}, () => {
      r.authorizationError = c.authorizationError;
      r.subject = c.getPeerCertificate().subject.CN; c.end();
    });
    c.resume();
    c.on('close', () => server.close(() => { out.push(r); next(i + 1); }));
  });
})(0);
"""


class SniServerClient(LoopTestCase):
    def test_servername_picks_context(self):
        want = node_eval(NODE % (json.dumps(CONTEXTS), json.dumps(NAMES)))
        self.assertEqual([w["authorizationError"] == "ERR_TLS_CERT_ALTNAME_INVALID" for w in want],
                         [True, True, False, False, True])
        for name, expected in zip(NAMES, want):
            with self.subTest(servername=name):
                r = {}
                server, port = listening_server(
                    self, {"key": pki("self.key"), "cert": pki("self.pem")},
                    listener=lambda s: r.update(servername=s.servername, authorized=s.authorized))
                for host, base in CONTEXTS:
                    server.add_context(host, {"key": pki(base + ".key"),
                                              "cert": pki(base + "-chain.pem")})
                server.on("tlsClientError", lambda e, s: r.update(tlsClientError=e.code))

                def on_secure():
                    r.update(authorizationError=c.authorization_error,
                             subject=c.get_peer_certificate()["subject"]["CN"])
                    c.end()
                c = tlsplug.connect(port, "127.0.0.1", ca=pki("ca.pem"), servername=name,
                                    reject_unauthorized=False, on_secure_connect=on_secure)
                c.on("data", lambda d: None)
                closed = []
                c.on("close", closed.append)
                run_until(self, lambda: closed, what="client close")
                close_server(self, server)
                self.assertEqual(r, expected)


if __name__ == "__main__":
    unittest.main()
