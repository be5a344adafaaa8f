"""Port of Node's test/parallel/tls/connect-address-family.js: a client
asking for IPv6 reaches a server listening on ::1 only, and its
remoteAddress is '::1'.

Deviation (docs/NODE_MAP.md): tlsplug.connect has no `family` option (it
raises TypeError as for any unknown option); an IPv6 host ('::1') or a
`lookup` answering an IPv6 address is how a tlsplug client picks IPv6. Node
asks with family: 6 (its lookup here honours options.family, since this
machine's localhost may not resolve to ::1, where Node's file skips)."""
import unittest

from nodeport import LoopTestCase, node_eval, pki, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
const server = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem')});
server.on('connection', () => server.close());
server.listen(0, '::1', () => {
  const lookup = (host, opts, cb) => cb(null, opts.family === 6 ? '::1' : '127.0.0.1', opts.family || 4);
  tls.connect({host: 'localhost', port: server.address().port, family: 6, lookup, rejectUnauthorized: false})
    .once('secureConnect', function() { const r = {remoteAddress: this.remoteAddress}; this.destroy(); report(r); })
    .on('error', (e) => report({error: e.code}));
});
"""


class ConnectAddressFamily(LoopTestCase):
    def test_ipv6_client_reaches_an_ipv6_only_server(self):
        want = node_eval(NODE)
        self.assertEqual(want, {"remoteAddress": "::1"})  # node's own assertion
        server = tlsplug.create_server({"key": pki("server.key"), "cert": pki("server-chain.pem")})
        server.on("connection", lambda *a: server.close())
        server.listen(0, "::1")
        run_until(self, lambda: server.listening, what="listening on ::1")
        port = server.address()["port"]
        with self.assertRaises(TypeError):  # the deviation: no `family` option
            tlsplug.connect(port, "localhost", family=6, reject_unauthorized=False)
        got = {}

        def on_secure():
            got["remoteAddress"] = c.remote_address
            c.destroy()

        c = tlsplug.connect(port, "::1", reject_unauthorized=False, on_secure_connect=on_secure)
        c.on("error", lambda e: got.update(error=e.code))
        run_until(self, lambda: got and c.closed and not server.listening, what="secureConnect")
        self.assertEqual(got, want)


if __name__ == "__main__":
    unittest.main()
