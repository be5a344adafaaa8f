"""Node's runtime deprecations, as Python DeprecationWarnings that carry
Node's code."""
from __future__ import annotations

import ipaddress
import warnings

__all__ = ["TLSDeprecationWarning", "warn_ip_servername"]


class TLSDeprecationWarning(DeprecationWarning):
    """A Node deprecation: `code` is Node's (DEP0123, ...)."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


_warned = set()


def _is_ip(name) -> bool:
    try:
        ipaddress.ip_address(name.decode() if isinstance(name, (bytes, bytearray)) else name)
        return True
    except ValueError:
        return False


def warn_ip_servername(servername, stacklevel: int = 3) -> None:
    """DEP0123: an IP address as servername (RFC 6066 allows host names
    only; the name is used for the identity check but not sent). Once per
    process, as Node emits it."""
    if "DEP0123" in _warned or not _is_ip(servername):
        return
    _warned.add("DEP0123")
    warnings.warn(TLSDeprecationWarning(
        "Setting the TLS ServerName to an IP address is not permitted by RFC 6066. "
        "This will be ignored in a future version.", "DEP0123"), stacklevel=stacklevel)
