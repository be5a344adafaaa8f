"""Over real sockets (127.0.0.1, ephemeral ports) with the small driver: the
tlsplug client against Node's tls.createServer and Python's ssl server; Node's
tls.connect and Python's ssl client against a tlsplug server socket. ALPN and
SNI cross each pair."""
import json
import os
import selectors
import shutil
import socket
import ssl
import subprocess
import threading
import unittest

import support
from support import client_context, pki, server_context
import tlsplug

PEERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers")
NODE = shutil.which("node")
TIMEOUT = 10.0
# Peers run without the sanitizer preload meant for python3 (TLSPLUG_TEST_ENV).
PEER_ENV = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "ASAN_OPTIONS")}


def read_line(proc, timeout=TIMEOUT) -> str:
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout):
            raise TimeoutError("peer printed nothing")
    return proc.stdout.readline().decode().strip()


def listener():
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    ls.settimeout(TIMEOUT)
    return ls


class Thread(threading.Thread):
    """A peer thread whose exception fails the test."""

    def __init__(self, fn):
        super().__init__(daemon=True)
        self.fn, self.error, self.result = fn, None, None

    def run(self):
        try:
            self.result = self.fn()
        except BaseException as e:  # reported by finish()
            self.error = e

    def finish(self, test):
        self.join(TIMEOUT)
        test.assertFalse(self.is_alive(), "peer thread hung")
        if self.error:
            raise self.error
        return self.result


def echo_client(test, port, **opts):
    """A tlsplug client: write 'ping', wait for it back, end; answers
    (received bytes, socket)."""
    t = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    sock = tlsplug.TLSSocket(t, secure_context=client_context(), **opts)
    got = bytearray()
    secure = []
    sock.on("secureConnect", lambda: secure.append(sock.alpn_protocol))
    sock.on("data", got.extend)
    sock.write(b"ping")
    test.assertTrue(sock.run_until(lambda: got.endswith(b"ping"), TIMEOUT))
    info = (sock.authorized, sock.alpn_protocol, sock.get_protocol())
    sock.end()
    sock.run_until(timeout=TIMEOUT)
    test.assertTrue(sock.closed)
    test.assertEqual(len(secure), 1)
    sock.close()
    return bytes(got), info


def resume_client(test, port, session, sessions):
    """A tlsplug client that offers `session` (or none), collects `session`
    events, sends 'ping' and waits for the echo; answers (received bytes,
    isSessionReused)."""
    t = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    opts = {"session": session} if session else {}
    sock = tlsplug.TLSSocket(t, secure_context=client_context(), servername="localhost", **opts)
    got = bytearray()
    sock.on("session", sessions.append)
    sock.on("data", got.extend)
    sock.write(b"ping")
    test.assertTrue(sock.run_until(lambda: got.endswith(b"ping"), TIMEOUT))
    reused = sock.is_session_reused()
    sock.end()
    sock.run_until(timeout=TIMEOUT)
    sock.close()
    return bytes(got), reused


def serve_echo(conn, **opts):
    """A tlsplug server on an accepted socket: echo until closed; answers
    (servername, alpn, had_error)."""
    sock = tlsplug.TLSSocket(conn, is_server=True, secure_context=server_context(), **opts)
    seen = {}
    sock.on("secure", lambda: seen.update(sni=sock.servername, alpn=sock.alpn_protocol))
    sock.on("data", sock.write)
    sock.run_until(timeout=TIMEOUT)
    result = (seen.get("sni"), seen.get("alpn"), sock.had_error)
    sock.close()
    return result


@support.need_pki
@unittest.skipUnless(NODE, "node is not installed")
class WithNode(unittest.TestCase):
    def test_client_against_node_server(self):
        proc = subprocess.Popen([NODE, os.path.join(PEERS, "node_echo_server.js"), support.PKI],
                                stdout=subprocess.PIPE, env=PEER_ENV)
        try:
            line = read_line(proc)
            self.assertTrue(line.startswith("PORT "), line)
            got, (authorized, alpn, proto) = echo_client(
                self, int(line.split()[1]), servername="localhost", alpn_protocols=["http/1.1"])
            self.assertEqual(got, b"http/1.1|localhost|ping")
            self.assertTrue(authorized)
            self.assertEqual(alpn, "http/1.1")
            self.assertEqual(proto, "TLSv1.3")
            self.assertEqual(proc.wait(TIMEOUT), 0)
        finally:
            proc.kill()
            proc.wait()
            proc.stdout.close()

    def test_client_resumes_against_node_server(self):
        # The `session` event's data, given back as the `session` option,
        # resumes: Node's server and the tlsplug client both say so.
        for version in ("TLSv1.2", "TLSv1.3"):
            with self.subTest(version=version):
                proc = subprocess.Popen([NODE, os.path.join(PEERS, "node_resume_server.js"),
                                         support.PKI, version, "2"],
                                        stdout=subprocess.PIPE, env=PEER_ENV)
                try:
                    line = read_line(proc)
                    self.assertTrue(line.startswith("PORT "), line)
                    port = int(line.split()[1])
                    sessions = []
                    got, reused = resume_client(self, port, None, sessions)
                    self.assertEqual((got, reused), (b"false|ping", False))
                    self.assertTrue(sessions, "no 'session' event")
                    got, reused = resume_client(self, port, sessions[-1], [])
                    self.assertEqual((got, reused), (b"true|ping", True))
                    self.assertEqual(proc.wait(TIMEOUT), 0)
                finally:
                    proc.kill()
                    proc.wait()
                    proc.stdout.close()

    def test_node_client_against_server(self):
        with listener() as ls:
            port = ls.getsockname()[1]
            proc = subprocess.Popen([NODE, os.path.join(PEERS, "node_client.js"), support.PKI,
                                     str(port), "localhost", "x-proto,h2", "hello node"],
                                    stdout=subprocess.PIPE, env=PEER_ENV)
            try:
                conn, _ = ls.accept()
                sni, alpn, had_error = serve_echo(conn, alpn_protocols=["h2"])
                report = json.loads(read_line(proc))
                self.assertEqual(proc.wait(TIMEOUT), 0)
            finally:
                proc.kill()
                proc.wait()
                proc.stdout.close()
        self.assertEqual((sni, alpn, had_error), ("localhost", "h2", False))
        self.assertEqual(report, {"authorized": True, "alpn": "h2", "protocol": "TLSv1.3",
                                  "echoed": "hello node"})


@support.need_pki
class WithPythonSSL(unittest.TestCase):
    def test_client_against_python_ssl_server(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(support.PKI, "server-chain.pem"),
                            os.path.join(support.PKI, "server.key"))
        ctx.set_alpn_protocols(["h2"])
        sni = []
        ctx.sni_callback = lambda s, name, c: sni.append(name)
        with listener() as ls:
            def serve():
                conn, _ = ls.accept()
                conn.settimeout(TIMEOUT)
                with ctx.wrap_socket(conn, server_side=True) as tls:
                    tls.sendall(b"ssl|")
                    while True:
                        d = tls.recv(1024)
                        if not d:
                            break
                        tls.sendall(d)
                    tls.unwrap()
                return True

            th = Thread(serve)
            th.start()
            got, (authorized, alpn, proto) = echo_client(
                self, ls.getsockname()[1], servername="localhost", alpn_protocols=["h2", "http/1.1"])
            th.finish(self)
        self.assertEqual(got, b"ssl|ping")
        self.assertEqual((authorized, alpn), (True, "h2"))
        self.assertEqual(sni, ["localhost"])

    def test_python_ssl_client_against_server(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(os.path.join(support.PKI, "ca.pem"))
        ctx.set_alpn_protocols(["http/1.1"])
        with listener() as ls:
            port = ls.getsockname()[1]

            def client():
                with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as raw:
                    with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                        tls.sendall(b"hello from ssl")
                        got = b""
                        while len(got) < 14:
                            d = tls.recv(1024)
                            if not d:
                                break
                            got += d
                        info = tls.selected_alpn_protocol(), tls.version()
                        tls.unwrap()
                        return (got,) + info

            th = Thread(client)
            th.start()
            conn, _ = ls.accept()
            sni, alpn, had_error = serve_echo(conn, alpn_protocols=["h2", "http/1.1"])
            got, client_alpn, version = th.finish(self)
        self.assertEqual(got, b"hello from ssl")
        self.assertEqual((sni, alpn, client_alpn, had_error), ("localhost", "http/1.1", "http/1.1", False))
        self.assertEqual(version, "TLSv1.3")

    def test_verification_failure_over_a_socket(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(support.PKI, "wronghost-chain.pem"),
                            os.path.join(support.PKI, "wronghost.key"))
        with listener() as ls:
            def serve():
                conn, _ = ls.accept()
                conn.settimeout(TIMEOUT)
                try:
                    ctx.wrap_socket(conn, server_side=True).close()
                except (ssl.SSLError, OSError):
                    pass  # the client refused us: expected
                finally:
                    conn.close()

            th = Thread(serve)
            th.start()
            t = socket.create_connection(("127.0.0.1", ls.getsockname()[1]), timeout=TIMEOUT)
            sock = tlsplug.TLSSocket(t, secure_context=client_context(), servername="localhost")
            errs = []
            sock.on("error", errs.append)
            sock.run_until(timeout=TIMEOUT)
            th.finish(self)
        self.assertEqual([e.code for e in errs], ["ERR_TLS_CERT_ALTNAME_INVALID"])
        self.assertTrue(sock.closed)
        self.assertIsNone(sock.transport)


if __name__ == "__main__":
    unittest.main()
