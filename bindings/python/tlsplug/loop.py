"""The IO loop: tlsplug's libuv loop (tlsplug_loop) driven from Python.

One default loop per thread, made on first use (get_loop()). run() drives
it in the calling thread until nothing is left to do (no server listening,
no socket open, no timer pending) or the timeout passes. set_timeout /
set_interval are Node's timers on the same loop. tlsplug.asyncio embeds the
same loop into a running asyncio loop instead (through its backend fd).

Lifetimes: the loop keeps a strong reference to every socket and server
that is active on it (connected, listening) and to every pending timer's
function, as Node's event loop does, so dropping the last Python reference
to a connected socket never tears it down mid-transfer. Callbacks reach
Python through module-level ctypes trampolines that live as long as the
module, and find their object by a userdata key in a registry: an object
that is gone is simply not found.

Threads: libuv is not thread-safe, so a loop belongs to the thread that
made it (get_loop() makes one per thread), and so do the sockets and
servers on it. A call on any of them from another thread raises
WrongThreadError (a RuntimeError, code ERR_TLSPLUG_WRONG_THREAD) before it
reaches C: one comparison of threading.get_ident() per call. There is no
thread-safe wakeup in libtlsplug to hand work to the loop's thread; a
program that wants one uses its own (a queue polled from a set_interval
timer, or asyncio's call_soon_threadsafe when the loop is embedded).

A listener that raises is reported through sys.unraisablehook (or the
running asyncio loop's exception handler when the loop is embedded) and
the loop goes on.
"""
from __future__ import annotations

import ctypes
import itertools
import threading
import time
from typing import Any, Callable, Dict, Optional, Set

from . import _abi
from ._lib import TLSError, WrongThreadError, check, lib

__all__ = ["Loop", "Timer", "get_loop", "run", "set_timeout", "clear_timeout",
           "set_interval", "clear_interval", "set_immediate", "report_exception"]

_KEYS = itertools.count(1)
_local = threading.local()


def report_exception(exc: BaseException, where: str, obj: Any = None) -> bool:
    """Hand an exception raised by a listener to the embedding asyncio loop's
    exception handler; answers False when the loop is not embedded (the
    trampoline then lets it reach ctypes, which reports it through
    sys.unraisablehook). Either way the loop goes on."""
    loop = getattr(_local, "loop", None)
    integ = getattr(loop, "_integration", None) if loop is not None else None
    return bool(integ is not None and integ.report(exc, where, obj))


class Timer:
    """What set_timeout/set_interval answer (Node's Timeout): cancel() or
    clear_timeout(t) stops it."""

    __slots__ = ("loop", "id", "key", "fn", "args", "repeat", "__weakref__")

    def __init__(self, loop: "Loop", key: int, fn: Callable[..., Any], args: tuple,
                 repeat: bool) -> None:
        self.loop, self.key, self.fn, self.args, self.repeat = loop, key, fn, args, repeat
        self.id = 0

    @property
    def active(self) -> bool:
        return self.key in _TIMERS

    def cancel(self) -> None:
        self.loop._check_thread("a timer")
        if _TIMERS.pop(self.key, None) is not None and self.loop._handle:
            lib.loop_clear_timer(self.loop._handle, self.id)

    close = cancel

    def __repr__(self) -> str:
        return f"<tlsplug.Timer id={self.id} {'active' if self.active else 'done'}>"


# key -> Timer; strong: a pending timer keeps its function, as in Node.
_TIMERS: Dict[int, Timer] = {}


@_abi.EVENT_CB
def _timer_dispatch(userdata, source, event, subject, data, length):
    t = _TIMERS.get(userdata)
    if t is None:
        return
    if not t.repeat:
        _TIMERS.pop(userdata, None)
    try:
        t.fn(*t.args)
    except Exception as e:
        # Reported (asyncio's handler, or sys.unraisablehook through ctypes),
        # never fatal to the loop.
        if not report_exception(e, "timer callback", t.fn):
            raise
    finally:
        t.loop._after_event()


class Loop:
    """A tlsplug_loop. Use get_loop() for the thread's default loop."""

    def __init__(self) -> None:
        out = ctypes.c_void_p()
        check(lib.loop_new(ctypes.byref(out)), None, "loop")
        self._handle: Optional[int] = out.value
        # The owner: the one thread that may call into this loop and what is
        # on it (see the module doc).
        self._thread = threading.get_ident()
        # C calls asked for on another thread (a handle dropped by the
        # garbage collector, a listener added): made by the owner before
        # its next turn (see _defer).
        self._deferred: list = []
        # Strong references to what is active on the loop (see the module doc).
        self._active: Set[Any] = set()
        # The same for the sockets, by their registry key: tlssocket's
        # _dispatch finds a socket held here through the loop.
        self._held: Dict[int, Any] = {}
        self._running = 0
        self._until: Optional[Callable[[], bool]] = None
        self._stopped = False
        self._integration = None  # set by tlsplug.asyncio

    @property
    def handle(self) -> int:
        if self._thread != threading.get_ident():
            raise WrongThreadError("this loop")
        if not self._handle:
            raise TLSError("the loop is closed", "ERR_TLSPLUG_CLOSED", _abi.E_BADHANDLE)
        return self._handle

    def _check_thread(self, what: str = "this object") -> None:
        if self._thread != threading.get_ident():
            raise WrongThreadError(what)

    def _defer(self, fn: Callable[[int], Any], handle: int) -> None:
        """fn(handle), a C call on a socket or server of this loop asked for
        on another thread (its handle collected there, a listener added
        there), made by the owner thread before the loop's next turn
        (list.append is atomic under the GIL; no C call happens here)."""
        self._deferred.append((fn, handle))

    def _run_deferred(self) -> None:
        while self._deferred:
            fn, h = self._deferred.pop(0)
            fn(h)

    def close(self) -> None:
        """Free the loop: servers stop, sockets are destroyed without events."""
        if self._handle:
            self._check_thread("this loop")
            self._run_deferred()
        h, self._handle = self._handle, None
        if h:
            if self._integration is not None:
                self._integration.detach()
            for t in [t for t in _TIMERS.values() if t.loop is self]:
                _TIMERS.pop(t.key, None)
            rc = lib.loop_free(h)
            if rc == _abi.E_STATE:  # inside one of its callbacks: not now
                self._handle = h
                raise TLSError("a loop cannot be closed from its own callback",
                               "ERR_TLSPLUG_STATE", rc)
            self._active.clear()
            self._held.clear()
        if getattr(_local, "loop", None) is self:
            _local.loop = None

    def __del__(self) -> None:
        # Nothing else refers to the loop, so nothing runs it: freeing it
        # here is safe from whichever thread the collector runs on.
        try:
            if self._handle:
                self._run_deferred()
                lib.loop_free(self._handle)
                self._handle = None
        except Exception:
            pass

    # ---- bookkeeping used by sockets and servers

    def _hold(self, obj: Any) -> None:
        self._active.add(obj)

    def _release(self, obj: Any) -> None:
        self._active.discard(obj)

    def _after_event(self) -> None:
        """After every callback: stop run(until=...) once its predicate holds."""
        if self._running and self._until is not None and not self._stopped:
            try:
                done = self._until()
            except Exception:
                done = True  # run() calls it again and raises
            if done:
                self._stopped = True
                lib.loop_stop(self._handle)

    def _kick(self) -> None:
        """After a Python call that may have created work (a write, a
        connect, a timer): an embedding host re-arms its wake-up."""
        if self._integration is not None and not self._running:
            self._integration.rearm()

    # ---- running

    def run(self, timeout: Optional[float] = None,
            until: Optional[Callable[[], bool]] = None) -> bool:
        """Run the loop in this thread until nothing is left to do, `until()`
        is true (checked after every event), or `timeout` seconds passed.
        Answers whether anything is still left to do."""
        h = self.handle
        if self._integration is not None and self._integration.active():
            raise RuntimeError("this tlsplug loop is driven by asyncio; await instead of run()")
        deadline = None if timeout is None else time.monotonic() + timeout
        alive = ctypes.c_int(1)
        self._running += 1
        prev_until, self._until = self._until, until
        self._stopped = False
        try:
            while True:
                if self._deferred:
                    self._run_deferred()
                if until is not None and until():
                    return bool(self.alive)
                if deadline is None:
                    slice_ms = 500
                else:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return bool(alive.value)
                    slice_ms = max(1, min(500, int(left * 1000) + 1))
                self._stopped = False
                check(lib.loop_run_for(h, slice_ms, ctypes.byref(alive)), h, "run")
                if not alive.value:
                    return False
        finally:
            self._running -= 1
            self._until = prev_until
            self._stopped = False

    def run_once(self) -> bool:
        """Do the work that is ready now without blocking; answers alive."""
        h = self.handle
        if self._deferred:
            self._run_deferred()
        alive = ctypes.c_int(0)
        self._running += 1
        try:
            check(lib.loop_run_once(h, ctypes.byref(alive)), h, "run_once")
        finally:
            self._running -= 1
        return bool(alive.value)

    def stop(self) -> None:
        """Make the current run() return soon."""
        self._stopped = True
        lib.loop_stop(self.handle)

    @property
    def alive(self) -> bool:
        v = ctypes.c_int(0)
        check(lib.loop_alive(self.handle, ctypes.byref(v)), self._handle, "alive")
        return bool(v.value)

    @property
    def backend_fd(self) -> int:
        v = ctypes.c_int(-1)
        check(lib.loop_backend_fd(self.handle, ctypes.byref(v)), self._handle, "backend_fd")
        return v.value

    def next_timeout(self) -> int:
        """Milliseconds an embedding host may wait; 0 now, -1 only IO."""
        v = ctypes.c_int(-1)
        check(lib.loop_next_timeout(self.handle, ctypes.byref(v)), self._handle, "next_timeout")
        return v.value

    # ---- timers

    def _timer(self, fn: Callable[..., Any], ms: float, args: tuple, repeat: bool) -> Timer:
        if not callable(fn):
            raise TypeError("the callback must be callable")
        ms = max(0, int(ms or 0))
        key = next(_KEYS)
        t = Timer(self, key, fn, args, repeat)
        out = ctypes.c_size_t(0)
        _TIMERS[key] = t
        rc = lib.loop_set_timer(self.handle, ms, max(1, ms) if repeat else 0, _timer_dispatch,
                                key, ctypes.byref(out))
        if rc < 0:
            _TIMERS.pop(key, None)
            check(rc, self._handle, "set_timeout")
        t.id = out.value
        self._kick()
        return t

    def set_timeout(self, fn: Callable[..., Any], ms: float = 0, *args: Any) -> Timer:
        """Node's setTimeout(fn, ms, ...args) on this loop."""
        return self._timer(fn, ms, args, False)

    def set_interval(self, fn: Callable[..., Any], ms: float = 0, *args: Any) -> Timer:
        """Node's setInterval(fn, ms, ...args) on this loop."""
        return self._timer(fn, ms, args, True)

    def set_immediate(self, fn: Callable[..., Any], *args: Any) -> Timer:
        """Node's setImmediate: fn(*args) from the loop, as soon as it can."""
        return self._timer(fn, 0, args, False)

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> Timer:
        return self._timer(fn, 0, args, False)


def get_loop() -> Loop:
    """This thread's default loop, made on first use."""
    loop = getattr(_local, "loop", None)
    if loop is None or not loop._handle:
        loop = _local.loop = Loop()
    return loop


def run(timeout: Optional[float] = None, until: Optional[Callable[[], bool]] = None) -> bool:
    """Drive this thread's loop until nothing is left to do, `until()` holds
    (checked after every event), or `timeout` seconds passed; answers
    whether anything is still left to do."""
    return get_loop().run(timeout, until)


def set_timeout(fn: Callable[..., Any], ms: float = 0, *args: Any) -> Timer:
    """Node's setTimeout on this thread's loop."""
    return get_loop().set_timeout(fn, ms, *args)


def set_interval(fn: Callable[..., Any], ms: float = 0, *args: Any) -> Timer:
    """Node's setInterval on this thread's loop."""
    return get_loop().set_interval(fn, ms, *args)


def set_immediate(fn: Callable[..., Any], *args: Any) -> Timer:
    """Node's setImmediate on this thread's loop."""
    return get_loop().set_immediate(fn, *args)


def clear_timeout(t: Optional[Timer]) -> None:
    """Node's clearTimeout: None, fired or cleared timers are ignored."""
    if t is not None:
        t.cancel()


clear_interval = clear_timeout
clear_immediate = clear_timeout
