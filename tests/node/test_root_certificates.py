"""Port of Node's test/parallel/tls/root-certificates.js
(test-tls-root-certificates.js): tls.rootCertificates is a non-empty
sequence of PEM strings, the same object on every access, immutable and
not reassignable, without duplicates, each from '-----BEGIN
CERTIFICATE-----\\n' to '\\n-----END CERTIFICATE-----'. Node's answers to
those questions are taken from live node; the certificates themselves are
the system's trust store (Node bundles Mozilla's), compared with what
OpenSSL's default paths load (Python's ssl module) in the same run."""
import base64
import ssl
import unittest

from nodeport import NODE, need_pki, node_eval
import tlsplug


@unittest.skipUnless(NODE, "node is not installed")
@need_pki
class RootCertificates(unittest.TestCase):
    def test_shape_as_node(self):
        theirs = node_eval(
            "const r=tls.rootCertificates;const t=f=>{try{f();return null}catch(e){return e.name}};"
            "report({seq:Array.isArray(r),nonEmpty:r.length>0,same:r===tls.rootCertificates,"
            "setItem:t(()=>{r[0]=0}),sort:t(()=>r.sort()),rebind:t(()=>{tls.rootCertificates=0}),"
            "unique:new Set(r).size===r.length,"
            "begin:r.every(s=>s.startsWith('-----BEGIN CERTIFICATE-----\\n')),"
            "end:r.every(s=>s.endsWith('\\n-----END CERTIFICATE-----'))})")
        r = tlsplug.root_certificates

        def raises(f):
            try:
                f()
            except (TypeError, AttributeError):
                return "TypeError"  # Node's TypeError; Python's read-only kinds
            return None

        def set_item():
            r[0] = 0

        def rebind():
            tlsplug.root_certificates = 0
        ours = {"seq": isinstance(r, tuple), "nonEmpty": len(r) > 0,
                "same": r is tlsplug.root_certificates, "setItem": raises(set_item),
                "sort": raises(lambda: r.sort()), "rebind": raises(rebind),
                "unique": len(set(r)) == len(r),
                "begin": all(s.startswith("-----BEGIN CERTIFICATE-----\n") for s in r),
                "end": all(s.endswith("\n-----END CERTIFICATE-----") for s in r)}
        self.assertEqual(ours, theirs)

    def test_the_system_store(self):
        ctx = ssl.create_default_context()
        expected = {bytes(c) for c in ctx.get_ca_certs(binary_form=True)}
        if not expected:
            self.skipTest("OpenSSL's default paths hold no certificates here")
        ours = {base64.b64decode("".join(s.splitlines()[1:-1])) for s in tlsplug.root_certificates}
        self.assertEqual(ours, expected)


if __name__ == "__main__":
    unittest.main()
