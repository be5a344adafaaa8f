"""Port of Node's test/parallel/tls/reduced-SECLEVEL-in-cipher.js: node
refuses to create a server whose own RSA key is too small for OpenSSL's
default security level ("ee key too small"), and takes it once `ciphers`
ends in @SECLEVEL=0. tlsplug has no security levels (GnuTLS checks the
size of the peer's keys, not its own): it takes the small key with either
string, a recorded deviation asserted beside node's answers."""
import base64
import json
import unittest

from nodeport import LoopTestCase, node_eval
from nodeport_ports4 import self_signed
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

CIPHERS = ["DEFAULT", "DEFAULT:@SECLEVEL=0"]

NODE = """
const key = Buffer.from('%s', 'base64'), cert = Buffer.from('%s', 'base64');
report(%s.map(ciphers => {
  try { tls.createServer({key, cert, ciphers}); return null; }
  catch (e) { return {code: e.code, message: e.message}; }
}));
"""


class ReducedSeclevel(LoopTestCase):
    def test_small_key_and_seclevel(self):
        key, cert = self_signed(self, "/CN=small", ("rsa:512",))
        b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
        want = node_eval(NODE % (b64(key), b64(cert), json.dumps(CIPHERS)))
        self.assertRegex(want[0]["message"], r"(?i)key too small")
        self.assertIsNone(want[1])
        # Deviation (docs/NODE_MAP.md, "A server's own small key is taken"):
        # both strings make a server.
        for ciphers in CIPHERS:
            with self.subTest(ciphers=ciphers):
                server = tlsplug.create_server({"key": key, "cert": cert, "ciphers": ciphers})
                self.assertFalse(server.listening)


if __name__ == "__main__":
    unittest.main()
