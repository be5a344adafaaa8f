"""Node's tls documentation examples, in Python, on tlsplug's loop: the echo
server with a client, requestCert, the newSession/resumeSession store, the
'session' event reused; plus timers, the server's API and the loop's
events ('connect', 'lookup', 'timeout', 'drain')."""
import os
import socket
import sys
import tempfile
import unittest

import support
from support import close_server, listening_server, pki, run_until
import tlsplug

SSL_OP_NO_TICKET = 0x4000


@support.need_pki
class NodeDocExamples(support.LoopTestCase):
    def test_echo_server_and_client(self):
        # const server = tls.createServer(options, (socket) => {
        #   console.log('server connected', socket.authorized ? ... );
        #   socket.write('welcome!\n'); socket.setEncoding('utf8'); socket.pipe(socket); });
        log = []

        def on_connection(sock):
            log.append(("server connected", sock.authorized))
            sock.write("welcome!\n")
            sock.on("data", sock.write)  # socket.pipe(socket)

        server, port = listening_server(self, listener=on_connection)
        got = bytearray()

        def on_secure():
            log.append(("client connected", client.authorized))
            log.append(("protocol", client.get_protocol()))
            client.write(b"hello\nworld\n")

        client = tlsplug.connect(port, "127.0.0.1", ca=pki("ca.pem"), servername="localhost",
                                 on_secure_connect=on_secure)

        def on_data(d):
            got.extend(d)
            if got == b"welcome!\nhello\nworld\n":
                client.end()

        client.on("data", on_data)
        client.on("end", lambda: log.append("server ends connection"))
        closed = []
        client.on("close", closed.append)
        run_until(self, lambda: closed)
        self.assertEqual(bytes(got), b"welcome!\nhello\nworld\n")
        self.assertEqual(closed, [False])
        self.assertIn(("server connected", False), log)
        self.assertIn(("client connected", True), log)
        self.assertIn("server ends connection", log)
        self.assertIn(("protocol", "TLSv1.3"), log)
        self.assertIsNone(client.get_protocol())  # closed: null, as Node
        self.assertGreater(client.bytes_read, 0)
        close_server(self, server)
        self.assertFalse(tlsplug.get_loop().alive)

    def test_request_cert_with_client_certificate(self):
        seen = {}

        def on_connection(sock):
            cert = sock.get_peer_certificate()
            seen["server"] = (sock.authorized, cert["subject"]["CN"])
            sock.end(b"hi")

        server, port = listening_server(
            self, {"request_cert": True, "reject_unauthorized": True, "ca": [pki("ca.pem")]},
            on_connection)
        errors = []
        server.on("tlsClientError", lambda err, sock: errors.append(err.code))
        client = tlsplug.connect(port, "127.0.0.1", ca=[pki("ca.pem")], servername="localhost",
                                 key=pki("client.key"), cert=pki("client-chain.pem"))
        got = bytearray()
        client.on("data", got.extend)
        closed = []
        client.on("close", closed.append)
        run_until(self, lambda: closed and "server" in seen)
        self.assertEqual(seen["server"], (True, "tlsplug client"))
        self.assertEqual(bytes(got), b"hi")
        # Without a certificate, the server refuses the client.
        bare = tlsplug.connect(port, "127.0.0.1", ca=pki("ca.pem"), servername="localhost")
        client_errors = []
        bare.on("error", lambda e: client_errors.append(e))
        bare.on("close", closed.append)
        run_until(self, lambda: len(closed) == 2 and errors)
        self.assertTrue(errors)
        self.assertTrue(all(isinstance(e, tlsplug.TLSError) and e.code for e in client_errors))
        close_server(self, server)

    def test_session_store_resumption_tls12(self):
        # const tlsSessionStore = {};
        # server.on('newSession', (id, data, cb) => { tlsSessionStore[id.toString('hex')] = data; cb(); });
        # server.on('resumeSession', (id, cb) => { cb(null, tlsSessionStore[id.toString('hex')] || null); });
        store = {}
        resumed = []
        server, port = listening_server(self, {"max_version": "TLSv1.2"},
                                        lambda sock: sock.end(b"x"))

        def new_session(sid, data, cb):
            store[sid.hex()] = data
            cb()

        def resume_session(sid, cb):
            resumed.append(sid.hex() in store)
            cb(None, store.get(sid.hex()))

        server.on("newSession", new_session)
        server.on("resumeSession", resume_session)

        def connect(session=None):
            sock = tlsplug.connect(port, "127.0.0.1", ca=pki("ca.pem"), servername="localhost",
                                   secure_options=SSL_OP_NO_TICKET, session=session)
            out = {}
            sock.on("session", lambda s: out.setdefault("session", s))
            sock.on("secureConnect", lambda: out.update(reused=sock.is_session_reused(),
                                                         proto=sock.get_protocol()))
            sock.on("data", lambda d: None)
            sock.on("close", lambda e: out.update(closed=e))
            run_until(self, lambda: "closed" in out)
            out.setdefault("session", sock.get_session())
            return out

        first = connect()
        self.assertEqual(first["proto"], "TLSv1.2")
        self.assertFalse(first["reused"])
        self.assertEqual(len(store), 1)
        second = connect(first["session"])
        self.assertTrue(second["reused"])
        # The first ClientHello carries a (compatibility) session id too,
        # which the store does not know: OpenSSL, and so Node, ask as well.
        self.assertEqual(resumed[-1], True)
        self.assertNotIn(True, resumed[:-1])
        close_server(self, server)

    def test_session_event_reused_in_second_connect(self):
        server, port = listening_server(self, listener=lambda sock: sock.end(b"x"))
        sessions = []

        def connect(session=None):
            sock = tlsplug.connect(port, "127.0.0.1", ca=pki("ca.pem"), servername="localhost",
                                   session=session)
            sock.on("session", sessions.append)  # socket.on('session', (s) => { saved = s; })
            sock.on("data", lambda d: None)
            done = []
            sock.on("close", done.append)
            run_until(self, lambda: done)
            return sock.is_session_reused()

        self.assertFalse(connect())
        self.assertTrue(sessions)
        self.assertTrue(connect(sessions[-1]))
        close_server(self, server)


@support.need_pki
class LoopFeatures(support.LoopTestCase):
    def test_timers(self):
        order = []
        tlsplug.set_timeout(order.append, 30, "b")
        tlsplug.set_timeout(order.append, 10, "a")
        t = tlsplug.set_timeout(order.append, 20, "never")
        tlsplug.clear_timeout(t)
        tlsplug.clear_timeout(t)  # again: ignored, as in Node
        ticks = []

        def tick():
            ticks.append(1)
            if len(ticks) == 3:
                tlsplug.clear_interval(iv)

        iv = tlsplug.set_interval(tick, 5)
        alive = tlsplug.run(timeout=5)
        self.assertFalse(alive)
        self.assertEqual(order, ["a", "b"])
        self.assertEqual(len(ticks), 3)

    def test_server_api(self):
        server, port = listening_server(self)
        self.assertEqual(server.address(), {"port": port, "family": "IPv4", "address": "127.0.0.1"})
        self.assertEqual(server.connections, 0)
        counts = []
        server.get_connections(lambda err, n: counts.append((err, n)))
        run_until(self, lambda: counts)
        self.assertEqual(counts, [(None, 0)])
        # EADDRINUSE as an 'error' event
        other = tlsplug.create_server({"key": pki("server.key"), "cert": pki("server-chain.pem")})
        errs = []
        other.on("error", errs.append)
        other.listen(port, "127.0.0.1")
        run_until(self, lambda: errs)
        self.assertEqual(errs[0].code, "EADDRINUSE")
        with self.assertRaises(tlsplug.TLSError) as cm:
            tlsplug.create_server({"key": pki("server.key"),
                                   "cert": pki("server-chain.pem")}).listen(port, "127.0.0.1")
        self.assertEqual(cm.exception.code, "EADDRINUSE")
        close_server(self, server)
        self.assertIsNone(server.address())
        late = []
        server.close(late.append)
        run_until(self, lambda: late)
        self.assertEqual(late[0].code, "ERR_SERVER_NOT_RUNNING")

    def test_max_connections(self):
        conns = []
        server, port = listening_server(self, listener=conns.append)
        server.max_connections = 1
        self.assertEqual(server.max_connections, 1)
        a = tlsplug.connect(port, "127.0.0.1", ca=pki("ca.pem"), servername="localhost")
        run_until(self, lambda: conns)
        self.assertEqual(server.connections, 1)
        b = tlsplug.connect(port, "127.0.0.1", ca=pki("ca.pem"), servername="localhost")
        berr = []
        b.on("error", berr.append)
        bclosed = []
        b.on("close", bclosed.append)
        run_until(self, lambda: bclosed)
        self.assertEqual(len(conns), 1)
        self.assertTrue(berr)
        a.end()
        aclosed = []
        a.on("close", aclosed.append)
        run_until(self, lambda: aclosed)
        close_server(self, server)

    def test_unix_path_and_adopted_socket(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "tls.sock")
            got = []
            server = tlsplug.create_server({"key": pki("server.key"),
                                            "cert": pki("server-chain.pem")},
                                           lambda s: s.end(b"over unix"))
            server.listen(path=path)
            run_until(self, lambda: server.listening)
            self.assertEqual(server.address(), path)
            c = tlsplug.connect(path=path, ca=pki("ca.pem"), servername="localhost")
            c.on("data", got.append)
            closed = []
            c.on("close", closed.append)
            run_until(self, lambda: closed)
            self.assertEqual(b"".join(got), b"over unix")
            close_server(self, server)
        # listen(fd=): a socket bound by Python, taken over
        bound = socket.socket()
        bound.bind(("127.0.0.1", 0))
        server = tlsplug.create_server({"key": pki("server.key"),
                                        "cert": pki("server-chain.pem")},
                                       lambda s: s.end(b"adopted"))
        server.listen(fd=bound)
        run_until(self, lambda: server.listening)
        self.assertEqual(bound.fileno(), -1)
        port = server.address()["port"]
        # socket=: a connected Python socket, taken over
        raw = socket.create_connection(("127.0.0.1", port), timeout=5)
        c = tlsplug.connect(socket=raw, ca=pki("ca.pem"), servername="localhost")
        self.assertEqual(raw.fileno(), -1)  # detached: the loop owns the fd
        got = []
        c.on("data", got.append)
        closed = []
        c.on("close", closed.append)
        run_until(self, lambda: closed)
        self.assertEqual(b"".join(got), b"adopted")
        close_server(self, server)

    def test_connect_lookup_and_refused(self):
        server, port = listening_server(self, listener=lambda s: s.end(b"ok"))
        events = []

        def lookup(hostname, options, cb):
            events.append(("lookup-fn", hostname))
            cb(None, "127.0.0.1", 4)

        c = tlsplug.connect(port, "tls.invalid", ca=pki("ca.pem"), servername="localhost",
                            lookup=lookup)
        c.on("lookup", lambda err, addr, fam, host: events.append(("lookup", err, addr, fam)))
        c.on("connect", lambda: events.append("connect"))
        c.on("secureConnect", lambda: events.append(
            ("secureConnect", c.remote_address, c.remote_family, c.remote_port)))
        c.on("data", lambda d: None)
        closed = []
        c.on("close", closed.append)
        run_until(self, lambda: closed)
        self.assertEqual(events[0], ("lookup-fn", "tls.invalid"))
        self.assertIn("connect", events)
        self.assertEqual(events[-1], ("secureConnect", "127.0.0.1", "IPv4", port))
        self.assertLess(events.index("connect"), len(events) - 1)
        self.assertIn(("lookup", None, "127.0.0.1", 4), events)
        close_server(self, server)
        # Nothing listens there any more: ECONNREFUSED, then close(True).
        r = tlsplug.connect(port, "127.0.0.1", ca=pki("ca.pem"))
        errs, closed = [], []
        r.on("error", errs.append)
        r.on("close", closed.append)
        run_until(self, lambda: closed)
        self.assertEqual(errs[0].code, "ECONNREFUSED")
        self.assertEqual(closed, [True])
        # A lookup that fails: ENOTFOUND
        n = tlsplug.connect(443, "nowhere.invalid", lookup=lambda h, o, cb: cb(OSError("no")))
        errs2, closed2 = [], []
        n.on("error", errs2.append)
        n.on("close", closed2.append)
        run_until(self, lambda: closed2)
        self.assertEqual(errs2[0].code, "ENOTFOUND")

    def test_timeout_option(self):
        server, port = listening_server(self)
        c = tlsplug.connect(port, "127.0.0.1", ca=pki("ca.pem"), servername="localhost",
                            timeout=50)
        timeouts = []
        c.on("timeout", lambda: (timeouts.append(1), c.end()))
        closed = []
        c.on("close", closed.append)
        run_until(self, lambda: closed)
        self.assertEqual(timeouts, [1])
        close_server(self, server)

    def test_backpressure_drain_and_pause(self):
        def on_conn(sock):
            def on_data(d):
                if not sock.write(d):
                    sock.pause()
            sock.on("data", on_data)
            sock.on("drain", sock.resume)

        server, port = listening_server(self, listener=on_conn)
        # Writes go straight to the kernel while it takes them (as Node's
        # do), so write() answers False only once the socket buffers on
        # both ends are full: send more than they hold.
        total = 32 * 1024 * 1024
        chunk = b"z" * 65536
        state = {"sent": 0, "got": 0, "false": 0, "drains": 0}
        c = tlsplug.connect(port, "127.0.0.1", ca=pki("ca.pem"), servername="localhost")

        def pump():
            while state["sent"] < total:
                state["sent"] += len(chunk)
                if not c.write(chunk):
                    state["false"] += 1
                    return

        def on_drain():
            state["drains"] += 1
            pump()

        def on_data(d):
            state["got"] += len(d)
            if state["got"] == total:
                c.end()

        c.on("secureConnect", pump)
        c.on("drain", on_drain)
        c.on("data", on_data)
        closed = []
        c.on("close", closed.append)
        run_until(self, lambda: closed, timeout=30)
        self.assertEqual(state["got"], total)
        self.assertGreater(state["false"], 0)
        self.assertEqual(state["drains"], state["false"])
        close_server(self, server)

    def test_alpn_and_sni_on_the_loop(self):
        ec = {"key": pki("server-ec.key"), "cert": pki("server-ec-chain.pem")}
        names = []

        def sni(servername, cb):
            names.append(servername)
            cb(None, tlsplug.create_secure_context(**ec) if servername == "server.test" else None)

        seen = []
        server, port = listening_server(
            self, {"alpn_protocols": ["h2", "http/1.1"], "sni_callback": sni},
            lambda s: (seen.append((s.alpn_protocol, s.servername)), s.end()))
        for servername in ("server.test", "localhost"):
            c = tlsplug.connect(port, "127.0.0.1", ca=pki("ca.pem"), servername=servername,
                                alpn_protocols=["x-other", "http/1.1"])
            info = []
            c.on("secureConnect", lambda: info.append(
                (c.alpn_protocol, c.get_peer_certificate()["pubkey"] is not None,
                 c.get_cipher()["name"])))
            closed = []
            c.on("close", closed.append)
            run_until(self, lambda: closed)
            self.assertEqual(info[0][0], "http/1.1")
        self.assertEqual(names, ["server.test", "localhost"])
        self.assertEqual(seen, [("http/1.1", "server.test"), ("http/1.1", "localhost")])
        close_server(self, server)

    def test_ticket_keys_keylog_and_ocsp_request(self):
        server, port = listening_server(self, listener=lambda s: s.end(b"k"))
        keys = server.get_ticket_keys()
        self.assertEqual(len(keys), 48)
        server.set_ticket_keys(bytes(range(48)))
        self.assertEqual(server.get_ticket_keys(), bytes(range(48)))
        with self.assertRaises(tlsplug.TLSError):
            server.set_ticket_keys(b"short")
        lines, ocsp = [], []
        server.on("keylog", lambda line, sock: lines.append((line, sock is not None)))

        def on_ocsp(cert, issuer, cb):
            ocsp.append((len(cert) > 0, len(issuer)))
            cb(None, None)  # no response to staple, as Node's cb(null, null)

        server.on("OCSPRequest", on_ocsp)
        c = tlsplug.connect(port, "127.0.0.1", ca=pki("ca.pem"), servername="localhost",
                            request_ocsp=True)
        c.on("data", lambda d: None)
        closed = []
        c.on("close", closed.append)
        run_until(self, lambda: closed)
        self.assertEqual(closed, [False])
        self.assertTrue(lines)
        self.assertTrue(all(line.endswith(b"\n") and ok for line, ok in lines))
        self.assertEqual(len(ocsp), 1)
        self.assertTrue(ocsp[0][0])
        close_server(self, server)

    def test_listener_exception_is_reported_and_loop_goes_on(self):
        reports = []
        old = sys.unraisablehook
        sys.unraisablehook = reports.append
        try:
            def bad(sock):
                sock.end(b"still served")
                raise RuntimeError("listener failed")

            server, port = listening_server(self, listener=bad)
            boom = tlsplug.set_timeout(lambda: 1 / 0, 1)
            self.assertTrue(boom)
            c = tlsplug.connect(port, "127.0.0.1", ca=pki("ca.pem"), servername="localhost")
            got = []
            c.on("data", got.append)
            closed = []
            c.on("close", closed.append)
            run_until(self, lambda: closed)
            self.assertEqual(b"".join(got), b"still served")
            close_server(self, server)
        finally:
            sys.unraisablehook = old
        kinds = sorted(type(r.exc_value).__name__ for r in reports)
        self.assertEqual(kinds, ["RuntimeError", "ZeroDivisionError"])


if __name__ == "__main__":
    unittest.main()
