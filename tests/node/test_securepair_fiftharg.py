"""Port of Node's test/parallel/tls/securepair-fiftharg.js
(test-tls-securepair-fiftharg.js).

Node's file gives createSecurePair a fifth argument, options with an
SNICallback, feeds the server pair a browser's ClientHello for
www.google.com and asserts that the callback is called with that name.
Here the ClientHello comes from Python's ssl; node, fed the same bytes,
reports the name its SNICallback got and that the pair writes nothing while
the callback has not answered.

tlsplug's createSecurePair takes Node's first four arguments only (the
SNICallback lives on the server, tlsplug_server_set_sni_callback): the pair
reads the same name (cleartext.servername) and goes on with its own context
at once. That is a deviation, with a row in docs/NODE_MAP.md; a fifth
argument is refused (TypeError), never dropped in silence."""
import unittest

from nodeport import need_pki, node_eval, pki
from nodeport_parity import foreign_client_hello

import tlsplug

NODE = r"""
const ctx=tls.createSecureContext({key:pem('server.key'),cert:pem('server-chain.pem')});
let calls=0,name=null;
let out=0;
// Once called (never answered), a turn of the loop later: what the pair wrote.
const p=tls.createSecurePair(ctx,true,false,false,{SNICallback:(n,cb)=>{calls++;name=n;
  setImmediate(()=>setImmediate(()=>report({calls,name,out})))}});
p.encrypted.on('data',d=>{out+=d.length});
p.encrypted.write(Buffer.from(HELLO,'hex'));
"""


@need_pki
class SecurePairFifthArg(unittest.TestCase):
    def test_the_pair_reads_the_client_hello_s_server_name(self):
        hello = foreign_client_hello("www.google.com")
        node = node_eval(NODE.replace("HELLO", repr(hello.hex())))
        self.assertEqual(node["calls"], 1)
        ctx = tlsplug.create_secure_context(key=pki("server.key"), cert=pki("server-chain.pem"))
        pair = tlsplug.create_secure_pair(ctx, True, False, False)
        pair.encrypted.write(hello)
        self.assertEqual(pair.cleartext.servername, node["name"])
        # The deviation: node holds the handshake for the callback; the
        # tlsplug pair answers the ClientHello at once.
        self.assertEqual(node["out"], 0)
        self.assertGreater(len(pair.encrypted.read()), 0)
        pair.destroy()

    def test_a_fifth_argument_is_refused(self):
        ctx = tlsplug.create_secure_context(key=pki("server.key"), cert=pki("server-chain.pem"))
        with self.assertRaises(TypeError):
            tlsplug.create_secure_pair(ctx, True, False, False,
                                       {"sni_callback": lambda name, cb: None})


if __name__ == "__main__":
    unittest.main()
