"""SecureContext and tls.createSecureContext(options)."""
from __future__ import annotations

import ctypes
import os
from typing import Any, Callable, Iterable, Optional, Union

from . import _abi
from ._lib import (InvalidArgTypeError, TLSError, _type_name, check, cstr, lib, want_callable,
                   want_number, want_str)

__all__ = ["SecureContext", "create_secure_context"]

BytesLike = Union[bytes, bytearray, str]
Many = Union[BytesLike, Iterable[BytesLike], None]


def _many(v: Many):
    if v is None:
        return []
    if isinstance(v, (bytes, bytearray, str)):
        return [v]
    return list(v)


def _pem_items(name: str, v: Any, objects: bool = False) -> list:
    """Node's key/cert/ca check (it throws at the call): a falsy value (None,
    False, 0, empty) is not given; else a str or bytes-like, or a list of
    them (for key, also {"pem": ...} dicts in a list). Anything else raises
    ERR_INVALID_ARG_TYPE naming the first bad value."""
    if v is None or v is False or (type(v) is int and v == 0) or (
            isinstance(v, (str, bytes, bytearray, memoryview)) and len(v) == 0):
        return []
    items = list(v) if isinstance(v, (list, tuple)) else [v]
    for item in items:
        if not (isinstance(item, (str, bytes, bytearray, memoryview))
                or (objects and isinstance(v, (list, tuple)) and isinstance(item, dict))):
            raise InvalidArgTypeError(
                f'The "options.{name}" property must be of type string or an instance of '
                f"Buffer, TypedArray, or DataView. Received {_type_name(item)}")
    return items


def _pfx_items(v: Any) -> list:
    """Node's pfx: None is not given; anything that is not bytes (bytes,
    str, or {"buf": ..., "passphrase": ...} in a list) cannot be loaded,
    and Node says so as for undecodable bytes (ERR_CRYPTO_OPERATION_FAILED);
    a dict or a number is never passed over in silence."""
    if v is None:
        return []
    items = list(v) if isinstance(v, (list, tuple)) else [v]
    for item in items:
        if not (isinstance(item, (str, bytes, bytearray, memoryview))
                or (isinstance(v, (list, tuple)) and isinstance(item, dict)
                    and isinstance(item.get("buf"), (str, bytes, bytearray, memoryview)))):
            raise TLSError("pfx: Unable to load PFX certificate: not a buffer. "
                           f"Received {_type_name(item)}", "ERR_CRYPTO_OPERATION_FAILED",
                           _abi.E_CREDENTIALS)
    return items


class SecureContext:
    """A tlsplug_context. Made by create_secure_context(); frozen by the first
    socket that uses it. close() (or garbage collection) releases this
    reference; sockets keep the context alive."""

    def __init__(self) -> None:
        out = ctypes.c_void_p()
        check(lib.context_new(ctypes.byref(out)), None, "createSecureContext")
        self._handle: Optional[int] = out.value
        # Node's pskCallback: the sockets of this context call it (psk.py).
        self._psk_callback: Optional[Callable[..., Any]] = None

    @property
    def handle(self) -> int:
        if not self._handle:
            raise TLSError("SecureContext is closed", "ERR_TLSPLUG_CLOSED", _abi.E_BADHANDLE)
        return self._handle

    def _call(self, fn, *args, what=""):
        h = self.handle
        return check(fn(h, *args), h, what)

    def close(self) -> None:
        h, self._handle = self._handle, None
        if h:
            lib.context_free(h)  # E_BADHANDLE on a double free: ignored

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    def __enter__(self) -> "SecureContext":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _pem(v: BytesLike) -> bytes:
    return v.encode() if isinstance(v, str) else bytes(v)


# Python's path options (as ssl's cafile/certfile/keyfile) next to Node's
# PEM/DER ones: each names a file, or a list of files, whose contents are
# added to the Node option it stands beside.
FILE_OPTIONS = {"cafile": "ca", "certfile": "cert", "keyfile": "key", "crlfile": "crl",
                "pfxfile": "pfx"}


def _read_files(paths) -> list:
    out = []
    for path in [paths] if isinstance(paths, (str, bytes, os.PathLike)) else paths:
        with open(path, "rb") as f:
            out.append(f.read())
    return out


def create_secure_context(
    *,
    key: Many = None,
    cert: Many = None,
    ca: Many = None,
    passphrase: Optional[str] = None,
    pfx: Many = None,
    crl: Many = None,
    ciphers: Optional[str] = None,
    honor_cipher_order: Optional[bool] = None,
    ecdh_curve: Optional[str] = None,
    sigalgs: Optional[str] = None,
    dhparam: Optional[BytesLike] = None,
    min_version: Optional[str] = None,
    max_version: Optional[str] = None,
    secure_protocol: Optional[str] = None,
    secure_options: Optional[int] = None,
    session_id_context: Optional[str] = None,
    priority: Optional[str] = None,
    session_key: Optional[BytesLike] = None,
    private_key_engine: Optional[str] = None,
    private_key_identifier: Optional[str] = None,
    client_cert_engine: Optional[str] = None,
    psk_callback: Optional[Callable[..., Any]] = None,
    psk_identity_hint: Optional[str] = None,
    **files: Any,
) -> SecureContext:
    """Node's tls.createSecureContext(options), options in snake_case.

    key/cert/ca/crl: PEM bytes (or str), or a list of them; key may also be a
    list of {"pem": ..., "passphrase": ...} dicts, as Node's key objects; pfx:
    DER bytes or a list ({"buf": ..., "passphrase": ...} dicts accepted).
    session_key (a tlsplug extension): 32 to 64 secret bytes sealing this
    client context's sessions, so that processes sharing it resume each
    other's `session` blobs (by default a blob resumes only in the process
    that made it).
    psk_callback / psk_identity_hint: Node's pskCallback (a client's
    fn(hint) -> {"psk": bytes, "identity": str} or None, a server's
    fn(socket, identity) -> bytes or None) and pskIdentityHint; the sockets
    of this context call it.
    cafile/certfile/keyfile/crlfile/pfxfile: paths (or lists of paths)
    whose contents are added to ca/cert/key/crl/pfx (Node has only the
    contents; a missing file raises FileNotFoundError).
    Errors raise TLSError with Node's code."""
    unknown = set(files) - set(FILE_OPTIONS)
    if unknown:
        raise TypeError("unknown create_secure_context options: " + ", ".join(sorted(unknown)))
    given = {"ca": _pem_items("ca", ca), "cert": _pem_items("cert", cert),
             "key": _pem_items("key", key, objects=True), "crl": crl,
             "pfx": _pfx_items(pfx)}
    for name, target in FILE_OPTIONS.items():
        if files.get(name) is not None:
            given[target] = _many(given[target]) + _read_files(files[name])
    ca, cert, key, crl, pfx = (given[k] for k in ("ca", "cert", "key", "crl", "pfx"))
    # Node checks the types before anything is made (it throws at the
    # call); None is Node's undefined: the option is not given.
    for name, v in (("options.ciphers", ciphers), ("options.ecdhCurve", ecdh_curve),
                    ("options.sigalgs", sigalgs),
                    ("options.sessionIdContext", session_id_context),
                    ("options.pskIdentityHint", psk_identity_hint)):
        if v is not None:
            want_str(name, v)
    if passphrase is not None and (key is not None or pfx is not None):
        want_str("options.passphrase", passphrase)
    if secure_options is not None:
        want_number("secureOptions", secure_options, "argument")
    if psk_callback is not None:
        want_callable("options.pskCallback", psk_callback)
    for name, v in (("options.privateKeyEngine", private_key_engine),
                    ("options.privateKeyIdentifier", private_key_identifier),
                    ("options.clientCertEngine", client_cert_engine)):
        if v is not None:
            want_str(name, v)
    ctx = SecureContext()
    try:
        for item in _many(pfx):
            pw = passphrase
            if isinstance(item, dict):
                item, pw = item["buf"], item.get("passphrase", passphrase)
            b = _pem(item)
            ctx._call(lib.context_add_pfx, b, len(b), cstr(pw), what="pfx")
        for item in _many(cert):
            b = _pem(item)
            ctx._call(lib.context_add_cert, b, len(b), what="cert")
        for item in _many(key):
            pw = passphrase
            if isinstance(item, dict):
                item, pw = item["pem"], item.get("passphrase", passphrase)
            b = _pem(item)
            ctx._call(lib.context_add_key, b, len(b), cstr(pw), what="key")
        for item in _many(ca):
            b = _pem(item)
            ctx._call(lib.context_add_ca, b, len(b), what="ca")
        for item in _many(crl):
            b = _pem(item)
            ctx._call(lib.context_add_crl, b, len(b), what="crl")
        if secure_protocol is not None:
            ctx._call(lib.context_set_secure_protocol, cstr(secure_protocol), what="secureProtocol")
        if min_version is not None:
            ctx._call(lib.context_set_min_version, cstr(min_version), what="minVersion")
        if max_version is not None:
            ctx._call(lib.context_set_max_version, cstr(max_version), what="maxVersion")
        if ciphers is not None:
            ctx._call(lib.context_set_ciphers, cstr(ciphers), what="ciphers")
        if priority is not None:
            ctx._call(lib.context_set_priority, cstr(priority), what="priority")
        if honor_cipher_order is not None:
            ctx._call(lib.context_set_honor_cipher_order, int(bool(honor_cipher_order)))
        if ecdh_curve is not None:
            ctx._call(lib.context_set_ecdh_curve, cstr(ecdh_curve), what="ecdhCurve")
        if sigalgs is not None:
            ctx._call(lib.context_set_sigalgs, cstr(sigalgs), what="sigalgs")
        if dhparam is not None:
            b = _pem(dhparam)
            ctx._call(lib.context_set_dhparam, b, len(b), what="dhparam")
        if secure_options is not None:
            ctx._call(lib.context_set_secure_options, int(secure_options), what="secureOptions")
        if session_id_context is not None:
            ctx._call(lib.context_set_session_id_context, cstr(session_id_context))
        if psk_callback is not None:
            ctx._call(lib.context_set_psk, 1, cstr(psk_identity_hint), what="pskIdentityHint")
            ctx._psk_callback = psk_callback
        if session_key is not None:
            b = bytes(session_key)
            ctx._call(lib.context_set_session_key, b, len(b), what="sessionKey")
        # OpenSSL engines: GnuTLS has none, so these raise TLSError
        # ERR_CRYPTO_CUSTOM_ENGINE_NOT_SUPPORTED (ERR_INVALID_ARG_VALUE for
        # an identifier without an engine), never pass silently.
        if private_key_identifier is not None or private_key_engine is not None:
            ctx._call(lib.context_set_private_key_engine, cstr(private_key_engine),
                      cstr(private_key_identifier), what="privateKeyEngine")
        if client_cert_engine is not None:
            ctx._call(lib.context_set_client_cert_engine, cstr(client_cert_engine),
                      what="clientCertEngine")
    except BaseException:
        ctx.close()
        raise
    return ctx
