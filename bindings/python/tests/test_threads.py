"""The thread rule: libtlsplug's sockets, servers and loops are used by one
thread at a time and libuv is not thread-safe. A loop, and what is on it,
belongs to the thread that made the loop: a call from another thread raises
WrongThreadError (a RuntimeError, ERR_TLSPLUG_WRONG_THREAD) and nothing
reaches C. A pump-mode socket (no loop) may move between threads; its calls
are serialised by a lock."""
import threading
import unittest

import support
from support import pki
import tlsplug

TIMEOUT = 10.0


class LoopThread(threading.Thread):
    """Thread A: a server and a client on A's own loop, the client writing
    1 KiB every millisecond and the server echoing, so A is inside libuv
    (reading, writing) while the test thread calls in. After `stop`, A
    checks that the connection still works and closes everything."""

    def __init__(self):
        super().__init__(daemon=True)
        self.ready = threading.Event()
        self.busy = threading.Event()  # data is flowing both ways
        self.stop = threading.Event()
        self.error = None
        self.sent = 0
        self.got = bytearray()
        self.closed = []

    def run(self):
        try:
            self._run()
        except BaseException as e:  # reported by the test thread
            self.error = e
        finally:
            self.ready.set()
            self.busy.set()

    def _run(self):
        self.loop = tlsplug.get_loop()
        accepted = []

        def on_secure_connection(sock):
            accepted.append(sock)
            sock.on("data", sock.write)  # echo
            sock.on("end", sock.end)

        server = tlsplug.create_server({"key": pki("server.key"), "cert": pki("server-chain.pem")},
                                       on_secure_connection)
        server.listen(0, "127.0.0.1")
        tlsplug.run(timeout=TIMEOUT, until=lambda: server.listening)
        client = tlsplug.connect(server.address()["port"], "127.0.0.1", ca=pki("ca.pem"),
                                 servername="localhost")
        client.on("data", self.got.extend)
        client.on("close", self.closed.append)
        tlsplug.run(timeout=TIMEOUT, until=lambda: client.secure and accepted)
        if not client.secure:
            raise AssertionError("no handshake on the loop thread")
        self.server, self.client, self.accepted = server, client, accepted[0]

        def write_some():
            client.write(b"x" * 1024)
            self.sent += 1024
            if len(self.got) >= 16 * 1024:
                self.busy.set()

        ticker = tlsplug.set_interval(write_some, 1)
        self.ready.set()
        # Polled every 2 ms: the stop flag is set by another thread.
        poll = tlsplug.set_interval(lambda: None, 2)
        tlsplug.run(timeout=TIMEOUT, until=self.stop.is_set)
        tlsplug.clear_interval(ticker)
        tlsplug.clear_interval(poll)
        # The owner thread still drives the connection: every byte echoed.
        tlsplug.run(timeout=TIMEOUT, until=lambda: len(self.got) == self.sent)
        client.end()
        tlsplug.run(timeout=TIMEOUT, until=lambda: self.closed)
        done = []
        server.close(lambda *a: done.append(a))
        tlsplug.run(timeout=TIMEOUT, until=lambda: done)


@support.need_pki
class LoopThreadRule(unittest.TestCase):
    def test_calls_from_another_thread_raise_and_the_loop_goes_on(self):
        a = LoopThread()
        a.start()
        try:
            self.assertTrue(a.ready.wait(TIMEOUT), "loop thread not ready")
            if a.error is not None:
                raise a.error
            self.assertTrue(a.busy.wait(TIMEOUT), "no echo on the loop thread")
            client, server, loop, accepted = a.client, a.server, a.loop, a.accepted
            calls = {
                "write": lambda: client.write(b"from the wrong thread"),
                "end": lambda: client.end(),
                "destroy": lambda: client.destroy(),
                "pause": lambda: client.pause(),
                "resume": lambda: client.resume(),
                "read": lambda: client.read(),
                "set_no_delay": lambda: client.set_no_delay(),
                "set_timeout": lambda: client.set_timeout(1000),
                "set_keep_alive": lambda: client.set_keep_alive(True, 1000),
                "set_high_water_mark": lambda: client.set_high_water_mark(1 << 20),
                "bytes_written": lambda: client.bytes_written,
                "get_cipher": lambda: client.get_cipher(),
                "get_peer_certificate": lambda: client.get_peer_certificate(),
                "close": lambda: client.close(),
                "accepted.write": lambda: accepted.write(b"x"),
                "server.close": lambda: server.close(),
                "server.connections": lambda: server.connections,
                "server.free": lambda: server.free(),
                "loop.run": lambda: loop.run(timeout=0.01),
                "loop.run_once": lambda: loop.run_once(),
                "loop.stop": lambda: loop.stop(),
                "loop.set_timeout": lambda: loop.set_timeout(lambda: None, 10),
                "loop.close": lambda: loop.close(),
                "connect on its loop": lambda: tlsplug.connect(
                    1, "127.0.0.1", ca=pki("ca.pem"), loop=loop),
            }
            for name, call in calls.items():
                with self.subTest(call=name):
                    with self.assertRaises(RuntimeError) as cm:
                        call()
                    err = cm.exception
                    self.assertIsInstance(err, tlsplug.WrongThreadError)
                    self.assertIsInstance(err, tlsplug.TLSError)
                    self.assertEqual(err.code, "ERR_TLSPLUG_WRONG_THREAD")
                    self.assertIn("thread", str(err))
            # Refused before anything happened: the socket is still open and
            # this thread's own loop is separate and usable.
            self.assertFalse(client.closed)
            self.assertIsNot(tlsplug.get_loop(), loop)
            self.assertFalse(tlsplug.get_loop().alive)
        finally:
            a.stop.set()
            a.join(TIMEOUT + 5)
        self.assertFalse(a.is_alive(), "loop thread hung")
        if a.error is not None:
            raise a.error
        self.assertGreater(a.sent, 0)
        self.assertEqual(len(a.got), a.sent, "the owner's echo lost bytes")
        self.assertEqual(a.closed, [False])


@support.need_pki
class ListenersFromAnotherThread(support.LoopTestCase):
    def test_a_listener_added_on_another_thread_hears_its_events(self):
        # Adding a listener is allowed from any thread; C is asked for the
        # event by the loop's thread, before the loop's next turn.
        server, port = support.listening_server(self)
        connect = dict(ca=pki("ca.pem"), servername="localhost", max_version="TLSv1.2")
        client = tlsplug.connect(port, "127.0.0.1", **connect)
        sessions, errors = [], []

        def add_listener():
            try:
                client.on("session", sessions.append)
            except BaseException as e:
                errors.append(e)

        b = threading.Thread(target=add_listener)
        b.start()
        b.join(TIMEOUT)
        self.assertEqual(errors, [])
        support.run_until(self, lambda: sessions, what="a 'session' event")
        client.end()
        support.run_until(self, lambda: client.closed, what="close")
        # What it heard is the session: a new connection resumes with it.
        again = tlsplug.connect(port, "127.0.0.1", session=sessions[0], **connect)
        support.run_until(self, lambda: again.secure, what="the resumed handshake")
        self.assertTrue(again.is_session_reused())
        again.end()
        support.run_until(self, lambda: again.closed, what="close")
        support.close_server(self, server)


@support.need_pki
class PumpModeThreads(unittest.TestCase):
    def test_pump_socket_may_move_between_threads(self):
        c, s = support.pair()
        got = bytearray()
        s.on("data", got.extend)
        errors = []

        def handshake_and_write():
            try:
                support.shuttle(c, s)
                c.write(b"from thread B")
                support.shuttle(c, s)
            except BaseException as e:
                errors.append(e)

        t = threading.Thread(target=handshake_and_write)
        t.start()
        t.join(TIMEOUT)
        self.assertFalse(t.is_alive())
        self.assertEqual(errors, [])
        c.write(b" and back in A")  # no owner thread in pump mode
        support.shuttle(c, s)
        self.assertEqual(bytes(got), b"from thread B and back in A")
        c.close()
        s.close()

    def test_pump_calls_from_two_threads_are_serialised(self):
        # While thread A is inside feed() (in its 'data' listener), thread
        # B's write() waits for A's call to return instead of running in C
        # at the same time.
        c, s = support.pair()
        support.shuttle(c, s)
        self.assertTrue(s.secure)
        in_listener = threading.Event()
        b_done = threading.Event()
        overlap = []
        s.on("data", lambda d: (in_listener.set(),
                                overlap.append(b_done.wait(0.3))))
        errors = []

        def b():
            try:
                in_listener.wait(TIMEOUT)
                s.write(b"B's write")
            except BaseException as e:
                errors.append(e)
            finally:
                b_done.set()

        t = threading.Thread(target=b)
        t.start()
        c.write(b"hello")
        s.feed(c.pull())  # the listener runs here, on this thread
        self.assertEqual(overlap, [False], "B's write ran inside A's feed()")
        t.join(TIMEOUT)
        self.assertFalse(t.is_alive())
        self.assertEqual(errors, [])
        got = bytearray()
        c.on("data", got.extend)
        support.shuttle(c, s)
        self.assertEqual(bytes(got), b"B's write")
        c.close()
        s.close()


if __name__ == "__main__":
    unittest.main()
