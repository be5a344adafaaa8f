"""ca and crl on the wire: trust given as CERTIFICATE, X509 CERTIFICATE and
TRUSTED CERTIFICATE PEM blocks, several CAs in one buffer, and CRLs made at
test time with certtool. Every verdict (authorized, authorizationError, the
error code with rejectUnauthorized) is compared with Node's against the
same openssl peer in the same run."""

import os
import unittest

from options_support import OptionsCase, env_path, first, json_lines, pki


class Trust(OptionsCase):
    # ---- CA files in several forms

    def x509_header_ca(self, src="ca.pem"):
        with open(pki(src)) as f:
            text = f.read().replace("BEGIN CERTIFICATE", "BEGIN X509 CERTIFICATE")
            text = text.replace("END CERTIFICATE", "END X509 CERTIFICATE")
        return self.tmp(f"x509-{src}", text.encode())

    def trusted_ca(self, src="ca.pem"):
        path = self.tmp(f"trusted-{src}")
        self.run_cmd([env_path("TLSPLUG_OPENSSL"), "x509", "-in", pki(src), "-addtrust", "serverAuth",
                      "-addtrust", "clientAuth", "-trustout", "-out", path])
        with open(path) as f:
            self.assertIn("BEGIN TRUSTED CERTIFICATE", f.read())
        return path

    def concat(self, name, *paths):
        data = b""
        for p in paths:
            with open(p, "rb") as f:
                data += f.read()
        return self.tmp(name, data)

    def verdicts(self, ca_files, server_cert="server.pem", server_key="server.key",
                 chain="int.pem", crl_files=(), insecure=True):
        """(Node's event, tls_tool's event) for clients trusting ca_files,
        against one s_server presenting the given chain."""
        srv, port = self.s_server(cert=server_cert, key=server_key, chain=chain, naccept=2)
        opts = {"rejectUnauthorized": not insecure}
        events, p = self.node("client", {"port": port, "opts": opts,
                                         "files": {"ca": list(ca_files), "crl": list(crl_files)}})
        node = first(events, "secure") or first(events, "error")
        self.assertIsNotNone(node, p.describe())
        args = []
        for ca in ca_files:
            args += ["--ca", ca]
        for crl in crl_files:
            args += ["--crl", crl]
        if insecure:
            args.append("--insecure")
        res = self.tool_client(port, *args)
        srv.kill()
        tool = res.secure() or res.first("error")
        self.assertIsNotNone(tool, res.describe())
        return node, tool

    def assert_same_verdict(self, node, tool):
        self.assertEqual(tool["event"], node["event"], f"node: {node}\ntls_tool: {tool}")
        if node["event"] == "secure":
            self.assertEqual(tool["authorized"], node["authorized"])
            self.assertEqual(tool["authorizationError"], node["authorizationError"])
        else:
            self.assertEqual(tool["code"], node["code"])

    def test_ca_pem_types(self):
        for name, path in (("CERTIFICATE", pki("ca.pem")), ("X509 CERTIFICATE", self.x509_header_ca()),
                           ("TRUSTED CERTIFICATE", self.trusted_ca())):
            with self.subTest(pem=name):
                node, tool = self.verdicts([path])
                self.assert_same_verdict(node, tool)
                self.assertTrue(tool["authorized"], f"{name}: {tool}")

    def test_several_cas_in_one_buffer(self):
        mixed = self.concat("mixed.pem", self.x509_header_ca("other-ca.pem"), self.trusted_ca())
        plain = self.concat("plain.pem", pki("other-ca.pem"), pki("ca.pem"))
        for bundle in (plain, mixed):
            for cert, key, chain in (("server.pem", "server.key", "int.pem"),
                                     ("untrusted.pem", "untrusted.key", None)):
                with self.subTest(bundle=os.path.basename(bundle), server=cert):
                    node, tool = self.verdicts([bundle], cert, key, chain)
                    self.assert_same_verdict(node, tool)
                    self.assertTrue(tool["authorized"], tool)

    def test_ca_given_twice(self):
        node, tool = self.verdicts([pki("other-ca.pem"), pki("ca.pem")])
        self.assert_same_verdict(node, tool)
        self.assertTrue(tool["authorized"])

    def test_wrong_ca(self):
        node, tool = self.verdicts([pki("other-ca.pem")])
        self.assert_same_verdict(node, tool)
        self.assertFalse(tool["authorized"])
        node, tool = self.verdicts([pki("other-ca.pem")], insecure=False)
        self.assertEqual(tool["event"], "error")
        self.assert_same_verdict(node, tool)

    def test_server_side_ca_types(self):
        # A tlsplug server requesting a client certificate, its ca in each
        # PEM form; the client is s_client with the client chain.
        for name, path in (("CERTIFICATE", pki("ca.pem")), ("X509 CERTIFICATE", self.x509_header_ca()),
                           ("TRUSTED CERTIFICATE", self.trusted_ca())):
            with self.subTest(pem=name):
                tool = self.server_verdict(["--ca", path])
                node = self.node_server_verdict({"ca": [path]})
                self.assertEqual(tool["authorized"], node["authorized"])
                self.assertEqual(tool["authorizationError"], node["authorizationError"])
                self.assertTrue(tool["authorized"], tool)

    CLIENT_CERT = ("-cert", pki("client.pem"), "-key", pki("client.key"), "-cert_chain", pki("int.pem"))

    def server_verdict(self, trust_args):
        srv, port = self.tool_server("--key", pki("server.key"), "--cert", pki("server-chain.pem"),
                                     "--request-cert", "--insecure", *trust_args)
        self.s_client(port, *self.CLIENT_CERT)
        return self.assert_secure(self.tool_finish(srv))

    def node_server_verdict(self, files):
        files = dict(files, key=[pki("server.key")], cert=[pki("server-chain.pem")])
        srv, port = self.node_server({"opts": {"requestCert": True, "rejectUnauthorized": False},
                                      "files": files})
        self.s_client(port, *self.CLIENT_CERT)
        srv.wait()
        node = first(json_lines(srv.out), "secure")
        self.assertIsNotNone(node, srv.describe())
        return node

    # ---- CRLs

    def crl(self, name, issuer, revoked=()):
        tmpl = self.tmp(f"{name}.tmpl", b"crl_next_update = 30\ncrl_number = 7\n")
        path = self.tmp(f"{name}.pem")
        argv = [env_path("TLSPLUG_CERTTOOL"), "--generate-crl", "--load-ca-privkey", pki(f"{issuer}.key"),
                "--load-ca-certificate", pki(f"{issuer}.pem"), "--template", tmpl, "--outfile", path]
        if revoked:
            argv += ["--load-certificate", self.concat(f"{name}-revoked.pem",
                                                       *[pki(c) for c in revoked])]
        self.run_cmd(argv)
        return path

    def test_crl_revokes_the_server(self):
        crls = [self.crl("int-crl", "int", ["server.pem"]), self.crl("root-crl", "ca")]
        node, tool = self.verdicts([pki("ca.pem")], crl_files=crls)
        self.assert_same_verdict(node, tool)
        self.assertEqual(tool["authorizationError"], "CERT_REVOKED")
        node, tool = self.verdicts([pki("ca.pem")], crl_files=crls, insecure=False)
        self.assert_same_verdict(node, tool)
        self.assertEqual(tool["code"], "CERT_REVOKED")

    def test_crl_listing_another_certificate(self):
        crls = [self.crl("int-crl", "int", ["client.pem"]), self.crl("root-crl", "ca")]
        node, tool = self.verdicts([pki("ca.pem")], crl_files=crls)
        self.assert_same_verdict(node, tool)
        self.assertTrue(tool["authorized"])

    def test_crl_missing_for_part_of_the_chain(self):
        # Node checks every certificate of the chain once any crl is given.
        crls = [self.crl("int-crl", "int", ["client.pem"])]
        node, tool = self.verdicts([pki("ca.pem")], crl_files=crls)
        self.assert_same_verdict(node, tool)
        self.assertEqual(tool["authorizationError"], "UNABLE_TO_GET_CRL")

    def test_crl_on_the_server_revokes_a_client(self):
        crls = [self.crl("int-crl", "int", ["client.pem"]), self.crl("root-crl", "ca")]
        tool = self.server_verdict(["--ca", pki("ca.pem"), "--crl", crls[0], "--crl", crls[1]])
        node = self.node_server_verdict({"ca": [pki("ca.pem")], "crl": crls})
        self.assertEqual(tool["authorized"], node["authorized"])
        self.assertEqual(tool["authorizationError"], node["authorizationError"])
        self.assertEqual(tool["authorizationError"], "CERT_REVOKED")

    def test_crl_not_pem_refused(self):
        e = self.tool_options_refused("client", "--crl", pki("ca.pem"))
        self.assertEqual(e["status"], "TLSPLUG_E_CREDENTIALS")
        self.assertEqual(e["option"], "--crl")


if __name__ == "__main__":
    unittest.main()
