"""Port of Node's test/parallel/tls/client-resume-12.js: client-resume.js
with tls.DEFAULT_MAX_VERSION = 'TLSv1.2' (set_default here), where the
session at secureConnect is the one the 'session' event gives. Scenario in
nodeport_ports1.py."""
import unittest

from nodeport import LoopTestCase
from nodeport_ports1 import resume_expectation, run_resume
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)


class ClientResume12(LoopTestCase):
    def test_resume_with_session_event_tls12(self):
        want = resume_expectation("TLSv1.2")
        self.assertEqual(want["protocol"], "TLSv1.2")  # the oracle ran TLS 1.2
        before = tlsplug.get_default("DEFAULT_MAX_VERSION")
        tlsplug.set_default("DEFAULT_MAX_VERSION", "TLSv1.2")
        self.addCleanup(tlsplug.set_default, "DEFAULT_MAX_VERSION", before)
        self.assertEqual(run_resume(self), want)


if __name__ == "__main__":
    unittest.main()
