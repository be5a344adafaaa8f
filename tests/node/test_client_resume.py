"""Port of Node's test/parallel/tls/client-resume.js: a client's first
handshake is not reused; on TLS 1.3 the session getSession() answers at
secureConnect differs from the first 'session' event's (and two 'session'
events arrive), on TLS 1.2 they are the same (one event); a second client
given the event's session resumes it. Scenario in nodeport_ports1.py."""
import unittest

from nodeport import LoopTestCase
from nodeport_ports1 import resume_expectation, run_resume


class ClientResume(LoopTestCase):
    def test_resume_with_session_event(self):
        want = resume_expectation()
        self.assertTrue(want["secondReused"])  # the oracle resumed
        self.assertEqual(run_resume(self), want)


if __name__ == "__main__":
    unittest.main()
