"""TLSSocket: Node's tls.TLSSocket over tlsplug's sans-IO pump.

Pump mode (no transport): feed() ciphertext from the peer, pull() ciphertext
for it, write()/end()/destroy() as in Node; events fire from inside those
calls. With a transport (a connected socket.socket), run_until() drives the
pump over it; see driver.py.
"""
from __future__ import annotations

import math
import collections
import ctypes
import socket
import threading
import weakref
from threading import get_ident
from typing import Any, Callable, Dict, Iterable, List, Optional, Union

from . import _abi
from ._lib import (TLSError, WrongThreadError, check, cname, cstr, error_from, get_bytes, lib,
                   want_callable, want_int, want_port, want_str)
from ._lib import InvalidArgTypeError, OutOfRangeError, want_number, _type_name as type_name
from ._runtime import decode_payload
from .deprecation import warn_ip_servername
from .x509 import X509Certificate
from .certificate import cert_from_json
from .context import SecureContext, create_secure_context
from .driver import Driver
from .events import EventEmitter
from .loop import Loop, get_loop, report_exception
from .psk import answer_client

__all__ = ["TLSSocket", "alpn_wire", "connect"]

_CONTEXT_OPTIONS = {
    "key", "cert", "ca", "passphrase", "pfx", "crl", "ciphers", "honor_cipher_order",
    "ecdh_curve", "sigalgs", "dhparam", "min_version", "max_version", "secure_protocol",
    "secure_options", "session_id_context", "priority", "session_key",
    "private_key_engine", "private_key_identifier", "client_cert_engine",
    "cafile", "certfile", "keyfile", "crlfile", "pfxfile",  # context.FILE_OPTIONS
    "psk_callback", "psk_identity_hint",
}

# Every live socket by its userdata key. The one C callback below lives as
# long as the module, so C can never call a freed trampoline; a socket that
# was collected is simply not found. The entry is a weak reference to the
# socket (dropped when the socket is collected), or, while a loop holds the
# socket (active on it, as Node's event loop holds it), the loop's own weak
# reference (one per loop): the loop holds the socket by the same key
# (Loop._held). An idle connection costs two dict entries, no objects. The
# key is the socket's handle (C's userdata for its events): a handle is
# never valid again once freed (docs/ABI.md), so no two sockets share one.
_SOCKETS: "Dict[int, weakref.ref]" = {}


def _forget(ref: weakref.KeyedRef) -> None:
    """A weakly registered socket was collected: its entry goes."""
    if _SOCKETS.get(ref.key) is ref:
        del _SOCKETS[ref.key]


# The C events a socket is told to raise: C keeps a callback per event set
# (16 bytes each, for as long as the socket lives) and raises nothing for
# an event without one, so a socket asks for what it handles:
# - always, the events whose handling is more than a listener, and the
#   handshake's end: secureConnect on a client, secure on a server's socket
#   and a SecurePair's (_handle given: made by C), as C raises them;
_ALWAYS_EVENTS = (_abi.EV_DATA, _abi.EV_END, _abi.EV_CLOSE, _abi.EV_ERROR)
# - those that only call Node's listener, with the first listener added
#   (_listener_added), by the listener's name;
_LISTENER_EVENTS = {_abi.EVENTS[ev][0]: ev for ev in (
    _abi.EV_SESSION, _abi.EV_KEYLOG, _abi.EV_OCSP_RESPONSE, _abi.EV_DRAIN, _abi.EV_TIMEOUT,
    _abi.EV_LOOKUP)}
# - the rest with what they answer: checkServerIdentity with the check,
#   PSK with a pskCallback, connect on a socket that connects, the lookup
#   request with a lookup function, renegotiated with renegotiate() and
#   trace with enable_trace().

_FAMILIES = {4: "IPv4", 6: "IPv6"}

# Node's readableHighWaterMark for a socket: with nobody consuming, this much
# cleartext is buffered before the socket stops reading from the peer.
READABLE_HIGH_WATER_MARK = 16 * 1024


# The largest 'data' chunk on a loop (tlsplug_socket_set_data_batch).
_DATA_BATCH = 64 * 1024


@_abi.EVENT_CB
def _dispatch(userdata, source, event, subject, data, length):
    entry = _SOCKETS.get(userdata)
    if entry is None:
        return
    if type(entry) is weakref.KeyedRef:
        sock = entry()
    else:  # the weak reference of the loop that holds it
        holder = entry()
        sock = holder._held.get(userdata) if holder is not None else None
    if sock is None:
        return
    payload = ctypes.string_at(data, length) if data and length else b""
    loop = sock._loop
    try:
        sock._on_event(event, payload)
    except Exception as e:
        # A listener's exception goes to the embedding asyncio loop's handler,
        # or escapes to ctypes, which reports it through sys.unraisablehook
        # ("Exception ignored on calling ctypes callback function"):
        # reported, never swallowed, never fatal to the pump or the loop.
        if not report_exception(e, "TLSSocket listener", sock):
            raise
    finally:
        if loop is not None:
            loop._after_event()


def alpn_wire(protocols: Union[bytes, Iterable[Union[str, bytes]]]) -> bytes:
    """Node's tls.convertALPNProtocols(): the wire form of an ALPN list, each
    name after its length byte. Bytes (bytearray, memoryview) are taken as
    already in wire form and copied, as Node copies a Buffer or view. A
    name over 255 bytes is Node's ERR_OUT_OF_RANGE; a name that is not
    text or bytes, or a str given for the whole list (Node ignores one),
    is ERR_INVALID_ARG_TYPE."""
    if isinstance(protocols, (bytes, bytearray, memoryview)):
        return bytes(protocols)
    if isinstance(protocols, str):
        raise InvalidArgTypeError('The "ALPNProtocols" argument must be a list of names or bytes. '
                                  f"Received {type_name(protocols)}")
    out = bytearray()
    for i, p in enumerate(protocols):
        if not isinstance(p, (str, bytes, bytearray, memoryview)):
            raise InvalidArgTypeError(f'The "ALPNProtocols[{i}]" element must be of type string '
                                      f"or bytes. Received {type_name(p)}")
        b = p.encode() if isinstance(p, str) else bytes(p)
        if len(b) > 255:
            raise OutOfRangeError(f"The byte length of the protocol at index {i} exceeds the "
                                  f"maximum length. It must be <= 255. Received {len(b)}")
        if not b:
            raise ValueError(f"ALPN protocol name at index {i} is empty")
        out.append(len(b))
        out += b
    return bytes(out)



def min_dh_size(v) -> int:
    """Node's minDHSize check: a number (not bool), greater than 0 (NaN is
    not); an infinite size asks for more than any prime has."""
    want_number("options.minDHSize", v)
    if not v > 0:
        raise OutOfRangeError('The value of "options.minDHSize" is out of range. It must be > 0. '
                              f"Received {v!r}")
    return min(int(v) if v != math.inf else 0xFFFFFFFF, 0xFFFFFFFF)

class TLSSocket(EventEmitter, Driver, _abi.SocketGetters):
    """Node's tls.TLSSocket.

    TLSSocket(transport=None, is_server=False, secure_context=None, **options)
    is the sans-IO pump (feed/pull) for hosts that own their IO, or, with a
    connected socket.socket as transport, the small blocking driver
    (run_until). tlsplug.connect() and Server make sockets on the loop.

    options (snake_case of Node's): reject_unauthorized (default True),
    request_cert, servername, alpn_protocols (list of str/bytes, or wire-form
    bytes), session (bytes), check_server_identity (fn(hostname, cert) ->
    None or an Exception), min_dh_size, allow_half_open, high_water_mark,
    request_ocsp; without secure_context, the create_secure_context() options
    make one.

    The plain getters (authorized, get_protocol(), alpn_protocol, ...) are
    generated from the registry (_abi.SocketGetters); the ones with
    behaviour (get_cipher(), get_peer_certificate(detailed), the
    addresses) are written here.

    Events, with Node's listener arguments: 'secureConnect' (), 'secure' (),
    'data' (bytes), 'end' (), 'close' (had_error: bool), 'error' (TLSError),
    'session' (bytes), 'keylog' (bytes: one NSS key log line), 'drain' (),
    'OCSPResponse' (bytes), 'readable' (); on a loop also 'connect' (),
    'lookup' (err, address, family, host), 'timeout' ().

    Reading, as a Node stream: with a 'data' listener (and not pause()d)
    the socket flows. Without one, cleartext is buffered as in a paused
    Node stream: read() takes it ('readable' says when some arrived), and
    once readable_high_water_mark (16 KiB, or high_water_mark) is buffered the C socket is
    paused, so a loop stops reading the TCP socket and the peer is held
    back by TCP; reading below the mark, or adding a 'data' listener,
    resumes it. 'end' comes after the buffered data was consumed.

    Threads: a socket on a loop (connect(), or accepted by a Server) is
    used only from the loop's thread; a call from another thread raises
    WrongThreadError (a RuntimeError, code ERR_TLSPLUG_WRONG_THREAD). A
    pump-mode socket may move between threads: its calls are serialised by
    a lock (one thread at a time, as the C ABI requires; events fire on the
    calling thread with the lock held).

    In pump mode the handshake starts with the first pump call (pull, feed,
    write, end, run_until) or start(). close() frees the handle (also done
    by garbage collection); a closed socket raises TLSError for every call.
    """

    # A connection's state in slots, not an instance dict: an idle socket on
    # a loop is held for as long as it is open, and a dict of this many
    # attributes costs about 1.5 KiB (a host's own attributes still go in a
    # __dict__, made when it sets the first one: EventEmitter's slot).
    __slots__ = (
        "_handle", "_owner", "_lock", "_key", "is_server", "_started", "_loop",
        "_owned_by_loop", "server", "connecting", "_host", "_paused", "allow_half_open",
        # _state_init's
        "_held", "_held_bytes", "_c_paused", "_end_held", "_error_in_call", "_in_call",
        "destroyed", "closed", "secure", "had_error",
    )
    # What few sockets set is a class default, in the __dict__ of a socket
    # that sets it: the options' functions, the values kept once an accepted
    # socket's handle is gone (made by _keep_final), Node's socket.timeout
    # (the last value set_timeout set), readableHighWaterMark when set, an
    # unhandled error on its way out of a pump call, destroy()'s error,
    # renegotiate()'s callback and enable_trace's writer (Driver's state,
    # too, exists only on a socket with a transport).
    _psk_callback: Optional[Callable[..., Any]] = None
    _check_identity: Optional[Callable[..., Any]] = None
    _lookup: Optional[Callable[..., Any]] = None
    _final: Optional[Dict[str, Any]] = None
    timeout: Optional[float] = None
    readable_high_water_mark = READABLE_HIGH_WATER_MARK
    _unhandled: Optional[BaseException] = None
    _destroy_error: Optional[BaseException] = None
    _renegotiate_cb: Optional[Callable[..., Any]] = None
    _trace_writer: Optional[Callable[[str], Any]] = None

    def __init__(self, transport: Optional[socket.socket] = None, is_server: bool = False,
                 secure_context: Optional[SecureContext] = None, **options: Any) -> None:
        EventEmitter.__init__(self)
        self._handle: Optional[int] = None
        # Thread rule (class doc): on a loop, _owner is the loop's thread
        # and _lock is None; in pump mode, _owner is None and every C call
        # holds _lock (reentrant: listeners call back into the socket).
        self._owner: Optional[int] = None
        self._lock: Optional[threading.RLock] = threading.RLock()
        self._key = 0  # the handle, once there is one (_SOCKETS)
        self.is_server = bool(is_server)
        # Node throws at the call for these, before anything is made; None
        # is Node's undefined (not given).
        for opt, node_name in (("check_server_identity", "options.checkServerIdentity"),
                               ("lookup", "options.lookup")):
            if options.get(opt) is not None:
                want_callable(node_name, options[opt])
        if options.get("servername") is not None:
            want_str("options.servername", options["servername"])
        ctx_opts = {k: options.pop(k) for k in list(options) if k in _CONTEXT_OPTIONS}
        own_ctx = None
        if secure_context is None:
            own_ctx = secure_context = create_secure_context(**ctx_opts)
        elif ctx_opts:
            raise TypeError("context options given with secure_context: "
                            + ", ".join(sorted(ctx_opts)))
        for attr, value in (("_psk_callback", getattr(secure_context, "_psk_callback", None)),
                            ("_check_identity", options.pop("check_server_identity", None)),
                            ("_lookup", options.pop("lookup", None))):
            if value is not None:
                setattr(self, attr, value)
        unknown = set(options) - {"reject_unauthorized", "request_cert", "servername",
                                  "alpn_protocols", "session", "min_dh_size",
                                  "allow_half_open", "high_water_mark", "request_ocsp",
                                  "_handle", "_accepted"}
        if unknown:
            raise TypeError("unknown TLSSocket options: " + ", ".join(sorted(unknown)))
        try:
            handle = options.get("_handle")
            if handle is None:
                out = ctypes.c_void_p()
                role = _abi.ROLE_SERVER if is_server else _abi.ROLE_CLIENT
                check(lib.socket_new(secure_context.handle, role, ctypes.byref(out)),
                      secure_context.handle, "TLSSocket")
                handle = out.value
                self._started = False
            else:
                # A SecurePair's socket is started by C; an accepted one is
                # driven by the loop.
                self._started = True
            self._handle = self._key = handle
        finally:
            if own_ctx is not None:
                own_ctx.close()  # the socket holds its own reference
        self._state_init()
        self._loop: Optional[Loop] = None
        self._owned_by_loop = bool(options.get("_accepted"))
        self.server = None
        self.connecting = False
        self._host: Optional[str] = None
        self._paused = False
        _SOCKETS[self._key] = weakref.KeyedRef(self, _forget, self._key)  # until a loop holds it
        for ev in _ALWAYS_EVENTS:
            self._listen(ev)
        made_by_c = options.get("_handle") is not None
        self._listen(_abi.EV_SECURE if is_server or made_by_c else _abi.EV_SECURE_CONNECT)
        if self._check_identity:
            self._listen(_abi.EV_CHECK_SERVER_IDENTITY)
        if self._psk_callback is not None:
            self._listen(_abi.EV_PSK)
        o = options
        # None is Node's undefined: the default (true), never "off".
        if o.get("reject_unauthorized") is not None:
            self._call(lib.socket_set_reject_unauthorized, int(bool(o["reject_unauthorized"])))
        if o.get("request_cert"):
            self._call(lib.socket_set_request_cert, 1)
        if o.get("servername"):
            self._call(lib.socket_set_servername, cname(o["servername"], "servername"))
        if o.get("alpn_protocols"):
            w = alpn_wire(o["alpn_protocols"])
            self._call(lib.socket_set_alpn_protocols, w, len(w))
        if o.get("session"):
            s = bytes(o["session"])
            self._call(lib.socket_set_session, s, len(s))
        if o.get("min_dh_size") is not None:
            self._call(lib.socket_set_min_dh_size, min_dh_size(o["min_dh_size"]))
        self.allow_half_open = bool(o.get("allow_half_open"))  # Node's socket.allowHalfOpen
        if o.get("allow_half_open") is not None:
            self._call(lib.socket_set_allow_half_open, int(bool(o["allow_half_open"])))
        if self._check_identity:
            self._call(lib.socket_set_check_server_identity, 1)
        if o.get("high_water_mark"):
            self._call(lib.socket_set_high_water_mark, int(o["high_water_mark"]))
        if o.get("request_ocsp"):
            self._call(lib.socket_set_request_ocsp, 1)
        if self._lookup is not None:
            self._call(lib.socket_set_lookup, 1)
            self._listen(_abi.EV_LOOKUP_REQUEST)
        if o.get("high_water_mark") is not None:
            # Node's highWaterMark sets the readable mark too (0 included).
            self.readable_high_water_mark = int(o["high_water_mark"])
        Driver.__init__(self, transport)

    def _state_init(self) -> None:
        # Cleartext nobody consumed yet (no 'data' listener, or paused), in
        # order, and its size; _c_paused: whether we told C to pause (the
        # host's pause(), or _held reached the high-water mark). The deque
        # (over 700 bytes even empty) is made by the first chunk held and
        # dropped when it is emptied: a flowing socket never has one.
        self._held: "Optional[collections.deque[bytes]]" = None
        self._held_bytes = 0
        self._c_paused = False
        self._end_held = False
        self._error_in_call = False
        self._in_call = 0
        self.destroyed = False
        self.closed = False
        self.secure = False
        self.had_error = False

    # ---- handle plumbing

    @property
    def handle(self) -> int:
        """The C handle; every C call on the socket gets it here, so this is
        where the loop's thread is checked (one comparison)."""
        owner = self._owner
        if owner is not None and owner != get_ident():
            raise WrongThreadError("this TLSSocket")
        if not self._handle:
            raise TLSError("TLSSocket is closed (its handle was freed)",
                           "ERR_TLSPLUG_CLOSED", _abi.E_BADHANDLE)
        return self._handle

    def _c(self, fn, *args):
        """Call fn(handle, *args) under the thread rule: on a loop, from the
        loop's thread only (checked by `handle`); in pump mode, holding the
        socket's lock."""
        h = self.handle
        lock = self._lock
        if lock is None:
            return fn(h, *args)
        with lock:
            return fn(h, *args)

    def _get_bytes(self, fn, *args, size: int = 256) -> Optional[bytes]:
        h = self.handle
        lock = self._lock
        if lock is None:
            return get_bytes(fn, h, *args, handle=h, size=size)
        with lock:
            return get_bytes(fn, h, *args, handle=h, size=size)

    def _get_str(self, fn, *args, size: int = 256) -> Optional[str]:
        b = self._get_bytes(fn, *args, size=size)
        return None if b is None else b.decode("utf-8", "replace")

    def _getter_call(self, name: str, fn, *args):
        """A generated getter's call (_abi.SocketGetters): what _keep_final
        kept for `name` once an accepted socket's handle is gone, else
        fn(handle, *args) under the thread rule."""
        if not self._handle and self._final and name in self._final:
            return self._final[name]
        return self._c(fn, *args)

    # ---- on a loop

    def _attach(self, loop: Loop) -> None:
        """Hand the socket to `loop` (events register before the attach)."""
        loop._check_thread("this loop")
        self._loop = loop
        self._owner = loop._thread  # from now on, the loop's thread only
        self._lock = None
        self._started = True  # the loop starts the handshake
        h = self.handle
        if not self._owned_by_loop:  # an accepted socket never connects
            check(lib.socket_on(h, _abi.EV_CONNECT, _dispatch, self._key), h)
        # The records of one transport read in one 'data' callback: a
        # ctypes callback costs more than decrypting a record.
        check(lib.socket_set_data_batch(h, _DATA_BATCH), h)
        loop._held[self._key] = self
        _SOCKETS[self._key] = weakref.ref(loop)  # found through the loop (_SOCKETS)

    def _unhold(self) -> None:
        """The loop holds the socket no longer: registered weakly again."""
        loop, key = self._loop, self._key
        if loop is not None and loop._held.pop(key, None) is not None and key in _SOCKETS:
            _SOCKETS[key] = weakref.KeyedRef(self, _forget, key)

    def _listen(self, event: int) -> None:
        """Have C raise `event` to _dispatch (once is enough: again replaces)."""
        self._call(lib.socket_on, event, _dispatch, self._key)

    def _kick(self) -> None:
        if self._loop is not None:
            self._loop._kick()

    def _call(self, fn, *args, what: str = ""):
        h = self.handle
        return check(self._c(fn, *args), h, what)

    def close(self) -> None:
        """Free the handle (no close_notify; end() first for a clean close).
        Safe to call twice and from a listener. A socket a server accepted
        belongs to the loop: close() destroys it and the loop frees it."""
        self._close(False)

    def _close(self, collected: bool) -> None:
        if self._handle and self._owner is not None and self._owner != get_ident():
            if not collected:
                raise WrongThreadError("this TLSSocket")
            # The collector runs on any thread: the loop's thread frees it.
            h, self._handle = self._handle, None
            _SOCKETS.pop(self._key, None)
            if self._loop is not None and self._loop._handle:
                self._loop._defer(self._free_handle_fn(), h)
            return
        lock = self._lock
        if lock is not None:
            lock.acquire()
        try:
            h, self._handle = self._handle, None
            _SOCKETS.pop(self._key, None)
            if self._loop is not None:
                self._loop._held.pop(self._key, None)
            if h:
                self._free_handle_fn()(h)
                self.closed = self.destroyed = True
        finally:
            if lock is not None:
                lock.release()
        Driver._close_transport(self)

    def _free_handle_fn(self):
        if self._owned_by_loop:
            return lambda h: lib.socket_destroy(h, None, None)  # the loop frees it
        return lib.socket_free  # a double free answers E_BADHANDLE: ignored

    def __del__(self) -> None:
        try:
            self._close(True)
        except Exception:
            pass

    def __enter__(self) -> "TLSSocket":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _ensure_started(self) -> None:
        if not self._started:
            if self.listener_count("keylog"):
                self._call(lib.socket_set_keylog, 1, what="keylog")
            self._started = True
            self._pump(lib.socket_start)

    def start(self) -> None:
        """Start the handshake now (otherwise the first pump call does)."""
        self._ensure_started()

    def _pump(self, fn, *args, what: str = "") -> int:
        """A pump call: events fire inside; an 'error' with no listener, or a
        failure not reported as an 'error' event, raises TLSError."""
        lock = self._lock
        if lock is None:
            return self._pump_now(fn, args, what)
        with lock:
            return self._pump_now(fn, args, what)

    def _pump_now(self, fn, args, what: str) -> int:
        h = self.handle
        self._error_in_call = False
        self._in_call += 1
        try:
            rc = fn(h, *args)
        finally:
            self._in_call -= 1
            if self._loop is not None:
                self._loop._kick()
        err = self._unhandled
        if err is not None:
            self._unhandled = None
            raise err
        if rc < 0 and rc not in (_abi.E_AGAIN, _abi.E_BUFSIZE) and not self._error_in_call:
            raise error_from(h if self._handle else None, rc, what)
        return rc

    # ---- events from C

    def _listener_added(self, event: str) -> None:
        if event == "data" and (self._held or self._end_held or self._c_paused):
            # A 'data' listener starts the flow (unless pause()d), as in Node.
            if self._owner is not None and self._owner != get_ident():
                self.off("data", self._last_listener("data"))
                raise WrongThreadError("this TLSSocket")
            self._flow()
        ev = _LISTENER_EVENTS.get(event)
        if ev is not None and self._handle and self.listener_count(event) == 1:
            self._listen_from_any_thread(ev)
        if event == "keylog" and self._handle:
            # Any time, as Node: a listener added right after connect() works.
            self._call(lib.socket_set_keylog, 1, what="keylog")

    def _listen_from_any_thread(self, event: int) -> None:
        """_listen(event) for a listener added: adding one is allowed from
        any thread, calling C only from the loop's, which makes the call
        before its next turn when the listener came from another."""
        if self._owner is None or self._owner == get_ident():
            self._listen(event)
            return
        key = self._key

        def listen(h: int) -> None:
            rc = lib.socket_on(h, event, _dispatch, key)
            if rc != _abi.E_BADHANDLE:  # freed meanwhile: nothing to raise to
                check(rc, h, "on")
        self._loop._defer(listen, self._handle)

    # ---- reading: Node's paused/flowing stream over the C socket's pause

    def _flow(self) -> None:
        """Hand what was buffered to the 'data' listeners (when flowing),
        then 'end' if it waited for that, then pause or resume C to match."""
        while self._held and not self._paused and self.listener_count("data"):
            chunk = self._held.popleft()
            self._held_bytes -= len(chunk)
            self.emit("data", chunk)
        if not self._held:
            self._held = None
        self._end_if_consumed()
        self._sync_c_pause()

    def _end_if_consumed(self) -> None:
        if self._end_held and not self._held:
            self._end_held = False
            self.emit("end")

    def _sync_c_pause(self) -> None:
        """C stays paused while the host pause()d, or while nobody consumes
        and the buffer reached the high-water mark (the loop then stops
        reading the fd: TCP holds the peer back)."""
        if not self._handle or self.closed:
            return
        want = self._paused or (self._held_bytes >= self._pause_mark()
                                and not self.listener_count("data"))
        if want == self._c_paused:
            return
        self._c_paused = want
        if want:
            self._call(lib.socket_pause)
            self._kick()
        else:
            self._pump(lib.socket_resume, what="resume")

    def _pause_mark(self) -> int:
        # A mark of 0 still reads one chunk ahead, as Node's read() does:
        # pausing with nothing held would leave read() waiting forever.
        return max(self.readable_high_water_mark, 1)

    @property
    def readable_length(self) -> int:
        """Node's readableLength: cleartext buffered, not yet consumed."""
        return self._held_bytes

    def read(self, size: Optional[int] = None) -> Optional[bytes]:
        """Node's readable.read([size]): the buffered cleartext (all of it,
        or exactly `size` bytes; less only once the peer ended), or None
        when there is not that much. Reading below the high-water mark
        resumes a socket that stopped reading; 'end' follows the read that
        took the last byte (from the loop, as Node's nextTick; at once in
        pump mode)."""
        # The thread rule only: what arrived before 'close' stays readable.
        if self._owner is not None and self._owner != get_ident():
            raise WrongThreadError("this TLSSocket")
        if not self._held:
            return None
        if size is None or size >= self._held_bytes:
            if size is not None and size > self._held_bytes and not self._end_held:
                return None
            data = b"".join(self._held)
            self._held = None
        else:
            parts, need = [], int(size)
            while need:
                chunk = self._held.popleft()
                if len(chunk) > need:
                    self._held.appendleft(chunk[need:])
                    chunk = chunk[:need]
                parts.append(chunk)
                need -= len(chunk)
            data = b"".join(parts)
        self._held_bytes -= len(data)
        if self._end_held and not self._held:
            if self._loop is not None and self._loop._handle:
                self._loop.set_immediate(self._end_if_consumed)
            else:
                self._end_if_consumed()
        self._sync_c_pause()
        return data

    def _on_event(self, event: int, payload: bytes) -> None:
        """One event from C. What the registry says of it (_abi.EVENTS: Node's
        listener, the payload's layout) is generated; only the behaviour
        beyond emitting the listener with the decoded payload is written here,
        in _EVENT_HANDLERS (Ruby's TLSSocket#on_c_event reads the same
        description)."""
        info = _abi.EVENTS.get(event)
        if info is None:
            return  # an event from a newer library
        listener, kind, _subject, _sources = info
        args = decode_payload(kind, payload)
        handler = _EVENT_HANDLERS.get(event)
        if handler is not None:
            handler(self, listener, *args)
        elif listener is not None:
            self.emit(listener, *args)

    def _ev_data(self, listener: str, data: bytes) -> None:
        if not self._held and not self._paused and self.listener_count(listener):
            self.emit(listener, data)
        else:
            was_empty = not self._held
            if was_empty:
                self._held = collections.deque()
            self._held.append(data)
            self._held_bytes += len(data)
            if self._held_bytes >= self._pause_mark() and not self._c_paused:
                self._sync_c_pause()  # stop reading: the peer waits in TCP
            if was_empty:
                self.emit("readable")

    def _ev_secure(self, listener: str) -> None:
        self.secure = True
        self.emit(listener)

    def _ev_end(self, listener: str) -> None:
        if self._held:
            self._end_held = True
        else:
            self.emit(listener)

    def _ev_close(self, listener: str, had_error: bool) -> None:
        self.closed = self.destroyed = True
        self.had_error = had_error
        if self._owned_by_loop:
            self._keep_final()
        try:
            self.emit(listener, self.had_error)
        finally:
            self._unhold()
            if self.server is not None:
                self.server._forget(self)
            if self._owned_by_loop:
                # The loop frees an accepted socket once this returns.
                self._handle = None
                _SOCKETS.pop(self._key, None)

    def _ev_connect(self, listener: str) -> None:
        self.connecting = False
        self.emit(listener)

    def _ev_lookup(self, listener: str, address: str) -> None:
        self.emit(listener, None, address, 6 if ":" in address else 4, self._host)

    def _ev_lookup_request(self, _listener: Optional[str], hostname: str) -> None:
        self._answer_lookup(hostname)

    def _ev_check_server_identity(self, _listener: Optional[str], hostname: str) -> None:
        self._answer_identity(hostname)

    def _ev_renegotiated(self, _listener: Optional[str]) -> None:
        callback, self._renegotiate_cb = self._renegotiate_cb, None
        if callback is not None:
            callback(None)

    def _ev_ocsp_response(self, listener: str, response: bytes) -> None:
        self.emit(listener, response or None)  # nothing stapled: Node's null

    def _ev_psk(self, _listener: Optional[str], hint: str) -> None:
        answer_client(self.handle, self._psk_callback, hint)

    def _ev_error(self, listener: str, code: str) -> None:
        self._error_in_call = True
        err = self._destroy_error
        if err is not None:
            self._destroy_error = None
        else:
            status = ctypes.c_int(0)
            lib.error_detail(self._handle, ctypes.byref(status), None, None, None)
            err = error_from(self._handle, status.value or _abi.E_TLS, code=code or None)
        # Node calls renegotiate()'s callback only on success or at once
        # with a refusal; a later failure is the socket's 'error' alone.
        if self._renegotiate_cb is not None:
            self._renegotiate_cb = None
        if self.listener_count(listener):
            self.emit(listener, err)
        elif self._owned_by_loop and not self.secure:
            pass  # the server's 'tlsClientError' reports it, as in Node
        elif self._loop is not None and not self._in_call:
            raise err  # from the loop: reported as an unhandled 'error'
        elif self._unhandled is None:
            self._unhandled = err

    def _answer_lookup(self, hostname: str) -> None:
        done = []

        def callback(err=None, address=None, family=None):
            if done or not self._handle:
                return
            done.append(1)
            if isinstance(address, (list, tuple)):  # the `all` form
                address = address[0]["address"] if address and isinstance(address[0], dict) \
                    else (address[0] if address else None)
            code = None
            if err is not None or not address:
                code = getattr(err, "code", None) or "ENOTFOUND"
                address = None
            self._in_call += 1
            try:
                self._c(lib.socket_lookup_done, cstr(address), cstr(code))
            finally:
                self._in_call -= 1
            self._kick()

        try:
            self._lookup(hostname, {}, callback)
        except Exception as e:
            callback(e)
            raise

    def _keep_final(self) -> None:
        """What stays readable after the loop frees an accepted socket."""
        f = self._final = {}
        for name in ("bytes_read", "bytes_written", "authorized", "authorization_error",
                     "remote_address", "remote_port", "remote_family", "local_address",
                     "local_port", "alpn_protocol", "servername"):
            try:
                f[name] = getattr(self, name)
            except TLSError:
                pass
        for name in ("get_protocol", "get_cipher", "get_session", "is_session_reused"):
            try:
                f[name] = getattr(self, name)()
            except TLSError:
                pass

    def _answer_identity(self, hostname: str) -> None:
        code = message = None
        try:
            cert = self.get_peer_certificate()
            result = self._check_identity(hostname, cert)
        except Exception as e:  # a raising check is a failed check
            result = e
        if result is not None:
            code = getattr(result, "code", None) or "ERR_TLS_CERT_ALTNAME_INVALID"
            message = str(getattr(result, "message", None) or result)
        if self._handle:
            self._c(lib.socket_check_server_identity_done, cstr(code), cstr(message))

    # ---- the pump

    def feed(self, data: bytes) -> None:
        """Ciphertext received from the peer (any size, any split)."""
        self._ensure_started()
        b = bytes(data)
        self._pump(lib.socket_feed, b, len(b), what="feed")

    def feed_eof(self) -> None:
        """The transport ended."""
        self._ensure_started()
        self._pump(lib.socket_feed_eof, what="feed_eof")

    def pull(self, max_bytes: int = 1 << 20) -> bytes:
        """All pending ciphertext for the peer (b"" when none): one
        write_pull per 64 KiB (E_BUFSIZE: more waits)."""
        self._ensure_started()
        out = []
        buf = ctypes.create_string_buffer(min(max_bytes, 65536))
        n, st = ctypes.c_size_t(0), ctypes.c_uint(0)
        total = 0
        while total < max_bytes:
            rc = self._pump(lib.socket_write_pull, None, 0, buf, len(buf), ctypes.byref(n),
                            ctypes.byref(st), what="pull")
            if n.value:
                out.append(ctypes.string_at(buf, n.value))
                total += n.value
            if rc != _abi.E_BUFSIZE:
                break
        return b"".join(out)

    def pending_output(self) -> int:
        n = ctypes.c_size_t(0)
        self._call(lib.socket_pending_output, ctypes.byref(n))
        return n.value

    def state(self) -> _abi.State:
        f = ctypes.c_uint(0)
        self._call(lib.socket_state, ctypes.byref(f))
        return _abi.State(f.value)

    def write(self, data: Union[bytes, str], encoding: str = "utf-8") -> bool:
        """Write cleartext (buffered until the handshake completes). Answers
        False, as Node, once the buffer reached the high-water mark: 'drain'
        follows when it is empty (writes are still taken)."""
        self._ensure_started()
        b = data.encode(encoding) if isinstance(data, str) else bytes(data)
        self._pump(lib.socket_write, b, len(b), what="write")
        self._after_local_call()
        if self._handle:
            return not self.state() & _abi.STATE_NEED_DRAIN
        return True

    def end(self, data: Union[bytes, str, None] = None) -> None:
        """Write `data` if given, then close_notify."""
        if data is not None:
            self.write(data)
        self._ensure_started()
        self._pump(lib.socket_end, what="end")
        self._after_local_call()

    def destroy(self, error: Optional[BaseException] = None) -> None:
        """Close at once without close_notify; with `error`, 'error' fires
        with it first, then 'close'. The handle stays valid for queries."""
        h = self.handle
        code = message = None
        if error is not None:
            self._destroy_error = error
            code = cstr(getattr(error, "code", None) or "ERR_TLSPLUG_DESTROYED")
            message = cstr(str(error))
        self._pump(lib.socket_destroy, code, message, what="destroy")
        if error is not None:
            self._destroy_error = None
        self.destroyed = True
        self._after_local_call()

    # ---- streams (pause/resume, timeouts, addresses)

    def pause(self) -> "TLSSocket":
        """Node's pause(): no 'data' until resume(); nothing is lost."""
        self.handle  # the thread rule, and a closed socket raises
        self._paused = True
        self._sync_c_pause()
        return self

    def resume(self) -> "TLSSocket":
        """Node's resume(): what waited is delivered (to the 'data'
        listeners; without one it stays buffered for read())."""
        self.handle
        self._paused = False
        self._flow()
        return self

    @property
    def is_paused(self) -> bool:
        return self._paused

    def set_timeout(self, ms: float, callback: Optional[Callable[[], Any]] = None) -> "TLSSocket":
        """Node's setTimeout(ms, cb): 'timeout' after `ms` idle (0: off).
        The socket stays open. On a loop only."""
        self._call(lib.socket_set_timeout, max(0, int(ms)), what="setTimeout")
        self.timeout = ms  # Node's socket.timeout: the last value set
        if callback is not None:
            if ms:
                self.once("timeout", callback)
            else:
                self.off("timeout", callback)
        self._kick()
        return self

    def set_no_delay(self, no_delay: bool = True) -> "TLSSocket":
        self._call(lib.socket_set_no_delay, int(bool(no_delay)), what="setNoDelay")
        return self

    def set_keep_alive(self, enable: bool = False, initial_delay: float = 0) -> "TLSSocket":
        """Node's setKeepAlive(enable, initialDelay ms)."""
        self._call(lib.socket_set_keep_alive, int(bool(enable)), max(0, int(initial_delay)),
                   what="setKeepAlive")
        return self

    def set_servername(self, name: str) -> None:
        """Node's setServername(name): the SNI name, on a client before its
        handshake (a server socket raises ERR_TLS_SNI_FROM_SERVER)."""
        if not isinstance(name, str):
            raise InvalidArgTypeError('The "name" argument must be of type string. '
                                      f"Received {type_name(name)}")
        self._call(lib.socket_set_servername, cname(name, "name"), what="setServername")

    def set_high_water_mark(self, n: int) -> None:
        self._call(lib.socket_set_high_water_mark, int(n), what="highWaterMark")

    # Node's writableLength, the same as bufferSize (generated).
    writable_length = _abi.SocketGetters.buffer_size

    @property
    def writable_need_drain(self) -> bool:
        return bool(self._handle and self.state() & _abi.STATE_NEED_DRAIN)

    def _address(self, side: int):
        h = self.handle
        port, family = ctypes.c_int(0), ctypes.c_int(0)
        n = ctypes.c_size_t(0)
        buf = ctypes.create_string_buffer(256)
        rc = self._c(lib.socket_address, side, buf, len(buf), ctypes.byref(n),
                     ctypes.byref(port), ctypes.byref(family))
        if rc == _abi.E_UNAVAILABLE:
            return None
        check(rc, h, "address")
        return buf.value.decode("utf-8", "replace"), port.value, family.value

    def _final_or(self, name: str, fn):
        if not self._handle and self._final and name in self._final:
            return self._final[name]
        return fn()

    def address(self) -> Optional[Dict[str, Any]]:
        """Node's address(): {'port', 'family', 'address'} of this end
        ({} when it is not connected, as Node's)."""
        a = self._address(_abi.ADDRESS_LOCAL)
        if a is None:
            return {}
        addr, port, fam = a
        if not fam:
            return addr  # a Unix socket: its path, as Node
        return {"port": port, "family": _FAMILIES.get(fam, str(fam)), "address": addr}

    @property
    def remote_address(self) -> Optional[str]:
        return self._final_or("remote_address",
                              lambda: (self._address(_abi.ADDRESS_REMOTE) or (None,))[0])

    @property
    def remote_port(self) -> Optional[int]:
        def q():
            a = self._address(_abi.ADDRESS_REMOTE)
            return a[1] if a and a[2] else None
        return self._final_or("remote_port", q)

    @property
    def remote_family(self) -> Optional[str]:
        def q():
            a = self._address(_abi.ADDRESS_REMOTE)
            return _FAMILIES.get(a[2]) if a else None
        return self._final_or("remote_family", q)

    @property
    def local_address(self) -> Optional[str]:
        return self._final_or("local_address",
                              lambda: (self._address(_abi.ADDRESS_LOCAL) or (None,))[0])

    @property
    def local_port(self) -> Optional[int]:
        def q():
            a = self._address(_abi.ADDRESS_LOCAL)
            return a[1] if a and a[2] else None
        return self._final_or("local_port", q)

    # ---- metadata (the plain getters are generated: _abi.SocketGetters)

    def get_cipher(self) -> Optional[Dict[str, str]]:
        """{'name', 'standardName', 'version'} as Node's; None before the handshake."""
        if not self._handle and self._final and 'get_cipher' in self._final:
            return self._final['get_cipher']
        out = {}
        for key, field in (("name", _abi.CIPHER_NAME), ("standardName", _abi.CIPHER_STANDARD_NAME),
                           ("version", _abi.CIPHER_VERSION)):
            v = self._get_str(lib.socket_get_cipher, field)
            if v is None:
                return None
            out[key] = v
        return out

    def get_peer_certificate(self, detailed: bool = False) -> Optional[Dict[str, Any]]:
        """Node's certificate object as a dict (raw and pubkey as bytes); with
        `detailed`, issuerCertificate along the chain, the root's pointing
        at itself. {} when the peer sent none; None before the handshake."""
        return cert_from_json(self._get_str(lib.socket_get_peer_certificate, int(bool(detailed)),
                                            size=8192))

    def get_x509_certificate(self) -> Optional["X509Certificate"]:
        """Node's getX509Certificate(): the local certificate, or None."""
        c = self.get_certificate()
        return X509Certificate(c["raw"]) if c and c.get("raw") else None

    def get_peer_x509_certificate(self) -> Optional["X509Certificate"]:
        """Node's getPeerX509Certificate(): the peer's certificate, its
        issuer_certificate linked along the chain the peer presented."""
        chain = []
        for depth in range(64):
            der = self._get_bytes(lib.socket_peer_cert_field, depth, _abi.CERT_RAW, size=4096)
            if der is None:
                break
            chain.append(X509Certificate(der))
        for cert, issuer in zip(chain, chain[1:]):
            if cert.check_issued(issuer) and cert != issuer:
                cert.issuer_certificate = issuer
        return chain[0] if chain else None

    def set_max_send_fragment(self, size: int) -> bool:
        """False outside 512..16384, as Node; a non-number raises TypeError
        (ERR_INVALID_ARG_TYPE), a non-int32 ValueError (ERR_OUT_OF_RANGE)."""
        size = want_int("size", size, -2**31, 2**31 - 1, "argument")
        if not 512 <= size <= 16384:
            self.handle  # the thread rule, and a closed socket raises
            return False
        rc = self._c(lib.socket_set_max_send_fragment, size)
        if rc == _abi.E_INVAL:
            return False
        check(rc, self._handle)
        return True

    def disable_renegotiation(self) -> None:
        self._call(lib.socket_disable_renegotiation)

    def enable_trace(self, writer: Optional[Callable[[str], Any]] = None) -> None:
        """Node's tlsSocket.enableTrace(): one line per handshake message
        sent or received ("Sent ClientHello, Length=512"), written to
        sys.stderr or given to writer(line). tlsplug's own trace: Node
        prints OpenSSL's, far more detailed."""
        if writer is not None:
            want_callable("writer", writer)
        self._trace_writer = writer
        self._listen(_abi.EV_TRACE)
        self._call(lib.socket_enable_trace)

    def _ev_trace(self, _listener: Optional[str], line: str) -> None:
        writer = self._trace_writer
        if writer is not None:
            writer(line)
        else:
            import sys
            sys.stderr.write(line + "\n")

    def export_keying_material(self, length: int, label: str,
                               context: Optional[bytes] = None) -> bytes:
        """Node's exportKeyingMaterial(): `length` bytes of keying material
        (RFC 5705 / RFC 8446 exporter), equal on both ends. `context` None
        is Node's undefined (no context), which TLS 1.2 tells from b"".
        Argument errors as Node's: TypeError (ERR_INVALID_ARG_TYPE),
        ValueError (ERR_OUT_OF_RANGE); before the handshake, TLSError
        ERR_TLS_INVALID_STATE."""
        length = want_int("length", length, 1, 2**32 - 1, "argument")
        if not isinstance(label, str):
            raise InvalidArgTypeError('The "label" argument must be of type string. '
                                      f"Received {type_name(label)}")
        if context is not None and not isinstance(context, (bytes, bytearray, memoryview)):
            raise InvalidArgTypeError('The "context" argument must be an instance of bytes, '
                                      f"bytearray or memoryview. Received {type_name(context)}")
        lab = label.encode()
        ctx = None if context is None else bytes(context)
        out = ctypes.create_string_buffer(length)
        n = ctypes.c_size_t(0)
        self._call(lib.socket_export_keying_material, lab, len(lab), ctx,
                   0 if ctx is None else len(ctx), out, length, ctypes.byref(n),
                   what="exportKeyingMaterial")
        return out.raw[: n.value]

    def renegotiate(self, options: Dict[str, Any],
                    callback: Optional[Callable[[Optional[BaseException]], Any]] = None) -> bool:
        """Node's tlsSocket.renegotiate(options, callback): a new handshake on
        a secure TLS 1.2 connection. options: request_cert (False),
        reject_unauthorized (True). callback(None) once it completed (a
        failure later on is the socket's 'error'). Answers False when it could not start
        (TLS 1.3, renegotiation not enabled by both ends): then callback(err)
        comes from the loop, as Node's from process.nextTick."""
        if not isinstance(options, dict):
            raise InvalidArgTypeError('The "options" argument must be of type object. '
                                      f"Received {type(options).__name__}")
        if callback is not None:
            want_callable("callback", callback)
        request_cert = options.get("request_cert")
        reject = options.get("reject_unauthorized")
        self._renegotiate_cb = callback
        self._listen(_abi.EV_RENEGOTIATED)
        try:
            self._pump(lib.socket_renegotiate, int(bool(request_cert)),
                       int(reject is None or bool(reject)), what="renegotiate")
        except TLSError as err:
            self._renegotiate_cb = None
            if callback is not None:
                loop = self._loop or get_loop()
                loop.set_immediate(callback, err)
            return False
        self._after_local_call()
        return True


# The events whose handling is more than emitting Node's listener with the
# decoded payload (drain, timeout, session, keylog are just that). Each
# handler gets the listener's name and the decoded arguments.
_EVENT_HANDLERS: Dict[int, Callable[..., None]] = {
    _abi.EV_RENEGOTIATED: TLSSocket._ev_renegotiated,
    _abi.EV_DATA: TLSSocket._ev_data,
    _abi.EV_SECURE_CONNECT: TLSSocket._ev_secure,
    _abi.EV_SECURE: TLSSocket._ev_secure,
    _abi.EV_END: TLSSocket._ev_end,
    _abi.EV_CLOSE: TLSSocket._ev_close,
    _abi.EV_CONNECT: TLSSocket._ev_connect,
    _abi.EV_LOOKUP: TLSSocket._ev_lookup,
    _abi.EV_LOOKUP_REQUEST: TLSSocket._ev_lookup_request,
    _abi.EV_CHECK_SERVER_IDENTITY: TLSSocket._ev_check_server_identity,
    _abi.EV_ERROR: TLSSocket._ev_error,
    _abi.EV_OCSP_RESPONSE: TLSSocket._ev_ocsp_response,
    _abi.EV_PSK: TLSSocket._ev_psk,
    _abi.EV_TRACE: TLSSocket._ev_trace,
}

_CONNECT_OPTIONS = {"servername", "session", "alpn_protocols", "check_server_identity",
                    "reject_unauthorized", "min_dh_size", "high_water_mark", "request_ocsp",
                    "allow_half_open"}


def _socket_fd(sock: Any) -> int:
    """An fd the loop may own: a socket object is detached (the TLSSocket
    takes it over, as Node's tls.connect({socket})), an int is taken as is."""
    if isinstance(sock, int):
        return sock
    if hasattr(sock, "detach"):
        return sock.detach()
    if hasattr(sock, "fileno"):
        import os
        return os.dup(sock.fileno())
    raise TypeError("socket must be a socket object or a file descriptor")


def connect(port: Optional[int] = None, host: Optional[str] = None, *,
            on_secure_connect: Optional[Callable[[], Any]] = None,
            path: Optional[str] = None, socket: Any = None,
            secure_context: Optional[SecureContext] = None,
            timeout: Optional[float] = None,
            lookup: Optional[Callable[..., Any]] = None,
            loop: Optional[Loop] = None, **options: Any) -> TLSSocket:
    """Node's tls.connect(port, host, options, callback) on the thread's
    loop (run it with tlsplug.run(), or embed it with tlsplug.asyncio).

    Exactly one of port (with host, default 'localhost'), path (a Unix
    socket) or socket (a connected socket object, taken over, or an fd).
    options: servername, session, alpn_protocols, check_server_identity
    (fn(hostname, cert) -> None or an error), reject_unauthorized (True),
    min_dh_size, high_water_mark, request_ocsp, lookup (fn(hostname,
    options, cb), cb(err, address, family)), timeout (ms, Node's
    setTimeout), plus every create_secure_context option (or
    secure_context). on_secure_connect is added as a 'secureConnect'
    listener. Errors (ECONNREFUSED, ENOTFOUND, verification) arrive as
    'error' events."""
    if isinstance(port, dict):  # connect({'port': ..., 'host': ...})
        options = dict(port, **options)
        port = options.pop("port", None)
        host = options.pop("host", host)
        path = options.pop("path", path)
        socket = options.pop("socket", socket)
    if socket is None and path is None:
        port = want_port(port, host)
    loop = loop or get_loop()
    if options.get("servername"):
        warn_ip_servername(options["servername"])
    ctx_opts = {k: options.pop(k) for k in list(options) if k in _CONTEXT_OPTIONS}
    unknown = set(options) - _CONNECT_OPTIONS
    if unknown:
        raise TypeError("unknown connect options: " + ", ".join(sorted(unknown)))
    if secure_context is not None and ctx_opts:
        raise TypeError("context options given with secure_context: " + ", ".join(sorted(ctx_opts)))
    own = None
    if secure_context is None:
        own = secure_context = create_secure_context(**ctx_opts)
    try:
        sock = TLSSocket(secure_context=secure_context, lookup=lookup, **options)
    finally:
        if own is not None:
            own.close()
    if on_secure_connect is not None:
        sock.once("secureConnect", on_secure_connect)
    sock._attach(loop)
    sock.connecting = True
    try:
        if socket is not None:
            fd = _socket_fd(socket)
            rc = lib.loop_adopt(loop.handle, sock.handle, fd)
        elif path is not None:
            rc = lib.loop_connect_path(loop.handle, sock.handle, cstr(path))
        else:
            sock._host = host or "localhost"
            rc = lib.loop_connect(loop.handle, sock.handle, cstr(host), int(port))
        if rc < 0:
            err = error_from(sock.handle, rc, "connect")
            sock.close()
            raise err
        if timeout:
            sock.set_timeout(timeout)
    except BaseException:
        sock._unhold()
        raise
    loop._kick()
    return sock
