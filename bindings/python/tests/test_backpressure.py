"""Reading back-pressure, as Node's paused stream: a socket on the loop with
no 'data' listener buffers about readableHighWaterMark of cleartext, then
stops reading the TCP socket, so a fast peer is held back by TCP instead of
filling the process's memory. Nothing is lost: read() or a 'data' listener
added later gets every byte, in order, and 'end' after the last one."""
import hashlib
import os
import random
import unittest

import support
from support import close_server, listening_server, pki, run_until
import tlsplug

TOTAL = 32 << 20      # what the peer wants to send (well over what TCP buffers)
CHUNK = 64 << 10      # the peer's write size
BOUND = 8 << 20       # what the reader may buffer (and grow its RSS by)
STALL_TURNS = 25      # ticks with no progress that mean "TCP holds the sender"
TICK_MS = 4
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def under_asan() -> bool:
    # ASan keeps freed memory in its quarantine: RSS says nothing there.
    return "asan" in os.environ.get("LD_PRELOAD", "") or "ASAN_OPTIONS" in os.environ


class Sender:
    """The server side: writes TOTAL bytes of a seeded stream as fast as its
    socket takes them (write() until it answers False, then 'drain'), then
    end(). `sent` counts the bytes the socket took; `digest` their hash."""

    def __init__(self, sock):
        self.sock = sock
        self.sent = 0
        self.rng = random.Random(20240611)
        self.hash = hashlib.sha256()
        sock.on("drain", self.pump)
        sock.on("error", lambda e: None)  # a failure shows as a missing byte
        self.pump()

    def pump(self):
        while self.sent < TOTAL:
            chunk = self.rng.randbytes(min(CHUNK, TOTAL - self.sent))
            self.hash.update(chunk)
            self.sent += len(chunk)
            if not self.sock.write(chunk):
                return
        self.sock.end()


@support.need_pki
class ReadBackpressure(support.LoopTestCase):
    def start(self):
        senders = []
        server, port = listening_server(self, listener=lambda s: senders.append(Sender(s)))
        self.server = server
        client = tlsplug.connect(port, "127.0.0.1", ca=pki("ca.pem"), servername="localhost")
        client.on("error", lambda e: self.fail(f"client error: {e!r}"))
        self.ended_at = None
        self.received = 0
        self.hash = hashlib.sha256()
        client.on("end", lambda: setattr(self, "ended_at", self.received))
        closed = []
        client.on("close", closed.append)
        self.closed = closed
        run_until(self, lambda: senders and client.secure, what="handshake")
        return client, senders[0]

    def wait_for_stall(self, sender):
        """Drive the loop until the sender's own count stops moving for
        STALL_TURNS ticks in a row (TCP holds it), or it sent everything.
        Bounded by run_until's timeout."""
        state = {"last": -1, "same": 0}

        def tick():
            if sender.sent == state["last"]:
                state["same"] += 1
            else:
                state["last"], state["same"] = sender.sent, 0

        ticker = tlsplug.set_interval(tick, TICK_MS)
        try:
            run_until(self, lambda: state["same"] >= STALL_TURNS or sender.sent >= TOTAL,
                      timeout=30, what="the sender stalls or finishes")
        finally:
            tlsplug.clear_interval(ticker)

    def consume(self, data):
        self.hash.update(data)
        self.received += len(data)

    def check_bounded(self, client, sender, rss0):
        # Before reading anything: the peer is held back by TCP...
        self.assertLess(sender.sent, TOTAL,
                        "the sender was never back-pressured: the reader took everything")
        # ...and the reader holds about the high-water mark, not the stream.
        self.assertLessEqual(client.readable_length, client.readable_high_water_mark + CHUNK)
        if not under_asan():
            self.assertLess(rss() - rss0, BOUND, "RSS grew with the unread stream")
        self.assertIsNone(self.ended_at)

    def check_all_arrived(self, sender):
        self.assertEqual(sender.sent, TOTAL)
        self.assertEqual(self.received, TOTAL)
        self.assertEqual(self.hash.hexdigest(), sender.hash.hexdigest(), "bytes lost or reordered")
        self.assertEqual(self.ended_at, TOTAL, "'end' must follow the last byte")

    def test_no_data_listener_holds_back_the_peer_then_read_gets_everything(self):
        client, sender = self.start()
        rss0 = rss()
        self.wait_for_stall(sender)
        self.check_bounded(client, sender, rss0)

        # Node's read(): what is buffered; reading below the mark resumes the
        # socket, and 'readable' says when more is there.
        def drain():
            while True:
                data = client.read()
                if data is None:
                    return
                self.consume(data)

        client.on("readable", drain)
        drain()
        run_until(self, lambda: self.ended_at is not None, timeout=30, what="'end'")
        self.check_all_arrived(sender)
        self.assertIsNone(client.read())
        run_until(self, lambda: self.closed, what="close")
        close_server(self, self.server)

    def test_data_listener_added_later_resumes_the_stream(self):
        client, sender = self.start()
        rss0 = rss()
        self.wait_for_stall(sender)
        self.check_bounded(client, sender, rss0)
        client.on("data", self.consume)
        run_until(self, lambda: self.ended_at is not None, timeout=30, what="'end'")
        self.check_all_arrived(sender)
        self.assertEqual(client.readable_length, 0)
        run_until(self, lambda: self.closed, what="close")
        close_server(self, self.server)


if __name__ == "__main__":
    unittest.main()
