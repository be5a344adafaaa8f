"""Misuse and lifetimes on the loop: a destroyed socket raises a clear
exception with a code; dropping every reference and collecting garbage
mid-transfer crashes nothing (the loop keeps active objects alive, as
Node's event loop does); accepted sockets are the loop's; stale handles
answer E_BADHANDLE."""
import gc
import unittest

import support
from support import close_server, listening_server, pki, run_until
import tlsplug
from tlsplug import _abi
from tlsplug._lib import lib


@support.need_pki
class LoopLifetimes(support.LoopTestCase):
    def test_destroyed_socket_raises_with_code(self):
        # (the destroyed client's truncated close is an 'error' on the server
        # socket, where Node sees an end)
        server, port = listening_server(
            self, listener=lambda s: s.on("data", s.write).on("error", lambda e: None))
        c = tlsplug.connect(port, "127.0.0.1", ca=pki("ca.pem"), servername="localhost")
        secure = []
        c.on("secureConnect", lambda: secure.append(1))
        run_until(self, lambda: secure)
        closed = []
        c.on("close", closed.append)
        c.destroy()
        self.assertTrue(c.destroyed)
        run_until(self, lambda: closed)  # 'close' follows from the loop, as in Node
        self.assertEqual(closed, [False])
        with self.assertRaises(tlsplug.TLSError) as cm:
            c.write(b"after destroy")
        self.assertTrue(cm.exception.code)
        self.assertEqual(cm.exception.status, _abi.E_CLOSED)
        c.close()
        with self.assertRaises(tlsplug.TLSError) as cm:
            c.write(b"after close")
        self.assertEqual(cm.exception.code, "ERR_TLSPLUG_CLOSED")
        with self.assertRaises(tlsplug.TLSError) as cm:
            c.pause()
        self.assertEqual(cm.exception.code, "ERR_TLSPLUG_CLOSED")
        close_server(self, server)
        server.close()  # not running: nothing happens without a callback, as in Node

    def test_accepted_socket_handle_dropped_after_close(self):
        accepted = []
        server, port = listening_server(self, listener=lambda s: (accepted.append(s),
                                                                   s.end(b"bye")))
        c = tlsplug.connect(port, "127.0.0.1", ca=pki("ca.pem"), servername="localhost")
        c.on("data", lambda d: None)
        closed = []
        c.on("close", closed.append)
        s_closed = []
        server.on("connection", lambda s: s.on("close", s_closed.append))
        run_until(self, lambda: closed and s_closed)
        s = accepted[0]
        self.assertIsNone(s._handle)  # the loop freed it after 'close'
        self.assertGreater(s.bytes_written, 0)  # kept from before the free
        with self.assertRaises(tlsplug.TLSError) as cm:
            s.write(b"x")
        self.assertEqual(cm.exception.code, "ERR_TLSPLUG_CLOSED")
        s.close()  # harmless: never frees what the loop owns
        close_server(self, server)

    def test_gc_mid_transfer(self):
        total = 1 << 20
        done = {"got": 0, "closed": 0}

        def serve(sock):
            sock.on("data", lambda d, sock=sock: sock.write(d) or sock.pause())
            sock.on("drain", sock.resume)

        server, port = listening_server(self, listener=serve)
        for i in range(4):
            c = tlsplug.connect(port, "127.0.0.1", ca=pki("ca.pem"), servername="localhost")
            chunk = bytes([65 + i]) * 32768
            state = {"sent": 0, "got": 0}

            def pump(c=c, chunk=chunk, state=state):
                while state["sent"] < total and c.write(chunk):
                    state["sent"] += len(chunk)
                if state["sent"] < total:
                    state["sent"] += len(chunk)

            def on_data(d, c=c, state=state):
                state["got"] += len(d)
                done["got"] += len(d)
                if state["got"] >= total:
                    c.end()

            c.on("secureConnect", pump)
            c.on("drain", pump)
            c.on("data", on_data)
            c.on("close", lambda e: done.__setitem__("closed", done["closed"] + 1))
        # Drop every reference we hold, collect repeatedly while the bytes flow.
        del c, pump, on_data
        half = []
        tick = tlsplug.set_interval(lambda: (gc.collect(), half.append(1)), 5)
        run_until(self, lambda: done["closed"] == 4, timeout=30)
        tlsplug.clear_interval(tick)
        self.assertGreater(len(half), 0)
        self.assertEqual(done["got"], 4 * total)
        gc.collect()
        close_server(self, server)
        # And the server itself, dropped after close: nothing left.
        del server
        gc.collect()
        self.assertFalse(tlsplug.get_loop().alive)

    def test_gc_of_unreferenced_objects_frees_handles(self):
        ctx = tlsplug.create_secure_context(ca=pki("ca.pem"))
        sock = tlsplug.TLSSocket(secure_context=ctx)
        h = sock._handle
        srv = tlsplug.create_server({"key": pki("server.key"), "cert": pki("server-chain.pem")})
        sh = srv._handle
        del sock, srv
        gc.collect()
        self.assertEqual(lib.socket_free(h), _abi.E_BADHANDLE)
        self.assertEqual(lib.server_free(sh), _abi.E_BADHANDLE)
        loop = tlsplug.Loop()
        lh = loop._handle
        loop.close()
        loop.close()
        self.assertEqual(lib.loop_free(lh), _abi.E_BADHANDLE)
        with self.assertRaises(tlsplug.TLSError):
            loop.run(timeout=0.01)

    def test_closing_a_loop_with_live_objects(self):
        loop = tlsplug.Loop()
        server = tlsplug.create_server({"key": pki("server.key"), "cert": pki("server-chain.pem")})
        server.listen(0, "127.0.0.1", loop=loop)
        loop.run(timeout=5, until=lambda: server.listening)
        port = server.address()["port"]
        c = tlsplug.connect(port, "127.0.0.1", ca=pki("ca.pem"), loop=loop)
        loop.run(timeout=0.05)
        loop.close()  # sockets and servers on it go, without events
        with self.assertRaises(tlsplug.TLSError):
            c.write(b"x")
        c.close()
        server.free()
        del c, server
        gc.collect()


if __name__ == "__main__":
    unittest.main()
