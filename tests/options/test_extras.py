"""The socket extras on the wire: getFinished()/getPeerFinished() crosswise
with Node and between tlsplug's own ends, the checkServerIdentity option
(accept, reject with a code) beside Node's, SecurePair against openssl,
and bytesWritten/bytesRead against a relay counting the real bytes."""

import unittest

from options_support import OptionsCase, first, json_lines, pki
from relay import CountingRelay

SERVER_CREDS = ("--key", pki("server.key"), "--cert", pki("server-chain.pem"))
NODE_SERVER_FILES = {"key": [pki("server.key")], "cert": [pki("server-chain.pem")]}


class Finished(OptionsCase):
    VERSIONS = (("TLSv1.2", None), ("TLSv1.3", "TLS_AES_128_GCM_SHA256"),
                ("TLSv1.3", "TLS_AES_256_GCM_SHA384"))

    def node_server_opts(self, version, suite):
        opts = {"minVersion": version, "maxVersion": version}
        if suite:
            opts["ciphers"] = suite
        return opts

    def assert_crosswise(self, a, b, what):
        self.assertIsNotNone(a["finished"], f"{what}: {a}")
        self.assertIsNotNone(b["finished"], f"{what}: {b}")
        self.assertEqual(a["finished"], b["peerFinished"], what)
        self.assertEqual(a["peerFinished"], b["finished"], what)
        self.assertNotEqual(a["finished"], a["peerFinished"])

    def test_tlsplug_client_against_node_server(self):
        for version, suite in self.VERSIONS:
            with self.subTest(version=version, suite=suite):
                srv, port = self.node_server({"opts": self.node_server_opts(version, suite),
                                              "files": NODE_SERVER_FILES})
                res = self.tool_client(port, "--ca", pki("ca.pem"))
                srv.wait()
                node = first(json_lines(srv.out), "secure")
                self.assertIsNotNone(node, srv.describe())
                tool = self.assert_secure(res)
                self.assertEqual(tool["protocol"], version)
                self.assertEqual(tool["cipher"]["standardName"], node["cipher"]["standardName"])
                self.assert_crosswise(tool, node, f"{version} {suite}")
                if version == "TLSv1.2":
                    self.assertEqual(len(tool["finished"]) // 2, 12)

    def test_node_client_against_tlsplug_server(self):
        for version, suite in self.VERSIONS:
            with self.subTest(version=version, suite=suite):
                args = ["--min-version", version, "--max-version", version]
                if suite:  # a native priority fixes the suite on our side
                    args = ["--priority", f"NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:"
                            f"+{'AES-128-GCM' if '128' in suite else 'AES-256-GCM'}"]
                srv, port = self.tool_server(*SERVER_CREDS, *args)
                events, p = self.node("client", {"port": port, "files": {"ca": [pki("ca.pem")]}})
                tool = self.assert_secure(self.tool_finish(srv))
                node = first(events, "secure")
                self.assertIsNotNone(node, p.describe())
                self.assertEqual(node["protocol"], version)
                if suite:
                    self.assertEqual(node["cipher"]["standardName"], suite)
                self.assert_crosswise(tool, node, f"{version} {suite}")

    def test_between_tlsplug_ends(self):
        for version in ("TLSv1.2", "TLSv1.3"):
            with self.subTest(version=version):
                srv, port = self.tool_server(*SERVER_CREDS, "--max-version", version)
                client = self.assert_secure(self.tool_client(port, "--ca", pki("ca.pem")))
                server = self.assert_secure(self.tool_finish(srv))
                self.assertEqual(client["protocol"], version)
                self.assert_crosswise(client, server, version)


class CheckServerIdentity(OptionsCase):
    def outcomes(self, servername, how, ca="ca.pem", insecure=False):
        """(Node's event, tls_tool's result) for the same s_server."""
        srv, port = self.s_server(naccept=2)
        config = {"port": port, "opts": {"servername": servername,
                                         "rejectUnauthorized": not insecure},
                  "files": {"ca": [pki(ca)]}}
        args = ["--ca", pki(ca), "--servername", servername]
        if how:
            config["checkIdentity"] = how
            args += ["--check-identity", how]
        if insecure:
            args.append("--insecure")
        events, p = self.node("client", config)
        node = first(events, "secure") or first(events, "error")
        self.assertIsNotNone(node, p.describe())
        res = self.tool_client(port, *args)
        srv.kill()
        return node, res

    def tool_outcome(self, res):
        tool = res.secure() or res.first("error")
        self.assertIsNotNone(tool, res.describe())
        called = res.first("checkServerIdentity")
        return tool, called["host"] if called else None

    def test_accept_overrides_the_name_check(self):
        # Without the option the name fails, as in Node ...
        node, res = self.outcomes("wrong.example", None)
        tool, _ = self.tool_outcome(res)
        self.assertEqual(node["event"], "error")
        self.assertEqual(tool["event"], "error")
        self.assertEqual(tool["code"], node["code"])
        # ... with a custom check that accepts, the socket is authorized.
        node, res = self.outcomes("wrong.example", "accept")
        tool, host = self.tool_outcome(res)
        self.assertEqual(node["event"], "secure", node)
        self.assertEqual(tool["event"], "secure", res.describe())
        self.assertEqual(tool["authorized"], node["authorized"])
        self.assertTrue(tool["authorized"])
        self.assertEqual(host, node["checkServerIdentityHost"])

    def test_reject_with_a_code(self):
        node, res = self.outcomes("localhost", "reject-with-E_CUSTOM_ID", insecure=True)
        tool, host = self.tool_outcome(res)
        self.assertEqual(tool["event"], "secure", res.describe())
        self.assertEqual(tool["authorized"], node["authorized"])
        self.assertEqual(tool["authorizationError"], node["authorizationError"])
        self.assertEqual(tool["authorizationError"], "E_CUSTOM_ID")
        self.assertEqual(host, node["checkServerIdentityHost"])
        node, res = self.outcomes("localhost", "reject-with-E_CUSTOM_ID")
        tool, _ = self.tool_outcome(res)
        self.assertEqual(node["event"], "error")
        self.assertEqual(tool["event"], "error", res.describe())
        self.assertEqual(tool["code"], node["code"])

    def test_not_called_when_the_chain_fails(self):
        node, res = self.outcomes("localhost", "accept", ca="other-ca.pem", insecure=True)
        tool, host = self.tool_outcome(res)
        self.assertIsNone(node["checkServerIdentityHost"])
        self.assertIsNone(host, "the custom check ran on an unverified chain")
        self.assertEqual(tool["authorizationError"], node["authorizationError"])


class SecurePair(OptionsCase):
    def test_pair_server_against_s_client(self):
        srv, port = self.tool_server(*SERVER_CREDS, "--pair")
        token = "pair-server-token"
        _, text = self.s_client(port, token=token)
        res = self.tool_finish(srv)
        s = self.assert_secure(res)
        self.assertEqual(s["secureEvent"], "secure")
        self.assertEqual(s["role"], "server")
        self.assertIn(token, text, "the pair echoed the line back")
        self.assertEqual(res.rc, 0, res.describe())

    def test_pair_client_against_s_server(self):
        srv, port = self.s_server()
        res = self.tool_client(port, "--pair", "--ca", pki("ca.pem"), "--send", "pair-client-token")
        srv.kill()
        s = self.assert_secure(res)
        self.assertEqual(s["secureEvent"], "secure", "a SecurePair emits secure on both sides")
        self.assertTrue(s["authorized"])
        reply = res.first("reply")
        self.assertIsNotNone(reply, res.describe())
        self.assertEqual(reply["text"], "pair-client-token"[::-1])  # s_server -rev

    def test_pair_client_reject_unauthorized(self):
        for insecure in (True, False):
            with self.subTest(insecure=insecure):
                srv, port = self.s_server()
                res = self.tool_client(port, "--pair", "--ca", pki("other-ca.pem"),
                                       *(["--insecure"] if insecure else []))
                srv.kill()
                if insecure:
                    s = self.assert_secure(res)
                    self.assertFalse(s["authorized"])
                else:
                    self.assertIsNone(res.secure())
                    self.assertEqual(res.first("error")["status"], "TLSPLUG_E_VERIFY")

    def test_pair_to_pair(self):
        srv, port = self.tool_server(*SERVER_CREDS, "--pair")
        res = self.tool_client(port, "--pair", "--ca", pki("ca.pem"), "--send", "both-pairs")
        server = self.assert_secure(self.tool_finish(srv))
        client = self.assert_secure(res)
        self.assertEqual(server["secureEvent"], "secure")
        self.assertEqual(client["secureEvent"], "secure")
        self.assertEqual(res.first("reply")["text"], "both-pairs")


class ByteCounters(OptionsCase):
    def totals(self, res):
        e = res.first("exit")
        self.assertIsNotNone(e, res.describe())
        return e["bytesWritten"], e["bytesRead"]

    def test_client_counters_match_the_wire(self):
        for version in ("TLSv1.2", "TLSv1.3"):
            with self.subTest(version=version):
                srv, port = self.s_server()
                relay = CountingRelay(port)
                self.addCleanup(relay.close)
                res = self.tool_client(relay.port, "--ca", pki("ca.pem"), "--max-version", version,
                                       "--send", "count me " * 100)
                self.assert_secure(res)
                self.assertIsNotNone(res.first("reply"), res.describe())
                to_server, to_client = relay.wait()
                srv.kill()
                self.assertEqual(self.totals(res), (to_server, to_client))

    def test_server_counters_match_the_wire(self):
        for version in ("-tls1_2", "-tls1_3"):
            with self.subTest(version=version):
                srv, port = self.tool_server(*SERVER_CREDS)
                relay = CountingRelay(port)
                self.addCleanup(relay.close)
                self.s_client(relay.port, version, token="server-counter-" * 50)
                res = self.tool_finish(srv)
                s = self.assert_secure(res)
                to_server, to_client = relay.wait()
                written, read = self.totals(res)
                self.assertEqual((written, read), (to_client, to_server))
                # At the secure event the handshake bytes were already counted.
                self.assertGreater(s["bytesRead"], 0)
                self.assertLessEqual(s["bytesRead"], read)
                self.assertLessEqual(s["bytesWritten"], written)


if __name__ == "__main__":
    unittest.main()
