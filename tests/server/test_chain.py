"""The served chain is completed from `ca` (Node's test-tls-cert-chains-in-ca):
a server whose `cert` is the leaf alone and whose `ca` holds the intermediate
sends leaf + intermediate, so a client trusting only the root verifies."""
import os
import tempfile
import unittest

from server_support import ToolTest, first, node_client, pki, s_client


class ChainInCaTest(ToolTest):
    def leaf_only(self, ca):
        return self.tool("--key", pki("server.key"), "--cert", pki("server.pem"), "--ca", pki(ca))

    def test_openssl_verifies_with_root_only(self):
        tool = self.leaf_only("int.pem")
        rc, out = s_client(tool.port, "-CAfile", pki("ca.pem"), "-verify_return_error",
                           "-showcerts", "-servername", "localhost")
        self.assertEqual(rc, 0, out)
        self.assertIn("Verify return code: 0 (ok)", out)
        self.assertIn("tlsplug Test Intermediate", out)
        self.assertTrue(tool.connection()["secure"])
        tool.finish()

    def test_node_verifies_with_root_only(self):
        # ca holding the intermediate and the root, as in Node's test.
        with tempfile.NamedTemporaryFile("w", suffix=".pem", delete=False) as f:
            for name in ("int.pem", "ca.pem"):
                with open(pki(name)) as src:
                    f.write(src.read())
        self.addCleanup(os.unlink, f.name)
        tool = self.tool("--key", pki("server.key"), "--cert", pki("server.pem"), "--ca", f.name)
        events = node_client(tool.port, ca=pki("ca.pem"), servername="localhost")
        connect = first(events, "secureConnect")
        self.assertIsNotNone(connect, events)
        self.assertTrue(connect["authorized"], events)
        tool.connection()
        tool.finish()

    def test_given_chain_is_kept(self):
        # A cert with its own intermediates: no extension, same result.
        tool = self.tool("--key", pki("server.key"), "--cert", pki("server-chain.pem"),
                         "--ca", pki("int.pem"))
        rc, out = s_client(tool.port, "-CAfile", pki("ca.pem"), "-verify_return_error")
        self.assertEqual(rc, 0, out)
        tool.connection()
        tool.finish()


if __name__ == "__main__":
    unittest.main()
