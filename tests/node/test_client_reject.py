"""Port of Node's test/parallel/tls/client-reject.js: a client refuses a
self-signed server certificate unless rejectUnauthorized is false (then it
is secure, not authorized, and talks) or the certificate is in its `ca`
(authorized); the default and an explicit None (JavaScript's undefined)
both reject. Scenario in nodeport_ports1.py."""
import unittest

from nodeport import LoopTestCase
from nodeport_ports1 import reject_expectation, run_reject_cases


class ClientReject(LoopTestCase):
    def test_reject_unauthorized_cases(self):
        want = reject_expectation()
        self.assertEqual(want["unauthorized"]["data"], "ok")  # the oracle ran the echo
        run_reject_cases(self, want)


if __name__ == "__main__":
    unittest.main()
