"""Node's tls.rootCertificates: the PEMs a context without `ca` trusts
(for tlsplug, the system's trust store), as an immutable tuple that is
read once and is the same object on every access."""
from __future__ import annotations

import re
import sys
import types
from typing import Optional, Tuple

from ._lib import get_str, lib

_ROOTS: Optional[Tuple[str, ...]] = None
_PEM = re.compile(r"-----BEGIN CERTIFICATE-----\n.*?\n-----END CERTIFICATE-----", re.S)


def root_certificates() -> Tuple[str, ...]:
    """Each certificate as Node gives it: from '-----BEGIN CERTIFICATE-----\\n'
    to '\\n-----END CERTIFICATE-----'."""
    global _ROOTS
    if _ROOTS is None:
        text = get_str(lib.root_certificates, what="rootCertificates", size=1 << 18) or ""
        _ROOTS = tuple(_PEM.findall(text))
    return _ROOTS


class _Module(types.ModuleType):
    """The package module with Node's read-only tls.rootCertificates."""

    @property
    def root_certificates(self) -> Tuple[str, ...]:
        return root_certificates()

    def __setattr__(self, name, value):
        if name == "root_certificates":
            raise AttributeError("tlsplug.root_certificates is read-only, as Node's "
                                 "tls.rootCertificates")
        super().__setattr__(name, value)


def install(module_name: str) -> None:
    sys.modules[module_name].__class__ = _Module
