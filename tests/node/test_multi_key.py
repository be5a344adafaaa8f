"""Port of Node's test/parallel/tls/multi-key.js: one server holding an RSA
and an ECDSA identity (keys and certs listed in different orders, or one
of them from a PKCS#12 bundle) picks the certificate that fits the
client's suite: an ECDHE-ECDSA client gets the P-256 certificate
(asn1Curve prime256v1), an ECDHE-RSA client the RSA one (it has an
exponent), both verified against the client's CAs, with getCipher() as
Node answers."""
import unittest

from nodeport import LoopTestCase, close_server, node_eval, pki, run_until
from nodeport_ports3 import make_pfx, serve
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

SUITES = ["ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384"]

NODE = """
const suites = %s;
const variants = %s;
const out = [];
(function next(i) {
  if (i === variants.length) return report(out);
  const v = variants[i], opts = {key: v.key.map(pem), cert: v.cert.map(pem)};
  if (v.pfx) { opts.pfx = fs.readFileSync(v.pfx); opts.passphrase = 'sample'; }
  const s = tls.createServer(opts, (c) => c.end('ok'));
  s.listen(0, '127.0.0.1', () => {
    const row = [];
    (function one(j) {
      if (j === suites.length) { out.push(row); return s.close(() => next(i + 1)); }
      const c = tls.connect({port: s.address().port, host: '127.0.0.1', servername: 'localhost',
                             ciphers: suites[j], maxVersion: 'TLSv1.2', ca: pem('ca.pem')}, () => {
        const pc = c.getPeerCertificate();
        row.push({cipher: c.getCipher(), authorized: c.authorized, curve: pc.asn1Curve || null,
                  rsa: !!pc.exponent});
        c.end(); one(j + 1);
      });
    })(0);
  });
})(0);
"""


class MultiKey(LoopTestCase):
    def variants(self):
        ec_pfx = make_pfx(self, cert="server-ec.pem", key="server-ec.key", chain="int.pem")
        rsa_pfx = make_pfx(self, cert="server.pem", key="server.key", chain="int.pem")
        return [
            # key ec, rsa; cert rsa, ec
            {"key": ["server-ec.key", "server.key"], "cert": ["server-chain.pem", "server-ec-chain.pem"]},
            # key and cert both ec, rsa
            {"key": ["server-ec.key", "server.key"], "cert": ["server-ec-chain.pem", "server-chain.pem"]},
            # the ECDSA identity from a pfx, the RSA one from key/cert
            {"key": ["server.key"], "cert": ["server-chain.pem"], "pfx": ec_pfx},
            # the RSA identity from a pfx, the ECDSA one from key/cert
            {"key": ["server-ec.key"], "cert": ["server-ec-chain.pem"], "pfx": rsa_pfx},
        ]

    def test_certificate_fits_the_suite(self):
        import json
        variants = self.variants()
        want = node_eval(NODE % (json.dumps(SUITES), json.dumps(variants)))
        self.assertEqual(len(want), len(variants), want)
        for v, want_row in zip(variants, want):
            with self.subTest(variant=v):
                opts = {"key": [pki(n) for n in v["key"]], "cert": [pki(n) for n in v["cert"]]}
                if "pfx" in v:
                    with open(v["pfx"], "rb") as f:
                        opts.update(pfx=f.read(), passphrase="sample")
                server, port = serve(self, opts, listener=lambda c: c.end("ok"))
                row = []
                for suite in SUITES:
                    def on_secure(c=None):
                        pc = client.get_peer_certificate()
                        row.append({"cipher": client.get_cipher(), "authorized": client.authorized,
                                    "curve": pc.get("asn1Curve"), "rsa": bool(pc.get("exponent"))})
                        client.end()
                    client = tlsplug.connect(port, "127.0.0.1", servername="localhost", ciphers=suite,
                                             max_version="TLSv1.2", ca=pki("ca.pem"),
                                             on_secure_connect=on_secure)
                    closed = []
                    client.on("close", closed.append)
                    run_until(self, lambda: closed, what="client close")
                close_server(self, server)
                self.assertEqual(row, want_row)
                self.assertEqual([r["curve"] for r in row], ["prime256v1", None])


if __name__ == "__main__":
    unittest.main()
