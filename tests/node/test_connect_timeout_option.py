"""Port of Node's test/parallel/tls/connect-timeout-option.js: the
`timeout` option of tls.connect is the socket's `timeout` at once, while
the connection is still being looked up (a lookup that never answers)."""
import unittest

from nodeport import LoopTestCase, node_eval, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
const s = tls.connect({port: 42, lookup: () => {}, timeout: 1000});
const r = {timeout: s.timeout};
s.destroy();
report(r);
"""


class ConnectTimeoutOption(LoopTestCase):
    def test_timeout_option_is_the_socket_timeout(self):
        want = node_eval(NODE)
        self.assertEqual(want, {"timeout": 1000})  # node's own assertion
        s = tlsplug.connect(42, "localhost", lookup=lambda host, options, cb: None, timeout=1000)
        self.assertEqual({"timeout": s.timeout}, want)
        s.destroy()
        run_until(self, lambda: s.closed, what="close after destroy")


if __name__ == "__main__":
    unittest.main()
