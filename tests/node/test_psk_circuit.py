"""Port of Node's test/parallel/tls/psk-circuit.js (test-tls-psk-circuit.js):
a server whose pskCallback(socket, identity) looks the identity up, a
client whose pskCallback(hint) answers {psk, identity}, over TLS 1.2 PSK
suites and TLS 1.3's external PSK; an unknown identity and a wrong key fail
the handshake. Each case runs three ways in the same test run: node on both
ends (the oracle), a tlsplug server with a node client, and a node server
with a tlsplug client; what the client saw (the echoed data, or the error
code) must be what node saw."""
import threading
import unittest

from nodeport import LoopTestCase, NODE, close_server, need_pki, node_eval, run_until
import tlsplug

CIPHERS = "PSK+HIGH:TLS_AES_128_GCM_SHA256"
USERS = {"UserA": "11" * 128, "UserB": "82072606b502b0f4025e90eb75fe137d"}
# name: (the client's answer: key's user, identity; extra client options)
CASES = {
    "a": ("UserA", "UserA", {}),
    "a_tls12": ("UserA", "UserA", {"maxVersion": "TLSv1.2"}),
    "a_tls13": ("UserA", "UserA", {"minVersion": "TLSv1.3"}),
    "b": ("UserB", "UserB", {}),
    "b_tls12": ("UserB", "UserB", {"maxVersion": "TLSv1.2"}),
    "b_tls13": ("UserB", "UserB", {"minVersion": "TLSv1.3"}),
    "unknown_identity": ("UserB", "UserC", {}),
    "wrong_key": ("UserA", "UserB", {}),
    "unknown_identity_tls12": ("UserB", "UserC", {"maxVersion": "TLSv1.2"}),
    "wrong_key_tls12": ("UserA", "UserB", {"maxVersion": "TLSv1.2"}),
}

_JS_COMMON = ("const USERS={UserA:Buffer.from('%s','hex'),UserB:Buffer.from('%s','hex')};"
              "const CIPHERS='%s';" % (USERS["UserA"], USERS["UserB"], CIPHERS))
_JS_CLIENT = ("function client(port,user,id,opts,cb){const r={};const c=tls.connect(Object.assign("
              "{port,host:'127.0.0.1',ciphers:CIPHERS,checkServerIdentity:()=>{},"
              "pskCallback:()=>({psk:USERS[user],identity:id})},opts),()=>{r.version=c.getProtocol();"
              "c.end('x')});c.on('data',d=>{r.data=d.toString()});"
              "c.on('error',e=>{r.error=e.code});c.on('close',()=>cb(r))}")
_JS_SERVER = ("const s=tls.createServer({ciphers:CIPHERS,pskCallback:(sock,id)=>USERS[id]},"
              "c=>c.pipe(c));s.on('tlsClientError',()=>{});")


def node_both(case):
    user, ident, opts = CASES[case]
    return node_eval(_JS_COMMON + _JS_CLIENT + _JS_SERVER +
                     "s.listen(0,'127.0.0.1',()=>client(s.address().port,%r,%r,%s,r=>{"
                     "s.close();report(r)}))" % (user, ident, _to_js(opts)))


def _to_js(opts):
    return "{" + ",".join("%s:%r" % kv for kv in opts.items()) + "}"


def _py_opts(opts):
    names = {"maxVersion": "max_version", "minVersion": "min_version"}
    return {names[k]: v for k, v in opts.items()}


@unittest.skipUnless(NODE, "node is not installed")
@need_pki
class PSKCircuit(LoopTestCase):
    def in_thread(self, js):
        box = {}
        t = threading.Thread(target=lambda: box.setdefault("r", node_eval(js)))
        t.start()
        run_until(self, lambda: not t.is_alive(), poll_ms=20, what="node finished")
        return box["r"]

    def tlsplug_server(self, case):
        user, ident, opts = CASES[case]
        seen = []

        def psk(sock, identity):
            seen.append((isinstance(sock, tlsplug.TLSSocket), identity))
            k = USERS.get(identity)
            return bytes.fromhex(k) if k else None

        def echo(c):  # node's c.pipe(c)
            c.on("data", c.write)
            c.on("end", c.end)
        server = tlsplug.create_server({"ciphers": CIPHERS, "psk_callback": psk},
                                       echo)
        server.on("tlsClientError", lambda err, sock: None)
        server.listen(0, "127.0.0.1")
        run_until(self, lambda: server.listening, what="listening")
        port = server.address()["port"]
        r = self.in_thread(_JS_COMMON + _JS_CLIENT + "client(%d,%r,%r,%s,report)"
                           % (port, user, ident, _to_js(opts)))
        close_server(self, server)
        self.assertEqual(seen[:1], [(True, ident)])
        return r

    def _client_against_node_server(self, user, ident, opts):
        import json
        import os
        import subprocess
        from nodeport import _PRELUDE, PKI
        js = (_PRELUDE % 20000 + _JS_COMMON + _JS_SERVER +
              "s.listen(0,'127.0.0.1',()=>console.log(JSON.stringify(s.address().port)));"
              "process.stdin.on('end',()=>process.exit(0));process.stdin.resume();")
        env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
        node = subprocess.Popen([NODE, "-e", js, PKI], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True, env=env)
        self.addCleanup(node.wait, 20)
        self.addCleanup(node.stdin.close)
        port = json.loads(node.stdout.readline())
        r, hints = {}, []

        def psk(hint):
            hints.append(hint)
            return {"psk": bytes.fromhex(USERS[user]), "identity": ident}
        c = tlsplug.connect(port, "127.0.0.1", ciphers=CIPHERS, check_server_identity=lambda *a: None,
                            psk_callback=psk, **_py_opts(opts))
        c.on("secureConnect", lambda: (r.setdefault("version", c.get_protocol()), c.end(b"x")))
        c.on("data", lambda d: r.__setitem__("data", r.get("data", "") + d.decode()))
        c.on("error", lambda e: r.setdefault("error", e.code))
        closed = []
        c.on("close", lambda *a: closed.append(1))
        run_until(self, lambda: closed, what="client closed")
        self.assertEqual(len(hints), 1)
        return r

    def test_cases_match_node(self):
        for case in CASES:
            with self.subTest(case=case):
                expected = node_both(case)
                self.assertNotIn("timeout", expected)
                self.assertEqual(self.tlsplug_server(case), expected, "tlsplug server")
                user, ident, opts = CASES[case]
                self.assertEqual(self._client_against_node_server(user, ident, opts), expected,
                                 "tlsplug client")


if __name__ == "__main__":
    unittest.main()
