"""Port of Node's test/parallel/tls/sni-option.js (test-tls-sni-option.js).

An SNICallback answering from a timer: a context for a known name (the
client sees that context's certificate), nothing for an unknown name (the
server's own context), and an answer that is not a context, which fails
the handshake with tlsClientError "Invalid SNI context" while the client
hears the connection go. Node's messages and codes come from the same
scenario run in node. The Python binding also takes a dict of
create_secure_context options as the answer (docs/NODE_MAP.md): it works,
and options that make no context fail the handshake at once."""
import unittest

from nodeport_b import (LoopTestCase, close_server, listening_server, need_pki, node_eval, pki,
                        run_until, tlsplug)

# node: SNICallback answering {} (not a context) 20 ms later.
NODE_INVALID = r"""
const srv=tls.createServer({key:pem('server.key'),cert:pem('server-chain.pem'),
  SNICallback:(n,cb)=>setTimeout(()=>cb(null,{}),20)});
const out={};
srv.on('tlsClientError',e=>{out.server=e.message});
srv.listen(0,'127.0.0.1',()=>{
  const c=tls.connect({port:srv.address().port,host:'127.0.0.1',servername:'c.another.test',
    rejectUnauthorized:false},()=>{out.secure=true});
  c.on('error',e=>{out.client=e.code});
  c.on('close',()=>srv.close(()=>report(out)))});
"""


@need_pki
class SniOptionTest(LoopTestCase):
    def serve(self, answers):
        """A server whose SNICallback answers answers[servername] 20 ms later."""
        seen = {"secure": [], "client_errors": []}

        def sni(servername, cb):
            tlsplug.set_timeout(lambda: cb(None, answers.get(servername)), 20)

        server, port = listening_server(self, {"sni_callback": sni},
                                        lambda s: (seen["secure"].append(s.servername), s.end()))
        server.on("tlsClientError", lambda e, s: seen["client_errors"].append(e))
        return server, port, seen

    def connect(self, port, servername):
        c = tlsplug.connect(port, "127.0.0.1", ca=pki("ca.pem"), servername=servername,
                            reject_unauthorized=False)
        out = {}
        c.on("secureConnect", lambda: (out.update(secure=True, cert=c.get_peer_certificate(),
                                                  authorization_error=c.authorization_error),
                                       c.end()))
        c.on("error", lambda e: out.update(error=e))
        c.on("close", lambda *a: out.update(closed=True))
        run_until(self, lambda: "closed" in out, what=f"client {servername} closed")
        return out

    def test_context_none_and_not_a_context(self):
        node = node_eval(NODE_INVALID)
        self.assertNotIn("timeout", node)
        other = tlsplug.create_secure_context(key=pki("wronghost.key"),
                                              cert=pki("wronghost-chain.pem"))
        server, port, seen = self.serve({"other.test": other, "bad.test": object()})

        known = self.connect(port, "other.test")  # SNI picks the other context
        self.assertTrue(known["secure"])
        self.assertIn("other.test", known["cert"]["subjectaltname"])
        self.assertIsNone(known["authorization_error"])

        unknown = self.connect(port, "unknown.test")  # None: the server's own
        self.assertTrue(unknown["secure"])
        self.assertIn("server.test", unknown["cert"]["subjectaltname"])

        bad = self.connect(port, "bad.test")
        self.assertNotIn("secure", bad)
        self.assertIn("error", bad)
        self.assertNotIn("secure", node)
        self.assertEqual(len(seen["client_errors"]), 1)
        self.assertEqual(seen["client_errors"][0].message, node["server"])
        self.assertEqual(seen["secure"], ["other.test", "unknown.test"])
        close_server(self, server)

    def test_options_dict_works_and_bad_options_fail_fast(self):
        server, port, seen = self.serve({
            "other.test": {"key": pki("wronghost.key"), "cert": pki("wronghost-chain.pem")},
            "broken.test": {"key": b"not a key", "cert": pki("wronghost-chain.pem")}})
        known = self.connect(port, "other.test")
        self.assertTrue(known["secure"])
        self.assertIn("other.test", known["cert"]["subjectaltname"])
        broken = self.connect(port, "broken.test")  # bounded by run_until: never a stall
        self.assertIn("error", broken)
        self.assertEqual(len(seen["client_errors"]), 1)
        self.assertEqual(seen["secure"], ["other.test"])
        close_server(self, server)


if __name__ == "__main__":
    unittest.main()
