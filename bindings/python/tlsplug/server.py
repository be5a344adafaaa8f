"""Node's tls.Server on tlsplug's loop: create_server(options, listener).

Events come from C through one module-level trampoline, by userdata key, as
the TLSSocket's do. Accepted sockets belong to the C loop: their Python
TLSSocket never frees them, and drops its handle after 'close' (what Node's
properties answer after close stays readable).

Threads: once listen() put it on a loop, a server is used from the loop's
thread only (WrongThreadError otherwise, as its sockets); before that it is
configured from one thread at a time, as a context is.
"""
from __future__ import annotations

import ctypes
import itertools
import weakref
from threading import get_ident
from typing import Any, Callable, Dict, Optional, Union

from . import _abi
from ._lib import (InvalidArgTypeError, InvalidArgValueError, TLSError, WrongThreadError, _type_name,
                   check, cstr, error_from, lib, want_callable, want_int, want_number, want_str)
from ._runtime import decode_payload
from .context import SecureContext, create_secure_context
from .events import EventEmitter
from .loop import Loop, get_loop, report_exception
from .psk import answer_server
from .tlssocket import _CONTEXT_OPTIONS, TLSSocket, alpn_wire

__all__ = ["Server", "create_server"]

_SERVERS: "weakref.WeakValueDictionary[int, Server]" = weakref.WeakValueDictionary()
_KEYS = itertools.count(1)

# Every event a server raises (the registry's `source`), all registered.
_SERVER_EVENTS = tuple(ev for ev, info in _abi.EVENTS.items() if "server" in info[3])
_FAMILIES = {4: "IPv4", 6: "IPv6"}
_SERVER_OPTIONS = {"request_cert", "reject_unauthorized", "handshake_timeout",
                   "session_timeout", "alpn_protocols", "sni_callback", "ticket_keys",
                   "secure_context", "allow_half_open", "pause_on_connect", "alpn_callback",
                   "session_store", "session_cache_size"}


class ALPNCallbackWithProtocolsError(TLSError, TypeError):
    """ALPNCallback and ALPNProtocols given together (Node's TypeError
    ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS)."""

    def __init__(self):
        super().__init__("The ALPNCallback and ALPNProtocols TLS options are mutually exclusive",
                         "ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS")


def alpn_names(wire: bytes) -> list:
    """The protocol names of an ALPN wire-form list, as Node's ASCII strings."""
    out, i = [], 0
    while i < len(wire):
        n = wire[i]
        out.append(wire[i + 1:i + 1 + n].decode("ascii", "replace"))
        i += 1 + n
    return out


@_abi.EVENT_CB
def _server_dispatch(userdata, source, event, subject, data, length):
    srv = _SERVERS.get(userdata)
    if srv is None:
        return
    payload = ctypes.string_at(data, length) if data and length else b""
    loop = srv._loop
    try:
        srv._on_event(event, subject, payload)
    except Exception as e:
        if not report_exception(e, "Server listener", srv):
            raise  # ctypes reports it through sys.unraisablehook
    finally:
        if loop is not None:
            loop._after_event()


def _as_context(v: Union[SecureContext, Dict[str, Any], None]) -> SecureContext:
    if isinstance(v, SecureContext):
        return v
    return create_secure_context(**(v or {}))


def _server_context(options: Dict[str, Any]) -> SecureContext:
    """The context a server makes from its options: as Node's Server, with
    honorCipherOrder true unless given (a plain context's default is the
    client's order)."""
    if options.get("honor_cipher_order") is None:
        options = dict(options, honor_cipher_order=True)
    return create_secure_context(**options)


class Server(EventEmitter, _abi.ServerGetters):
    """Node's tls.Server. Made by create_server(); listen() puts it on the
    thread's loop.

    Events (Node's arguments): 'listening' (), 'connection' (socket, before
    the handshake), 'secureConnection' (socket), 'tlsClientError' (err,
    socket), 'newSession' (session_id, session_data, cb()), 'resumeSession'
    (session_id, cb(err, session_data)), 'OCSPRequest' (cert, issuer,
    cb(err, response)), 'keylog' (line, socket), 'close' (), 'error' (err).

    The plain getters (connections, get_ticket_keys()) are generated from
    the registry (_abi.ServerGetters).
    """

    def __init__(self, options: Optional[Dict[str, Any]] = None,
                 secure_connection_listener: Optional[Callable[[TLSSocket], Any]] = None,
                 **kw: Any) -> None:
        super().__init__()
        self._handle: Optional[int] = None
        self._key = next(_KEYS)
        self._loop: Optional[Loop] = None
        self._owner: Optional[int] = None  # the loop's thread, from listen() on
        self._sockets: Dict[int, TLSSocket] = {}
        self._max_connections: Optional[int] = None
        self.listening = False
        # Node's createServer(listener): a function alone is the listener.
        if callable(options) and secure_connection_listener is None:
            options, secure_connection_listener = None, options
        if options is not None and not isinstance(options, dict):
            raise InvalidArgTypeError('The "options" argument must be of type object. '
                                      f"Received {_type_name(options)}")
        opts = dict(options or {}, **kw)
        ctx_opts = {k: opts.pop(k) for k in list(opts) if k in _CONTEXT_OPTIONS}
        unknown = set(opts) - _SERVER_OPTIONS
        if unknown:
            raise TypeError("unknown server options: " + ", ".join(sorted(unknown)))
        # Node throws at the call, before anything is made; None is Node's
        # undefined (the default), never false/0.
        if opts.get("sni_callback") is not None:
            want_callable("options.SNICallback", opts["sni_callback"])
        if opts.get("alpn_callback") is not None:
            want_callable("options.ALPNCallback", opts["alpn_callback"])
            if opts.get("alpn_protocols") is not None:
                raise ALPNCallbackWithProtocolsError()
        if opts.get("handshake_timeout") is not None:
            want_number("options.handshakeTimeout", opts["handshake_timeout"])
        if opts.get("session_timeout") is not None:
            want_int("options.sessionTimeout", opts["session_timeout"], 0, 2**31 - 1)
        if opts.get("session_cache_size") is not None:
            want_int("options.sessionCacheSize", opts["session_cache_size"], 0, 2**31 - 1)
        if opts.get("session_store") is not None:
            want_str("options.sessionStore", opts["session_store"])
        ctx = opts.get("secure_context")
        own = None
        if ctx is None:
            own = ctx = _server_context(ctx_opts)
        elif ctx_opts:
            raise TypeError("context options given with secure_context: "
                            + ", ".join(sorted(ctx_opts)))
        try:
            out = ctypes.c_void_p()
            check(lib.server_new(ctx.handle, ctypes.byref(out)), ctx.handle, "createServer")
            self._handle = out.value
        finally:
            if own is not None:
                own.close()  # the server keeps its own reference
        _SERVERS[self._key] = self
        for ev in _SERVER_EVENTS:
            self._call(lib.server_on, ev, _server_dispatch, self._key)
        self._sni_callback = opts.get("sni_callback")
        self._psk_callback = ctx._psk_callback
        if opts.get("request_cert"):
            self._call(lib.server_set_request_cert, 1)
        # Node's server default: rejectUnauthorized true (it matters with requestCert).
        self._call(lib.server_set_reject_unauthorized,
                   int(opts.get("reject_unauthorized") is None or bool(opts["reject_unauthorized"])))
        if opts.get("handshake_timeout") is not None:
            self._call(lib.server_set_handshake_timeout, int(opts["handshake_timeout"]))
        if opts.get("session_timeout") is not None:
            self._call(lib.server_set_session_timeout, int(opts["session_timeout"]))
        if opts.get("alpn_protocols"):
            w = alpn_wire(opts["alpn_protocols"])
            self._call(lib.server_set_alpn_protocols, w, len(w))
        if self._sni_callback is not None:
            self._call(lib.server_set_sni_callback, 1)
        self._alpn_callback = opts.get("alpn_callback")
        if self._alpn_callback is not None:
            self._call(lib.server_set_alpn_callback, 1)
        if isinstance(opts.get("ticket_keys"), str):
            # A file or a redis:// key holding the fleet's 48 bytes.
            self._call(lib.server_load_ticket_keys, cstr(opts["ticket_keys"]),
                       what="ticketKeys")
        elif opts.get("ticket_keys") is not None:
            self.set_ticket_keys(_ticket_keys_option(opts["ticket_keys"]))
        if opts.get("session_cache_size") is not None:
            self._call(lib.server_set_session_cache_size, int(opts["session_cache_size"]))
        if opts.get("session_store") is not None:
            self._call(lib.server_use_session_store, cstr(opts["session_store"]),
                       what="sessionStore")
        self._allow_half_open = opts.get("allow_half_open")
        self._pause_on_connect = bool(opts.get("pause_on_connect"))
        # Node's server.allowHalfOpen / server.pauseOnConnect, read-only here.
        self.allow_half_open = bool(self._allow_half_open)
        self.pause_on_connect = self._pause_on_connect
        if secure_connection_listener is not None:
            self.on("secureConnection", secure_connection_listener)

    # ---- plumbing

    @property
    def handle(self) -> int:
        owner = self._owner
        if owner is not None and owner != get_ident():
            raise WrongThreadError("this Server")
        if not self._handle:
            raise TLSError("Server is closed (its handle was freed)", "ERR_TLSPLUG_CLOSED",
                           _abi.E_BADHANDLE)
        return self._handle

    def _call(self, fn, *args, what: str = ""):
        h = self.handle
        return check(fn(h, *args), h, what)

    def _getter_call(self, name: str, fn, *args):
        """A generated getter's call (_abi.ServerGetters): fn(handle, *args)."""
        return fn(self.handle, *args)

    def free(self) -> None:
        """Free the handle (stops listening without events)."""
        self._free(False)

    def _free(self, collected: bool) -> None:
        if self._handle and self._owner is not None and self._owner != get_ident():
            if not collected:
                raise WrongThreadError("this Server")
            # The collector runs on any thread: the loop's thread frees it.
            h, self._handle = self._handle, None
            _SERVERS.pop(self._key, None)
            if self._loop is not None and self._loop._handle:
                self._loop._defer(lib.server_free, h)
            return
        h, self._handle = self._handle, None
        _SERVERS.pop(self._key, None)
        if self._loop is not None:
            self._loop._release(self)
        if h:
            lib.server_free(h)

    def __del__(self) -> None:
        try:
            self._free(True)
        except Exception:
            pass

    def _listener_added(self, event: str) -> None:
        if not self._handle or event not in ("newSession", "resumeSession", "OCSPRequest",
                                             "keylog"):
            return
        if self._owner is not None and self._owner != get_ident():
            self.off(event, self._last_listener(event))
            raise WrongThreadError("this Server")
        if event in ("newSession", "resumeSession"):
            lib.server_set_session_store(self._handle, 1)
        elif event == "OCSPRequest":
            lib.server_set_ocsp(self._handle, 1)
        elif event == "keylog":
            lib.server_set_keylog(self._handle, 1)

    def _forget(self, sock: TLSSocket) -> None:
        for h, s in list(self._sockets.items()):
            if s is sock:
                del self._sockets[h]

    def _socket(self, subject: Optional[int]) -> Optional[TLSSocket]:
        return self._sockets.get(subject) if subject else None

    # ---- events from C

    def _on_event(self, event: int, subject: Optional[int], payload: bytes) -> None:
        """One server event from C; its payload decoded by the registry's
        description (_abi.EVENTS), so only the behaviour is written here."""
        info = _abi.EVENTS.get(event)
        if info is None:
            return  # an event from a newer library
        args = decode_payload(info[1], payload)
        if event == _abi.EV_LISTENING:
            self.listening = True
            self.emit("listening")
        elif event == _abi.EV_CONNECTION:
            sock = TLSSocket(is_server=True, secure_context=_NoContext(), _handle=subject,
                             _accepted=True)
            sock.server = self
            sock.allow_half_open = self.allow_half_open
            self._sockets[subject] = sock
            sock._attach(self._loop)
            if self._allow_half_open is not None:
                lib.socket_set_allow_half_open(subject, int(bool(self._allow_half_open)))
            if self._pause_on_connect:
                sock.pause()
            self.emit("connection", sock)
        elif event == _abi.EV_SECURE_CONNECTION:
            sock = self._socket(subject)
            if sock is not None:
                sock.secure = True
                self.emit("secureConnection", sock)
        elif event == _abi.EV_TLS_CLIENT_ERROR:
            sock = self._socket(subject)
            err = error_from(subject, _abi.E_TLS)
            (code,) = args
            if code:
                err.code = code
            self.emit("tlsClientError", err, sock)
        elif event == _abi.EV_SNI_CALLBACK:
            self._answer_sni(subject, *args)
        elif event == _abi.EV_ALPN_CALLBACK:
            self._answer_alpn(subject, *args)
        elif event == _abi.EV_PSK:
            answer_server(subject, self._psk_callback, self._socket(subject), *args)
        elif event == _abi.EV_NEW_SESSION:
            self._ask(subject, "newSession", args,
                      lambda err=None, *_: self._answered(
                          subject, lib.socket_new_session_done(subject), "newSession"))
        elif event == _abi.EV_RESUME_SESSION:
            def answer(err=None, data=None):
                d = bytes(data) if data and err is None else None
                self._answered(subject, lib.socket_resume_session_done(
                    subject, d, len(d) if d else 0), "resumeSession")
            self._ask(subject, "resumeSession", args, answer)
        elif event == _abi.EV_OCSP_REQUEST:
            def answer(err=None, response=None):
                r = bytes(response) if response and err is None else None
                self._answered(subject, lib.socket_ocsp_done(subject, r, len(r) if r else 0),
                               "OCSPRequest")
            self._ask(subject, "OCSPRequest", args, answer)
        elif event == _abi.EV_KEYLOG:
            self.emit("keylog", *args, self._socket(subject))
        elif event == _abi.EV_CLOSE:
            self.listening = False
            loop = self._loop
            try:
                self.emit("close")
            finally:
                if loop is not None:
                    loop._release(self)
        elif event == _abi.EV_ERROR:
            status = ctypes.c_int(0)
            lib.error_detail(self._handle, ctypes.byref(status), None, None, None)
            err = error_from(self._handle, status.value or _abi.E_NET)
            (code,) = args
            if code:
                err.code = code
            self.emit("error", err)

    def _ask(self, subject: int, event: str, args: tuple, answer: Callable[..., Any]) -> None:
        """A server event with Node's callback: answered once (a listener
        that never calls back stalls that connection, as in Node); with no
        listener, answered at once with nothing."""
        done = []
        loop = self._loop

        def cb(*a):
            if done:
                return
            if loop is not None:
                loop._check_thread("this Server")
            done.append(1)
            answer(*a)
            if loop is not None:
                loop._kick()

        if not self.emit(event, *args, cb):
            cb()

    def _answer_sni(self, subject: int, servername: str) -> None:
        """Node's SNICallback(servername, cb): cb(err, ctx) answers once, now
        or later. ctx: a SecureContext, a dict of create_secure_context
        options (made here, kept alive through the answer), or None (the
        server's own); anything else, or options that do not make a context,
        fail the handshake at once ('tlsClientError'), never stall it."""
        done = []
        loop = self._loop

        def cb(err=None, ctx=None):
            if done:
                return
            if loop is not None:
                loop._check_thread("this Server")
            done.append(1)
            error = None
            context = None
            if err is not None:
                error = str(err) or "Invalid SNI context"
            elif isinstance(ctx, (SecureContext, dict)):
                try:
                    context = _as_context(ctx)
                except Exception as e:  # the connection fails; the host hears why
                    error = str(e) or "Invalid SNI context"
            elif ctx is not None:
                error = "Invalid SNI context"
            h = context.handle if context is not None else None
            rc = lib.socket_sni_done(subject, h, cstr(error))
            self._answered(subject, rc, "SNICallback")
            if loop is not None:
                loop._kick()

        try:
            self._sni_callback(servername, cb)
        except Exception as e:
            cb(e)
            raise

    def _answer_alpn(self, subject: int, wire: bytes) -> None:
        """Node's ALPNCallback({servername, protocols}) -> protocol or None
        (refuse the client). A result the client did not offer fails the
        connection (ERR_TLS_ALPN_CALLBACK_INVALID_RESULT, in C)."""
        sock = self._socket(subject)
        servername = sock.servername if sock is not None else None
        try:
            chosen = self._alpn_callback({"servername": servername, "protocols": alpn_names(wire)})
        except Exception:
            self._alpn_done(subject, None)
            raise
        if chosen is None:
            answer = None
        elif isinstance(chosen, str):
            answer = chosen.encode("ascii", "replace")
        else:
            answer = b""  # matches no protocol, as Node's indexOf of a non-string
        self._alpn_done(subject, answer)

    @staticmethod
    def _alpn_done(subject: int, answer: Optional[bytes]) -> None:
        rc = lib.socket_alpn_callback_done(subject, answer, len(answer) if answer else 0)
        if rc != _abi.E_TLS:  # E_TLS: the connection failed, told by its events
            check(rc, subject, "ALPNCallback")

    def _answered(self, subject: int, rc: int, what: str) -> None:
        """The status of an answer (sni_done, new_session_done, ...). When the
        connection is gone (freed, closed or failed, before or because of the
        answer), its own 'error'/'close' events tell the story and Node, too,
        drops an answer for a closed socket; any other failure (the answer
        itself refused) is raised to the caller of cb."""
        if rc >= 0:
            return
        flags = ctypes.c_uint(0)
        if lib.socket_state(subject, ctypes.byref(flags)) != 0 or \
                flags.value & (_abi.STATE_CLOSED | _abi.STATE_ERROR):
            return
        raise error_from(subject, rc, what)

    # ---- Node's API

    def listen(self, port: Optional[int] = 0, host: Optional[str] = None, backlog: int = 0,
               callback: Optional[Callable[[], Any]] = None, *, path: Optional[str] = None,
               fd: Any = None, loop: Optional[Loop] = None) -> "Server":
        """Node's server.listen(port, host, backlog, callback), listen(path=...)
        or listen(fd=...) (a bound socket object, taken over, or an fd).
        'listening' follows from the loop. A bind failure (EADDRINUSE, ...)
        is an 'error' event when there is an 'error' listener, else it
        raises TLSError."""
        if isinstance(port, dict):
            o = dict(port)
            port, host = o.get("port", 0), o.get("host", host)
            backlog, path = o.get("backlog", backlog), o.get("path", path)
            fd = o.get("fd", fd)
        # Node's listen(port, cb), listen(port, host, cb): the callback is
        # the last argument, wherever it lands.
        if callable(host) and callback is None:
            host, callback = None, host
        if callable(backlog) and callback is None:
            backlog, callback = 0, backlog
        loop = loop or self._loop or get_loop()
        loop._check_thread("this loop")
        if self._owner is not None and self._owner != loop._thread:
            raise WrongThreadError("this Server")
        self._loop = loop
        self._owner = loop._thread  # from now on, the loop's thread only
        if callback is not None:
            self.once("listening", callback)
        for ev in ("newSession", "resumeSession", "OCSPRequest", "keylog"):
            if self.listener_count(ev):
                self._listener_added(ev)
        h = self.handle
        if fd is not None:
            from .tlssocket import _socket_fd
            rc = lib.loop_listen_fd(loop.handle, h, _socket_fd(fd), int(backlog or 0))
        elif path is not None:
            rc = lib.loop_listen_path(loop.handle, h, cstr(path), int(backlog or 0))
        else:
            rc = lib.loop_listen(loop.handle, h, cstr(host), int(port or 0), int(backlog or 0))
        if rc < 0:
            err = error_from(h, rc, "listen")
            if self.listener_count("error"):
                loop.set_immediate(self.emit, "error", err)
                return self
            raise err
        loop._hold(self)
        loop._kick()
        return self

    def address(self) -> Union[Dict[str, Any], str, None]:
        """Node's server.address(): {'port', 'family', 'address'}, the path
        for a Unix socket, None when not listening."""
        h = self.handle
        port, family = ctypes.c_int(0), ctypes.c_int(0)
        n = ctypes.c_size_t(0)
        buf = ctypes.create_string_buffer(256)
        rc = lib.server_address(h, buf, len(buf), ctypes.byref(n), ctypes.byref(port),
                                ctypes.byref(family))
        if rc == _abi.E_STATE:
            return None
        check(rc, h, "address")
        addr = buf.value.decode("utf-8", "replace")
        if not family.value:
            return addr
        return {"port": port.value, "family": _FAMILIES.get(family.value, str(family.value)),
                "address": addr}

    def close(self, callback: Optional[Callable[..., Any]] = None) -> "Server":
        """Node's server.close(cb): stop accepting; 'close' once the last
        connection closed. cb() then, or cb(err) (ERR_SERVER_NOT_RUNNING)."""
        h = self.handle
        rc = lib.server_close(h)
        if rc == _abi.E_STATE:
            if callback is not None:
                err = error_from(h, rc, "close")
                err.code = "ERR_SERVER_NOT_RUNNING"
                (self._loop or get_loop()).set_immediate(callback, err)
            return self
        check(rc, h, "close")
        if callback is not None:
            self.once("close", callback)
        if self._loop is not None:
            self._loop._kick()
        return self

    @property
    def max_connections(self) -> Optional[int]:
        return self._max_connections

    @max_connections.setter
    def max_connections(self, n: Optional[int]) -> None:
        self._call(lib.server_set_max_connections, -1 if n is None else int(n))
        self._max_connections = n

    def get_connections(self, callback: Callable[[Optional[BaseException], int], Any]) -> "Server":
        """Node's getConnections(cb): cb(None, count) from the loop."""
        (self._loop or get_loop()).set_immediate(callback, None, self.connections)
        return self

    def add_context(self, hostname: str,
                    context: Union[SecureContext, Dict[str, Any]]) -> None:
        """Node's addContext(hostname, context): a SecureContext or a dict of
        create_secure_context options, for clients whose SNI matches."""
        ctx = _as_context(context)
        self._call(lib.server_add_context, cstr(hostname), ctx.handle, what="addContext")

    def set_secure_context(self, options: Union[SecureContext, Dict[str, Any]]) -> None:
        ctx = options if isinstance(options, SecureContext) else _server_context(options or {})
        self._call(lib.server_set_secure_context, ctx.handle, what="setSecureContext")

    def set_ticket_keys(self, keys: bytes) -> None:
        # Node takes only a Buffer/TypedArray/DataView; bytes(None) or
        # bytes(1) would otherwise pass as an empty or zeroed buffer.
        if not isinstance(keys, (bytes, bytearray, memoryview)):
            raise InvalidArgTypeError('The "keys" argument must be an instance of bytes, '
                                      f"bytearray or memoryview. Received {_type_name(keys)}")
        b = bytes(keys)
        self._call(lib.server_set_ticket_keys, b, len(b), what="setTicketKeys")

    def ref(self) -> "Server":
        return self

    def unref(self) -> "Server":
        return self

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc) -> None:
        if self.listening:
            try:
                self.close()
            except TLSError:
                pass


class _NoContext(SecureContext):
    """Stands for the context of a socket made in C (never used)."""

    def __init__(self) -> None:
        self._handle = None


def _ticket_keys_option(keys):
    """The ticketKeys option checked as Node's createServer checks it."""
    if not isinstance(keys, (bytes, bytearray, memoryview)):
        raise InvalidArgTypeError('The "options.ticketKeys" property must be an instance of bytes, '
                                  f"bytearray or memoryview. Received {_type_name(keys)}")
    if len(bytes(keys)) != 48:
        raise InvalidArgValueError("The property 'options.ticketKeys' must be exactly 48 bytes. "
                                   f"Received {len(bytes(keys))}")
    return keys


def create_server(options: Optional[Dict[str, Any]] = None,
                  secure_connection_listener: Optional[Callable[[TLSSocket], Any]] = None,
                  **kw: Any) -> Server:
    """Node's tls.createServer(options, secureConnectionListener). Options
    (a dict, or keywords, snake_case): request_cert, reject_unauthorized
    (True), handshake_timeout (ms), session_timeout (s), alpn_protocols,
    sni_callback (fn(servername, cb), cb(err, ctx)), ticket_keys (48 bytes,
    or a str: a file or "redis://HOST[:PORT][/DB]#KEY" holding them),
    session_store (where TLS 1.2 sessions are kept: "memory", the default
    cache, "redis://HOST[:PORT][/DB]" or "redis+unix:///PATH"),
    session_cache_size (the memory cache's sessions; 0 turns it off),
    allow_half_open, pause_on_connect, secure_context, and every
    create_secure_context option (key, cert, ca, ...)."""
    return Server(options, secure_connection_listener, **kw)
