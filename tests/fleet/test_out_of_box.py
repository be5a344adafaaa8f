"""Out of the box, a tlsplug server resumes TLS 1.2 session ids from its
embedded cache: openssl s_client -reconnect -no_ticket, against the tlsplug
command and a Python server, gets one full handshake and then only
resumed ones (Node, whose OpenSSL cache is off, would resume none)."""
import unittest

from fleet_support import FleetTest, new_reused, s_client


class OutOfTheBox(FleetTest):
    def reconnect(self, lang):
        srv = self.server(lang)
        lines = new_reused(s_client(srv.port, "-tls1_2", "-no_ticket", "-reconnect"))
        # s_client's own count of connections: the first, then its reconnects.
        self.assertGreater(len(lines), 1, lines)
        self.assertEqual(lines, [("New", "TLSv1.2")] + [("Reused", "TLSv1.2")] * (len(lines) - 1))
        return srv

    def test_tlsplug_command(self):
        self.reconnect("c")

    def test_python_server(self):
        srv = self.reconnect("python")
        hits = srv.proc.wait_err(r"connection resumed=", count=2)
        self.assertEqual(hits[:2], ["connection resumed=no", "connection resumed=yes"])


if __name__ == "__main__":
    unittest.main()
