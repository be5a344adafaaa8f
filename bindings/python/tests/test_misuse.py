"""Misuse and lifetimes: closed and destroyed sockets, double frees, garbage
collection during traffic, listeners that raise or free their socket."""
import gc
import sys
import unittest

import support
from support import client_context, pair, server_context, shuttle
import tlsplug


@support.need_pki
class Misuse(unittest.TestCase):
    def test_closed_socket_raises_clearly(self):
        c, s = pair()
        c.close()
        c.close()  # a second close is harmless
        for call in (lambda: c.write(b"x"), lambda: c.feed(b"x"), c.pull,
                     lambda: c.authorized, c.get_protocol):
            with self.assertRaises(tlsplug.TLSError) as cm:
                call()
            self.assertEqual(cm.exception.code, "ERR_TLSPLUG_CLOSED")
            self.assertIn("closed", str(cm.exception))

    def test_destroyed_socket_raises_on_write(self):
        c, s = pair()
        shuttle(c, s)
        c.destroy()
        c.destroy()  # again: nothing happens
        self.assertTrue(c.destroyed)
        with self.assertRaises(tlsplug.TLSError) as cm:
            c.write(b"after destroy")
        self.assertEqual(cm.exception.status, tlsplug._abi.E_CLOSED)
        self.assertEqual(c.get_cipher()["version"], "TLSv1.3")  # queries still work
        self.assertIsNone(c.get_protocol())  # but, as Node's, no protocol once closed

    def test_double_free_answers_badhandle(self):
        c, s = pair()
        h = c._handle
        c.close()
        self.assertEqual(tlsplug._lib.lib.socket_free(h), tlsplug._abi.E_BADHANDLE)
        ctx = client_context()
        h = ctx.handle
        ctx.close()
        ctx.close()
        self.assertEqual(tlsplug._lib.lib.context_free(h), tlsplug._abi.E_BADHANDLE)
        with self.assertRaises(tlsplug.TLSError):
            tlsplug.TLSSocket(secure_context=ctx)

    def test_context_freed_early(self):
        sctx, cctx = server_context(), client_context()
        c, s = pair(cctx=cctx, sctx=sctx)
        sctx.close()
        cctx.close()
        del sctx, cctx
        gc.collect()
        shuttle(c, s)
        self.assertTrue(c.authorized)

    def test_close_inside_a_listener(self):
        c, s = pair()
        got = []

        def on_data(d):
            got.append(d)
            s.close()  # frees the handle from inside the callback

        s.on("data", on_data)
        c.write(b"one")
        c.write(b"two")
        shuttle(c, s)
        self.assertTrue(got)
        self.assertIsNone(s._handle)

    def test_gc_during_traffic(self):
        for i in range(20):
            c, s = pair()
            s.on("data", lambda d, s=s: s.write(d))
            c.on("data", lambda d: None)
            c.write(b"x" * 5000)
            out = c.pull()
            s.feed(out)
            c.feed(s.pull())  # mid-handshake
            if i % 2:
                del c
            else:
                del s
            gc.collect()
        # sockets collected with a reference cycle through their listeners
        c, s = pair()
        c.on("secureConnect", lambda: c.write(b"cycle"))
        shuttle(c, s)
        del c, s
        self.assertGreaterEqual(gc.collect(), 0)

    def test_listener_exception_is_reported_not_fatal(self):
        reports = []
        old = sys.unraisablehook
        sys.unraisablehook = reports.append
        try:
            c, s = pair()
            got = []

            def bad(d):
                got.append(d)
                raise RuntimeError("listener failed")

            s.on("data", bad)
            c.write(b"a")
            shuttle(c, s)
            c.write(b"b")
            shuttle(c, s)
        finally:
            sys.unraisablehook = old
        self.assertEqual(got, [b"a", b"b"])  # the pump went on
        self.assertEqual([type(r.exc_value) for r in reports], [RuntimeError, RuntimeError])

    def test_unknown_option(self):
        with self.assertRaises(TypeError):
            tlsplug.TLSSocket(secure_context=client_context(), no_such_option=1)

    def test_data_waits_for_a_listener(self):
        c, s = pair()
        c.write(b"early")
        c.end()
        shuttle(c, s)
        got, ends = [], []
        s.on("end", lambda: ends.append(1))
        s.on("data", got.append)
        self.assertEqual(got, [b"early"])
        self.assertEqual(ends, [1])


if __name__ == "__main__":
    unittest.main()
