"""`tlsplug server` (Node's echo server, on the loop) against clients
nobody here wrote: Node's tls.connect, Python's ssl, openssl s_client,
gnutls-cli. What comes back must be "welcome!\\n" and then exactly the
bytes sent; 64 MiB each way against Node and Python."""

import json
import os
import socket
import unittest

from lisupport import (BIG_TIMEOUT, MIB, TIMEOUT, WELCOME, Case, env_path, payload, pki,
                       py_client, text_payload, wait_len)


class ServerAgainstClients(Case):

    def start_echo(self, *args):
        return self.start_server("--key", pki("server.key"), "--cert", pki("server-chain.pem"),
                                 *args)

    def test_node_client(self):
        server, port = self.start_echo()
        for size in (0, 1, 16 * 1024, MIB, 64 * MIB):
            with self.subTest(size=size):
                data = payload(size, seed=size)
                src, dst = self.tmpfile(f"node-{size}", data), self.tmpfile(f"node-{size}.out")
                node = self.start("node client", [env_path("TLSPLUG_NODE"),
                                                  os.path.join(os.path.dirname(__file__), "node_peer.js"),
                                                  "client", port, pki("ca.pem"), src, dst])
                rc = node.wait(BIG_TIMEOUT)
                self.assertEqual(rc, 0, node.describe() + "\n" + server.describe())
                report = json.loads(node.err.splitlines()[0])
                self.assertTrue(report["authorized"], report)
                with open(dst, "rb") as f:
                    self.assert_same_bytes(f.read(), WELCOME + data, "echo to Node")
        # No client certificate asked for: one log line per connection, no
        # "server connected unauthorized" (there was nothing to authorize).
        server.wait_for(rb"^connection peer=127\.0\.0\.1:\d+ version=TLSv1\.\d suite=\S+ sni=\S+ "
                        rb"alpn=\S+ resumed=(yes|no) client-cert=none outcome=ok$", stream="err")
        self.assertNotIn(b"server connected", server.err, server.describe())
        self.assertNotIn(b"error", server.err, server.describe())

    def test_python_client(self):
        server, port = self.start_echo()
        for size in (0, 1, 16 * 1024, MIB, 64 * MIB):
            with self.subTest(size=size):
                data = payload(size, seed=size + 7)
                self.assert_same_bytes(py_client(("127.0.0.1", port), data), WELCOME + data,
                                       "echo to Python")
        self.assertNotIn(b"error", server.err, server.describe())

    def test_python_client_over_unix_socket(self):
        path = self.tmpfile("echo.sock")
        server = self.start("tlsplug server", [env_path("TLSPLUG_TOOL"), "server", "--path", path,
                                               "--key", pki("server.key"),
                                               "--cert", pki("server-chain.pem")])
        server.wait_for(rb"^listening on " + path.encode() + rb"$")
        data = payload(MIB, seed=3)
        self.assert_same_bytes(py_client(path, data, family=socket.AF_UNIX), WELCOME + data,
                               "echo over a Unix socket")

    def test_client_certificate_node_style(self):
        """--request-cert (requestCert + rejectUnauthorized): a client with
        a certificate is 'authorized'; one without is refused."""
        server, port = self.start_echo("--request-cert", "--ca", pki("ca.pem"))
        s_client = [env_path("TLSPLUG_OPENSSL"), "s_client", "-brief", "-no_ign_eof", "-nocommands",
                    "-connect", f"127.0.0.1:{port}", "-servername", "localhost",
                    "-CAfile", pki("ca.pem"), "-verify_return_error"]
        client = self.start("s_client", [*s_client, "-cert", pki("client.pem"),
                                         "-key", pki("client.key"), "-cert_chain", pki("int.pem")])
        wait_len(client, len(WELCOME))
        client.close_stdin()
        self.assertEqual(client.wait(), 0, client.describe())
        server.wait_for(rb"^server connected authorized$", stream="err")
        refused = self.start("s_client", s_client)
        refused.close_stdin()
        refused.wait()
        server.wait_for(rb"^server connection error ", stream="err")
        self.assertNotIn(b"welcome", refused.out)

    def test_openssl_s_client(self):
        server, port = self.start_echo()
        for version in ("-tls1_2", "-tls1_3"):
            for size in (1, 16 * 1024, MIB):
                with self.subTest(version=version, size=size):
                    data = text_payload(size, seed=size)
                    client = self.start("s_client", [
                        env_path("TLSPLUG_OPENSSL"), "s_client", "-brief", "-no_ign_eof",
                        "-nocommands", version, "-connect", f"127.0.0.1:{port}",
                        "-servername", "localhost", "-CAfile", pki("ca.pem"),
                        "-verify_return_error", "-verify_hostname", "localhost"])
                    client.write(data)
                    # All of it back before stdin's end: s_client then quits.
                    wait_len(client, len(WELCOME) + size)
                    client.close_stdin()
                    self.assertEqual(client.wait(), 0, client.describe())
                    self.assert_same_bytes(client.out, WELCOME + data, "echo to s_client")
        self.assertNotIn(b"error", server.err, server.describe())

    def test_gnutls_cli(self):
        server, port = self.start_echo()
        for size in (1, 16 * 1024, MIB):
            with self.subTest(size=size):
                data = text_payload(size, seed=size + 1)
                src = self.tmpfile(f"gnutls-{size}", data)
                with open(src, "rb") as fin:
                    # gnutls-cli reads stdin to its end, then waits for the
                    # server's close: the whole echo arrives first.
                    client = self.start("gnutls-cli", [
                        env_path("TLSPLUG_GNUTLS_CLI"), "--port", str(port),
                        "--x509cafile", pki("ca.pem"), "--verify-hostname", "localhost",
                        "--sni-hostname", "localhost", "--logfile", self.tmpfile(f"gnutls-{size}.log"),
                        "127.0.0.1"], stdin=fin)
                    self.assertEqual(client.wait(BIG_TIMEOUT), 0, client.describe())
                self.assert_same_bytes(client.out, WELCOME + data, "echo to gnutls-cli")
        self.assertNotIn(b"error", server.err, server.describe())


if __name__ == "__main__":
    unittest.main()
