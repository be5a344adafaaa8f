"""A small blocking driver for a TLSSocket over a connected socket.socket.

For a host that owns a connected socket and wants no event loop; sockets
made by tlsplug.connect() or accepted by a Server run on the libuv loop
instead (loop.py), and asyncio hosts use tlsplug.asyncio. Here,
run_until(predicate, timeout) sends what the pump has to send, waits (with
selectors) for the transport to be readable, feeds what arrives (feed_eof at
EOF), and returns once predicate() is true or the TLS socket closed. Every
wait is bounded by `timeout` (TimeoutError). When the TLS socket closes, its
output is flushed and the transport is closed, as Node destroys the
underlying socket; after end(), the transport's write side is shut down
(FIN) once close_notify is sent.
"""
from __future__ import annotations

import selectors
import socket
import time
from typing import Callable, Optional

from . import _abi

__all__ = ["Driver"]


class Driver:
    # Its state is class defaults until set: a socket driven by a loop has
    # no transport and keeps none of it.
    __slots__ = ()
    transport: Optional[socket.socket] = None
    _eof = False
    _wrote_fin = False

    def __init__(self, transport: Optional[socket.socket]) -> None:
        if transport is not None:
            self.transport = transport

    # Subclass interface: pull(), feed(), feed_eof(), closed, _handle.

    def _close_transport(self) -> None:
        t = self.transport
        if t is not None:
            self.transport = None
            try:
                t.close()
            except OSError:
                pass

    def _after_local_call(self) -> None:
        """After write/end/destroy: with a transport, send at once."""
        if self.transport is not None and self._handle:
            self.flush()

    def flush(self, timeout: float = 10.0) -> None:
        """Send every pending byte of ciphertext to the transport."""
        t = self.transport
        if t is None or not self._handle:
            return
        data = self.pull()
        if data:
            t.settimeout(timeout)
            try:
                t.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                self._eof = True
        if self._handle and not self._wrote_fin:
            st = self.state()
            if st & _abi.STATE_ENDED and not st & _abi.STATE_HAS_OUTPUT:
                self._wrote_fin = True
                try:
                    t.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

    def run_until(self, predicate: Optional[Callable[[], bool]] = None,
                  timeout: float = 10.0) -> bool:
        """Drive the pump over the transport until predicate() is true
        (default: until the TLS socket closes). Answers predicate()'s last
        value when the socket closed first; raises TimeoutError when
        `timeout` seconds pass, and the errors of feed() (an 'error' with no
        listener)."""
        t = self.transport
        if t is None:
            raise RuntimeError("run_until needs a transport (TLSSocket(sock, ...))")
        pred = predicate or (lambda: self.closed)
        self._ensure_started()
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as sel:
            sel.register(t, selectors.EVENT_READ)
            while True:
                if not self._handle:
                    return pred()
                self.flush(max(0.1, deadline - time.monotonic()))
                if self.closed or self._eof:
                    self._close_transport()
                    return pred()
                if pred():
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"run_until: not done after {timeout} s")
                if not sel.select(left):
                    continue
                try:
                    data = t.recv(65536)
                except (ConnectionResetError, BrokenPipeError):
                    data = b""
                if data:
                    self.feed(data)
                else:
                    self._eof = True
                    sel.unregister(t)
                    self.feed_eof()
                    self.flush()
                    if pred():
                        return True
                    self._close_transport()
                    return pred()
