"""tlsplug's loop inside a running asyncio loop, and asyncio streams over it.

    import asyncio, tlsplug.asyncio as tlsaio
    async def main():
        reader, writer = await tlsaio.open_connection("127.0.0.1", 8000, ca=ca)
        writer.write(b"hello"); await writer.drain()
        print(await reader.read(100))
        writer.close(); await writer.wait_closed()
    asyncio.run(main())

install() embeds the thread's tlsplug loop into the running asyncio loop:
asyncio watches the loop's backend fd (add_reader) and calls
tlsplug_loop_run_once when it is readable, and a call_later is re-armed
from tlsplug_loop_next_timeout after every run_once and after every
tlsplug call that may create work (a write, a connect, a timer, ...): the
C side writes to the fd at once when it can, and any deferred work makes
next_timeout 0, so writes made from coroutines are flushed without
waiting for IO. tlsplug events (listeners, timers) and await code then run
on the same thread and interleave freely. open_connection() and
start_server() call install() themselves.
"""
from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, Dict, Optional, Tuple, Union

from ._lib import TLSError
from .errors import TLSConnectionResetError, TLSTimeoutError
from .loop import Loop, get_loop
from .server import Server, create_server
from .tlssocket import TLSSocket, connect

__all__ = ["install", "uninstall", "open_connection", "start_server", "TLSTransport",
           "AsyncServer"]


class _Integration:
    """The glue between one tlsplug Loop and one asyncio loop."""

    def __init__(self, tloop: Loop, aloop: asyncio.AbstractEventLoop) -> None:
        self.tloop, self.aloop = tloop, aloop
        self.fd = tloop.backend_fd
        self._timer: Optional[asyncio.TimerHandle] = None
        self._soon: Optional[asyncio.Handle] = None
        self._detached = False
        aloop.add_reader(self.fd, self._run_once)
        tloop._integration = self
        self.rearm()

    def active(self) -> bool:
        return not self._detached and not self.aloop.is_closed()

    def detach(self) -> None:
        if self._detached:
            return
        self._detached = True
        for h in (self._timer, self._soon):
            if h is not None:
                h.cancel()
        self._timer = self._soon = None
        if not self.aloop.is_closed():
            try:
                self.aloop.remove_reader(self.fd)
            except Exception:
                pass
        if self.tloop._integration is self:
            self.tloop._integration = None

    def _run_once(self) -> None:
        self._soon = None
        if self._detached or not self.tloop._handle:
            return
        if self.tloop._running:  # inside a callback already: later
            self.rearm()
            return
        self.tloop.run_once()
        self.rearm()

    def rearm(self) -> None:
        """Schedule the next run_once from tlsplug_loop_next_timeout()."""
        if self._detached or self.aloop.is_closed() or not self.tloop._handle:
            return
        ms = self.tloop.next_timeout()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if ms == 0:
            if self._soon is None:
                self._soon = self.aloop.call_soon(self._run_once)
        elif ms > 0:
            self._timer = self.aloop.call_later(ms / 1000.0, self._timer_fired)

    def _timer_fired(self) -> None:
        self._timer = None
        self._run_once()

    def report(self, exc: BaseException, where: str, obj: Any) -> bool:
        if self._detached or self.aloop.is_closed():
            return False
        self.aloop.call_exception_handler({
            "message": f"Exception in tlsplug {where}", "exception": exc, "object": obj})
        return True


def install(aloop: Optional[asyncio.AbstractEventLoop] = None) -> Loop:
    """Embed this thread's tlsplug loop in `aloop` (the running loop by
    default); answers the tlsplug loop. Idempotent; a previous embedding in
    another (or a closed) asyncio loop is undone first."""
    aloop = aloop or asyncio.get_running_loop()
    tloop = get_loop()
    integ = tloop._integration
    if integ is not None:
        if integ.aloop is aloop and integ.active():
            return tloop
        integ.detach()
    _Integration(tloop, aloop)
    return tloop


def uninstall() -> None:
    """Stop driving this thread's tlsplug loop from asyncio."""
    integ = get_loop()._integration
    if integ is not None:
        integ.detach()


class TLSTransport(asyncio.Transport):
    """An asyncio Transport over a tlsplug TLSSocket on the loop: write ->
    socket.write, pause_reading/resume_reading -> pause/resume, the
    protocol's pause_writing/resume_writing from write()'s False and
    'drain', close -> end, abort -> destroy."""

    def __init__(self, sock: TLSSocket, protocol: asyncio.BaseProtocol,
                 aloop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._sock = sock
        self._protocol = protocol
        self._aloop = aloop
        self._closing = False
        self._writing_paused = False
        self._error: Optional[BaseException] = None
        self._lost = False
        self._started = False
        self._extra: Dict[str, Any] = {}

    def _start(self) -> None:
        """Called at secureConnect / secureConnection."""
        s = self._sock
        self._started = True
        self._extra = {
            "peercert": s.get_peer_certificate(),
            "cipher": self._cipher(),
            "ssl_object": s,
            "tls_socket": s,
            "alpn_protocol": s.alpn_protocol,
            "peername": (s.remote_address, s.remote_port),
            "sockname": (s.local_address, s.local_port),
            "compression": None,
        }
        s.on("data", self._on_data)
        s.on("end", self._on_end)
        s.on("drain", self._on_drain)
        s.on("error", self._on_error)
        s.on("close", self._on_close)
        self._protocol.connection_made(self)

    def _cipher(self) -> Optional[Tuple[str, str, Optional[int]]]:
        c = self._sock.get_cipher()
        return (c["name"], c["version"], None) if c else None

    # ---- events from the socket

    def _on_data(self, data: bytes) -> None:
        self._protocol.data_received(data)

    def _on_end(self) -> None:
        keep_open = self._protocol.eof_received()
        if not keep_open and not self._closing:
            self.close()

    def _on_drain(self) -> None:
        if self._writing_paused:
            self._writing_paused = False
            self._protocol.resume_writing()

    def _on_error(self, err: BaseException) -> None:
        self._error = err

    def _on_close(self, had_error: bool) -> None:
        if self._lost:
            return
        self._lost = True
        self._closing = True
        err = self._error
        if err is None and had_error:
            err = TLSConnectionResetError("the TLS connection closed with an error", "ECONNRESET")
        self._protocol.connection_lost(err)

    # ---- asyncio.Transport

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._extra.get(name, default)

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        if self._closing:
            return
        self._closing = True
        s = self._sock
        if s._handle and not s.closed:
            try:
                s.end()
            except TLSError:
                pass

    def abort(self) -> None:
        self._closing = True
        s = self._sock
        if s._handle and not s.closed:
            try:
                s.destroy()
            except TLSError:
                pass

    def write(self, data: Union[bytes, bytearray, memoryview]) -> None:
        if self._closing:
            raise RuntimeError("write after close")
        if not data:
            return
        if not self._sock.write(bytes(data)) and not self._writing_paused:
            self._writing_paused = True
            self._protocol.pause_writing()

    def writelines(self, list_of_data) -> None:
        self.write(b"".join(bytes(d) for d in list_of_data))

    def write_eof(self) -> None:
        self._closing = True
        self._sock.end()

    def can_write_eof(self) -> bool:
        return True

    def pause_reading(self) -> None:
        if self._sock._handle and not self._sock.closed:
            self._sock.pause()

    def resume_reading(self) -> None:
        if self._sock._handle and not self._sock.closed:
            self._sock.resume()

    def is_reading(self) -> bool:
        return not self._sock.is_paused

    def get_write_buffer_size(self) -> int:
        s = self._sock
        return s.buffer_size if s._handle else 0

    def set_write_buffer_limits(self, high: Optional[int] = None, low: Optional[int] = None) -> None:
        if high:
            self._sock.set_high_water_mark(high)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._protocol

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._protocol = protocol


async def open_connection(host: Optional[str] = None, port: Optional[int] = None, *,
                          limit: int = 2 ** 16, handshake_timeout: Optional[float] = None,
                          **options: Any) -> Tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """asyncio.open_connection over tlsplug.connect(port, host, **options)
    (every connect() option: ca, servername, alpn_protocols, session, path,
    socket, ...). Answers (StreamReader, StreamWriter) once the handshake
    completed; a failed handshake or connection raises TLSError (with
    Node's code). writer.get_extra_info('ssl_object') is the TLSSocket."""
    aloop = asyncio.get_running_loop()
    install(aloop)
    reader = asyncio.StreamReader(limit=limit, loop=aloop)
    protocol = asyncio.StreamReaderProtocol(reader, loop=aloop)
    ready: asyncio.Future = aloop.create_future()
    sock = connect(port, host, **options)
    transport = TLSTransport(sock, protocol, aloop)

    def on_secure() -> None:
        if ready.done():
            return
        sock.off("error", on_error)
        sock.off("close", on_close)
        transport._start()
        ready.set_result(None)

    def on_error(err: BaseException) -> None:
        if not ready.done():
            ready.set_exception(err)

    def on_close(had_error: bool) -> None:
        if not ready.done():
            ready.set_exception(TLSConnectionResetError(
                "closed before the handshake completed", "ECONNRESET"))

    sock.once("secureConnect", on_secure)
    sock.on("error", on_error)
    sock.on("close", on_close)
    try:
        try:
            await asyncio.wait_for(ready, handshake_timeout)
        except asyncio.TimeoutError:
            if ready.done() and not ready.cancelled():
                raise  # a timeout error of the connection itself
            raise TLSTimeoutError(
                f"the TLS handshake with {host}:{port} did not complete within "
                f"{handshake_timeout} s", "ERR_TLS_HANDSHAKE_TIMEOUT") from None
    except BaseException:
        if sock._handle and not sock.closed:
            sock.destroy()
        raise
    writer = asyncio.StreamWriter(transport, protocol, reader, aloop)
    return reader, writer


class AsyncServer:
    """What start_server answers: the tlsplug Server (`server`), its
    address(), close() and wait_closed(), and `async with` support."""

    def __init__(self, server: Server, aloop: asyncio.AbstractEventLoop) -> None:
        self.server = server
        self._aloop = aloop
        self._closed: asyncio.Future = aloop.create_future()
        self._tasks: "set[asyncio.Task]" = set()
        server.on("close", lambda: self._closed.done() or self._closed.set_result(None))

    def address(self):
        return self.server.address()

    @property
    def port(self) -> int:
        return self.server.address()["port"]

    def is_serving(self) -> bool:
        return self.server.listening

    def close(self) -> None:
        if self.server.listening:
            self.server.close()

    async def wait_closed(self) -> None:
        await self._closed

    async def serve_forever(self) -> None:
        await self._closed

    async def __aenter__(self) -> "AsyncServer":
        return self

    async def __aexit__(self, *exc) -> None:
        self.close()
        await self.wait_closed()


async def start_server(client_connected_cb: Callable[[asyncio.StreamReader, asyncio.StreamWriter],
                                                     Optional[Awaitable[None]]],
                       host: Optional[str] = None, port: int = 0, *, limit: int = 2 ** 16,
                       path: Optional[str] = None, backlog: int = 0,
                       **options: Any) -> AsyncServer:
    """asyncio.start_server over tlsplug.create_server(options): every
    secure connection calls client_connected_cb(reader, writer) (a
    coroutine becomes a task). Answers once listening."""
    aloop = asyncio.get_running_loop()
    install(aloop)
    server = create_server(options)
    srv = AsyncServer(server, aloop)

    def on_secure(sock: TLSSocket) -> None:
        reader = asyncio.StreamReader(limit=limit, loop=aloop)
        protocol = asyncio.StreamReaderProtocol(reader, loop=aloop)
        transport = TLSTransport(sock, protocol, aloop)
        transport._start()
        writer = asyncio.StreamWriter(transport, protocol, reader, aloop)
        res = client_connected_cb(reader, writer)
        if asyncio.iscoroutine(res):
            task = aloop.create_task(res)
            srv._tasks.add(task)
            task.add_done_callback(srv._tasks.discard)

    server.on("secureConnection", on_secure)
    listening: asyncio.Future = aloop.create_future()
    server.once("listening", lambda: listening.done() or listening.set_result(None))
    server.on("error", lambda e: listening.done() or listening.set_exception(e))
    server.listen(port, host, backlog, path=path)
    await listening
    return srv
