"""Port of Node's test/parallel/tls/set-ciphers-error.js: a server whose
`ciphers` names no suite at all (a lowercase name, an unknown word, an
unknown TLS 1.3 name) is refused when it is created, with the error code
live node gives for the same strings ("no cipher match")."""
import json
import unittest

from nodeport import LoopTestCase, node_eval, pki
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

BAD = ["aes256-sha", "FOOBARBAZ", "TLS_not_a_cipher"]

NODE = """
report(%s.map(ciphers => {
  try { tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem'), ciphers});
        return null; }
  catch (e) { return {code: e.code, message: e.message}; }
}));
"""


class SetCiphersError(LoopTestCase):
    def test_no_cipher_match(self):
        want = node_eval(NODE % json.dumps(BAD))
        for ciphers, expected in zip(BAD, want):
            with self.subTest(ciphers=ciphers):
                self.assertIsNotNone(expected, "node took it")
                self.assertRegex(expected["message"], r"(?i)no[_ ]cipher[_ ]match")
                with self.assertRaises(tlsplug.TLSError) as cm:
                    tlsplug.create_server({"key": pki("server.key"),
                                           "cert": pki("server-chain.pem"), "ciphers": ciphers})
                self.assertEqual(cm.exception.code, expected["code"])
                self.assertRegex(str(cm.exception), r"(?i)no[_ ]cipher[_ ]match")


if __name__ == "__main__":
    unittest.main()
