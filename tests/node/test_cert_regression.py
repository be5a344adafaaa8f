"""Port of Node's test/parallel/tls/cert-regression.js: a server made from
a PEM certificate and key given as strings, and again as bytes, listens and
closes (its close callback runs) without an error; live node does the same
with the same PEMs in this run."""
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, pki

NODE = """
const cert = pem('self.pem').toString(), key = pem('self.key').toString(), out = [];
function once(c, k, next) {
  const s = tls.createServer({cert: c, key: k}).listen(0, '127.0.0.1', () => s.close(() => { out.push('closed'); next(); }));
}
once(cert, key, () => once(Buffer.from(cert), Buffer.from(key), () => report(out)));
"""


class CertRegression(LoopTestCase):
    def test_string_and_bytes_pem(self):
        want = node_eval(NODE)
        got = []
        cert, key = pki("self.pem"), pki("self.key")
        for c, k in ((cert.decode(), key.decode()), (cert, key)):
            server, _ = listening_server(self, {"cert": c, "key": k})
            close_server(self, server)
            got.append("closed")
        self.assertEqual(got, want)


if __name__ == "__main__":
    unittest.main()
