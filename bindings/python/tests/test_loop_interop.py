"""On the loop, over real sockets (127.0.0.1, ephemeral ports): the tlsplug
client (tlsplug.connect) against Node's tls.createServer and Python's ssl
server; Node's tls.connect and Python's ssl client against a tlsplug server
(tlsplug.create_server). ALPN and SNI cross each pair."""
import json
import os
import socket
import ssl
import subprocess
import unittest

import support
from support import close_server, listening_server, pki, run_until
from test_interop import NODE, PEER_ENV, PEERS, TIMEOUT, Thread, read_line
import tlsplug


def loop_echo_client(test, port, **opts):
    """tlsplug.connect: write 'ping', wait for the echo, end; answers
    (received bytes, (authorized, alpn, protocol))."""
    got = bytearray()
    info = []
    c = tlsplug.connect(port, "127.0.0.1", ca=pki("ca.pem"), **opts)
    c.on("secureConnect", lambda: (info.append((c.authorized, c.alpn_protocol, c.get_protocol())),
                                   c.write(b"ping")))
    c.on("data", lambda d: (got.extend(d), got.endswith(b"ping") and c.end()))
    closed = []
    c.on("close", closed.append)
    run_until(test, lambda: closed, TIMEOUT)
    test.assertEqual(closed, [False])
    return bytes(got), info[0]


def echo_server(test, **opts):
    """A tlsplug echo server; every connection gets '<alpn>|<servername>|'
    first. Answers (server, port, seen) with seen collecting (sni, alpn)."""
    seen = []

    def on_secure(sock):
        seen.append((sock.servername, sock.alpn_protocol))
        sock.write(f"{sock.alpn_protocol or '-'}|{sock.servername or '-'}|")
        sock.on("data", sock.write)
        # Python's ssl client closes without close_notify: ECONNRESET here.
        sock.on("error", lambda e: None)

    server, port = listening_server(test, opts, on_secure)
    return server, port, seen


@support.need_pki
@unittest.skipUnless(NODE, "node is not installed")
class LoopWithNode(support.LoopTestCase):
    def test_client_against_node_server(self):
        proc = subprocess.Popen([NODE, os.path.join(PEERS, "node_echo_server.js"), support.PKI],
                                stdout=subprocess.PIPE, env=PEER_ENV)
        try:
            line = read_line(proc)
            self.assertTrue(line.startswith("PORT "), line)
            got, (authorized, alpn, proto) = loop_echo_client(
                self, int(line.split()[1]), servername="localhost",
                alpn_protocols=["x-none", "http/1.1"])
            self.assertEqual(got, b"http/1.1|localhost|ping")
            self.assertTrue(authorized)
            self.assertEqual((alpn, proto), ("http/1.1", "TLSv1.3"))
            self.assertEqual(proc.wait(TIMEOUT), 0)
        finally:
            proc.kill()
            proc.wait()
            proc.stdout.close()

    def test_node_client_against_server(self):
        ec = {"key": pki("server-ec.key"), "cert": pki("server-ec-chain.pem")}
        server, port, seen = echo_server(self, alpn_protocols=["h2", "http/1.1"])
        server.add_context("server.test", ec)
        proc = subprocess.Popen([NODE, os.path.join(PEERS, "node_client.js"), support.PKI,
                                 str(port), "server.test", "x-proto,h2", "hello node"],
                                stdout=subprocess.PIPE, env=PEER_ENV)
        try:
            run_until(self, lambda: proc.poll() is not None, TIMEOUT, poll_ms=20)
            out = json.loads(proc.stdout.read().decode())
        finally:
            proc.kill()
            proc.wait()
            proc.stdout.close()
        self.assertEqual(out, {"authorized": True, "alpn": "h2", "protocol": "TLSv1.3",
                               "echoed": "h2|server.test|hello node"})
        self.assertEqual(seen, [("server.test", "h2")])
        close_server(self, server)


@support.need_pki
class LoopWithPythonSsl(support.LoopTestCase):
    def test_client_against_python_ssl_server(self):
        ls = socket.socket()
        ls.bind(("127.0.0.1", 0))
        ls.listen(1)
        ls.settimeout(TIMEOUT)
        port = ls.getsockname()[1]
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(support.PKI, "server-chain.pem"),
                            os.path.join(support.PKI, "server.key"))
        ctx.set_alpn_protocols(["h2", "http/1.1"])
        names = []
        ctx.sni_callback = lambda sslsock, name, c: names.append(name)

        def serve():
            conn, _ = ls.accept()
            with ctx.wrap_socket(conn, server_side=True) as s:
                s.settimeout(TIMEOUT)
                prefix = f"{s.selected_alpn_protocol()}|".encode()
                s.sendall(prefix)
                while True:
                    d = s.recv(65536)
                    if not d:
                        break
                    s.sendall(d)
                try:
                    s.unwrap()
                except (ssl.SSLError, OSError):
                    pass

        t = Thread(serve)
        t.start()
        try:
            got, (authorized, alpn, proto) = loop_echo_client(
                self, port, servername="server.test", alpn_protocols=["http/1.1"])
        finally:
            ls.close()
        t.finish(self)
        self.assertEqual(got, b"http/1.1|ping")
        self.assertEqual(names, ["server.test"])
        self.assertTrue(authorized)
        self.assertEqual(alpn, "http/1.1")

    def test_python_ssl_client_against_server(self):
        server, port, seen = echo_server(self, alpn_protocols=["http/1.1"])

        def client():
            ctx = ssl.create_default_context(cafile=os.path.join(support.PKI, "ca.pem"))
            ctx.set_alpn_protocols(["h2", "http/1.1"])
            with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as raw:
                with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                    s.sendall(b"hello ssl")
                    want = b"http/1.1|localhost|hello ssl"
                    got = b""
                    while len(got) < len(want):
                        d = s.recv(65536)
                        if not d:
                            break
                        got += d
                    return got, s.selected_alpn_protocol(), s.version()

        t = Thread(client)
        t.start()
        run_until(self, lambda: not t.is_alive(), TIMEOUT, poll_ms=20)
        got, alpn, version = t.finish(self)
        self.assertEqual(got, b"http/1.1|localhost|hello ssl")
        self.assertEqual((alpn, version), ("http/1.1", "TLSv1.3"))
        self.assertEqual(seen, [("localhost", "http/1.1")])
        run_until(self, lambda: server.connections == 0, TIMEOUT, poll_ms=20)
        close_server(self, server)


if __name__ == "__main__":
    unittest.main()
