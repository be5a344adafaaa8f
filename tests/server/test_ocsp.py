"""OCSP stapling on a real tls.Server: a real OCSP response for server.pem,
signed by the test intermediate with `openssl ocsp`, answered to the
OCSPRequest event a few ms later; openssl s_client -status prints exactly
that response, Node's client (requestOCSP) gets it byte for byte; a client
that does not ask raises no OCSPRequest."""
import base64
import os
import re
import subprocess
import tempfile
import unittest

from server_support import ToolTest, OPENSSL, WAIT, pki, s_client, node_client, first


def run(*args, **kw):
    return subprocess.run([OPENSSL] + list(args), capture_output=True, text=True, timeout=WAIT,
                          check=True, **kw).stdout


class OcspTest(ToolTest):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        d = cls.tmp.name
        serial = run("x509", "-in", pki("server.pem"), "-noout", "-serial").strip().split("=")[1]
        subject = run("x509", "-in", pki("server.pem"), "-noout", "-subject", "-nameopt",
                      "compat").strip().split("=", 1)[1]
        index = os.path.join(d, "index.txt")
        with open(index, "w") as f:  # expiry far ahead: only the status matters here
            f.write("V\t491231235959Z\t\t%s\tunknown\t%s\n" % (serial, subject))
        req = os.path.join(d, "req.der")
        cls.resp = os.path.join(d, "resp.der")
        run("ocsp", "-issuer", pki("int.pem"), "-cert", pki("server.pem"), "-reqout", req,
            "-no_nonce")
        run("ocsp", "-index", index, "-rsigner", pki("int.pem"), "-rkey", pki("int.key"), "-CA",
            pki("int.pem"), "-reqin", req, "-respout", cls.resp, "-ndays", "1")
        with open(cls.resp, "rb") as f:
            cls.resp_bytes = f.read()
        # What openssl says the response is, to compare s_client's print with.
        text = run("ocsp", "-respin", cls.resp, "-resp_text", "-noverify")
        cls.resp_text = text[text.index("OCSP Response Data:"):]
        assert "Cert Status: good" in cls.resp_text, text
        assert serial in cls.resp_text

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def stapled_text(self, out):
        m = re.search(r"OCSP response: \n=+\n(.*?)\n=+\n", out, re.S)
        self.assertIsNotNone(m, out)
        return m.group(1)

    def test_s_client_status(self):
        tool = self.tool(*self.default_args(), "--ocsp-response", self.resp,
                         "--max-connections", "2")
        for version in ("-tls1_3", "-tls1_2"):
            rc, out = s_client(tool.port, "-status", version)
            self.assertEqual(rc, 0, out)
            text = self.stapled_text(out)
            self.assertTrue(self.resp_text.startswith(text.rstrip("\n")),
                            "s_client:\n%s\nopenssl ocsp:\n%s" % (text, self.resp_text))
            self.assertIn("Cert Status: good", text)
            conn = tool.connection()
            self.assertTrue(conn["secure"])
            self.assertEqual(conn["ocspRequests"], 1)
        tool.finish()

    def test_node_byte_for_byte(self):
        tool = self.tool(*self.default_args(), "--ocsp-response", self.resp,
                         "--max-connections", "2")
        for version in ("TLSv1.3", "TLSv1.2"):
            ev = node_client(tool.port, requestOCSP=True, minVersion=version, maxVersion=version)
            got = first(ev, "OCSPResponse")
            self.assertIsNotNone(got, ev)
            self.assertEqual(base64.b64decode(got["response"]), self.resp_bytes)
            self.assertIsNotNone(first(ev, "secureConnect"), ev)
            self.assertEqual(tool.connection()["ocspRequests"], 1)
        tool.finish()

    def test_no_status_request(self):
        tool = self.tool(*self.default_args(), "--ocsp-response", self.resp)
        rc, out = s_client(tool.port)
        self.assertEqual(rc, 0, out)
        self.assertNotIn("OCSP Response Data:", out)
        conn = tool.connection()
        self.assertTrue(conn["secure"])
        self.assertEqual(conn["ocspRequests"], 0)
        self.assertNotIn("OCSPRequest", conn["events"])
        tool.finish()


if __name__ == "__main__":
    unittest.main()
