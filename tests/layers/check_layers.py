#!/usr/bin/env python3
"""The library's layers run one way (src/CMakeLists.txt): each folder may
include only headers of its own folder and the folders below it, and only
the loop includes <uv.h>. The build enforces this too (each layer's include
path holds only the layers below it); this check says which line breaks
it, and also catches a header added to a lower folder's include path by
mistake. usage: check_layers.py SRC_DIR"""
import os
import re
import sys

ORDER = ["base", "policy", "context", "engine", "server", "loop", "loop_off", "library"]
# The layers each folder builds on (loop_off stands in for loop).
BELOW = {name: ORDER[:i] for i, name in enumerate(ORDER)}
BELOW["loop_off"] = ORDER[:5]
BELOW["library"] = ORDER[:5]
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


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
    for p in problems:
        print(p)
    files = len(home)
    print(f"{files} files in {len([l for l in ORDER if os.path.isdir(os.path.join(src, l))])} layers, "
          f"{len(problems)} upward or stray includes")
    print(f"layers: {1 if not problems else 0} passed, {1 if problems else 0} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "src")))
