"""Node's pskCallback: GnuTLS asks for the key inside the handshake, so the
answer (tlsplug_socket_psk_answer) is given from inside the PSK event."""
from __future__ import annotations

from typing import Any, Callable, Optional

from ._lib import TLSError, check, cstr, lib


def _key(value: Any, what: str) -> bytes:
    if isinstance(value, str):
        value = value.encode()
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise TLSError(f'The "{what}" property must be of type Buffer, TypedArray or '
                       f"DataView. Received {type(value).__name__}", "ERR_INVALID_ARG_TYPE")
    return bytes(value)


def answer_client(handle: int, callback: Optional[Callable[..., Any]], hint: str) -> None:
    """A client's pskCallback(hint) -> {"psk": bytes, "identity": str} or
    None (no answer: the handshake fails)."""
    if callback is None:
        return
    ret = callback(hint or None)
    if ret is None:
        return
    if not isinstance(ret, dict):
        raise TLSError("The \"ret\" argument must be of type object", "ERR_INVALID_ARG_TYPE")
    identity = ret.get("identity")
    if not isinstance(identity, str):
        raise TLSError('The "ret.identity" property must be of type string',
                       "ERR_INVALID_ARG_TYPE")
    key = _key(ret.get("psk"), "ret.psk")
    check(lib.socket_psk_answer(handle, key, len(key), cstr(identity)), handle, "pskCallback")


def answer_server(handle: int, callback: Optional[Callable[..., Any]], sock: Any,
                  identity: str) -> None:
    """A server's pskCallback(socket, identity) -> bytes or None (the
    identity is refused)."""
    if callback is None:
        return
    ret = callback(sock, identity)
    if ret is None:
        return
    key = _key(ret, "ret")
    check(lib.socket_psk_answer(handle, key, len(key), None), handle, "pskCallback")
