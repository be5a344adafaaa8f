"""Port of Node's test/parallel/tls/securepair-server.js
(test-tls-securepair-server.js).

A plain TCP server hands each connection to a server SecurePair (the
ciphertext side piped both ways to the socket); once 'secure' it writes
"hello\\r\\n" and echoes what it reads. `openssl s_client` connects: on
"hello" it sends "world\\r\\n", on the echoed "world" it closes its input,
and must exit 0. Node's file asserts gotHello, sentWorld, gotWorld and the
exit code; node runs the same scenario in the same run and the tlsplug
pair (its context with Node's cipher list) must give the same."""
import os
import socket
import subprocess
import time
import unittest

from nodeport import OPENSSL, need_pki, node_eval, pki
from nodeport_parity import serve_pair_over_socket

import tlsplug

CIPHERS = "RC4-SHA:AES128-SHA:AES256-SHA"

NODE = r"""
const {spawn}=require('child_process');
const got={hello:false,sentWorld:false,world:false,secure:0};
const server=net.createServer(socket=>{
  const ctx=tls.createSecureContext({key:pem('server.key'),cert:pem('server-chain.pem'),ciphers:CIPHERS});
  const pair=tls.createSecurePair(ctx,true);
  pair.encrypted.pipe(socket);socket.pipe(pair.encrypted);
  pair.on('secure',()=>{got.secure++;pair.cleartext.write('hello\r\n')});
  pair.cleartext.on('data',d=>pair.cleartext.write(d));
  for(const e of [pair,pair.cleartext,pair.encrypted,socket])e.on('error',()=>socket.destroy());
});
server.listen(0,'127.0.0.1',()=>{
  const c=spawn(process.env.TLSPLUG_OPENSSL||'openssl',['s_client','-connect','127.0.0.1:'+server.address().port]);
  let out='';c.stdout.setEncoding('utf8');
  c.stdout.on('data',d=>{out+=d;
    if(!got.hello&&/hello/.test(out)){got.hello=true;c.stdin.write('world\r\n');got.sentWorld=true}
    if(!got.world&&/world/.test(out)){got.world=true;c.stdin.end()}});
  c.on('exit',code=>{got.code=code;server.close();report(got)});
});
"""


@need_pki
class SecurePairServer(unittest.TestCase):
    def test_openssl_client_through_a_server_pair(self):
        if not OPENSSL:
            self.skipTest("openssl is not installed")
        node = node_eval(NODE.replace("CIPHERS", repr(CIPHERS)), timeout=15)
        self.assertNotIn("timeout", node)

        got = {"hello": False, "sentWorld": False, "world": False, "secure": 0}
        listener = socket.create_server(("127.0.0.1", 0))
        self.addCleanup(listener.close)
        env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
        client = subprocess.Popen([OPENSSL, "s_client", "-connect",
                                   f"127.0.0.1:{listener.getsockname()[1]}"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, env=env)
        self.addCleanup(lambda: client.poll() is None and client.kill())
        listener.settimeout(10)
        conn, _ = listener.accept()
        self.addCleanup(conn.close)

        ctx = tlsplug.create_secure_context(key=pki("server.key"), cert=pki("server-chain.pem"),
                                            ciphers=CIPHERS)
        pair = tlsplug.create_secure_pair(ctx, True)
        errors = []

        def on_secure():
            got["secure"] += 1
            pair.cleartext.write(b"hello\r\n")
        pair.on("secure", on_secure)
        pair.on("error", errors.append)
        pair.cleartext.on("data", lambda d: pair.cleartext.write(d))

        seen = [""]

        def on_output(text):
            seen[0] += text
            if not got["hello"] and "hello" in seen[0]:
                got["hello"] = True
                client.stdin.write(b"world\r\n")
                client.stdin.flush()
                got["sentWorld"] = True
            if not got["world"] and "world" in seen[0]:
                got["world"] = True
                client.stdin.close()

        serve_pair_over_socket(conn, pair, client.stdout, on_output, time.monotonic() + 15)
        got["code"] = client.wait(timeout=10)
        self.assertEqual(errors, [])
        self.assertEqual(got, node)
        self.assertEqual(node["code"], 0)
        self.assertTrue(node["hello"] and node["sentWorld"] and node["world"])
        pair.destroy()


if __name__ == "__main__":
    unittest.main()
