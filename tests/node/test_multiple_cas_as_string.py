"""Port of Node's test/parallel/tls/multiple-cas-as-string.js: several CA
certificates may be given as a list or as one string of concatenated
PEMs, to a server, to a context added with addContext, and to a client
that verifies against them (rejectUnauthorized on)."""
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, pki
from nodeport_ports3 import connect_once

NODE = """
const ca1 = pem('other-ca.pem').toString(), ca2 = pem('ca.pem').toString();
const key = pem('server.key').toString(), cert = pem('server-chain.pem').toString();
const out = [];
(function next(cas) {
  if (!cas.length) return report(out);
  const ca = cas[0];
  const s = tls.createServer({ca, cert, key});
  s.addContext('localhost', {ca, cert, key});
  s.listen(0, '127.0.0.1', () => {
    const c = tls.connect({servername: 'localhost', host: '127.0.0.1', port: s.address().port, ca},
                          () => { out.push(c.authorized); c.end(); });
    c.on('error', (e) => { out.push(e.code); });
    c.on('close', () => s.close(() => next(cas.slice(1))));
  });
})([[ca1, ca2], ca1 + '\\n' + ca2]);
"""


class MultipleCasAsString(LoopTestCase):
    def test_ca_list_and_concatenated_string(self):
        want = node_eval(NODE)
        self.assertEqual(want, [True, True])
        ca1, ca2 = pki("other-ca.pem").decode(), pki("ca.pem").decode()
        key, cert = pki("server.key").decode(), pki("server-chain.pem").decode()
        got = []
        for ca in ([ca1, ca2], ca1 + "\n" + ca2):
            server, port = listening_server(self, {"ca": ca, "cert": cert, "key": key})
            server.add_context("localhost", {"ca": ca, "cert": cert, "key": key})
            got.append(connect_once(self, port, lambda c: c.authorized, servername="localhost", ca=ca))
            close_server(self, server)
        self.assertEqual(got, want)


if __name__ == "__main__":
    unittest.main()
