"""Port of Node's test/parallel/tls/enable-trace.js (test-tls-enable-trace.js):
enableTrace() on both ends of a connection reports the handshake's
messages. Node prints OpenSSL's trace to stderr; tlsplug reports one line
per message ("Sent ClientHello, Length=N"), to stderr by default or to a
given writer. The messages each role sees, in order, are compared with the
handshake messages OpenSSL's trace shows from live node in the same run
(ClientHello, ServerHello, Finished, in both directions)."""
import io
import re
import contextlib
import unittest

from nodeport import LoopTestCase, NODE, close_server, listening_server, need_pki, run_until
import tlsplug

KEY_MESSAGES = ("ClientHello", "ServerHello", "Finished")


def node_trace():
    """node's own trace (OpenSSL's, on stderr) of a client's TLS 1.3
    handshake: "Sent Record" / "Received Record" headers, each message's
    name indented under them ("    ClientHello, Length=340"). Answers the
    key messages in order, as "Sent ClientHello"."""
    import os
    import subprocess
    from nodeport import PKI
    js = ("const tls=require('tls'),fs=require('fs');const P=process.argv[1];"
          "const s=tls.createServer({key:fs.readFileSync(P+'/server.key'),"
          "cert:fs.readFileSync(P+'/server-chain.pem')},c=>c.end());"
          "s.listen(0,'127.0.0.1',()=>{const c=tls.connect({port:s.address().port,"
          "host:'127.0.0.1',rejectUnauthorized:false},()=>{});c.enableTrace();"
          "c.on('close',()=>s.close())})")
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    out = subprocess.run([NODE, "-e", js, PKI], capture_output=True, text=True, timeout=20, env=env)
    seen, direction = [], None
    for line in out.stderr.splitlines():
        m = re.match(r"^(Sent|Received) Record", line)
        if m:
            direction = m.group(1)
            continue
        m = re.match(r"^    (\w+), Length=\d+", line)
        if m and direction and m.group(1) in KEY_MESSAGES:
            seen.append("%s %s" % (direction, m.group(1)))
    return seen


def key_lines(lines):
    out = []
    for line in lines:
        m = re.match(r"^(Sent|Received) (\w+), Length=\d+$", line)
        assert m, line
        if m.group(2) in KEY_MESSAGES:
            out.append("%s %s" % (m.group(1), m.group(2)))
    return out


@unittest.skipUnless(NODE, "node is not installed")
@need_pki
class EnableTrace(LoopTestCase):
    def test_both_roles(self):
        expected_client = node_trace()
        self.assertIn("Sent ClientHello", expected_client, "node's trace could not be read")
        lines = {"client": [], "server": []}

        def on_secure(sock):
            sock.end()
        server, port = listening_server(self, {}, on_secure)
        server.on("connection", lambda sock: sock.enable_trace(lines["server"].append))
        c = tlsplug.connect(port, "127.0.0.1", reject_unauthorized=False)
        c.enable_trace(lines["client"].append)
        closed = []
        c.on("close", lambda *a: closed.append(1))
        run_until(self, lambda: closed, what="client closed")
        close_server(self, server)
        client, srv = key_lines(lines["client"]), key_lines(lines["server"])
        self.assertEqual(client, expected_client)
        self.assertEqual(srv, ["Received ClientHello", "Sent ServerHello", "Sent Finished",
                               "Received Finished"])

    def test_default_writes_stderr(self):
        server, port = listening_server(self, {}, lambda s: s.end())
        c = tlsplug.connect(port, "127.0.0.1", reject_unauthorized=False)
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            c.enable_trace()
            closed = []
            c.on("close", lambda *a: closed.append(1))
            run_until(self, lambda: closed, what="client closed")
        close_server(self, server)
        self.assertIn("Sent ClientHello, Length=", err.getvalue())


if __name__ == "__main__":
    unittest.main()
