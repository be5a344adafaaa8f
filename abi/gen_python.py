"""The Python binding's generated layer: bindings/python/tlsplug/_abi.py.

Loaded by abi/gen.py, which calls outputs(reg, banner). The module it writes
declares every function's argtypes/restype with ctypes, the enums as IntEnum
classes plus flat constants, the callback type, and a loader that checks the
library's ABI version. Standard library only.
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
    o.append('''

class AbiVersionError(ImportError):
    """The loaded libtlsplug is older than this binding was generated for."""


class Library:
    """A loaded libtlsplug: each registry function as a method-like attribute
    (the ctypes function, argtypes/restype set, __doc__ from the registry)."""

    def __init__(self, cdll, path):
        self._cdll = cdll
        self.path = path
        for name, (restype, argtypes, _names, doc) in FUNCTIONS.items():
            try:
                f = getattr(cdll, name)
            except AttributeError:
                # A symbol this binding knows but the library lacks: only an
                # older library can miss one, and the version check refuses it.
                continue
            f.restype = restype
            f.argtypes = argtypes
            try:
                f.__doc__ = doc
            except (AttributeError, TypeError):
                pass
            setattr(self, name[len("tlsplug_"):], f)


def _abi_version_of(cdll):
    """tlsplug_abi_version(), which every libtlsplug has; None without it."""
    try:
        fn = cdll.tlsplug_abi_version
    except AttributeError:
        return None
    fn.restype = ctypes.c_int
    fn.argtypes = []
    return fn()


def load(path, expected=None):
    """Open the library at `path` (a file name or path, as ctypes.CDLL takes
    it), ask its tlsplug_get_api() for the table of ABI version `expected`
    (ABI_VERSION by default), the one entry point every host checks the ABI
    through, and return a Library. Raises OSError when it cannot be opened
    and AbiVersionError when it refuses the version (it is older), lacks
    tlsplug_get_api (older still) or hands out a table shorter than this
    layer's."""
    expected = ABI_VERSION if expected is None else expected
    cdll = ctypes.CDLL(path)
    advice = "install a newer libtlsplug or point TLSPLUG_LIBRARY at one"
    try:
        get_api = cdll.tlsplug_get_api
    except AttributeError:
        have = _abi_version_of(cdll)
        raise AbiVersionError(
            f"libtlsplug at {path!r} has no tlsplug_get_api"
            + (f" (its ABI version is {have})" if have is not None else " (is it libtlsplug?)")
            + f": older than ABI version {expected}, which this binding was generated for; {advice}")
    get_api.restype = ctypes.c_int
    get_api.argtypes = [ctypes.c_uint, ctypes.POINTER(ctypes.c_void_p)]
    table = ctypes.c_void_p()
    rc = get_api(expected, ctypes.byref(table))
    if rc != 0 or not table.value:
        have = _abi_version_of(cdll)
        raise AbiVersionError(
            f"libtlsplug at {path!r} refuses ABI version {expected} (tlsplug_get_api answered "
            f"{rc}): it implements version {have}, older than the version {expected} this "
            f"binding was generated for; {advice}")
    size = ctypes.c_size_t.from_address(table.value).value
    # The layout here is ABI_VERSION's; an older `expected` has a prefix of it.
    if expected == ABI_VERSION and size < ctypes.sizeof(ApiTable):
        raise AbiVersionError(
            f"libtlsplug at {path!r} hands out a function table of {size} bytes, shorter "
            f"than the {ctypes.sizeof(ApiTable)} bytes of ABI version {expected}: a broken library")
    return Library(cdll, path)
''')
    return "\n".join(o).rstrip() + "\n"


def outputs(reg, banner):
    return {"bindings/python/tlsplug/_abi.py": gen_abi(reg, banner)}
