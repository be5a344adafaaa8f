"""Port of Node's test/parallel/tls/peer-certificate-multi-keys.js: a
subject with the same attribute twice (two OUs) reads back as a list, in
the order of the certificate, both on the server's getCertificate() and the
client's getPeerCertificate(); the value is the one live node reads from
the same tlsplug server."""
import unittest

from nodeport import LoopTestCase
from nodeport_ports4 import self_signed, subjects


class PeerCertificateMultiKeys(LoopTestCase):
    def test_repeated_ou_is_a_list(self):
        key, cert = self_signed(self, "/CN=multi/OU=Test TLS Certificate/OU=Engineering")
        want, peer, local = subjects(self, key, cert)
        self.assertEqual(want["OU"], ["Test TLS Certificate", "Engineering"])
        self.assertEqual(peer, want)
        self.assertEqual(local, want)


if __name__ == "__main__":
    unittest.main()
