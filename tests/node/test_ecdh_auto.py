"""Port of Node's test/parallel/tls/ecdh-auto.js: a TLS 1.2 server limited to
ECDHE-RSA-AES128-SHA256 with ecdhCurve "auto" serves openssl s_client,
which reads the server's reply; the cipher and the server's temporary key
s_client reports are node's, for the same options, in the same run."""
import unittest

from nodeport import LoopTestCase, close_server, listening_server
from nodeport_ports2 import REPLY, node_s_client, s_client

CIPHERS = "-ALL:ECDHE-RSA-AES128-SHA256"
CURVE = "auto"


class EcdhAuto(LoopTestCase):
    def test_s_client_over_ecdhe_auto(self):
        want = node_s_client(self, f"""
const s = tls.createServer({{key: pem('server.key'), cert: pem('server-chain.pem'), ciphers: '{CIPHERS}',
                            ecdhCurve: '{CURVE}', maxVersion: 'TLSv1.2'}}, (c) => c.end('{REPLY}'));
""", "-cipher", CIPHERS)
        self.assertTrue(want["reply"], want)
        server, port = listening_server(self, {"ciphers": CIPHERS, "ecdh_curve": CURVE,
                                               "max_version": "TLSv1.2"},
                                        listener=lambda c: c.end(REPLY))
        self.assertEqual(s_client(self, port, "-cipher", CIPHERS), want)
        close_server(self, server)


if __name__ == "__main__":
    unittest.main()
