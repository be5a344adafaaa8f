"""The C conveniences on the wire: credentials loaded by path
(tlsplug_context_add_{key,cert,ca,crl,pfx}_file), ALPN given as a
comma-separated list (tlsplug_socket_set_alpn_list), and a key that does
not match its certificate refused as it is added. Every refusal's code
comes from Node in the same run (node_peer.js reads the same files with
fs.readFileSync and calls tls.createSecureContext)."""

import base64
import json
import os
import subprocess
import unittest

from options_support import OptionsCase, env_path, first, pem_der, pki


class Files(OptionsCase):
    def assert_serves(self, want_pem, *server_args, client=("-tls1_3",)):
        """A tls_tool server with these options serves want_pem, and
        openssl s_client verifies its chain."""
        srv, port = self.tool_server(*server_args)
        _, text = self.s_client(port, *client)
        s = self.assert_secure(self.tool_finish(srv), f"server {server_args}")
        self.assertIn("Verify return code: 0 (ok)", text)
        self.assertEqual(base64.b64decode(s["certificate"]["raw"]), pem_der(pki(want_pem)))

    def node_refusal(self, files, opts=None):
        """Node's context-error for createSecureContext over these files."""
        events, p = self.node("context", {"opts": opts or {}, "files": files})
        e = first(events, "context-error")
        self.assertIsNotNone(e, f"Node accepted {files}\n{p.describe()}")
        return e

    # ---- loading by path

    def test_key_and_chain_by_path(self):
        for key, chain, leaf in (("server.key", "server-chain.pem", "server.pem"),
                                 ("server-ec.key", "server-ec-chain.pem", "server-ec.pem")):
            with self.subTest(key=key):
                self.assert_serves(leaf, "--cert-file", pki(chain), "--key-file", pki(key))

    def test_encrypted_key_by_path(self):
        self.assert_serves("server.pem", "--cert-file", pki("server-chain.pem"),
                           "--key-file", pki("server-enc.key"), "--passphrase", "secret")

    def test_pfx_by_path(self):
        pfx = self.tmp("server.pfx")
        self.run_cmd([env_path("TLSPLUG_OPENSSL"), "pkcs12", "-export", "-inkey", pki("server.key"),
                      "-in", pki("server-chain.pem"), "-passout", "pass:secret", "-out", pfx])
        self.assert_serves("server.pem", "--pfx-file", pfx, "--passphrase", "secret")

    def revoking_crls(self):
        """The intermediate's CRL listing server.pem and the root's empty one."""
        paths = []
        for issuer, revoked in (("int", "server.pem"), ("ca", None)):
            tmpl = self.tmp(f"{issuer}.tmpl", b"crl_next_update = 30\ncrl_number = 3\n")
            path = self.tmp(f"{issuer}-crl.pem")
            argv = [env_path("TLSPLUG_CERTTOOL"), "--generate-crl", "--load-ca-privkey",
                    pki(f"{issuer}.key"), "--load-ca-certificate", pki(f"{issuer}.pem"),
                    "--template", tmpl, "--outfile", path]
            if revoked:
                argv += ["--load-certificate", pki(revoked)]
            self.run_cmd(argv)
            paths.append(path)
        return paths

    def test_ca_and_crl_by_path_give_nodes_verdict(self):
        crls = self.revoking_crls()
        for ca_only in (True, False):
            with self.subTest(crl=not ca_only):
                srv, port = self.s_server(naccept=2)
                files = {"ca": [pki("ca.pem")], "crl": [] if ca_only else crls}
                events, p = self.node("client", {"port": port, "opts": {"rejectUnauthorized": False},
                                                 "files": files})
                node = first(events, "secure")
                self.assertIsNotNone(node, p.describe())
                args = ["--ca-file", pki("ca.pem"), "--insecure"]
                for crl in files["crl"]:
                    args += ["--crl-file", crl]
                res = self.tool_client(port, *args)
                srv.kill()
                tool = res.secure()
                self.assertIsNotNone(tool, res.describe())
                self.assertEqual((tool["authorized"], tool["authorizationError"]),
                                 (node["authorized"], node["authorizationError"]))
                self.assertEqual(tool["authorized"], ca_only)

    # ---- files that cannot be used

    def test_unreadable_files_fail_as_readfilesync_throws(self):
        directory = os.path.dirname(self.tmp("probe", b""))
        missing = os.path.join(directory, "no-such-file.pem")
        for path in (missing, directory):
            for option in ("key", "cert", "ca", "crl", "pfx"):
                with self.subTest(path=path, option=option):
                    node = self.node_refusal({option: [path]})
                    e = self.tool_options_refused("server", f"--{option}-file", path)
                    self.assertEqual(e["option"], f"--{option}-file")
                    self.assertEqual(e["status"], "TLSPLUG_E_CREDENTIALS")
                    self.assertEqual((e["code"], e["message"]), (node["code"], node["message"]))

    def test_endless_file_is_refused_not_read_forever(self):
        # Node would read /dev/zero until its 2 GiB limit; the library stops
        # at 64 MiB with Node's code for a file too large.
        e = self.tool_options_refused("server", "--cert-file", "/dev/zero")
        self.assertEqual((e["status"], e["code"]), ("TLSPLUG_E_CREDENTIALS", "ERR_FS_FILE_TOO_LARGE"))

    def test_files_that_are_not_pem(self):
        junk = self.tmp("junk.pem", b"this is not a PEM file\n")
        for option in ("key", "cert", "crl"):
            with self.subTest(option=option):
                node = self.node_refusal({option: [junk]})
                e = self.tool_options_refused("server", f"--{option}-file", junk)
                self.assertEqual(e["status"], "TLSPLUG_E_CREDENTIALS")
                self.assertEqual(e["code"], node["code"])

    # ---- key and certificate that do not belong together

    def test_mismatched_key_refused_as_it_is_added(self):
        # Node sets cert before key, and the key is checked against the
        # certificate of its type: createSecureContext throws.
        node = self.node_refusal({"cert": [pki("server.pem")], "key": [pki("client.key")]})
        for args in (("--cert-file", pki("server.pem"), "--key-file", pki("client.key")),
                     ("--cert", pki("server.pem"), "--key", pki("client.key")),
                     ("--key", pki("client.key"), "--cert", pki("server.pem"))):
            with self.subTest(args=args):
                e = self.tool_options_refused("server", *args)
                self.assertEqual(e["option"], args[2], "refused by the call adding the second half")
                self.assertEqual(e["status"], "TLSPLUG_E_CREDENTIALS")
                self.assertEqual(e["code"], node["code"])

    def test_two_pairs_in_any_order_still_pair(self):
        rsa = ("--key-file", pki("server.key"), "--cert-file", pki("server-chain.pem"))
        ec = ("--cert-file", pki("server-ec-chain.pem"), "--key-file", pki("server-ec.key"))
        for sigalg, leaf in (("ecdsa_secp256r1_sha256", "server-ec.pem"),
                             ("rsa_pss_rsae_sha256", "server.pem")):
            with self.subTest(sigalg=sigalg):
                self.assert_serves(leaf, *rsa, *ec, client=("-tls1_3", "-sigalgs", sigalg))

    # ---- ALPN as a list

    def alpn_pair(self, server_list, client_protocols):
        """(tlsplug server's alpnProtocol, Node server's) for a Node client."""
        got = []
        srv, port = self.tool_server("--key", pki("server.key"), "--cert", pki("server-chain.pem"),
                                     "--alpn", server_list)
        events, p = self.node("client", {"port": port, "files": {"ca": [pki("ca.pem")]},
                                         "opts": {"servername": "localhost",
                                                  "ALPNProtocols": client_protocols}})
        s = self.tool_finish(srv).secure()
        self.assertIsNotNone(s, p.describe())
        self.assertEqual(s["alpnProtocol"], (first(events, "secure") or {}).get("alpnProtocol"))
        got.append(s["alpnProtocol"])
        names = [n.strip() for n in server_list.split(",")]
        srv, port = self.node_server({"opts": {"ALPNProtocols": names},
                                      "files": {"key": [pki("server.key")],
                                                "cert": [pki("server-chain.pem")]}})
        events, p = self.node("client", {"port": port, "files": {"ca": [pki("ca.pem")]},
                                         "opts": {"servername": "localhost",
                                                  "ALPNProtocols": client_protocols}})
        node = first(events, "secure")
        self.assertIsNotNone(node, p.describe())
        got.append(node["alpnProtocol"])
        return got

    def test_alpn_list_negotiates_as_nodes_array(self):
        for server_list, client in (("h2,http/1.1", ["http/1.1", "h2"]),
                                    ("h2, http/1.1", ["http/1.1"]),
                                    ("\thttp/1.1 ,h2", ["h2", "http/1.1"])):
            with self.subTest(server=server_list, client=client):
                tool, node = self.alpn_pair(server_list, client)
                self.assertIsNotNone(tool)
                self.assertEqual(tool, node)

    def test_alpn_list_refusals(self):
        # Node's refusal of a name over 255 bytes, from the same run.
        js = ("try { require('tls').createServer({ALPNProtocols: ['x'.repeat(256)]}); }"
              " catch (e) { console.log(JSON.stringify({code: e.code, message: e.message})); }")
        cp = subprocess.run([env_path("TLSPLUG_NODE"), "-e", js], capture_output=True, timeout=30)
        node = json.loads(cp.stdout)
        e = self.tool_options_refused("client", "--alpn", "h2," + "x" * 256)
        self.assertEqual((e["option"], e["status"], e["code"]), ("--alpn", "TLSPLUG_E_INVAL", node["code"]))
        self.assertEqual(e["message"], node["message"].replace("index 0", "index 1"))
        # Node takes an empty name and sends no usable list; tlsplug refuses
        # it (docs/NODE_MAP.md).
        for bad in ("h2,,http/1.1", "", " , h2"):
            with self.subTest(bad=bad):
                e = self.tool_options_refused("client", "--alpn", bad)
                self.assertEqual((e["option"], e["status"], e["code"]),
                                 ("--alpn", "TLSPLUG_E_INVAL", "ERR_INVALID_ARG_VALUE"))

if __name__ == "__main__":
    unittest.main()
