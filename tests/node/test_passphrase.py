"""Port of Node's test/parallel/tls/passphrase.js: a private key may come
encrypted with `passphrase` (top level, or per key object, which wins over
the top level), as bytes or text, alone or in a list; a plain key ignores
any passphrase. A client presenting such a key is accepted by a server that
requests and verifies client certificates. A missing or wrong passphrase
fails at connect time, before anything reaches the network."""
import json
import unittest

from nodeport import LoopTestCase, listening_server, close_server, node_eval, pki, run_until
from nodeport_ports4 import KEY_FILES, NODE_KEY_FORM, key_form
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

GOOD, BAD = "secret", "invalid"

CASES = []
for as_str in (False, True):
    for key in ("enc", ["enc"]):
        CASES.append({"key": key, "passphrase": GOOD, "str": as_str})
    for key in ("raw", ["raw"]):
        CASES.append({"key": key, "str": as_str})
        CASES.append({"key": key, "passphrase": "ignored", "str": as_str})
CASES += [
    {"key": [{"pem": "enc", "passphrase": GOOD}]},
    {"key": [{"pem": "enc", "passphrase": GOOD}], "passphrase": "ignored"},
    {"key": [{"pem": "enc"}], "passphrase": GOOD},
    {"key": [{"pem": "enc", "passphrase": GOOD}], "str": True},
    {"key": [{"pem": "raw", "passphrase": "ignored"}]},
    {"key": [{"pem": "raw"}], "passphrase": "ignored", "str": True},
    {"key": [{"pem": "raw"}]},
    # failures: no passphrase, a wrong one, a wrong one in the key object
    {"key": "enc"}, {"key": ["enc"]}, {"key": [{"pem": "enc"}]},
    {"key": "enc", "passphrase": BAD}, {"key": ["enc"], "passphrase": BAD},
    {"key": [{"pem": "enc"}], "passphrase": BAD},
    {"key": [{"pem": "enc", "passphrase": BAD}], "passphrase": GOOD},
]

NODE = NODE_KEY_FORM % json.dumps(KEY_FILES) + """
const cases = %s, out = [];
let onAuth = null;
const server = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem'),
                                 ca: pem('ca.pem'), requestCert: true, rejectUnauthorized: true},
                                s => { onAuth(s.authorized); s.end(); });
server.listen(0, '127.0.0.1', () => {
  (function next(i) {
    if (i === cases.length) { server.close(); return report(out); }
    const c = cases[i], opts = {host: '127.0.0.1', port: server.address().port,
                                key: keyForm(c), cert: pem('server-chain.pem'),
                                rejectUnauthorized: false};
    if ('passphrase' in c) opts.passphrase = c.passphrase;
    let sock;
    try { sock = tls.connect(opts); } catch (e) {
      out.push({thrown: true, message: e.message}); return next(i + 1);
    }
    sock.on('error', () => {});
    onAuth = authorized => { out.push({thrown: false, authorized}); sock.destroy(); next(i + 1); };
  })(0);
});
"""


class Passphrase(LoopTestCase):
    def test_key_forms_and_passphrases(self):
        want = node_eval(NODE % json.dumps(CASES))
        self.assertEqual(len(want), len(CASES), want)
        self.assertEqual(sum(w["thrown"] for w in want), 7)  # Node's seven failures
        server, port = listening_server(self, {"ca": pki("ca.pem"), "request_cert": True,
                                               "reject_unauthorized": True})
        seen = []
        server.on("secureConnection", lambda s: (seen.append(s.authorized), s.end()))
        for case, expected in zip(CASES, want):
            with self.subTest(case=case):
                opts = {"key": key_form(case), "cert": pki("server-chain.pem"),
                        "reject_unauthorized": False}
                if "passphrase" in case:
                    opts["passphrase"] = case["passphrase"]
                before = len(seen)
                try:
                    client = tlsplug.connect(port, "127.0.0.1", **opts)
                except tlsplug.TLSError as e:
                    self.assertTrue(expected["thrown"], f"tlsplug refused a key node took: {e}")
                    # Node's message names OpenSSL's "bad decrypt"; tlsplug
                    # keeps the credentials code with GnuTLS's reason.
                    self.assertIn("bad decrypt", expected["message"])
                    self.assertTrue(e.code, e)
                    continue
                self.assertFalse(expected["thrown"], "tlsplug took a key node refused")
                client.on("error", lambda e: None)
                run_until(self, lambda: len(seen) > before, what="server secureConnection")
                self.assertEqual(seen[-1], expected["authorized"])
                client.destroy()
        close_server(self, server)


if __name__ == "__main__":
    unittest.main()
