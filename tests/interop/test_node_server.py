"""The C echo_client against Node's own tls.createServer() echo server.

For each TLS version the client's stdin comes back on its stdout after
"welcome!\n", byte for byte (a line, and a few MiB of random bytes), the
client reports Node's server as authorized, and a client certificate is
accepted by Node's requestCert.
"""

import os
import unittest

from interop_support import HERE, TIMEOUT, InteropCase, env_path, pki

VERSIONS = ("TLSv1.2", "TLSv1.3")


class EchoClientAgainstNodeServer(InteropCase):

    def start_node_server(self, version, *extra):
        server = self.start("node_echo_server", [
            env_path("TLSPLUG_NODE"), os.path.join(HERE, "node_echo_server.js"),
            "--key", pki("server.key"), "--cert", pki("server-chain.pem"),
            "--min-version", version, "--max-version", version,
            "--timeout", str(TIMEOUT), *extra])
        port = int(server.wait_for(rb"^listening on 127\.0\.0\.1:(\d+)$").group(1))
        return server, port

    def echo(self, version, payload, server_args=(), client_args=()):
        server, port = self.start_node_server(version, *server_args)
        src = self.tmpfile(f"in-{port}", payload)
        rc, got, err = self.run_echo_client(port, ["--ca", pki("ca.pem"), *client_args], src)
        server_rc = server.wait()
        ctx = f"\necho_client stderr: {err}\n{server.describe()}"
        self.assertEqual(rc, 0, "echo_client failed" + ctx)
        self.assertRegex(err, rf"(?m)^client connected authorized {version} \S+$", ctx)
        self.assertIn("server ends connection", err, ctx)
        self.assert_same_bytes(got, b"welcome!\n" + payload, f"echo over {version}")
        self.assertIn(f"server protocol {version}\n".encode(), server.out, ctx)
        self.assertEqual(server_rc, 0, "Node's server reported an error" + ctx)
        return server

    def test_line_of_text(self):
        for version in VERSIONS:
            with self.subTest(version=version):
                server = self.echo(version, f"hello Node, over {version}\n".encode())
                self.assertIn(b"server connected unauthorized\n", server.out)

    def test_mebibytes_of_random_bytes(self):
        for version in VERSIONS:
            with self.subTest(version=version):
                self.echo(version, os.urandom(4 * 1024 * 1024 - 17))

    def test_client_certificate(self):
        for version in VERSIONS:
            with self.subTest(version=version):
                server = self.echo(
                    version, b"here is my certificate\n",
                    server_args=("--request-cert", "1", "--ca", pki("ca.pem")),
                    client_args=("--key", pki("client.key"), "--cert", pki("client-chain.pem")))
                self.assertIn(b"server connected authorized\n", server.out)


if __name__ == "__main__":
    unittest.main()
