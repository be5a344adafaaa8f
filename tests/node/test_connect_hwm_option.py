"""Port of Node's test/parallel/tls/connect-hwm-option.js: tls.connect's
highWaterMark option is the socket's readableHighWaterMark (128000 as
given, 0 as given, Node's default when not given), and each such client
completes its handshake."""
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

# The marks asked for; None is "not given" (Node's undefined).
MARKS = [128000, None, 0]

NODE = """
const marks = %s;
const out = [];
const server = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem')}, () => {});
server.listen(0, '127.0.0.1', () => {
  marks.forEach((m, i) => {
    const c = tls.connect({port: server.address().port, host: '127.0.0.1', rejectUnauthorized: false,
                           highWaterMark: m === null ? undefined : m}, () => {
      out[i] = c.readableHighWaterMark; c.end();
      if (out.filter((x) => x !== undefined).length === marks.length) { server.close(); report(out); }
    });
  });
});
"""


class ConnectHwmOption(LoopTestCase):
    def test_high_water_mark_is_the_readable_mark(self):
        import json
        want = node_eval(NODE % json.dumps(MARKS))
        self.assertIsInstance(want, list)
        server, port = listening_server(self)
        got, clients = {}, []
        for i, mark in enumerate(MARKS):
            def on_secure(i=i):
                got[i] = clients[i].readable_high_water_mark
                clients[i].end()
            clients.append(tlsplug.connect(port, "127.0.0.1", reject_unauthorized=False,
                                           high_water_mark=mark, on_secure_connect=on_secure))
        run_until(self, lambda: len(got) == len(MARKS), what="three handshakes")
        self.assertEqual([got[i] for i in range(len(MARKS))], want)
        run_until(self, lambda: all(c.closed for c in clients), what="clients closed")
        close_server(self, server)


if __name__ == "__main__":
    unittest.main()
