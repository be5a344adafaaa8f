"""Port of Node's test/parallel/tls/set-secure-context.js (there over
https, here over tls): server.setSecureContext() changes the certificate
new connections get (a verifying client refuses the self-signed one, with
node's error code, and takes the trusted one again after it is set back),
while a connection made before keeps working across the swaps. The
sequence of outcomes is live node's."""
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, pki, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
const good = {key: pem('server.key'), cert: pem('server-chain.pem')};
const bad = {key: pem('self.key'), cert: pem('self.pem')};
const out = [], served = [];
const server = tls.createServer(good, s => { served.push(s); s.resume(); });
const attempt = () => new Promise(res => {
  const c = tls.connect({host: '127.0.0.1', port: server.address().port, ca: pem('ca.pem'),
                         servername: 'localhost'}, () => { c.end(); res('ok'); });
  c.on('error', e => res(e.code));
  c.resume();
});
server.listen(0, '127.0.0.1', async () => {
  let first = '';
  const keep = tls.connect({host: '127.0.0.1', port: server.address().port, ca: pem('ca.pem'),
                            servername: 'localhost'});
  let ended = null;
  const endSeen = new Promise(r => { ended = r; });
  keep.on('data', d => { first += d; });
  keep.on('end', () => ended());
  while (served.length < 1) await new Promise(r => setImmediate(r));
  const s1 = served[0];
  s1.write('multi-');
  out.push(await attempt());
  server.setSecureContext(bad); s1.write('request-');
  out.push(await attempt());
  server.setSecureContext(good); s1.write('success-');
  out.push(await attempt());
  server.setSecureContext(bad); s1.end('fun!');
  out.push(await attempt());
  await endSeen; keep.destroy(); server.close(); report({out, first});
});
"""


class SetSecureContext(LoopTestCase):
    def test_swap_keeps_old_connections(self):
        want = node_eval(NODE)
        self.assertEqual(want["first"], "multi-request-success-fun!")
        self.assertEqual(want["out"][0], "ok")
        good = {"key": pki("server.key"), "cert": pki("server-chain.pem")}
        bad = {"key": pki("self.key"), "cert": pki("self.pem")}
        served = []
        server, port = listening_server(self, good, listener=served.append)

        def attempt():
            res = []
            c = tlsplug.connect(port, "127.0.0.1", ca=pki("ca.pem"), servername="localhost")
            c.on("secureConnect", lambda: (res.append("ok"), c.end()))
            c.on("error", lambda e: res.append(e.code))
            c.on("data", lambda d: None)
            run_until(self, lambda: res, what="an attempt")
            return res[0]
        first, ended = [], []
        keep = tlsplug.connect(port, "127.0.0.1", ca=pki("ca.pem"), servername="localhost")
        keep.on("data", first.append)
        keep.on("end", lambda *a: ended.append(True))
        run_until(self, lambda: served, what="the first connection")
        s1, out = served[0], []
        s1.write(b"multi-")
        out.append(attempt())
        server.set_secure_context(bad)
        s1.write(b"request-")
        out.append(attempt())
        server.set_secure_context(good)
        s1.write(b"success-")
        out.append(attempt())
        server.set_secure_context(bad)
        s1.end(b"fun!")
        out.append(attempt())
        run_until(self, lambda: ended, what="the first connection's end")
        keep.destroy()
        close_server(self, server)
        self.assertEqual({"out": out, "first": b"".join(first).decode()}, want)


if __name__ == "__main__":
    unittest.main()
