"""The Ruby binding's generated layer: bindings/ruby/lib/tlsplug/abi.rb.

Loaded by abi/gen.py, which calls outputs(reg, banner). The module it writes
(Tlsplug::ABI) declares every registry function as a Fiddle::Function with
its argument and return types, as a method of Tlsplug::ABI::Library with the
registry's doc as a comment; the enums as flat constants plus name tables;
the callback's argument types; the ABI version it supports; each event's
description (EVENTS); and the registry's plain getters (GETTERS, and a
module per handle type holding them as methods, abi/getters.py reading the
`getter` attribute). The loader (ENV['TLSPLUG_LIBRARY'], then
libtlsplug.so.1 on the system path, refusing an older library), the payload
decoding and the getters' calls are hand-written in
bindings/ruby/lib/tlsplug/runtime.rb. Standard library only.
"""
import os


# abi/getters.py, shared with the other generator; abi/gen.py, which loads
# this module, runs with abi/ on sys.path.
import getters as GETTERS  # noqa: E402

RB_PATH = "bindings/ruby/lib/tlsplug/abi.rb"

# Registry parameter type -> Fiddle type constant.
FIDDLE = {
    "int": "Fiddle::TYPE_INT",
    "bool": "Fiddle::TYPE_INT",
    "unsigned": "-Fiddle::TYPE_INT",
    "size": "Fiddle::TYPE_SIZE_T",
    "uintptr": "Fiddle::TYPE_UINTPTR_T",
    "bytes_in": "Fiddle::TYPE_VOIDP",
    "string_in": "Fiddle::TYPE_VOIDP",
    "buf_out": "Fiddle::TYPE_VOIDP",
    "string_out": "Fiddle::TYPE_VOIDP",
    "view_out": "Fiddle::TYPE_VOIDP",
    "int_out": "Fiddle::TYPE_VOIDP",
    "unsigned_out": "Fiddle::TYPE_VOIDP",
    "size_out": "Fiddle::TYPE_VOIDP",
    "event_cb": "Fiddle::TYPE_VOIDP",
    "any_handle": "Fiddle::TYPE_VOIDP",
    "api_out": "Fiddle::TYPE_VOIDP",
}
RETURNS = {"status": "Fiddle::TYPE_INT", "int": "Fiddle::TYPE_INT",
           "static_string": "Fiddle::TYPE_VOIDP"}

# Calls that may block in the kernel: made without the GVL so that other Ruby
# threads run meanwhile (callbacks fired inside take the GVL back). Every
# other call keeps the GVL (cheaper, and it never blocks).
BLOCKING = {"tlsplug_loop_run", "tlsplug_loop_run_for"}

RUBY_KEYWORDS = {"alias", "and", "begin", "break", "case", "class", "def", "defined?", "do",
                 "else", "elsif", "end", "ensure", "false", "for", "if", "in", "module", "next",
                 "nil", "not", "or", "redo", "rescue", "retry", "return", "self", "super",
                 "then", "true", "undef", "unless", "until", "when", "while", "yield"}


def _ftype(reg, t):
    kind, _ = reg.ptype(t)
    if kind in ("handle", "handle_out"):
        return "Fiddle::TYPE_VOIDP"
    return FIDDLE[t]


def _pname(name):
    return name + "_" if name in RUBY_KEYWORDS else name


def _comment(text, indent):
    import textwrap
    out = []
    for para in text.strip().split("\n\n"):
        para = " ".join(para.split())
        for line in textwrap.wrap(para, 78 - len(indent)) or [""]:
            out.append(f"{indent}# {line}".rstrip())
        out.append(f"{indent}#")
    return out[:-1]


def _rstr(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("#", "\\#") + '"'


def gen_abi(reg, banner):
    lib = reg.lib
    prefix = lib["prefix"]
    o = [f"# {banner}",
         "# GENERATED: do not edit by hand (python3 abi/gen.py rewrites it; its",
         "# --check, the abi_fresh test, fails when it is stale).",
         "#",
         "# tlsplug's low layer for Ruby (Fiddle): every exported function with its",
         "# argument and return types, the enums as constants, the callback's",
         "# argument types, and the loader that checks the library's ABI version.",
         "# The idiomatic API is lib/tlsplug.rb; the contract is docs/ABI.md.",
         "# frozen_string_literal: true",
         "",
         "require 'fiddle'",
         "",
         "module Tlsplug",
         "  module ABI",
         "    # The ABI version this binding was generated for: the library must",
         "    # answer at least this from tlsplug_abi_version().",
         f"    ABI_VERSION = {lib['abi_version']}",
         f"    VERSION = {_rstr(lib['version'])}",
         f"    SONAME = {_rstr('lib' + lib['name'] + '.so.' + str(lib['soname_major']))}",
         "    # Function pointers in struct tlsplug_api (tlsplug_get_api's table) at",
         "    # this ABI_VERSION: the table's size is its header, aligned, plus these.",
         f"    TABLE_SLOTS = {len(reg.functions)}",
         "    TABLE_HEADER = (Fiddle::SIZEOF_SIZE_T + Fiddle::SIZEOF_INT + Fiddle::SIZEOF_VOIDP - 1) /",
         "                   Fiddle::SIZEOF_VOIDP * Fiddle::SIZEOF_VOIDP",
         "    TABLE_SIZE = TABLE_HEADER + TABLE_SLOTS * Fiddle::SIZEOF_VOIDP",
         ""]
    for e in reg.enums:
        o += _comment(f"enum tlsplug_{e['name']}: {e['doc']}", "    ")
        short = e["prefix"][len("TLSPLUG_"):]
        for v in e["values"]:
            extra = f" Node: '{v['node']}'." if v.get("node") else ""
            o += _comment(v["doc"] + extra, "    ")
            o.append(f"    {short}{v['name']} = {v['value']}")
        o.append(f"    # value -> name (without the prefix), for enum tlsplug_{e['name']}.")
        o.append(f"    {e['name'].upper()}_NAMES = {{")
        for v in e["values"]:
            o.append(f"      {v['value']} => {_rstr(v['name'])},")
        o.append("    }.freeze")
        if any(v.get("node") for v in e["values"]):
            o.append(f"    # value -> Node's name, for enum tlsplug_{e['name']}.")
            o.append(f"    {e['name'].upper()}_NODE_NAMES = {{")
            for v in e["values"]:
                if v.get("node"):
                    o.append(f"      {v['value']} => {_rstr(v['node'])},")
            o.append("    }.freeze")
        o.append("")
    for cb in reg.callbacks:
        const = cb["name"][len(prefix):].upper()  # tlsplug_event_cb -> EVENT_CB
        o += _comment(cb["doc"], "    ")
        o.append(f"    # Parameters: {', '.join(p['name'] for p in cb['params'])}.")
        o.append(f"    {const}_ARGS = [" + ", ".join(_ftype(reg, p["type"]) for p in cb["params"])
                 + "].freeze")
        o.append(f"    {const}_RETURN = Fiddle::TYPE_VOID")
        o.append("")
    o.append("    # name => [return type, argument types, parameter names, blocking]")
    o.append("    FUNCTIONS = {")
    for fn in reg.functions:
        args = ", ".join(_ftype(reg, p["type"]) for p in fn["params"])
        names = ", ".join(_rstr(p["name"]) for p in fn["params"])
        o.append(f"      {_rstr(fn['name'])} => [{RETURNS[fn.get('returns', 'status')]}, [{args}], "
                 f"[{names}], {'true' if fn['name'] in BLOCKING else 'false'}],")
    o.append("    }.freeze")
    o.append("")
    o.append("    # The loaded library is older than this binding was generated for.")
    o.append("    class AbiVersionError < LoadError; end")
    o.append("")
    o.append("    # A loaded libtlsplug: one method per registry function, named without")
    o.append("    # the tlsplug_ prefix, taking the C arguments in order (handles and")
    o.append("    # pointers as Integer, String or nil) and answering the C result")
    o.append("    # (an Integer status, or a Fiddle::Pointer for a static string).")
    o.append("    class Library")
    o.append("      attr_reader :path, :handle")
    o.append("")
    o.append("      def initialize(handle, path)")
    o.append("        @handle = handle")
    o.append("        @path = path")
    o.append("        @functions = {}")
    o.append("        FUNCTIONS.each do |name, (ret, args, _names, blocking)|")
    o.append("          begin")
    o.append("            addr = handle[name]")
    o.append("          rescue Fiddle::DLError")
    o.append("            next # only an older library lacks one, and the version check refuses it")
    o.append("          end")
    o.append("          @functions[name] = Fiddle::Function.new(addr, args, ret, need_gvl: !blocking)")
    o.append("        end")
    for fn in reg.functions:
        o.append("        @" + fn["name"] + " = @functions[" + _rstr(fn["name"]) + "]")
    o.append("      end")
    o.append("")
    o.append("      # The Fiddle::Function of a registry name (nil when the library lacks it).")
    o.append("      def function(name)")
    o.append("        @functions[name.to_s]")
    o.append("      end")
    for fn in reg.functions:
        o.append("")
        doc = fn["doc"]
        if fn.get("node"):
            doc += f"\n\nNode: {fn['node']}."
        if fn.get("returns", "status") == "status":
            doc += "\n\nReturns OK or " + (", ".join(fn.get("codes", [])) or "nothing else") + "."
        o += _comment(doc, "      ")
        sig = ", ".join(_pname(p["name"]) for p in fn["params"])
        short = fn["name"][len(prefix):]
        o.append(f"      def {short}({sig})")
        o.append(f"        @{fn['name']}.call({sig})")
        o.append("      end")
    o.append("    end")
    o.append("")
    o += gen_events(reg)
    o.append("")
    o += gen_getters(reg)
    o.append("  end")
    o.append("end")
    o.append("")
    o.append("# The loader (ABI.open, ABI.lib), the payload decoding and the getters'")
    o.append("# calls are hand-written.")
    o.append('require_relative "runtime"')
    return "\n".join(o).rstrip() + "\n"


def _listener(node):
    """Node's listener name when the registry's `node` is one (an identifier);
    nil for a callback or option, which the binding answers by hand."""
    return node if node and node.isidentifier() else None


def gen_events(reg):
    """EVENTS, the same description the Python layer gets (_abi.EVENTS)."""
    o = ["    # event value => [Node's listener name or nil, payload kind, subject",
         "    # handle type or nil, handle types that raise it]. Payload kinds are",
         "    # the registry's (abi/tlsplug.toml, the event enum);",
         "    # Tlsplug::Runtime.decode_payload turns a payload into the listener's",
         "    # arguments.",
         "    EVENTS = {"]
    for v in reg.enum("event")["values"]:
        lis = _listener(v.get("node"))
        subj = v.get("subject")
        o.append(f"      EV_{v['name']} => [{_rstr(lis) if lis else 'nil'}, {_rstr(v['payload'])}, "
                 f"{_rstr(subj) if subj else 'nil'}, [{', '.join(_rstr(x) for x in v['source'])}].freeze].freeze,")
    o.append("    }.freeze")
    return o


def ruby_names(g):
    """A getter's Ruby method name and its aliases: snake_case of Node's
    name; a bool also answers to a predicate (isSessionReused ->
    session_reused?, aliased is_session_reused; authorized, aliased
    authorized?), as the Ruby binding has always named them."""
    name = GETTERS.snake(g.node)
    if g.result != "bool":
        return name, []
    if name.startswith("is_"):
        return name[3:] + "?", [name]
    return name, [name + "?"]


def _answers(g):
    """What the binding's getter answers, after the C function's doc."""
    if g.result == "bool":
        return " Answers true or false (the C value read as 0 / not 0)."
    if g.cap:
        return " Answers nil where the C call answers TLSPLUG_E_UNAVAILABLE."
    return ""


def mixin_name(handle):
    """The generated module of a handle type's getters: socket -> SocketGetters."""
    return "".join(p.capitalize() for p in handle.split("_")) + "Getters"


def gen_getters(reg):
    """GETTERS (the description) and one module per handle type whose
    methods are the registry's plain getters; each calls
    Tlsplug::Runtime.getter, which asks the object's getter_call (its thread
    rule) to make the C call."""
    gs = GETTERS.getters(reg)
    handles = []
    for g in gs:
        if g.handle not in handles:
            handles.append(g.handle)
    o = ["    # handle type => {method name => [aliases, C function (a Library",
         "    # method), result kind, out-parameter type, first buffer size, Node's",
         "    # name, \"method\" or \"property\"]}: the registry's plain getters",
         "    # (abi/tlsplug.toml, `getter`). The modules below hold them; the",
         "    # idiomatic classes include these.",
         "    GETTERS = {"]
    for h in handles:
        o.append(f"      {_rstr(h)} => {{")
        for g in gs:
            if g.handle == h:
                name, aliases = ruby_names(g)
                o.append(f"        {_rstr(name)} => [[{', '.join(_rstr(a) for a in aliases)}].freeze, "
                         f"{_rstr(g.function[len(reg.lib['prefix']):])}, {_rstr(g.result)}, "
                         f"{_rstr(g.out)}, {g.cap}, {_rstr(g.node)}, "
                         f"{_rstr('method' if g.method else 'property')}].freeze,")
        o.append("      }.freeze,")
    o.append("    }.freeze")
    for h in handles:
        o.append("")
        o.append(f"    # The plain getters of a {h} (GETTERS[{_rstr(h)}]), for the class that")
        o.append("    # wraps it: it provides getter_call(name, &blk), which yields the")
        o.append("    # handle under its thread rule (or answers a kept value).")
        o.append(f"    module {mixin_name(h)}")
        first = True
        for g in gs:
            if g.handle != h:
                continue
            name, aliases = ruby_names(g)
            if not first:
                o.append("")
            first = False
            o += _comment(g.doc + f"\n\nNode: {g.node}{'()' if g.method else ''}." + _answers(g), "      ")
            o.append(f"      def {name}")
            o.append(f"        Runtime.getter(self, :{name}, :{g.function[len(reg.lib['prefix']):]}, "
                     f"{_rstr(g.result)}, {_rstr(g.out)}, {g.cap})")
            o.append("      end")
            for a in aliases:
                o.append(f"      alias {a} {name}")
        o.append("    end")
    return o


def outputs(reg, banner):
    return {RB_PATH: gen_abi(reg, banner)}
