"""Port of Node's test/parallel/tls/ip-servername-deprecation.js
(test-tls-ip-servername-deprecation.js): tls.connect() with an IP address
as servername warns DEP0123 (a DeprecationWarning), once per process. The
warning's kind, code and text, and how many times it comes for two such
connections, are node's, taken from live node in the same run."""
import threading
import unittest
import warnings

from nodeport import LoopTestCase, NODE, close_server, listening_server, need_pki, node_eval, run_until
import tlsplug

_NODE = ("const seen=[];process.on('warning',w=>seen.push([w.name,w.code,w.message]));"
         "const s=tls.createServer({key:pem('server.key'),cert:pem('server-chain.pem')},k=>k.end());"
         "let n=0;function one(port,cb){const c=tls.connect({port,host:'127.0.0.1',"
         "rejectUnauthorized:false,servername:'127.0.0.1'},()=>c.end());c.on('close',cb)}"
         "s.listen(0,'127.0.0.1',()=>one(s.address().port,()=>one(s.address().port,()=>"
         "{s.close();setImmediate(()=>report(seen))})))")


@unittest.skipUnless(NODE, "node is not installed")
@need_pki
class IPServernameDeprecation(LoopTestCase):
    def connections(self, servername, count):
        """The warnings `count` connections with `servername` raised."""
        server, port = listening_server(self, listener=lambda k: k.end())
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for _ in range(count):
                closed = []
                c = tlsplug.connect(port, "127.0.0.1", servername=servername,
                                    reject_unauthorized=False)
                c.on("secureConnect", c.end)
                c.on("close", lambda *a: closed.append(1))
                run_until(self, lambda: closed, what="client close")
        close_server(self, server)
        return caught

    def test_warns_once(self):
        expected = node_eval(_NODE)
        caught = self.connections("127.0.0.1", 2)
        # Node's warning.name is its kind: DeprecationWarning.
        got = [["DeprecationWarning" if isinstance(w.message, DeprecationWarning)
                else type(w.message).__name__, getattr(w.message, "code", None), str(w.message)]
               for w in caught]
        self.assertEqual(got, expected)
        self.assertTrue(all(issubclass(w.category, DeprecationWarning) for w in caught))

    def test_host_names_do_not_warn(self):
        caught = self.connections("localhost", 1)
        self.assertEqual([w for w in caught if w.category is tlsplug.TLSDeprecationWarning], [])


if __name__ == "__main__":
    unittest.main()
