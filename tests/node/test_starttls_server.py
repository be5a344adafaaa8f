"""Port of Node's test/parallel/tls/starttls-server.js: a server whose
SNICallback answers (null, null) keeps its own context; a client sending
servername 'test.test' and requesting OCSP stapling (which the server does
not answer) completes its handshake, the callback having seen the name.
Node wraps an accepted net socket in a server TLSSocket; tlsplug's server
accepts the connection itself (its TLSSocket takes no SNICallback, see
test_socket_snicallback_without_server.py). Counts come from live node."""
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
const names = [];
let secure = 0;
const server = net.createServer(s => {
  const t = new tls.TLSSocket(s, {isServer: true, server,
    secureContext: tls.createSecureContext({key: pem('server.key'), cert: pem('server-chain.pem')}),
    SNICallback: (name, cb) => { names.push(name); cb(null, null); }});
  t.on('secure', () => { secure++; t.end(); });
});
server.listen(0, '127.0.0.1', () => {
  tls.connect({servername: 'test.test', port: server.address().port, host: '127.0.0.1',
               rejectUnauthorized: false, requestOCSP: true}, function() {
    const p = this.getProtocol(); this.end();
    this.on('close', () => server.close(() => report({names, secure, client: !!p})));
  });
});
"""


class StarttlsServer(LoopTestCase):
    def test_sni_callback_answering_nothing_keeps_the_server_context(self):
        want = node_eval(NODE)
        names, secure, client_secure, closed = [], [], [], []

        def sni(name, cb):
            names.append(name)
            cb(None, None)

        def on_conn(conn):
            secure.append(1)
            conn.end()

        server, port = listening_server(self, {"sni_callback": sni}, on_conn)
        client = tlsplug.connect(port, "127.0.0.1", servername="test.test",
                                 reject_unauthorized=False, request_ocsp=True,
                                 on_secure_connect=lambda: (client_secure.append(1), client.end()))
        client.on("close", closed.append)
        run_until(self, lambda: closed, what="client close")
        close_server(self, server)
        self.assertEqual({"names": names, "secure": len(secure), "client": bool(client_secure)},
                         want)


if __name__ == "__main__":
    unittest.main()
