"""In-memory pairs of Python TLSSockets: handshake, echo, end, errors with
Node's codes, sessions, ALPN, the custom identity check, keylog."""
import unittest

import support
from support import client_context, pair, pki, server_context, shuttle
import tlsplug


def record(sock, events, tag):
    for name in ("secureConnect", "secure", "end", "close", "session", "keylog"):
        sock.on(name, lambda *a, n=name: events.append((tag, n)))


@support.need_pki
class Handshake(unittest.TestCase):
    def test_handshake_echo_end(self):
        c, s = pair()
        events, got = [], []
        record(c, events, "c")
        record(s, events, "s")
        s.on("data", lambda d: (got.append(("s", d)), s.write(d.upper())))
        c.on("data", lambda d: got.append(("c", d)))
        c.write(b"hello")  # buffered until the handshake completes
        shuttle(c, s)
        self.assertIn(("c", "secureConnect"), events)
        self.assertIn(("s", "secure"), events)
        self.assertEqual(got, [("s", b"hello"), ("c", b"HELLO")])
        self.assertTrue(c.authorized)
        self.assertIsNone(c.authorization_error)
        self.assertTrue(c.encrypted)
        self.assertEqual(c.get_protocol(), "TLSv1.3")
        self.assertEqual(set(c.get_cipher()), {"name", "standardName", "version"})
        self.assertEqual(c.get_cipher()["version"], "TLSv1.3")
        self.assertEqual(s.servername, "localhost")
        self.assertEqual(c.get_finished(), s.get_peer_finished())
        self.assertEqual(c.get_peer_finished(), s.get_finished())
        self.assertEqual(c.get_ephemeral_key_info()["type"], "ECDH")
        self.assertIsNone(s.get_ephemeral_key_info())
        self.assertGreater(c.bytes_read, 0)
        self.assertGreater(c.bytes_written, 0)
        c.end()
        shuttle(c, s)
        self.assertEqual(events[-4:], [("s", "end"), ("s", "close"), ("c", "end"), ("c", "close")])
        self.assertFalse(c.had_error)
        c.close()
        s.close()

    def test_peer_certificate_object(self):
        c, s = pair()
        self.assertIsNone(c.get_peer_certificate())  # before the handshake
        shuttle(c, s)
        leaf = c.get_peer_certificate()
        self.assertEqual(leaf["subject"]["CN"], "localhost")
        self.assertIsInstance(leaf["raw"], bytes)
        self.assertIsInstance(leaf["pubkey"], bytes)
        self.assertNotIn("issuerCertificate", leaf)
        chain = c.get_peer_certificate(detailed=True)
        names, node = [], chain
        for _ in range(5):
            names.append(node["subject"]["CN"])
            if node["issuerCertificate"] is node:  # "[Circular]" restored
                break
            node = node["issuerCertificate"]
        self.assertEqual(names, ["localhost", "tlsplug Test Intermediate", "tlsplug Test Root"])
        self.assertEqual(s.get_certificate()["raw"], leaf["raw"])
        self.assertEqual(s.get_peer_certificate(), {})  # no client certificate
        self.assertIsNone(tlsplug.check_server_identity("localhost", leaf))
        err = tlsplug.check_server_identity("example.com", leaf)
        self.assertIsInstance(err, tlsplug.TLSError)
        self.assertEqual(err.code, "ERR_TLS_CERT_ALTNAME_INVALID")
        self.assertIn("example.com", err.reason)
        self.assertEqual(err.host, "example.com")
        self.assertIs(err.cert, leaf)

    def test_client_certificate(self):
        sctx = server_context(ca=pki("ca.pem"))
        cctx = client_context(key=pki("client.key"), cert=pki("client-chain.pem"))
        c, s = pair(server_opts={"request_cert": True}, cctx=cctx, sctx=sctx)
        shuttle(c, s)
        self.assertTrue(s.authorized)
        self.assertIn("subject", s.get_peer_certificate())

    def test_alpn(self):
        c, s = pair(client_opts={"alpn_protocols": ["h2", b"http/1.1"]},
                    server_opts={"alpn_protocols": ["http/1.1"]})
        shuttle(c, s)
        self.assertEqual(c.alpn_protocol, "http/1.1")
        self.assertEqual(s.alpn_protocol, "http/1.1")
        self.assertEqual(tlsplug.alpn_wire(["h2", "http/1.1"]), b"\x02h2\x08http/1.1")

    def test_alpn_without_overlap_fails_both(self):
        c, s = pair(client_opts={"alpn_protocols": ["x"]}, server_opts={"alpn_protocols": ["h2"]})
        errs = []
        c.on("error", lambda e: errs.append(("c", e.code)))
        s.on("error", lambda e: errs.append(("s", e.code)))
        shuttle(c, s)
        self.assertIn(("s", "ERR_SSL_NO_APPLICATION_PROTOCOL"), errs)
        self.assertTrue(c.closed and s.closed)

    def test_keylog(self):
        c, s = pair()
        lines = []
        c.on("keylog", lines.append)
        shuttle(c, s)
        self.assertTrue(lines)
        self.assertTrue(all(isinstance(x, bytes) and x.endswith(b"\n") for x in lines))


@support.need_pki
class Errors(unittest.TestCase):
    def failing(self, sctx, **client_opts):
        c, s = pair(client_opts=client_opts, sctx=sctx)
        errs, closes = [], []
        c.on("error", errs.append)
        c.on("close", closes.append)
        s.on("error", lambda e: None)
        shuttle(c, s)
        return c, errs, closes

    def test_wrong_host(self):
        sctx = tlsplug.create_secure_context(key=pki("wronghost.key"), cert=pki("wronghost-chain.pem"))
        c, errs, closes = self.failing(sctx)
        self.assertEqual([e.code for e in errs], ["ERR_TLS_CERT_ALTNAME_INVALID"])
        self.assertEqual(errs[0].status, tlsplug._abi.E_VERIFY)
        self.assertIn("altnames", errs[0].message)
        self.assertEqual(closes, [True])

    def test_untrusted_chain(self):
        sctx = tlsplug.create_secure_context(key=pki("untrusted.key"), cert=pki("untrusted-chain.pem"))
        c, errs, _ = self.failing(sctx)
        self.assertEqual([e.code for e in errs], ["SELF_SIGNED_CERT_IN_CHAIN"])

    def test_reject_unauthorized_false(self):
        sctx = tlsplug.create_secure_context(key=pki("self.key"), cert=pki("self.pem"))
        c, errs, _ = self.failing(sctx, reject_unauthorized=False)
        self.assertEqual(errs, [])
        self.assertTrue(c.secure)
        self.assertFalse(c.authorized)
        self.assertEqual(c.authorization_error, "DEPTH_ZERO_SELF_SIGNED_CERT")

    def test_unhandled_error_raises_from_the_pump(self):
        sctx = tlsplug.create_secure_context(key=pki("wronghost.key"), cert=pki("wronghost-chain.pem"))
        c, s = pair(sctx=sctx)
        s.on("error", lambda e: None)
        with self.assertRaises(tlsplug.TLSError) as cm:
            shuttle(c, s)
        self.assertEqual(cm.exception.code, "ERR_TLS_CERT_ALTNAME_INVALID")

    def test_garbage_on_the_wire(self):
        s = tlsplug.TLSSocket(is_server=True, secure_context=server_context())
        errs = []
        s.on("error", errs.append)
        s.feed(b"GET / HTTP/1.1\r\n\r\n")
        self.assertEqual(len(errs), 1)
        self.assertTrue(errs[0].code)
        self.assertTrue(s.closed)

    def test_transport_end_without_close_notify(self):
        # Before the handshake completes: ECONNRESET; after it, Node's
        # 'end' and a clean 'close'.
        c, s = pair()
        errs = []
        c.on("error", errs.append)
        c.feed_eof()
        self.assertEqual([e.code for e in errs], ["ECONNRESET"])
        c, s = pair()
        shuttle(c, s)
        errs, ends, closes = [], [], []
        c.on("error", errs.append)
        c.on("end", lambda: ends.append(1))
        c.on("close", closes.append)
        c.feed_eof()
        self.assertEqual((errs, ends, closes), ([], [1], [False]))

    def test_destroy_with_error(self):
        c, s = pair()
        shuttle(c, s)
        seen, closes = [], []
        c.on("error", seen.append)
        c.on("close", closes.append)
        boom = tlsplug.TLSError("boom", "ERR_BOOM")
        c.destroy(boom)
        self.assertEqual(seen, [boom])
        self.assertEqual(closes, [True])

    def test_context_errors_carry_node_codes(self):
        with self.assertRaises(tlsplug.TLSError) as cm:
            tlsplug.create_secure_context(min_version="TLSv9")
        self.assertEqual(cm.exception.code, "ERR_TLS_INVALID_PROTOCOL_VERSION")
        self.assertEqual(cm.exception.status, tlsplug._abi.E_INVAL)
        with self.assertRaises(tlsplug.TLSError) as cm:
            tlsplug.create_secure_context(key=b"not a key")
        self.assertEqual(cm.exception.status, tlsplug._abi.E_CREDENTIALS)
        with self.assertRaises(tlsplug.TLSError) as cm:
            tlsplug.create_secure_context(ciphers="NOTHING-MATCHES")
        self.assertEqual(cm.exception.code, "ERR_SSL_NO_CIPHER_MATCH")

    def test_context_options(self):
        ctx = tlsplug.create_secure_context(
            key=[pki("server.key")], cert=[pki("server-chain.pem")], ca=pki("ca.pem"),
            ciphers="ECDHE+AESGCM", honor_cipher_order=True, ecdh_curve="P-256:X25519",
            min_version="TLSv1.2", max_version="TLSv1.2", session_id_context="py")
        c, s = pair(sctx=ctx)
        shuttle(c, s)
        self.assertEqual(c.get_protocol(), "TLSv1.2")
        self.assertIn("ECDHE", c.get_cipher()["name"])
        self.assertEqual(c.get_ephemeral_key_info()["name"], "prime256v1")


@support.need_pki
class Sessions(unittest.TestCase):
    def test_session_resumed(self):
        sctx = server_context()
        c, s = pair(sctx=sctx)
        sessions = []
        c.on("session", sessions.append)
        shuttle(c, s)
        self.assertTrue(sessions)
        self.assertFalse(c.is_session_reused())
        self.assertIsNotNone(c.get_tls_ticket())
        c2, s2 = pair(client_opts={"session": sessions[-1]}, sctx=sctx)
        shuttle(c2, s2)
        self.assertTrue(c2.is_session_reused())
        self.assertTrue(s2.is_session_reused())
        c3, s3 = pair(client_opts={"session": c.get_session()}, sctx=sctx)
        shuttle(c3, s3)
        self.assertTrue(c3.is_session_reused())

    def test_session_key_shared_between_contexts(self):
        """session_key (a tlsplug extension): contexts given one key resume
        each other's sessions, as processes given one key do; a context
        with another key, or none, makes a full handshake, not an error."""
        sctx = server_context()
        key = bytes(range(32))
        c, s = pair(cctx=client_context(session_key=key), sctx=sctx)
        sessions = []
        c.on("session", sessions.append)
        shuttle(c, s)
        self.assertTrue(sessions)
        for session_key, reused in ((key, True), (bytes(32), False), (None, False)):
            opts = {} if session_key is None else {"session_key": session_key}
            c2, s2 = pair(client_opts={"session": sessions[-1]},
                          cctx=client_context(**opts), sctx=sctx)
            shuttle(c2, s2)
            self.assertTrue(c2.authorized)
            self.assertEqual(c2.is_session_reused(), reused, session_key)
        with self.assertRaises(tlsplug.TLSError) as e:
            client_context(session_key=b"short")
        self.assertEqual(e.exception.code, "ERR_INVALID_ARG_VALUE")


@support.need_pki
class Identity(unittest.TestCase):
    def test_custom_check_accepts_and_refuses(self):
        calls = []

        def accept(host, cert):
            calls.append((host, cert["subject"]["CN"]))
            return None

        c, s = pair(client_opts={"check_server_identity": accept})
        shuttle(c, s)
        self.assertEqual(calls, [("localhost", "localhost")])
        self.assertTrue(c.authorized)

        def refuse(host, cert):
            return tlsplug.TLSError("not this one", "ERR_MY_CHECK")

        c, s = pair(client_opts={"check_server_identity": refuse})
        errs = []
        c.on("error", errs.append)
        s.on("error", lambda e: None)
        shuttle(c, s)
        self.assertEqual([e.code for e in errs], ["ERR_MY_CHECK"])


class Module(unittest.TestCase):
    def test_constants(self):
        self.assertEqual(tlsplug.DEFAULT_MIN_VERSION, "TLSv1.2")
        self.assertEqual(tlsplug.DEFAULT_MAX_VERSION, "TLSv1.3")
        self.assertEqual(tlsplug.DEFAULT_ECDH_CURVE, "auto")
        self.assertEqual(tlsplug.CLIENT_RENEG_LIMIT, 3)
        self.assertEqual(tlsplug.CLIENT_RENEG_WINDOW, 600)
        self.assertIn("TLS_AES_128_GCM_SHA256", tlsplug.DEFAULT_CIPHERS)

    def test_get_ciphers(self):
        ciphers = tlsplug.get_ciphers()
        self.assertEqual(ciphers, sorted(ciphers))
        self.assertIn("tls_aes_128_gcm_sha256", ciphers)
        self.assertIn("ecdhe-rsa-aes128-gcm-sha256", ciphers)

    def test_a_host_keeps_its_own_attributes_on_a_socket(self):
        # As on a Node socket: the host's fields live beside the socket's own.
        c, s = pair()
        c.request_id, s.peer_name = 7, "client"
        shuttle(c, s)
        self.assertTrue(c.secure and s.secure)
        self.assertEqual((c.request_id, s.peer_name), (7, "client"))
        self.assertEqual(vars(c), {"request_id": 7})
        c.close()
        s.close()

    def test_event_emitter(self):
        e = tlsplug.EventEmitter()
        seen = []
        fn = seen.append
        e.on("x", fn)
        e.once("x", lambda v: seen.append(("once", v)))
        self.assertTrue(e.emit("x", 1))
        e.emit("x", 2)
        e.off("x", fn)
        self.assertFalse(e.emit("x", 3))
        self.assertEqual(seen, [1, ("once", 1), 2])
        with self.assertRaises(ValueError):
            e.emit("error", ValueError("unhandled"))


@support.need_pki
class SecurePairs(unittest.TestCase):
    def test_secure_pair(self):
        sp = tlsplug.create_secure_pair(server_context(), is_server=True)
        cp = tlsplug.create_secure_pair(client_context(), is_server=False)
        secure, got = [], []
        sp.on("secure", lambda: secure.append("s"))
        cp.on("secure", lambda: secure.append("c"))
        sp.cleartext.on("data", got.append)
        cp.cleartext.write(b"through the pair")
        for _ in range(20):
            a, b = cp.encrypted.read(), sp.encrypted.read()
            if not a and not b:
                break
            if a:
                sp.encrypted.write(a)
            if b:
                cp.encrypted.write(b)
        self.assertEqual(sorted(secure), ["c", "s"])
        self.assertEqual(got, [b"through the pair"])


if __name__ == "__main__":
    unittest.main()
