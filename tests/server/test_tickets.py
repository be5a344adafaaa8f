"""Ticket keys shared between server PROCESSES: a ticket issued by process A
(s_client -sess_out) resumes on process B started with the same
--ticket-keys-file (-sess_in), and not on C with other keys. TLS 1.3 and
TLS 1.2."""
import os
import re
import tempfile
import unittest

from server_support import ToolTest, s_client

TICKET = "Post-Handshake New Session Ticket arrived"


def new_reused(out):
    return re.findall(r"^(New|Reused), (TLSv1\.\d)", out, re.M)


class TicketKeysTest(ToolTest):
    def setUp(self):
        super().setUp()
        self.tmp = tempfile.TemporaryDirectory()
        self.keys = os.path.join(self.tmp.name, "keys.bin")
        self.other = os.path.join(self.tmp.name, "other.bin")
        with open(self.keys, "wb") as f:
            f.write(os.urandom(48))
        with open(self.other, "wb") as f:
            f.write(os.urandom(48))

    def tearDown(self):
        super().tearDown()
        self.tmp.cleanup()

    def server(self, keys):
        return self.tool(*self.default_args(), "--ticket-keys-file", keys, "--print-ticket-keys")

    def issue(self, version, path):
        """A full handshake on process A; its session (with a ticket) saved."""
        a = self.server(self.keys)
        with open(self.keys, "rb") as f:
            self.assertEqual(a.ticket_keys, f.read().hex())  # getTicketKeys = what was set
        flag = "-tls1_3" if version == "TLSv1.3" else "-tls1_2"
        c = self.interactive(a.port, flag, "-sess_out", path)
        c.wait_for("New, " + version)
        n = len(c.text)
        c.send("hello\n")
        while "hello\n" not in c.text[n:]:  # the echo: tickets came before it
            c.wait_for("hello", count=c.text.count("hello") + 1)
        out = c.close()
        self.assertIn("New, " + version, out)
        if version == "TLSv1.3":
            self.assertIn(TICKET, out)
        else:
            self.assertIn("TLS session ticket:", out)
        conn = a.connection()
        self.assertFalse(conn["isSessionReused"])
        a.finish()

    def resume_on(self, keys, version, path):
        """Offer the saved session to a new process with `keys`."""
        b = self.server(keys)
        flag = "-tls1_3" if version == "TLSv1.3" else "-tls1_2"
        rc, out = s_client(b.port, flag, "-sess_in", path)
        self.assertEqual(rc, 0, out)
        conn = b.connection()
        b.finish()
        return new_reused(out), conn

    def check(self, version):
        path = os.path.join(self.tmp.name, "sess.pem")
        self.issue(version, path)
        lines, conn = self.resume_on(self.keys, version, path)
        self.assertEqual(lines, [("Reused", version)])
        self.assertTrue(conn["isSessionReused"], conn)
        lines, conn = self.resume_on(self.other, version, path)
        self.assertEqual(lines, [("New", version)])
        self.assertFalse(conn["isSessionReused"], conn)

    def test_tls13_shared_keys(self):
        self.check("TLSv1.3")

    def test_tls12_shared_keys(self):
        self.check("TLSv1.2")


if __name__ == "__main__":
    unittest.main()
