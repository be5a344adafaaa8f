"""Port of Node's test/parallel/tls/junk-closes-server.js: a plain TCP
client writing text lines instead of a ClientHello is disconnected by the
server (the client sees the end), and no secure connection is made."""
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval
from nodeport_ports3 import RawClient

NODE = """
const s = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem')},
                           () => report({secure: true}));
s.listen(0, '127.0.0.1', () => {
  const c = net.createConnection(s.address().port, '127.0.0.1', () => c.write('blah\\nblah\\nblah\\n'));
  let got = '';
  c.on('data', (d) => { got += d.toString('latin1'); });
  c.on('error', (e) => { s.close(); report({error: e.code}); });
  c.on('end', () => { s.close(); report({end: true, bytes: got.length}); });
});
"""


class JunkClosesServer(LoopTestCase):
    def test_text_instead_of_hello_is_disconnected(self):
        want = node_eval(NODE)
        self.assertTrue(want.get("end"), want)
        secure = []
        server, port = listening_server(self, listener=secure.append)
        client = RawClient(port, b"blah\nblah\nblah\n")
        self.assertEqual(client.wait(self), "eof")
        self.assertEqual(secure, [])
        # What Node's server sends before closing: its alert record, or
        # nothing; both ends in an orderly close.
        self.assertLessEqual(len(client.received), 7)
        self.assertLessEqual(want["bytes"], 7)
        close_server(self, server)


if __name__ == "__main__":
    unittest.main()
