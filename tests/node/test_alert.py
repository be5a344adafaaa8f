"""Port of Node's test/parallel/tls/alert.js: a server limited to TLS 1.2
(secureProtocol TLSv1_2_server_method) answers an `openssl s_client
-tls1_1` hello with a fatal alert, which openssl reports as "SSL alert
number 70" (protocol_version) and exits 1. The same s_client runs against
live node's server in this run for the exit code and alert number."""
import json
import re
import unittest

from nodeport import OPENSSL, LoopTestCase, close_server, listening_server, node_eval
from nodeport_b import run_openssl

ALERT = re.compile(r"SSL alert number (\d+)")
ARGS = ["s_client", "-quiet", "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0", "-connect"]

NODE = """
const server = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem'),
                                 secureProtocol: 'TLSv1_2_server_method'});
server.listen(0, '127.0.0.1', () => {
  require('child_process').execFile(%s, %s.concat(['127.0.0.1:' + server.address().port]),
                                    (err, out, stderr) => {
    const m = /SSL alert number (\\d+)/.exec(stderr);
    server.close(); report({exit: err ? err.code : 0, alert: m ? Number(m[1]) : null});
  });
});
"""


@unittest.skipUnless(OPENSSL, "openssl is not installed (TLSPLUG_OPENSSL)")
class Alert(LoopTestCase):
    def test_tls11_hello_gets_protocol_version_alert(self):
        want = node_eval(NODE % (json.dumps(OPENSSL), json.dumps(ARGS)))
        self.assertIsNotNone(want["alert"])  # the oracle saw an alert
        server, port = listening_server(self, {"secure_protocol": "TLSv1_2_server_method"})
        code, output = run_openssl(self, ARGS + [f"127.0.0.1:{port}"])
        m = ALERT.search(output)
        self.assertEqual({"exit": code, "alert": int(m.group(1)) if m else None}, want, output)
        close_server(self, server)


if __name__ == "__main__":
    unittest.main()
