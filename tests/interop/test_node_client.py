"""Node's own tls.connect() echo client against the C echo_server.

Node (OpenSSL inside) is the reference peer: for each TLS version the
bytes Node sends come back after "welcome!\n" exactly, a line of text and
a few MiB of random bytes alike, and client certificates are requested,
verified and reported as Node's own echo server would.
"""

import json
import os
import socket
import subprocess
import unittest

from interop_support import HERE, TIMEOUT, InteropCase, env_path, pki

VERSIONS = ("TLSv1.2", "TLSv1.3")


class NodeClientAgainstEchoServer(InteropCase):

    def start_node_client(self, port, payload, *extra):
        """Start node_echo_client.js with `payload` on stdin; answers
        (process, path of its stdout)."""
        tag = f"{port}-{len(self.peers)}-{id(payload)}"
        src = self.tmpfile(f"node-in-{tag}", payload)
        out = self.tmpfile(f"node-out-{tag}")
        argv = [env_path("TLSPLUG_NODE"), os.path.join(HERE, "node_echo_client.js"),
                "--port", str(port), "--timeout", str(TIMEOUT), *extra]
        with open(src, "rb") as fin, open(out, "wb") as fout:
            proc = subprocess.Popen(argv, stdin=fin, stdout=fout, stderr=subprocess.PIPE)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        return proc, out

    @staticmethod
    def finish_node_client(proc, out):
        """Wait for a node client; answers (exit status, stdout bytes, [events])."""
        try:
            _, err = proc.communicate(timeout=TIMEOUT + 10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise AssertionError("node client did not exit")
        events = []
        for line in err.decode("utf-8", "replace").splitlines():
            try:
                events.append(json.loads(line))
            except ValueError:
                events.append({"event": "stderr", "text": line})
        with open(out, "rb") as f:
            return proc.returncode, f.read(), events

    def node_client(self, port, payload, *extra):
        return self.finish_node_client(*self.start_node_client(port, payload, *extra))

    @staticmethod
    def event(events, name):
        return next((e for e in events if e.get("event") == name), None)

    def echo(self, version, payload, server_args=(), client_args=()):
        """One echo round trip; checks everything both sides report."""
        server, port = self.start_echo_server(
            "--once", "--timeout", str(TIMEOUT), "--key", pki("server.key"),
            "--cert", pki("server-chain.pem"), "--min-version", version,
            "--max-version", version, *server_args)
        rc, got, events = self.node_client(port, payload, "--ca", pki("ca.pem"), *client_args)
        server_rc = server.wait()
        ctx = f"\nnode events: {events}\n{server.describe()}"
        self.assertEqual(rc, 0, "node client failed" + ctx)
        sc = self.event(events, "secureConnect")
        self.assertIsNotNone(sc, "no secureConnect" + ctx)
        self.assertEqual(sc["protocol"], version, ctx)
        self.assertTrue(sc["authorized"], "node did not authorize the server" + ctx)
        self.assertIsNotNone(self.event(events, "end"), "the server never ended" + ctx)
        self.assert_same_bytes(got, b"welcome!\n" + payload, f"echo over {version}")
        self.assertEqual(server_rc, 0, "echo_server --once reported a failure" + ctx)
        return server

    def test_line_of_text(self):
        for version in VERSIONS:
            with self.subTest(version=version):
                server = self.echo(version, f"hello from node over {version}\n".encode())
                # Node's rule: without requestCert the client is not authorized.
                self.assertIn(b"server connected unauthorized\n", server.out)

    def test_mebibytes_of_random_bytes(self):
        for version in VERSIONS:
            with self.subTest(version=version):
                self.echo(version, os.urandom(3 * 1024 * 1024 + 123))

    def test_client_certificate_authorized(self):
        for version in VERSIONS:
            with self.subTest(version=version):
                server = self.echo(
                    version, b"with a client certificate\n",
                    server_args=("--request-cert", "--ca", pki("ca.pem")),
                    client_args=("--key", pki("client.key"), "--cert", pki("client-chain.pem")))
                self.assertIn(b"server connected authorized\n", server.out)

    def test_client_certificate_not_required_with_insecure(self):
        # requestCert with rejectUnauthorized false: the client without a
        # certificate gets in, and is reported unauthorized.
        for version in VERSIONS:
            with self.subTest(version=version):
                server = self.echo(version, b"no certificate\n",
                                   server_args=("--request-cert", "--insecure",
                                                "--ca", pki("ca.pem")))
                self.assertIn(b"server connected unauthorized\n", server.out)

    def test_client_certificate_missing_is_refused(self):
        # requestCert with rejectUnauthorized (Node's default): a client
        # without a certificate is refused; Node's server says
        # ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE and the client never
        # gets the welcome. The client must hear why, from the alert that
        # OpenSSL's server would send too (not a bare ECONNRESET).
        alerts = {"TLSv1.2": "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE",
                  "TLSv1.3": "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED"}
        for version in VERSIONS:
            with self.subTest(version=version):
                server, port = self.start_echo_server(
                    "--once", "--timeout", str(TIMEOUT), "--key", pki("server.key"),
                    "--cert", pki("server-chain.pem"), "--request-cert",
                    "--ca", pki("ca.pem"), "--min-version", version, "--max-version", version)
                rc, got, events = self.node_client(port, b"let me in\n", "--ca", pki("ca.pem"))
                server_rc = server.wait()
                ctx = f"\nnode events: {events}\n{server.describe()}"
                self.assertNotEqual(rc, 0, "node client succeeded" + ctx)
                error = self.event(events, "error")
                self.assertIsNotNone(error, ctx)
                self.assertEqual(error["code"], alerts[version], ctx)
                self.assertNotIn(b"welcome!", got, ctx)
                self.assertNotIn(b"server connected", server.out, ctx)
                self.assertIn(b"ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE", server.err, ctx)
                self.assertEqual(server_rc, 1, ctx)

    def test_concurrent_connections(self):
        # Without --once the server serves connections side by side in one
        # poll loop: a client that connects and never speaks holds up
        # nobody, and several clients echoing MiB at once all get their
        # own bytes back.
        server, port = self.start_echo_server(
            "--timeout", str(TIMEOUT), "--key", pki("server.key"),
            "--cert", pki("server-chain.pem"))
        idle = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.addCleanup(idle.close)
        payloads = [os.urandom(1024 * 1024 + i) for i in range(4)]
        clients = [self.start_node_client(port, p, "--ca", pki("ca.pem")) for p in payloads]
        for payload, client in zip(payloads, clients):
            rc, got, events = self.finish_node_client(*client)
            ctx = f"\nnode events: {events}\n{server.describe()}"
            self.assertEqual(rc, 0, ctx)
            self.assert_same_bytes(got, b"welcome!\n" + payload, "concurrent echo")
        self.assertEqual(server.out.count(b"server connected "), len(payloads), server.describe())
        idle.close()
        server.proc.terminate()  # SIGTERM: the server stops and frees what is open
        self.assertEqual(server.wait(), 0, server.describe())


if __name__ == "__main__":
    unittest.main()
