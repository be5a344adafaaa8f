"""Port of Node's test/parallel/tls/ecdh-multiple.js: a TLS 1.2 server with
a list of ECDH curves (secp256k1:prime256v1:secp521r1) serves openssl
s_client as node's does (reply, cipher, temporary key), and curves OpenSSL
has but TLS cannot use make the server's creation fail with node's code
and message.

Deviation (docs/NODE_MAP.md): GnuTLS has no secp256k1, so tlsplug refuses
the list that names it (Node's "Failed to set ECDH curve" error) where node
serves; the same list without it serves as node does with the whole list."""
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval
from nodeport_ports2 import REPLY, node_s_client, s_client
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

CIPHERS = "-ALL:ECDHE-RSA-AES128-SHA256"
CURVES = "secp256k1:prime256v1:secp521r1"
GNUTLS_CURVES = "prime256v1:secp521r1"  # CURVES less the one GnuTLS lacks
UNSUPPORTED = ["wap-wsg-idm-ecid-wtls1", "c2pnb163v1", "prime192v3"]

NODE_UNSUPPORTED = """
report(%s.map((ecdhCurve) => {
  try { tls.createServer({ecdhCurve}); return null; } catch (e) { return {code: e.code || null, message: e.message}; }
}));
"""


class EcdhMultiple(LoopTestCase):
    def test_s_client_with_a_curve_list(self):
        want = node_s_client(self, f"""
const s = tls.createServer({{key: pem('server.key'), cert: pem('server-chain.pem'), ciphers: '{CIPHERS}',
                            ecdhCurve: '{CURVES}', maxVersion: 'TLSv1.2'}}, (c) => c.end('{REPLY}'));
""", "-cipher", CIPHERS)
        self.assertTrue(want["reply"], want)
        with self.assertRaises(tlsplug.TLSError) as refused:
            tlsplug.create_server({"ecdh_curve": CURVES})
        self.assertEqual(refused.exception.code, "ERR_CRYPTO_OPERATION_FAILED")
        self.assertIn("secp256k1", refused.exception.message)
        server, port = listening_server(self, {"ciphers": CIPHERS, "ecdh_curve": GNUTLS_CURVES,
                                               "max_version": "TLSv1.2"},
                                        listener=lambda c: c.end(REPLY))
        self.assertEqual(s_client(self, port, "-cipher", CIPHERS), want)
        close_server(self, server)

    def test_unsupported_curves_fail(self):
        import json
        want = node_eval(NODE_UNSUPPORTED % json.dumps(UNSUPPORTED))
        got = []
        for curve in UNSUPPORTED:
            try:
                tlsplug.create_server({"ecdh_curve": curve})
                got.append(None)
            except tlsplug.TLSError as e:
                got.append(e)
        self.assertEqual(len(got), len(want))
        for curve, e, w in zip(UNSUPPORTED, got, want):
            with self.subTest(curve=curve):
                self.assertIsNotNone(w)  # node refuses it too
                self.assertIsInstance(e, tlsplug.TLSError)
                self.assertEqual(e.code, w["code"])
                # Node's file matches its message's start; tlsplug adds the name.
                self.assertTrue(e.message.startswith(w["message"]), e.message)


if __name__ == "__main__":
    unittest.main()
