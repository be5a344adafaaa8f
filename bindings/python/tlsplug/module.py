"""Module-level functions and values of Node's tls: getCiphers,
checkServerIdentity, createSecurePair, the DEFAULT_* values."""
from __future__ import annotations

import ctypes
from typing import Any, Dict, List, Optional

from . import _abi
from ._lib import InvalidArgTypeError, TLSError, TLSTypeError, check, cname, cstr, get_str, lib, _type_name
from .context import SecureContext, create_secure_context
from .errors import make_error
from .events import EventEmitter
from .tlssocket import TLSSocket

__all__ = ["get_ciphers", "check_server_identity", "create_secure_pair", "SecurePair",
           "get_default", "set_default"]

_DEFAULTS = {
    "DEFAULT_ECDH_CURVE": _abi.Default.ECDH_CURVE,
    "DEFAULT_MIN_VERSION": _abi.Default.MIN_VERSION,
    "DEFAULT_MAX_VERSION": _abi.Default.MAX_VERSION,
    "DEFAULT_CIPHERS": _abi.Default.CIPHERS,
    "CLIENT_RENEG_LIMIT": _abi.Default.CLIENT_RENEG_LIMIT,
    "CLIENT_RENEG_WINDOW": _abi.Default.CLIENT_RENEG_WINDOW,
}
_NUMERIC = {"CLIENT_RENEG_LIMIT", "CLIENT_RENEG_WINDOW"}


def get_ciphers() -> List[str]:
    """Node's tls.getCiphers(): lowercase names, sorted."""
    s = get_str(lib.get_ciphers, size=8192)
    return s.split(":") if s else []


def get_default(name: str):
    """The current value of tls.<name> (DEFAULT_CIPHERS, CLIENT_RENEG_LIMIT, ...)."""
    v = get_str(lib.get_default, int(_DEFAULTS[name]), size=1024)
    return int(v) if name in _NUMERIC else v


def set_default(name: str, value) -> None:
    """tls.<name> = value, process-wide, for contexts made afterwards; the
    module attribute follows."""
    check(lib.set_default(int(_DEFAULTS[name]), cstr(str(value))), None, name)
    import tlsplug
    setattr(tlsplug, name, get_default(name))


def check_server_identity(hostname: str, cert: Dict[str, Any]) -> Optional[TLSError]:
    """Node's tls.checkServerIdentity(hostname, cert): None on a match, else
    a TLSError (code ERR_TLS_CERT_ALTNAME_INVALID) with `reason`, `host` and
    `cert`. `cert` is a certificate dict with `raw` (DER bytes): the names
    are read from the certificate itself. Unlike Node, which makes a string
    of any host, a host that is not a str raises InvalidArgTypeError."""
    if not isinstance(hostname, (str, bytes)):
        raise InvalidArgTypeError('The "hostname" argument must be of type string. '
                                  f"Received {_type_name(hostname)}")
    der = cert.get("raw") if isinstance(cert, dict) else None
    if not isinstance(der, (bytes, bytearray)):
        raise InvalidArgTypeError('The "cert" argument must be a certificate dict with '
                                  f"raw DER bytes. Received {type(cert).__name__}")
    der, host = bytes(der), cname(hostname, "hostname")
    n = ctypes.c_size_t(0)
    buf = ctypes.create_string_buffer(1024)
    rc = lib.check_server_identity(host, der, len(der), buf, len(buf), ctypes.byref(n))
    if rc == _abi.E_VERIFY and n.value >= len(buf):  # a longer reason: again, room for all of it
        buf = ctypes.create_string_buffer(n.value + 1)
        rc = lib.check_server_identity(host, der, len(der), buf, len(buf), ctypes.byref(n))
    if rc == _abi.OK:
        return None
    if rc == _abi.E_VERIFY:
        reason = buf.value.decode("utf-8", "replace")
        err = make_error(f"Hostname/IP does not match certificate's altnames: {reason}",
                         "ERR_TLS_CERT_ALTNAME_INVALID", rc)
        err.reason, err.host, err.cert = reason, hostname, cert
        return err
    check(rc, None, "checkServerIdentity")
    return None


class _Encrypted:
    """The SecurePair's encrypted side: ciphertext in (write) and out (read)."""

    def __init__(self, sock: TLSSocket) -> None:
        self._sock = sock

    def write(self, data: bytes) -> None:
        self._sock.feed(data)

    def read(self) -> bytes:
        return self._sock.pull()

    def end(self) -> None:
        self._sock.feed_eof()


class SecurePair(EventEmitter):
    """Node's deprecated SecurePair: `cleartext` is a TLSSocket (write,
    'data'), `encrypted` takes ciphertext with write() and gives it with
    read(); 'secure' fires when the handshake completes."""

    def __init__(self, context: Optional[SecureContext], is_server: bool,
                 request_cert: bool, reject_unauthorized: bool) -> None:
        super().__init__()
        if context is not None and not isinstance(context, SecureContext):
            raise TLSTypeError("context must be a SecureContext", "ERR_TLS_INVALID_CONTEXT")
        ctx = context if context is not None else create_secure_context()
        out = ctypes.c_void_p()
        check(lib.secure_pair_new(ctx.handle, int(bool(is_server)), int(bool(request_cert)),
                                  int(bool(reject_unauthorized)), ctypes.byref(out)),
              ctx.handle, "createSecurePair")
        if context is None:
            ctx.close()
        self.cleartext = TLSSocket(is_server=is_server, secure_context=_Borrowed(),
                                   _handle=out.value)
        self.encrypted = _Encrypted(self.cleartext)
        self.cleartext.on("secure", lambda: self.emit("secure"))
        self.cleartext.on("error", lambda e: self.emit("error", e))

    def destroy(self) -> None:
        self.cleartext.destroy()


class _Borrowed(SecureContext):
    """Stands for the context of a socket made elsewhere (never used)."""

    def __init__(self) -> None:  # no handle of its own
        self._handle = None


def create_secure_pair(context: Optional[SecureContext] = None, is_server: bool = False,
                       request_cert: bool = False,
                       reject_unauthorized: bool = False) -> SecurePair:
    """Node's tls.createSecurePair(context, isServer, requestCert, rejectUnauthorized)."""
    return SecurePair(context, is_server, request_cert, reject_unauthorized)
