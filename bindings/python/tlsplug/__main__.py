"""`python -m tlsplug`: which libtlsplug this package loads, and its versions.

Prints the library's path (as the dynamic loader resolved it), the
library's version, its ABI version, the GnuTLS version it runs on and this
package's version. When the library cannot be loaded, importing the
package itself fails first (python -m imports it before running this), with
an ImportError that says what was looked for (see tlsplug._lib).
"""
from __future__ import annotations

import ctypes
import os
import sys


def _loaded(fragment: str) -> str:
    """The path of the first mapped shared object whose name holds `fragment`."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as f:
            for line in f:
                fields = line.split(None, 5)  # address perms offset dev inode [path]
                path = fields[5].strip() if len(fields) == 6 else ""
                if fragment in os.path.basename(path):
                    return path
    except OSError:
        pass
    return "(unknown: /proc/self/maps is not readable)"


def main() -> int:
    import tlsplug
    # What the package loaded ($TLSPLUG_LIBRARY, beside it, or a bare
    # SONAME the loader resolved: then the mapped file says where).
    path = getattr(tlsplug._lib.lib, "path", "")
    if not os.path.isabs(path):
        path = _loaded("libtlsplug.so")
    dll = ctypes.CDLL(path) if os.path.isabs(path) else None
    version = abi = "(unknown)"
    if dll is not None:
        dll.tlsplug_version_string.restype = ctypes.c_char_p
        dll.tlsplug_abi_version.restype = ctypes.c_int
        version = dll.tlsplug_version_string().decode()
        abi = str(dll.tlsplug_abi_version())
    gnutls_path = _loaded("libgnutls.so")
    gnutls = "(not loaded)"
    if os.path.isabs(gnutls_path):
        g = ctypes.CDLL(gnutls_path)
        g.gnutls_check_version.restype = ctypes.c_char_p
        g.gnutls_check_version.argtypes = [ctypes.c_char_p]
        gnutls = g.gnutls_check_version(None).decode()
    real = os.path.realpath(path) if os.path.isabs(path) else path
    print(f"library: {path}" + (f" -> {real}" if real != path else ""))
    print(f"version: {version}")
    print(f"abi: {abi}")
    print(f"gnutls: {gnutls} ({gnutls_path})")
    print(f"package: tlsplug {tlsplug.__version__} ({os.path.dirname(os.path.abspath(tlsplug.__file__))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
