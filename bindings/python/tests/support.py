"""Shared helpers for the tlsplug Python tests: the PKI, contexts, and an
in-memory pump between two TLSSockets."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import tlsplug  # noqa: E402

PKI = os.environ.get("TLSPLUG_PKI", "")


def pki(name: str) -> bytes:
    with open(os.path.join(PKI, name), "rb") as f:
        return f.read()


def need_pki(cls):
    if not PKI or not os.path.exists(os.path.join(PKI, "ca.pem")):
        raise unittest.SkipTest("TLSPLUG_PKI is not set")  # ctest always sets it
    return cls


def server_context(**kw):
    return tlsplug.create_secure_context(key=pki("server.key"), cert=pki("server-chain.pem"), **kw)


def client_context(**kw):
    return tlsplug.create_secure_context(ca=pki("ca.pem"), **kw)


def shuttle(a, b, rounds: int = 50) -> int:
    """Move ciphertext between two pump-mode sockets until both are quiet;
    answers the number of bytes moved. Bounded by `rounds`."""
    moved = 0
    for _ in range(rounds):
        progress = False
        for src, dst in ((a, b), (b, a)):
            if not src._handle or src.closed and not src.pending_output():
                continue
            out = src.pull()
            if out and dst._handle and not dst.closed:
                dst.feed(out)
                moved += len(out)
                progress = True
        if not progress:
            return moved
    raise AssertionError("shuttle: the pair never went quiet")


def pair(client_opts=None, server_opts=None, cctx=None, sctx=None):
    """A started client/server pair (not yet handshaken)."""
    s = tlsplug.TLSSocket(is_server=True, secure_context=sctx or server_context(),
                          **(server_opts or {}))
    c = tlsplug.TLSSocket(secure_context=cctx or client_context(),
                          **dict({"servername": "localhost"}, **(client_opts or {})))
    return c, s


# ---- on the loop

LOOP_TIMEOUT = 10.0


def run_until(test, pred, timeout: float = LOOP_TIMEOUT, what: str = "the condition",
              poll_ms: int = 0):
    """Drive the thread's tlsplug loop until pred() holds (checked after every
    event; with poll_ms, also every poll_ms, for conditions another thread or
    process makes true); fails the test after `timeout` seconds."""
    ticker = tlsplug.set_interval(lambda: None, poll_ms) if poll_ms else None
    try:
        tlsplug.run(timeout=timeout, until=pred)
    finally:
        tlsplug.clear_interval(ticker)
    test.assertTrue(pred(), f"{what}: not reached within {timeout} s")


def listening_server(test, options=None, listener=None, **kw):
    """A tlsplug server on 127.0.0.1 (ephemeral port), listening; answers
    (server, port)."""
    opts = dict({"key": pki("server.key"), "cert": pki("server-chain.pem")}, **(options or {}))
    server = tlsplug.create_server(opts, listener, **kw)
    server.listen(0, "127.0.0.1")
    run_until(test, lambda: server.listening, what="listening")
    return server, server.address()["port"]


def close_server(test, server):
    done = []
    server.close(lambda *a: done.append(a))
    run_until(test, lambda: done, what="server close")


class LoopTestCase(unittest.TestCase):
    """Each test leaves the thread's loop idle; one that failed half-way
    gets its loop closed (servers and sockets on it go) and a fresh one."""

    def tearDown(self):
        loop = tlsplug.get_loop()
        if loop.alive:
            loop.close()
            self.fail_leftover = True
