"""tlsplug's exceptions: Python's own kinds, each keeping Node's code.

Every error tlsplug raises (or hands to an 'error' listener) is a TLSError,
so `except tlsplug.TLSError` catches them all, as before; each is also the
exception Python code already catches for that failure:

    TLSError (Exception)                           .code .status .message
    ├── TLSOSError (OSError, .errno)               other errno codes (EHOSTUNREACH, ...)
    │   ├── TLSConnectionRefusedError              ECONNREFUSED
    │   │     (ConnectionRefusedError)
    │   ├── TLSConnectionResetError                ECONNRESET (also a peer gone
    │   │     (ConnectionResetError)               before the handshake completed)
    │   ├── TLSConnectionAbortedError              ECONNABORTED
    │   ├── TLSBrokenPipeError (BrokenPipeError)   EPIPE
    │   ├── TLSHostLookupError (socket.gaierror)   ENOTFOUND, EAI_AGAIN, EAI_FAIL
    │   └── TLSTimeoutError (TimeoutError)         ETIMEDOUT, ERR_TLS_HANDSHAKE_TIMEOUT
    ├── TLSSSLError (ssl.SSLError)                 ERR_SSL_*, a TLS failure (alerts, ...)
    │   └── TLSCertVerificationError               CERT_HAS_EXPIRED, DEPTH_ZERO_SELF_SIGNED_CERT,
    │         (ssl.SSLCertVerificationError)       ERR_TLS_CERT_ALTNAME_INVALID, ...
    │                                              + verify_code, verify_message
    ├── InvalidArgTypeError (TypeError)            ERR_INVALID_ARG_TYPE
    ├── InvalidArgValueError (TypeError, ValueError) ERR_INVALID_ARG_VALUE
    ├── TLSTypeError (TypeError)                   ERR_TLS_INVALID_PROTOCOL_VERSION,
    │                                              ERR_TLS_PROTOCOL_VERSION_CONFLICT,
    │                                              ERR_TLS_INVALID_CONTEXT
    ├── OutOfRangeError (ValueError)               ERR_OUT_OF_RANGE, ERR_SOCKET_BAD_PORT
    └── WrongThreadError (RuntimeError)            ERR_TLSPLUG_WRONG_THREAD

make_error(message, code, status) picks the class from Node's code (then
from the status); the binding makes every error through it.
"""
from __future__ import annotations

import errno as _errno
import socket
import ssl
from typing import Dict, Optional, Type

from . import _abi
from ._lib import (InvalidArgTypeError, InvalidArgValueError, OutOfRangeError, TLSError, TLSTypeError,
                   WrongThreadError)

__all__ = ["TLSError", "TLSOSError", "TLSConnectionRefusedError", "TLSConnectionResetError",
           "TLSConnectionAbortedError", "TLSBrokenPipeError", "TLSHostLookupError",
           "TLSTimeoutError", "TLSSSLError", "TLSCertVerificationError", "InvalidArgTypeError",
           "InvalidArgValueError", "TLSTypeError", "OutOfRangeError", "WrongThreadError",
           "make_error"]


class TLSOSError(TLSError, OSError):
    """A connection-level failure: an OSError whose errno is the one Node's
    code names (errno.ECONNREFUSED for ECONNREFUSED, ...)."""

    ERRNO: Optional[int] = None

    def __init__(self, message: str, code: Optional[str] = None, status: int = 0):
        num = self.ERRNO if self.ERRNO is not None else getattr(_errno, code or "", None)
        OSError.__init__(self, num, message)
        self.message, self.code, self.status = message, code, status


class TLSConnectionRefusedError(TLSOSError, ConnectionRefusedError):
    ERRNO = _errno.ECONNREFUSED


class TLSConnectionResetError(TLSOSError, ConnectionResetError):
    ERRNO = _errno.ECONNRESET


class TLSConnectionAbortedError(TLSOSError, ConnectionAbortedError):
    ERRNO = _errno.ECONNABORTED


class TLSBrokenPipeError(TLSOSError, BrokenPipeError):
    ERRNO = _errno.EPIPE


class TLSTimeoutError(TLSOSError, TimeoutError):
    ERRNO = _errno.ETIMEDOUT


class TLSHostLookupError(TLSOSError, socket.gaierror):
    """A name that does not resolve: a socket.gaierror, errno the EAI_*
    number getaddrinfo would give (EAI_NONAME for Node's ENOTFOUND)."""

    def __init__(self, message: str, code: Optional[str] = None, status: int = 0):
        self.ERRNO = {"EAI_AGAIN": socket.EAI_AGAIN,
                      "EAI_FAIL": socket.EAI_FAIL}.get(code or "", socket.EAI_NONAME)
        super().__init__(message, code, status)


class TLSSSLError(TLSError, ssl.SSLError):
    """A TLS failure: an ssl.SSLError. `reason` is Node's code without its
    ERR_SSL_ prefix (WRONG_VERSION_NUMBER, ...), as OpenSSL's reason."""

    def __init__(self, message: str, code: Optional[str] = None, status: int = 0):
        ssl.SSLError.__init__(self, ssl.SSL_ERROR_SSL, message)
        self.message, self.code, self.status = message, code, status
        self.library = "SSL"
        self.reason = (code or "").replace("ERR_SSL_", "", 1) or None


# OpenSSL's X509_V_ERR_* numbers for Node's verification codes (Node's codes
# are OpenSSL's names): what ssl.SSLCertVerificationError.verify_code holds.
VERIFY_CODES: Dict[str, int] = {
    "UNABLE_TO_GET_ISSUER_CERT": 2, "UNABLE_TO_GET_CRL": 3, "CERT_SIGNATURE_FAILURE": 7,
    "CRL_SIGNATURE_FAILURE": 8, "CERT_NOT_YET_VALID": 9, "CERT_HAS_EXPIRED": 10,
    "CRL_NOT_YET_VALID": 11, "CRL_HAS_EXPIRED": 12, "DEPTH_ZERO_SELF_SIGNED_CERT": 18,
    "SELF_SIGNED_CERT_IN_CHAIN": 19, "UNABLE_TO_GET_ISSUER_CERT_LOCALLY": 20,
    "UNABLE_TO_VERIFY_LEAF_SIGNATURE": 21, "CERT_CHAIN_TOO_LONG": 22, "CERT_REVOKED": 23,
    "INVALID_CA": 24, "PATH_LENGTH_EXCEEDED": 25, "INVALID_PURPOSE": 26,
    "CERT_UNTRUSTED": 27, "CERT_REJECTED": 28, "HOSTNAME_MISMATCH": 62,
    "ERR_TLS_CERT_ALTNAME_INVALID": 62,
}


class TLSCertVerificationError(TLSSSLError, ssl.SSLCertVerificationError):
    """The peer's certificate was refused: an ssl.SSLCertVerificationError
    (so also a ValueError, as ssl's). verify_code is OpenSSL's number for
    Node's code (18 for DEPTH_ZERO_SELF_SIGNED_CERT, 62 for a host name
    mismatch), verify_message Node's message."""

    def __init__(self, message: str, code: Optional[str] = None, status: int = 0):
        super().__init__(message, code, status)
        self.reason = "CERTIFICATE_VERIFY_FAILED"
        self.verify_code = VERIFY_CODES.get(code or "", 0)
        self.verify_message = message


_BY_CODE: Dict[str, Type[TLSError]] = {
    "ECONNREFUSED": TLSConnectionRefusedError, "ECONNRESET": TLSConnectionResetError,
    "ECONNABORTED": TLSConnectionAbortedError, "EPIPE": TLSBrokenPipeError,
    "ETIMEDOUT": TLSTimeoutError, "ERR_TLS_HANDSHAKE_TIMEOUT": TLSTimeoutError,
    "ENOTFOUND": TLSHostLookupError, "EAI_AGAIN": TLSHostLookupError,
    "EAI_FAIL": TLSHostLookupError, "EAI_NONAME": TLSHostLookupError,
    "ERR_INVALID_ARG_TYPE": TLSError, "ERR_OUT_OF_RANGE": TLSError,
    "ERR_INVALID_ARG_VALUE": InvalidArgValueError,
    "ERR_TLS_INVALID_PROTOCOL_VERSION": TLSTypeError, "ERR_TLS_PROTOCOL_VERSION_CONFLICT": TLSTypeError,
    "ERR_TLS_INVALID_CONTEXT": TLSTypeError,
}
# ERR_TLS_* codes that are a failure of the TLS exchange itself (the rest
# are Node's argument errors: plain TLSError).
_TLS_EXCHANGE = {"ERR_TLS_RENEGOTIATE", "ERR_TLS_RENEGOTIATION_DISABLED",
                 "ERR_TLS_SESSION_ATTACK", "ERR_TLS_DH_PARAM_SIZE", "ERR_TLS_SNI_CALLBACK"}


def error_class(code: Optional[str], status: int = 0) -> Type[TLSError]:
    """The class for Node's `code` (the status decides when the code does not)."""
    c = code or ""
    if c in _BY_CODE:
        return _BY_CODE[c]
    if c in VERIFY_CODES or status == _abi.E_VERIFY:
        return TLSCertVerificationError
    if c.startswith("ERR_SSL_") or c in _TLS_EXCHANGE:
        return TLSSSLError
    if c[:1] == "E" and c[1:].isupper() and isinstance(getattr(_errno, c, None), int):
        return TLSOSError
    if not c.startswith("ERR_") and status == _abi.E_TLS:
        return TLSSSLError
    return TLSError


def make_error(message: str, code: Optional[str] = None, status: int = 0) -> TLSError:
    """The exception for a failure with Node's `code` (see the module doc)."""
    return error_class(code, status)(message, code, status)
