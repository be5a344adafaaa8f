"""Port of Node's test/parallel/tls/net-connect-prefer-path.js: tls.connect
given a Unix socket `path` as well as a host and port connects to the
path and ignores the others."""
import os
import tempfile
import unittest

from nodeport import LoopTestCase, close_server, node_eval, pki, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
const path = require('path').join(require('os').tmpdir(), 'tlsplug-prefer-path-' + process.pid + '.sock');
try { fs.unlinkSync(path); } catch (e) {}
const opts = {key: pem('server.key'), cert: pem('server-chain.pem')};
const mk = (name) => tls.createServer(opts, (c) => c.end(name));
const tcp = mk('tcp'), unix = mk('unix');
tcp.listen(0, '127.0.0.1', () => unix.listen(path, () => {
  const c = tls.connect({path, port: tcp.address().port, host: 'localhost', rejectUnauthorized: false});
  let got = '';
  c.on('data', (d) => { got += d; });
  c.on('end', () => { tcp.close(); unix.close(); report(got); });
}));
"""


class NetConnectPreferPath(LoopTestCase):
    def test_path_wins_over_host_and_port(self):
        want = node_eval(NODE)
        self.assertEqual(want, "unix")
        tmp = tempfile.mkdtemp(prefix="tlsplug-prefer-path-")
        path = os.path.join(tmp, "s.sock")
        self.addCleanup(os.rmdir, tmp)
        self.addCleanup(lambda: os.path.exists(path) and os.unlink(path))
        opts = {"key": pki("server.key"), "cert": pki("server-chain.pem")}
        tcp = tlsplug.create_server(opts, lambda c: c.end("tcp"))
        unix = tlsplug.create_server(opts, lambda c: c.end("unix"))
        tcp.listen(0, "127.0.0.1")
        unix.listen(path=path)
        run_until(self, lambda: tcp.listening and unix.listening, what="listening")
        got, ended = [], []
        client = tlsplug.connect(tcp.address()["port"], "localhost", path=path,
                                 reject_unauthorized=False)
        client.on("data", got.append)
        client.on("end", lambda: ended.append(True))
        run_until(self, lambda: ended, what="the client's end")
        self.assertEqual(b"".join(got).decode(), want)
        client.destroy()
        close_server(self, tcp)
        close_server(self, unix)


if __name__ == "__main__":
    unittest.main()
