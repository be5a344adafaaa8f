"""ALPN on a real tls.Server with Node's tls.connect as the client: the server
picks by its own preference among the protocols they share; with none shared
Node's client fails with the no_application_protocol alert."""
import unittest

from server_support import ToolTest, node_client, first, s_client


class AlpnTest(ToolTest):
    def test_overlap_server_preference(self):
        tool = self.tool(*self.default_args(), "--alpn", "h2,http/1.1", "--max-connections", "2")
        ev = node_client(tool.port, alpn=["http/1.1", "h2"])
        sc = first(ev, "secureConnect")
        self.assertIsNotNone(sc, ev)
        self.assertEqual(sc["alpnProtocol"], "h2")
        self.assertEqual(tool.connection()["alpnProtocol"], "h2")
        ev = node_client(tool.port, alpn=["spdy", "http/1.1"])
        self.assertEqual(first(ev, "secureConnect")["alpnProtocol"], "http/1.1")
        self.assertEqual(tool.connection()["alpnProtocol"], "http/1.1")
        tool.finish()

    def test_s_client_sees_selection(self):
        tool = self.tool(*self.default_args(), "--alpn", "h2,http/1.1")
        rc, out = s_client(tool.port, "-alpn", "http/1.1,h2")
        self.assertEqual(rc, 0, out)
        self.assertIn("ALPN protocol: h2", out)
        self.assertEqual(tool.connection()["alpnProtocol"], "h2")
        tool.finish()

    def test_client_without_alpn(self):
        tool = self.tool(*self.default_args(), "--alpn", "h2")
        ev = node_client(tool.port)
        self.assertEqual(first(ev, "secureConnect")["alpnProtocol"], False)
        self.assertEqual(tool.connection()["alpnProtocol"], False)
        tool.finish()

    def test_no_overlap(self):
        tool = self.tool(*self.default_args(), "--alpn", "h2,http/1.1")
        ev = node_client(tool.port, alpn=["spdy/3"])
        self.assertIsNone(first(ev, "secureConnect"), ev)
        err = first(ev, "error")
        self.assertIsNotNone(err, ev)
        self.assertEqual(err["code"], "ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL", err)
        conn = tool.connection()
        self.assertFalse(conn["secure"])
        self.assertIsNotNone(conn["tlsClientError"], conn)
        tool.finish()


if __name__ == "__main__":
    unittest.main()
