"""The hand-written half of tlsplug's low layer: loading the library,
decoding event payloads and making the plain getters' calls.

The generated half (_abi.py) holds what varies with the registry: function
signatures, enums, the table's layout, each event's description, the plain
getters (GETTERS and the mixins whose methods call getter() here). This file
holds the code that does not, so linters and tests see it as ordinary code;
_abi re-exports load, Library and AbiVersionError. It imports _abi only
inside functions: _abi imports this module at its end.
"""
from __future__ import annotations

import ctypes
import json
import struct
import sys
from typing import Any, Optional, Tuple

__all__ = ["AbiVersionError", "Library", "load", "decode_payload", "getter"]


class AbiVersionError(ImportError):
    """The loaded libtlsplug is older than this binding was generated for."""


class Library:
    """A loaded libtlsplug: each registry function as a method-like attribute
    (the ctypes function, argtypes/restype set, __doc__ from the registry)."""

    def __init__(self, cdll: ctypes.CDLL, path: str) -> None:
        from . import _abi
        self._cdll = cdll
        self.path = path
        for name, (restype, argtypes, _names, doc) in _abi.FUNCTIONS.items():
            try:
                f = getattr(cdll, name)
            except AttributeError:
                # A symbol this binding knows but the library lacks: only an
                # older library can miss one, and the version check refuses it.
                continue
            f.restype = restype
            f.argtypes = argtypes
            try:
                f.__doc__ = doc
            except (AttributeError, TypeError):
                pass
            setattr(self, name[len("tlsplug_"):], f)


def _abi_version_of(cdll: ctypes.CDLL) -> Optional[int]:
    """tlsplug_abi_version(), which every libtlsplug has; None without it."""
    try:
        fn = cdll.tlsplug_abi_version
    except AttributeError:
        return None
    fn.restype = ctypes.c_int
    fn.argtypes = []
    return fn()


def load(path: str, expected: Optional[int] = None) -> Library:
    """Open the library at `path` (a file name or path, as ctypes.CDLL takes
    it), ask its tlsplug_get_api() for the table of ABI version `expected`
    (ABI_VERSION by default), the one entry point every host checks the ABI
    through, and return a Library. Raises OSError when it cannot be opened
    and AbiVersionError when it refuses the version (it is older), lacks
    tlsplug_get_api (older still) or hands out a table shorter than this
    layer's."""
    from . import _abi
    expected = _abi.ABI_VERSION if expected is None else expected
    cdll = ctypes.CDLL(path)
    advice = "install a newer libtlsplug or point TLSPLUG_LIBRARY at one"
    try:
        get_api = cdll.tlsplug_get_api
    except AttributeError:
        have = _abi_version_of(cdll)
        raise AbiVersionError(
            f"libtlsplug at {path!r} has no tlsplug_get_api"
            + (f" (its ABI version is {have})" if have is not None else " (is it libtlsplug?)")
            + f": older than ABI version {expected}, which this binding was generated for; {advice}")
    get_api.restype = ctypes.c_int
    get_api.argtypes = [ctypes.c_uint, ctypes.POINTER(ctypes.c_void_p)]
    table = ctypes.c_void_p()
    rc = get_api(expected, ctypes.byref(table))
    if rc != 0 or not table.value:
        have = _abi_version_of(cdll)
        raise AbiVersionError(
            f"libtlsplug at {path!r} refuses ABI version {expected} (tlsplug_get_api answered "
            f"{rc}): it implements version {have}, older than the version {expected} this "
            f"binding was generated for; {advice}")
    size = ctypes.c_size_t.from_address(table.value).value
    # The layout here is ABI_VERSION's; an older `expected` has a prefix of it.
    if expected == _abi.ABI_VERSION and size < ctypes.sizeof(_abi.ApiTable):
        raise AbiVersionError(
            f"libtlsplug at {path!r} hands out a function table of {size} bytes, shorter "
            f"than the {ctypes.sizeof(_abi.ApiTable)} bytes of ABI version {expected}: a broken library")
    return Library(cdll, path)


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def decode_payload(kind: str, data: bytes) -> Tuple[Any, ...]:
    """An event's payload as its listener's arguments, by the registry's
    payload kind (abi/tlsplug.toml documents the layouts). Ruby's
    Tlsplug::Runtime.decode_payload is the same function."""
    if kind == "none":
        return ()
    if kind == "bytes":
        return (data,)
    if kind == "string":
        return (_text(data),)
    if kind == "flag":
        return (data[:1] == b"\x01",)
    if kind == "u64":
        return (int.from_bytes(data[:8].ljust(8, b"\0"), sys.byteorder),)
    if kind == "session_record":
        n = data[0] if data else 0
        return (data[1:1 + n], data[1 + n:])
    if kind == "ocsp_request":
        (n,) = struct.unpack(">I", data[:4]) if len(data) >= 4 else (0,)
        return (data[4:4 + n], data[4 + n:])
    # A kind from a newer registry: the raw bytes, as the payload is.
    return (data,)


# A scalar getter's out-parameter type -> its ctypes type.
_SCALARS = {"int_out": ctypes.c_int, "unsigned_out": ctypes.c_uint, "size_out": ctypes.c_size_t}


def getter(obj: Any, name: str, function: str, result: str, out: str, cap: int) -> Any:
    """A plain getter of the registry (_abi.GETTERS), for a generated mixin's
    method or property `name`: obj._getter_call(name, fn, *args) calls
    fn(handle, *args) under obj's thread rule, or answers a value obj kept
    for `name` after its handle went away. Ruby's Tlsplug::Runtime.getter is
    the same function."""
    return obj._getter_call(name, _call_getter, function[len("tlsplug_"):], result, out, cap)


def _call_getter(handle: int, short: str, result: str, out: str, cap: int) -> Any:
    """The C call of a getter and its result, by the registry's result kind
    (abi/tlsplug.toml documents them): a scalar, or None on E_UNAVAILABLE for
    a buffer; any other failure raises TLSError."""
    from ._lib import check, get_bytes, lib
    fn = getattr(lib, short)
    if out in _SCALARS:
        v = _SCALARS[out](0)
        check(fn(handle, ctypes.byref(v)), handle)
        return bool(v.value) if result == "bool" else v.value
    data = get_bytes(fn, handle, handle=handle, size=cap)
    if data is None or result == "bytes":
        return data
    if result == "json":
        return json.loads(_text(data))
    if result == "certificate":
        from .certificate import cert_from_json
        return cert_from_json(_text(data))
    return _text(data)
