"""Node's crypto.X509Certificate for the certificates of a TLS connection
(tlsSocket.getX509Certificate(), getPeerX509Certificate()), or made from
PEM or DER. The fields come from the library's certificate object (the
one behind getPeerCertificate()); checkHost, checkEmail, checkIP,
checkIssued and verify are GnuTLS's checks through the C ABI."""
from __future__ import annotations

import base64
import ctypes
import re
from typing import Any, Dict, Optional, Union

from . import _abi
from ._lib import check, cname, get_str, lib
from .certificate import cert_from_json

__all__ = ["X509Certificate"]

_PEM = re.compile(rb"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", re.S)


def _der(data: Union[bytes, bytearray, str]) -> bytes:
    b = data.encode() if isinstance(data, str) else bytes(data)
    m = _PEM.search(b)
    return base64.b64decode(b"".join(m.group(1).split())) if m else b


def _dn(obj: Dict[str, Any]) -> str:
    lines = []
    for k, v in obj.items():
        for one in (v if isinstance(v, list) else [v]):
            lines.append(f"{k}={one}")
    return "\n".join(lines)


class X509Certificate:
    """Node's X509Certificate, names in snake_case: subject, issuer
    (Node's "K=V" lines), subject_alt_name, serial_number, valid_from,
    valid_to, fingerprint, fingerprint256, fingerprint512, raw (DER), ca,
    key_usage, public_key ({'asymmetric_key_type': 'rsa' | 'ec', ...}),
    issuer_certificate (the issuer the peer presented, else None), and
    check_host(), check_email(), check_ip(), check_issued(), verify(),
    to_legacy_object() (getPeerCertificate()'s dict), str() (PEM)."""

    def __init__(self, data: Union[bytes, bytearray, str]):
        self.raw = _der(data)
        self._obj = cert_from_json(get_str(lib.cert_to_json, self.raw, len(self.raw),
                                           what="X509Certificate", size=8192))
        self.issuer_certificate: Optional[X509Certificate] = None

    def _text(self, key: str) -> Optional[str]:
        return self._obj.get(key)

    subject = property(lambda self: _dn(self._obj.get("subject", {})))
    issuer = property(lambda self: _dn(self._obj.get("issuer", {})))
    subject_alt_name = property(lambda self: self._obj.get("subjectaltname"))
    serial_number = property(lambda self: self._obj.get("serialNumber"))
    valid_from = property(lambda self: self._obj.get("valid_from"))
    valid_to = property(lambda self: self._obj.get("valid_to"))
    fingerprint = property(lambda self: self._obj.get("fingerprint"))
    fingerprint256 = property(lambda self: self._obj.get("fingerprint256"))
    fingerprint512 = property(lambda self: self._obj.get("fingerprint512"))
    ca = property(lambda self: bool(self._obj.get("ca")))
    key_usage = property(lambda self: self._obj.get("ext_key_usage"))

    @property
    def public_key(self) -> Dict[str, Any]:
        o = self._obj
        if "modulus" in o:
            return {"asymmetric_key_type": "rsa", "modulus_length": o.get("bits"),
                    "public_exponent": int(o["exponent"], 16)}
        if "asn1Curve" in o:
            return {"asymmetric_key_type": "ec", "named_curve": o["asn1Curve"]}
        return {"asymmetric_key_type": None}

    def to_legacy_object(self) -> Dict[str, Any]:
        return dict(self._obj)

    def __str__(self) -> str:
        b64 = base64.b64encode(self.raw).decode()
        body = "\n".join(b64[i:i + 64] for i in range(0, len(b64), 64))
        return f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, X509Certificate) and other.raw == self.raw

    def __hash__(self) -> int:
        return hash(self.raw)

    def __repr__(self) -> str:
        return f"<X509Certificate {self.subject!r} serial {self.serial_number}>"

    def _check(self, kind: int, value: str) -> bool:
        m = ctypes.c_int(0)
        check(lib.x509_check(self.raw, len(self.raw), kind, cname(value, "name"), ctypes.byref(m)),
              None, "X509Certificate check")
        return bool(m.value)

    def check_host(self, name: str) -> Optional[str]:
        """The certificate's name that `name` matches (as Node answers it:
        the entry, e.g. the wildcard), or None."""
        if not self._check(_abi.X509_CHECK_HOST, name):
            return None
        dns = [e[4:] for e in (self.subject_alt_name or "").split(", ") if e.startswith("DNS:")]
        low = name.lower()
        for entry in dns:
            e = entry.lower()
            if e == low or (e.startswith("*.") and low.partition(".")[2] == e[2:]):
                return entry
        return self._obj.get("subject", {}).get("CN", name) if not dns else name

    def check_email(self, email: str) -> Optional[str]:
        return email if self._check(_abi.X509_CHECK_EMAIL, email) else None

    def check_ip(self, ip: str) -> Optional[str]:
        return ip if self._check(_abi.X509_CHECK_IP, ip) else None

    def check_issued(self, other: "X509Certificate") -> bool:
        """Whether `other` issued this certificate (by name, as Node)."""
        out = ctypes.c_int(0)
        check(lib.x509_check_issued(self.raw, len(self.raw), other.raw, len(other.raw),
                                    ctypes.byref(out)), None, "checkIssued")
        return bool(out.value)

    def verify(self, public_key: Union["X509Certificate", bytes, str]) -> bool:
        """Whether the signature verifies with `public_key`: another
        X509Certificate's key, or a public key (SubjectPublicKeyInfo) or
        certificate as PEM or DER."""
        key = public_key.raw if isinstance(public_key, X509Certificate) else (
            public_key.encode() if isinstance(public_key, str) else bytes(public_key))
        out = ctypes.c_int(0)
        check(lib.x509_verify(self.raw, len(self.raw), key, len(key), ctypes.byref(out)),
              None, "verify")
        return bool(out.value)
