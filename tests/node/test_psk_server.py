"""Port of Node's test/parallel/tls/psk-server.js (test-tls-psk-server.js):
a server with pskIdentityHint and a pskCallback that knows one identity,
greeting each client and echoing what it sends, reached by `openssl
s_client -psk`. The same s_client conversation runs against a node server
(the oracle) and a tlsplug server in the same test run: both must greet,
echo, be told the same identity, and let s_client exit 0."""
import os
import subprocess
import threading
import unittest

from nodeport import LoopTestCase, NODE, OPENSSL, close_server, need_pki, run_until
import tlsplug

CIPHERS = "PSK+HIGH"
KEY = "d731ef57be09e5204f0b205b60627028"
IDENTITY = "TestUser"


def s_client(port):
    """openssl s_client with the PSK: wait for the greeting, send 'world',
    wait for its echo, close. Answers (exit code, what it printed)."""
    p = subprocess.Popen([OPENSSL, "s_client", "-connect", "127.0.0.1:%d" % port, "-cipher",
                          CIPHERS, "-psk", KEY, "-psk_identity", IDENTITY],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = b""
    timer = threading.Timer(15, p.kill)  # bounded
    timer.start()
    try:
        while b"hello" not in out:
            chunk = p.stdout.read1(4096)
            if not chunk:
                break
            out += chunk
        p.stdin.write(b"world\r\n")
        p.stdin.flush()
        while out.count(b"world") < 1:  # the echo (s_client prints no input)
            chunk = p.stdout.read1(4096)
            if not chunk:
                break
            out += chunk
        p.stdin.close()
        out += p.stdout.read()
        return p.wait(), out.decode(errors="replace")
    finally:
        timer.cancel()


def node_server():
    js = ("const tls=require('tls');const ids=[];const s=tls.createServer({ciphers:'%s',"
          "pskIdentityHint:'%s',pskCallback:(sock,id)=>{ids.push(id);"
          "if(id==='%s')return Buffer.from('%s','hex')}},c=>{c.write('hello\\r\\n');"
          "c.on('data',d=>c.write(d));c.on('close',()=>{console.log(JSON.stringify(ids));"
          "s.close()})});s.listen(0,'127.0.0.1',()=>console.log(s.address().port));"
          "setTimeout(()=>process.exit(1),20000).unref()" % (CIPHERS, IDENTITY, IDENTITY, KEY))
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    return subprocess.Popen([NODE, "-e", js], stdout=subprocess.PIPE, text=True, env=env)


@unittest.skipUnless(NODE and OPENSSL, "node or openssl is not installed")
@need_pki
class PSKServer(LoopTestCase):
    def test_same_conversation_as_node(self):
        node = node_server()
        self.addCleanup(node.wait, 20)
        port = int(node.stdout.readline())
        expected_rc, expected_out = s_client(port)
        node_ids = node.stdout.readline().strip()
        self.assertEqual(expected_rc, 0)
        self.assertIn("world", expected_out)

        ids = []

        def psk(sock, identity):
            ids.append(identity)
            return bytes.fromhex(KEY) if identity == IDENTITY else None

        def greet(c):
            c.write(b"hello\r\n")
            c.on("data", c.write)
        server = tlsplug.create_server({"ciphers": CIPHERS, "psk_identity_hint": IDENTITY,
                                        "psk_callback": psk}, greet)
        server.listen(0, "127.0.0.1")
        run_until(self, lambda: server.listening, what="listening")
        box, port = {}, server.address()["port"]
        t = threading.Thread(target=lambda: box.setdefault("r", s_client(port)))
        t.start()
        run_until(self, lambda: not t.is_alive(), timeout=20, poll_ms=20, what="s_client done")
        close_server(self, server)
        rc, out = box["r"]
        self.assertEqual(rc, expected_rc)
        self.assertIn("hello", out)
        self.assertIn("world", out)
        self.assertEqual('["%s"]' % IDENTITY, node_ids)
        self.assertEqual(ids, [IDENTITY])


if __name__ == "__main__":
    unittest.main()
