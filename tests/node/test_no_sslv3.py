"""Port of Node's test/parallel/tls/no-sslv3.js: a server refuses an SSL 3.0
client: the handshake fails, the server emits one tlsClientError and no
secure connection. Node's file drives `openssl s_client -ssl3`, which
Debian's OpenSSL 3 no longer has (Node then skips); here the client is a
raw SSL 3.0 ClientHello, sent to a node server (the oracle) and to
tlsplug's."""
import struct
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval
from nodeport_ports3 import RawClient


def ssl3_client_hello() -> bytes:
    """An SSL 3.0 ClientHello: version 3.0, no extensions, one suite
    (AES128-SHA) and null compression."""
    body = b"\x03\x00" + bytes(range(32)) + b"\x00" + b"\x00\x02\x00\x2f" + b"\x01\x00"
    hs = b"\x01" + struct.pack(">I", len(body))[1:] + body
    return b"\x16\x03\x00" + struct.pack(">H", len(hs)) + hs


NODE = """
const hello = Buffer.from(%r, 'hex');
const errors = [];
const s = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem')}, () => report({secure: true}));
s.on('tlsClientError', (e) => errors.push({code: e.code, message: e.message}));
s.listen(0, '127.0.0.1', () => {
  const c = net.connect(s.address().port, '127.0.0.1', () => c.write(hello));
  let got = Buffer.alloc(0);
  c.on('data', (d) => { got = Buffer.concat([got, d]); });
  c.on('error', () => {});
  c.on('close', () => s.close(() => report({errors, reply: got.toString('hex')})));
});
""" % ssl3_client_hello().hex()


class NoSslv3(LoopTestCase):
    def test_ssl3_client_is_refused(self):
        want = node_eval(NODE)
        self.assertEqual(len(want["errors"]), 1, want)
        secure, errors = [], []
        server, port = listening_server(self, listener=secure.append)
        server.on("tlsClientError", lambda err, sock: errors.append(err))
        client = RawClient(port, ssl3_client_hello())
        self.assertIn(client.wait(self), ("eof", "ECONNRESET"))
        self.assertEqual(secure, [])
        self.assertEqual(len(errors), 1)
        self.assertEqual(errors[0].code, want["errors"][0]["code"])
        # Both answer with a fatal alert record (content type 21).
        reply = bytes.fromhex(want["reply"])
        self.assertEqual(reply[:1], b"\x15")
        self.assertEqual(client.received[:1], b"\x15")
        close_server(self, server)


if __name__ == "__main__":
    unittest.main()
