"""Port of Node's test/parallel/tls/socket-failed-handshake-emits-error.js:
a server-side TLS socket fed 1024 bytes that are no TLS record emits an
Error (a server reports it as 'tlsClientError') whose OpenSSL parts say
"SSL routines" / "wrong version number". tlsplug gives node's code,
library and reason (taken from live node here); its message is GnuTLS's
wording (docs/NODE_MAP.md, "An SSL error's message is GnuTLS's text"),
asserted side by side with node's."""
import socket
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, run_until

NODE = """
const server = net.createServer(c => {
  const s = new tls.TLSSocket(c, {isServer: true, server});
  s.on('error', e => report({error: e instanceof Error, code: e.code, message: e.message,
                             library: e.library, reason: e.reason}));
}).listen(0, '127.0.0.1', () => {
  const c = net.connect(server.address().port, '127.0.0.1', () => c.write(Buffer.alloc(1024, 42)));
  c.on('error', () => {});
});
"""


class SocketFailedHandshakeEmitsError(LoopTestCase):
    def test_garbage_instead_of_a_client_hello_is_an_ssl_error(self):
        want = node_eval(NODE)
        self.assertTrue(want["error"])
        self.assertRegex(want["message"], "SSL routines:[^:]*:wrong version number")
        errors = []
        server, port = listening_server(self)
        server.on("tlsClientError", lambda err, conn: errors.append(err))
        garbage = socket.create_connection(("127.0.0.1", port), timeout=10)
        try:
            garbage.sendall(b"*" * 1024)
            run_until(self, lambda: errors, what="tlsClientError")
        finally:
            garbage.close()
        err = errors[0]
        self.assertIsInstance(err, Exception)
        self.assertEqual((err.code, err.library, err.reason),
                         (want["code"], want["library"], want["reason"]))
        # Deviation: the message is GnuTLS's, not OpenSSL's error string.
        self.assertNotRegex(str(err.message), "SSL routines")
        self.assertTrue(str(err.message))
        close_server(self, server)


if __name__ == "__main__":
    unittest.main()
