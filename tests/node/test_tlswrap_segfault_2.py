"""Port of Node's test/parallel/tls/tlswrap-segfault-2.js: a client that
fails to connect (here to a Unix socket path that does not exist) emits
'error' and 'close'; adding 'keylog' and 'session' listeners after it
closed is harmless and they never fire. The error code is live node's."""
import unittest

from nodeport import LoopTestCase, node_eval, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
const s = tls.connect('cause-error');
s.on('error', e => s.on('close', () => {
  let late = 0;
  s.on('keylog', () => late++); s.on('session', () => late++);
  setImmediate(() => report({code: e.code, late}));
}));
"""


class TlswrapSegfault2(LoopTestCase):
    def test_listeners_added_after_a_failed_connect_close(self):
        want = node_eval(NODE)
        errors, closed, late = [], [], []
        client = tlsplug.connect(path="cause-error")
        client.on("error", errors.append)
        client.on("close", closed.append)
        run_until(self, lambda: closed, what="client close")
        client.on("keylog", late.append)
        client.on("session", late.append)
        tlsplug.run(timeout=1, until=lambda: True)  # one more turn of the loop
        self.assertEqual([e.code for e in errors], [want["code"]])
        self.assertEqual(len(late), want["late"])


if __name__ == "__main__":
    unittest.main()
