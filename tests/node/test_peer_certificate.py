"""Port of Node's test/parallel/tls/peer-certificate.js: a client without a
certificate of its own gets {} from getCertificate(); getPeerCertificate()
has no issuerCertificate, getPeerCertificate(true) links the chain the
server sent; the fields (ca, subject, serialNumber, exponent, bits, modulus,
fingerprints, pubkey, infoAccess, asn1Curve/nistCurve for EC) are compared
with what live node reads from the same tlsplug server, for an RSA and an
ECDSA server certificate."""
import unittest

from nodeport import LoopTestCase, close_server, listening_server, pki, run_until
from nodeport_b import NodePeer
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

# node: the detailed chain flattened, raw/pubkey as hex, the self link marked.
NODE = """
const flat = top => {
  const out = [];
  for (let c = top, seen = new Set(); c && !seen.has(c); c = c.issuerCertificate) {
    seen.add(c);
    const o = Object.assign({}, c);
    o.issuerCertificate = c.issuerCertificate === c ? 'self' : !!c.issuerCertificate;
    o.raw = c.raw.toString('hex'); o.pubkey = c.pubkey && c.pubkey.toString('hex');
    out.push(o);
  }
  return out;
};
const c = tls.connect({host: '127.0.0.1', port: PORT, rejectUnauthorized: false}, () => {
  const r = {local: c.getCertificate(), plain: flat(c.getPeerCertificate()),
             detailed: flat(c.getPeerCertificate(true))};
  c.destroy(); report(r);
});
"""


def flat(top):
    out, seen = [], set()
    c = top
    while c and id(c) not in seen:
        seen.add(id(c))
        o = {k: v for k, v in c.items()}
        nxt = c.get("issuerCertificate")
        o["issuerCertificate"] = "self" if nxt is c else bool(nxt)
        o["raw"] = c["raw"].hex()
        o["pubkey"] = c["pubkey"].hex() if c.get("pubkey") else c.get("pubkey")
        out.append(o)
        c = nxt
    return out


class PeerCertificate(LoopTestCase):
    def check(self, key, cert, curve):
        server, port = listening_server(self, {"key": pki(key), "cert": pki(cert)})
        peer = NodePeer(NODE, port=port)
        try:
            want = peer.result(self)
        finally:
            peer.kill()
        got = {}

        def on_secure():
            got.update(local=client.get_certificate(), plain=flat(client.get_peer_certificate()),
                       detailed=flat(client.get_peer_certificate(True)))
            client.destroy()
        client = tlsplug.connect(port, "127.0.0.1", reject_unauthorized=False,
                                 on_secure_connect=on_secure)
        run_until(self, lambda: got, what="secureConnect")
        close_server(self, server)
        self.assertEqual(want["local"], {})
        self.assertEqual(got["local"], {})
        self.assertFalse(want["plain"][0]["issuerCertificate"])
        self.assertGreater(len(want["detailed"]), 1)
        self.assertFalse(want["detailed"][0]["ca"])
        self.assertTrue(want["detailed"][1]["ca"])
        self.assertEqual(want["detailed"][0].get("asn1Curve"), curve)
        for part in ("plain", "detailed"):
            self.assertEqual(len(got[part]), len(want[part]), part)
            for depth, (g, w) in enumerate(zip(got[part], want[part])):
                for field in sorted(set(g) | set(w)):
                    with self.subTest(part=part, depth=depth, field=field):
                        self.assertEqual(g.get(field), w.get(field))

    def test_rsa(self):
        self.check("server.key", "server-chain.pem", None)

    def test_ec(self):
        self.check("server-ec.key", "server-ec-chain.pem", "prime256v1")


if __name__ == "__main__":
    unittest.main()
