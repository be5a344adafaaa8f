"""Port of Node's test/parallel/tls/dhe.js: a TLS 1.2 server offering
DHE-RSA-AES128-SHA256 and ECDHE-RSA-AES128-SHA256 does DHE only with
`dhparam` (openssl s_client reports the cipher and the server's DH key
size as node's server gives them, for the same parameters, in the same
run), and parameters under 1024 bits are refused with node's message.

Deviations (docs/NODE_MAP.md): to a client that names RFC 7919 groups
(OpenSSL 3's s_client does when it offers TLS 1.3) GnuTLS uses such a group
in place of a custom `dhparam` prime, so s_client reads a 2048-bit DH key
where node's 1024-bit prime gives 1024 (a TLS 1.2-only s_client reads
node's value from both); dhparam 'auto' is refused (Node picks a
well-known group matching the certificate), and parameters that cannot be
read are an error where node ignores them."""
import os
import subprocess
import tempfile
import unittest

import nodeport
from nodeport import LoopTestCase, close_server, listening_server, node_eval
from nodeport_ports2 import node_s_client, s_client
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

CIPHERS = "DHE-RSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256"
S_CLIENT = ("-cipher", CIPHERS + ":@SECLEVEL=1")
GARBAGE = b"-----BEGIN DH PARAMETERS-----\nnot parameters\n-----END DH PARAMETERS-----\n"


def make_params(tmp: str, bits: int) -> bytes:
    """DH parameters from openssl (a live tool): a fresh prime for 512 and
    1024 bits, RFC 7919's ffdhe2048 for 2048 (instant)."""
    path = os.path.join(tmp, f"dh{bits}.pem")
    if bits == 2048:
        args = ["genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "group:ffdhe2048", "-out", path]
    else:
        args = ["dhparam", "-out", path, str(bits)]
    subprocess.run([nodeport.OPENSSL, *args], check=True, capture_output=True, timeout=60)
    with open(path, "rb") as f:
        return f.read()


def node_server_js(dhparam_js: str) -> str:
    return (f"const s = tls.createServer({{key: pem('server.key'), cert: pem('server-chain.pem'), "
            f"ciphers: '{CIPHERS}', maxVersion: 'TLSv1.2', dhparam: {dhparam_js}}}, (c) => c.end());")


class Dhe(LoopTestCase):
    @classmethod
    def setUpClass(cls):
        if not nodeport.OPENSSL:
            raise unittest.SkipTest("openssl is not installed")
        cls.tmp = tempfile.TemporaryDirectory()
        cls.params = {bits: make_params(cls.tmp.name, bits) for bits in (512, 1024, 2048)}

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def tlsplug_s_client(self, dhparam, *more):
        server, port = listening_server(self, {"ciphers": CIPHERS, "max_version": "TLSv1.2",
                                               "dhparam": dhparam}, listener=lambda c: c.end())
        try:
            return s_client(self, port, *S_CLIENT, *more)
        finally:
            close_server(self, server)

    def test_dhe_only_with_dhparam(self):
        for name, dhparam, js in (("none", None, "undefined"),
                                  ("1024", self.params[1024], "fs.readFileSync(%r)"),
                                  ("2048", self.params[2048], "fs.readFileSync(%r)")):
            with self.subTest(dhparam=name):
                if "%r" in js:
                    js = js % os.path.join(self.tmp.name, f"dh{name}.pem")
                want = node_s_client(self, node_server_js(js), *S_CLIENT)
                self.assertEqual(want["exit"], 0, want)
                got = self.tlsplug_s_client(dhparam)
                if name == "1024":  # the RFC 7919 deviation, side by side
                    self.assertEqual(want["tempKey"], "DH, 1024 bits")  # node's own assertion
                    self.assertEqual(got, dict(want, tempKey="DH, 2048 bits"))
                    want = node_s_client(self, node_server_js(js), *S_CLIENT, "-tls1_2")
                    got = self.tlsplug_s_client(dhparam, "-tls1_2")
                self.assertEqual(got, want)

    def test_small_parameters_refused(self):
        path = os.path.join(self.tmp.name, "dh512.pem")
        want = node_eval(f"try {{ tls.createServer({{dhparam: fs.readFileSync({path!r})}}); report(null); }}"
                         "catch (e) { report(e.message); }")
        self.assertIn("DH parameter is less than 1024 bits", want)  # node's own assertion
        with self.assertRaises(tlsplug.TLSError) as cm:
            tlsplug.create_server({"dhparam": self.params[512]})
        self.assertEqual(cm.exception.message, want)

    def test_auto_and_unreadable_are_errors(self):
        # node: 'auto' does DHE, unreadable parameters fall back to ECDHE.
        auto = node_s_client(self, node_server_js("'auto'"), *S_CLIENT)
        self.assertEqual(auto["cipher"], "DHE-RSA-AES128-SHA256")
        junk = node_s_client(self, node_server_js(repr(GARBAGE.decode())), *S_CLIENT)
        self.assertEqual(junk["cipher"], "ECDHE-RSA-AES128-SHA256")
        for dhparam in ("auto", GARBAGE):
            with self.subTest(dhparam=dhparam), self.assertRaises(tlsplug.TLSError) as cm:
                tlsplug.create_server({"dhparam": dhparam})
            self.assertEqual(cm.exception.code, "ERR_INVALID_ARG_VALUE")


if __name__ == "__main__":
    unittest.main()
