"""The Python binding's generated layer: bindings/python/tlsplug/_abi.py.

Loaded by abi/gen.py, which calls outputs(reg, banner). The module it writes
declares every function's argtypes/restype with ctypes, the enums as IntEnum
classes plus flat constants, the callback type, the function table's layout
each event's description (EVENTS), and the registry's plain getters
(GETTERS, and a mixin class per handle type holding them as Python
properties and methods, abi/getters.py reading the `getter` attribute). The
loader, the payload decoding and the getters' calls are hand-written in
bindings/python/tlsplug/_runtime.py, which the generated module re-exports.
Standard library only.
"""
import os
import textwrap


# abi/getters.py, shared with the other generator; abi/gen.py, which loads
# this module, runs with abi/ on sys.path.
import getters as GETTERS  # noqa: E402

# Registry parameter type -> ctypes expression.
CTYPES = {
    "int": "ctypes.c_int",
    "bool": "ctypes.c_int",
    "unsigned": "ctypes.c_uint",
    "size": "ctypes.c_size_t",
    "uintptr": "ctypes.c_size_t",
    "bytes_in": "ctypes.c_char_p",
    "string_in": "ctypes.c_char_p",
    "buf_out": "ctypes.c_void_p",
    "string_out": "ctypes.c_void_p",
    "view_out": "ctypes.POINTER(ctypes.c_void_p)",
    "int_out": "ctypes.POINTER(ctypes.c_int)",
    "unsigned_out": "ctypes.POINTER(ctypes.c_uint)",
    "size_out": "ctypes.POINTER(ctypes.c_size_t)",
    "event_cb": "EVENT_CB",
    "any_handle": "ctypes.c_void_p",
    "api_out": "ctypes.POINTER(ctypes.c_void_p)",
}
# In callbacks, pointers arrive as plain addresses (data is read with string_at).
CB_CTYPES = dict(CTYPES, bytes_in="ctypes.c_void_p")
RESTYPES = {"status": "ctypes.c_int", "int": "ctypes.c_int", "static_string": "ctypes.c_char_p"}


def _ctype(reg, t, cb=False):
    kind, _ = reg.ptype(t)
    if kind == "handle":
        return "ctypes.c_void_p"
    if kind == "handle_out":
        return "ctypes.POINTER(ctypes.c_void_p)"
    return (CB_CTYPES if cb else CTYPES)[t]


def _doc(text, indent):
    out = []
    for para in text.strip().split("\n\n"):
        para = " ".join(para.split()).replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
        out.extend(textwrap.wrap(para, 76 - len(indent)) or [""])
        out.append("")
    return "\n".join((indent + line).rstrip() for line in out[:-1])


def _class_name(name):
    return "".join(part.capitalize() for part in name.split("_"))


def gen_abi(reg, banner):
    lib = reg.lib
    o = [f"# {banner}",
         f'"""tlsplug\'s low layer for Python (ctypes), generated from the registry.',
         "",
         "Every exported function with its argtypes/restype and docstring, the",
         "enums (IntEnum classes and flat constants), the callback type, and",
         "load(), which opens libtlsplug and checks its ABI version. The",
         'idiomatic API is in the tlsplug package; see docs/ABI.md for the contract."""',
         "# fmt: off",
         "import ctypes",
         "import enum",
         "from typing import Any, Dict, Optional",
         "",
         f"ABI_VERSION = {lib['abi_version']}",
         f"VERSION = {lib['version']!r}",
         f"SONAME = 'lib{lib['name']}.so.{lib['soname_major']}'",
         ""]
    for e in reg.enums:
        cls = _class_name(e["name"])
        base = "enum.IntFlag" if e.get("flags") else "enum.IntEnum"
        o.append("")
        o.append(f"class {cls}({base}):")
        o.append(f'    """{_doc(e["doc"], "    ").strip()}"""')
        for v in e["values"]:
            extra = f" Node: '{v['node']}'." if v.get("node") else ""
            o.append(f"    #: {' '.join((v['doc'] + extra).split())}")
            o.append(f"    {v['name']} = {v['value']}")
        o.append("")
        o.append("")
        for v in e["values"]:
            o.append(f"{e['prefix'][len('TLSPLUG_'):]}{v['name']} = {v['value']}")
        if any(v.get("node") for v in e["values"]):
            o.append(f"{e['name'].upper()}_NODE_NAMES = {{")
            for v in e["values"]:
                if v.get("node"):
                    o.append(f"    {v['value']}: {v['node']!r},")
            o.append("}")
        o.append("")
    for cb in reg.callbacks:
        args = ", ".join(_ctype(reg, p["type"], cb=True) for p in cb["params"])
        o.append(f"#: {' '.join(cb['doc'].split())}")
        o.append(f"#: Parameters: {', '.join(p['name'] for p in cb['params'])}.")
        pyname = cb["name"][len(reg.lib["prefix"]):].upper()  # tlsplug_event_cb -> EVENT_CB
        o.append(f"{pyname} = ctypes.CFUNCTYPE(None, " + args + ")")
        o.append("")
    o.append("# name -> (restype, argtypes, parameter names, docstring)")
    o.append("FUNCTIONS = {")
    for fn in reg.functions:
        res = RESTYPES[fn.get("returns", "status")]
        args = ", ".join(_ctype(reg, p["type"]) for p in fn["params"])
        names = ", ".join(repr(p["name"]) for p in fn["params"])
        doc = fn["doc"]
        if fn.get("node"):
            doc += f"\n\nNode: {fn['node']}."
        if fn.get("returns", "status") == "status":
            doc += "\n\nReturns OK or " + ", ".join(fn.get("codes", [])) + "."
        o.append(f"    {fn['name']!r}: (")
        o.append(f"        {res},")
        o.append(f"        [{args}],")
        o.append(f"        ({names}{',' if len(fn['params']) == 1 else ''}),")
        o.append(f'        """{_doc(doc, "        ").strip()}"""),')
    o.append("}")
    o.append("")
    o.append("")
    o.append("class ApiTable(ctypes.Structure):")
    o.append('    """struct tlsplug_api, the table tlsplug_get_api() hands out: its size,')
    o.append("    its ABI version, then one function pointer per slot (append-only;")
    o.append('    docs/ABI.md). load() only checks it; calls go through FUNCTIONS."""')
    o.append("    _fields_ = [")
    o.append('        ("size", ctypes.c_size_t),')
    o.append('        ("version", ctypes.c_uint),')
    for fn in reg.table():
        o.append(f'        ("{reg.member(fn)}", ctypes.c_void_p),  # slot {fn["slot"]}')
    o.append("    ]")
    o.append("")
    o.append("")
    o += gen_events(reg)
    o.append("")
    o += gen_getters(reg)
    o.append("")
    o.append("# The loader and the getters' calls are hand-written (they do not vary")
    o.append("# with the registry).")
    o.append("from . import _runtime  # noqa: E402")
    o.append("from ._runtime import AbiVersionError, Library, load  # noqa: E402,F401")
    return "\n".join(o).rstrip() + "\n"


def _listener(node):
    """Node's listener name when the registry's `node` is one (an
    identifier: 'secureConnect'); None for a callback or option
    ('SNICallback(servername, cb)'), which a binding answers by hand."""
    return node if node and node.isidentifier() else None


def gen_events(reg):
    """EVENTS: each event's Node listener name, payload layout (decoded by
    _runtime.decode_payload), subject and sources, from the registry."""
    o = ["# event value -> (Node's listener name or None, payload kind, subject",
         "# handle type or None, handle types that raise it). Payload kinds are",
         "# the registry's (abi/tlsplug.toml, the event enum); _runtime.decode_payload",
         "# turns a payload into the listener's arguments.",
         "EVENTS = {"]
    for v in reg.enum("event")["values"]:
        o.append(f"    EV_{v['name']}: ({_listener(v.get('node'))!r}, {v['payload']!r}, "
                 f"{v.get('subject')!r}, {tuple(v['source'])!r}),")
    o.append("}")
    return o


# A getter's result kind -> the Python type it answers.
PY_RESULT = {
    "bool": "bool",
    "int": "int",
    "string": "Optional[str]",
    "bytes": "Optional[bytes]",
    "json": "Optional[Dict[str, Any]]",
    "certificate": "Optional[Dict[str, Any]]",
}


def _answers(g):
    """What the binding's getter answers, after the C function's doc."""
    if g.result == "bool":
        return " Answers True or False (the C value read as 0 / not 0)."
    if g.cap:
        return " Answers None where the C call answers TLSPLUG_E_UNAVAILABLE."
    return ""


def mixin_name(handle):
    """The generated mixin of a handle type's getters: socket -> SocketGetters."""
    return _class_name(handle) + "Getters"


def gen_getters(reg):
    """GETTERS (the description) and one mixin class per handle type whose
    methods and properties are the registry's plain getters, in snake_case
    of Node's names; each calls _runtime.getter, which asks the object's
    _getter_call (its thread rule) to make the C call."""
    gs = GETTERS.getters(reg)
    o = ["# handle type -> {Python name: (C function, result kind, out-parameter",
         "# type, first buffer size, Node's name, 'method' or 'property')}: the",
         "# registry's plain getters (abi/tlsplug.toml, `getter`). The mixins below",
         "# hold them; the idiomatic classes inherit these.",
         "GETTERS = {"]
    handles = []
    for g in gs:
        if g.handle not in handles:
            handles.append(g.handle)
    for h in handles:
        o.append(f"    {h!r}: {{")
        for g in gs:
            if g.handle == h:
                kind = "method" if g.method else "property"
                o.append(f"        {GETTERS.snake(g.node)!r}: ({g.function!r}, {g.result!r}, "
                         f"{g.out!r}, {g.cap}, {g.node!r}, {kind!r}),")
        o.append("    },")
    o.append("}")
    for h in handles:
        o.append("")
        o.append("")
        o.append(f"class {mixin_name(h)}:")
        o.append(f'    """The plain getters of a {h} (GETTERS[{h!r}]), for the class that')
        o.append("    wraps it: it provides _getter_call(name, fn, *args), which calls")
        o.append('    fn(handle, *args) under its thread rule (or answers a kept value)."""')
        o.append("")
        o.append("    __slots__ = ()")
        for g in gs:
            if g.handle != h:
                continue
            name = GETTERS.snake(g.node)
            doc = g.doc + f"\n\nNode: {g.node}{'()' if g.method else ''}." + _answers(g)
            o.append("")
            if not g.method:
                o.append("    @property")
            o.append(f"    def {name}(self) -> {PY_RESULT[g.result]}:")
            o.append(f'        """{_doc(doc, "        ").strip()}"""')
            o.append(f"        return _runtime.getter(self, {name!r}, {g.function!r}, "
                     f"{g.result!r}, {g.out!r}, {g.cap})")
    return o


def outputs(reg, banner):
    return {"bindings/python/tlsplug/_abi.py": gen_abi(reg, banner)}
