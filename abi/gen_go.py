"""Go binding low layer: bindings/go/tlsplug/zabi.go, from the registry.

Loaded by abi/gen.py, which calls outputs(reg, banner). For every registry
function it writes a static C shim in the cgo preamble and a Go wrapper that
makes exactly one cgo call to it. A shim that fails with a handle among its
arguments copies the error detail (status, Node code, message, GnuTLS name
and code, alert) into a caller-provided struct inside the same C call: cgo may
run two calls on two OS threads, and no other call may come between the
failure and the read of its detail.
"""
import textwrap

GO_PATH = "bindings/go/tlsplug/zabi.go"

# Functions that read the error detail themselves: their shims record nothing.
NO_DETAIL = {"tlsplug_error_get", "tlsplug_error_detail"}


def camel(name):
    return "".join(w[:1].upper() + w[1:].lower() for w in name.split("_") if w)


def go_func_name(reg, name):
    return "c" + camel(name[len(reg.lib["prefix"]):])


def go_string_lit(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def gen_shim(reg, fn):
    """The C shim: same parameters plus `tpg_err *e` for status functions."""
    ret = fn.get("returns", "status")
    cparams = [f"{reg.c_type(p['type'])} {p['name']}" for p in fn["params"]]
    args = ", ".join(p["name"] for p in fn["params"])
    if ret != "status":
        return None
    handle = None
    for p in fn["params"]:
        kind, _ = reg.ptype(p["type"])
        if kind in ("handle", "any_handle"):
            handle = p["name"]
            break
    sig = ", ".join(cparams + ["tpg_err *e"])
    lines = [f"static int tpg_{fn['name'][len(reg.lib['prefix']):]}({sig}) {{",
             f"    int st = {fn['name']}({args});"]
    if handle and fn["name"] not in NO_DETAIL and not fn.get("frees"):
        lines.append(f"    if (st < 0) tpg_fill(e, st, (const void *){handle});")
    else:
        lines.append("    if (st < 0) tpg_fill(e, st, NULL);")
    lines += ["    return st;", "}"]
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
                cargs.append(f"&{n}_len")
                if q["type"] == "buf_out":
                    post.append(f"{qg}_n = int({n}_len)")
                elif q["type"] == "view_out":
                    post.append(f"{qg}_n = int({n}_len)")
            continue
        if kind == "handle":
            cargs.append(gn)
        elif kind == "handle_out":
            cargs.append(f"&{gn}_c")
        elif t in GO_SCALAR_IN:
            cargs.append(GO_SCALAR_IN[t][1].format(n=gn))
        elif t == "bytes_in":
            cargs.append(f"(*C.uint8_t)(bytesPtr({gn}))")
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
    out.append("\tvar e C.tpg_err")
    call = f"C.tpg_{short}({', '.join(cargs + ['&e'])})"
    if string_out:
        lo = string_out["len_out"]
        out.append("\tsbuf := make([]byte, 256)")
        out.append("\tfor {")
        out.append(f"\t\t{lo}_len = 0")
        out.append(f"\t\tst := {call}")
        out.append(f"\t\tif (st == C.TLSPLUG_E_BUFSIZE || int({lo}_len) >= len(sbuf)) && int({lo}_len)+1 > len(sbuf) {{")
        out.append(f"\t\t\tsbuf = make([]byte, int({lo}_len)+1)")
        out.append("\t\t\tcontinue")
        out.append("\t\t}")
        out.append(f"\t\tif n := int({lo}_len); n <= len(sbuf) {{")
        out.append(f"\t\t\tp_{string_out['name']}_s = string(sbuf[:n])")
        out.append("\t\t}")
        out.append("\t\tif st < 0 {")
        out.append("\t\t\terr = newError(&e)")
        out.append("\t\t\treturn")
        out.append("\t\t}")
        out.append("\t\tbreak")
        out.append("\t}")
    else:
        early = [l for l in post if l.split(" = ")[0].endswith("_n") and any(q["type"] == "buf_out" and l.startswith("p_" + q["name"] + "_n") for q in params)]
        post = [l for l in post if l not in early]
        out.append(f"\tst := {call}")
        for line in early:
            out.append("\t" + line + " // also the length needed, on TLSPLUG_E_BUFSIZE")
        out.append("\tif st < 0 {")
        out.append("\t\terr = newError(&e)")
        out.append("\t\treturn")
        out.append("\t}")
    for line in post:
        out.append("\t" + line)
    out.append("\treturn")
    out.append("}")
    return "\n".join(out)


HELPERS = """// newError turns the detail a shim recorded into an *Error.
func newError(e *C.tpg_err) error {
	st := Status(e.status)
	err := &Error{Status: st, Code: C.GoString(&e.code[0]), Message: C.GoString(&e.message[0]),
		GnuTLS: C.GoString(&e.gnutls[0]), GnuTLSCode: int(e.gnutls_error), Alert: int(e.alert),
		AlertDirection: AlertDirection(e.alert_direction)}
	if e.has_detail == 0 {
		err.Alert = -1
	}
	if err.Message == "" {
		err.Message = C.GoString(C.tlsplug_status_name(e.status))
	}
	return err
}

// cstr copies s into C memory; a nullable empty string becomes NULL.
func cstr(s string, nullable bool) *C.char {
	if nullable && s == "" {
		return nil
	}
	return C.CString(s)
}

func freeCStr(p *C.char) {
	if p != nil {
		C.free(unsafe.Pointer(p))
	}
}

// bytesPtr is the address of b's first byte, nil for an empty slice. C only
// borrows it for the duration of one call.
func bytesPtr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(&b[0])
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

func itoa(v int) string {
	if v == 0 {
		return "0"
	}
	neg := v < 0
	if neg {
		v = -v
	}
	var b [24]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
"""


def outputs(reg, banner):
    abi = reg.lib["abi_version"]
    o = [f"// Code generated by abi/gen.py (abi/gen_go.py) from abi/tlsplug.toml. DO NOT EDIT.",
         f"// {banner}", "",
         "package tlsplug", "",
         "/*",
         "#cgo pkg-config: tlsplug",
         "#include <stdlib.h>",
         "#include <string.h>",
         "#include <tlsplug.h>",
         "",
         "typedef struct {",
         "    int status;",
         "    int has_detail;",
         "    int gnutls_error;",
         "    int alert;",
         "    int alert_direction;",
         "    char code[128];",
         "    char message[1024];",
         "    char gnutls[128];",
         "} tpg_err;",
         "",
         "static void tpg_text(const void *h, int field, char *buf, size_t cap) {",
         "    size_t len = 0;",
         "    buf[0] = 0;",
         "    int st = tlsplug_error_get(h, field, buf, cap, &len);",
         "    if (st == TLSPLUG_E_BUFSIZE) {",
         "        char *big = malloc(len + 1);",
         "        if (big && tlsplug_error_get(h, field, big, len + 1, &len) == TLSPLUG_OK) {",
         "            memcpy(buf, big, cap - 1);",
         "            buf[cap - 1] = 0;",
         "        }",
         "        free(big);",
         "    } else if (st != TLSPLUG_OK) {",
         "        buf[0] = 0;",
         "    }",
         "}",
         "",
         "static void tpg_fill(tpg_err *e, int st, const void *h) {",
         "    e->status = st;",
         "    e->has_detail = 0;",
         "    e->gnutls_error = 0;",
         "    e->alert = -1;",
         "    e->alert_direction = 0;",
         "    e->code[0] = e->message[0] = e->gnutls[0] = 0;",
         "    if (h == NULL || st == TLSPLUG_E_BADHANDLE) return;",
         "    int dst = 0;",
         "    if (tlsplug_error_detail(h, &dst, &e->gnutls_error, &e->alert, &e->alert_direction) != TLSPLUG_OK) return;",
         "    e->has_detail = 1;",
         "    tpg_text(h, TLSPLUG_ERROR_CODE, e->code, sizeof e->code);",
         "    tpg_text(h, TLSPLUG_ERROR_MESSAGE, e->message, sizeof e->message);",
         "    tpg_text(h, TLSPLUG_ERROR_GNUTLS, e->gnutls, sizeof e->gnutls);",
         "}",
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
    o += ["*/", 'import "C"', "", 'import "unsafe"', "", HELPERS,
          "// apiTableSize answers the size field of a table from tlsplug_get_api",
          "// and sizeof(struct tlsplug_api) in this layer's header: the table must",
          "// be at least that long (it only grows at its end; docs/ABI.md).",
          "func apiTableSize(t *C.tlsplug_api) (have, want int) {",
          "\treturn int(t.size), int(C.sizeof_tlsplug_api)",
          "}", "",
          "// abiVersion is the ABI version this layer was generated for.",
          f"const abiVersion = {abi}", "",
          "// libraryVersion is the registry's library version.",
          f"const libraryVersion = {go_string_lit(reg.lib['version'])}", ""]
    # Enums.
    for e in reg.enums:
        tname = camel(e["name"])
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
