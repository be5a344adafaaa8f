"""Port of Node's test/parallel/tls/socket-allow-half-open-option.js: a
TLSSocket made without a transport is half-closed only with allowHalfOpen
(default false, the option honoured). Node reads the property; tlsplug has
none, so the port asserts what the value does: after the peer's 'end', a
socket without the option ends too (the peer sees 'end', later writes
fail), while one with it stays writable and its data reaches the peer.
Node's cases over a net.Socket or a JavaScript Duplex (the option ignored)
are JavaScript stream wrapping, not ported. Values from live node."""
import unittest

from nodeport import node_eval
import support  # noqa: E402  (nodeport puts the binding's tests on sys.path)
import tlsplug  # noqa: E402

NODE = """
report({default: new tls.TLSSocket().allowHalfOpen,
        given: new tls.TLSSocket(undefined, {allowHalfOpen: true}).allowHalfOpen});
"""


def after_peer_end(allow_half_open):
    """A pump pair, the client ends; answers (client saw 'end', what the
    server could still send to the client)."""
    client, server = support.pair(None, {"allow_half_open": allow_half_open})
    client_end, got = [], []
    client.on("end", lambda: client_end.append(1))
    client.on("data", got.append)
    server.on("data", lambda d: None)
    try:
        client.start()
        support.shuttle(client, server)
        client.end()
        support.shuttle(client, server)
        try:
            server.write(b"late")
            support.shuttle(client, server)
        except tlsplug.TLSError:
            pass  # closed: nothing more can be sent
        return bool(client_end), b"".join(got)
    finally:
        client.close()
        server.close()


class SocketAllowHalfOpenOption(unittest.TestCase):
    def test_half_open_only_with_the_option(self):
        want = node_eval(NODE)
        self.assertEqual((want["default"], want["given"]), (False, True))
        # Default (None is Node's undefined): not half-open, the server ends too.
        self.assertEqual(after_peer_end(None), (not want["default"], b""))
        # Given: half-open, the server still writes to the ended client.
        self.assertEqual(after_peer_end(True), (not want["given"], b"late"))


if __name__ == "__main__":
    unittest.main()
