"""Port of the ALPNCallback cases of Node's test/parallel/tls/
alpn-server-client.js (test-tls-alpn-server-client.js): a server whose
ALPNCallback({servername, protocols}) picks the protocol, refuses the
client (undefined), or answers one the client never offered; and the
option's exclusion with ALPNProtocols. Every outcome (the protocols each
end sees, the client's error code, the server's tlsClientError code, what
the callback was given) is compared with live node running the same
scenario as the server, a node client connecting to each."""
import threading
import unittest

from nodeport import LoopTestCase, NODE, close_server, listening_server, need_pki, node_eval, pki, run_until
import tlsplug
from tlsplug.server import ALPNCallbackWithProtocolsError

# (client's ALPNProtocols, what the server's callback answers)
CASES = {"chosen": (["a", "b"], "b"), "refused": (["a"], None),
         "invalid": (["a"], "zz"), "no_client_alpn": (None, "a")}

_NODE_CLIENT = ("function client(port,protos,cb){const r={};const c=tls.connect({port,"
                "host:'127.0.0.1',rejectUnauthorized:false,servername:'foo.test',"
                "ALPNProtocols:protos},()=>{r.client=c.alpnProtocol;c.end()});"
                "c.on('error',e=>{r.client_error=e.code});c.on('close',()=>cb(r))}")


def node_as_server(case):
    """The case run by node on both ends: what each end reported."""
    protos, answer = CASES[case]
    js = (_NODE_CLIENT + "const seen=[];const s=tls.createServer({key:pem('server.key'),"
          "cert:pem('server-chain.pem'),ALPNCallback:a=>{seen.push(a);return %s}},"
          "k=>{r.server=k.alpnProtocol;k.end()});const r={};"
          "s.on('tlsClientError',e=>{r.server_error=e.code});"
          "s.listen(0,'127.0.0.1',()=>client(s.address().port,%s,c=>{"
          "setImmediate(()=>{s.close();report(Object.assign(r,c,{seen}))})}))"
          % ("undefined" if answer is None else repr(answer),
             "undefined" if protos is None else repr(protos)))
    return node_eval(js)


@unittest.skipUnless(NODE, "node is not installed")
@need_pki
class ALPNCallback(LoopTestCase):
    def tlsplug_as_server(self, case):
        protos, answer = CASES[case]
        r, seen = {}, []

        def callback(info):
            seen.append(info)
            return answer
        server, port = listening_server(self, {"alpn_callback": callback},
                                        lambda k: (r.setdefault("server", k.alpn_protocol or False),
                                                   k.end()))
        server.on("tlsClientError", lambda err, sock: r.setdefault("server_error", err.code))
        box = {}
        t = threading.Thread(target=lambda: box.setdefault("c", node_eval(
            _NODE_CLIENT + "client(%d,%s,report)" % (port, "undefined" if protos is None
                                                      else repr(protos)))))
        t.start()
        run_until(self, lambda: not t.is_alive(), poll_ms=20, what="the node client finished")
        close_server(self, server)
        r.update(box["c"])
        r["seen"] = seen
        return r

    def test_cases_match_node(self):
        for case in CASES:
            with self.subTest(case=case):
                expected = node_as_server(case)
                got = self.tlsplug_as_server(case)
                self.assertEqual(got, expected)

    def test_exclusive_with_alpn_protocols(self):
        expected = node_eval(
            "try{tls.createServer({ALPNProtocols:['a'],ALPNCallback:()=>'a'})}"
            "catch(e){report([e.name,e.code,e.message])}")
        with self.assertRaises(ALPNCallbackWithProtocolsError) as cm:
            tlsplug.create_server(key=pki("server.key"), cert=pki("server-chain.pem"),
                                  alpn_protocols=["a"], alpn_callback=lambda info: "a")
        self.assertIsInstance(cm.exception, TypeError)
        self.assertEqual(expected, ["TypeError", cm.exception.code, cm.exception.message])


if __name__ == "__main__":
    unittest.main()
