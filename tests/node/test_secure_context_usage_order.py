"""Port of Node's test/parallel/tls/secure-context-usage-order.js: of two
contexts added for the same wildcard name, the one added last serves: a
client certificate the first context's CA does not trust leaves the
connection unauthorized, and after a context trusting it is added for
'*.example.com', the next connections are authorized. The sequence of
(servername, authorized) is live node's for the same certificates."""
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, pki, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
const ctx = ca => ({key: pem('server.key'), cert: pem('server-chain.pem'), ca: pem(ca)});
const seen = [];
const server = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem'),
                                 requestCert: true, rejectUnauthorized: false},
                                c => seen.push([c.servername, c.authorized]));
server.addContext('*.example.com', ctx('other-ca.pem'));
server.listen(0, '127.0.0.1', () => {
  const names = ['a.example.com', 'b.example.com', 'b.example.com'];
  (function next(i) {
    if (i === names.length) return server.close(() => report(seen));
    const c = tls.connect({host: '127.0.0.1', port: server.address().port,
                           key: pem('client.key'), cert: pem('client-chain.pem'), ca: pem('ca.pem'),
                           servername: names[i], rejectUnauthorized: false}, () => c.end());
    c.on('close', () => { if (i === 0) server.addContext('*.example.com', ctx('ca.pem')); next(i + 1); });
  })(0);
});
"""


def ctx(ca):
    return {"key": pki("server.key"), "cert": pki("server-chain.pem"), "ca": pki(ca)}


class SecureContextUsageOrder(LoopTestCase):
    def test_last_added_context_serves(self):
        want = node_eval(NODE)
        self.assertEqual([a for _, a in want], [False, True, True])
        seen = []
        server, port = listening_server(self, {"request_cert": True, "reject_unauthorized": False},
                                        listener=lambda c: seen.append([c.servername, c.authorized]))
        server.add_context("*.example.com", ctx("other-ca.pem"))
        for i, name in enumerate(["a.example.com", "b.example.com", "b.example.com"]):
            c = tlsplug.connect(port, "127.0.0.1", key=pki("client.key"),
                                cert=pki("client-chain.pem"), ca=pki("ca.pem"), servername=name,
                                reject_unauthorized=False)
            c.on("secureConnect", c.end)
            closed = []
            c.on("close", closed.append)
            run_until(self, lambda: closed and len(seen) > i, what=f"connection {i}")
            if i == 0:
                server.add_context("*.example.com", ctx("ca.pem"))
        close_server(self, server)
        self.assertEqual(seen, want)


if __name__ == "__main__":
    unittest.main()
