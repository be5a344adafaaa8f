#!/usr/bin/env python3
"""abi_exports: the shared library exports exactly the registry's functions.

  check_exports.py LIBRARY REGISTRY

Checks, with binutils (`nm -D --defined-only`, `readelf -d`):
  * every defined dynamic symbol is a tlsplug_* function (or the version
    script's own node, TLSPLUG_<n>), so no internal or third-party symbol
    leaks into the ABI;
  * every function in the registry is exported, as a function, under the
    version node TLSPLUG_<soname major>, and nothing beyond them;
  * the SONAME is libtlsplug.so.<soname major>.
"""
import re
import subprocess
import sys
import tomllib


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    lib, registry = sys.argv[1], sys.argv[2]
    with open(registry, "rb") as f:
        reg = tomllib.load(f)
    major = reg["library"]["soname_major"]
    prefix = reg["library"]["prefix"]
    node = f"TLSPLUG_{major}"
    wanted = {fn["name"] for fn in reg["function"]}
    problems = []

    nm = subprocess.run(["nm", "-D", "--defined-only", lib], check=True, capture_output=True, text=True)
    exported = {}
    for line in nm.stdout.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        kind, sym = parts[-2], parts[-1]
        name, _, version = sym.partition("@")
        version = version.lstrip("@")
        if kind == "A" and re.fullmatch(r"TLSPLUG_\d+", name):
            continue  # the version node itself
        if not name.startswith(prefix):
            problems.append(f"exports a symbol outside {prefix}*: {sym} ({kind})")
            continue
        exported[name] = (kind, version)

    for name in sorted(wanted - exported.keys()):
        problems.append(f"registry function not exported: {name}")
    for name in sorted(exported.keys() - wanted):
        problems.append(f"exported but not in the registry: {name}")
    for name in sorted(wanted & exported.keys()):
        kind, version = exported[name]
        if kind not in ("T", "i"):
            problems.append(f"{name} is exported as '{kind}', not as a function")
        if version != node:
            problems.append(f"{name} has version '{version or 'none'}', not {node}")

    dyn = subprocess.run(["readelf", "-d", lib], check=True, capture_output=True, text=True).stdout
    m = re.search(r"\(SONAME\)\s+Library soname: \[([^\]]+)\]", dyn)
    soname = m.group(1) if m else None
    if soname != f"libtlsplug.so.{major}":
        problems.append(f"SONAME is {soname!r}, want 'libtlsplug.so.{major}'")

    print(f"{len(exported)} tlsplug_* symbols exported, {len(wanted)} in the registry, SONAME {soname}")
    for p in problems:
        print("FAIL " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
