"""Port of Node's test/parallel/tls/ecdh.js: a TLS 1.2 server limited to
ECDHE-RSA-AES128-SHA256 with ecdhCurve prime256v1 serves openssl s_client,
which reads the server's reply; the cipher and the server's temporary key
s_client reports are node's, for the same options, in the same run."""
import unittest

from nodeport import LoopTestCase
from nodeport_ports2 import ecdh_case


class Ecdh(LoopTestCase):
    def test_s_client_over_ecdhe_prime256v1(self):
        ecdh_case(self, "prime256v1")


if __name__ == "__main__":
    unittest.main()
