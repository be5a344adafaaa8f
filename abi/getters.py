"""The registry's plain getters (the `getter` attribute of a function), as
the bindings' generators read them: abi/gen_python.py and abi/gen_ruby.py
load this file (it is no generator itself: gen.py runs only gen_*.py).

A plain getter is one C call on a handle that writes one value: the handle,
then either one scalar out-parameter (int_out, unsigned_out, size_out) or a
(string_out | buf_out, cap, len) triple. Anything else (extra arguments,
several calls combined) stays hand-written in each binding.
"""
import re

# What a binding hands back (abi/tlsplug.toml's header documents them).
RESULTS = ("bool", "int", "string", "bytes", "json", "certificate")
# The parameters after the handle -> the result inferred from them.
INFERRED = {
    ("int_out",): "int",
    ("unsigned_out",): "int",
    ("size_out",): "int",
    ("string_out", "size", "size_out"): "string",
    ("buf_out", "size", "size_out"): "bytes",
}
# An explicit result -> the inferred results it may refine.
REFINES = {"bool": ("int",), "json": ("string",), "certificate": ("string",)}
DEFAULT_CAP = 256
KEYS = {"node", "result", "cap"}


class Getter:
    """One plain getter: `handle` (its handle type), `function` (the C
    name), `node` (Node's name, without "()"), `method` (Node has it as a
    method; else a property), `result`, `out` (the out-parameter's type),
    `cap` (the first buffer size tried; 0 for a scalar), `doc`."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


def snake(node):
    """Node's camelCase name in snake_case: getTLSTicket -> get_tls_ticket,
    alpnProtocol -> alpn_protocol."""
    s = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", node)
    return s.lower()


def getters(reg):
    """Every function's `getter`, checked, in registry order."""
    out = []
    for fn in reg.functions:
        g = fn.get("getter")
        if g is None:
            continue
        where = f"registry: {fn['name']}: getter"
        if isinstance(g, str):
            g = {"node": g}
        if not isinstance(g, dict) or not set(g) <= KEYS or "node" not in g:
            raise SystemExit(f"{where} must be \"name\", \"name()\" or a table of {sorted(KEYS)}")
        node = g["node"]
        method = node.endswith("()")
        name = node[:-2] if method else node
        if not name.isidentifier():
            raise SystemExit(f"{where}: {node!r} is not Node's property or method name")
        params = fn["params"]
        if fn.get("returns", "status") != "status" or not params \
                or reg.ptype(params[0]["type"])[0] != "handle":
            raise SystemExit(f"{where}: a getter takes a handle first and answers a status")
        rest = tuple(p["type"] for p in params[1:])
        inferred = INFERRED.get(rest)
        if inferred is None:
            raise SystemExit(f"{where}: parameters {rest} are not a plain getter's "
                             f"(one of {sorted(INFERRED)} after the handle)")
        result = g.get("result", inferred)
        if result != inferred and inferred not in REFINES.get(result, ()):
            raise SystemExit(f"{where}: result {result!r} does not fit parameters {rest} "
                             f"(results: {RESULTS})")
        cap = g.get("cap", DEFAULT_CAP if len(rest) == 3 else 0)
        if not isinstance(cap, int) or (len(rest) == 3) != (cap > 0):
            raise SystemExit(f"{where}: cap is a positive buffer size, for a buffer only")
        out.append(Getter(handle=params[0]["type"], function=fn["name"], node=name,
                          method=method, result=result, out=rest[0], cap=cap,
                          doc=fn.get("doc", "")))
    seen = set()
    for g in out:
        if (g.handle, g.node) in seen:
            raise SystemExit(f"registry: two getters named {g.node!r} on {g.handle}")
        seen.add((g.handle, g.node))
    return out
