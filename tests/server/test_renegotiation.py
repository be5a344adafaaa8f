"""Client-initiated renegotiation on a real tls.Server, from openssl s_client
-tls1_2 (a line "R" on its stdin renegotiates): three renegotiations pass
(tls.CLIENT_RENEG_LIMIT is 3 in CLIENT_RENEG_WINDOW), the fourth destroys
the server socket with ERR_TLS_SESSION_ATTACK; with disableRenegotiation()
the first one destroys it with ERR_TLS_RENEGOTIATION_DISABLED."""
import unittest

from server_support import ToolTest

LEAF = "depth=0 CN = localhost"  # s_client's verify callback, once per handshake


class RenegotiationTest(ToolTest):
    def renegotiate(self, tool, c, i):
        """Renegotiation number i; answers True once data flows after it."""
        c.send("R\n")
        c.wait_for(LEAF, count=i + 1)  # the new handshake reached the server's certificate
        c.send("ping%d\n" % i)
        c.wait_for("ping%d\n" % i)  # echoed: the renegotiated session carries data

    def start(self, *extra):
        tool = self.tool(*self.default_args(), *extra)
        c = self.interactive(tool.port, "-tls1_2")
        c.wait_for("New, TLSv1.2")
        c.wait_for(LEAF)
        return tool, c

    def test_limit(self):
        tool, c = self.start()
        for i in (1, 2, 3):
            self.renegotiate(tool, c, i)
        c.send("R\n")
        conn = tool.connection()  # the server socket closes at the 4th
        self.assertEqual(conn["error"], "ERR_TLS_SESSION_ATTACK", conn)
        self.assertTrue(conn["secure"])
        self.assertIsNone(conn["tlsClientError"])  # after secure: error, not tlsClientError
        out = c.close()
        self.assertEqual(out.count("RENEGOTIATING"), 4, out)
        self.assertNotIn("ping4", out)
        tool.finish()

    def test_disabled(self):
        tool, c = self.start("--disable-renegotiation")
        c.send("ping0\n")
        c.wait_for("ping0\n")  # data flows before any renegotiation
        c.send("R\n")
        conn = tool.connection()
        self.assertEqual(conn["error"], "ERR_TLS_RENEGOTIATION_DISABLED", conn)
        self.assertTrue(conn["secure"])
        out = c.close()
        self.assertEqual(out.count("RENEGOTIATING"), 1, out)
        self.assertEqual(out.count(LEAF), 1, out)  # no second handshake got through
        tool.finish()


if __name__ == "__main__":
    unittest.main()
