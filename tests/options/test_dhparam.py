"""dhparam and minDHSize on the wire. DH parameters are made at test time
with GnuTLS's certtool (fast: RFC 7919's ffdhe2048 from --get-dh-params,
and 512/1024-bit ones from --generate-dh-params, which makes DSA-style
primes in a fraction of a second)."""

import os
import shutil
import tempfile
import unittest

from options_support import OptionsCase, env_path, first, json_lines, pki, s_client_facts
from test_groups import temp_key_as_node

SERVER_CREDS = ("--key", pki("server.key"), "--cert", pki("server-chain.pem"))
DHE_SUITE = "DHE-RSA-AES128-GCM-SHA256"
# Debian's openssl.cnf sets security level 2, which refuses DH primes under
# 2048 bits in s_client and s_server; Node (its own OpenSSL configuration)
# runs at level 1. The 1024-bit cases lower openssl to Node's level.
DHE_CIPHER = DHE_SUITE + ":@SECLEVEL=1"


class DhParam(OptionsCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="tlsplug-options-dh-")
        certtool = env_path("TLSPLUG_CERTTOOL")
        cls.dh = {}
        case = OptionsCase()
        case.setUp()
        try:
            for bits in (512, 1024):
                path = os.path.join(cls.dir, f"dh{bits}.pem")
                case.run_cmd([certtool, "--generate-dh-params", "--bits", bits, "--outfile", path])
                cls.dh[bits] = path
            path = os.path.join(cls.dir, "dh2048.pem")
            case.run_cmd([certtool, "--get-dh-params", "--sec-param", "medium", "--outfile", path])
            cls.dh[2048] = path
            # The sizes as openssl reads them, so no test trusts the names.
            for bits, path in cls.dh.items():
                out = case.run_cmd([env_path("TLSPLUG_OPENSSL"), "dhparam", "-in", path, "-noout",
                                    "-text"]).stdout.decode()
                assert f"({bits} bit)" in out, out
        finally:
            case.doCleanups()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    # ---- the server's dhparam: DHE suites and the prime s_client sees

    def dhe_from_tool_server(self, *server_args):
        srv, port = self.tool_server(*SERVER_CREDS, *server_args)
        peer, text = self.s_client(port, "-tls1_2", "-cipher", DHE_CIPHER, expect_ok=False)
        return self.tool_finish(srv), s_client_facts(text), text

    def dhe_from_node_server(self, dhparam):
        files = {"key": [pki("server.key")], "cert": [pki("server-chain.pem")]}
        if dhparam:
            files["dhparam"] = dhparam
        srv, port = self.node_server({"files": files})
        _, text = self.s_client(port, "-tls1_2", "-cipher", DHE_CIPHER, expect_ok=False)
        srv.kill()
        return json_lines(srv.out), s_client_facts(text)

    def test_dhparam_enables_dhe_with_the_given_prime(self):
        for bits in (2048, 1024):
            with self.subTest(bits=bits):
                res, facts, text = self.dhe_from_tool_server("--dhparam", self.dh[bits])
                s = self.assert_secure(res, f"dhparam {bits} bits, s_client -cipher {DHE_SUITE}\n{text}")
                self.assertEqual(facts["cipher"], DHE_SUITE, text)
                self.assertEqual(s["cipher"]["name"], DHE_SUITE)
                # The custom prime itself, not an FFDHE group put in its place.
                self.assertEqual(temp_key_as_node(facts["temp_key"]), {"type": "DH", "size": bits})
                node_events, node_facts = self.dhe_from_node_server(self.dh[bits])
                self.assertIsNotNone(first(node_events, "secure"), node_events)
                self.assertEqual(facts["temp_key"], node_facts["temp_key"])

    def test_no_dhparam_no_dhe(self):
        res, facts, text = self.dhe_from_tool_server()
        self.assertIsNone(res.secure(), f"DHE without dhparam\n{text}")
        self.assertNotEqual(facts.get("cipher"), DHE_SUITE)
        node_events, node_facts = self.dhe_from_node_server(None)
        self.assertIsNone(first(node_events, "secure"), "Node refuses DHE without dhparam too")
        self.assertEqual(facts.get("cipher"), node_facts.get("cipher"))

    def test_dhparam_under_1024_bits_refused_at_set_time(self):
        events, p = self.node("context", {"files": {"dhparam": self.dh[512]}})
        node = first(events, "context-error")
        self.assertIsNotNone(node, p.describe())
        e = self.tool_options_refused("server", "--dhparam", self.dh[512])
        self.assertEqual(e["status"], "TLSPLUG_E_INVAL")
        self.assertEqual(e["option"], "--dhparam")
        self.assertEqual(e["message"], node["message"])
        self.assertEqual(e["code"], node["code"])

    def test_dhparam_not_pem_refused(self):
        e = self.tool_options_refused("server", "--dhparam", pki("server.pem"))
        self.assertIn(e["status"], ("TLSPLUG_E_CREDENTIALS", "TLSPLUG_E_INVAL"))

    # ---- the client's minDHSize against openssl s_server's prime

    def min_dh(self, server_args, node_opts, tool_args):
        srv, port = self.s_server(*server_args, naccept=2)
        node_events, p = self.node("client", {"port": port, "opts": node_opts,
                                              "files": {"ca": [pki("ca.pem")]}})
        res = self.tool_client(port, "--ca", pki("ca.pem"), *tool_args)
        srv.kill()
        return node_events, res, srv

    # The tlsplug client offers DHE suites here through a native priority
    # string, which also shows --priority reaching the wire; that the
    # default client offers them as Node's does is checked on its own below.
    DHE_PRIORITY = ("--priority", "NORMAL:+DHE-RSA")

    def test_min_dh_size_refuses_a_small_prime(self):
        dhe = ("-dhparam", self.dh[1024], "-tls1_2", "-cipher", DHE_CIPHER)
        node_events, res, srv = self.min_dh(dhe, {"minDHSize": 2048},
                                            [*self.DHE_PRIORITY, "--min-dh-size", "2048"])
        node = first(node_events, "error")
        self.assertIsNotNone(node, node_events)
        self.assertEqual(node["code"], "ERR_TLS_DH_PARAM_SIZE")
        e = res.first("error")
        self.assertIsNotNone(e, f"minDHSize 2048 must refuse a 1024-bit prime\n{res.describe()}\n"
                                f"{srv.describe()}")
        self.assertIsNone(res.secure())
        self.assertEqual(e["code"], node["code"])
        # Node's text always says "less than 2048" (its message template);
        # with minDHSize 2048 the two must agree word for word.
        self.assertEqual(e["message"], node["message"])

    def test_min_dh_size_default_accepts_1024(self):
        dhe = ("-dhparam", self.dh[1024], "-tls1_2", "-cipher", DHE_CIPHER)
        node_events, res, srv = self.min_dh(dhe, {}, [*self.DHE_PRIORITY])
        node = first(node_events, "secure")
        self.assertIsNotNone(node, node_events)
        s = self.assert_secure(res, srv.describe())
        self.assertEqual(s["cipher"]["name"], node["cipher"]["name"])
        self.assertEqual(s["ephemeralKeyInfo"], node["ephemeralKeyInfo"])
        self.assertEqual(s["ephemeralKeyInfo"], {"type": "DH", "size": 1024})

    def test_min_dh_size_with_a_custom_identity_check(self):
        # Node checks the prime before the identity, custom check or not.
        dhe = ("-dhparam", self.dh[1024], "-tls1_2", "-cipher", DHE_CIPHER)
        srv, port = self.s_server(*dhe, naccept=2)
        events, p = self.node("client", {"port": port, "opts": {"minDHSize": 2048},
                                         "checkIdentity": "accept", "files": {"ca": [pki("ca.pem")]}})
        node = first(events, "error")
        self.assertIsNotNone(node, p.describe())
        res = self.tool_client(port, "--ca", pki("ca.pem"), *self.DHE_PRIORITY, "--min-dh-size", "2048",
                               "--check-identity", "accept")
        srv.kill()
        e = res.first("error")
        self.assertIsNotNone(e, f"minDHSize ignored with a custom identity check\n{res.describe()}")
        self.assertIsNone(res.secure())
        self.assertEqual(e["code"], node["code"])

    def test_default_client_offers_dhe_as_node(self):
        # Node's default cipher list offers DHE-RSA suites from a client
        # (only a server needs dhparam); a DHE-only server must work.
        dhe = ("-dhparam", self.dh[2048], "-tls1_2", "-cipher", DHE_SUITE)
        node_events, res, srv = self.min_dh(dhe, {}, [])
        node = first(node_events, "secure")
        self.assertIsNotNone(node, node_events)
        self.assertEqual(node["cipher"]["name"], DHE_SUITE)
        s = self.assert_secure(res, "default tlsplug client vs a DHE-only server")
        self.assertEqual(s["cipher"]["name"], DHE_SUITE)
        self.assertEqual(s["ephemeralKeyInfo"], node["ephemeralKeyInfo"])

    def test_min_dh_size_applies_to_tls13_ffdhe(self):
        # Node checks getEphemeralKeyInfo() whatever the version.
        node_events, res, srv = self.min_dh(("-groups", "ffdhe2048", "-tls1_3"),
                                            {"minDHSize": 3072}, ["--min-dh-size", "3072"])
        node = first(node_events, "error")
        self.assertIsNotNone(node, node_events)
        e = res.first("error")
        self.assertIsNotNone(e, f"minDHSize 3072 must refuse ffdhe2048\n{res.describe()}")
        self.assertEqual(e["code"], node["code"])

    def test_min_dh_size_zero_refused(self):
        e = self.tool_options_refused("client", "--min-dh-size", "0")
        self.assertEqual(e["status"], "TLSPLUG_E_INVAL")
        self.assertEqual(e["option"], "--min-dh-size")


if __name__ == "__main__":
    unittest.main()
