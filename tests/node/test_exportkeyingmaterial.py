"""Port of Node's test/parallel/tls/exportkeyingmaterial.js
(test-tls-exportkeyingmaterial.js): exportKeyingMaterial(length, label,
context) before and after the handshake, with and without a context, and
its argument errors. Beyond Node's file, the material is compared with
what live node computes on the other end of the same connection, both
ways round and in TLS 1.2 and 1.3."""
import threading
import unittest

from nodeport import (LoopTestCase, NODE, close_server, listening_server, need_pki, node_eval,
                      pki, run_until)
from node_server import NodeServer
import tlsplug

# Node's file uses "client finished", which OpenSSL refuses below TLS 1.3
# (a label TLS 1.2 reserves): the interop runs use a label of RFC 5705's
# EXPORTER- form; test_reserved_label compares the refusal itself.
LABEL = "EXPORTER-tlsplug-test"
CTX = bytes([0, 1, 2, 3])

# The same exports, computed by node on its socket: hex strings.
_NODE_EXPORTS = ("const ekm=s=>({none:s.exportKeyingMaterial(128,%r).toString('hex'),"
                 "ctx:s.exportKeyingMaterial(128,%r,Buffer.from([0,1,2,3])).toString('hex'),"
                 "empty:s.exportKeyingMaterial(128,%r,Buffer.alloc(0)).toString('hex'),"
                 "version:s.getProtocol()});" % (LABEL, LABEL, LABEL))


def ours(sock):
    return {"none": sock.export_keying_material(128, LABEL).hex(),
            "ctx": sock.export_keying_material(128, LABEL, CTX).hex(),
            "empty": sock.export_keying_material(128, LABEL, b"").hex(),
            "version": sock.get_protocol()}


def in_thread(fn):
    """Run fn() (a blocking node_eval) beside the loop; answers a getter."""
    box = {}

    def run():
        try:
            box["value"] = fn()
        except BaseException as e:  # handed to the test thread
            box["error"] = e
    t = threading.Thread(target=run, daemon=True)
    t.start()

    def result():
        t.join(30)
        if "error" in box:
            raise box["error"]
        return box["value"]
    return t, result


@unittest.skipUnless(NODE, "node is not installed")
@need_pki
class ExportKeyingMaterial(LoopTestCase):
    def test_before_the_handshake(self):
        # Node's server-side TLSSocket throws ERR_TLS_INVALID_STATE before 'secure'.
        expected = node_eval(
            "const s=new tls.TLSSocket(new net.Socket());"
            "try{s.exportKeyingMaterial(128,'label')}catch(e){report([e.name,e.code,e.message])}")
        got = {}

        def on_connection(sock):
            try:
                sock.export_keying_material(128, "label")
            except tlsplug.TLSError as e:
                got["error"] = [e.code, e.message]
        server, port = listening_server(self, listener=lambda s: s.end())
        server.on("connection", on_connection)
        c = tlsplug.connect(port, "127.0.0.1", reject_unauthorized=False)
        c.on("close", lambda *a: got.setdefault("closed", True))
        c.on("error", lambda e: None)
        run_until(self, lambda: "closed" in got, what="client close")
        close_server(self, server)
        self.assertEqual(got["error"], expected[1:])

    def test_node_client_tlsplug_server(self):
        for version in ("TLSv1.2", "TLSv1.3"):
            with self.subTest(version=version):
                mine = {}
                server, port = listening_server(
                    self, {"max_version": version},
                    lambda s: (mine.setdefault("v", ours(s)), s.end()))
                t, theirs = in_thread(lambda: node_eval(
                    _NODE_EXPORTS + "const c=tls.connect({port:%d,host:'127.0.0.1',"
                    "rejectUnauthorized:false},()=>{const r=ekm(c);c.end();report(r)});"
                    "c.on('error',e=>report({error:e.code}))" % port))
                run_until(self, lambda: "v" in mine and not t.is_alive(), poll_ms=20,
                          what="both ends exported")
                close_server(self, server)
                self.assertEqual(theirs(), mine["v"])
                self.assertEqual(mine["v"]["version"], version)
                self.assertNotEqual(mine["v"]["none"], mine["v"]["ctx"])

    def test_tlsplug_client_node_server(self):
        for version in ("TLSv1.2", "TLSv1.3"):
            with self.subTest(version=version):
                with NodeServer(
                        _NODE_EXPORTS + "const s=tls.createServer({key:pem('server.key'),"
                        "cert:pem('server-chain.pem'),maxVersion:%r},k=>{const r=ekm(k);"
                        "k.end();s.close();report(r)});" % version) as node:
                    got = {}
                    c = tlsplug.connect(node.port, "127.0.0.1", ca=[pki("ca.pem")],
                                        servername="localhost")
                    c.on("secureConnect", lambda: (got.setdefault("v", ours(c)), c.end()))
                    c.on("error", lambda e: got.setdefault("error", e.code))
                    c.on("close", lambda *a: got.setdefault("closed", True))
                    run_until(self, lambda: "closed" in got, what="client close")
                    self.assertNotIn("error", got)
                    self.assertEqual(node.report(), got["v"])
                    self.assertEqual(got["v"]["version"], version)

    def test_reserved_label(self):
        for version in ("TLSv1.2", "TLSv1.3"):
            with self.subTest(version=version):
                mine = {}

                def on_secure(sock):
                    try:
                        mine["v"] = len(sock.export_keying_material(128, "client finished"))
                    except tlsplug.TLSError as e:
                        mine["v"] = e.code
                    sock.end()
                server, port = listening_server(self, {"max_version": version}, on_secure)
                t, theirs = in_thread(lambda: node_eval(
                    "const c=tls.connect({port:%d,host:'127.0.0.1',rejectUnauthorized:false},"
                    "()=>{let r;try{r=c.exportKeyingMaterial(128,'client finished').length}"
                    "catch(e){r=e.code}c.end();report(r)});c.on('error',e=>report(e.code))"
                    % port))
                run_until(self, lambda: "v" in mine and not t.is_alive(), poll_ms=20,
                          what="both ends answered")
                close_server(self, server)
                self.assertEqual(mine["v"], theirs())
                self.assertEqual(mine["v"] == 128, version == "TLSv1.3")

    def test_argument_errors_match_node(self):
        cases = [("128,'l','text'", (128, "l", "text")), ("128,'l',1234", (128, "l", 1234)),
                 ("10,null", (10, None)), ("'length',1234", ("length", 1234)),
                 ("-3,'a'", (-3, "a")), ("0,'a'", (0, "a")), ("1.5,'a'", (1.5, "a")),
                 ("2**32,'a'", (2**32, "a"))]
        js = ("const s=new tls.TLSSocket(new net.Socket());const out=[];"
              + "".join("try{s.exportKeyingMaterial(%s);out.push(null)}"
                        "catch(e){out.push([e.name,e.code])}" % a for a, _ in cases)
              + "report(out)")
        expected = node_eval(js)
        kinds = {"TypeError": TypeError, "RangeError": ValueError}
        c = tlsplug.TLSSocket(reject_unauthorized=False)
        for (_, args), (name, code) in zip(cases, expected):
            with self.subTest(args=args):
                with self.assertRaises(kinds[name]) as cm:
                    c.export_keying_material(*args)
                self.assertEqual(cm.exception.code, code)
        c.close()


if __name__ == "__main__":
    unittest.main()
