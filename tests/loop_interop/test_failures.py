"""What `tlsplug client` and `tlsplug server` say when things go wrong, and
the transports beside TCP: a refused connection (ECONNREFUSED), a peer that
resets in the middle of a transfer (ECONNRESET), a certificate that fails
verification, a Unix socket path, bad command lines (exit 2). The client's
exit status tells them apart: 3 for verification, 4 for the network."""

import re
import subprocess
import unittest

from lisupport import (MIB, TIMEOUT, WELCOME, Case, PyServer, env_path, free_port, payload,
                       pki)


class Failures(Case):

    def test_refused(self):
        rc, got, err = self.run_client(["--host", "127.0.0.1", "--port", str(free_port())], b"x")
        self.assertEqual(rc, 4, err)  # the network
        self.assertRegex(err, r"(?m)^client error ECONNREFUSED: ")
        self.assertEqual(got, b"")

    def test_reset_mid_transfer(self):
        server = PyServer(mode="reset", reset_after=256 * 1024)
        rc, got, err = self.run_client(["--host", "127.0.0.1", "--port", str(server.port),
                                        "--servername", "localhost", "--ca", pki("ca.pem")],
                                       payload(8 * MIB))
        server.join_checked(self)
        self.assertEqual(rc, 4, err)  # the network
        self.assertRegex(err, r"(?m)^client error ECONNRESET: ", err)

    def test_expired_certificate(self):
        server, port = self.start_server("--key", pki("expired.key"),
                                         "--cert", pki("expired-chain.pem"))
        rc, got, err = self.run_client(["--host", "127.0.0.1", "--port", str(port),
                                        "--servername", "localhost", "--ca", pki("ca.pem")], b"x")
        self.assertEqual(rc, 3, err)  # verification
        self.assertRegex(err, r"(?m)^client error CERT_HAS_EXPIRED: ")
        rc, got, err = self.run_client(["-connect", f"127.0.0.1:{port}", "-servername",
                                        "localhost", "-CAfile", pki("ca.pem"), "--insecure"], b"x")
        self.assertEqual(rc, 0, err)
        self.assertRegex(err, r"(?m)^client connected unauthorized: CERT_HAS_EXPIRED$")
        self.assertEqual(got, WELCOME + b"x")

    def test_unix_socket_both_ends(self):
        path = self.tmpfile("tlsplug.sock")
        server = self.start("tlsplug server", [env_path("TLSPLUG_TOOL"), "server", "--path", path,
                                               "--once", "--key", pki("server.key"),
                                               "--cert", pki("server-chain.pem")])
        server.wait_for(rb"^listening on " + re.escape(path.encode()) + rb"$")
        data = payload(MIB, seed=9)
        rc, got, err = self.run_client(["--path", path, "--servername", "localhost",
                                        "--ca", pki("ca.pem")], data)
        self.assertEqual(rc, 0, err + server.describe())
        self.assert_same_bytes(got, WELCOME + data, "echo over a Unix socket")
        self.assertEqual(server.wait(), 0, server.describe())  # --once

    def test_throwaway_certificate(self):
        cert = self.tmpfile("throwaway.pem")
        server, port = self.start_server("--cert-out", cert, "--once")
        server.wait_for(rb"throwaway self-signed certificate", stream="err")
        rc, got, err = self.run_client(["--port", str(port), "--host", "127.0.0.1",
                                        "--ca", cert], b"hi\n")
        self.assertEqual(rc, 0, err)
        self.assertRegex(err, r"(?m)^client connected authorized$")
        self.assertEqual(got, WELCOME + b"hi\n")
        self.assertEqual(server.wait(), 0, server.describe())

    def test_address_in_use_and_version(self):
        server, port = self.start_server()
        cp = subprocess.run([env_path("TLSPLUG_TOOL"), "server", "--host", "127.0.0.1", "--port",
                             str(port)], stdin=subprocess.DEVNULL, capture_output=True,
                            timeout=TIMEOUT)
        self.assertEqual(cp.returncode, 1, cp)
        self.assertEqual(cp.stderr.count(b"EADDRINUSE"), 1, cp.stderr)  # said once
        cp = subprocess.run([env_path("TLSPLUG_TOOL"), "version"], capture_output=True,
                            timeout=TIMEOUT)
        self.assertRegex(cp.stdout.decode(), r"^tlsplug \d+\.\d+\.\d+ \(GnuTLS [\d.]+\) \(ABI \d+\)\n$")

    def test_bad_command_lines(self):
        tool = env_path("TLSPLUG_TOOL")
        for argv in (["server", "--bogus"], ["client", "--port"], ["client", "--port", "x"],
                     ["client", "-connect", "nocolon"], ["server", "--key", "k"], ["frobnicate"],
                     ["server", "--alpn", ",,"], ["server", "--once=1"],
                     ["client", "--trace=1"], ["server", "--www", "--http"],
                     ["server", "--sni", "nocolons"]):
            with self.subTest(argv=argv):
                cp = subprocess.run([tool, *argv], stdin=subprocess.DEVNULL, capture_output=True,
                                    timeout=TIMEOUT)
                self.assertEqual(cp.returncode, 2, cp)
                self.assertTrue(cp.stderr.strip(), cp)
        for cmd in ("server", "client"):
            cp = subprocess.run([tool, cmd, "--help"], capture_output=True, timeout=TIMEOUT)
            self.assertEqual(cp.returncode, 0)
            self.assertIn(b"--port", cp.stdout)


if __name__ == "__main__":
    unittest.main()
