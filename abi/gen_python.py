"""The Python binding's generated layer: bindings/python/tlsplug/_abi.py.

Loaded by abi/gen.py, which calls outputs(reg, banner). The module it writes
declares every function's argtypes/restype with ctypes, the enums as IntEnum
classes plus flat constants, the callback type, the function table's layout
and each event's description (EVENTS). The loader and the payload decoding
are hand-written in bindings/python/tlsplug/_runtime.py, which the generated
module re-exports. Standard library only.
"""
import textwrap

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
    o.append("# The loader is hand-written (it does not vary with the registry).")
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


def outputs(reg, banner):
    return {"bindings/python/tlsplug/_abi.py": gen_abi(reg, banner)}
