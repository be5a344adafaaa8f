"""Port of Node's test/parallel/tls/delayed-attach-error.js: a plain TCP
server wraps an accepted connection in a server-side TLSSocket only after
1 KiB of garbage (not TLS) has arrived; the socket reports one TLS error
(node's code, in the same run) and closes."""
import socket
import unittest

from nodeport import LoopTestCase, node_eval, pki
from nodeport_ports2 import accept_with_data
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

GARBAGE = b"*" * 1024  # Node's Buffer.alloc(1024, 42)

NODE = """
const r = {errors: 0};
const server = net.createServer((c) => {
  c.once('readable', () => {
    const s = new tls.TLSSocket(c, {isServer: true,
      secureContext: tls.createSecureContext({key: pem('server.key'), cert: pem('server-chain.pem')})});
    s.on('_tlsError', (e) => { r.errors++; r.code = e.code; });
    s.on('close', () => { r.closed = true; server.close(); s.destroy(); report(r); });
  });
}).listen(0, '127.0.0.1', () => {
  const c = net.connect(server.address().port, '127.0.0.1', () => c.write(Buffer.alloc(1024, 42)));
  c.on('error', () => {});
});
"""


class DelayedAttachError(LoopTestCase):
    def test_garbage_before_attach_is_a_tls_error(self):
        want = node_eval(NODE)
        self.assertNotIn("timeout", want)
        listener = socket.create_server(("127.0.0.1", 0))
        client = socket.create_connection(listener.getsockname(), timeout=10)
        try:
            client.sendall(GARBAGE)
            conn = accept_with_data(listener)
            s = tlsplug.TLSSocket(conn, is_server=True, key=pki("server.key"),
                                  cert=pki("server-chain.pem"))
            r = {"errors": 0}
            s.on("error", lambda e: r.update(errors=r["errors"] + 1, code=e.code))
            s.on("close", lambda *a: r.update(closed=True))
            s.run_until(lambda: r.get("closed"))
            self.assertEqual(r, want)
        finally:
            client.close()
            listener.close()


if __name__ == "__main__":
    unittest.main()
