"""Port of Node's test/parallel/tls/handshake-nohang.js: createSecurePair
with no context, as a client and as a server, returns (neither call
hangs or throws), and the pairs can be destroyed."""
import unittest

from nodeport import node_eval
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
const made = [false, true].map((isServer) =>
  tls.createSecurePair(null, isServer, false, false).cleartext !== undefined);
report(made);
"""


class HandshakeNoHang(unittest.TestCase):
    def test_secure_pairs_without_context(self):
        want = node_eval(NODE)
        got = []
        for is_server in (False, True):
            pair = tlsplug.create_secure_pair(None, is_server, False, False)
            got.append(pair.cleartext is not None and pair.encrypted is not None)
            pair.destroy()
        self.assertEqual(got, want)


if __name__ == "__main__":
    unittest.main()
