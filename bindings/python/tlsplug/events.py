"""A small EventEmitter with Node's semantics: on/once/off/emit, listeners
called in order, 'error' with no listener raises the error."""
from __future__ import annotations

from typing import Any, Callable, Dict, Tuple, Union

__all__ = ["EventEmitter"]

Listener = Callable[..., Any]


class _Once:
    __slots__ = ("emitter", "event", "fn")

    def __init__(self, emitter, event, fn):
        self.emitter, self.event, self.fn = emitter, event, fn

    def __call__(self, *args):
        self.emitter.off(self.event, self)
        return self.fn(*args)


class EventEmitter:
    # Each event's listeners as Node keeps them: one listener as itself, two
    # or more as a tuple (replaced, never changed in place, so emit() needs
    # no copy to call the listeners of the moment). A socket holds a few
    # listeners for as long as it lives: this is a list's size less for each.
    # The slots let TLSSocket keep its state out of an instance dict;
    # __dict__ stays for attributes a host sets (made on the first one).
    __slots__ = ("_listeners", "__dict__", "__weakref__")

    def __init__(self) -> None:
        self._listeners: Dict[str, Union[Listener, Tuple[Listener, ...]]] = {}

    def _listeners_of(self, event: str) -> Tuple[Listener, ...]:
        fns = self._listeners.get(event)
        if fns is None:
            return ()
        return fns if type(fns) is tuple else (fns,)

    def on(self, event: str, listener: Listener) -> "EventEmitter":
        fns = self._listeners.get(event)
        if fns is None:
            self._listeners[event] = listener
        else:
            self._listeners[event] = (fns if type(fns) is tuple else (fns,)) + (listener,)
        self._listener_added(event)
        return self

    add_listener = on

    def once(self, event: str, listener: Listener) -> "EventEmitter":
        return self.on(event, _Once(self, event, listener))

    def off(self, event: str, listener: Listener) -> "EventEmitter":
        fns = self._listeners_of(event)
        for i, fn in enumerate(fns):
            if fn is listener or (isinstance(fn, _Once) and fn.fn is listener):
                rest = fns[:i] + fns[i + 1:]
                if not rest:
                    del self._listeners[event]
                else:
                    self._listeners[event] = rest if len(rest) > 1 else rest[0]
                break
        return self

    remove_listener = off

    def remove_all_listeners(self, event: str = None) -> "EventEmitter":
        if event is None:
            self._listeners.clear()
        else:
            self._listeners.pop(event, None)
        return self

    def listener_count(self, event: str) -> int:
        fns = self._listeners.get(event)
        if fns is None:
            return 0
        return len(fns) if type(fns) is tuple else 1

    def emit(self, event: str, *args: Any) -> bool:
        """Call the listeners of `event` in order; True when there were any.
        As in Node, an 'error' with no listener raises its argument."""
        fns = self._listeners.get(event)
        if fns is None:
            if event == "error":
                err = args[0] if args else Exception("Unhandled error")
                raise err if isinstance(err, BaseException) else Exception(err)
            return False
        if type(fns) is tuple:
            for fn in fns:
                fn(*args)
        else:
            fns(*args)
        return True

    def _last_listener(self, event: str) -> Listener:
        """The listener added last for `event` (one must be)."""
        return self._listeners_of(event)[-1]

    def _listener_added(self, event: str) -> None:
        """Hook for subclasses (a 'data' listener starts the flow, ...)."""
