"""Port of Node's test-tls-connect.js (an old test/parallel file, since
moved to test/sequential): a client that cannot connect reports it as an
'error' and never as 'secureConnect', and a client whose `ciphers` names
no suite fails. The port nobody listens on is a bound, never listening
socket, so the refusal cannot race another listener. Node v20 throws the
cipher failure from tls.connect() itself; so does tlsplug.connect()."""
import json
import socket
import unittest

from nodeport import LoopTestCase, node_eval, pki, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

BAD_CIPHERS = "rick-128-roll"

NODE = """
const port = %d, bad = %s;
const opts = {host: '127.0.0.1', port, cert: pem('server-chain.pem'), key: pem('server.key')};
const out = {events: []};
const c = tls.connect(opts, () => out.events.push('secureConnect'));
c.on('error', (e) => { out.events.push('error'); out.code = e.code; });
c.on('close', (hadError) => {
  out.events.push('close'); out.hadError = hadError;
  try { tls.connect(Object.assign({ciphers: bad}, opts)).on('error', () => {}); out.bad = null; }
  catch (e) { out.bad = {code: e.code, message: e.message}; }
  report(out);
});
"""


class Connect(LoopTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.refuser = socket.socket()
        cls.refuser.bind(("127.0.0.1", 0))  # bound, not listening: connects are refused
        cls.port = cls.refuser.getsockname()[1]
        cls.opts = {"cert": pki("server-chain.pem"), "key": pki("server.key")}
        cls.node = node_eval(NODE % (cls.port, json.dumps(BAD_CIPHERS)))  # one node run for both

    @classmethod
    def tearDownClass(cls):
        cls.refuser.close()
        super().tearDownClass()

    def test_refused_connect_is_an_error_never_secure_connect(self):
        want = self.node
        self.assertEqual(want["events"], ["error", "close"])
        events, errors = [], []
        client = tlsplug.connect(self.port, "127.0.0.1", **self.opts)
        client.on("secureConnect", lambda: events.append("secureConnect"))
        client.on("error", lambda e: (events.append("error"), errors.append(e)))
        client.on("close", lambda had_error: events.append(("close", had_error)))
        run_until(self, lambda: any(isinstance(e, tuple) for e in events), what="client close")
        self.assertEqual(events, ["error", ("close", want["hadError"])])
        self.assertEqual(errors[0].code, want["code"])
        self.assertIsInstance(errors[0], ConnectionRefusedError)

    def test_unknown_cipher_list_fails_the_connect(self):
        want = self.node["bad"]
        self.assertIsNotNone(want, "node took the cipher list")
        with self.assertRaises(tlsplug.TLSError) as cm:
            tlsplug.connect(self.port, "127.0.0.1", ciphers=BAD_CIPHERS, **self.opts)
        self.assertEqual(cm.exception.code, want["code"])
        self.assertRegex(want["message"], r"(?i)no cipher match")
        self.assertRegex(str(cm.exception), r"(?i)no[_ ]cipher[_ ]match")


if __name__ == "__main__":
    unittest.main()
