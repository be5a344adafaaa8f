"""`tlsplug client` (Node's echo client, on the loop) against servers
nobody here wrote: Node's tls.createServer echo example, Python's ssl,
gnutls-serv --echo, openssl s_server -rev. The client's stdout must be
what the server sent back, byte for byte; 64 MiB against Node and Python."""

import os
import unittest

from lisupport import (BIG_TIMEOUT, MIB, WELCOME, Case, PyServer, env_path, free_port,
                       payload, pki, text_payload)


class ClientAgainstServers(Case):

    def client(self, port, data, *extra, timeout=BIG_TIMEOUT):
        return self.run_client(["--host", "127.0.0.1", "--port", str(port), "--servername",
                                "localhost", "--ca", pki("ca.pem"), *extra], data, timeout)

    def test_node_server(self):
        node = self.start("node server", [env_path("TLSPLUG_NODE"),
                                          os.path.join(os.path.dirname(__file__), "node_peer.js"),
                                          "server", pki("server.key"), pki("server-chain.pem")])
        port = int(node.wait_for(rb"^listening on 127\.0\.0\.1:(\d+)$").group(1))
        for size in (0, 1, 16 * 1024, MIB, 64 * MIB):
            with self.subTest(size=size):
                data = payload(size, seed=size + 11)
                rc, got, err = self.client(port, data)
                self.assertEqual(rc, 0, err + node.describe())
                self.assertRegex(err, r"(?m)^client connected authorized$")
                self.assertRegex(err, r"(?m)^server ends connection$")
                self.assert_same_bytes(got, WELCOME + data, "Node's echo")
        self.assertNotIn(b"error", node.err, node.describe())

    def test_python_server(self):
        for size in (0, 1, 16 * 1024, MIB, 64 * MIB):
            with self.subTest(size=size):
                server = PyServer()
                data = payload(size, seed=size + 5)
                rc, got, err = self.client(server.port, data)
                server.join_checked(self)
                self.assertEqual(rc, 0, err)
                self.assert_same_bytes(got, data, "Python's echo")
                self.assertEqual(server.received, size)

    def test_gnutls_serv_echo(self):
        port = free_port()
        server = self.start("gnutls-serv", [
            env_path("TLSPLUG_GNUTLS_SERV"), "--echo", "--crlf", "--quiet", "--port", str(port),
            "--x509keyfile", pki("server.key"), "--x509certfile", pki("server-chain.pem")])
        server.wait_for(rb"listening on IPv4 .* port " + str(port).encode() + rb"\.\.\.done",
                        stream="err")
        # gnutls-serv echoes text through C strings: printable lines only.
        for size in (1, 16 * 1024, MIB):
            with self.subTest(size=size):
                data = text_payload(size, seed=size + 3)
                rc, got, err = self.client(port, data, "--alpn", "h2,http/1.1")
                self.assertEqual(rc, 0, err + server.describe())
                self.assertRegex(err, r"(?m)^client connected authorized$")
                self.assert_same_bytes(got, data, "gnutls-serv's echo")

    def test_openssl_s_server_rev(self):
        """s_server is no echo server, but -rev sends each line back
        reversed: checkable. It serves one connection (-naccept 1)."""
        for version in ("TLSv1.2", "TLSv1.3"):
            with self.subTest(version=version):
                port = free_port()
                server = self.start("s_server", [
                    env_path("TLSPLUG_OPENSSL"), "s_server", "-rev", "-naccept", "1",
                    "-accept", f"127.0.0.1:{port}", "-cert", pki("server.pem"),
                    "-cert_chain", pki("int.pem"), "-key", pki("server.key"),
                    "-alpn", "http/1.1"])
                server.wait_for(rb"^ACCEPT")
                lines = [b"hello openssl", b"tlsplug on the loop", b"x" * 100]
                rc, got, err = self.client(port, b"".join(l + b"\n" for l in lines),
                                           "--min-version", version, "--max-version", version,
                                           "--alpn", "h2,http/1.1")
                self.assertEqual(rc, 0, err + server.describe())
                self.assertRegex(err, rf"(?m)^protocol: {version}$")
                self.assertRegex(err, r"(?m)^alpn: http/1.1$")
                self.assertEqual(got, b"".join(l[::-1] + b"\n" for l in lines))
                self.assertEqual(server.wait(), 0, server.describe())


if __name__ == "__main__":
    unittest.main()
