"""Loading libtlsplug, errors, and the buffer helpers every wrapper shares.

The library is looked up, in order, at $TLSPLUG_LIBRARY, next to this
package (tlsplug/libtlsplug.so.1), then on the system path (ldconfig,
LD_LIBRARY_PATH). The ABI version is checked through the library's one
versioned entry point, tlsplug_get_api(), asked for the version the
generated layer was made for (_abi.load): a library that refuses it (an
older one), lacks it, or hands out a short table is refused with
AbiVersionError at import.
"""
from __future__ import annotations

import ctypes
import os
from typing import Optional

from . import _abi
from ._abi import AbiVersionError

__all__ = ["lib", "load_library", "TLSError", "WrongThreadError", "AbiVersionError"]


def load_library(expected: Optional[int] = None) -> _abi.Library:
    """Find and load libtlsplug (see the module docstring for the order)."""
    env = os.environ.get("TLSPLUG_LIBRARY")
    if env:
        return _abi.load(env, expected)
    local = os.path.join(os.path.dirname(os.path.abspath(__file__)), _abi.SONAME)
    if os.path.exists(local):
        return _abi.load(local, expected)
    try:
        return _abi.load(_abi.SONAME, expected)
    except OSError as e:
        raise ImportError(
            f"tlsplug: cannot load {_abi.SONAME} ({e}); install libtlsplug, or set "
            "TLSPLUG_LIBRARY to the library's path") from e


lib = load_library()


class TLSError(Exception):
    """An error from tlsplug, as Node's Error: `code` is Node's code
    (CERT_HAS_EXPIRED, ECONNRESET, ERR_TLS_CERT_ALTNAME_INVALID, ...) or the
    status name when Node has none; `status` the TLSPLUG_E_* number (0 for an
    error that did not come from a C call)."""

    def __init__(self, message: str, code: Optional[str] = None, status: int = 0):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status

    def __str__(self) -> str:
        return f"{self.message} [{self.code}]" if self.code else self.message


class WrongThreadError(TLSError, RuntimeError):
    """A call on a loop, or on a socket or server bound to a loop, from a
    thread other than the loop's: libtlsplug's rule is that a socket, server
    or loop is used by one thread at a time, and libuv is not thread-safe.
    code ERR_TLSPLUG_WRONG_THREAD. Nothing was done."""

    CODE = "ERR_TLSPLUG_WRONG_THREAD"

    def __init__(self, what: str):
        super().__init__(
            f"{what} belongs to the tlsplug loop of another thread: a loop and the "
            "sockets and servers on it are used only from the thread that owns the "
            "loop (libuv is not thread-safe)", self.CODE, 0)


class InvalidArgTypeError(TLSError, TypeError):
    """An argument or option of the wrong type, raised at the call as Node
    throws synchronously: code ERR_INVALID_ARG_TYPE."""

    def __init__(self, message: str):
        super().__init__(message, "ERR_INVALID_ARG_TYPE")


class InvalidArgValueError(TLSError, TypeError, ValueError):
    """An argument of the right type whose value Node refuses: code
    ERR_INVALID_ARG_VALUE. Node throws it as a TypeError; Python code
    expects a ValueError for a bad value: it is both."""

    def __init__(self, message: str, code: Optional[str] = "ERR_INVALID_ARG_VALUE", status: int = 0):
        super().__init__(message, code, status)


class TLSTypeError(TLSError, TypeError):
    """Another of Node's errors thrown as a TypeError at the call: a
    protocol version name that is none (ERR_TLS_INVALID_PROTOCOL_VERSION),
    minVersion/maxVersion beside secureProtocol
    (ERR_TLS_PROTOCOL_VERSION_CONFLICT), a context that is not a
    SecureContext (ERR_TLS_INVALID_CONTEXT)."""


class OutOfRangeError(TLSError, ValueError):
    """A number outside what Node accepts (Node's RangeError):
    code ERR_OUT_OF_RANGE."""

    def __init__(self, message: str):
        super().__init__(message, "ERR_OUT_OF_RANGE")


def _type_name(v) -> str:
    return "None" if v is None else f"type {type(v).__name__} ({v!r:.40})"


def want_str(name: str, v) -> None:
    """Node's validateString for an option: str (bytes accepted) or fail."""
    if not isinstance(v, (str, bytes, bytearray)):
        raise InvalidArgTypeError(f'The "{name}" property must be of type string. '
                                  f"Received {_type_name(v)}")


def want_callable(name: str, v) -> None:
    if not callable(v):
        raise InvalidArgTypeError(f'The "{name}" property must be of type function. '
                                  f"Received {_type_name(v)}")


def want_number(name: str, v, kind: str = "property") -> None:
    """A number as Node's typeof === 'number': int or float, never bool."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise InvalidArgTypeError(f'The "{name}" {kind} must be of type number. '
                                  f"Received {_type_name(v)}")


def want_int(name: str, v, lo: int, hi: int, kind: str = "property") -> int:
    """Node's validateInt32/validateInteger: a number, an integer, in lo..hi."""
    want_number(name, v, kind)
    if isinstance(v, float) and not v.is_integer():
        raise OutOfRangeError(f'The value of "{name}" is out of range. It must be an integer. '
                              f"Received {v!r}")
    if not lo <= v <= hi:
        raise OutOfRangeError(f'The value of "{name}" is out of range. It must be >= {lo} '
                              f"&& <= {hi}. Received {v!r}")
    return int(v)


def want_port(port, host) -> int:
    """connect()'s port and host, checked as Node's net.connect checks them:
    a port is a number (or a string of digits) in 0..65535, a host a string.
    A swapped call (connect("localhost", 8000)) so fails at the call rather
    than connecting somewhere else (Node would take "localhost" as a pipe
    path: tlsplug has path= for that)."""
    if host is not None and not isinstance(host, str):
        raise InvalidArgTypeError('The "hostname" argument must be of type string. '
                                  f"Received {_type_name(host)}")
    if isinstance(port, str) and port.strip().isdigit():
        port = int(port)
    if isinstance(port, bool) or not isinstance(port, int):
        raise InvalidArgTypeError('The "port" argument must be of type number. '
                                  f"Received {_type_name(port)}")
    if not 0 <= port < 65536:
        err = OutOfRangeError(f"Port should be >= 0 and < 65536. Received {port!r}.")
        err.code = "ERR_SOCKET_BAD_PORT"
        raise err
    return port


def status_name(status: int) -> str:
    return lib.status_name(status).decode()


def _error_text(handle: Optional[int], field: int) -> Optional[str]:
    if not handle:
        return None
    n = ctypes.c_size_t(0)
    buf = ctypes.create_string_buffer(512)
    rc = lib.error_get(handle, field, buf, len(buf), ctypes.byref(n))
    if rc == _abi.E_BUFSIZE:
        buf = ctypes.create_string_buffer(n.value + 1)
        rc = lib.error_get(handle, field, buf, len(buf), ctypes.byref(n))
    if rc != _abi.OK:
        return None
    return buf.value.decode("utf-8", "replace")


def error_from(handle: Optional[int], status: int, what: str = "",
               code: Optional[str] = None) -> TLSError:
    """The TLSError for a failed call on `handle` (message and code read from
    it; `code` given wins), of the class errors.make_error picks for it."""
    from .errors import make_error  # errors.py builds on this module
    msg = _error_text(handle, _abi.ERROR_MESSAGE)
    code = code or _error_text(handle, _abi.ERROR_CODE)
    if status == _abi.E_BADHANDLE:
        msg = f"{what or 'object'}: the handle is closed (freed) or invalid"
        code = code or "ERR_TLSPLUG_BADHANDLE"
    if not msg:
        msg = f"{what}: {status_name(status)}" if what else status_name(status)
    return with_openssl_parts(make_error(msg, code or status_name(status), status))


def with_openssl_parts(err: TLSError) -> TLSError:
    """Node's OpenSSL errors also carry the parts their code is made of:
    ERR_SSL_WRONG_SSL_VERSION is library 'SSL routines', reason 'wrong ssl
    version'. Answers err, with them when its code is such a code."""
    if err.code and err.code.startswith("ERR_SSL_"):
        err.library = "SSL routines"
        err.reason = err.code[len("ERR_SSL_"):].lower().replace("_", " ")
    return err


def check(status: int, handle: Optional[int] = None, what: str = "") -> int:
    """Raise the TLSError of a negative status; answer the status otherwise."""
    if status < 0:
        raise error_from(handle, status, what)
    return status


def get_bytes(fn, *args, handle=None, what="", size=256) -> Optional[bytes]:
    """Call a (…, buf, cap, len) function; None on E_UNAVAILABLE."""
    n = ctypes.c_size_t(0)
    buf = ctypes.create_string_buffer(size)
    rc = fn(*args, buf, size, ctypes.byref(n))
    if rc == _abi.E_BUFSIZE:
        size = n.value + 1
        buf = ctypes.create_string_buffer(size)
        rc = fn(*args, buf, size, ctypes.byref(n))
    if rc == _abi.E_UNAVAILABLE:
        return None
    check(rc, handle, what)
    return buf.raw[: n.value]


def get_str(fn, *args, handle=None, what="", size=256) -> Optional[str]:
    b = get_bytes(fn, *args, handle=handle, what=what, size=size)
    return None if b is None else b.decode("utf-8", "replace")


def cstr(s) -> Optional[bytes]:
    if s is None:
        return None
    return s.encode() if isinstance(s, str) else bytes(s)


def cname(s, what: str) -> Optional[bytes]:
    """cstr for a name the library compares with a certificate's (a host,
    a servername): C would cut one holding a NUL byte there and judge its
    prefix ("a.example\\0.evil" as "a.example"), so it is refused."""
    b = cstr(s)
    if b is not None and b"\0" in b:
        raise InvalidArgValueError(f'The "{what}" argument must not contain null bytes. '
                                   f"Received {s!r:.60}")
    return b
