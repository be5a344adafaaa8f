"""Port of Node's test/parallel/tls/0-dns-altname.js: a certificate whose
first DNS subjectAltName holds a NUL byte ("good.example.org\\0.evil...")
is shown in getPeerCertificate().subjectaltname with that name quoted and
the NUL escaped, so it cannot pass for another name, beside the ordinary
DNS and IP entries; the connection still carries data. The certificate is
made here with openssl (the test PKI has no such name); the expected
string comes from live node reading the same certificate."""
import json
import os
import subprocess
import tempfile
import unittest

from nodeport import OPENSSL, LoopTestCase, close_server, listening_server, node_eval, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

# [2] IMPLICIT OCTET STRING encodes as a dNSName would, so the name can
# carry a NUL byte that openssl's IA5STRING input refuses.
CONFIG = """[req]
distinguished_name = dn
prompt = no
[dn]
CN = evil.example.com
[ext]
subjectAltName = ASN1:SEQUENCE:san
[san]
d1 = IMPLICIT:2,FORMAT:HEX,OCTETSTRING:%s
d2 = IMPLICIT:2,IA5STRING:just-another.example.com
i1 = IMPLICIT:7,FORMAT:HEX,OCTETSTRING:08080808
i2 = IMPLICIT:7,FORMAT:HEX,OCTETSTRING:08080404
d3 = IMPLICIT:2,IA5STRING:last.example.com
""" % b"good.example.org\0.evil.example.com".hex()

NODE = """
const o = %s;
const server = tls.createServer({key: fs.readFileSync(o.key), cert: fs.readFileSync(o.cert)}, (s) => {
  s.once('data', (d) => { s.destroy(); server.close(); report({san, data: String(d)}); });
});
let san;
server.listen(0, '127.0.0.1', () => {
  const c = tls.connect({port: server.address().port, host: '127.0.0.1', rejectUnauthorized: false}, () => {
    san = c.getPeerCertificate().subjectaltname;
    c.write('ok');
  });
});
"""


@unittest.skipUnless(OPENSSL, "openssl is not installed (TLSPLUG_OPENSSL)")
class DnsAltnameWithNul(LoopTestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        cnf, self.key, self.cert = (os.path.join(tmp.name, n) for n in ("c.cnf", "k.pem", "c.pem"))
        with open(cnf, "w") as f:
            f.write(CONFIG)
        subprocess.run([OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-keyout", self.key, "-out", self.cert,
                        "-days", "2", "-config", cnf, "-extensions", "ext"],
                       check=True, capture_output=True, timeout=30)

    def test_nul_in_dns_name_is_escaped(self):
        want = node_eval(NODE % json.dumps({"key": self.key, "cert": self.cert}))
        self.assertIn("\\u0000", want["san"])  # the oracle escaped the NUL
        got, data = {}, []

        def on_conn(sock):
            sock.once("data", lambda d: (data.append(d.decode()), sock.destroy()))

        with open(self.key, "rb") as k, open(self.cert, "rb") as c:
            server, port = listening_server(self, {"key": k.read(), "cert": c.read()}, listener=on_conn)

        def on_secure():
            got["san"] = client.get_peer_certificate()["subjectaltname"]
            client.write("ok")

        client = tlsplug.connect(port, "127.0.0.1", reject_unauthorized=False, on_secure_connect=on_secure)
        run_until(self, lambda: data, what="server data")
        self.assertEqual({"san": got["san"], "data": data[0]}, want)
        client.destroy()
        close_server(self, server)


if __name__ == "__main__":
    unittest.main()
