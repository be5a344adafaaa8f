"""Port of Node's test/parallel/tls/invalid-pfx.js (newest tree): a PKCS#12
bundle holding a certificate but no private key is refused with Node's
"Unable to load private key from PFX data". The bundle is made by openssl
from the test PKI."""
import unittest

from nodeport import node_eval
from nodeport_ports3 import make_pfx
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
try { tls.createSecureContext({pfx: fs.readFileSync(%r), passphrase: 'test'});
      report({thrown: false}); }
catch (e) { report({thrown: true, message: e.message}); }
"""


class InvalidPfx(unittest.TestCase):
    def test_pfx_without_key_is_refused(self):
        path = make_pfx(self, cert="server.pem", password="test")
        want = node_eval(NODE % path)
        self.assertTrue(want["thrown"], want)
        with open(path, "rb") as f:
            der = f.read()
        with self.assertRaises(tlsplug.TLSError) as caught:
            tlsplug.create_secure_context(pfx=der, passphrase="test")
        self.assertEqual(caught.exception.message, want["message"])
        # The client of Node's file: connect() with it fails the same way.
        with self.assertRaises(tlsplug.TLSError) as caught:
            tlsplug.connect(1, "127.0.0.1", pfx=der, passphrase="test",
                            reject_unauthorized=False)
        self.assertEqual(caught.exception.message, want["message"])


if __name__ == "__main__":
    unittest.main()
