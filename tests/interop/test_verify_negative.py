"""The C echo_client refusing servers it must not trust (openssl s_server as
the untrusted server), with Node's codes on stderr and a failing exit
status; and, with --insecure (rejectUnauthorized: false), going on while
reporting the server unauthorized with the same code.
"""

import unittest

from interop_support import InteropCase, pki
from test_openssl_server import VERSIONS, start_s_server


class EchoClientRefusesUntrustedServers(InteropCase):

    def refused(self, cert, key, code, version, server_args=()):
        server, port = start_s_server(self, pki(cert), pki(key), *server_args)
        src = self.tmpfile(f"in-{port}", b"must not arrive\n")
        rc, got, err = self.run_echo_client(
            port, ["--ca", pki("ca.pem"), *VERSIONS[version]], src)
        ctx = f"\necho_client stderr: {err}\n{server.describe()}"
        self.assertNotEqual(rc, 0, "echo_client accepted the server" + ctx)
        self.assertRegex(err, rf"(?m)^client error {code}: ", ctx)
        self.assertNotIn("client connected", err, ctx)
        self.assertEqual(got, b"", ctx)
        server.wait()
        self.assertNotIn(b"must not arrive", server.out, ctx)

    def test_self_signed_server_is_refused(self):
        for version in VERSIONS:
            with self.subTest(version=version):
                self.refused("self.pem", "self.key", "DEPTH_ZERO_SELF_SIGNED_CERT", version)

    def test_wrong_host_is_refused(self):
        # Chains to the trusted root, but is for other.test, not localhost.
        for version in VERSIONS:
            with self.subTest(version=version):
                self.refused("wronghost.pem", "wronghost.key", "ERR_TLS_CERT_ALTNAME_INVALID",
                             version, server_args=("-cert_chain", pki("int.pem")))

    def test_self_signed_server_with_insecure(self):
        for version in VERSIONS:
            with self.subTest(version=version):
                server, port = start_s_server(self, pki("self.pem"), pki("self.key"))
                line = b"insecure, but readable\n"
                src = self.tmpfile(f"in-{port}", line)
                rc, got, err = self.run_echo_client(
                    port, ["--ca", pki("ca.pem"), "--insecure", *VERSIONS[version]], src)
                ctx = f"\necho_client stderr: {err}\n{server.describe()}"
                self.assertEqual(rc, 0, ctx)
                self.assertRegex(
                    err, rf"(?m)^client connected unauthorized {version} \S+ "
                         r"\(DEPTH_ZERO_SELF_SIGNED_CERT\)$", ctx)
                self.assertEqual(server.wait(), 0, ctx)
                self.assertIn(line, server.out, ctx)


if __name__ == "__main__":
    unittest.main()
