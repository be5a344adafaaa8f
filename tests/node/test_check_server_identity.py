"""Port of Node's test/parallel/tls/check-server-identity.js: a table of
(host, certificate) cases for tls.checkServerIdentity(), each answering
no error or an error whose `reason` names the host and the certificate's
names (CN only when there is no DNS altname, wildcards only as a whole
left-most label or a part of it, no IP in a CN or a DNS altname, no CIDR,
IDNA A-labels not wildcarded).

Node's table gives each certificate as a bare object ({subject, CN,
subjectaltname}); tlsplug checks the names of a real certificate (its DER,
the `raw` field). So every row's certificate is made here with openssl,
and live node checks the host twice, against the row's bare object and
against the legacy object of the made certificate: the two must agree
(the certificate stands for the row), and then tlsplug must give node's
answer: no error, or the same code, `reason` and `message`.

Node turns any host into a string ('' + host: false, null, undefined);
the binding takes a str only and raises TypeError with Node's
ERR_INVALID_ARG_TYPE for anything else (docs/NODE_MAP.md), so those rows
are checked with the string node made of the value."""
import json
import os
import subprocess
import tempfile
import unittest

from nodeport import OPENSSL, node_eval
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

# The JavaScript values node stringifies, and the strings that stand for
# them on the binding's side.
NOT_STRINGS = {"<false>": "false", "<null>": "null", "<undefined>": "undefined"}

# (host, subject, subjectaltname) as Node's rows; subject None is a row
# without one. The certificate for 'IP Address:8.8.8.0/24' carries an
# eight-byte iPAddress (address and mask), which only DER can say.
ROWS = [
    ("<false>", {"CN": "a.com"}, None),
    ("<null>", {"CN": "a.com"}, None),
    ("<undefined>", {"CN": "a.com"}, None),
    ("a.com", {"CN": "a.com"}, None),
    ("a.com", {"CN": "A.COM"}, None),
    ("a.com", {"CN": "b.com"}, None),
    ("a.com", {"CN": "a.com."}, None),
    ("a.com", {"CN": ".a.com"}, None),
    ("8.8.8.8", {"CN": "8.8.8.8"}, None),
    ("8.8.8.8", {"CN": "8.8.8.8"}, "DNS:8.8.8.8"),
    ("8.8.8.8", {"CN": "8.8.8.8"}, "URI:http://8.8.8.8/"),
    ("8.8.8.8", {"CN": "8.8.8.8"}, "IP Address:8.8.8.8"),
    ("8.8.8.8", {"CN": "8.8.8.8"}, "IP Address:8.8.8.0/24"),
    ("b.a.com", {"CN": "*.a.com"}, None),
    ("ba.com", {"CN": "*.a.com"}, None),
    ("\n.b.com", {"CN": "*n.b.com"}, None),
    ("b.a.com", {"CN": "*.a.com"}, "DNS:omg.com"),
    ("b.a.com", {"CN": "b*b.a.com"}, None),
    ("a.com", None, None),
    ("a.com", None, "DNS:a.com"),
    ("a.b.a.com", None, "URI:http://a.b.a.com/"),
    ("foo.com", {"CN": ["foo.com", "bar.com"]}, None),
    ("a.com", {"CN": "b.com"}, "DNS:*"),
    ("a.com", {"CN": "b.com"}, "DNS:*.com"),
    ("a.co.uk", {"CN": "b.com"}, "DNS:*.co.uk"),
    ("a.com", {"CN": "a.com"}, "DNS:*.a.com"),
    ("a.com", {"CN": "b.com"}, "DNS:*.a.com"),
    ("a.com", {"CN": "b.com"}, "DNS:a.com"),
    ("a.com", {"CN": "b.com"}, "DNS:A.COM"),
    ("a.com", {}, "DNS:*.a.com"),
    ("b.a.com", {}, "DNS:*.a.com"),
    ("c.b.a.com", {}, "DNS:*.a.com"),
    ("b.a.com", {}, "DNS:*b.a.com"),
    ("a-cb.a.com", {}, "DNS:*b.a.com"),
    ("a.b.a.com", {}, "DNS:*b.a.com"),
    ("a.b.a.com", {}, "DNS:*b.a.com, DNS:a.b.a.com"),
    ("a.b.a.com", {}, "URI:http://a.b.a.com/"),
    ("a.b.a.com", {}, "URI:http://*.b.a.com/"),
    ("a.b.a.com", {}, "IP Address:127.0.0.1"),
    ("127.0.0.1", {}, "IP Address:127.0.0.1"),
    ("127.0.0.2", {}, "IP Address:127.0.0.1"),
    ("127.0.0.1", {}, "DNS:a.com"),
    ("localhost", {"CN": "localhost"}, "DNS:a.com"),
    ("xn--bcher-kva.example.com", {"CN": "*.example.com"}, None),
    ("xn--bcher-kva.example.com", {"CN": "xn--*.example.com"}, None),
]

NODE = """
const {X509Certificate} = require('crypto');
const asHost = {'<false>': false, '<null>': null, '<undefined>': undefined};
const answer = (e) => e ? {code: e.code, reason: e.reason, message: e.message} : null;
const out = [];
for (const [host, subject, san, pemFile] of %s) {
  const h = host in asHost ? asHost[host] : host;
  const bare = {};
  if (subject !== null) bare.subject = subject;
  if (san !== null) bare.subjectaltname = san;
  const made = new X509Certificate(fs.readFileSync(pemFile)).toLegacyObject();
  out.push({bare: answer(tls.checkServerIdentity(h, bare)),
            made: answer(tls.checkServerIdentity(h, made)),
            host: '' + h});
}
// A host holding a NUL byte, against the first row's certificate (CN a.com).
const nul = tls.checkServerIdentity('a.com\\0.evil.example', {subject: {CN: 'a.com'}});
report({rows: out, nul: nul && nul.code});
"""


def _dn_lines(subject):
    """openssl.cnf [dn] lines: the row's CNs, or a name without one."""
    cns = (subject or {}).get("CN")
    if cns is None:
        return ["O = no common name"]
    cns = cns if isinstance(cns, list) else [cns]
    return [f"{i}.CN = {cn}" for i, cn in enumerate(cns)]


def _san_lines(san):
    """openssl.cnf lines for the row's subjectaltname, as raw DER where the
    value is an address with a mask."""
    if san is None:
        return []
    if san == "IP Address:8.8.8.0/24":
        return ["subjectAltName = ASN1:SEQUENCE:san", "[san]",
                "ip = IMPLICIT:7,FORMAT:HEX,OCTETSTRING:08080800ffffff00"]
    return ["subjectAltName = " + san.replace("IP Address:", "IP:")]


@unittest.skipUnless(OPENSSL, "openssl is not installed (TLSPLUG_OPENSSL)")
class CheckServerIdentity(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        key = os.path.join(cls.tmp.name, "k.pem")
        subprocess.run([OPENSSL, "genpkey", "-algorithm", "EC", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-out", key],
                       check=True, capture_output=True, timeout=30)
        cls.pems = [cls._make(key, i, subject, san) for i, (_, subject, san) in enumerate(ROWS)]
        cls.answers = node_eval(NODE % json.dumps([list(r) + [p] for r, p in zip(ROWS, cls.pems)]))
        cls.node = cls.answers["rows"]

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    @classmethod
    def _make(cls, key, i, subject, san):
        cnf, pem = (os.path.join(cls.tmp.name, f"{i}.{x}") for x in ("cnf", "pem"))
        with open(cnf, "w") as f:
            f.write("\n".join(["[req]", "distinguished_name = dn", "prompt = no", "[dn]"]
                              + _dn_lines(subject) + ["[ext]"] + _san_lines(san)) + "\n")
        subprocess.run([OPENSSL, "req", "-x509", "-new", "-key", key, "-config", cnf,
                        "-extensions", "ext", "-days", "2", "-out", pem],
                       check=True, capture_output=True, timeout=30)
        return pem

    def test_every_row_answers_as_node(self):
        self.assertEqual(len(self.node), len(ROWS))
        mismatches = 0
        for (host, subject, san), pem, want in zip(ROWS, self.pems, self.node):
            with self.subTest(host=host, subject=subject, san=san):
                # The made certificate stands for Node's bare object.
                self.assertEqual(want["made"], want["bare"])
                with open(pem, "rb") as f:
                    cert = tlsplug.X509Certificate(f.read()).to_legacy_object()
                err = tlsplug.check_server_identity(NOT_STRINGS.get(host, host), cert)
                self.assertEqual(want["host"], NOT_STRINGS.get(host, host))
                if want["made"] is None:
                    self.assertIsNone(err)
                    continue
                mismatches += 1
                self.assertIsInstance(err, tlsplug.TLSCertVerificationError)
                self.assertEqual({"code": err.code, "reason": err.reason, "message": err.message},
                                 want["made"])
                self.assertIs(err.cert, cert)
        # Node's table has both kinds of rows; neither may be empty.
        self.assertTrue(0 < mismatches < len(ROWS))

    def test_a_host_that_is_not_a_string_is_a_type_error(self):
        with open(self.pems[0], "rb") as f:
            cert = tlsplug.X509Certificate(f.read()).to_legacy_object()
        for host in (None, False, 5):
            with self.subTest(host=host):
                with self.assertRaises(TypeError) as cm:
                    tlsplug.check_server_identity(host, cert)
                self.assertEqual(cm.exception.code, "ERR_INVALID_ARG_TYPE")
        with self.assertRaises(TypeError) as cm:
            tlsplug.check_server_identity("a.com", {"subject": {"CN": "a.com"}})
        self.assertEqual(cm.exception.code, "ERR_INVALID_ARG_TYPE")

    def test_a_host_with_a_nul_byte_never_matches(self):
        # Node compares the whole string: no match. C would see only the
        # part before the NUL (a match), so the binding refuses such a host.
        self.assertEqual(self.answers["nul"], "ERR_TLS_CERT_ALTNAME_INVALID")
        with open(self.pems[0], "rb") as f:
            cert = tlsplug.X509Certificate(f.read()).to_legacy_object()
        self.assertIsNone(tlsplug.check_server_identity("a.com", cert))
        with self.assertRaises(ValueError) as cm:
            tlsplug.check_server_identity("a.com\0.evil.example", cert)
        self.assertEqual(cm.exception.code, "ERR_INVALID_ARG_VALUE")


if __name__ == "__main__":
    unittest.main()
