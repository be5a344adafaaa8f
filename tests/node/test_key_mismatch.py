"""Port of Node's test-tls-key-mismatch.js: a key that does not match the
certificate makes tls.createSecureContext() throw, before any socket
exists. Here: create_secure_context() and create_server() raise TLSError
with the code Node throws in the same run (agent1's key with agent2's
certificate there; the test PKI's client key with the server's
certificate here, two RSA pairs as in Node's fixtures)."""
import unittest

from nodeport import need_pki, node_eval, pki

import tlsplug


@need_pki
class KeyMismatch(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = node_eval("try { tls.createSecureContext({key: pem('client.key'), "
                             "cert: pem('server.pem')}); report({threw: false}); }"
                             " catch (e) { report({threw: true, code: e.code}); }")

    def test_node_throws(self):
        self.assertTrue(self.node["threw"], "Node accepted a mismatched key")

    def test_create_secure_context_raises(self):
        with self.assertRaises(tlsplug.TLSError) as cm:
            tlsplug.create_secure_context(key=pki("client.key"), cert=pki("server.pem"))
        self.assertEqual(cm.exception.code, self.node["code"])

    def test_create_server_raises(self):
        with self.assertRaises(tlsplug.TLSError) as cm:
            tlsplug.create_server({"key": pki("client.key"), "cert": pki("server.pem")})
        self.assertEqual(cm.exception.code, self.node["code"])

    def test_matching_pair_still_accepted(self):
        ctx = tlsplug.create_secure_context(key=pki("server.key"), cert=pki("server.pem"))
        self.assertIsNotNone(ctx)


if __name__ == "__main__":
    unittest.main()
