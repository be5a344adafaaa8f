"""minVersion, maxVersion, secureProtocol, secureOptions (NO_TLSv1_2/3) and
sessionIdContext, on the wire against openssl s_client and s_server; the
set-time refusals compared with Node's in the same run."""

import unittest

from options_support import OptionsCase, first, pki, s_client_facts

SERVER_CREDS = ("--key", pki("server.key"), "--cert", pki("server-chain.pem"))


class Versions(OptionsCase):
    @classmethod
    def setUpClass(cls):
        case = OptionsCase()
        case.setUp()
        try:
            events, _ = case.node("info", {})
        finally:
            case.doCleanups()
        cls.op = first(events, "info")["constants"]

    # ---- server side: tls_tool server, openssl s_client

    def server_outcome(self, server_args, client_args):
        """(tls_tool's secure event or None, s_client facts)."""
        srv, port = self.tool_server(*SERVER_CREDS, *server_args)
        _, text = self.s_client(port, *client_args)
        res = self.tool_finish(srv)
        return res, s_client_facts(text)

    def assert_server_version(self, server_args, client_args, want):
        res, facts = self.server_outcome(server_args, client_args)
        s = self.assert_secure(res, f"server {server_args} / s_client {client_args}")
        self.assertEqual(facts["protocol"], want, f"s_client's Protocol line\n{res.describe()}")
        self.assertEqual(facts["new_protocol"], want)
        self.assertEqual(s["protocol"], facts["protocol"])
        self.assertEqual(s["cipher"]["version"], facts["protocol"])

    def assert_server_refuses(self, server_args, client_args):
        srv, port = self.tool_server(*SERVER_CREDS, *server_args)
        _, text = self.s_client(port, *client_args, expect_ok=False)
        res = self.tool_finish(srv)
        self.assertIsNone(res.secure(), f"{server_args} must refuse s_client {client_args}\n"
                                        f"{res.describe()}\n{text}")
        self.assertIsNotNone(res.first("error"), res.describe())
        self.assertNotEqual(res.rc, 0)
        self.assertRegex(text, r"New, \(NONE\), Cipher is \(NONE\)|alert|error", text)

    def test_default_negotiates_both_versions(self):
        self.assert_server_version([], ["-tls1_3"], "TLSv1.3")
        self.assert_server_version([], ["-tls1_2"], "TLSv1.2")

    def test_server_max_version(self):
        self.assert_server_version(["--max-version", "TLSv1.2"], [], "TLSv1.2")
        self.assert_server_refuses(["--max-version", "TLSv1.2"], ["-tls1_3"])

    def test_server_min_version(self):
        self.assert_server_version(["--min-version", "TLSv1.3"], [], "TLSv1.3")
        self.assert_server_refuses(["--min-version", "TLSv1.3"], ["-tls1_2"])

    def test_server_secure_protocol(self):
        self.assert_server_version(["--secure-protocol", "TLSv1_2_method"], [], "TLSv1.2")
        self.assert_server_refuses(["--secure-protocol", "TLSv1_2_method"], ["-tls1_3"])
        self.assert_server_version(["--secure-protocol", "TLS_method"], [], "TLSv1.3")

    def test_server_secure_options_no_tls13(self):
        bit = str(self.op["SSL_OP_NO_TLSv1_3"])
        self.assert_server_version(["--secure-options", bit], [], "TLSv1.2")
        self.assert_server_refuses(["--secure-options", bit], ["-tls1_3"])

    def test_server_secure_options_no_tls12(self):
        bit = str(self.op["SSL_OP_NO_TLSv1_2"])
        self.assert_server_version(["--secure-options", bit], [], "TLSv1.3")
        self.assert_server_refuses(["--secure-options", bit], ["-tls1_2"])

    # ---- client side: tls_tool client, openssl s_server

    def client_outcome(self, client_args, server_args):
        srv, port = self.s_server(*server_args)
        res = self.tool_client(port, "--ca", pki("ca.pem"), *client_args)
        srv.kill()
        return res, srv.text()

    def assert_client_version(self, client_args, server_args, want):
        res, text = self.client_outcome(client_args, server_args)
        s = self.assert_secure(res, f"client {client_args} / s_server {server_args}")
        self.assertIn(f"Protocol version: {want}", text, f"s_server's report\n{text}")
        self.assertEqual(s["protocol"], want)
        self.assertTrue(s["authorized"], s)

    def assert_client_refuses(self, client_args, server_args):
        res, text = self.client_outcome(client_args, server_args)
        self.assertIsNone(res.secure(), f"client {client_args} vs s_server {server_args}\n"
                                        f"{res.describe()}\n{text}")
        self.assertIsNotNone(res.first("error"), res.describe())
        self.assertNotIn("Protocol version:", text)

    def test_client_max_version(self):
        self.assert_client_version(["--max-version", "TLSv1.2"], [], "TLSv1.2")
        self.assert_client_refuses(["--max-version", "TLSv1.2"], ["-tls1_3"])

    def test_client_min_version(self):
        self.assert_client_version(["--min-version", "TLSv1.3"], [], "TLSv1.3")
        self.assert_client_refuses(["--min-version", "TLSv1.3"], ["-tls1_2"])

    def test_client_secure_protocol_and_options(self):
        self.assert_client_version(["--secure-protocol", "TLSv1_2_method"], [], "TLSv1.2")
        self.assert_client_refuses(["--secure-protocol", "TLSv1_2_method"], ["-tls1_3"])
        self.assert_client_version(["--secure-options", str(self.op["SSL_OP_NO_TLSv1_3"])], [],
                                   "TLSv1.2")
        self.assert_client_version(["--secure-options", str(self.op["SSL_OP_NO_TLSv1_2"])], [],
                                   "TLSv1.3")
        self.assert_client_refuses(["--secure-options", str(self.op["SSL_OP_NO_TLSv1_2"])],
                                   ["-tls1_2"])

    # ---- set-time checks, compared with Node's createSecureContext

    def node_context_error(self, opts):
        events, p = self.node("context", {"opts": opts})
        e = first(events, "context-error")
        self.assertIsNotNone(e, f"Node accepted {opts}\n{p.describe()}")
        return e

    def test_secure_protocol_conflicts_with_versions(self):
        node = self.node_context_error({"secureProtocol": "TLSv1_2_method", "minVersion": "TLSv1.2"})
        for args in (["--secure-protocol", "TLSv1_2_method", "--min-version", "TLSv1.2"],
                     ["--min-version", "TLSv1.2", "--secure-protocol", "TLSv1_2_method"],
                     ["--max-version", "TLSv1.3", "--secure-protocol", "TLS_method"]):
            with self.subTest(args=args):
                e = self.tool_options_refused("client", *args)
                self.assertEqual(e["status"], "TLSPLUG_E_INVAL")
                self.assertEqual(e["code"], node["code"], e)

    def test_bad_protocol_names(self):
        for node_opts, args in (({"secureProtocol": "SSLv3_method"}, ["--secure-protocol", "SSLv3_method"]),
                                ({"secureProtocol": "Bogus_method"}, ["--secure-protocol", "Bogus_method"]),
                                ({"minVersion": "TLSv9"}, ["--min-version", "TLSv9"]),
                                ({"maxVersion": "SSLv3"}, ["--max-version", "SSLv3"])):
            with self.subTest(args=args):
                node = self.node_context_error(node_opts)
                e = self.tool_options_refused("server", *args)
                self.assertEqual(e["status"], "TLSPLUG_E_INVAL")
                self.assertEqual(e["code"], node["code"], e)
                if node_opts.get("secureProtocol"):
                    self.assertEqual(e["message"], node["message"])

    def test_secure_options_unsupported_bit(self):
        # A bit Node passes to OpenSSL but GnuTLS has no meaning for.
        for name in ("SSL_OP_NO_QUERY_MTU", "SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION"):
            with self.subTest(bit=name):
                value = self.op[name]
                e = self.tool_options_refused("server", "--secure-options", str(value))
                self.assertEqual(e["status"], "TLSPLUG_E_UNSUPPORTED", e)
                self.assertIn(f"{value:#x}", e["message"])
        # The supported ones together are accepted, and the wire shows them.
        both = self.op["SSL_OP_NO_TLSv1_3"] | self.op["SSL_OP_NO_COMPRESSION"] | \
            self.op["SSL_OP_CIPHER_SERVER_PREFERENCE"]
        self.assert_server_version(["--secure-options", str(both)], [], "TLSv1.2")

    def test_session_id_context(self):
        # Resumption across servers is the server suite's; here: accepted
        # values reach a working handshake, and an over-long one is refused
        # at set time as OpenSSL refuses it under Node (a tls.createServer
        # option there, which throws).
        self.assert_server_version(["--session-id-context", "x" * 32], [], "TLSv1.3")
        e = self.tool_options_refused("server", "--session-id-context", "x" * 33)
        self.assertEqual(e["status"], "TLSPLUG_E_INVAL")
        events, p = self.node("server", {"opts": {"sessionIdContext": "x" * 33}, "files": {
            "key": [pki("server.key")], "cert": [pki("server-chain.pem")]}})
        self.assertEqual(events, [], p.describe())
        self.assertIn("session id context too long", p.text(), p.describe())


if __name__ == "__main__":
    unittest.main()
