"""The library's manual page, libtlsplug(3): docs/man/libtlsplug.3.

Loaded by abi/gen.py, which calls outputs(reg, banner). The page holds the
ABI's conventions (handles, ownership, errors, threads, the pump, the loop,
plugins) in short, and an index generated from the registry: every
function with its prototype and the first sentence of its doc, by object
and topic as docs/API.md orders them, then the status codes and the events.
docs/ABI.md and docs/API.md stay the full reference; the page is what
`man 3 libtlsplug` shows on a machine with only the -dev package.
"""
import re

MAN_PATH = "docs/man/libtlsplug.3"


# abi/gen.py for signature(): it loads this module and runs with abi/ on
# sys.path, so it imports here as a plain module.
import gen as GEN  # noqa: E402


def roff(text):
    """Text safe in a roff line: backslashes doubled, hyphens made literal
    minus signs (option and function names copy as typed), and no line
    starting with a control character."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    text = re.sub(r"\s+", " ", text).strip()
    if text[:1] in (".", "'"):
        text = "\\&" + text
    return text


def first_sentence(doc):
    """The doc's first sentence: up to the first '. ' that ends one (not
    inside a parenthesis or after 'e.g'), or all of it."""
    doc = re.sub(r"\s+", " ", doc).strip()
    depth = 0
    for i, ch in enumerate(doc):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif ch == "." and depth == 0 and (i + 1 == len(doc) or doc[i + 1] == " "):
            before = doc[max(0, i - 4):i]
            if not before.endswith(("e.g", "i.e", "etc")):
                return doc[:i + 1]
    return doc


CONVENTIONS = [
    ("Handles",
     "Every object is an opaque handle: tlsplug_context (a SecureContext), "
     "tlsplug_socket (a TLSSocket), tlsplug_server (a tls.Server) and tlsplug_loop "
     "(the optional libuv loop). A _new function makes one, a _free function "
     "releases it; a freed or wrong handle answers TLSPLUG_E_BADHANDLE, never a "
     "crash. A context is frozen (immutable, shareable across threads) the first "
     "time a socket uses it."),
    ("Errors",
     "Every function answers TLSPLUG_OK (0) or a negative status. The detail of a "
     "failure (a message, Node's error code such as ECONNRESET or "
     "CERT_HAS_EXPIRED, the GnuTLS error, the alert) stays on the handle until "
     "the next call on it, and is read with tlsplug_error_get() and "
     "tlsplug_error_detail(). TLSPLUG_E_AGAIN and TLSPLUG_E_BUFSIZE are want "
     "states (retry after feeding, pulling or with a larger buffer), not failures."),
    ("Buffers",
     "An output buffer comes with its capacity and a length out-parameter; when it "
     "is too small the call answers TLSPLUG_E_BUFSIZE and writes the length needed."),
    ("Threads",
     "A socket, server or loop is used by one thread at a time; a frozen context "
     "may be shared. Callbacks run on the thread that made the call that raised "
     "them."),
    ("The pump",
     "Without the loop, the host owns the IO: it feeds ciphertext in "
     "(tlsplug_socket_feed), pulls ciphertext out (tlsplug_socket_pull), writes and "
     "reads cleartext, and hears Node's events (secureConnect, secure, data, end, "
     "close, error, ...) through a callback or an event queue."),
    ("The loop",
     "tlsplug_loop gives Node's tls.connect and server.listen on real sockets, "
     "with Node's timers. A library built without libuv answers "
     "TLSPLUG_E_UNSUPPORTED from every loop function."),
    ("Plugins",
     "A host that loads the library with dlopen(3) calls tlsplug_get_api() for a "
     "table of every function (struct tlsplug_api); <tlsplug_loader.h> does the "
     "loading. Table slots and values are only ever appended: a program built "
     "against an older header runs on a newer library of the same major version."),
]


def outputs(reg, banner):
    lib = reg.lib
    o = [f'.\\" {banner}',
         f'.TH LIBTLSPLUG 3 "2026" "libtlsplug {lib["version"]}" "Library Functions Manual"',
         '.\\" Hyphenation off: function names must not break.',
         ".nh",
         ".SH NAME",
         "libtlsplug \\- Node.js's tls module as a C library on GnuTLS",
         ".SH SYNOPSIS",
         ".nf",
         ".B #include <tlsplug.h>",
         ".PP",
         ".B cc prog.c $(pkg\\-config \\-\\-cflags \\-\\-libs tlsplug)",
         ".fi",
         ".SH DESCRIPTION",
         roff(f"libtlsplug.so.{lib['soname_major']} implements Node.js's tls module "
              "(TLSSocket, tls.Server, connect, createServer, createSecureContext, "
              f"SecurePair) behind a stable C ABI, ABI version {lib['abi_version']}. "
              "Names, options, events and error codes are Node's.")]
    for title, text in CONVENTIONS:
        o += [".SS " + roff(title), roff(text)]
    o.append(".SH FUNCTIONS")
    o.append(roff("By object, then topic. Each answers a status unless its prototype "
                  "says otherwise."))
    for obj, groups in reg.by_object():
        o.append(".SS " + roff(obj.capitalize() if obj == "library" else f"tlsplug_{obj}"))
        for group, fns in groups:
            if group and group != obj:
                o += [".PP", ".I " + roff(group)]
            for fn in fns:
                o += [".TP", ".B " + roff(fn["name"]),
                      ".nf", roff(GEN.signature(reg, fn)) + ";", ".fi",
                      roff(first_sentence(fn["doc"]))]
                if fn.get("node"):
                    o.append(roff(f"Node: {fn['node']}."))
    status = reg.enum("status")
    o += [".SH STATUS CODES"]
    for v in status["values"]:
        o += [".TP", ".B " + roff(f"{status['prefix']}{v['name']}") + f" ({v['value']})",
              roff(v["doc"])]
    events = reg.enum("event")
    o += [".SH EVENTS", roff("Raised through tlsplug_socket_on() and tlsplug_server_on() "
                             "(or an event queue); the Node name is the listener's.")]
    for v in events["values"]:
        node = f" \\(em {roff(v['node'])}" if v.get("node") else ""
        o += [".TP", ".B " + roff(f"{events['prefix']}{v['name']}") + node,
              roff(first_sentence(v["doc"]))]
    o += [".SH FILES",
          ".TP", ".I <tlsplug.h>", roff("The declarations, generated from the ABI registry."),
          ".TP", ".I <tlsplug_loader.h>", roff("Loading the library with dlopen(3) through "
                                               "tlsplug_get_api()."),
          ".TP", ".I tlsplug.pc", roff("pkg-config(1) flags; a CMake package exports "
                                       "tlsplug::tlsplug."),
          ".SH SEE ALSO",
          ".BR tlsplug (1),",
          ".BR gnutls_init (3)",
          ".PP",
          roff("docs/ABI.md (conventions and the stability policy) and docs/API.md "
               "(every function, parameter and code) in the source distribution."),
          ""]
    return {MAN_PATH: "\n".join(o)}
