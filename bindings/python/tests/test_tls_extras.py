"""The rest of Node 20's tls surface, in memory pairs: exportKeyingMaterial,
the server's ALPNCallback, PSK, the X509Certificate objects, sigalgs,
rootCertificates, enableTrace and the IP-servername deprecation."""
import unittest

import support
from support import pair, shuttle
import tlsplug


@support.need_pki
class ExportKeyingMaterial(unittest.TestCase):
    def handshaken(self, version):
        c, s = pair(cctx=support.client_context(max_version=version),
                    sctx=support.server_context(max_version=version))
        shuttle(c, s)
        self.assertEqual(c.get_protocol(), version)
        return c, s

    def test_equal_on_both_ends(self):
        for version in ("TLSv1.2", "TLSv1.3"):
            with self.subTest(version=version):
                c, s = self.handshaken(version)
                a = c.export_keying_material(128, "EXPORTER-test")
                self.assertEqual(len(a), 128)
                self.assertEqual(a, s.export_keying_material(128, "EXPORTER-test"))
                with_ctx = c.export_keying_material(128, "EXPORTER-test", b"\0\1\2\3")
                self.assertEqual(with_ctx, s.export_keying_material(128, "EXPORTER-test",
                                                                    bytearray(b"\0\1\2\3")))
                self.assertNotEqual(a, with_ctx)
                empty = c.export_keying_material(128, "EXPORTER-test", b"")
                self.assertEqual(empty, s.export_keying_material(128, "EXPORTER-test", b""))
                # TLS 1.2 frames an empty context, TLS 1.3 cannot tell it from none.
                self.assertEqual(empty == a, version == "TLSv1.3")
                self.assertNotEqual(a, c.export_keying_material(128, "EXPORTER-other"))
                c.close(), s.close()

    def test_argument_errors(self):
        c, s = self.handshaken("TLSv1.3")
        for args, kind, code in (((128, "l", "text"), TypeError, "ERR_INVALID_ARG_TYPE"),
                                 ((128, "l", 1234), TypeError, "ERR_INVALID_ARG_TYPE"),
                                 ((10, None), TypeError, "ERR_INVALID_ARG_TYPE"),
                                 (("length", 1234), TypeError, "ERR_INVALID_ARG_TYPE"),
                                 ((-3, "a"), ValueError, "ERR_OUT_OF_RANGE"),
                                 ((0, "a"), ValueError, "ERR_OUT_OF_RANGE"),
                                 ((1.5, "a"), ValueError, "ERR_OUT_OF_RANGE")):
            with self.subTest(args=args):
                with self.assertRaises(kind) as cm:
                    c.export_keying_material(*args)
                self.assertEqual(cm.exception.code, code)
        # TLS 1.3's exporter stops at 255 hash lengths: an error, not a crash.
        with self.assertRaises(tlsplug.TLSError) as cm:
            c.export_keying_material(255 * 48 + 1, "l")
        self.assertEqual(cm.exception.code, "ERR_OUT_OF_RANGE")

    def test_before_the_handshake(self):
        c, s = pair()
        with self.assertRaises(tlsplug.TLSError) as cm:
            c.export_keying_material(16, "label")
        self.assertEqual(cm.exception.code, "ERR_TLS_INVALID_STATE")


@support.need_pki
class Sigalgs(unittest.TestCase):
    """sigalgs= limits what each end signs with and accepts;
    get_shared_sigalgs() lists what both can use; the handshake's
    schemes are seen alike from both ends."""

    def handshaken(self, version, csig, ssig, request_cert=True):
        cctx = support.client_context(max_version=version, sigalgs=csig,
                                      cert=support.pki("client-chain.pem"),
                                      key=support.pki("client.key"))
        sctx = support.server_context(max_version=version, sigalgs=ssig,
                                      ca=support.pki("ca.pem"))
        c, s = pair(cctx=cctx, sctx=sctx, server_opts={"request_cert": request_cert})
        shuttle(c, s)
        self.assertEqual(c.get_protocol(), version)
        return c, s

    def test_shared_and_negotiated(self):
        for version in ("TLSv1.2", "TLSv1.3"):
            with self.subTest(version=version):
                c, s = self.handshaken(version, "RSA-PSS+SHA256:ECDSA+SHA256:rsa_pss_rsae_sha384",
                                       "rsa_pss_rsae_sha384:RSA-PSS+SHA256")
                # The server lists them in the client's order, the client in
                # the server's (its certificate request).
                self.assertEqual(s.get_shared_sigalgs(), ["RSA-PSS+SHA256", "RSA-PSS+SHA384"])
                self.assertEqual(c.get_shared_sigalgs(), ["RSA-PSS+SHA384", "RSA-PSS+SHA256"])
                # Each end signed with a scheme both allow, seen alike from the other end.
                self.assertEqual(c.peer_signature_algorithm, s.signature_algorithm)
                self.assertEqual(s.peer_signature_algorithm, c.signature_algorithm)
                for scheme in (c.signature_algorithm, s.signature_algorithm):
                    self.assertIn(scheme, ("rsa_pss_rsae_sha256", "rsa_pss_rsae_sha384"))
                c.close(), s.close()

    def test_without_client_certificate(self):
        c, s = self.handshaken("TLSv1.3", None, None, request_cert=False)
        self.assertEqual(c.get_shared_sigalgs(), [])  # no certificate request, as Node
        self.assertGreater(len(s.get_shared_sigalgs()), 0)
        self.assertIsNone(c.signature_algorithm)  # the client signed nothing
        self.assertIsNone(s.peer_signature_algorithm)
        self.assertEqual(c.peer_signature_algorithm, s.signature_algorithm)
        self.assertIsNotNone(c.peer_signature_algorithm)

    def test_before_the_handshake_and_after_close(self):
        c, s = pair()
        self.assertEqual(c.get_shared_sigalgs(), [])  # Node's [] too
        self.assertIsNone(c.peer_signature_algorithm)
        c.destroy()
        self.assertIsNone(c.get_shared_sigalgs())  # Node's null once closed

    def test_bad_lists(self):
        for value in ("", "bogus", "RSA+SHA256:RSA+SHA256", "RSA+MD5"):
            with self.subTest(value=value):
                with self.assertRaises(tlsplug.TLSError) as cm:
                    tlsplug.create_secure_context(sigalgs=value)
                self.assertEqual(cm.exception.code, "ERR_INVALID_ARG_VALUE")
        with self.assertRaises(TypeError) as cm:
            tlsplug.create_secure_context(sigalgs=["RSA+SHA256"])
        self.assertEqual(cm.exception.code, "ERR_INVALID_ARG_TYPE")


@support.need_pki
class ALPNCallbackOnALoop(support.LoopTestCase):
    def round(self, protos, answer):
        got, seen = {}, []

        def callback(info):
            seen.append(info)
            return answer
        server, port = support.listening_server(
            self, {"alpn_callback": callback},
            lambda k: (got.setdefault("server", k.alpn_protocol), k.end()))
        server.on("tlsClientError", lambda err, sock: got.setdefault("server_error", err.code))
        c = tlsplug.connect(port, "127.0.0.1", ca=[support.pki("ca.pem")],
                            servername="localhost", alpn_protocols=protos)
        c.on("secureConnect", lambda: got.setdefault("client", c.alpn_protocol))
        c.on("error", lambda e: got.setdefault("client_error", e.code))
        c.on("close", lambda *a: got.setdefault("closed", True))
        support.run_until(self, lambda: "closed" in got, what="client close")
        support.close_server(self, server)
        return got, seen

    def test_chosen_refused_invalid(self):
        got, seen = self.round(["a", "b"], "b")
        self.assertEqual((got["client"], got["server"]), ("b", "b"))
        self.assertEqual(seen, [{"servername": "localhost", "protocols": ["a", "b"]}])
        got, _ = self.round(["a"], None)
        self.assertEqual(got["server_error"], "ERR_SSL_NO_APPLICATION_PROTOCOL")
        self.assertEqual(got["client_error"], "ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL")
        got, _ = self.round(["a"], "zz")
        self.assertEqual(got["server_error"], "ERR_TLS_ALPN_CALLBACK_INVALID_RESULT")
        self.assertEqual(got["client_error"], "ECONNRESET")
        got, seen = self.round(None, "a")  # no ALPN from the client: not asked
        self.assertEqual((seen, got.get("client"), got.get("server")), ([], None, None))

    def test_not_callable(self):
        with self.assertRaises(TypeError) as cm:
            tlsplug.create_server(key=support.pki("server.key"), alpn_callback="x")
        self.assertEqual(cm.exception.code, "ERR_INVALID_ARG_TYPE")


if __name__ == "__main__":
    unittest.main()
