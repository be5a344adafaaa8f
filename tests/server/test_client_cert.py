"""requestCert on a real tls.Server: openssl s_client presenting the test
client certificate is authorized; one presenting none is refused
(tlsClientError) and the server goes on serving."""
import unittest

from server_support import ToolTest, pki, s_client


class ClientCertTest(ToolTest):
    def test_request_cert(self):
        tool = self.tool(*self.default_args(), "--ca", pki("ca.pem"), "--request-cert",
                         "--max-connections", "2")
        # s_client -cert sends only the file's first certificate: the
        # intermediate goes in -cert_chain.
        rc, out = s_client(tool.port, "-tls1_2", "-cert", pki("client.pem"),
                           "-cert_chain", pki("int.pem"), "-key", pki("client.key"))
        self.assertEqual(rc, 0, out)
        conn = tool.connection()
        self.assertTrue(conn["secure"], conn)
        self.assertTrue(conn["authorized"], conn)
        rc, out = s_client(tool.port, "-tls1_2")
        self.assertNotEqual(rc, 0, out)
        conn = tool.connection()
        self.assertFalse(conn["secure"], conn)
        self.assertIsNotNone(conn["tlsClientError"], conn)
        tool.finish()


if __name__ == "__main__":
    unittest.main()
