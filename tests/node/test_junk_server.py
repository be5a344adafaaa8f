"""Port of Node's test/parallel/tls/junk-server.js: a client whose server
answers the ClientHello with plain text fails with OpenSSL's "wrong
version number" error (Node's ERR_SSL_WRONG_VERSION_NUMBER)."""
import socket
import threading
import unittest

from nodeport import LoopTestCase, node_eval, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

REPLY = b"I was waiting for you, hello!"

NODE = """
const s = net.createServer((c) => c.once('data', () => c.end(%r)));
s.listen(0, '127.0.0.1', () => {
  const c = tls.connect(s.address().port, '127.0.0.1', {rejectUnauthorized: false});
  c.on('error', (e) => { s.close(); report({code: e.code, message: e.message, reason: e.reason}); });
});
"""


def plain_server():
    """A TCP server answering the first bytes it gets with REPLY, once."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(10)

    def serve():
        try:
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(10)
                conn.recv(65536)
                conn.sendall(REPLY)
        except OSError:
            pass
        finally:
            listener.close()

    t = threading.Thread(target=serve, daemon=True)
    port = listener.getsockname()[1]
    t.start()
    return t, port


class JunkServer(LoopTestCase):
    def test_plain_text_answer_is_wrong_version(self):
        want = node_eval(NODE % REPLY.decode())
        self.assertRegex(want["message"], "wrong version number")
        thread, port = plain_server()
        errors = []
        client = tlsplug.connect(port, "127.0.0.1", reject_unauthorized=False)
        client.on("error", errors.append)
        closed = []
        client.on("close", closed.append)
        run_until(self, lambda: closed, what="client close")
        thread.join(10)
        self.assertEqual(len(errors), 1)
        self.assertEqual(errors[0].code, want["code"])
        # The message is GnuTLS's ("An unexpected TLS packet was received"),
        # not OpenSSL's; the code is the one users match on.
        self.assertTrue(errors[0].message, errors[0])


if __name__ == "__main__":
    unittest.main()
