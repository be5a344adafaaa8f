"""Port of Node's test/parallel/tls/cert-ext-encoding.js: a certificate
whose subjectAltName holds a GeneralName of a kind no standard defines
(context tag [23] around "*.local.host") must not break a connection's
getPeerCertificate(). Node's file skips itself on OpenSSL 3; node v20
serves the certificate and reads it (subject, no subjectaltname), which is
checked here against openssl x509.

GnuTLS refuses the certificate whole: it parses the subjectAltName when it
imports a certificate, and an unknown GeneralName fails that parse
(certtool -i says so, and its reason is the oracle here). So tlsplug can
neither load it (createSecureContext raises with that reason) nor accept
it from a peer (the handshake fails with that reason and a bad_certificate
alert, which node's server reports): an error, never a crash, where Node
connects (docs/NODE_MAP.md). The same certificate with an ordinary
dNSName instead works, and its fields are openssl's."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from node_server import NodeServer
from nodeport import OPENSSL, LoopTestCase, close_server, listening_server, node_eval, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

CERTTOOL = shutil.which("certtool")

CONFIG = """[req]
distinguished_name = dn
prompt = no
[dn]
CN = local.host
[ext]
subjectAltName = %s
[san]
odd = IMPLICIT:23,IA5STRING:*.local.host
"""
ODD_SAN = "ASN1:SEQUENCE:san"  # a [23] GeneralName: no such CHOICE
PLAIN_SAN = "DNS:local.host"

NODE_READS = """
const o = %s;
const s = tls.createServer({key: fs.readFileSync(o.key), cert: fs.readFileSync(o.cert)}, (c) => c.end());
s.listen(0, '127.0.0.1', () => {
  const c = tls.connect({port: s.address().port, host: '127.0.0.1', rejectUnauthorized: false}, () => {
    const p = c.getPeerCertificate();
    c.end(); s.close();
    report({subject: p.subject, san: p.subjectaltname === undefined ? '<absent>' : p.subjectaltname,
            fingerprint256: p.fingerprint256});
  });
});
"""

NODE_SERVES = """
const o = %s;
const s = tls.createServer({key: fs.readFileSync(o.key), cert: fs.readFileSync(o.cert)}, (c) => {
  c.end(); report({secure: true});
});
s.on('tlsClientError', (e) => report({clientError: e.code}));
"""


@unittest.skipUnless(OPENSSL and CERTTOOL, "openssl or certtool is not installed")
class CertExtEncoding(LoopTestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.key = cls._path("k.pem")
        subprocess.run([OPENSSL, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-out", cls.key], check=True, capture_output=True, timeout=30)
        cls.odd, cls.plain = cls._cert("odd", ODD_SAN), cls._cert("plain", PLAIN_SAN)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    @classmethod
    def _path(cls, name):
        return os.path.join(cls.tmp.name, name)

    @classmethod
    def _cert(cls, name, san):
        cnf, pem = cls._path(name + ".cnf"), cls._path(name + ".pem")
        with open(cnf, "w") as f:
            f.write(CONFIG % san)
        subprocess.run([OPENSSL, "req", "-x509", "-new", "-key", cls.key, "-config", cnf,
                        "-extensions", "ext", "-days", "2", "-out", pem],
                       check=True, capture_output=True, timeout=30)
        return pem

    def _read(self, path):
        with open(path, "rb") as f:
            return f.read()

    def _openssl_fields(self, pem):
        """What openssl x509 reads: the subject's CN and the SHA-256 fingerprint."""
        out = subprocess.run([OPENSSL, "x509", "-in", pem, "-noout", "-subject", "-fingerprint",
                              "-sha256", "-nameopt", "multiline"],
                             check=True, capture_output=True, text=True, timeout=30).stdout
        return {"CN": re.search(r"commonName\s*=\s*(.+)", out).group(1).strip(),
                "fingerprint256": re.search(r"Fingerprint=(\S+)", out).group(1)}

    def _gnutls_refusal(self, pem):
        """certtool's reason for not importing `pem` (None when it does)."""
        r = subprocess.run([CERTTOOL, "-i", "--infile", pem], capture_output=True, text=True, timeout=30)
        m = re.search(r"import error: (.+)", r.stdout + r.stderr)
        return m and m.group(1).strip()

    def test_node_reads_the_certificate_as_openssl_does(self):
        want = self._openssl_fields(self.odd)
        got = node_eval(NODE_READS % json.dumps({"key": self.key, "cert": self.odd}))
        self.assertEqual({"CN": got["subject"]["CN"], "fingerprint256": got["fingerprint256"]}, want)
        self.assertIsNone(got["san"])  # node shows no altnames: the odd name is none

    def test_gnutls_refuses_it_and_tlsplug_says_why(self):
        reason = self._gnutls_refusal(self.odd)
        self.assertTrue(reason, "certtool imported the certificate")
        self.assertIsNone(self._gnutls_refusal(self.plain))
        with self.assertRaises(tlsplug.TLSError) as cm:
            tlsplug.create_secure_context(key=self._read(self.key), cert=self._read(self.odd))
        self.assertIn(reason, cm.exception.message)
        with self.assertRaises(tlsplug.TLSError):
            tlsplug.X509Certificate(self._read(self.odd))

    def test_a_peer_sending_it_fails_the_handshake_not_the_process(self):
        reason = self._gnutls_refusal(self.odd)
        with NodeServer(NODE_SERVES % json.dumps({"key": self.key, "cert": self.odd})) as node:
            ev = {}
            client = tlsplug.connect(node.port, "127.0.0.1", reject_unauthorized=False,
                                     on_secure_connect=lambda: ev.update(secure=True))
            client.on("error", lambda e: ev.update(code=e.code, message=e.message))
            client.on("close", lambda *a: ev.update(closed=True))
            run_until(self, lambda: ev.get("closed"), what="client close")
            seen = node.report()
        self.assertNotIn("secure", ev)
        self.assertTrue(ev["code"].startswith("ERR_SSL_"), ev)
        self.assertIn(reason, ev["message"])
        # What node's server was told: the alert for a certificate refused.
        self.assertEqual(seen, {"clientError": "ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE"})

    def test_with_an_ordinary_name_instead_the_fields_are_openssls(self):
        want = self._openssl_fields(self.plain)
        got = {}

        def on_secure():
            p = client.get_peer_certificate()
            got.update(CN=p["subject"]["CN"], fingerprint256=p["fingerprint256"],
                       san=p.get("subjectaltname"))
            client.end()

        server, port = listening_server(self, {"key": self._read(self.key), "cert": self._read(self.plain)},
                                        listener=lambda s: s.end())
        client = tlsplug.connect(port, "127.0.0.1", reject_unauthorized=False, on_secure_connect=on_secure)
        closed = []
        client.on("close", closed.append)
        run_until(self, lambda: closed, what="client close")
        close_server(self, server)
        self.assertEqual(got, dict(want, san="DNS:local.host"))


if __name__ == "__main__":
    unittest.main()
