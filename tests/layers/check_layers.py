#!/usr/bin/env python3
"""The library's layers run one way (src/CMakeLists.txt): each folder may
include only headers of its own folder and the folders below it, and only
the loop includes <uv.h>. The build enforces this too (each layer's include
path holds only the layers below it); this check says which line breaks
it, and also catches a header added to a lower folder's include path by
mistake.

The loop drives sockets through the engine's driver API (src/engine/driver.h)
alone: the socket's fields are the engine's. A file in src/loop/ (or
loop_off/) fails the check when, comments and string literals aside,
  - it dereferences a socket: `NAME->field` or `(*NAME).field`, where NAME
    is any name the loop's files declare as `struct tlsplug_socket *NAME`
    (parameters, locals and struct members alike, so `s->closed` and
    `c->sock->closed` both count). The names are read from the
    declarations rather than listed here, so a new `struct tlsplug_socket
    *sock2` is covered too; a name used for a socket anywhere in the loop
    must not be used for another struct's pointer elsewhere in it (rename
    that one), which keeps the rule a plain text match;
  - it calls a function socket.h declares, other than tp_socket_enter /
    tp_socket_leave (the pair every entry point on a handle opens and
    closes with): tp_pump_feed, tp_emit, tp_socket_set_transport, ... have
    their driver.h counterparts, which say what a driver may do.
usage: check_layers.py SRC_DIR"""
import os
import re
import sys

ORDER = ["base", "policy", "context", "engine", "server", "loop", "loop_off", "library"]
# The layers each folder builds on (loop_off stands in for loop).
BELOW = {name: ORDER[:i] for i, name in enumerate(ORDER)}
BELOW["loop_off"] = ORDER[:5]
BELOW["library"] = ORDER[:5]
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


DRIVERS = ["loop", "loop_off"]
SOCKET_DECL = re.compile(r"\bstruct\s+tlsplug_socket\s*\*\s*(?:const\s+)?([A-Za-z_]\w*)")
# A function socket.h declares (or defines inline): a line that starts with a
# type and names tp_... before its parenthesis.
ENGINE_FN = re.compile(r"^[A-Za-z_][\w \t\*]*?\b(tp_\w+)\s*\(", re.M)
ENTRY_POINTS = {"tp_socket_enter", "tp_socket_leave"}


def code_only(text):
    """The text with comments and string/char literals blanked (newlines
    kept, so line numbers hold)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + " " * (j - i - 2) + c if j - i >= 2 else c)
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def driver_only(src):
    """Field accesses on a socket, and engine calls other than the driver
    API, in the driver layers (see the docstring)."""
    sources = {}
    for layer in DRIVERS:
        folder = os.path.join(src, layer)
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            if name.endswith((".c", ".h")):
                with open(os.path.join(folder, name), encoding="utf-8") as f:
                    sources[f"src/{layer}/{name}"] = code_only(f.read())
    names = set()
    for text in sources.values():
        names.update(SOCKET_DECL.findall(text))
    with open(os.path.join(src, "engine", "socket.h"), encoding="utf-8") as f:
        engine_fns = set(ENGINE_FN.findall(code_only(f.read()))) - ENTRY_POINTS
    deref = re.compile(r"(?:\b(%s)\s*->\s*([A-Za-z_]\w*))|(?:\(\s*\*\s*(%s)\s*\)\s*\.\s*([A-Za-z_]\w*))"
                       % ("|".join(sorted(names)), "|".join(sorted(names)))) if names else None
    call = re.compile(r"\b(%s)\s*\(" % "|".join(sorted(engine_fns))) if engine_fns else None
    problems = []
    for where, text in sources.items():
        for number, line in enumerate(text.split("\n"), 1):
            for m in deref.finditer(line) if deref else ():
                var, field = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
                problems.append(f"{where}:{number}: touches the socket's field {var}->{field} "
                                "(use the driver API, src/engine/driver.h)")
            for m in call.finditer(line) if call else ():
                problems.append(f"{where}:{number}: calls the engine's {m.group(1)}() "
                                "(use the driver API, src/engine/driver.h)")
    return problems


def main(src):
    home = {}
    for layer in ORDER:
        folder = os.path.join(src, layer)
        if os.path.isdir(folder):
            for name in os.listdir(folder):
                home[name] = layer
    problems = []
    for name, layer in sorted(home.items()):
        path = os.path.join(src, layer, name)
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                kind, header = m.groups()
                where = f"src/{layer}/{name}:{number}"
                if kind == "<":
                    if header == "uv.h" and layer != "loop":
                        problems.append(f"{where}: <uv.h> outside the loop")
                    continue
                if header == "tlsplug.h":
                    continue
                target = home.get(header)
                if target is None:
                    problems.append(f"{where}: \"{header}\" is in no layer")
                elif target != layer and target not in BELOW[layer]:
                    problems.append(f"{where}: {layer} includes {target}'s \"{header}\" (upward)")
    problems += driver_only(src)
    for p in problems:
        print(p)
    files = len(home)
    print(f"{files} files in {len([l for l in ORDER if os.path.isdir(os.path.join(src, l))])} layers, "
          f"{len(problems)} upward or stray includes, or socket internals used by a driver")
    print(f"layers: {1 if not problems else 0} passed, {1 if problems else 0} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "src")))
