"""Port of Node's test/parallel/tls/connect-pipe.js: a TLS server listening
on a Unix socket path and a client connecting to that path complete the
handshake (the server's secure-connection listener runs, the client's
connect callback runs)."""
import os
import tempfile
import unittest

from nodeport import LoopTestCase, node_eval, pki, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
const path = process.argv[2];
const r = {serverSecure: 0, clientSecure: 0};
const server = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem')}, () => {
  r.serverSecure++; server.close();
});
server.listen(path, () => {
  const c = tls.connect(path, {rejectUnauthorized: false}, () => { r.clientSecure++; c.end(); });
  c.on('close', () => report(r));
});
"""


class ConnectPipe(LoopTestCase):
    def test_handshake_over_a_unix_socket(self):
        with tempfile.TemporaryDirectory() as tmp:
            # node_eval hands node only the PKI dir: the path goes in the script.
            want = node_eval(NODE.replace("process.argv[2]", repr(os.path.join(tmp, "node.sock"))))
            self.assertNotIn("timeout", want)
            r = {"serverSecure": 0, "clientSecure": 0}
            path = os.path.join(tmp, "tlsplug.sock")

            def on_connection(sock):
                r["serverSecure"] += 1
                server.close()

            server = tlsplug.create_server({"key": pki("server.key"), "cert": pki("server-chain.pem")},
                                           on_connection)
            server.listen(path=path)
            run_until(self, lambda: server.listening, what="listening")

            def on_secure():
                r["clientSecure"] += 1
                c.end()

            c = tlsplug.connect(path=path, reject_unauthorized=False, on_secure_connect=on_secure)
            run_until(self, lambda: c.closed and not server.listening, what="client close")
            self.assertEqual(r, want)


if __name__ == "__main__":
    unittest.main()
