"""The C echo_client against `gnutls-serv --echo`.

gnutls-serv echoes text a line at a time through C strings (a NUL would
cut it short), so the payloads here are text: one line, and a few MiB of
random base64 lines. For each TLS version the client's stdout must be its
stdin exactly. --crlf keeps gnutls-serv from rewriting line ends.

gnutls-serv has no option to choose its address: it listens on every
interface (the client only ever connects to 127.0.0.1).
"""

import unittest

from interop_support import InteropCase, env_path, free_port, pki, random_text

VERSIONS = {"TLSv1.2": ("--max-version", "TLSv1.2"), "TLSv1.3": ("--min-version", "TLSv1.3")}


class EchoClientAgainstGnuTLSServer(InteropCase):

    def start_gnutls_serv(self):
        port = free_port()
        server = self.start("gnutls-serv", [
            env_path("TLSPLUG_GNUTLS_SERV"), "--echo", "--crlf", "--quiet", "--port", str(port),
            "--x509keyfile", pki("server.key"), "--x509certfile", pki("server-chain.pem")])
        server.wait_for(rb"listening on IPv4 .* port " + str(port).encode() + rb"\.\.\.done",
                        stream="err")
        return server, port

    def echo(self, version, payload):
        server, port = self.start_gnutls_serv()
        src = self.tmpfile(f"in-{port}", payload)
        rc, got, err = self.run_echo_client(port, ["--ca", pki("ca.pem"), *VERSIONS[version]], src)
        ctx = f"\necho_client stderr: {err}\n{server.describe()}"
        self.assertEqual(rc, 0, "echo_client failed" + ctx)
        self.assertRegex(err, rf"(?m)^client connected authorized {version} \S+$", ctx)
        self.assert_same_bytes(got, payload, f"gnutls-serv echo over {version}")
        self.assertIsNone(server.proc.poll(), "gnutls-serv died" + ctx)

    def test_line_of_text(self):
        for version in VERSIONS:
            with self.subTest(version=version):
                self.echo(version, f"hello GnuTLS, over {version}\n".encode())

    def test_mebibytes_of_random_text(self):
        for version in VERSIONS:
            with self.subTest(version=version):
                self.echo(version, random_text(3 * 1024 * 1024))


if __name__ == "__main__":
    unittest.main()
