"""tlsplug.ssl: Python's ssl module where the standard library plugs it in.

    import tlsplug.ssl
    ctx = tlsplug.ssl.create_default_context()      # was: ssl.create_default_context()
    urllib.request.urlopen(url, context=ctx)        # http.client, asyncio, socketserver ...

SSLContext is an ssl.SSLContext (asyncio's start_tls checks that) whose
every TLS-facing method is tlsplug's: its settings become a
tlsplug.SecureContext (Node's createSecureContext options) when a
connection is made; OpenSSL is never asked to do TLS. wrap_bio() gives an
SSLObject over two ssl.MemoryBIOs (what asyncio drives), a TLSSocket in
pump mode (feed/pull) underneath; wrap_socket() gives an SSLSocket, a
socket.socket that runs the same SSLObject over its own file descriptor,
blocking, with a timeout, or non-blocking (SSLWantReadError /
SSLWantWriteError).

Errors are tlsplug's (errors.py): a refused certificate is an
ssl.SSLCertVerificationError with Node's `.code`, verify_code and
verify_message; a TLS failure an ssl.SSLError. The want-errors, constants
and helper functions are ssl's own objects.

Differences from ssl (also in bindings/python/README.md): a context with
no CA loaded trusts the system store (Node's default) where ssl trusts
nothing; CERT_OPTIONAL on a server asks for a certificate and accepts a
client without one or with one that does not verify (Node's requestCert
with rejectUnauthorized false); sni_callback, post_handshake_auth,
get_channel_binding and session_stats are not supported (setting them
raises NotImplementedError); keylog_filename writes Node's 'keylog' lines.
"""
from __future__ import annotations

import os
import re
import socket as _socket
import ssl as _ssl
import weakref
from typing import Any, Dict, List, Optional, Tuple

from ssl import (  # noqa: F401  (ssl's own objects, re-exported)
    ALERT_DESCRIPTION_HANDSHAKE_FAILURE, CERT_NONE, CERT_OPTIONAL, CERT_REQUIRED,
    DER_cert_to_PEM_cert, HAS_ALPN, HAS_SNI, HAS_TLSv1_2, HAS_TLSv1_3, MemoryBIO,
    OP_ALL, OP_NO_COMPRESSION, OP_NO_RENEGOTIATION, OP_NO_SSLv2, OP_NO_SSLv3, OP_NO_TICKET,
    OP_NO_TLSv1, OP_NO_TLSv1_1, OP_NO_TLSv1_2, OP_NO_TLSv1_3, OP_CIPHER_SERVER_PREFERENCE,
    Options, PEM_cert_to_DER_cert, PROTOCOL_TLS, PROTOCOL_TLS_CLIENT, PROTOCOL_TLS_SERVER,
    Purpose, SSLCertVerificationError, SSLEOFError, SSLError, SSLSession, SSLSyscallError,
    SSLWantReadError, SSLWantWriteError, SSLZeroReturnError, CertificateError,
    TLSVersion, VERIFY_DEFAULT, VERIFY_X509_STRICT, VERIFY_X509_TRUSTED_FIRST, VerifyFlags,
    VerifyMode, cert_time_to_seconds, get_default_verify_paths)

from ._lib import TLSError
from .context import SecureContext, create_secure_context
from .errors import TLSSSLError, make_error
from .module import get_ciphers
from .tlssocket import TLSSocket

__all__ = ["SSLContext", "SSLObject", "SSLSocket", "create_default_context",
           "CERT_NONE", "CERT_OPTIONAL", "CERT_REQUIRED", "PROTOCOL_TLS_CLIENT",
           "PROTOCOL_TLS_SERVER", "TLSVersion", "Purpose", "MemoryBIO", "SSLError",
           "SSLCertVerificationError", "SSLWantReadError", "SSLWantWriteError",
           "SSLZeroReturnError", "SSLEOFError", "SSLSyscallError", "CertificateError"]

_VERSIONS = {TLSVersion.TLSv1: "TLSv1", TLSVersion.TLSv1_1: "TLSv1.1",
             TLSVersion.TLSv1_2: "TLSv1.2", TLSVersion.TLSv1_3: "TLSv1.3"}
_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----.+?-----END \1-----\r?\n?", re.S)
# Node's short attribute names -> the long names ssl's getpeercert() uses.
_LONG_NAMES = {
    "C": "countryName", "ST": "stateOrProvinceName", "L": "localityName",
    "O": "organizationName", "OU": "organizationalUnitName", "CN": "commonName",
    "emailAddress": "emailAddress", "DC": "domainComponent", "serialNumber": "serialNumber",
    "street": "streetAddress", "title": "title", "GN": "givenName", "SN": "surname",
    "initials": "initials", "pseudonym": "pseudonym", "UID": "userId",
    "postalCode": "postalCode", "name": "name", "dnQualifier": "dnQualifier",
    "businessCategory": "businessCategory", "description": "description",
}


def _not_supported(what: str) -> NotImplementedError:
    err = NotImplementedError(f"tlsplug.ssl: {what} is not supported (see "
                              "bindings/python/README.md)")
    err.code = "ERR_TLSPLUG_UNSUPPORTED"  # type: ignore[attr-defined]
    return err


def _setting(attr: str, kind: Any) -> property:
    """A context attribute kept as kind(value); a change drops the
    SecureContext made from the old settings."""
    def get(self) -> Any:
        return getattr(self, attr)

    def set(self, value: Any) -> None:
        setattr(self, attr, kind(value))
        self._changed()
    return property(get, set)


def _unsupported_setting(name: str, off: Any) -> property:
    """A context attribute that reads `off` and refuses to be turned on."""
    def get(self) -> Any:
        return off

    def set(self, value: Any) -> None:
        if value:
            raise _not_supported(name)
    return property(get, set, doc=f"{name}: not supported (reads {off!r})")


def _read(path) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _pem_blocks(data: bytes, kind: str) -> List[bytes]:
    """The PEM blocks of `kind` ("CERTIFICATE", or "PRIVATE KEY" for any key)."""
    out = []
    for m in _PEM_BLOCK.finditer(data):
        label = m.group(1).decode()
        if label == kind or (kind == "PRIVATE KEY" and label.endswith("PRIVATE KEY")):
            out.append(m.group(0))
    return out


def _der_certs(data: bytes) -> List[bytes]:
    """Concatenated DER certificates (ssl's cadata as bytes) one by one."""
    out, i = [], 0
    while i < len(data):
        if data[i] != 0x30 or i + 2 > len(data):
            raise SSLError("cadata: not a DER certificate")
        n, hdr = data[i + 1], 2
        if n & 0x80:
            k = n & 0x7F
            n, hdr = int.from_bytes(data[i + 2:i + 2 + k], "big"), 2 + k
        out.append(data[i:i + hdr + n])
        i += hdr + n
    return out


def _as_ssl_error(e: TLSError) -> BaseException:
    """A context setting the library refused, as ssl would raise it."""
    if isinstance(e, (SSLError, OSError)):
        return e
    return TLSSSLError(str(e.message), e.code, e.status)


class SSLContext(_ssl.SSLContext):
    """ssl.SSLContext over tlsplug: what ssl's context takes, turned into a
    tlsplug SecureContext (rebuilt after a change) and the per-socket
    options (servername, rejectUnauthorized, requestCert, ALPN)."""

    sslsocket_class: Any = None  # set below
    sslobject_class: Any = None

    def __new__(cls, protocol: Optional[int] = None, *args: Any, **kwargs: Any):
        # ssl's base holds an OpenSSL context that is never used for TLS.
        base = PROTOCOL_TLS_SERVER if protocol == PROTOCOL_TLS_SERVER else PROTOCOL_TLS_CLIENT
        return _ssl.SSLContext.__new__(cls, base)

    def __init__(self, protocol: Optional[int] = None, *args: Any, **kwargs: Any) -> None:
        if protocol is None:
            protocol = PROTOCOL_TLS
        if protocol not in (PROTOCOL_TLS, PROTOCOL_TLS_CLIENT, PROTOCOL_TLS_SERVER):
            raise ValueError(f"tlsplug.ssl: protocol {protocol!r} is not supported; use "
                             "PROTOCOL_TLS_CLIENT or PROTOCOL_TLS_SERVER")
        client = protocol == PROTOCOL_TLS_CLIENT
        self._tp_protocol = _ssl._SSLMethod(protocol)
        self._tp_check_hostname = client
        self._tp_verify_mode = CERT_REQUIRED if client else CERT_NONE
        self._tp_verify_flags = VerifyFlags(VERIFY_X509_TRUSTED_FIRST)
        self._tp_options = Options(OP_ALL | OP_NO_SSLv2 | OP_NO_SSLv3 | OP_NO_COMPRESSION)
        self._tp_min: TLSVersion = TLSVersion.MINIMUM_SUPPORTED
        self._tp_max: TLSVersion = TLSVersion.MAXIMUM_SUPPORTED
        self._tp_chains: List[Dict[str, Any]] = []  # {"cert": pem, "key": pem, "passphrase"}
        self._tp_ca: List[bytes] = []
        self._tp_default_ca = False
        self._tp_ciphers: Optional[str] = None
        self._tp_ecdh_curve: Optional[str] = None
        self._tp_dhparam: Optional[bytes] = None
        self._tp_alpn: Optional[List[str]] = None
        self._tp_secure: Optional[SecureContext] = None
        self._tp_keylog: Optional[str] = None

    # ---- settings (each change drops the SecureContext made from them)

    def _changed(self) -> None:
        self._tp_secure = None

    @property
    def protocol(self):
        return self._tp_protocol

    @property
    def check_hostname(self) -> bool:
        return self._tp_check_hostname

    @check_hostname.setter
    def check_hostname(self, value: bool) -> None:
        value = bool(value)
        if value and self._tp_verify_mode == CERT_NONE:
            self._tp_verify_mode = CERT_REQUIRED  # as ssl does
        self._tp_check_hostname = value

    @property
    def verify_mode(self) -> VerifyMode:
        return VerifyMode(self._tp_verify_mode)

    @verify_mode.setter
    def verify_mode(self, value: int) -> None:
        value = VerifyMode(value)
        if value == CERT_NONE and self._tp_check_hostname:
            raise ValueError("Cannot set verify_mode to CERT_NONE when check_hostname "
                             "is enabled.")
        self._tp_verify_mode = value

    # verify_flags are kept for reading back (GnuTLS verifies strictly
    # anyway); OP_NO_TLSv1_x in options bound the versions, as in ssl.
    verify_flags = _setting("_tp_verify_flags", VerifyFlags)
    options = _setting("_tp_options", Options)
    minimum_version = _setting("_tp_min", TLSVersion)
    maximum_version = _setting("_tp_max", TLSVersion)

    # Settings GnuTLS (or tlsplug) has no counterpart for: they read as
    # "off", and turning one on raises NotImplementedError.
    post_handshake_auth = _unsupported_setting("post_handshake_auth", None)
    sni_callback = _unsupported_setting("sni_callback", None)
    hostname_checks_common_name = _unsupported_setting("hostname_checks_common_name", False)

    @property
    def keylog_filename(self) -> Optional[str]:
        return self._tp_keylog

    @keylog_filename.setter
    def keylog_filename(self, path) -> None:
        """Append each connection's secrets, NSS key log lines (Node's
        'keylog' event), to `path` (for Wireshark); None stops."""
        if path is not None:
            with open(path, "a"):  # as ssl: a path that cannot be written fails here
                pass
        self._tp_keylog = path

    def load_cert_chain(self, certfile, keyfile=None, password=None) -> None:
        """ssl's: the PEM certificate chain in certfile, the key in keyfile
        (or in certfile); password a str/bytes or a callable answering one."""
        data = _read(certfile)
        certs = _pem_blocks(data, "CERTIFICATE")
        keys = _pem_blocks(_read(keyfile) if keyfile is not None else data, "PRIVATE KEY")
        if not certs or not keys:
            raise TLSSSLError(f"load_cert_chain: no {'certificate' if not certs else 'key'} "
                              f"found in {keyfile if certs else certfile}", "ERR_SSL_PEM_LIB")
        if callable(password):
            password = password()
        if isinstance(password, (bytes, bytearray)):
            password = bytes(password).decode()
        chain = {"cert": b"".join(certs), "key": keys[0], "passphrase": password}
        self._try(key=[{"pem": chain["key"], "passphrase": password}], cert=chain["cert"])
        self._tp_chains.append(chain)
        self._changed()

    def load_verify_locations(self, cafile=None, capath=None, cadata=None) -> None:
        """ssl's: trusted CAs from a PEM file, a directory of PEM files,
        or cadata (PEM str, or DER bytes)."""
        if cafile is None and capath is None and cadata is None:
            raise TypeError("cafile, capath and cadata cannot be all omitted")
        found: List[bytes] = []
        if cafile is not None:
            found += _pem_blocks(_read(cafile), "CERTIFICATE")
        if capath is not None:
            for name in sorted(os.listdir(capath)):
                p = os.path.join(capath, name)
                if os.path.isfile(p):
                    found += _pem_blocks(_read(p), "CERTIFICATE")
        if isinstance(cadata, str):
            found += _pem_blocks(cadata.encode(), "CERTIFICATE")
        elif cadata is not None:
            found += [DER_cert_to_PEM_cert(d).encode() for d in _der_certs(bytes(cadata))]
        if not found:
            raise TLSSSLError("load_verify_locations: no certificate found",
                              "ERR_SSL_NO_CERTIFICATE_OR_CRL_FOUND")
        self._try(ca=found)
        self._tp_ca += found
        self._changed()

    def load_default_certs(self, purpose=Purpose.SERVER_AUTH) -> None:
        """The system's trusted CAs (what GnuTLS calls the system trust)."""
        self._tp_default_ca = True
        self._changed()

    def set_default_verify_paths(self) -> None:
        self.load_default_certs()

    def set_alpn_protocols(self, alpn_protocols) -> None:
        protos = []
        for p in alpn_protocols:
            b = p.encode("ascii") if isinstance(p, str) else bytes(p)
            if not 0 < len(b) < 256:
                raise ValueError("ALPN protocols must be 1 to 255 in length")
            protos.append(b.decode("ascii"))
        self._tp_alpn = protos

    def set_npn_protocols(self, npn_protocols) -> None:
        raise _not_supported("NPN")

    def set_ciphers(self, ciphers: str) -> None:
        """OpenSSL cipher list syntax, as Node's `ciphers` option."""
        self._try(ciphers=ciphers)
        self._tp_ciphers = ciphers
        self._changed()

    def set_ecdh_curve(self, curve_name: str) -> None:
        self._try(ecdh_curve=curve_name)
        self._tp_ecdh_curve = curve_name
        self._changed()

    def load_dh_params(self, path) -> None:
        data = _read(path)
        self._tp_dhparam = data
        self._changed()

    def get_ciphers(self) -> List[Dict[str, Any]]:
        return [{"name": n.upper(), "protocol": _cipher_version(n), "strength_bits": _bits(n)}
                for n in get_ciphers()]

    def session_stats(self):
        raise _not_supported("session_stats")

    def cert_store_stats(self) -> Dict[str, int]:
        return {"x509_ca": len(self._tp_ca), "crl": 0, "x509": len(self._tp_ca)}

    def _try(self, **opts: Any) -> None:
        """Check settings at the call, as ssl does, by making a context of them."""
        try:
            create_secure_context(**opts).close()
        except TLSError as e:
            raise _as_ssl_error(e) from None

    def _versions(self) -> Tuple[Optional[str], Optional[str]]:
        lo = _VERSIONS.get(self._tp_min)
        hi = _VERSIONS.get(self._tp_max)
        order = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]
        banned = {"TLSv1": OP_NO_TLSv1, "TLSv1.1": OP_NO_TLSv1_1, "TLSv1.2": OP_NO_TLSv1_2,
                  "TLSv1.3": OP_NO_TLSv1_3}
        allowed = [v for v in order if not self._tp_options & banned[v]
                   and (lo is None or order.index(v) >= order.index(lo))
                   and (hi is None or order.index(v) <= order.index(hi))]
        if not allowed:
            raise TLSSSLError("no protocols available (options and versions exclude all)",
                              "ERR_SSL_NO_PROTOCOLS_AVAILABLE")
        return (allowed[0] if lo is not None or allowed[0] != "TLSv1" else None,
                allowed[-1] if hi is not None or allowed[-1] != "TLSv1.3" else None)

    def _secure_context(self) -> SecureContext:
        """The tlsplug context these settings make (kept until a change)."""
        if self._tp_secure is None:
            opts: Dict[str, Any] = {}
            if self._tp_chains:
                opts["cert"] = [c["cert"] for c in self._tp_chains]
                opts["key"] = [{"pem": c["key"], "passphrase": c["passphrase"]}
                               for c in self._tp_chains]
            if self._tp_ca:
                ca = list(self._tp_ca)
                if self._tp_default_ca:
                    ca += _system_ca()
                opts["ca"] = ca
            lo, hi = self._versions()
            if lo is not None:
                opts["min_version"] = lo
            if hi is not None:
                opts["max_version"] = hi
            if self._tp_ciphers is not None:
                opts["ciphers"] = self._tp_ciphers
            if self._tp_ecdh_curve is not None:
                opts["ecdh_curve"] = self._tp_ecdh_curve
            if self._tp_dhparam is not None:
                opts["dhparam"] = self._tp_dhparam
            if self._tp_options & OP_CIPHER_SERVER_PREFERENCE:
                opts["honor_cipher_order"] = True
            try:
                self._tp_secure = create_secure_context(**opts)
            except TLSError as e:
                raise _as_ssl_error(e) from None
        return self._tp_secure

    def _socket_options(self, server_side: bool, server_hostname: Optional[str],
                        session: Optional["_Session"]) -> Dict[str, Any]:
        """The TLSSocket options of one connection (Node's names)."""
        opts: Dict[str, Any] = {"allow_half_open": True}
        verify = self._tp_verify_mode != CERT_NONE
        if server_side:
            opts["request_cert"] = verify
            opts["reject_unauthorized"] = self._tp_verify_mode == CERT_REQUIRED
        else:
            if self._tp_check_hostname and not server_hostname:
                raise ValueError("check_hostname requires server_hostname")
            opts["reject_unauthorized"] = verify
            if server_hostname:
                opts["servername"] = server_hostname
            if verify and not self._tp_check_hostname:
                opts["check_server_identity"] = _no_identity_check
            if session is not None:
                opts["session"] = session.ticket
        if self._tp_alpn:
            opts["alpn_protocols"] = self._tp_alpn
        return opts

    # ---- connections

    def wrap_bio(self, incoming: MemoryBIO, outgoing: MemoryBIO, server_side: bool = False,
                 server_hostname: Optional[str] = None, session=None) -> "SSLObject":
        return SSLObject._create(incoming, outgoing, server_side, server_hostname, session, self)

    def wrap_socket(self, sock: _socket.socket, server_side: bool = False,
                    do_handshake_on_connect: bool = True, suppress_ragged_eofs: bool = True,
                    server_hostname: Optional[str] = None, session=None) -> "SSLSocket":
        return SSLSocket._create(sock, server_side, do_handshake_on_connect,
                                 suppress_ragged_eofs, server_hostname, self, session)


def _no_identity_check(hostname, cert):
    return None  # check_hostname False: the chain is verified, the name is not


_SYSTEM_CA: Optional[List[bytes]] = None


def _system_ca() -> List[bytes]:
    """The system CA bundle's certificates, for a context that trusts them
    besides its own CAs (tlsplug trusts the system only when given none)."""
    global _SYSTEM_CA
    if _SYSTEM_CA is None:
        paths = get_default_verify_paths()
        found: List[bytes] = []
        for f in (paths.cafile, paths.openssl_cafile):
            if f and os.path.isfile(f):
                found = _pem_blocks(_read(f), "CERTIFICATE")
                break
        _SYSTEM_CA = found
    return _SYSTEM_CA


def _cipher_version(name: str) -> str:
    return "TLSv1.3" if name.upper().startswith("TLS_") else "TLSv1.2"


def _bits(name: str) -> int:
    n = name.upper().replace("-", "_")
    if "CHACHA20" in n:
        return 256
    m = re.search(r"(?:AES|CAMELLIA|ARIA)_?(\d{3})", n)
    if m:
        return int(m.group(1))
    return 168 if "3DES" in n or "DES_CBC3" in n else 0


def _name_tuple(names: Dict[str, Any]) -> tuple:
    """Node's subject/issuer object -> ssl's tuple of RDN tuples."""
    out = []
    for key, value in (names or {}).items():
        long = _LONG_NAMES.get(key, key)
        for v in value if isinstance(value, list) else [value]:
            out.append(((long, v),))
    return tuple(out)


def _x509_version(der: bytes) -> int:
    """The version from the DER: [0] EXPLICIT INTEGER in TBSCertificate."""
    def header(i: int) -> Tuple[int, int]:  # (content offset, content length)
        n = der[i + 1]
        if n & 0x80:
            k = n & 0x7F
            return i + 2 + k, int.from_bytes(der[i + 2:i + 2 + k], "big")
        return i + 2, n
    tbs, _ = header(0)
    first, _ = header(tbs)
    if der[first] == 0xA0:
        inner, _ = header(first)
        vstart, vlen = header(inner)
        return int.from_bytes(der[vstart:vstart + vlen], "big") + 1
    return 1


def peercert_dict(cert: Dict[str, Any]) -> Dict[str, Any]:
    """Node's certificate object in the form of ssl's getpeercert()."""
    out: Dict[str, Any] = {
        "subject": _name_tuple(cert.get("subject")),
        "issuer": _name_tuple(cert.get("issuer")),
        "version": _x509_version(cert["raw"]),
        "serialNumber": cert.get("serialNumber", "").upper(),
        "notBefore": cert.get("valid_from"),
        "notAfter": cert.get("valid_to"),
    }
    san = cert.get("subjectaltname")
    if san:
        pairs = []
        for part in san.split(", "):
            kind, _, value = part.partition(":")
            pairs.append((kind, value))
        out["subjectAltName"] = tuple(pairs)
    access = cert.get("infoAccess") or {}
    if access.get("OCSP - URI"):
        out["OCSP"] = tuple(access["OCSP - URI"])
    if access.get("CA Issuers - URI"):
        out["caIssuers"] = tuple(access["CA Issuers - URI"])
    return out


class _Session:
    """ssl's SSLSession for a tlsplug session ticket (bytes, Node's
    getSession()); pass it back as wrap_socket/wrap_bio's session= to resume."""

    def __init__(self, ticket: bytes) -> None:
        self.ticket = ticket
        self.id = ticket[:32]
        self.has_ticket = True

    def __eq__(self, other) -> bool:
        return isinstance(other, _Session) and other.ticket == self.ticket

    def __hash__(self) -> int:
        return hash(self.ticket)


def _keylog_writer(path: str):
    def write(line: bytes) -> None:
        with open(path, "ab") as f:
            f.write(line if line.endswith(b"\n") else line + b"\n")
    return write


def _weak(method):
    """A listener calling `method` while its object lives."""
    ref = weakref.WeakMethod(method)

    def call(*args: Any) -> None:
        m = ref()
        if m is not None:
            m(*args)
    return call


class _Fixed:
    """What is the same for SSLObject and SSLSocket: no NPN, no
    compression (TLS 1.3 has none), no post-handshake authentication."""

    def selected_npn_protocol(self) -> None:
        return None

    def compression(self) -> None:
        return None

    def verify_client_post_handshake(self) -> None:
        raise _not_supported("post-handshake authentication")

    def get_channel_binding(self, cb_type: str = "tls-unique"):
        raise _not_supported("get_channel_binding")


class SSLObject(_Fixed):
    """ssl.SSLObject over two MemoryBIOs: ciphertext is taken from
    `incoming` and fed to a pump-mode TLSSocket, what it has to send is
    pulled into `outgoing`. Calls that cannot complete raise
    SSLWantReadError, as ssl's."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError(f"{type(self).__name__} does not have a public constructor. "
                        "Instances are returned by SSLContext.wrap_bio().")

    @classmethod
    def _create(cls, incoming: MemoryBIO, outgoing: MemoryBIO, server_side: bool,
                server_hostname: Optional[str], session, context: SSLContext) -> "SSLObject":
        self = cls.__new__(cls)
        opts = context._socket_options(server_side, server_hostname, session)
        self._incoming, self._outgoing = incoming, outgoing
        self._context = context
        self.server_side = bool(server_side)
        self.server_hostname = server_hostname if not server_side else None
        self._rbuf = bytearray()
        self._secure = self._ended = self._ragged = self._feeding_eof = False
        self._fed_eof = self._sent_end = False
        self._protocol: Optional[str] = None
        self._error: Optional[BaseException] = None
        tls = TLSSocket(is_server=server_side, secure_context=context._secure_context(), **opts)
        # The listeners hold this object weakly: when asyncio (or an
        # SSLSocket) drops it, the TLSSocket and its handle go with it.
        tls.on("data", self._rbuf.extend)
        tls.on("secureConnect" if not server_side else "secure", _weak(self._on_secure))
        tls.on("end", _weak(self._on_end))
        tls.on("error", _weak(self._on_error))
        if context._tp_keylog is not None:
            tls.on("keylog", _keylog_writer(context._tp_keylog))
        self._tls = tls
        return self

    # ---- the TLSSocket's events

    def _on_secure(self) -> None:
        self._secure = True
        # ssl's version() holds after the close; Node's getProtocol() is
        # null once the socket closed, so keep it from the handshake.
        self._protocol = self._tls.get_protocol()

    def _on_end(self) -> None:
        self._ended = True
        self._ragged = self._feeding_eof  # the transport ended, no close_notify

    def _on_error(self, err: BaseException) -> None:
        if self._error is None:
            self._error = err if isinstance(err, OSError) else TLSSSLError(
                str(getattr(err, "message", err)), getattr(err, "code", None),
                getattr(err, "status", 0))

    # ---- moving ciphertext

    def _live(self) -> bool:
        return bool(self._tls._handle) and not self._tls.closed

    def _exchange(self) -> None:
        """Feed what `incoming` holds (and its EOF), then pull for `outgoing`."""
        if not self._tls._started and self._live():
            self._tls.start()  # a client's first flight
        try:
            data = self._incoming.read()
            if data and self._live():
                self._tls.feed(data)
            if self._incoming.eof and not self._fed_eof and self._live():
                self._fed_eof = self._feeding_eof = True
                try:
                    self._tls.feed_eof()
                finally:
                    self._feeding_eof = False
        finally:
            self._flush()

    def _flush(self) -> None:
        if self._tls._handle and self._tls.pending_output():
            self._outgoing.write(self._tls.pull())

    def _raise_error(self) -> None:
        if self._error is not None:
            raise self._error

    # ---- ssl.SSLObject

    @property
    def context(self) -> SSLContext:
        return self._context

    @property
    def session(self) -> Optional[_Session]:
        """The session to resume (Node's getSession()), None before the
        handshake or when the server gave none."""
        if not self._secure or not self._tls._handle:
            return None
        ticket = self._tls.get_session()
        return _Session(ticket) if ticket else None

    @session.setter
    def session(self, value) -> None:
        raise _not_supported("setting session after wrap (pass session= to wrap_*)")

    @property
    def session_reused(self) -> bool:
        return bool(self._secure and self._tls.is_session_reused())

    def do_handshake(self) -> None:
        self._exchange()
        self._raise_error()
        if self._secure:
            return
        if self._fed_eof or not self._live():
            raise make_error("Client network socket disconnected before secure TLS "
                             "connection was established", "ECONNRESET")
        raise SSLWantReadError("The operation did not complete (read)")

    def read(self, len: int = 1024, buffer=None):
        """Cleartext: up to `len` bytes (into `buffer`: answers the count);
        b"" (0) once the peer sent close_notify."""
        want = len
        if not self._rbuf:
            self._exchange()
        have = self._rbuf.__len__()
        if have:
            n = min(want, have) if want > 0 else have
            if buffer is not None:
                view = memoryview(buffer).cast("B")
                n = min(n, view.nbytes)
                view[:n] = self._rbuf[:n]
                del self._rbuf[:n]
                return n
            data = bytes(self._rbuf[:n])
            del self._rbuf[:n]
            return data
        self._raise_error()
        if self._ended:
            if self._ragged:
                raise SSLEOFError(_ssl.SSL_ERROR_EOF, "EOF occurred in violation of protocol")
            return 0 if buffer is not None else b""
        if not self._secure:
            self.do_handshake()
        raise SSLWantReadError("The operation did not complete (read)")

    def write(self, data) -> int:
        self._raise_error()
        if not self._secure:
            self.do_handshake()
        if self._sent_end or not self._live():
            raise SSLZeroReturnError(6, "TLS/SSL connection has been closed (EOF)")
        b = bytes(data)
        self._tls.write(b)
        self._flush()
        return len(b)

    def pending(self) -> int:
        return len(self._rbuf)

    def unwrap(self) -> None:
        """Send close_notify; done once the peer's arrived (or it is gone)."""
        self._exchange()
        if not self._sent_end:
            self._sent_end = True
            if self._live():
                self._tls.end()
            self._flush()
        if self._ended or not self._live():
            return None
        self._raise_error()
        raise SSLWantReadError("The operation did not complete (read)")

    def getpeercert(self, binary_form: bool = False):
        if not self._secure:
            raise ValueError("handshake not done yet")
        cert = self._tls.get_peer_certificate()
        if not cert:
            return None
        if binary_form:
            return cert["raw"]
        if self._context._tp_verify_mode == CERT_NONE:
            return {}  # ssl's answer for a certificate that was not verified
        return peercert_dict(cert)

    def cipher(self) -> Optional[Tuple[str, str, int]]:
        if not self._secure:
            return None
        c = self._tls.get_cipher()
        return (c["name"], c["version"], _bits(c["name"])) if c else None

    def shared_ciphers(self) -> Optional[List[Tuple[str, str, int]]]:
        """The ciphers this end enables (GnuTLS keeps no list of the
        peer's offer)."""
        if not self._secure:
            return None
        return [(n.upper(), _cipher_version(n), _bits(n)) for n in get_ciphers()]

    def version(self) -> Optional[str]:
        return self._protocol if self._secure else None

    def selected_alpn_protocol(self) -> Optional[str]:
        if not self._secure:
            return None
        return self._tls.alpn_protocol or None

    def _free(self) -> None:
        self._tls.close()


class _RecordBoundaries:
    """Where the TLS records in the received byte stream end: a 5-byte
    header whose last two bytes are the body's length, then the body."""

    def __init__(self) -> None:
        self._header = bytearray()
        self._body_left = 0

    def left(self) -> int:
        """Bytes to read to finish the current header or body."""
        return self._body_left or 5 - len(self._header)

    def advance(self, data: bytes) -> None:
        i = 0
        while i < len(data):
            if self._body_left:
                step = min(self._body_left, len(data) - i)
                self._body_left -= step
            else:
                step = min(5 - len(self._header), len(data) - i)
                self._header += data[i:i + step]
                if len(self._header) == 5:
                    self._body_left = int.from_bytes(self._header[3:5], "big")
                    self._header.clear()
            i += step


class SSLSocket(_Fixed, _socket.socket):
    """ssl.SSLSocket over tlsplug: a socket.socket whose recv/send/...
    run an SSLObject over the socket's own descriptor. Blocking, with a
    timeout (TimeoutError "The read operation timed out"), or non-blocking
    (SSLWantReadError / SSLWantWriteError, as ssl's)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError(f"{type(self).__name__} does not have a public constructor. "
                        "Instances are returned by SSLContext.wrap_socket().")

    @classmethod
    def _create(cls, sock: _socket.socket, server_side: bool, do_handshake_on_connect: bool,
                suppress_ragged_eofs: bool, server_hostname: Optional[str],
                context: SSLContext, session) -> "SSLSocket":
        if sock.type != _socket.SOCK_STREAM:
            raise NotImplementedError("only stream sockets are supported")
        if server_side and server_hostname:
            raise ValueError("server_hostname can only be specified in client mode")
        if not server_side and context.check_hostname and not server_hostname:
            raise ValueError("check_hostname requires server_hostname")
        kwargs = dict(family=sock.family, type=sock.type, proto=sock.proto,
                      fileno=sock.fileno())
        self = cls.__new__(cls, **kwargs)
        _socket.socket.__init__(self, **kwargs)
        timeout = sock.gettimeout()
        sock.detach()
        self.settimeout(timeout)
        self._context = context
        self.server_side = bool(server_side)
        self.server_hostname = server_hostname
        self.do_handshake_on_connect = do_handshake_on_connect
        self.suppress_ragged_eofs = suppress_ragged_eofs
        self._session = session
        self._sslobj: Optional[SSLObject] = None
        self._unsent = bytearray()
        self._records = _RecordBoundaries()
        try:
            self.getpeername()
            connected = True
        except OSError:
            connected = False
        if connected:
            try:
                self._start(do_handshake_on_connect)
            except BaseException:
                self.close()
                raise
        return self

    def _start(self, handshake: bool) -> None:
        self._incoming, self._outgoing = MemoryBIO(), MemoryBIO()
        self._sslobj = self._context.wrap_bio(self._incoming, self._outgoing, self.server_side,
                                              None if self.server_side else self.server_hostname,
                                              self._session)
        if handshake:
            if self.gettimeout() == 0.0:
                raise ValueError("do_handshake_on_connect should not be specified "
                                 "for non-blocking sockets")
            self.do_handshake()

    @property
    def context(self) -> SSLContext:
        return self._context

    @property
    def session(self):
        return self._sslobj.session if self._sslobj else None

    @property
    def session_reused(self) -> Optional[bool]:
        return self._sslobj.session_reused if self._sslobj else None

    # ---- the IO under the SSLObject

    def _send_out(self, what: str) -> None:
        """Send the SSLObject's output (what a non-blocking send left too)."""
        self._unsent += self._outgoing.read()
        while self._unsent:
            try:
                n = _socket.socket.send(self, self._unsent)
            except BlockingIOError:
                raise SSLWantWriteError("The operation did not complete (write)") from None
            except _socket.timeout:
                raise TimeoutError(f"The {what} operation timed out") from None
            del self._unsent[:n]

    def _recv_in(self, what: str) -> None:
        if self._incoming.eof:
            raise SSLEOFError(_ssl.SSL_ERROR_EOF, "EOF occurred in violation of protocol")
        # Once close_notify is sent, read record by record (as OpenSSL
        # does): what the peer sends in clear after its close_notify stays
        # on the socket for the code that called unwrap().
        size = self._records.left() if self._sslobj and self._sslobj._sent_end else 65536
        try:
            data = _socket.socket.recv(self, size)
        except BlockingIOError:
            raise SSLWantReadError("The operation did not complete (read)") from None
        except _socket.timeout:
            raise TimeoutError(f"The {what} operation timed out") from None
        except ConnectionResetError:
            data = b""
        if data:
            self._records.advance(data)
            self._incoming.write(data)
        else:
            self._incoming.write_eof()

    def _io(self, what: str, op, *args):
        """Run an SSLObject call to completion: send its output, read more
        ciphertext while it wants some (bounded by the socket's timeout).

        Non-blocking, a call that cannot send what an earlier one left
        raises SSLWantWriteError before it takes anything; once a call has
        taken its data (a write accepted, a read answered) it is not
        failed for want of sending: the rest goes out with the next call,
        so nothing is written twice or lost."""
        self._send_out(what)
        while True:
            try:
                result = op(*args)
            except SSLWantReadError:
                self._send_out(what)
                self._recv_in(what)
                continue
            try:
                self._send_out(what)
            except SSLWantWriteError:
                pass
            return result

    def _check_connected(self) -> None:
        if self._sslobj is None:
            self.getpeername()  # raises OSError ENOTCONN when not connected
            raise ValueError("the TLS layer was shut down (unwrap/shutdown)")

    # ---- ssl.SSLSocket

    def do_handshake(self, block: bool = False) -> None:
        self._check_connected()
        self._io("handshake", self._sslobj.do_handshake)

    def read(self, len: int = 1024, buffer=None):
        self._check_connected()
        try:
            if buffer is not None:
                return self._io("read", self._sslobj.read, len, buffer)
            return self._io("read", self._sslobj.read, len)
        except SSLEOFError:
            if self.suppress_ragged_eofs:
                return 0 if buffer is not None else b""
            raise

    def write(self, data) -> int:
        self._check_connected()
        return self._io("write", self._sslobj.write, data)

    def recv(self, buflen: int = 1024, flags: int = 0) -> bytes:
        if self._sslobj is None:
            return super().recv(buflen, flags)
        if flags:
            raise ValueError("non-zero flags not allowed in calls to recv() on SSLSocket")
        return self.read(buflen)

    def recv_into(self, buffer, nbytes: Optional[int] = None, flags: int = 0) -> int:
        if self._sslobj is None:
            return super().recv_into(buffer, nbytes or 0, flags)
        if flags:
            raise ValueError("non-zero flags not allowed in calls to recv_into() on SSLSocket")
        if not nbytes:
            nbytes = memoryview(buffer).nbytes
        return self.read(nbytes, buffer)

    def send(self, data, flags: int = 0) -> int:
        if self._sslobj is None:
            return super().send(data, flags)
        if flags:
            raise ValueError("non-zero flags not allowed in calls to send() on SSLSocket")
        return self.write(data)

    def sendall(self, data, flags: int = 0) -> None:
        if self._sslobj is None:
            return super().sendall(data, flags)
        if flags:
            raise ValueError("non-zero flags not allowed in calls to sendall() on SSLSocket")
        self.write(data)

    def sendfile(self, file, offset: int = 0, count: Optional[int] = None) -> int:
        if self._sslobj is None:
            return super().sendfile(file, offset, count)
        return self._sendfile_use_send(file, offset, count)

    def recvfrom(self, *args: Any, **kwargs: Any):
        raise ValueError(f"recvfrom not allowed on instances of {type(self).__name__}")

    def recvfrom_into(self, *args: Any, **kwargs: Any):
        raise ValueError(f"recvfrom_into not allowed on instances of {type(self).__name__}")

    def sendto(self, *args: Any, **kwargs: Any):
        raise ValueError(f"sendto not allowed on instances of {type(self).__name__}")

    def recvmsg(self, *args: Any, **kwargs: Any):
        raise NotImplementedError(f"recvmsg not allowed on instances of {type(self).__name__}")

    def sendmsg(self, *args: Any, **kwargs: Any):
        raise NotImplementedError(f"sendmsg not allowed on instances of {type(self).__name__}")

    def pending(self) -> int:
        return self._sslobj.pending() if self._sslobj else 0

    def unwrap(self) -> "SSLSocket":
        """close_notify both ways; answers this socket, now in clear (as ssl)."""
        self._check_connected()
        self._io("shutdown", self._sslobj.unwrap)
        obj, self._sslobj = self._sslobj, None
        obj._free()
        return self

    def shutdown(self, how: int) -> None:
        obj, self._sslobj = self._sslobj, None  # as ssl: no close_notify
        if obj is not None:
            obj._free()
        super().shutdown(how)

    def _real_close(self) -> None:
        obj, self._sslobj = self._sslobj, None
        if obj is not None:
            obj._free()
        super()._real_close()

    def dup(self):
        raise NotImplementedError(f"Can't dup() {type(self).__name__} instances")

    def connect(self, addr) -> None:
        self._connect(addr, False)

    def connect_ex(self, addr) -> int:
        return self._connect(addr, True)

    def _connect(self, addr, connect_ex: bool):
        if self.server_side:
            raise ValueError("can't connect in server-side mode")
        if self._sslobj is not None:
            raise ValueError("attempt to connect already-connected SSLSocket!")
        if connect_ex:
            rc = super().connect_ex(addr)
            if rc:
                return rc
        else:
            super().connect(addr)
        self._start(self.do_handshake_on_connect)
        return 0

    def accept(self):
        """A connection, wrapped server-side (handshake done unless
        do_handshake_on_connect is false)."""
        newsock, addr = super().accept()
        try:
            return self._context.wrap_socket(
                newsock, server_side=self.server_side,
                do_handshake_on_connect=self.do_handshake_on_connect,
                suppress_ragged_eofs=self.suppress_ragged_eofs), addr
        except BaseException:
            newsock.close()
            raise

    def _sslobj_or_raise(self) -> SSLObject:
        self._check_connected()
        return self._sslobj  # type: ignore[return-value]

    def getpeercert(self, binary_form: bool = False):
        return self._sslobj_or_raise().getpeercert(binary_form)

    def cipher(self):
        return self._sslobj.cipher() if self._sslobj else None

    def shared_ciphers(self):
        return self._sslobj.shared_ciphers() if self._sslobj else None

    def version(self) -> Optional[str]:
        return self._sslobj.version() if self._sslobj else None

    def selected_alpn_protocol(self) -> Optional[str]:
        return self._sslobj.selected_alpn_protocol() if self._sslobj else None


SSLContext.sslsocket_class = SSLSocket
SSLContext.sslobject_class = SSLObject


def create_default_context(purpose=Purpose.SERVER_AUTH, *, cafile=None, capath=None,
                           cadata=None) -> SSLContext:
    """ssl.create_default_context over tlsplug: a client context that
    verifies the server's chain and name (or, for Purpose.CLIENT_AUTH, a
    server context), trusting cafile/capath/cadata or else the system."""
    if not isinstance(purpose, _ssl._ASN1Object):
        raise TypeError(purpose)
    if purpose == Purpose.SERVER_AUTH:
        ctx = SSLContext(PROTOCOL_TLS_CLIENT)
    else:
        ctx = SSLContext(PROTOCOL_TLS_SERVER)
    if cafile or capath or cadata:
        ctx.load_verify_locations(cafile, capath, cadata)
    elif ctx.verify_mode != CERT_NONE:
        ctx.load_default_certs(purpose)
    return ctx
