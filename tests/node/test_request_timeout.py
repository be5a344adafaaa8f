"""Port of Node's test/parallel/tls/request-timeout.js: on the server's
socket, setTimeout(100) answers the socket itself, and an idle client
makes it emit 'timeout' (with no argument), after which the server ends
the connection; the count of 'timeout' events and of their arguments is
live node's in the same run."""
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
const r = {timeouts: 0};
const server = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem')}, s => {
  r.returnsSelf = s.setTimeout(100) === s;
  s.on('timeout', (...args) => { r.timeouts++; r.args = args.length; s.end(); });
});
server.listen(0, '127.0.0.1', () => {
  const c = tls.connect({host: '127.0.0.1', port: server.address().port, rejectUnauthorized: false});
  c.resume();
  c.on('close', () => server.close(() => report(r)));
});
"""


class RequestTimeout(LoopTestCase):
    def test_idle_server_socket_times_out(self):
        want = node_eval(NODE)
        self.assertEqual(want["timeouts"], 1)
        got = {"timeouts": 0}

        def on_timeout(s, *args):
            got["timeouts"] += 1
            got["args"] = len(args)
            s.end()

        def on_secure(s):
            got["returnsSelf"] = s.set_timeout(100) is s
            s.on("timeout", lambda *a: on_timeout(s, *a))
        server, port = listening_server(self, listener=on_secure)
        c = tlsplug.connect(port, "127.0.0.1", reject_unauthorized=False)
        c.on("data", lambda d: None)
        closed = []
        c.on("close", closed.append)
        run_until(self, lambda: closed, what="the client closed by the server")
        close_server(self, server)
        self.assertEqual(got, want)


if __name__ == "__main__":
    unittest.main()
