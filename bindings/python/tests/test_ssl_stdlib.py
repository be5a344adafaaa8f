"""Python's standard library, unmodified, over tlsplug.ssl: asyncio
(open_connection, start_server, start_tls), http.client, urllib.request,
http.server and socketserver, against Node's https server and client,
curl, and Python's own ssl. Only the context comes from tlsplug."""
import asyncio
import http.client
import http.server
import json
import os
import socket
import socketserver
import ssl
import threading
import unittest
import urllib.error
import urllib.request

import support
import tlsplug
import tlsplug.ssl
from ssl_peers import (CURL, HTTPS_REQUEST_JS, NODE, NODE_VERIFY_JS, PEER_TIMEOUT,
                       NodeHTTPSServer, curl, node_run, peer_env, pki_path, serve_in_thread,
                       stdlib_verify_error, stop_server)

GET = b"GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"


def client_context() -> tlsplug.ssl.SSLContext:
    return tlsplug.ssl.create_default_context(cafile=pki_path("ca.pem"))


def server_context() -> tlsplug.ssl.SSLContext:
    ctx = tlsplug.ssl.SSLContext(tlsplug.ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki_path("server-chain.pem"), pki_path("server.key"))
    return ctx


def stdlib_peercert(port: int) -> dict:
    """What Python's own ssl sees of the server (the oracle for getpeercert)."""
    ctx = ssl.create_default_context(cafile=pki_path("ca.pem"))
    with socket.create_connection(("127.0.0.1", port), timeout=PEER_TIMEOUT) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            return s.getpeercert()


def body_of(response: bytes) -> dict:
    head, _, body = response.partition(b"\r\n\r\n")
    if b"chunked" in head.lower():  # Node chunks a response without a length
        out, rest = b"", body
        while rest:
            size, _, rest = rest.partition(b"\r\n")
            n = int(size, 16)
            if not n:
                break
            out, rest = out + rest[:n], rest[n + 2:]
        body = out
    return json.loads(body)


@support.need_pki
@unittest.skipUnless(NODE, "node is not installed")
class ClientAgainstNodeTest(unittest.TestCase):
    """tlsplug.ssl contexts in the standard library's clients, Node's https
    server on the other end."""

    @classmethod
    def setUpClass(cls):
        cls.node = NodeHTTPSServer().__enter__()
        cls.port = cls.node.port

    @classmethod
    def tearDownClass(cls):
        cls.node.__exit__()

    def test_asyncio_open_connection(self):
        async def main():
            reader, writer = await asyncio.wait_for(asyncio.open_connection(
                "127.0.0.1", self.port, ssl=client_context(), server_hostname="localhost"),
                PEER_TIMEOUT)
            writer.write(GET % b"/asyncio")
            response = await asyncio.wait_for(reader.read(), PEER_TIMEOUT)
            info = (writer.get_extra_info("peercert"), writer.get_extra_info("cipher"),
                    writer.get_extra_info("ssl_object").version())
            writer.close()
            await writer.wait_closed()
            return response, info

        response, (peercert, cipher, version) = asyncio.run(main())
        seen = body_of(response)
        self.assertEqual(seen["url"], "/asyncio")
        self.assertEqual(version, seen["protocol"])
        self.assertEqual(cipher[0], seen["cipher"])
        self.assertEqual(peercert, stdlib_peercert(self.port))

    def test_loop_start_tls(self):
        async def main():
            loop = asyncio.get_running_loop()
            reader = asyncio.StreamReader()
            lost = loop.create_future()

            class Protocol(asyncio.StreamReaderProtocol):
                def connection_lost(self, exc):
                    super().connection_lost(exc)
                    lost.done() or lost.set_result(exc)

            protocol = Protocol(reader)
            plain, _ = await loop.create_connection(lambda: protocol, "127.0.0.1", self.port)
            tls = await asyncio.wait_for(loop.start_tls(
                plain, protocol, client_context(), server_hostname="localhost"), PEER_TIMEOUT)
            tls.write(GET % b"/start_tls")
            response = await asyncio.wait_for(reader.read(), PEER_TIMEOUT)
            version = tls.get_extra_info("ssl_object").version()
            tls.close()
            await asyncio.wait_for(lost, PEER_TIMEOUT)
            return response, version

        response, version = asyncio.run(main())
        seen = body_of(response)
        self.assertEqual(seen["url"], "/start_tls")
        self.assertEqual(version, seen["protocol"])

    def test_http_client(self):
        conn = http.client.HTTPSConnection("localhost", self.port, context=client_context(),
                                           timeout=PEER_TIMEOUT)
        try:
            conn.request("POST", "/http.client", body=b"posted body")
            r = conn.getresponse()
            seen = json.loads(r.read())
            self.assertEqual(r.status, 200)
            # a second request on the same (kept-alive) connection
            conn.request("GET", "/again")
            again = json.loads(conn.getresponse().read())
        finally:
            conn.close()
        self.assertEqual((seen["method"], seen["url"], seen["body"]),
                         ("POST", "/http.client", "posted body"))
        self.assertEqual(again["url"], "/again")

    def test_urllib_urlopen(self):
        url = f"https://localhost:{self.port}/urllib?q=1"
        with urllib.request.urlopen(url, context=client_context(),
                                    timeout=PEER_TIMEOUT) as r:
            seen = json.loads(r.read())
        self.assertEqual(seen["url"], "/urllib?q=1")

    def test_alpn(self):
        ctx = client_context()
        ctx.set_alpn_protocols(["h2", "http/1.1"])

        async def main():
            _, writer = await asyncio.open_connection("127.0.0.1", self.port, ssl=ctx,
                                                      server_hostname="localhost")
            alpn = writer.get_extra_info("ssl_object").selected_alpn_protocol()
            writer.close()
            return alpn

        self.assertEqual(asyncio.run(main()), "http/1.1")  # what the server offers

    def test_check_hostname_off_still_verifies_the_chain(self):
        ctx = client_context()
        ctx.check_hostname = False
        with socket.create_connection(("127.0.0.1", self.port), timeout=PEER_TIMEOUT) as raw:
            with ctx.wrap_socket(raw, server_hostname="not-the-name.test") as s:
                self.assertEqual(s.getpeercert(), stdlib_peercert(self.port))

    def test_cert_none_reports_what_ssl_reports(self):
        ours = client_context()
        ours.check_hostname = False
        ours.verify_mode = tlsplug.ssl.CERT_NONE
        theirs = ssl.create_default_context()
        theirs.check_hostname = False
        theirs.verify_mode = ssl.CERT_NONE
        seen = []
        for ctx in (ours, theirs):
            with socket.create_connection(("127.0.0.1", self.port),
                                          timeout=PEER_TIMEOUT) as raw:
                with ctx.wrap_socket(raw) as s:
                    seen.append((s.getpeercert(), s.getpeercert(True)))
        self.assertEqual(seen[0], seen[1])


@support.need_pki
@unittest.skipUnless(NODE, "node is not installed")
class VerificationThroughStdlibTest(unittest.TestCase):
    def test_http_client_raises_ssl_cert_verification_error(self):
        with NodeHTTPSServer("self.pem", "self.key") as srv:
            node = node_run(NODE_VERIFY_JS, support.PKI, str(srv.port), "localhost", "ca.pem")
            oracle = stdlib_verify_error(srv.port, "localhost")
            conn = http.client.HTTPSConnection("127.0.0.1", srv.port, timeout=PEER_TIMEOUT,
                                               context=client_context())
            conn.host = "localhost"  # verify against the name, connect to 127.0.0.1
            try:
                with self.assertRaises(ssl.SSLCertVerificationError) as cm:
                    conn.request("GET", "/")
            finally:
                conn.close()
        err = cm.exception
        self.assertEqual(err.code, node["code"])
        self.assertEqual(err.verify_code, oracle.verify_code)
        self.assertIsInstance(err, tlsplug.TLSError)

    def test_protocol_failure_is_an_ssl_error(self):
        with NodeHTTPSServer(min_version="TLSv1.3") as srv:
            node = node_run(NODE_VERIFY_JS, support.PKI, str(srv.port), "localhost", "ca.pem",
                            "TLSv1.2")
            ctx = client_context()
            ctx.maximum_version = tlsplug.ssl.TLSVersion.TLSv1_2
            conn = http.client.HTTPSConnection("localhost", srv.port, context=ctx,
                                               timeout=PEER_TIMEOUT)
            try:
                with self.assertRaises(ssl.SSLError) as cm:
                    conn.request("GET", "/")
            finally:
                conn.close()
        self.assertNotIsInstance(cm.exception, ssl.SSLCertVerificationError)
        self.assertIsInstance(cm.exception, tlsplug.TLSSSLError)
        self.assertEqual(cm.exception.code, node["code"])

    def test_urlopen_wraps_it_in_url_error(self):
        with NodeHTTPSServer("wronghost-chain.pem", "wronghost.key") as srv:
            node = node_run(NODE_VERIFY_JS, support.PKI, str(srv.port), "localhost", "ca.pem")
            with self.assertRaises(urllib.error.URLError) as cm:
                urllib.request.urlopen(f"https://localhost:{srv.port}/",
                                       context=client_context(), timeout=PEER_TIMEOUT)
        reason = cm.exception.reason
        self.assertIsInstance(reason, ssl.SSLCertVerificationError)
        self.assertEqual(reason.code, node["code"])


@support.need_pki
@unittest.skipUnless(NODE, "node is not installed")
class FileOptionsTest(unittest.TestCase):
    """cafile/certfile/keyfile next to Node's PEM options, in tlsplug's own API."""

    def test_connect_with_cafile_and_serve_with_certfile(self):
        import tlsplug.asyncio as tlsaio

        async def main(port):
            reader, writer = await tlsaio.open_connection(
                "127.0.0.1", port, cafile=pki_path("ca.pem"), servername="localhost")
            writer.write(GET % b"/cafile")
            response = await asyncio.wait_for(reader.read(), PEER_TIMEOUT)
            writer.close()
            return response

        with NodeHTTPSServer() as srv:
            self.assertEqual(body_of(asyncio.run(main(srv.port)))["url"], "/cafile")

        server = tlsplug.create_server({"certfile": pki_path("server-chain.pem"),
                                        "keyfile": pki_path("server.key")}, lambda s: s.end(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"))
        server.listen(0, "127.0.0.1")
        self.addCleanup(support.close_server, self, server)
        port = server.address()["port"]
        out = []
        t = threading.Thread(target=lambda: out.append(
            node_run(HTTPS_REQUEST_JS, support.PKI, str(port), "/", "")))
        t.start()
        support.run_until(self, lambda: out, poll_ms=20, what="node's answer")
        t.join(PEER_TIMEOUT)
        self.assertEqual((out[0]["status"], out[0]["body"]), (200, "ok"))

    def test_missing_file(self):
        with self.assertRaises(FileNotFoundError):
            tlsplug.create_secure_context(cafile=os.path.join(support.PKI, "no-such.pem"))


class _JSONHandler(http.server.BaseHTTPRequestHandler):
    """Answers with what it saw: path, body and the TLS version."""

    protocol_version = "HTTP/1.1"

    def _answer(self, body: bytes) -> None:
        out = json.dumps({"path": self.path, "body": body.decode(),
                          "version": self.connection.version(),
                          "alpn": self.connection.selected_alpn_protocol()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def do_GET(self):
        self._answer(b"")

    def do_POST(self):
        self._answer(self.rfile.read(int(self.headers.get("Content-Length", 0))))

    def log_message(self, *args):
        pass


@support.need_pki
class ServersTest(unittest.TestCase):
    """The standard library's servers with a tlsplug.ssl context; Node,
    curl and Python's own ssl as clients."""

    def start_http_server(self, ctx=None):
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _JSONHandler)
        httpd.socket = (ctx or server_context()).wrap_socket(httpd.socket, server_side=True)
        thread = serve_in_thread(httpd)
        self.addCleanup(stop_server, httpd, thread)
        return httpd.server_address[1]

    @unittest.skipUnless(NODE, "node is not installed")
    def test_http_server_with_node_client(self):
        port = self.start_http_server()
        got = node_run(HTTPS_REQUEST_JS, support.PKI, str(port), "/from-node", "node body")
        self.assertEqual(got["status"], 200, got)
        seen = json.loads(got["body"])
        self.assertEqual((seen["path"], seen["body"]), ("/from-node", "node body"))
        self.assertEqual(seen["version"], got["protocol"])

    @unittest.skipUnless(CURL, "curl is not installed")
    def test_http_server_with_curl(self):
        ctx = server_context()
        ctx.set_alpn_protocols(["http/1.1"])
        port = self.start_http_server(ctx)
        r = curl(f"https://localhost:{port}/from-curl", "--http1.1", "-d", "curl body")
        self.assertEqual(r.returncode, 0, r.stderr)
        seen = json.loads(r.stdout)
        self.assertEqual((seen["path"], seen["body"], seen["alpn"]),
                         ("/from-curl", "curl body", "http/1.1"))

    def test_http_server_with_python_ssl_client(self):
        port = self.start_http_server()
        ctx = ssl.create_default_context(cafile=pki_path("ca.pem"))
        with urllib.request.urlopen(f"https://localhost:{port}/from-python", context=ctx,
                                    timeout=PEER_TIMEOUT) as r:
            seen = json.loads(r.read())
        self.assertEqual(seen["path"], "/from-python")

    def test_socketserver_with_python_ssl_client(self):
        class Upper(socketserver.StreamRequestHandler):
            def handle(self):
                for line in self.rfile:
                    self.wfile.write(line.upper())

        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Upper)
        server.daemon_threads = True
        server.socket = server_context().wrap_socket(server.socket, server_side=True)
        thread = serve_in_thread(server)
        self.addCleanup(stop_server, server, thread)
        ctx = ssl.create_default_context(cafile=pki_path("ca.pem"))
        with socket.create_connection(server.server_address, timeout=PEER_TIMEOUT) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                f = s.makefile("rwb")
                lines = []
                for text in (b"one\n", b"two\n", b"x" * 50000 + b"\n"):
                    f.write(text)
                    f.flush()
                    lines.append(f.readline())
                f.close()
        self.assertEqual(lines, [b"ONE\n", b"TWO\n", b"X" * 50000 + b"\n"])

    @unittest.skipUnless(NODE and CURL, "node or curl is not installed")
    def test_asyncio_start_server(self):
        seen = []

        async def handle(reader, writer):
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            body = await reader.readexactly(length)
            sslobj = writer.get_extra_info("ssl_object")
            seen.append(sslobj.version())
            out = json.dumps({"request": head.split(b"\r\n")[0].decode(),
                              "body": body.decode()}).encode()
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(out) + out)
            await writer.drain()
            writer.close()

        async def main():
            server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=server_context())
            port = server.sockets[0].getsockname()[1]
            async with server:
                node = await asyncio.create_subprocess_exec(
                    NODE, "-e", HTTPS_REQUEST_JS, support.PKI, str(port), "/n", "from node",
                    stdout=asyncio.subprocess.PIPE, env=peer_env())
                node_out, _ = await asyncio.wait_for(node.communicate(), PEER_TIMEOUT)
                cu = await asyncio.create_subprocess_exec(
                    CURL, "-sS", "--max-time", "15", "--cacert", pki_path("ca.pem"),
                    "-d", "from curl", f"https://localhost:{port}/c",
                    stdout=asyncio.subprocess.PIPE, env=peer_env())
                curl_out, _ = await asyncio.wait_for(cu.communicate(), PEER_TIMEOUT)
            return json.loads(node_out.decode().strip().splitlines()[-1]), curl_out

        node, curl_out = asyncio.run(main())
        self.assertEqual(node["status"], 200, node)
        self.assertEqual(json.loads(node["body"]),
                         {"request": "POST /n HTTP/1.1", "body": "from node"})
        self.assertEqual(json.loads(curl_out), {"request": "POST /c HTTP/1.1",
                                                "body": "from curl"})
        self.assertEqual(seen[0], node["protocol"])


if __name__ == "__main__":
    unittest.main()
