"""Port of Node's test/parallel/tls/client-reject-12.js: client-reject.js
again with tls.DEFAULT_MAX_VERSION = 'TLSv1.2' (set_default here), so every
handshake is TLS 1.2. Scenario in nodeport_ports1.py."""
import unittest

from nodeport import LoopTestCase
from nodeport_ports1 import reject_expectation, run_reject_cases
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)


class ClientReject12(LoopTestCase):
    def test_reject_unauthorized_cases_tls12(self):
        want = reject_expectation("TLSv1.2")
        self.assertEqual(want["authorized"]["protocol"], "TLSv1.2")  # the oracle ran TLS 1.2
        before = tlsplug.get_default("DEFAULT_MAX_VERSION")
        tlsplug.set_default("DEFAULT_MAX_VERSION", "TLSv1.2")
        self.addCleanup(tlsplug.set_default, "DEFAULT_MAX_VERSION", before)
        run_reject_cases(self, want)


if __name__ == "__main__":
    unittest.main()
