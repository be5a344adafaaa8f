"""tlsplug: Node.js's tls module for Python, on libtlsplug (GnuTLS).

    import tlsplug
    server = tlsplug.create_server({"key": key, "cert": cert},
                                   lambda sock: sock.on("data", sock.write))
    server.listen(8000, "127.0.0.1")
    sock = tlsplug.connect(8000, "127.0.0.1", ca=ca, servername="localhost",
                           on_secure_connect=lambda: sock.write(b"hello"))
    sock.on("data", lambda d: (print(d), sock.end(), server.close()))
    tlsplug.run(timeout=10)      # or: tlsplug.asyncio (open_connection, ...)

TLSSocket(transport=None, ...) is the sans-IO pump (feed/pull) for hosts
that own their IO.

Code written for Python's ssl module needs one line:
ctx = tlsplug.ssl.create_default_context() (tlsplug.ssl: SSLContext,
SSLSocket, SSLObject for asyncio, http.client, urllib, http.server, ...).
Errors are Python's own kinds and tlsplug.TLSError, with Node's .code
(tlsplug.errors).

Names are Node's in snake_case. libtlsplug.so.1 is found at
$TLSPLUG_LIBRARY, next to this package, or on the system path.
"""
from __future__ import annotations

from . import _abi
from ._lib import AbiVersionError, TLSError, WrongThreadError, lib, load_library
from .certificate import cert_from_json
from .errors import (InvalidArgTypeError, InvalidArgValueError, OutOfRangeError, TLSBrokenPipeError,
                     TLSCertVerificationError, TLSConnectionAbortedError,
                     TLSConnectionRefusedError, TLSConnectionResetError, TLSHostLookupError,
                     TLSOSError, TLSSSLError, TLSTimeoutError, TLSTypeError)
from .context import SecureContext, create_secure_context
from .deprecation import TLSDeprecationWarning
from .x509 import X509Certificate
from . import roots as _roots
from .events import EventEmitter
from .module import (SecurePair, check_server_identity, create_secure_pair, get_ciphers,
                     get_default, set_default)
from .loop import (Loop, Timer, clear_immediate, clear_interval, clear_timeout, get_loop, run,
                   set_immediate, set_interval, set_timeout)
from .server import Server, create_server
from .tlssocket import TLSSocket, alpn_wire, connect
from . import ssl  # noqa: E402  (tlsplug.ssl: ssl's seams over tlsplug)

__version__ = _abi.VERSION

DEFAULT_ECDH_CURVE: str = get_default("DEFAULT_ECDH_CURVE")
DEFAULT_MIN_VERSION: str = get_default("DEFAULT_MIN_VERSION")
DEFAULT_MAX_VERSION: str = get_default("DEFAULT_MAX_VERSION")
DEFAULT_CIPHERS: str = get_default("DEFAULT_CIPHERS")
CLIENT_RENEG_LIMIT: int = get_default("CLIENT_RENEG_LIMIT")
CLIENT_RENEG_WINDOW: int = get_default("CLIENT_RENEG_WINDOW")

__all__ = [
    "AbiVersionError", "TLSError", "WrongThreadError", "InvalidArgTypeError", "OutOfRangeError",
    "InvalidArgValueError", "TLSTypeError",
    "TLSOSError", "TLSConnectionRefusedError", "TLSConnectionResetError",
    "TLSConnectionAbortedError", "TLSBrokenPipeError", "TLSHostLookupError", "TLSTimeoutError",
    "TLSSSLError", "TLSCertVerificationError", "SecureContext", "create_secure_context",
    "EventEmitter",
    "TLSSocket", "SecurePair", "create_secure_pair", "check_server_identity", "get_ciphers",
    "get_default", "set_default", "alpn_wire", "cert_from_json", "load_library",
    "DEFAULT_ECDH_CURVE", "DEFAULT_MIN_VERSION", "DEFAULT_MAX_VERSION", "DEFAULT_CIPHERS",
    "CLIENT_RENEG_LIMIT", "CLIENT_RENEG_WINDOW",
    "connect", "create_server", "Server", "Loop", "Timer", "get_loop", "run", "set_timeout",
    "clear_timeout", "set_interval", "clear_interval", "set_immediate", "clear_immediate",
    "TLSDeprecationWarning", "X509Certificate", "root_certificates",
]

# tlsplug.root_certificates: Node's read-only tls.rootCertificates.
_roots.install(__name__)
