"""tlsplug: Node.js's tls module for Python, on libtlsplug (GnuTLS).

    import tlsplug
    ctx = tlsplug.create_secure_context(ca=open("ca.pem", "rb").read())
    sock = tlsplug.TLSSocket(socket.create_connection(("127.0.0.1", 8000)),
                             secure_context=ctx, servername="localhost")
    sock.on("data", print)
    sock.write(b"hello")
    sock.run_until(lambda: False, timeout=5)   # or the pump: feed()/pull()

Names are Node's in snake_case. libtlsplug.so.1 is found at
$TLSPLUG_LIBRARY, next to this package, or on the system path.
"""
from __future__ import annotations

from . import _abi
from ._lib import AbiVersionError, TLSError, lib, load_library
from .certificate import cert_from_json
from .context import SecureContext, create_secure_context
from .events import EventEmitter
from .module import (SecurePair, check_server_identity, create_secure_pair, get_ciphers,
                     get_default, set_default)
from .tlssocket import TLSSocket, alpn_wire

__version__ = _abi.VERSION

DEFAULT_ECDH_CURVE: str = get_default("DEFAULT_ECDH_CURVE")
DEFAULT_MIN_VERSION: str = get_default("DEFAULT_MIN_VERSION")
DEFAULT_MAX_VERSION: str = get_default("DEFAULT_MAX_VERSION")
DEFAULT_CIPHERS: str = get_default("DEFAULT_CIPHERS")
CLIENT_RENEG_LIMIT: int = get_default("CLIENT_RENEG_LIMIT")
CLIENT_RENEG_WINDOW: int = get_default("CLIENT_RENEG_WINDOW")

__all__ = [
    "AbiVersionError", "TLSError", "SecureContext", "create_secure_context", "EventEmitter",
    "TLSSocket", "SecurePair", "create_secure_pair", "check_server_identity", "get_ciphers",
    "get_default", "set_default", "alpn_wire", "cert_from_json", "load_library",
    "DEFAULT_ECDH_CURVE", "DEFAULT_MIN_VERSION", "DEFAULT_MAX_VERSION", "DEFAULT_CIPHERS",
    "CLIENT_RENEG_LIMIT", "CLIENT_RENEG_WINDOW",
]
