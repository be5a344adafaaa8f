"""SNI on a real tls.Server: addContext with an exact name, a wildcard and the
default context, seen by openssl s_client and Node's tls.connect; the async
SNICallback answered 50 ms later; an SNICallback error ends only its own
connection."""
import re
import subprocess
import unittest

from server_support import (OPENSSL, WAIT, ToolTest, pki, fingerprint, s_client, node_client,
                            first)


def served_fingerprint(output):
    """The SHA-256 fingerprint of the leaf s_client printed (-showcerts)."""
    m = re.search(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", output, re.S)
    assert m, output
    out = subprocess.run([OPENSSL, "x509", "-noout", "-fingerprint", "-sha256"], input=m.group(0),
                         capture_output=True, text=True, timeout=WAIT, check=True).stdout
    return out.strip().split("=", 1)[1]


class SniTest(ToolTest):
    def sni_args(self):
        return self.default_args() + [
            "--sni", "a.test=%s,%s" % (pki("server-ec.key"), pki("server-ec-chain.pem")),
            "--sni", "*.b.test=%s,%s" % (pki("wronghost.key"), pki("wronghost-chain.pem"))]

    # (servername, certificate expected)
    CASES = [("a.test", "server-ec.pem"), ("x.b.test", "wronghost.pem"),
             ("y.z.b.test", "server.pem"), ("nothing.test", "server.pem")]

    def check_s_client(self, tool):
        for name, pem in self.CASES:
            rc, out = s_client(tool.port, "-servername", name, "-showcerts")
            self.assertEqual(rc, 0, out)
            self.assertEqual(served_fingerprint(out), fingerprint(pki(pem)), name)
            subject = re.search(r"^subject=(.*)$", out, re.M).group(1)
            want_cn = "other.test" if pem == "wronghost.pem" else "localhost"
            self.assertIn("CN = " + want_cn, subject)
            self.assertIn("Intermediate", re.search(r"^issuer=(.*)$", out, re.M).group(1))
            conn = tool.connection()
            self.assertTrue(conn["secure"], conn)
            self.assertEqual(conn["servername"], name)

    def test_add_context_s_client(self):
        tool = self.tool(*self.sni_args(), "--max-connections", str(len(self.CASES)))
        self.check_s_client(tool)
        tool.finish()

    def test_add_context_node(self):
        tool = self.tool(*self.sni_args(), "--max-connections", str(len(self.CASES)))
        for name, pem in self.CASES:
            ev = node_client(tool.port, servername=name)
            sc = first(ev, "secureConnect")
            self.assertIsNotNone(sc, ev)
            self.assertEqual(sc["fingerprint256"], fingerprint(pki(pem)), name)
            self.assertEqual(first(ev, "echo")["text"], "hello")
            conn = tool.connection()
            self.assertEqual(conn["servername"], name)
        tool.finish()

    def test_async_sni_callback(self):
        tool = self.tool(*self.sni_args(), "--sni-async", "50",
                         "--max-connections", str(len(self.CASES) + 1))
        self.check_s_client(tool)
        ev = node_client(tool.port, servername="a.test")
        self.assertEqual(first(ev, "secureConnect")["fingerprint256"],
                         fingerprint(pki("server-ec.pem")))
        conn = tool.connection()
        self.assertIn("SNICallback", conn["events"])
        self.assertIn("sni:context", conn["events"])
        tool.finish()

    def test_sni_error_only_that_connection(self):
        tool = self.tool(*self.sni_args(), "--sni-async", "50", "--max-connections", "2")
        ev = node_client(tool.port, servername="fail.test")
        self.assertIsNone(first(ev, "secureConnect"), ev)
        self.assertIsNotNone(first(ev, "error"), ev)
        bad = tool.connection()
        self.assertFalse(bad["secure"], bad)
        self.assertIn("sni:error", bad["events"])
        self.assertIn("tlsClientError", bad["events"])
        self.assertIsNotNone(bad["tlsClientError"])
        # the same server still serves the next client
        ev = node_client(tool.port, servername="x.b.test")
        self.assertEqual(first(ev, "secureConnect")["fingerprint256"],
                         fingerprint(pki("wronghost.pem")))
        good = tool.connection()
        self.assertTrue(good["secure"], good)
        tool.finish()

    def test_sni_error_while_another_connection_open(self):
        tool = self.tool(*self.sni_args(), "--sni-async", "50", "--max-connections", "2")
        held = self.interactive(tool.port, "-servername", "x.b.test")
        held.wait_for("subject=CN = other.test")
        held.wait_for("New, TLSv1.3")
        ev = node_client(tool.port, servername="fail.test")
        self.assertIsNone(first(ev, "secureConnect"), ev)
        bad = tool.connection()  # the failed one is over first
        self.assertEqual(bad["n"], 2, bad)
        self.assertIsNotNone(bad["tlsClientError"], bad)
        held.send("still-here\n")
        held.wait_for("still-here\n")  # echoed on the open connection
        out = held.close()
        self.assertIn("still-here", out)
        good = tool.connection()
        self.assertEqual(good["n"], 1, good)
        self.assertTrue(good["secure"], good)
        self.assertIsNone(good["error"], good)
        self.assertEqual(good["servername"], "x.b.test")
        tool.finish()


if __name__ == "__main__":
    unittest.main()
