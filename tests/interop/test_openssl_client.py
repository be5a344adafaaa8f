"""`openssl s_client` against the C echo_server.

s_client verifies the server's chain and name itself (-verify_return_error
-verify_hostname), so this checks what the server presents as much as the
echo. For each TLS version (limited on the server's side, s_client left
free to offer anything): "welcome!\n" arrives, a line comes back exactly,
and s_client's stdin EOF ends the connection cleanly on both sides.
"""

import unittest

from interop_support import TIMEOUT, InteropCase, env_path, pki

VERSIONS = ("TLSv1.2", "TLSv1.3")


class OpenSSLClientAgainstEchoServer(InteropCase):

    def s_client(self, port, *extra):
        # -brief: handshake summary on stderr, stdout carries only the data.
        # -no_ign_eof: stdin's EOF ends the connection (what -brief would
        # otherwise ignore); -nocommands: a line is data, never a command.
        return self.start("openssl s_client", [
            env_path("TLSPLUG_OPENSSL"), "s_client", "-brief", "-no_ign_eof", "-nocommands",
            "-connect", f"127.0.0.1:{port}", "-servername", "localhost",
            "-CAfile", pki("ca.pem"), "-verify_return_error", "-verify_hostname", "localhost",
            *extra])

    def exchange(self, version, server_args=(), client_args=()):
        server, port = self.start_echo_server(
            "--once", "--timeout", str(TIMEOUT), "--key", pki("server.key"),
            "--cert", pki("server-chain.pem"), "--min-version", version,
            "--max-version", version, *server_args)
        client = self.s_client(port, *client_args)
        client.wait_for(rb"^Protocol version: " + version.encode() + rb"$", stream="err")
        client.wait_for(rb"^Verification: OK$", stream="err")
        client.wait_for(rb"welcome!\n")
        line = f"s_client over {version}\n".encode()
        client.write(line)
        client.wait_for(rb"welcome!\n" + line)
        client.close_stdin()
        rc = client.wait()
        server_rc = server.wait()
        ctx = "\n" + client.describe() + "\n" + server.describe()
        self.assertEqual(rc, 0, "s_client failed" + ctx)
        self.assertEqual(client.out, b"welcome!\n" + line, ctx)
        self.assertEqual(server_rc, 0, "echo_server --once reported a failure" + ctx)
        return server

    def test_line_of_text(self):
        for version in VERSIONS:
            with self.subTest(version=version):
                server = self.exchange(version)
                self.assertIn(b"server connected unauthorized\n", server.out)

    def test_client_certificate(self):
        for version in VERSIONS:
            with self.subTest(version=version):
                server = self.exchange(
                    version, server_args=("--request-cert", "--ca", pki("ca.pem")),
                    client_args=("-cert", pki("client.pem"), "-key", pki("client.key"),
                                 "-cert_chain", pki("int.pem")))
                self.assertIn(b"server connected authorized\n", server.out)


if __name__ == "__main__":
    unittest.main()
