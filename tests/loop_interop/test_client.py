"""`tlsplug client` (Node's echo client, on the loop) against servers
nobody here wrote: Node's tls.createServer echo example, Python's ssl,
gnutls-serv --echo, openssl s_server -rev. The client's stdout must be
what the server sent back, byte for byte; 64 MiB against Node and Python.
The signature scheme it reports is the one openssl s_client reports for
the same server."""

import json
import os
import re
import subprocess
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


# A TLS signature scheme's name -> what openssl s_client 3.0 prints for it
# ("Peer signature type", "Peer signing digest"): a translation of names,
# the values themselves come from s_client in the run.
def openssl_view(scheme):
    if scheme in ("ed25519", "ed448"):
        return {"ed25519": "Ed25519", "ed448": "Ed448"}[scheme], None
    kind, _, digest = scheme.rpartition("_")
    sig = {"ecdsa_secp256r1": "ECDSA", "ecdsa_secp384r1": "ECDSA", "ecdsa_secp521r1": "ECDSA",
           "rsa_pss_rsae": "RSA-PSS", "rsa_pss_pss": "RSA-PSS", "rsa_pkcs1": "RSA"}[kind]
    return sig, digest.upper()


class SignatureScheme(Case):
    """The server's signature scheme `tlsplug client` shows (text and
    --json) is the one openssl s_client sees from the same s_server."""

    # (certificate, key, version, s_server's -sigalgs, the clients' -sigalgs). The
    # clients differ in their default lists' order, so where the server
    # leaves the choice to the client both get the same list.
    CASES = [
        ("server.pem", "server.key", "TLSv1.3", None, None),
        ("server.pem", "server.key", "TLSv1.2", None, "rsa_pss_rsae_sha384:RSA+SHA256"),
        ("server.pem", "server.key", "TLSv1.2", "RSA+SHA384", None),
        ("server.pem", "server.key", "TLSv1.3", "rsa_pss_rsae_sha512", None),
        ("server-ec.pem", "server-ec.key", "TLSv1.3", None, None),
        ("server-ec.pem", "server-ec.key", "TLSv1.2", "ECDSA+SHA384", None),
        ("server-ec.pem", "server-ec.key", "TLSv1.2", None, "ECDSA+SHA512:ECDSA+SHA256"),
    ]

    def test_matches_s_client(self):
        for cert, key, version, sigalgs, client_sigalgs in self.CASES:
            with self.subTest(cert=cert, version=version, sigalgs=sigalgs,
                              client_sigalgs=client_sigalgs):
                mine = ["-sigalgs", client_sigalgs] if client_sigalgs else []
                port = free_port()
                server = self.start("s_server", [
                    env_path("TLSPLUG_OPENSSL"), "s_server", "-naccept", "3",
                    "-accept", f"127.0.0.1:{port}", "-cert", pki(cert), "-cert_chain",
                    pki("int.pem"), "-key", pki(key), "-no_ticket",
                    *(["-sigalgs", sigalgs] if sigalgs else [])])
                server.wait_for(rb"^ACCEPT")
                flag = "-" + version.lower().replace("v", "").replace(".", "_")
                out = subprocess.run([env_path("TLSPLUG_OPENSSL"), "s_client", "-connect",
                                      f"127.0.0.1:{port}", flag, *mine], stdin=subprocess.DEVNULL,
                                     capture_output=True, text=True, timeout=30).stdout
                want_sig = re.search(r"(?m)^Peer signature type: (\S+)$", out)
                want_digest = re.search(r"(?m)^Peer signing digest: (\S+)$", out)
                self.assertIsNotNone(want_sig, out)
                want = (want_sig.group(1), want_digest and want_digest.group(1))
                common = ["--connect", f"127.0.0.1:{port}", "--servername", "localhost", "--ca",
                          pki("ca.pem"), "--min-version", version, "--max-version", version, *mine]
                rc, got, _ = self.run_client([*common, "--json"])
                self.assertEqual(rc, 0, server.describe())
                scheme = json.loads(got)["peerSignatureAlgorithm"]
                self.assertEqual(openssl_view(scheme), want, scheme)
                rc, _, err = self.run_client(common)
                self.assertEqual(rc, 0, err + server.describe())
                self.assertRegex(err, rf"(?m)^peer signature scheme: {scheme}$")
                server.kill()
