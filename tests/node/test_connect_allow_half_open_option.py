"""Port of Node's test/parallel/tls/connect-allow-half-open-option.js: by
default a client ends its side when the server ends (not half-open); with
allowHalfOpen the client, having received the server's end, can still
write ('Bye' reaches the server before its 'end'), and write() accepts it."""
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
const out = {};
const server = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem')}, (s) => {
  let msg = '';
  s.setEncoding('utf8');
  s.on('data', (d) => { msg += d; if (msg === 'Hello') { s.end(msg); msg = ''; } });
  s.on('end', () => { out[s.mode].serverGotAfterEnd = msg; });
  s.on('close', () => { out[s.mode].serverClosed = true; check(); });
});
let pending = 2;
function check() { if (--pending === 0) { server.close(); report(out); } }
server.listen(0, '127.0.0.1', () => {
  run('halfOpen', true, () => run('default', undefined, () => {}));
});
function run(mode, allowHalfOpen, next) {
  out[mode] = {clientGot: ''};
  server.once('secureConnection', (s) => { s.mode = mode; });
  const c = tls.connect({port: server.address().port, host: '127.0.0.1', rejectUnauthorized: false,
                         allowHalfOpen}, () => c.write('Hello'));
  c.setEncoding('utf8');
  c.on('data', (d) => { out[mode].clientGot += d; });
  c.on('end', () => { if (allowHalfOpen) { out[mode].writeAccepted = c.write('Bye'); c.end(); } });
  c.on('close', next);
}
"""


class ConnectAllowHalfOpenOption(LoopTestCase):
    def test_half_open_client_writes_after_end(self):
        want = node_eval(NODE)
        self.assertNotIn("timeout", want)
        out = {}
        modes = []

        def on_connection(s):
            mode = modes[-1]
            msg = [b""]

            def on_data(d):
                msg[0] += d
                if msg[0] == b"Hello":
                    s.end(msg[0])
                    msg[0] = b""

            s.on("data", on_data)
            s.on("end", lambda: out[mode].update(serverGotAfterEnd=msg[0].decode()))
            s.on("close", lambda *a: out[mode].update(serverClosed=True))

        server, port = listening_server(self, listener=on_connection)
        for mode, half_open in (("halfOpen", True), ("default", None)):
            modes.append(mode)
            out[mode] = {"clientGot": ""}

            def on_data(d, mode=mode):
                out[mode]["clientGot"] += d.decode()

            def on_end(mode=mode, half_open=half_open):
                if half_open:
                    out[mode]["writeAccepted"] = c.write("Bye")
                    c.end()

            c = tlsplug.connect(port, "127.0.0.1", reject_unauthorized=False,
                                allow_half_open=half_open)
            c.on("secureConnect", lambda c=c: c.write("Hello"))
            c.on("data", on_data)
            c.on("end", on_end)
            run_until(self, lambda: c.closed and out[mode].get("serverClosed"), what=mode + " close")
        close_server(self, server)
        self.assertEqual(out, want)


if __name__ == "__main__":
    unittest.main()
