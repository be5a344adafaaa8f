"""Go binding low layer: bindings/go/tlsplug/zabi.go, from the registry.

Loaded by abi/gen.py, which calls outputs(reg, banner). For every registry
function it writes a static C shim in the cgo preamble and a Go wrapper that
makes exactly one cgo call to it. A shim answers a tpg_ret by value: the
status and, for a real failure with a handle among the arguments, the error
detail (Node code, message, GnuTLS name and code, alert) read inside the same
C call (cgo may run two calls on two OS threads, and no other call may come
between the failure and the read of its detail). Statuses that are answers
rather than failures (E_AGAIN, E_BUFSIZE, E_UNAVAILABLE) fetch nothing, and
nothing is allocated unless an error is returned.

A call allocates nothing on the Go heap either: the scalar out-parameters
(sizes, ints, states) come back by value in the tpg_ret (`out`), since a Go
variable whose address goes to C is moved to the heap; and the shims take
their handles as uintptr_t, since cgo's pointer check boxes a pointer to an
incomplete C type (every handle type) on the heap at each call.

Only what varies with the registry is generated: the C and Go runtime the
wrappers call (tpg_result, newError, cstr, ...) is hand-written in
bindings/go/tlsplug/runtime.{h,c,go}.
"""
import textwrap

GO_PATH = "bindings/go/tlsplug/zabi.go"

# Functions that read the error detail themselves: their shims record nothing.
NO_DETAIL = {"tlsplug_error_get", "tlsplug_error_detail"}


# The enums a Go user meets (an *Error's Status and AlertDirection); the
# others are the binding's own business and stay unexported ("c" + name, as
# the cXxx wrappers), so `go doc` lists only the user API.
EXPORTED_ENUMS = {"status", "alert_direction"}


# The registry's function names without the prefix (set by outputs()): an
# unexported enum named like a function (x509_check, tlsplug_x509_check)
# would collide with that function's cXxx wrapper, so it gets "Kind" added.
FUNCTION_STEMS = set()


def enum_type(e):
    if e["name"] in EXPORTED_ENUMS:
        return camel(e["name"])
    return "c" + camel(e["name"]) + ("Kind" if e["name"] in FUNCTION_STEMS else "")


def camel(name):
    return "".join(w[:1].upper() + w[1:].lower() for w in name.split("_") if w)


def go_func_name(reg, name):
    return "c" + camel(name[len(reg.lib["prefix"]):])


def go_string_lit(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def value_outs(fn):
    """The status function's scalar out-parameters, in order: the shim
    answers them in tpg_ret.out (runtime.h: TPG_OUTS at most)."""
    outs = [p for p in fn["params"] if p["type"] in GO_SCALAR_OUT]
    if len(outs) > TPG_OUTS:
        raise SystemExit(f"gen_go: {fn['name']}: more than {TPG_OUTS} scalar outputs")
    return outs


TPG_OUTS = 4  # runtime.h's tpg_ret.out


def gen_shim(reg, fn):
    """The C shim of a status function: the same parameters but the handles
    (uintptr_t) and the scalar outputs (answered in tpg_ret.out), answering
    tpg_result(status, handle) (runtime.c), which reads the detail of a real
    failure before the shim returns."""
    ret = fn.get("returns", "status")
    if ret != "status":
        return None
    outs = value_outs(fn)
    cparams, args, locals_ = [], [], []
    for p in fn["params"]:
        kind, _ = reg.ptype(p["type"])
        ctype = reg.c_type(p["type"])
        if kind == "handle":
            cparams.append(f"uintptr_t {p['name']}")
            args.append(f"({ctype}){p['name']}")
        elif p in outs:
            locals_.append(f"{ctype.rstrip(' *')} {p['name']} = 0;")
            args.append(f"&{p['name']}")
        else:
            cparams.append(f"{ctype} {p['name']}")
            args.append(p["name"])
    args = ", ".join(args)
    handle = None
    for p in fn["params"]:
        kind, _ = reg.ptype(p["type"])
        if kind in ("handle", "any_handle"):
            handle = p["name"]
            break
    # A freed handle has no detail left; the error functions read it themselves.
    if not handle or fn["name"] in NO_DETAIL or fn.get("frees"):
        h = "NULL"
    else:
        h = f"(const void *){handle}"
    sig = ", ".join(cparams) or "void"
    lines = [f"static tpg_ret tpg_{fn['name'][len(reg.lib['prefix']):]}({sig}) {{"]
    if not outs:
        lines.append(f"    return tpg_result({fn['name']}({args}), {h});")
    else:
        lines += ["    " + l for l in locals_]
        lines.append(f"    tpg_ret r = tpg_result({fn['name']}({args}), {h});")
        lines += [f"    r.out[{i}] = (uint64_t){p['name']};" for i, p in enumerate(outs)]
        lines.append("    return r;")
    lines.append("}")
    return "\n".join(lines)


GO_SCALAR_IN = {
    "int": ("int", "C.int({n})"),
    "bool": ("bool", "cbool({n})"),
    "unsigned": ("uint32", "C.unsigned({n})"),
    "size": ("int", "C.size_t({n})"),
    "uintptr": ("uintptr", "C.uintptr_t({n})"),
    "event_cb": ("C.tlsplug_event_cb", "{n}"),
    "any_handle": ("unsafe.Pointer", "{n}"),
}
GO_SCALAR_OUT = {
    "int_out": ("int", "C.int", "int({v})"),
    "unsigned_out": ("uint32", "C.unsigned", "uint32({v})"),
    "size_out": ("int", "C.size_t", "int({v})"),
}


def gen_wrapper(reg, fn):
    name = fn["name"]
    short = name[len(reg.lib["prefix"]):]
    gname = go_func_name(reg, name)
    ret = fn.get("returns", "status")
    params = fn["params"]
    by_name = {p["name"]: p for p in params}
    # Parameters that are consumed by another: len of bytes_in, cap/len_out of buffers.
    hidden = set()
    for p in params:
        for ref in ("len", "cap", "len_out"):
            if ref in p:
                hidden.add(p[ref])
    gparams, results, pre, cargs, post = [], [], [], [], []
    string_out = None
    for p in params:
        n, t = p["name"], p["type"]
        gn = "p_" + n
        kind, h = reg.ptype(t)
        if n in hidden:
            continue
        if kind == "handle":
            gparams.append(f"{gn} *C.tlsplug_{h}")
        elif kind == "handle_out":
            results.append((f"{gn}", f"*C.tlsplug_{h}"))
            pre.append(f"var {gn}_c *C.tlsplug_{h}")
            post.append(f"{gn} = {gn}_c")
        elif t in GO_SCALAR_IN:
            gt, conv = GO_SCALAR_IN[t]
            gparams.append(f"{gn} {gt}")
        elif t == "bytes_in":
            gparams.append(f"{gn} []byte")
        elif t == "string_in":
            gparams.append(f"{gn} string")
            nullable = "true" if p.get("nullable") else "false"
            pre.append(f"{gn}_c := cstr({gn}, {nullable})")
            pre.append(f"defer freeCStr({gn}_c)")
        elif t == "buf_out":
            gparams.append(f"{gn} []byte")
            results.append((f"{gn}_n", "int"))
        elif t == "string_out":
            results.append((f"{gn}_s", "string"))
            string_out = p
        elif t == "view_out":
            results.append((f"{gn}_v", "*C.uint8_t"))
            results.append((f"{gn}_n", "int"))
        elif t == "api_out":
            # tlsplug_get_api's table: a C pointer the Go side only checks.
            results.append((gn, "*C.tlsplug_api"))
            pre.append(f"var {gn}_c *C.tlsplug_api")
            post.append(f"{gn} = {gn}_c")
        elif t in GO_SCALAR_OUT:
            gt, ct, conv = GO_SCALAR_OUT[t]
            results.append((f"{gn}_o", gt))
            pre.append(f"var {gn}_c {ct}")
            post.append(f"{gn}_o = " + conv.format(v=f"{gn}_c"))
        else:
            raise SystemExit(f"gen_go: {name}: unhandled type {t}")

    # Now the C argument list, in order.
    for p in params:
        n, t = p["name"], p["type"]
        gn = "p_" + n
        kind, h = reg.ptype(t)
        owner = None
        for q in params:
            for ref in ("len", "cap", "len_out"):
                if q.get(ref) == n:
                    owner = (q, ref)
        if owner:
            q, ref = owner
            qg = "p_" + q["name"]
            if ref == "len":
                cargs.append(f"C.size_t(len({qg}))")
            elif ref == "cap":
                if q["type"] == "string_out":
                    cargs.append("C.size_t(len(sbuf))")
                else:
                    cargs.append(f"C.size_t(len({qg}))")
            else:  # len_out
                pre.append(f"var {n}_len C.size_t")
                if ret != "status":
                    cargs.append(f"&{n}_len")
                if q["type"] == "buf_out":
                    post.append(f"{qg}_n = int({n}_len)")
                elif q["type"] == "view_out":
                    post.append(f"{qg}_n = int({n}_len)")
            continue
        if kind == "handle":
            cargs.append(f"C.uintptr_t(uintptr(unsafe.Pointer({gn})))" if ret == "status" else gn)
        elif kind == "handle_out":
            cargs.append(f"&{gn}_c")
        elif t in GO_SCALAR_IN:
            cargs.append(GO_SCALAR_IN[t][1].format(n=gn))
        elif t == "bytes_in":
            # A nullable one keeps Go's nil apart from an empty slice (NULL
            # is "absent", an empty non-NULL "given, empty").
            ptr = "nullableBytesPtr" if p.get("nullable") else "bytesPtr"
            cargs.append(f"(*C.uint8_t)({ptr}({gn}))")
        elif t == "string_in":
            cargs.append(f"{gn}_c")
        elif t == "buf_out":
            cargs.append(f"(*C.uint8_t)(bytesPtr({gn}))")
        elif t == "string_out":
            cargs.append("(*C.char)(unsafe.Pointer(bytesPtr(sbuf)))")
        elif t == "view_out":
            pre.append(f"var {gn}_vc *C.uint8_t")
            cargs.append(f"&{gn}_vc")
            post.insert(0, f"{gn}_v = {gn}_vc")
        elif t in GO_SCALAR_OUT and ret == "status":
            pass  # answered in r.out (value_outs)
        elif t in GO_SCALAR_OUT or t == "api_out":
            cargs.append(f"&{gn}_c")

    doc = " ".join(fn.get("doc", "").split())
    out = [f"// {gname} calls {name}.", "//"]
    if doc:
        for line in textwrap.wrap(doc, 74):
            out.append(f"// {line}")
    if ret == "int":
        out.append(f"func {gname}({', '.join(gparams)}) int {{")
        out.append(f"\treturn int(C.{name}({', '.join(cargs)}))")
        out.append("}")
        return "\n".join(out)
    if ret == "static_string":
        out.append(f"func {gname}({', '.join(gparams)}) string {{")
        out.append(f"\treturn C.GoString(C.{name}({', '.join(cargs)}))")
        out.append("}")
        return "\n".join(out)
    results.append(("err", "error"))
    res = ", ".join(f"{a} {b}" for a, b in results)
    out.append(f"func {gname}({', '.join(gparams)}) ({res}) {{")
    for line in pre:
        out.append("\t" + line)
    call = f"C.tpg_{short}({', '.join(cargs)})"
    # The scalar outputs, from r.out into the variables the code below reads.
    take = []
    for i, p in enumerate(value_outs(fn)):
        var = f"{p['name']}_len" if p["name"] in hidden else f"p_{p['name']}_c"
        ct = GO_SCALAR_OUT[p["type"]][1]
        val = f"int64(r.out[{i}])" if p["type"] == "int_out" else f"r.out[{i}]"
        take.append(f"{var} = {ct}({val})")
    if string_out:
        lo = string_out["len_out"]
        out.append("\tsbuf := make([]byte, 256)")
        out.append("\tfor {")
        out.append(f"\t\t{lo}_len = 0")
        out.append(f"\t\tr := {call}")
        out += ["\t\t" + l for l in take]
        out.append(f"\t\tif (r.st == C.TLSPLUG_E_BUFSIZE || int({lo}_len) >= len(sbuf)) && int({lo}_len)+1 > len(sbuf) {{")
        out.append("\t\t\tdropDetail(r)")
        out.append(f"\t\t\tsbuf = make([]byte, int({lo}_len)+1)")
        out.append("\t\t\tcontinue")
        out.append("\t\t}")
        out.append(f"\t\tif n := int({lo}_len); n <= len(sbuf) {{")
        out.append(f"\t\t\tp_{string_out['name']}_s = string(sbuf[:n])")
        out.append("\t\t}")
        out.append("\t\tif r.st < 0 {")
        out.append("\t\t\terr = newError(r)")
        out.append("\t\t\treturn")
        out.append("\t\t}")
        out.append("\t\tbreak")
        out.append("\t}")
    else:
        early = [l for l in post if l.split(" = ")[0].endswith("_n") and any(q["type"] == "buf_out" and l.startswith("p_" + q["name"] + "_n") for q in params)]
        # Out-parameters the registry marks as set on every status (the
        # batched calls' state, which matters most on E_AGAIN/E_BUFSIZE).
        early += [l for l in post if any(q.get("every_status") and l.startswith("p_" + q["name"] + "_o ") for q in params)]
        post = [l for l in post if l not in early]
        out.append(f"\tr := {call}")
        out += ["\t" + l for l in take]
        for line in early:
            if "_n = " in line:
                out.append("\t" + line + " // also the length needed, on TLSPLUG_E_BUFSIZE")
            else:
                out.append("\t// set on every status, E_AGAIN and E_BUFSIZE included")
                out.append("\t" + line)
        out.append("\tif r.st < 0 {")
        out.append("\t\terr = newError(r)")
        out.append("\t\treturn")
        out.append("\t}")
    for line in post:
        out.append("\t" + line)
    out.append("\treturn")
    out.append("}")
    return "\n".join(out)


def outputs(reg, banner):
    FUNCTION_STEMS.clear()
    FUNCTION_STEMS.update(fn["name"][len(reg.lib["prefix"]):] for fn in reg.functions)
    abi = reg.lib["abi_version"]
    o = [f"// Code generated by abi/gen.py (abi/gen_go.py) from abi/tlsplug.toml. DO NOT EDIT.",
         f"// {banner}", "",
         "package tlsplug", "",
         "/*",
         "#cgo pkg-config: tlsplug",
         "#include <tlsplug.h>",
         "#include \"runtime.h\"",
         ""]
    o.append("// The header and this file come from one registry; the compiler checks it.")
    for e in reg.enums:
        for v in e["values"]:
            c = e["prefix"] + v["name"]
            o.append(f'_Static_assert({c} == {v["value"]}, "{c}");')
    o.append("")
    for fn in reg.functions:
        s = gen_shim(reg, fn)
        if s:
            o += [s, ""]
    o += ["*/", 'import "C"', "", 'import "unsafe"', "",
          "// abiVersion is the ABI version this layer was generated for.",
          f"const abiVersion = {abi}", "",
          "// libraryVersion is the registry's library version.",
          f"const libraryVersion = {go_string_lit(reg.lib['version'])}", ""]
    # Enums.
    for e in reg.enums:
        tname = enum_type(e)
        o.append(f"// {tname}: " + " ".join(e.get("doc", "").split()))
        o.append(f"type {tname} int")
        o.append("")
        o.append("const (")
        for v in e["values"]:
            if v.get("doc"):
                o.append("\t// " + " ".join(v["doc"].split()))
            o.append(f"\t{tname}{camel(v['name'])} {tname} = {v['value']}")
        o.append(")")
        o.append("")
        if not e.get("flags"):
            o.append(f"// String names the value as the C header does; unknown values (from a newer library) are shown as numbers.")
            o.append(f"func (v {tname}) String() string {{")
            o.append("\tswitch v {")
            for v in e["values"]:
                o.append(f"\tcase {v['value']}:")
                o.append(f"\t\treturn \"{e['prefix']}{v['name']}\"")
            o.append("\t}")
            o.append(f"\treturn \"{tname}(\" + itoa(int(v)) + \")\"")
            o.append("}")
            o.append("")
    for fn in reg.functions:
        o += [gen_wrapper(reg, fn), ""]
    return {GO_PATH: "\n".join(o).rstrip() + "\n"}
