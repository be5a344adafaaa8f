"""Port of Node's test/parallel/tls/peer-certificate-encoding.js: a
certificate whose subject CN is UTF-8 text ("Ádám Lippai") reads back in
getPeerCertificate().subject.CN as that text, as live node reads it from
the same tlsplug server."""
import unittest

from nodeport import LoopTestCase
from nodeport_ports4 import self_signed, subjects

CN = "\u00c1d\u00e1m Lippai"


class PeerCertificateEncoding(LoopTestCase):
    def test_utf8_subject(self):
        want, peer, _ = subjects(self, *self_signed(self, "/CN=" + CN))
        self.assertEqual(want["CN"], CN)
        self.assertEqual(peer, want)


if __name__ == "__main__":
    unittest.main()
