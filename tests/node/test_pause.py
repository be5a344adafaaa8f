"""Port of Node's test/parallel/tls/pause.js: a client pauses as soon as it
is secure and writes 1 MiB buffers to an echoing server until write()
answers false; while it is paused no 'data' arrives, and once resumed it
reads back exactly as many bytes as it sent. The server echoes as a pipe
does (pausing on a full write, resuming on 'drain'). Node's run of the
same scenario is the oracle for those facts."""
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

CHUNK = 1024 * 1024
LIMIT = 100 * CHUNK

NODE = """
const CHUNK = %d, LIMIT = %d;
const r = {sent: 0, received: 0, dataWhilePaused: false, writesBeforeFalse: 0};
const server = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem')},
                                s => s.pipe(s));
server.listen(0, '127.0.0.1', () => {
  let resumed = false;
  const c = tls.connect({host: '127.0.0.1', port: server.address().port, rejectUnauthorized: false},
                        () => {
    c.pause();
    (function send() {
      const ok = c.write(Buffer.alloc(CHUNK)); r.sent += CHUNK; r.writesBeforeFalse++;
      if (ok && r.sent < LIMIT) return process.nextTick(send);
      resumed = true; c.resume();
    })();
  });
  c.on('data', d => {
    if (!resumed) r.dataWhilePaused = true;
    r.received += d.length;
    if (r.received >= r.sent) { c.end(); server.close(() => report(r)); }
  });
});
"""


class Pause(LoopTestCase):
    def test_paused_client_reads_all_after_resume(self):
        want = node_eval(NODE % (CHUNK, LIMIT))
        self.assertFalse(want["dataWhilePaused"])
        self.assertEqual(want["received"], want["sent"])

        def echo(s):
            def on_data(d):
                if not s.write(d):
                    s.pause()
            s.on("data", on_data)
            s.on("drain", lambda *a: s.resume())
        server, port = listening_server(self, listener=echo)
        r = {"sent": 0, "received": 0, "dataWhilePaused": False, "resumed": False}

        def on_secure():
            c.pause()
            while True:
                ok = c.write(bytes(CHUNK))
                r["sent"] += CHUNK
                if not ok or r["sent"] >= LIMIT:
                    break
            r["resumed"] = True
            c.resume()

        def on_data(d):
            if not r["resumed"]:
                r["dataWhilePaused"] = True
            r["received"] += len(d)
        c = tlsplug.connect(port, "127.0.0.1", reject_unauthorized=False,
                            on_secure_connect=on_secure)
        c.on("data", on_data)
        run_until(self, lambda: r["resumed"] and r["received"] >= r["sent"], timeout=30,
                  what="the echo")
        c.destroy()
        close_server(self, server)
        self.assertLess(r["sent"], LIMIT, "write() never answered false")
        self.assertEqual(r["dataWhilePaused"], want["dataWhilePaused"])
        self.assertEqual(r["received"], r["sent"])


if __name__ == "__main__":
    unittest.main()
