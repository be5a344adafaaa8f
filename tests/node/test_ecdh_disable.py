"""Port of Node's test-tls-ecdh-disable.js (an old test/parallel file):
a server allowed only ECDHE suites but no curve to run them on must refuse
the handshake, and openssl s_client sees a handshake_failure alert.

The old file disabled ECDH with `ecdhCurve: false`; node v20 refuses that
value as a non-string (ERR_INVALID_ARG_TYPE), and so does tlsplug. The
no-curve case is had the way Node still allows: the server's one curve
(P-384) is not among the client's (-curves X25519). Exit code, alert,
the server's tlsClientError code and its count of connections (none) are
node's, for the same options, in the same run."""
import json
import re
import unittest

from nodeport import OPENSSL, LoopTestCase, close_server, listening_server, node_eval, pki, run_until
from nodeport_b import run_openssl
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

CIPHERS = "-ALL:ECDHE-RSA-AES128-SHA256"
SERVER = {"ciphers": CIPHERS, "ecdh_curve": "P-384", "max_version": "TLSv1.2"}
CLIENT = ["-cipher", "ECDHE-RSA-AES128-SHA256", "-curves", "X25519"]

NODE = """
const openssl = %s, client = %s;
const out = {connections: 0, clientErrors: []};
try { tls.createSecureContext({ecdhCurve: false}); out.disabled = null; }
catch (e) { out.disabled = {name: e.name, code: e.code, message: e.message}; }
const s = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem'), ciphers: '%s',
                            ecdhCurve: 'P-384', maxVersion: 'TLSv1.2'}, (c) => { out.connections++; c.end(); });
s.on('tlsClientError', (e) => out.clientErrors.push(e.code));
s.listen(0, '127.0.0.1', () => {
  const args = ['s_client', '-connect', '127.0.0.1:' + s.address().port].concat(client);
  require('child_process').execFile(openssl, args, {timeout: 8000}, (err, stdout, stderr) => {
    out.exit = err ? err.code : 0; out.transcript = stdout + stderr;
    s.close(() => report(out));
  });
});
"""


def alert(transcript: str):
    """The alert number s_client reports receiving, if any."""
    m = re.search(r"alert number (\d+)", transcript)
    return m and int(m.group(1))


class EcdhDisable(LoopTestCase):
    def test_no_usable_curve_refuses_ecdhe_only_handshake(self):
        if not OPENSSL:
            self.skipTest("openssl is not installed")
        want = node_eval(NODE % (json.dumps(OPENSSL), json.dumps(CLIENT), CIPHERS))

        # ecdhCurve: false is not a way to disable ECDH any more.
        self.assertIsNotNone(want["disabled"], "node took ecdhCurve: false")
        with self.assertRaises(tlsplug.TLSError) as cm:
            tlsplug.create_secure_context(ecdh_curve=False)
        self.assertEqual(cm.exception.code, want["disabled"]["code"])
        self.assertEqual(want["disabled"]["name"], "TypeError")
        self.assertIsInstance(cm.exception, TypeError)
        # The same sentence up to the value, which each names in its own language.
        said = want["disabled"]["message"].split(" Received ")[0]
        self.assertTrue(str(cm.exception).startswith(said + " Received "), str(cm.exception))

        # No curve in common: node refuses, with a handshake_failure alert.
        self.assertNotEqual(want["exit"], 0)
        self.assertEqual(want["connections"], 0)
        self.assertEqual(len(want["clientErrors"]), 1, want["clientErrors"])
        connections, client_errors = [], []
        server, port = listening_server(self, dict(SERVER), listener=connections.append)
        server.on("tlsClientError", lambda err, sock: client_errors.append(err.code))
        code, transcript = run_openssl(self, ["s_client", "-connect", f"127.0.0.1:{port}", *CLIENT])
        run_until(self, lambda: client_errors, what="tlsClientError")
        close_server(self, server)
        self.assertEqual(code, want["exit"])
        self.assertEqual(alert(transcript), alert(want["transcript"]))
        self.assertIsNotNone(alert(transcript), transcript)
        self.assertEqual(connections, [])
        self.assertEqual(client_errors, want["clientErrors"])


if __name__ == "__main__":
    unittest.main()
