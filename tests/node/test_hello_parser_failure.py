"""Port of Node's test/parallel/tls/hello-parser-failure.js: a client that
sends a megabyte of garbage instead of a ClientHello is cut off by the
server with an error (the connection does not stay open taking bytes),
and the server stays up."""
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval
from nodeport_ports3 import RawClient

JUNK = bytes([42]) * (1024 * 1024)

# Node's server side: how the garbage ends (a tlsClientError, never a
# secure connection).
NODE = """
const s = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem')}, () => {
  report({secure: true});
});
s.on('tlsClientError', (e) => { s.close(); report({clientError: true, code: e.code}); });
s.listen(0, '127.0.0.1', () => {
  const c = net.connect(s.address().port, '127.0.0.1', () => c.write(Buffer.alloc(1024 * 1024, 42)));
  c.on('error', () => {});
});
"""


class HelloParserFailure(LoopTestCase):
    def test_garbage_hello_is_cut_off(self):
        want = node_eval(NODE)
        self.assertTrue(want.get("clientError"), want)
        secure, client_errors = [], []
        server, port = listening_server(self, listener=secure.append)
        server.on("tlsClientError", lambda err, sock: client_errors.append(err))
        outcome = RawClient(port, JUNK).wait(self)
        # Cut off: reset (the server closed with unread bytes) or an orderly
        # close after the alert, never a timeout.
        self.assertIn(outcome, ("ECONNRESET", "EPIPE", "eof"))
        self.assertEqual(secure, [])
        self.assertEqual(len(client_errors), 1)
        self.assertEqual(client_errors[0].code, want["code"])
        close_server(self, server)


if __name__ == "__main__":
    unittest.main()
