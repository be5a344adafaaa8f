"""Port of Node's test/parallel/tls/ecdh-auto.js: a TLS 1.2 server limited to
ECDHE-RSA-AES128-SHA256 with ecdhCurve "auto" serves openssl s_client,
which reads the server's reply; the cipher and the server's temporary key
s_client reports are node's, for the same options, in the same run."""
import unittest

from nodeport import LoopTestCase
from nodeport_ports2 import ecdh_case


class EcdhAuto(LoopTestCase):
    def test_s_client_over_ecdhe_auto(self):
        ecdh_case(self, "auto")


if __name__ == "__main__":
    unittest.main()
