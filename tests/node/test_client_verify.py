"""Port of Node's test/parallel/tls/client-verify.js: a client that does
not reject (rejectUnauthorized false) and carries a certificate of its own
meets three servers under three `ca` settings: its `authorized` is true
only for a server whose chain leads to a root in its `ca` (none with an
empty `ca`, never for a self-signed server), and in every case it is
secure, reads what the server wrote, and closes.

Node's fixtures map onto the test PKI: ca1 -> ca.pem, ca2 -> other-ca.pem,
agent1 (under ca1) -> server-chain.pem, agent2 (self-signed, also the
client's identity) -> self.pem, agent3 (under ca2) -> untrusted.pem. Every
record (authorized, authorizationError, data, errors on both sides) is
live node's for the same connection."""
import unittest

from nodeport import LoopTestCase
from nodeport_verify import REPLY, binding_pair, node_pairs, pem

CAS = {"ca1": "ca.pem", "ca2": "other-ca.pem"}
SERVERS = {"agent1": ("server.key", "server-chain.pem"), "agent2": ("self.key", "self.pem"),
           "agent3": ("untrusted.key", "untrusted.pem")}

# (client's ca, [(server, authorized as Node's file expects)]).
MATRIX = [
    (["ca1"], [("agent1", True), ("agent2", False), ("agent3", False)]),
    ([], [("agent1", False), ("agent2", False), ("agent3", False)]),
    (["ca1", "ca2"], [("agent1", True), ("agent2", False), ("agent3", True)]),
]


def cases():
    """[(label, server options, client options)] in MATRIX's order."""
    out = []
    for cas, servers in MATRIX:
        client = {"ca": [pem(CAS[c]) for c in cas], "key": pem("self.key"), "cert": pem("self.pem"),
                  "rejectUnauthorized": False}
        for name, _ in servers:
            key, cert = SERVERS[name]
            out.append((f"ca={cas} server={name}", {"key": pem(key), "cert": pem(cert)}, client))
    return out


class ClientVerify(LoopTestCase):
    def test_authorized_follows_the_clients_ca(self):
        pairs = cases()
        want = node_pairs([(s, c) for _, s, c in pairs])
        self.assertEqual(len(want), len(pairs))
        expected = [ok for _, servers in MATRIX for _, ok in servers]
        self.assertEqual([w["client"]["authorized"] for w in want], expected)  # Node's file holds
        for (label, sopts, copts), w in zip(pairs, want):
            with self.subTest(label):
                self.assertEqual(w["client"]["data"], REPLY)
                self.assertEqual(binding_pair(self, sopts, copts), w)


if __name__ == "__main__":
    unittest.main()
