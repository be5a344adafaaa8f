"""ecdhCurve and getEphemeralKeyInfo() on the wire: what openssl s_client
reports as "Server Temp Key" from a tlsplug server, what openssl s_server
reports as the client's "Supported groups", and getEphemeralKeyInfo() of
the tlsplug client beside Node's own against the same server."""

import re
import unittest

from options_support import OptionsCase, first, json_lines, pki, s_client_facts

SERVER_CREDS = ("--key", pki("server.key"), "--cert", pki("server-chain.pem"))


def temp_key_as_node(line):
    """s_client's "Server Temp Key" line as Node's getEphemeralKeyInfo()."""
    m = re.fullmatch(r"ECDH, (\S+), (\d+) bits", line or "")
    if m:
        return {"type": "ECDH", "name": m.group(1), "size": int(m.group(2))}
    m = re.fullmatch(r"(X25519|X448), (\d+) bits", line or "")
    if m:
        return {"type": "ECDH", "name": m.group(1), "size": int(m.group(2))}
    m = re.fullmatch(r"DH, (\d+) bits", line or "")
    if m:
        return {"type": "DH", "size": int(m.group(1))}
    return None


class Groups(OptionsCase):
    # ---- tlsplug server: which group s_client sees

    def server_temp_key(self, curve, *client_args):
        srv, port = self.tool_server(*SERVER_CREDS, "--ecdh-curve", curve)
        _, text = self.s_client(port, *client_args)
        res = self.tool_finish(srv)
        s = self.assert_secure(res, f"ecdhCurve {curve}")
        self.assertIsNone(s["ephemeralKeyInfo"], "Node's getEphemeralKeyInfo() is null on a server")
        return s_client_facts(text)

    def node_client_key_info(self, server_args, node_opts):
        """Node's getEphemeralKeyInfo() against a tlsplug server."""
        srv, port = self.tool_server(*SERVER_CREDS, *server_args)
        events, p = self.node("client", {"port": port, "opts": node_opts,
                                         "files": {"ca": [pki("ca.pem")]}})
        self.assert_secure(self.tool_finish(srv), f"server {server_args} / node {node_opts}")
        s = first(events, "secure")
        self.assertIsNotNone(s, p.describe())
        return s

    def tool_client_key_info(self, server_args, client_args):
        srv, port = self.tool_server(*SERVER_CREDS, *server_args)
        res = self.tool_client(port, "--ca", pki("ca.pem"), *client_args)
        self.tool_finish(srv)
        return self.assert_secure(res, f"server {server_args} / tls_tool {client_args}")

    def test_server_curve_reaches_the_wire(self):
        for curve, version in (("P-384", "-tls1_3"), ("P-384", "-tls1_2"), ("X25519", "-tls1_3"),
                               ("X25519", "-tls1_2"), ("P-521", "-tls1_3"), ("prime256v1", "-tls1_2")):
            with self.subTest(curve=curve, version=version):
                # s_client offers its default list, X25519 first.
                facts = self.server_temp_key(curve, version)
                seen = temp_key_as_node(facts["temp_key"])
                self.assertIsNotNone(seen, facts)
                # Node, against the same kind of server, names the group
                # the same way; so must tlsplug's client.
                node = self.node_client_key_info(
                    ["--ecdh-curve", curve], {"maxVersion": "TLSv1.2"} if version == "-tls1_2" else {})
                self.assertEqual(seen, node["ephemeralKeyInfo"])
                tool = self.tool_client_key_info(
                    ["--ecdh-curve", curve], ["--max-version", "TLSv1.2"] if version == "-tls1_2" else [])
                self.assertEqual(tool["ephemeralKeyInfo"], node["ephemeralKeyInfo"])

    def test_server_ffdhe_in_tls13(self):
        facts = self.server_temp_key("ffdhe2048", "-tls1_3", "-groups", "ffdhe2048")
        self.assertEqual(facts["protocol"], "TLSv1.3")
        seen = temp_key_as_node(facts["temp_key"])
        node = self.node_client_key_info(["--ecdh-curve", "ffdhe2048"],
                                         {"ecdhCurve": "ffdhe2048", "minVersion": "TLSv1.3"})
        self.assertEqual(seen, node["ephemeralKeyInfo"])
        tool = self.tool_client_key_info(["--ecdh-curve", "ffdhe2048"],
                                         ["--ecdh-curve", "ffdhe2048", "--min-version", "TLSv1.3"])
        self.assertEqual(tool["ephemeralKeyInfo"], node["ephemeralKeyInfo"])

    def test_server_refuses_a_group_outside_its_list(self):
        srv, port = self.tool_server(*SERVER_CREDS, "--ecdh-curve", "P-384")
        _, text = self.s_client(port, "-tls1_3", "-groups", "X25519", expect_ok=False)
        res = self.tool_finish(srv)
        self.assertIsNone(res.secure(), f"P-384 only must refuse an X25519-only client\n{text}")
        self.assertIsNotNone(res.first("error"))
        # TLS 1.2 may fall back to a non-ECDHE suite, never to X25519.
        srv, port = self.tool_server(*SERVER_CREDS, "--ecdh-curve", "P-384")
        _, text = self.s_client(port, "-tls1_2", "-groups", "X25519", expect_ok=False)
        self.tool_finish(srv)
        self.assertNotIn("Server Temp Key: X25519", text)

    def test_bad_curve_name(self):
        node_events, _ = self.node("context", {"opts": {"ecdhCurve": "P-384:bogus"}})
        node = first(node_events, "context-error")
        self.assertIsNotNone(node)
        e = self.tool_options_refused("server", "--ecdh-curve", "P-384:bogus")
        self.assertEqual(e["status"], "TLSPLUG_E_INVAL")
        self.assertEqual(e["code"], node["code"])
        self.assertIn(node["message"], e["message"])

    # ---- tlsplug client: which groups s_server sees offered

    def offered_groups(self, client, curve):
        srv, port = self.s_server()
        if client == "node":
            opts = {"ecdhCurve": curve} if curve else {}
            events, p = self.node("client", {"port": port, "opts": opts,
                                             "files": {"ca": [pki("ca.pem")]}})
            s = first(events, "secure")
            self.assertIsNotNone(s, p.describe())
        else:
            res = self.tool_client(port, "--ca", pki("ca.pem"),
                                   *(["--ecdh-curve", curve] if curve else []))
            s = self.assert_secure(res)
        srv.wait()
        m = re.search(r"^Supported groups: (\S+)$", srv.text(), re.M)
        self.assertIsNotNone(m, srv.describe())
        return m.group(1), s["ephemeralKeyInfo"]

    def test_client_offers_the_configured_groups(self):
        for curve in ("P-384", "P-384:X25519", "X448:P-256", "P-521", None):
            with self.subTest(curve=curve or "auto"):
                node_groups, node_info = self.offered_groups("node", curve)
                tool_groups, tool_info = self.offered_groups("tool", curve)
                self.assertEqual(tool_groups, node_groups)
                self.assertEqual(tool_info, node_info)

    def test_client_key_info_for_each_server_group(self):
        for groups, version in (("P-384", "-tls1_3"), ("P-521", "-tls1_2"), ("X448", "-tls1_3"),
                                ("ffdhe3072", "-tls1_3")):
            with self.subTest(groups=groups, version=version):
                srv, port = self.s_server("-groups", groups, version, naccept=2)
                events, p = self.node("client", {"port": port, "files": {"ca": [pki("ca.pem")]}})
                node = first(events, "secure")
                self.assertIsNotNone(node, p.describe())
                res = self.tool_client(port, "--ca", pki("ca.pem"))
                tool = self.assert_secure(res)
                self.assertEqual(tool["protocol"], node["protocol"])
                self.assertEqual(tool["ephemeralKeyInfo"], node["ephemeralKeyInfo"])
                srv.kill()

    def test_client_key_info_without_ephemeral_kx(self):
        # Plain RSA key exchange: Node says {} (not null).
        srv, port = self.s_server("-tls1_2", "-cipher", "AES128-GCM-SHA256", naccept=2)
        events, p = self.node("client", {"port": port, "files": {"ca": [pki("ca.pem")]}})
        node = first(events, "secure")
        self.assertIsNotNone(node, p.describe())
        res = self.tool_client(port, "--ca", pki("ca.pem"))
        tool = self.assert_secure(res)
        self.assertEqual(tool["cipher"]["name"], node["cipher"]["name"])
        self.assertEqual(node["ephemeralKeyInfo"], {})
        self.assertEqual(tool["ephemeralKeyInfo"], node["ephemeralKeyInfo"])

    def test_server_key_info_is_null_as_in_node(self):
        node_srv, port = self.node_server({"files": {"key": [pki("server.key")],
                                                     "cert": [pki("server-chain.pem")]}})
        res = self.tool_client(port, "--ca", pki("ca.pem"))
        self.assert_secure(res)
        node_srv.wait()
        node = first(json_lines(node_srv.out), "secure")
        self.assertIsNotNone(node, node_srv.describe())
        self.assertIsNone(node["ephemeralKeyInfo"])
        srv, port = self.tool_server(*SERVER_CREDS)
        self.tool_client(port, "--ca", pki("ca.pem"))
        self.assertIsNone(self.assert_secure(self.tool_finish(srv))["ephemeralKeyInfo"])


if __name__ == "__main__":
    unittest.main()
