"""Port of Node's test/parallel/tls/finished.js: before the handshake the
client's getFinished()/getPeerFinished() answer nothing (Node: undefined);
after it each side's Finished message is non-empty bytes and the server's
own is the client's peer one and the other way round. The message lengths
are Node's, taken from it for the same protocol."""
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
const msg = {};
const server = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem')}, (alice) => {
  msg.server = {alice: alice.getFinished().toString('hex'), bob: alice.getPeerFinished().toString('hex')};
  server.close(); if (msg.client) done();
});
const done = () => report({before: msg.before, protocol: msg.protocol,
  lengths: [msg.server.alice.length / 2, msg.server.bob.length / 2],
  same: msg.server.alice === msg.client.alice && msg.server.bob === msg.client.bob});
server.listen(0, () => {
  const bob = tls.connect({port: server.address().port, rejectUnauthorized: false}, () => {
    msg.client = {alice: bob.getPeerFinished().toString('hex'), bob: bob.getFinished().toString('hex')};
    msg.protocol = bob.getProtocol(); bob.end(); if (msg.server) done();
  });
  msg.before = {alice: bob.getPeerFinished() === undefined, bob: bob.getFinished() === undefined};
});
"""


class Finished(LoopTestCase):
    def test_finished_messages_match_across_peers(self):
        want = node_eval(NODE)
        self.assertNotIn("timeout", want)
        msg = {}

        def on_connection(alice):
            msg["server"] = {"alice": alice.get_finished(), "bob": alice.get_peer_finished()}

        server, port = listening_server(self, listener=on_connection)

        def on_secure():
            msg["client"] = {"alice": bob.get_peer_finished(), "bob": bob.get_finished()}
            msg["protocol"] = bob.get_protocol()
            bob.end()

        bob = tlsplug.connect(port, "127.0.0.1", reject_unauthorized=False,
                              on_secure_connect=on_secure)
        msg["before"] = {"alice": bob.get_peer_finished() is None,
                         "bob": bob.get_finished() is None}
        run_until(self, lambda: "server" in msg and "client" in msg, what="both secure")
        for side in ("server", "client"):
            for who in ("alice", "bob"):
                self.assertIsInstance(msg[side][who], bytes)
        got = {"before": msg["before"], "protocol": msg["protocol"],
               "lengths": [len(msg["server"]["alice"]), len(msg["server"]["bob"])],
               "same": msg["server"] == msg["client"]}
        self.assertEqual(got, want)
        close_server(self, server)


if __name__ == "__main__":
    unittest.main()
