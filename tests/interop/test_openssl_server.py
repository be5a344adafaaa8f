"""The C echo_client against `openssl s_server`.

s_server is not an echo server: what the client sends appears on
s_server's stdout, and what the test writes to s_server's stdin is sent to
the client. So both directions are checked separately, for each TLS
version: a line typed into the client arrives at s_server, a line typed
into s_server arrives on the client's stdout (exactly, nothing else), and
closing the client's stdin ends the connection cleanly on both sides.
"""

import unittest

from interop_support import TIMEOUT, InteropCase, env_path, free_port, pki

VERSIONS = {"TLSv1.2": ("--max-version", "TLSv1.2"), "TLSv1.3": ("--min-version", "TLSv1.3")}


def start_s_server(case, cert, key, *extra):
    """openssl s_server for one connection on a free port. Not -quiet: only
    the chatty mode prints ACCEPT, the readiness signal; it then logs the
    handshake to stdout ahead of the client's bytes. Its stdin stays open:
    in this mode EOF on stdin would shut it down."""
    port = free_port()
    server = case.start("openssl s_server", [
        env_path("TLSPLUG_OPENSSL"), "s_server", "-accept", f"127.0.0.1:{port}",
        "-naccept", "1", "-cert", cert, "-key", key, *extra])
    server.wait_for(rb"^ACCEPT")
    return server, port


class EchoClientAgainstOpenSSLServer(InteropCase):

    def test_both_directions(self):
        for version, limit in VERSIONS.items():
            with self.subTest(version=version):
                server, port = start_s_server(self, pki("server.pem"), pki("server.key"),
                                              "-cert_chain", pki("int.pem"))
                client = self.start("echo_client", [
                    env_path("TLSPLUG_ECHO_CLIENT"), "--port", str(port),
                    "--ca", pki("ca.pem"), "--timeout", str(TIMEOUT), *limit])
                client.wait_for(rb"^client connected authorized " + version.encode() + rb" \S+$",
                                stream="err")

                to_server = f"client to s_server over {version}\n".encode()
                client.write(to_server)
                server.wait_for(to_server.rstrip(b"\n") + rb"$")

                # A line not starting with a command letter (Q, q, r, R, ...).
                to_client = f"s_server to client over {version}\n".encode()
                server.write(to_client)
                client.wait_for(to_client.rstrip(b"\n") + rb"$")

                client.close_stdin()  # stdin's EOF ends the connection
                rc = client.wait()
                ctx = "\n" + client.describe() + "\n" + server.describe()
                self.assertEqual(rc, 0, "echo_client did not close cleanly" + ctx)
                self.assertEqual(client.out, to_client, ctx)
                self.assertIn(b"server ends connection", client.err, ctx)
                self.assertEqual(server.wait(), 0, ctx)
                # s_server saw the client's close_notify, not a dropped TCP connection.
                self.assertIn(b"DONE", server.out, ctx)

    def test_client_certificate(self):
        # s_server -Verify demands a client certificate and verifies it.
        server, port = start_s_server(self, pki("server.pem"), pki("server.key"),
                                      "-cert_chain", pki("int.pem"), "-Verify", "4",
                                      "-CAfile", pki("ca.pem"), "-verify_return_error")
        client = self.start("echo_client", [
            env_path("TLSPLUG_ECHO_CLIENT"), "--port", str(port), "--ca", pki("ca.pem"),
            "--key", pki("client.key"), "--cert", pki("client-chain.pem"),
            "--timeout", str(TIMEOUT)])
        client.wait_for(rb"^client connected authorized ", stream="err")
        client.write(b"signed, client\n")
        server.wait_for(rb"signed, client$")
        client.close_stdin()
        rc = client.wait()
        ctx = "\n" + client.describe() + "\n" + server.describe()
        self.assertEqual(rc, 0, ctx)
        self.assertEqual(server.wait(), 0, ctx)
        # s_server prints the subject of the client certificate it verified.
        self.assertIn(b"tlsplug client", server.out + server.err, ctx)


if __name__ == "__main__":
    unittest.main()
