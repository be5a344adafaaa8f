#!/usr/bin/env python3
"""abi_baseline: compare the built library's ABI with the stored baseline.

  abi_baseline.py --baseline FILE --headers DIR [--abidw P] [--abidiff P] LIBRARY
  abi_baseline.py --refresh ...   (re)write FILE from LIBRARY, on purpose

Both sides are read through the public headers only (--headers-dir with
--drop-private-types): struct tlsplug_context and friends are opaque in
abi/tlsplug.h, so their private layout in src/ is not ABI and must not show.

Policy (README.md), on abidiff's exit bits:
  1, 2  the tool failed                                   -> FAIL
  8     incompatible: an exported function was removed   -> FAIL
  4     changed: print the report; then
          a changed function (signature or a public type
          it uses) or a changed SONAME                     -> FAIL
          only added functions (the ABI was extended)      -> pass
A change abidiff does not call incompatible (bit 4 alone) still breaks
callers when an existing function changed, so that fails too. Added
functions pass, so the registry can grow without touching the baseline;
refresh it deliberately when a release fixes the ABI.

The one change to an existing function that passes: struct tlsplug_api (the
table of tlsplug_get_api) grown by members inserted at or after its old end,
and nothing else about it changed. That is how the table is extended
(docs/ABI.md, "Loading as a plugin"): an older host reads only its prefix.
A member moved, removed or retyped fails. (An abidiff suppression with
has_data_member_inserted_at = end is not used: it hides reorderings too.)
"""
import argparse
import os
import re
import subprocess
import sys

FLAGS = ["--no-corpus-path", "--no-show-locs", "--no-comp-dir-path", "--drop-private-types"]


def has_debug_info(lib):
    out = subprocess.run(["readelf", "-S", "-W", lib], capture_output=True, text=True).stdout
    return ".debug_info" in out


def refresh(args):
    os.makedirs(os.path.dirname(args.baseline), exist_ok=True)
    if not has_debug_info(args.library):
        sys.exit("abi_baseline: the library has no debug info; build with "
                 "CMAKE_BUILD_TYPE=RelWithDebInfo (or Debug) to make a baseline")
    cmd = [args.abidw] + FLAGS + ["--headers-dir", args.headers, "--out-file", args.baseline, args.library]
    subprocess.run(cmd, check=True)
    # Translation units are named by absolute path; make them relative to the
    # source tree, so the file does not depend on where it was checked out.
    root = os.path.dirname(os.path.abspath(args.headers)) + os.sep
    with open(args.baseline, encoding="utf-8") as f:
        text = f.read()
    with open(args.baseline, "w", encoding="utf-8") as f:
        f.write(text.replace(f"path='{root}", "path='"))
    print(f"wrote {args.baseline}")
    return 0


def changes(report, what):
    """(removed, changed, added) from abidiff's '<what> changes summary' line."""
    m = re.search(what + r" changes summary: (\d+) Removed, (\d+) Changed[^,]*, (\d+) Added", report)
    return tuple(int(g) for g in m.groups()) if m else (0, 0, 0)


TABLE_FUNCTION = "tlsplug_get_api"
# Lines of abidiff's report on tlsplug_get_api that only walk down to the
# table's type, or say it grew.
TABLE_WALK = [
    r"\[C\] 'function int tlsplug_get_api\(.*has some indirect sub-type changes:",
    r"parameter \d+ of type '.*tlsplug_api\*\*' has sub-type changes:",
    r"in pointed to type '.*tlsplug_api\*?':",
    r"in unqualified underlying type 'typedef tlsplug_api'.*:",
    r"underlying type 'struct tlsplug_api'.* changed:",
    r"\d+ data member insertions?:",
]


def table_only_grew(report):
    """True when abidiff's report on tlsplug_get_api says only that struct
    tlsplug_api gained members at or after its old end."""
    lines = report.splitlines()
    start = next((i for i, l in enumerate(lines)
                  if l.strip().startswith("[C] 'function") and f" {TABLE_FUNCTION}(" in l), None)
    if start is None:
        return False
    old_bits = None
    inserted = 0
    for line in lines[start:]:
        t = line.strip()
        if not t:
            break
        if t.startswith("[C] ") and f" {TABLE_FUNCTION}(" not in t:
            break  # the next changed function's report
        m = re.fullmatch(r"type size changed from (\d+) to (\d+) \(in bits\)", t)
        if m:
            old_bits = int(m.group(1))
            if int(m.group(2)) <= old_bits:
                return False
            continue
        m = re.fullmatch(r"'.*', at offset (\d+) \(in bits\)( at .*)?", t)
        if m:
            if old_bits is None or int(m.group(1)) < old_bits:
                return False
            inserted += 1
            continue
        if not any(re.fullmatch(w, t) for w in TABLE_WALK):
            return False  # anything else: a member changed, moved or went away
    return inserted > 0


def check(args):
    if not os.path.exists(args.baseline):
        print(f"FAIL no baseline at {args.baseline}; make it once with: "
              "cmake --build <build> --target abi-baseline")
        return 1
    if not has_debug_info(args.library):
        print("NOTE the library has no debug info: only symbols are compared, not types")
    cmd = [args.abidiff, "--hd2", args.headers, "--drop-private-types", args.baseline, args.library]
    r = subprocess.run(cmd, capture_output=True, text=True)
    report = r.stdout + r.stderr
    print(" ".join(cmd))
    print(report.rstrip() or "(no ABI difference)")
    if r.returncode & 3:
        print(f"FAIL abidiff failed (exit {r.returncode})")
        return 1
    if r.returncode & 8:
        print("FAIL incompatible ABI change (a function was removed): that needs a new SONAME")
        return 1
    if r.returncode & 4:
        fr, fc, fa = changes(report, "Functions")
        vr, vc, va = changes(report, "Variables")
        grown = fc == 1 and table_only_grew(report)
        if grown:
            print(f"ok   struct tlsplug_api only grew at its end ({TABLE_FUNCTION}): allowed")
            fc = 0
        if fr or fc or vr or vc or "SONAME changed" in report:
            print("FAIL existing functions changed: callers built against the baseline would break. "
                  "Restore them, or (with a SONAME bump) refresh the baseline: see tests/abi/README.md")
            return 1
        print(f"ok   ABI extended by {fa} function(s), {va} variable(s); the baseline may be refreshed "
              "when this ABI is released (tests/abi/README.md)")
        return 0
    print("ok   ABI unchanged")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", required=True)
    ap.add_argument("--headers", required=True, help="the public header directory (abi/)")
    ap.add_argument("--abidw", default="abidw")
    ap.add_argument("--abidiff", default="abidiff")
    ap.add_argument("--refresh", action="store_true", help="write the baseline from the library")
    ap.add_argument("library")
    args = ap.parse_args()
    return refresh(args) if args.refresh else check(args)


if __name__ == "__main__":
    sys.exit(main())
