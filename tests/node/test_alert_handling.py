"""Port of Node's test/parallel/tls/alert-handling.js: while one client
keeps echoing through the server, a second client whose raw socket sends a
malformed record after the handshake makes the server socket fail with
Node's wrong-version error (code, library, reason) and answer with a
protocol_version alert, which that client reports as Node does; the
echoing client is untouched, and the server raises no tlsClientError."""
import os
import socket
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

BAD_RECORD = bytes([0xff] * 6)
ROUNDS = 20

NODE = """
const r = {server: null, client: null, echoes: 0, tlsClientError: 0};
const parts = (e) => ({code: e.code, library: e.library, reason: e.reason});
const server = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem')}, (s) => {
  s.pipe(s); s.on('error', (e) => { r.server = parts(e); done(); });
});
server.on('tlsClientError', () => { r.tlsClientError++; });
let closed = false;
const done = () => { if (r.server && r.client && closed) { server.close(); report(r); } };
server.listen(0, () => {
  const c = tls.connect(server.address().port, {rejectUnauthorized: false});
  c.on('data', () => {
    if (r.echoes++ === 2) bad();
    if (r.echoes < %d) c.write('a'); else c.end();
  });
  c.write('a');
  c.on('close', () => { closed = true; done(); });
});
function bad() {
  const raw = net.connect(server.address().port);
  const b = tls.connect({socket: raw, rejectUnauthorized: false}, () => {
    b.write('x'); b.on('data', () => raw.end(Buffer.from(%s)));
  });
  b.on('error', (e) => { r.client = parts(e); done(); });
}
"""


class AlertHandling(LoopTestCase):
    def test_bad_record_after_handshake(self):
        want = node_eval(NODE % (ROUNDS, list(BAD_RECORD)))
        self.assertNotIn("timeout", want)
        r = {"server": None, "client": None, "echoes": 0, "tlsClientError": 0}
        parts = lambda e: {"code": e.code, "library": getattr(e, "library", None),  # noqa: E731
                           "reason": getattr(e, "reason", None)}

        def on_connection(s):
            s.on("data", s.write)
            s.on("error", lambda e: r.update(server=parts(e)))

        server, port = listening_server(self, listener=on_connection)
        server.on("tlsClientError", lambda *a: r.update(tlsClientError=r["tlsClientError"] + 1))
        raws = []

        def bad():
            raw = socket.create_connection(("127.0.0.1", port))
            raws.append(raw)
            b = tlsplug.connect(socket=os.dup(raw.fileno()), reject_unauthorized=False)
            b.on("error", lambda e: r.update(client=parts(e)))

            def on_data(_d):
                raw.sendall(BAD_RECORD)
                raw.shutdown(socket.SHUT_WR)
            b.once("secureConnect", lambda: (b.write(b"x"), b.once("data", on_data)))

        c = tlsplug.connect(port, "127.0.0.1", reject_unauthorized=False)

        def on_echo(_d):
            r["echoes"] += 1
            if r["echoes"] == 3:
                bad()
            if r["echoes"] < ROUNDS:
                c.write(b"a")
            else:
                c.end()
        c.on("data", on_echo)
        c.write(b"a")
        closed = []
        c.on("close", closed.append)
        try:
            run_until(self, lambda: r["server"] and r["client"] and closed, what="both errors")
        finally:
            for raw in raws:
                raw.close()
        self.assertEqual(r, want)
        close_server(self, server)


if __name__ == "__main__":
    unittest.main()
