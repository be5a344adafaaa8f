"""Port of Node's test/parallel/tls/close-notify.js: a client that sends
close_notify without shutting the TCP connection down (Node's test reaches
into its ShutdownWrap; here Python's ssl unwrap() does exactly that) still
gives the server socket its 'end'. node's server, in the same run, is the
oracle for the same client."""
import socket
import ssl
import threading
import unittest

from node_server import NodeServer
from nodeport import LoopTestCase, close_server, listening_server, run_until


def close_notify_client(port: int, result: dict) -> threading.Thread:
    """A thread: handshake with 127.0.0.1:port, then close_notify with the
    TCP connection left open (unwrap); records whether unwrap completed,
    i.e. the server answered with its own close_notify."""
    def run():
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
                tls = ctx.wrap_socket(raw)
                plain = tls.unwrap()
                result["unwrapped"] = True
                plain.close()
        except (OSError, ssl.SSLError) as e:
            result["unwrapped"] = f"failed: {e!r}"
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


NODE = """
const r = {ends: 0};
const s = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem')}, (c) => {
  c.on('end', () => { r.ends++; });
  c.on('close', () => { s.close(); report(r); });
});
"""


class CloseNotify(LoopTestCase):
    def test_close_notify_alone_ends_the_server_socket(self):
        with NodeServer(NODE) as node:
            want_client = {}
            close_notify_client(node.port, want_client).join(15)
            want = node.report()
        self.assertEqual(want, {"ends": 1})
        r = {"ends": 0}

        def on_connection(c):
            c.on("end", lambda: r.update(ends=r["ends"] + 1))
            c.on("close", lambda *a: r.update(closed=True))

        server, port = listening_server(self, listener=on_connection)
        got_client = {}
        t = close_notify_client(port, got_client)
        run_until(self, lambda: r.get("closed") and not t.is_alive(), what="server socket close",
                  poll_ms=20)
        close_server(self, server)
        self.assertEqual({"ends": r["ends"]}, want)
        self.assertEqual(got_client, want_client)


if __name__ == "__main__":
    unittest.main()
