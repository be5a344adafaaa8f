"""Session resumption on a real tls.Server: openssl s_client -reconnect over
TLS 1.2 by session id (through newSession/resumeSession, --session-store)
and by ticket; TLS 1.3 tickets across two s_client runs (-sess_out,
-sess_in); Node's client resuming with its `session` event data (1.2, 1.3)."""
import os
import re
import tempfile
import unittest

from server_support import ToolTest, node_client, first, s_client

TICKET = "Post-Handshake New Session Ticket arrived"


def new_reused(out):
    """The New/Reused lines of s_client -reconnect, in order."""
    return re.findall(r"^(New|Reused), (TLSv1\.\d)", out, re.M)


class ResumptionTest(ToolTest):
    def setUp(self):
        super().setUp()
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        super().tearDown()
        self.tmp.cleanup()

    def reconnect(self, tool_args, client_args):
        """s_client -reconnect (6 connections): its lines and the tool's."""
        tool = self.tool(*self.default_args(), "--max-connections", "6", *tool_args)
        rc, out = s_client(tool.port, "-tls1_2", "-reconnect", *client_args)
        self.assertEqual(rc, 0, out)
        conns = tool.connections(6)
        tool.finish()
        return new_reused(out), conns

    def test_tls12_session_id_store(self):
        lines, conns = self.reconnect(["--session-store"], ["-no_ticket"])
        self.assertEqual(lines, [("New", "TLSv1.2")] + [("Reused", "TLSv1.2")] * 5)
        self.assertEqual([c["isSessionReused"] for c in conns], [False] + [True] * 5)
        self.assertIn("newSession", conns[0]["events"])
        for c in conns[1:]:
            self.assertIn("resumeSession:hit", c["events"])

    def test_tls12_session_id_async_store(self):
        # newSession and resumeSession answered 20 ms later, from a timer:
        # Node holds the handshake until newSession is answered, so every
        # reconnect finds its session stored.
        lines, conns = self.reconnect(["--session-store", "--session-store-delay", "20"],
                                      ["-no_ticket"])
        self.assertEqual(lines, [("New", "TLSv1.2")] + [("Reused", "TLSv1.2")] * 5)
        self.assertEqual([c["isSessionReused"] for c in conns], [False] + [True] * 5)
        for c in conns[1:]:
            self.assertIn("resumeSession:hit", c["events"])

    def test_tls12_session_id_embedded_cache(self):
        # Without newSession and resumeSession handlers the library's own
        # cache keeps the ids (Node keeps none: a deliberate difference).
        lines, conns = self.reconnect([], ["-no_ticket"])
        self.assertEqual(lines, [("New", "TLSv1.2")] + [("Reused", "TLSv1.2")] * 5)
        self.assertEqual([c["isSessionReused"] for c in conns], [False] + [True] * 5)
        self.assertNotIn("newSession", conns[0]["events"])

    def test_tls12_session_id_cache_off(self):
        # A cache of size 0 is Node's behaviour: ids do not resume.
        lines, conns = self.reconnect(["--session-cache-size", "0"], ["-no_ticket"])
        self.assertEqual(lines, [("New", "TLSv1.2")] * 6)
        self.assertEqual([c["isSessionReused"] for c in conns], [False] * 6)

    def test_tls12_ticket(self):
        lines, conns = self.reconnect([], [])
        self.assertEqual(lines, [("New", "TLSv1.2")] + [("Reused", "TLSv1.2")] * 5)
        self.assertEqual([c["isSessionReused"] for c in conns], [False] + [True] * 5)

    def sess_out(self, port, path, *args):
        """One s_client run that saves its session once a ticket arrived."""
        c = self.interactive(port, "-tls1_3", "-sess_out", path, *args)
        c.wait_for("New, TLSv1.3")
        n = len(c.text)
        c.send("hello\n")
        # The server's tickets precede the echo on the wire, so s_client has
        # handled them (and written -sess_out) once the echo is back. (Its
        # own ticket message sits in its stdout buffer until it exits.)
        while "hello\n" not in c.text[n:]:
            c.wait_for("hello", count=c.text.count("hello") + 1)
        out = c.close()
        self.assertIn(TICKET, out)
        self.assertTrue(os.path.getsize(path) > 0)
        return out

    def test_tls13_sess_out_sess_in(self):
        tool = self.tool(*self.default_args(), "--max-connections", "2")
        path = os.path.join(self.tmp.name, "sess.pem")
        self.sess_out(tool.port, path)
        self.assertFalse(tool.connection()["isSessionReused"])
        rc, out = s_client(tool.port, "-tls1_3", "-sess_in", path)
        self.assertEqual(rc, 0, out)
        self.assertEqual(new_reused(out), [("Reused", "TLSv1.3")])
        conn = tool.connection()
        self.assertTrue(conn["isSessionReused"], conn)
        self.assertEqual(conn["protocol"], "TLSv1.3")
        tool.finish()

    def node_resume(self, version):
        tool = self.tool(*self.default_args(), "--max-connections", "2")
        ev = node_client(tool.port, minVersion=version, maxVersion=version)
        sc = first(ev, "secureConnect")
        self.assertEqual(sc["protocol"], version)
        self.assertFalse(sc["isSessionReused"])
        sessions = [e["session"] for e in ev if e["event"] == "session"]
        self.assertTrue(sessions, ev)
        self.assertFalse(tool.connection()["isSessionReused"])
        ev = node_client(tool.port, minVersion=version, maxVersion=version, session=sessions[-1])
        sc = first(ev, "secureConnect")
        self.assertTrue(sc["isSessionReused"], ev)
        self.assertEqual(first(ev, "echo")["text"], "hello")
        conn = tool.connection()
        self.assertTrue(conn["isSessionReused"], conn)
        self.assertEqual(conn["protocol"], version)
        tool.finish()

    def test_node_tls12(self):
        self.node_resume("TLSv1.2")

    def test_node_tls13(self):
        self.node_resume("TLSv1.3")


if __name__ == "__main__":
    unittest.main()
