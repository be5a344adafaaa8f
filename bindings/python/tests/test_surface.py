"""The binding's surface against the registry (abi/tlsplug.toml), read here
on its own: every plain getter (a function's `getter`) is reachable under
the snake_case of its Node name, as a property or a method as in Node, and
is the generated one (no hand-written twin); every registry function is
used by the binding or listed below as deliberately not exposed. Ruby's
test/surface_test.rb checks the same of the Ruby binding, so the two
bindings keep one surface. OptionParity reads the option tables of the
Python, Ruby and Go bindings (createSecureContext, connect, createServer)
and fails when one lacks an option another takes, unless NOT_APPLICABLE
says why that binding's idiom makes it moot."""
import inspect
import os
import re
import tomllib
import unittest

import support  # noqa: F401  (puts the package on sys.path)
import tlsplug
from tlsplug import _abi

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
REGISTRY = os.path.join(ROOT, "abi", "tlsplug.toml")
PACKAGE = os.path.dirname(os.path.abspath(tlsplug.__file__))
CLASSES = {"socket": tlsplug.TLSSocket, "server": tlsplug.Server,
           "context": tlsplug.SecureContext}
MIXINS = {"socket": "SocketGetters", "server": "ServerGetters", "context": "ContextGetters"}

# Registry functions this binding does not call, and why. Keep it short:
# a function that a binding should have is a gap, not a choice.
NOT_EXPOSED = {
    "tlsplug_socket_set_event_queue": "events arrive by callback (tlsplug_socket_on)",
    "tlsplug_socket_next_event": "events arrive by callback (tlsplug_socket_on)",
    "tlsplug_server_set_event_queue": "events arrive by callback (tlsplug_server_on)",
    "tlsplug_server_next_event": "events arrive by callback (tlsplug_server_on)",
    "tlsplug_socket_peek_output": "pull() copies the output (tlsplug_socket_pull)",
    "tlsplug_socket_consume_output": "pull() copies the output (tlsplug_socket_pull)",
    "tlsplug_socket_read": "cleartext arrives as 'data' events, buffered by the binding",
    "tlsplug_socket_feed_read": "cleartext arrives as 'data' events, batched (set_data_batch)",
    "tlsplug_socket_pull": "pull() takes the output with write_pull, one call per 64 KiB",
    "tlsplug_socket_set_npn_protocols": "NPN: GnuTLS answers E_UNSUPPORTED (use ALPN)",
    "tlsplug_server_accept": "the sans-IO server; Server runs on the loop",
    "tlsplug_socket_tick": "the sans-IO server's timer; the loop runs it",
    "tlsplug_server_session_store_fd": "the sans-IO server's session store; the loop polls it",
    "tlsplug_server_session_store_dispatch": "the sans-IO server's session store; the loop polls it",
    "tlsplug_socket_next_timeout": "the sans-IO server's timer; the loop runs it",
    "tlsplug_loop_run": "run() drives run_once / run_for, checking its predicate",
    "tlsplug_context_add_key_file": "a C convenience: Python reads the file (Node's fs.readFileSync)",
    "tlsplug_context_add_cert_file": "a C convenience: Python reads the file (Node's fs.readFileSync)",
    "tlsplug_context_add_ca_file": "a C convenience: Python reads the file (Node's fs.readFileSync)",
    "tlsplug_context_add_crl_file": "a C convenience: Python reads the file (Node's fs.readFileSync)",
    "tlsplug_context_add_pfx_file": "a C convenience: Python reads the file (Node's fs.readFileSync)",
    "tlsplug_socket_set_alpn_list": "a C convenience: alpn_protocols is a list already",
    "tlsplug_server_set_alpn_list": "a C convenience: alpn_protocols is a list already",
}


def snake(node):
    """Node's camelCase in snake_case (getTLSTicket -> get_tls_ticket),
    written apart from the generator's so the test checks it."""
    out = []
    for i, c in enumerate(node):
        if c.isupper() and i and (node[i - 1].islower() or node[i - 1].isdigit()
                                  or (i + 1 < len(node) and node[i + 1].islower())):
            out.append("_")
        out.append(c.lower())
    return "".join(out)


def registry_functions():
    with open(REGISTRY, "rb") as f:
        return tomllib.load(f)["function"]


def getter_of(fn):
    """(handle type, Node name, is a method) of a function's `getter`, or None."""
    g = fn.get("getter")
    if g is None:
        return None
    node = g if isinstance(g, str) else g["node"]
    return fn["params"][0]["type"], node.removesuffix("()"), node.endswith("()")


def hand_written_source():
    text = []
    for name in sorted(os.listdir(PACKAGE)):
        if name.endswith(".py") and name != "_abi.py":
            with open(os.path.join(PACKAGE, name), encoding="utf-8") as f:
                text.append(f.read())
    return "\n".join(text)


def owner(cls, name):
    """The class of cls's MRO whose own namespace defines `name`."""
    for c in cls.__mro__:
        if name in c.__dict__:
            return c
    return None


class Surface(unittest.TestCase):
    def test_registry_has_getters(self):
        self.assertGreaterEqual(sum(1 for fn in registry_functions() if getter_of(fn)), 10)

    def test_every_getter_is_reachable_under_its_node_name(self):
        for fn in registry_functions():
            g = getter_of(fn)
            if g is None:
                continue
            handle, node, method = g
            name = snake(node)
            with self.subTest(fn=fn["name"], name=name):
                cls = CLASSES[handle]
                attr = inspect.getattr_static(cls, name)
                if method:
                    self.assertTrue(callable(attr) and not isinstance(attr, property),
                                    f"{cls.__name__}.{name} should be a method (Node: {node}())")
                else:
                    self.assertIsInstance(attr, property,
                                          f"{cls.__name__}.{name} should be a property (Node: {node})")
                # the generated one: no hand-written twin shadows it
                self.assertIs(owner(cls, name), getattr(_abi, MIXINS[handle]))
                self.assertEqual(_abi.GETTERS[handle][name][0], fn["name"])
                self.assertEqual(_abi.GETTERS[handle][name][4], node)

    def test_generated_getters_are_all_from_the_registry(self):
        expected = {(getter_of(fn)[0], snake(getter_of(fn)[1]))
                    for fn in registry_functions() if getter_of(fn)}
        got = {(h, name) for h, table in _abi.GETTERS.items() for name in table}
        self.assertEqual(got, expected)

    def test_no_hand_written_getter_calls_the_c_function(self):
        src = hand_written_source()
        for fn in registry_functions():
            if getter_of(fn):
                short = fn["name"][len("tlsplug_"):]
                self.assertIsNone(re.search(r"\blib\." + short + r"\b", src),
                                  f"{fn['name']} is a generated getter: no hand-written call")

    def test_every_function_is_used_or_listed(self):
        src = hand_written_source()
        names = {fn["name"] for fn in registry_functions()}
        unused = set()
        for fn in registry_functions():
            n = fn["name"]
            short = n[len("tlsplug_"):]
            used = (getter_of(fn) is not None or re.search(r"\blib\." + short + r"\b", src)
                    or re.search(r"\b" + n + r"\b", src))
            if not used:
                unused.add(n)
            elif n in NOT_EXPOSED:
                self.fail(f"{n} is used by the binding: take it off NOT_EXPOSED")
        self.assertEqual(sorted(unused - NOT_EXPOSED.keys()), [],
                         "registry functions the binding neither uses nor lists in NOT_EXPOSED")
        self.assertEqual(sorted(NOT_EXPOSED.keys() - names), [], "NOT_EXPOSED names no function")

    def test_every_node_method_the_registry_names_is_here(self):
        # A registry function whose Node name is a call of Node's API
        # (tlsSocket.renegotiate(options, callback), server.addContext(...),
        # tls.getCiphers()) is a gap when the binding has no method of that
        # name, whatever NOT_EXPOSED says: only plumbing may be left out.
        missing = []
        for fn in registry_functions():
            for obj, method in NODE_CALL.findall(fn.get("node", "")):
                target = NODE_OBJECTS[obj]
                if not callable(getattr(target, snake(method), None)):
                    missing.append(f"{fn['name']}: {obj}.{method}() -> "
                                   f"{getattr(target, '__name__', target)}.{snake(method)}")
        self.assertEqual(missing, [], "Node methods the binding lacks")


# obj.method( in a registry `node` field, not after `new` (a constructor).
NODE_CALL = re.compile(r"(?<!new )\b(tls|tlsSocket|socket|server)\.(\w+)\(")
NODE_OBJECTS = {"tls": tlsplug, "tlsSocket": tlsplug.TLSSocket, "socket": tlsplug.TLSSocket,
                "server": tlsplug.Server}


# ------------------------------------------------------------------ options
# The option names each binding accepts, read from its own source (Python's
# from the package), so that a binding lacking an option another has fails
# here unless a line below says why it does not apply there.
RUBY_LIB = os.path.join(ROOT, "bindings", "ruby", "lib")
GO_PKG = os.path.join(ROOT, "bindings", "go", "tlsplug")
KINDS = ("context", "connect", "server")


def _read(*parts):
    with open(os.path.join(*parts), encoding="utf-8") as f:
        return f.read()


def python_options():
    from tlsplug import server, tlssocket
    extra = {p for p in inspect.signature(tlsplug.connect).parameters
             if p not in ("options",)}
    return {"context": set(tlssocket._CONTEXT_OPTIONS),
            "connect": set(tlssocket._CONNECT_OPTIONS) | extra,
            "server": set(server._SERVER_OPTIONS)}


def _ruby_symbols(text, const):
    m = re.search(const + r" = %i\[([^\]]*)\]", text)
    if m is None:
        raise AssertionError(f"{const} not found in the Ruby binding")
    return set(m.group(1).split())


def ruby_options():
    main = _read(RUBY_LIB, "tlsplug.rb")
    connect = re.search(r"def self\.connect\(.*?\n  end\n", main, re.S).group(0)
    # connect's own keys (taken off before the options check), and its
    # block, the 'secureConnect' listener (Python's on_secure_connect).
    extra = set(re.findall(r"options\.delete\(:(\w+)\)", connect)) | {"on_secure_connect"}
    return {"context": _ruby_symbols(_read(RUBY_LIB, "tlsplug", "context.rb"), "CONTEXT_OPTIONS"),
            "connect": _ruby_symbols(main, "CONNECT_OPTIONS") | extra,
            "server": _ruby_symbols(_read(RUBY_LIB, "tlsplug", "server.rb"), "SERVER_OPTIONS")}


def go_snake(name):
    """Go's exported field name in the bindings' snake_case (ALPNProtocols
    -> alpn_protocols, SessionIDContext -> session_id_context)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def _go_fields(text, struct):
    body = re.search(r"type " + struct + r" struct \{\n(.*?)\n\}", text, re.S).group(1)
    names = set()
    for line in body.splitlines():
        m = re.match(r"\t([A-Z]\w*(?:, [A-Z]\w*)*) ", line)
        if m:
            names.update(m.group(1).split(", "))
    return names


# Go's spelling where the snake_case of its field is not the others' name.
GO_ALIASES = {"server_name": "servername", "dh_param": "dhparam",
              "ticket_keys_source": "ticket_keys",  # the 48 bytes' file or Redis key
              "config": "secure_context",  # TLSServer.Config: the server's own context
              # Node's one pskCallback is a field per role in Go
              "client_psk_callback": "psk_callback", "server_psk_callback": "psk_callback"}


def go_options():
    """Go has one Config for clients, servers and contexts, and TLSServer's
    fields for a server; the On* fields are Node's events, not options."""
    fields = (_go_fields(_read(GO_PKG, "config.go"), "Config")
              | _go_fields(_read(GO_PKG, "server.go"), "TLSServer"))
    names = {GO_ALIASES.get(go_snake(f), go_snake(f)) for f in fields if not f.startswith("On")}
    return names


# Options a binding does not take, and why (its idiom does the job).
NOT_APPLICABLE = {
    "ruby": {
        **{f: "Python's ssl-style file options; Ruby reads the file (File.read), as Node's "
              "fs.readFileSync" for f in ("cafile", "certfile", "keyfile", "crlfile", "pfxfile")},
    },
    "go": {
        **{f: "Python's ssl-style file options; Go reads the file (os.ReadFile)"
           for f in ("cafile", "certfile", "keyfile", "crlfile", "pfxfile")},
        "host": "Dial's address (net.Dial's host:port)",
        "port": "Dial's address (net.Dial's host:port)",
        "path": "Dial(\"unix\", path, cfg)",
        "socket": "Client(conn, cfg) over any net.Conn",
        "lookup": "DialContext's net.Dialer (its Resolver), or Client over a conn dialled any way",
        "timeout": "net.Conn deadlines (SetDeadline) and DialContext's context",
        "loop": "goroutines: Go has no tlsplug loop",
        "on_secure_connect": "Dial returns once the handshake is done",
        "high_water_mark": "a Conn is read into the caller's buffer (io.Reader); nothing is "
                           "buffered ahead of the reader",
        "allow_half_open": "a Conn stays writable after Read's io.EOF until Close or CloseWrite",
        "pause_on_connect": "a Conn reads only when the caller reads: every Conn starts paused",
    },
    "python": {},
}


class OptionParity(unittest.TestCase):
    """Every option one binding takes exists in the others, or is listed in
    NOT_APPLICABLE with the reason."""

    def test_ruby_takes_python_options_and_back(self):
        py, rb = python_options(), ruby_options()
        for kind in KINDS:
            with self.subTest(kind=kind):
                self.assertEqual(sorted(py[kind] - rb[kind] - NOT_APPLICABLE["ruby"].keys()), [],
                                 f"{kind} options Python takes and Ruby does not")
                self.assertEqual(sorted(rb[kind] - py[kind] - NOT_APPLICABLE["python"].keys()),
                                 [], f"{kind} options Ruby takes and Python does not")

    def test_go_takes_every_option_of_the_others(self):
        py, rb, go = python_options(), ruby_options(), go_options()
        others = set().union(*py.values(), *rb.values())
        self.assertEqual(sorted(others - go - NOT_APPLICABLE["go"].keys()), [],
                         "options Python or Ruby take and Go does not")
        self.assertEqual(sorted(go - others), [], "options Go takes and Python and Ruby do not")

    def test_not_applicable_lists_only_missing_options(self):
        py, rb, go = python_options(), ruby_options(), go_options()
        have = {"python": set().union(*py.values()), "ruby": set().union(*rb.values()), "go": go}
        for binding, listed in NOT_APPLICABLE.items():
            self.assertEqual(sorted(listed.keys() & have[binding]), [],
                             f"{binding} takes these: take them off NOT_APPLICABLE")

    def test_the_readers_see_the_options(self):
        # The parsers above must find the tables: a known option of each kind.
        for name, opts in (("python", python_options()), ("ruby", ruby_options())):
            self.assertIn("ciphers", opts["context"], name)
            self.assertIn("servername", opts["connect"], name)
            self.assertIn("ticket_keys", opts["server"], name)
        self.assertTrue({"ciphers", "servername", "ticket_keys", "session_key",
                         "alpn_callback"} <= go_options())


if __name__ == "__main__":
    unittest.main()
