"""Port of Node's test/parallel/tls/socket-constructor-alpn-options-parsing.js:
the TLSSocket constructor takes ALPNProtocols for a server-side socket as
well (and a client one made with no transport); a server socket offering
['http/1.1'] to a client offering ['h2', 'http/1.1'] selects http/1.1,
which live node selects too. Here the sockets are a pump-mode pair."""
import unittest

from nodeport import node_eval
import support  # noqa: E402  (nodeport puts the binding's tests on sys.path)
import tlsplug  # noqa: E402

NODE = """
new tls.TLSSocket(null, {ALPNProtocols: ['http/1.1']});
const server = net.createServer(s => {
  const t = new tls.TLSSocket(s, {isServer: true, server, key: pem('server.key'),
                                  cert: pem('server-chain.pem'), ALPNProtocols: ['http/1.1']});
  t.on('secure', () => { const p = t.alpnProtocol; t.end(); server.close(() => report({server: p})); });
});
server.listen(0, '127.0.0.1', () => tls.connect({port: server.address().port, host: '127.0.0.1',
  rejectUnauthorized: false, ALPNProtocols: ['h2', 'http/1.1']}, function() { this.end(); }));
"""


class SocketConstructorAlpn(unittest.TestCase):
    def test_server_socket_constructor_takes_alpn(self):
        want = node_eval(NODE)
        tlsplug.TLSSocket(alpn_protocols=["http/1.1"]).close()  # a client, no transport
        client, server = support.pair({"alpn_protocols": ["h2", "http/1.1"]},
                                      {"alpn_protocols": ["http/1.1"]})
        secure = []
        server.on("secure", lambda: secure.append(server.alpn_protocol))
        try:
            client.start()
            support.shuttle(client, server)
            self.assertEqual(secure, [want["server"]])
            self.assertEqual(client.alpn_protocol, want["server"])
        finally:
            client.close()
            server.close()


if __name__ == "__main__":
    unittest.main()
