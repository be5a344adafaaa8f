"""Port of Node's test/parallel/tls/delayed-attach.js: a plain TCP server
wraps an accepted connection in a server-side TLSSocket only after the
client's hello has arrived; the handshake still completes and the server
receives exactly what the client ended with, then 'end'. (Node waits 200 ms;
here the attach waits for the bytes themselves.)"""
import socket
import unittest

from nodeport import LoopTestCase, node_eval, pki
from nodeport_b import NodePeer
from nodeport_ports2 import accept_with_data
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

SENT = "hello world"

NODE_BOTH = """
let received = '';
const server = net.createServer((c) => {
  c.once('readable', () => {
    const s = new tls.TLSSocket(c, {isServer: true,
      secureContext: tls.createSecureContext({key: pem('server.key'), cert: pem('server-chain.pem')})});
    s.on('data', (d) => { received += d; });
    s.on('end', () => { server.close(); s.destroy(); report({received, ended: true}); });
  });
}).listen(0, '127.0.0.1', () => {
  const c = tls.connect(server.address().port, '127.0.0.1', {rejectUnauthorized: false}, () => c.end(%r));
});
"""

NODE_CLIENT = """
const c = tls.connect(PORT, '127.0.0.1', {rejectUnauthorized: false}, () => c.end(%r));
c.on('close', () => report({clientClosed: true}));
c.on('error', (e) => report({error: e.code}));
"""


class DelayedAttach(LoopTestCase):
    def test_attach_after_the_hello_arrived(self):
        want = node_eval(NODE_BOTH % SENT)
        self.assertNotIn("timeout", want)
        listener = socket.create_server(("127.0.0.1", 0))
        peer = NodePeer(NODE_CLIENT % SENT, port=listener.getsockname()[1])
        try:
            conn = accept_with_data(listener)
            s = tlsplug.TLSSocket(conn, is_server=True, key=pki("server.key"),
                                  cert=pki("server-chain.pem"))
            got = {"received": ""}
            s.on("data", lambda d: got.update(received=got["received"] + d.decode()))
            s.on("end", lambda: got.update(ended=True))
            s.run_until(lambda: got.get("ended"))
            s.destroy()
            self.assertEqual(got, want)
            self.assertEqual(peer.result(self), {"clientClosed": True})
        finally:
            peer.kill()
            listener.close()


if __name__ == "__main__":
    unittest.main()
