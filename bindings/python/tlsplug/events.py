"""A small EventEmitter with Node's semantics: on/once/off/emit, listeners
called in order, 'error' with no listener raises the error."""
from __future__ import annotations

from typing import Any, Callable, Dict, List

__all__ = ["EventEmitter"]


class _Once:
    __slots__ = ("emitter", "event", "fn")

    def __init__(self, emitter, event, fn):
        self.emitter, self.event, self.fn = emitter, event, fn

    def __call__(self, *args):
        self.emitter.off(self.event, self)
        return self.fn(*args)


class EventEmitter:
    def __init__(self) -> None:
        self._listeners: Dict[str, List[Callable[..., Any]]] = {}

    def on(self, event: str, listener: Callable[..., Any]) -> "EventEmitter":
        self._listeners.setdefault(event, []).append(listener)
        self._listener_added(event)
        return self

    add_listener = on

    def once(self, event: str, listener: Callable[..., Any]) -> "EventEmitter":
        return self.on(event, _Once(self, event, listener))

    def off(self, event: str, listener: Callable[..., Any]) -> "EventEmitter":
        lst = self._listeners.get(event, [])
        for i, fn in enumerate(lst):
            if fn is listener or (isinstance(fn, _Once) and fn.fn is listener):
                del lst[i]
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
        return len(self._listeners.get(event, ()))

    def emit(self, event: str, *args: Any) -> bool:
        """Call the listeners of `event` in order; True when there were any.
        As in Node, an 'error' with no listener raises its argument."""
        lst = list(self._listeners.get(event, ()))
        if not lst:
            if event == "error":
                err = args[0] if args else Exception("Unhandled error")
                raise err if isinstance(err, BaseException) else Exception(err)
            return False
        for fn in lst:
            fn(*args)
        return True

    def _listener_added(self, event: str) -> None:
        """Hook for subclasses (a 'data' listener starts the flow, ...)."""
