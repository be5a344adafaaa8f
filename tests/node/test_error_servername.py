"""Port of Node's test/parallel/tls/error-servername.js: setServername()
with a name that is not a string throws ERR_INVALID_ARG_TYPE ('The "name"
argument must be of type string.'), and on a server-side socket it throws
ERR_TLS_SNI_FROM_SERVER with node's message. Node's sockets run over an
in-memory duplex pair; the Python binding's pump-mode sockets are the same
thing."""
import unittest

from nodeport import node_eval, pki
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
const {Duplex} = require('stream');
const mk = () => new Duplex({read() {}, write(c, e, cb) { cb(); }});
const client = tls.connect({socket: mk(), ca: pem('ca.pem'), host: 'localhost'});
const catchIt = (f) => { try { f(); return null; } catch (e) { return {code: e.code, message: e.message}; } };
const bad = [null, 1, true, {}].map((v) => catchIt(() => client.setServername(v)));
const server = new tls.TLSSocket(mk(), {isServer: true, key: pem('server.key'), cert: pem('server-chain.pem')});
report({bad, fromServer: catchIt(() => server.setServername('localhost'))});
"""

BAD = [None, 1, True, {}]  # node's null, 1, true, {}
FIRST_SENTENCE = 'The "name" argument must be of type string.'


class ErrorServername(unittest.TestCase):
    def test_set_servername_errors(self):
        want = node_eval(NODE)
        self.assertNotIn("timeout", want)
        client = tlsplug.TLSSocket(ca=pki("ca.pem"))
        for value, w in zip(BAD, want["bad"]):
            with self.subTest(value=value):
                self.assertTrue(w["message"].startswith(FIRST_SENTENCE))  # node's own assertion
                with self.assertRaises(TypeError) as cm:
                    client.set_servername(value)
                self.assertEqual(cm.exception.code, w["code"])
                # The rest names the value in each language's own words.
                self.assertTrue(cm.exception.message.startswith(FIRST_SENTENCE))
        client.set_servername("localhost")  # a string is taken before the handshake
        server = tlsplug.TLSSocket(is_server=True, key=pki("server.key"), cert=pki("server-chain.pem"))
        with self.assertRaises(tlsplug.TLSError) as cm:
            server.set_servername("localhost")
        self.assertEqual({"code": cm.exception.code, "message": cm.exception.message},
                         want["fromServer"])
        client.close()
        server.close()


if __name__ == "__main__":
    unittest.main()
