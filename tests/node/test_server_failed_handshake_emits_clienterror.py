"""Port of Node's test/parallel/tls/server-failed-handshake-emits-clienterror.js:
a plain TCP client that sends 1 KiB of '*' bytes instead of a ClientHello
makes the server emit tlsClientError with an Error whose code says the
record's version is wrong (node's message names "wrong version number");
the code is the one live node's server gives for the same bytes."""
import socket
import unittest

from nodeport import LoopTestCase, close_server, node_eval, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
const server = tls.createServer({}).listen(0, '127.0.0.1', () => {
  const c = net.connect(server.address().port, '127.0.0.1', () => c.write(Buffer.alloc(1024, 42)));
  c.on('error', () => {});
});
server.on('tlsClientError', e => { server.close();
  report({isError: e instanceof Error, code: e.code, message: e.message}); });
"""


class ServerFailedHandshake(LoopTestCase):
    def test_garbage_emits_tls_client_error(self):
        want = node_eval(NODE)
        self.assertTrue(want["isError"])
        self.assertRegex(want["message"], r"wrong version number")
        errors = []
        server = tlsplug.create_server({})
        server.on("tlsClientError", lambda e, s: errors.append(e))
        server.listen(0, "127.0.0.1")
        run_until(self, lambda: server.listening, what="listening")
        raw = socket.create_connection(("127.0.0.1", server.address()["port"]), timeout=5)
        try:
            raw.sendall(b"*" * 1024)
            run_until(self, lambda: errors, what="tlsClientError")
        finally:
            raw.close()
        close_server(self, server)
        self.assertIsInstance(errors[0], Exception)
        self.assertEqual(errors[0].code, want["code"])
        # The message is GnuTLS's ("An unexpected TLS packet was received");
        # the code carries OpenSSL's reason, as every tlsplug error does.
        self.assertTrue(errors[0].message)


if __name__ == "__main__":
    unittest.main()
