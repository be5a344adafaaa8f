"""tlsplug.ssl's SSLObject and SSLSocket behave as ssl's: checked against
Python's own ssl (OpenSSL) on the other end, and against what ssl itself
does in the same situation (timeouts, ragged EOFs, non-blocking wants,
unwrap, client certificates, context settings)."""
import os
import select
import socket
import ssl
import tempfile
import threading
import unittest

import support
import tlsplug
import tlsplug.ssl
from ssl_peers import PEER_TIMEOUT, pki_path, stdlib_server_context

tssl = tlsplug.ssl


def client_context(module=tssl):
    return module.create_default_context(cafile=pki_path("ca.pem"))


def server_context(module=tssl):
    ctx = module.SSLContext(module.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki_path("server-chain.pem"), pki_path("server.key"))
    return ctx


class Peer:
    """A listening socket whose one connection `handler(conn)` serves on a
    thread (conn is the raw accepted socket); what it returns is `result`."""

    def __init__(self, handler) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen()
        self.listener.settimeout(PEER_TIMEOUT)
        self.port = self.listener.getsockname()[1]
        self.result = self.error = None
        self.thread = threading.Thread(target=self._run, args=(handler,), daemon=True)
        self.thread.start()

    def _run(self, handler) -> None:
        try:
            conn, _ = self.listener.accept()
            conn.settimeout(PEER_TIMEOUT)
            with conn:
                self.result = handler(conn)
        except BaseException as e:  # reported by join()
            self.error = e

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=PEER_TIMEOUT)

    def join(self):
        self.thread.join(PEER_TIMEOUT)
        self.listener.close()
        if self.thread.is_alive():
            raise AssertionError("the peer thread did not finish")
        if self.error is not None:
            raise self.error
        return self.result


def shuttle(a, b, rounds: int = 100) -> None:
    """Move bytes between two (SSLObject, incoming, outgoing) ends until both
    have nothing to send; bounded."""
    for _ in range(rounds):
        moved = False
        for src, dst in ((a, b), (b, a)):
            data = src[2].read()
            if data:
                dst[1].write(data)
                moved = True
        if not moved:
            return
    raise AssertionError("the ends never went quiet")


def step(end) -> bool:
    """One do_handshake call; True once done."""
    try:
        end[0].do_handshake()
        return True
    except ssl.SSLWantReadError:
        return False


@support.need_pki
class WrapBioTest(unittest.TestCase):
    """SSLObject over MemoryBIOs (what asyncio drives) against ssl's own."""

    def pair(self, client_module, server_module):
        ends = []
        for module, server_side in ((client_module, False), (server_module, True)):
            inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
            ctx = server_context(module) if server_side else client_context(module)
            obj = ctx.wrap_bio(inc, out, server_side=server_side,
                               server_hostname=None if server_side else "localhost")
            ends.append((obj, inc, out))
        return ends

    def exchange(self, client_module, server_module):
        c, s = self.pair(client_module, server_module)
        done = [False, False]
        for _ in range(20):
            done = [done[0] or step(c), done[1] or step(s)]
            shuttle(c, s)
            if all(done):
                break
        self.assertEqual(done, [True, True])
        self.assertEqual(c[0].version(), s[0].version())
        self.assertEqual(c[0].cipher()[0], s[0].cipher()[0])
        self.assertEqual(c[0].write(b"ping"), 4)
        shuttle(c, s)
        self.assertEqual(s[0].read(100), b"ping")
        with self.assertRaises(ssl.SSLWantReadError):
            s[0].read(100)
        s[0].write(b"pong" * 5000)
        shuttle(c, s)
        got = b""
        while len(got) < 20000:
            got += c[0].read(65536)
        self.assertEqual(got, b"pong" * 5000)
        buf = bytearray(3)
        s[0].write(b"abcdef")
        shuttle(c, s)
        self.assertEqual((c[0].read(3, buf), bytes(buf), c[0].pending()), (3, b"abc", 3))
        self.assertEqual(c[0].read(10), b"def")
        # close_notify both ways
        with self.assertRaises(ssl.SSLWantReadError):
            c[0].unwrap()
        shuttle(c, s)
        self.assertEqual(s[0].read(10), b"")  # the peer's close_notify: EOF
        s[0].unwrap()
        shuttle(c, s)
        c[0].unwrap()
        return c, s

    def test_tlsplug_client_with_ssl_server(self):
        c, _ = self.exchange(tssl, ssl)
        self.assertIsInstance(c[0], tssl.SSLObject)

    def test_ssl_client_with_tlsplug_server(self):
        _, s = self.exchange(ssl, tssl)
        self.assertIsInstance(s[0], tssl.SSLObject)

    def test_keylog_lines_match_the_peers(self):
        with tempfile.TemporaryDirectory() as d:
            files = [os.path.join(d, "tlsplug.log"), os.path.join(d, "openssl.log")]
            cctx, sctx = client_context(tssl), server_context(ssl)
            cctx.keylog_filename, sctx.keylog_filename = files
            self.assertEqual(cctx.keylog_filename, files[0])
            bios = [ssl.MemoryBIO() for _ in range(4)]
            c = (cctx.wrap_bio(bios[0], bios[1], server_hostname="localhost"),
                 bios[0], bios[1])
            s = (sctx.wrap_bio(bios[2], bios[3], server_side=True), bios[2], bios[3])
            for _ in range(20):
                if step(c) & step(s):
                    break
                shuttle(c, s)
            lines = []
            for path in files:
                with open(path) as f:
                    lines.append(sorted(line for line in f.read().splitlines()
                                        if line and not line.startswith("#")))
        self.assertEqual(lines[0], lines[1])  # the same secrets OpenSSL logs
        self.assertGreaterEqual(len(lines[0]), 4)

    def test_same_peercert_as_ssl(self):
        seen = []
        for module in (tssl, ssl):
            c, s = self.pair(module, ssl)
            for _ in range(20):
                if step(c) & step(s):
                    break
                shuttle(c, s)
            seen.append((c[0].getpeercert(), c[0].getpeercert(binary_form=True)))
        self.assertEqual(seen[0], seen[1])

    def test_a_dropped_object_frees_its_socket_without_the_collector(self):
        import gc
        import tlsplug.tlssocket
        gc.disable()
        try:
            before = len(tlsplug.tlssocket._SOCKETS)
            for _ in range(20):
                c, s = self.pair(tssl, tssl)
                step(c)
                shuttle(c, s)
                del c, s
            self.assertEqual(len(tlsplug.tlssocket._SOCKETS), before)
        finally:
            gc.enable()

    def test_objects_come_only_from_a_context(self):
        with self.assertRaises(TypeError):
            tssl.SSLObject()


@support.need_pki
class SSLSocketTest(unittest.TestCase):
    def both(self, handler, client):
        """handler with a stdlib ssl server; client(module) run for tlsplug
        then ssl: the two answers, to compare."""
        out = []
        for module in (tssl, ssl):
            peer = Peer(handler)
            try:
                out.append(client(module, peer))
            finally:
                peer.join()
        return out

    def test_read_timeout_as_ssl(self):
        ctx = stdlib_server_context()
        release = threading.Event()

        def silent(conn):
            with ctx.wrap_socket(conn, server_side=True):
                release.wait(PEER_TIMEOUT)

        def client(module, peer):
            release.clear()
            with client_context(module).wrap_socket(peer.connect(),
                                                    server_hostname="localhost") as s:
                s.settimeout(0.2)
                try:
                    s.recv(10)
                except TimeoutError as e:
                    return type(e), str(e)
                finally:
                    release.set()

        ours, theirs = self.both(silent, client)
        self.assertEqual(ours, theirs)
        self.assertTrue(theirs[1])

    def test_ragged_eof_as_ssl(self):
        ctx = stdlib_server_context()

        def hang_up(conn):
            s = ctx.wrap_socket(conn, server_side=True)
            s.sendall(b"last words")
            socket.socket(fileno=s.detach()).close()  # TCP FIN, no close_notify
            s.close()

        def client(module, suppress):
            def run(mod, peer):
                with client_context(mod).wrap_socket(
                        peer.connect(), server_hostname="localhost",
                        suppress_ragged_eofs=suppress) as s:
                    got = b""
                    while len(got) < 10:
                        got += s.recv(100)
                    try:
                        return got, s.recv(100)
                    except ssl.SSLError as e:
                        return got, isinstance(e, ssl.SSLEOFError) or repr(e)
            return run

        for suppress in (True, False):
            ours, theirs = self.both(hang_up, client(None, suppress))
            self.assertEqual(ours, theirs, f"suppress_ragged_eofs={suppress}")

    def test_nonblocking_handshake_and_reads(self):
        ctx = stdlib_server_context()

        go = threading.Event()

        def echo(conn):
            go.wait(PEER_TIMEOUT)  # no answer until the client met a want
            with ctx.wrap_socket(conn, server_side=True) as s:
                s.sendall(s.recv(100))

        peer = Peer(echo)
        raw = peer.connect()
        raw.setblocking(False)
        s = client_context().wrap_socket(raw, server_hostname="localhost",
                                         do_handshake_on_connect=False)
        with self.assertRaises(ssl.SSLWantReadError):
            s.do_handshake()
        go.set()
        wants = set()
        for _ in range(200):
            try:
                s.do_handshake()
                break
            except ssl.SSLWantReadError:
                wants.add("read")
                self.assertTrue(select.select([s], [], [], PEER_TIMEOUT)[0])
            except ssl.SSLWantWriteError:
                wants.add("write")
                select.select([], [s], [], PEER_TIMEOUT)
        self.assertEqual(s.version(), "TLSv1.3")
        self.assertEqual(s.send(b"hello"), 5)
        got = b""
        for _ in range(200):
            try:
                got += s.recv(100)
                if got == b"hello":
                    break
            except ssl.SSLWantReadError:
                self.assertTrue(select.select([s], [], [], PEER_TIMEOUT)[0])
        self.assertEqual(got, b"hello")
        s.close()
        peer.join()

    def test_nonblocking_writes_are_never_repeated_or_lost(self):
        ctx = stdlib_server_context()
        go = threading.Event()

        def sink(conn):
            with ctx.wrap_socket(conn, server_side=True) as s:
                go.wait(PEER_TIMEOUT)  # read nothing until the client is held back
                got = bytearray()
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        return bytes(got)
                    got += chunk

        peer = Peer(sink)
        s = client_context().wrap_socket(peer.connect(), server_hostname="localhost")
        s.setblocking(False)
        sent = bytearray()
        chunk = bytes(range(256)) * 64
        want_write = False
        for i in range(2000):  # bounded: TCP buffers fill long before
            try:
                s.send(chunk[i % 7:])
                sent += chunk[i % 7:]
            except ssl.SSLWantWriteError:
                want_write = True
                break
        self.assertTrue(want_write, "the peer never held the client back")
        go.set()
        s.settimeout(PEER_TIMEOUT)
        s.unwrap()  # blocking again: flushes what waited, then close_notify
        s.close()
        self.assertEqual(peer.join(), bytes(sent))

    def test_unwrap_returns_to_plaintext(self):
        ctx = stdlib_server_context()

        def server(conn):
            s = ctx.wrap_socket(conn, server_side=True)
            line = s.recv(100)
            with s.unwrap() as plain:  # answers our close_notify, then at once:
                plain.sendall(b"server in clear")
                return line, plain.recv(100)

        for _ in range(5):  # the clear text often arrives with the close_notify
            peer = Peer(server)
            s = client_context().wrap_socket(peer.connect(), server_hostname="localhost")
            s.sendall(b"secret")
            with s.unwrap() as plain:
                self.assertIsNone(plain.version())  # as ssl: the same socket, in clear
                got = b""
                while len(got) < 15:
                    got += plain.recv(100)
                plain.sendall(b"in clear")
            self.assertEqual(got, b"server in clear")
            self.assertEqual(peer.join(), (b"secret", b"in clear"))

    def test_client_certificate_on_a_tlsplug_server(self):
        def serve(module):
            ctx = server_context(module)
            ctx.verify_mode = module.CERT_REQUIRED
            ctx.load_verify_locations(cafile=pki_path("ca.pem"))

            def handler(conn):
                with ctx.wrap_socket(conn, server_side=True) as s:
                    return s.getpeercert()
            return handler

        seen = []
        for module in (tssl, ssl):
            peer = Peer(serve(module))
            cctx = client_context(ssl)
            cctx.load_cert_chain(pki_path("client-chain.pem"), pki_path("client.key"))
            with cctx.wrap_socket(peer.connect(), server_hostname="localhost") as s:
                s.sendall(b"x")
            seen.append(peer.join())
        self.assertEqual(seen[0], seen[1])
        self.assertEqual(seen[0]["subject"], ((("commonName", "tlsplug client"),),))

    def test_missing_client_certificate_is_refused(self):
        ctx = server_context()
        ctx.verify_mode = tssl.CERT_REQUIRED
        ctx.load_verify_locations(cafile=pki_path("ca.pem"))

        def handler(conn):
            try:
                ctx.wrap_socket(conn, server_side=True).close()
            except ssl.SSLError as e:
                return e
        peer = Peer(handler)
        try:
            with client_context(ssl).wrap_socket(peer.connect(),
                                                 server_hostname="localhost") as s:
                s.recv(10)  # TLS 1.3: the refusal arrives after the client's Finished
        except (ssl.SSLError, ConnectionError):
            pass
        err = peer.join()
        self.assertIsInstance(err, ssl.SSLError)
        self.assertIsInstance(err, tlsplug.TLSError)
        self.assertTrue(err.code)

    def test_makefile_and_sendfile(self):
        ctx = stdlib_server_context()

        def server(conn):
            with ctx.wrap_socket(conn, server_side=True) as s:
                f = s.makefile("rb")
                got = f.readline(), f.read(100000)
                s.sendall(b"done")
                return got

        peer = Peer(server)
        with tempfile.TemporaryFile() as tmp:
            tmp.write(b"F" * 100000)
            tmp.seek(0)
            with client_context().wrap_socket(peer.connect(), server_hostname="localhost") as s:
                w = s.makefile("wb")
                w.write(b"first line\n")
                w.flush()
                self.assertEqual(s.sendfile(tmp), 100000)
                w.close()
                self.assertEqual(s.recv(10), b"done")
        self.assertEqual(peer.join(), (b"first line\n", b"F" * 100000))

    def test_session_resumption(self):
        for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            ctx = stdlib_server_context()
            ctx.maximum_version = version

            def server(conn):
                with ctx.wrap_socket(conn, server_side=True) as s:
                    s.sendall(b"hi")
                    s.recv(10)
                    return s.session_reused

            cctx = client_context()
            session, seen = None, []
            for _ in range(2):
                peer = Peer(server)
                with cctx.wrap_socket(peer.connect(), server_hostname="localhost",
                                      session=session) as s:
                    self.assertEqual(s.recv(10), b"hi")  # TLS 1.3: the tickets came first
                    seen.append(s.session_reused)
                    session = s.session
                    s.sendall(b"bye")
                self.assertIsNotNone(session)
                seen.append(peer.join())
            # ours, then the server's (Python's ssl) view, for each connection
            self.assertEqual(seen, [False, False, True, True], version)

    def test_connect_after_wrap(self):
        ctx = stdlib_server_context()

        def server(conn):
            with ctx.wrap_socket(conn, server_side=True) as s:
                s.sendall(s.version().encode())

        peer = Peer(server)
        with client_context().wrap_socket(socket.socket(), server_hostname="localhost") as s:
            s.settimeout(PEER_TIMEOUT)
            s.connect(("127.0.0.1", peer.port))
            self.assertEqual(s.recv(100), s.version().encode())
        peer.join()


@support.need_pki
class ContextTest(unittest.TestCase):
    def test_versions_bound_the_handshake(self):
        ctx = stdlib_server_context()

        def server(conn):
            with ctx.wrap_socket(conn, server_side=True) as s:
                return s.version()

        cctx = client_context()
        cctx.maximum_version = tssl.TLSVersion.TLSv1_2
        peer = Peer(server)
        with cctx.wrap_socket(peer.connect(), server_hostname="localhost") as s:
            mine = s.version()
        self.assertEqual((mine, peer.join()), ("TLSv1.2", "TLSv1.2"))

    def test_encrypted_key_with_callable_password(self):
        ctx = tssl.SSLContext(tssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(pki_path("server-chain.pem"), pki_path("server-enc.key"),
                            password=lambda: b"secret")
        for module in (tssl, ssl):
            other = module.SSLContext(module.PROTOCOL_TLS_SERVER)
            with self.assertRaises(ssl.SSLError):
                other.load_cert_chain(pki_path("server-chain.pem"), pki_path("server-enc.key"),
                                      password="wrong")

    def test_cadata_and_capath(self):
        pem = support.pki("ca.pem").decode()
        der = ssl.PEM_cert_to_DER_cert(pem)
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "root.pem"), "w") as f:
                f.write(pem)
            for kw in ({"cadata": pem}, {"cadata": der}, {"capath": d}):
                ctx = tssl.SSLContext(tssl.PROTOCOL_TLS_CLIENT)
                ctx.load_verify_locations(**kw)

                def server(conn):
                    with stdlib_server_context().wrap_socket(conn, server_side=True) as s:
                        s.sendall(b"ok")
                peer = Peer(server)
                with ctx.wrap_socket(peer.connect(), server_hostname="localhost") as s:
                    self.assertEqual(s.recv(10), b"ok", kw.keys())
                peer.join()
        with self.assertRaises(ssl.SSLError):
            tssl.SSLContext(tssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cadata="no pem")

    def test_default_context_trusts_the_system_store(self):
        def server(conn):
            try:
                with stdlib_server_context().wrap_socket(conn, server_side=True) as s:
                    s.sendall(b"ok")
            except (ssl.SSLError, OSError):
                pass  # the client refused us

        codes = []
        for module in (tssl, ssl):
            peer = Peer(server)
            with self.assertRaises(ssl.SSLCertVerificationError) as cm:
                module.create_default_context().wrap_socket(peer.connect(),
                                                            server_hostname="localhost")
            codes.append(cm.exception.verify_code)
            peer.join()
        self.assertEqual(codes[0], codes[1])  # the test root is in no system store
        # the system store and the test root together
        ctx = tssl.create_default_context()
        ctx.load_verify_locations(cafile=pki_path("ca.pem"))
        peer = Peer(server)
        with ctx.wrap_socket(peer.connect(), server_hostname="localhost") as s:
            self.assertEqual(s.recv(10), b"ok")
        peer.join()

    def test_settings_as_ssl(self):
        for module in (tssl, ssl):
            ctx = module.SSLContext(module.PROTOCOL_TLS_CLIENT)
            self.assertTrue(ctx.check_hostname)
            self.assertEqual(ctx.verify_mode, ssl.CERT_REQUIRED)
            with self.assertRaises(ValueError):
                ctx.verify_mode = ssl.CERT_NONE
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            ctx.check_hostname = True
            self.assertEqual(ctx.verify_mode, ssl.CERT_REQUIRED)
            with socket.socket() as raw, self.assertRaises(ValueError):
                ctx.wrap_socket(raw)  # check_hostname needs a server_hostname
        self.assertIsInstance(tssl.SSLContext(tssl.PROTOCOL_TLS_SERVER), ssl.SSLContext)
        with self.assertRaises(NotImplementedError):
            tssl.SSLContext(tssl.PROTOCOL_TLS_SERVER).sni_callback = lambda *a: None

    def test_bad_cipher_string(self):
        for module in (tssl, ssl):
            with self.assertRaises(ssl.SSLError):
                module.SSLContext(module.PROTOCOL_TLS_CLIENT).set_ciphers("NO-SUCH-CIPHER")


if __name__ == "__main__":
    unittest.main()
