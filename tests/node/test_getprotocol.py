"""Port of Node's test/parallel/tls/getprotocol.js: a client pinned to each
protocol (secureProtocol) against a TLS_method server reports that protocol
from getProtocol() once connected, gets 'end', and from its 'close'
listener getProtocol() answers null."""
import json
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

# (client ciphers, secureProtocol): Node's file's three clients.
CLIENTS = [("DEFAULT:@SECLEVEL=0", "TLSv1_method"), ("DEFAULT:@SECLEVEL=0", "TLSv1_1_method"),
           (None, "TLSv1_2_method")]

NODE = """
const clients = %s;
const server = tls.createServer({secureProtocol: 'TLS_method', ciphers: 'RSA@SECLEVEL=0',
                                 key: pem('server.key'), cert: pem('server-chain.pem')});
const out = [];
server.listen(0, '127.0.0.1', () => {
  (function next(i) {
    if (i === clients.length) { server.close(); return report(out); }
    const [ciphers, secureProtocol] = clients[i];
    const c = tls.connect({host: '127.0.0.1', port: server.address().port, ciphers: ciphers || undefined,
                           secureProtocol, rejectUnauthorized: false}, () => {
      const r = {connected: c.getProtocol(), ended: false};
      c.on('end', () => { r.ended = true; });
      c.on('close', () => { r.closed = c.getProtocol(); out.push(r); next(i + 1); });
      c.end();
    });
    c.on('error', (e) => { out.push({error: e.code}); next(i + 1); });
  })(0);
});
"""


class GetProtocol(LoopTestCase):
    def test_protocol_while_open_and_null_after_close(self):
        want = node_eval(NODE % json.dumps(CLIENTS))
        self.assertIsInstance(want, list)
        server, port = listening_server(self, {"secure_protocol": "TLS_method",
                                               "ciphers": "RSA@SECLEVEL=0"})
        got = []
        for ciphers, secure_protocol in CLIENTS:
            r = {}
            done = []

            def on_secure():
                r.update(connected=client.get_protocol(), ended=False)
                client.on("end", lambda: r.update(ended=True))
                client.on("close", lambda had_error: (r.update(closed=client.get_protocol()),
                                                      done.append(1)))
                client.end()

            opts = {"ciphers": ciphers} if ciphers else {}
            client = tlsplug.connect(port, "127.0.0.1", **opts,
                                     secure_protocol=secure_protocol, reject_unauthorized=False,
                                     on_secure_connect=on_secure)
            client.on("error", lambda e: (r.update(error=e.code), done.append(1)))
            run_until(self, lambda: done, what=secure_protocol)
            got.append(r)
        self.assertEqual(got, want)
        close_server(self, server)


if __name__ == "__main__":
    unittest.main()
