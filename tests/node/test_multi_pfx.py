"""Port of Node's test/parallel/tls/multi-pfx.js: `pfx` as a list, one
entry an object with its own passphrase, the other a bare bundle without
a password, gives the server an RSA and an ECDSA identity; a client
asking for an ECDHE-ECDSA suite and one asking for ECDHE-RSA both connect,
getCipher() as Node answers."""
import json
import unittest

from nodeport import LoopTestCase, close_server, node_eval
from nodeport_ports3 import connect_once, make_pfx, serve

SUITES = ["ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384"]

NODE = """
const suites = %s, rsaPfx = fs.readFileSync(%s), ecPfx = fs.readFileSync(%s);
const s = tls.createServer({pfx: [{buf: rsaPfx, passphrase: 'sample'}, ecPfx]}, (c) => c.end('ok'));
const out = [];
s.listen(0, '127.0.0.1', () => {
  (function one(j) {
    if (j === suites.length) return s.close(() => report(out));
    const c = tls.connect({port: s.address().port, host: '127.0.0.1', ciphers: suites[j],
                           maxVersion: 'TLSv1.2', rejectUnauthorized: false}, () => {
      out.push(c.getCipher()); c.end(); one(j + 1);
    });
  })(0);
});
"""


class MultiPfx(LoopTestCase):
    def test_two_bundles_two_identities(self):
        rsa = make_pfx(self, cert="server.pem", key="server.key", chain="int.pem")
        ec = make_pfx(self, cert="server-ec.pem", key="server-ec.key", chain="int.pem", password="")
        want = node_eval(NODE % (json.dumps(SUITES), json.dumps(rsa), json.dumps(ec)))
        self.assertEqual([c["name"] for c in want], SUITES)
        with open(rsa, "rb") as f:
            rsa_der = f.read()
        with open(ec, "rb") as f:
            ec_der = f.read()
        server, port = serve(
            self, {"pfx": [{"buf": rsa_der, "passphrase": "sample"}, ec_der]},
            listener=lambda c: c.end("ok"))
        got = [connect_once(self, port, lambda c: c.get_cipher(), ciphers=suite,
                            max_version="TLSv1.2", reject_unauthorized=False) for suite in SUITES]
        close_server(self, server)
        self.assertEqual(got, want)


if __name__ == "__main__":
    unittest.main()
