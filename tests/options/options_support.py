"""Plumbing for the options tests: paths, child processes, and the peers.

Every peer is a real program run as a child on 127.0.0.1: tls_tool (our
library), openssl s_server/s_client, Node's tls (node_peer.js). Every wait
is bounded, every child is killed in tearDown, and nothing listens on a
fixed port: tls_tool and s_server bind port 0 and say which port they got.
The environment comes from ctest (tests/options/CMakeLists.txt):

  TLSPLUG_PKI        the test PKI (tests/support/make_pki.sh)
  TLSPLUG_TLS_TOOL   tests/options/tls_tool
  TLSPLUG_OPENSSL, TLSPLUG_NODE, TLSPLUG_CERTTOOL, TLSPLUG_GNUTLS_SERV
"""

import json
import os
import re
import subprocess
import tempfile
import time
import unittest
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from peer import TIMEOUT, Peer, env_path, pki  # noqa: E402  (tests/support/peer.py)


HERE = os.path.dirname(os.path.abspath(__file__))

def pem_der(path, index=0):
    """The DER bytes of the index-th PEM block of a file."""
    import base64
    with open(path, "rb") as f:
        blocks = re.findall(rb"-----BEGIN [A-Z0-9 ]+-----\r?\n(.*?)-----END", f.read(), re.S)
    return base64.b64decode(b"".join(blocks[index].split()))


def json_lines(data):
    """The JSON objects among the lines of a byte string, in order."""
    events = []
    for line in data.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if line.startswith("{"):
            events.append(json.loads(line))
    return events


# What ASan, LeakSanitizer and UBSan print when tls_tool is built with
# TLSPLUG_SANITIZE: any of it fails the test, whatever the exit status.
SANITIZER_REPORT = re.compile(rb"ERROR: (Address|Leak)Sanitizer|runtime error: |SUMMARY: \w+Sanitizer")


class ToolResult:
    """What one tls_tool run printed: exit status and its JSON events."""

    def __init__(self, peer, rc):
        self.peer = peer
        self.rc = rc
        if SANITIZER_REPORT.search(peer.err):
            raise AssertionError(f"sanitizer report from tls_tool\n{peer.describe()}")
        self.events = json_lines(peer.out)

    def first(self, name):
        for e in self.events:
            if e.get("event") == name:
                return e
        return None

    def secure(self):
        return self.first("secure")

    def error(self):
        return self.first("error") or self.first("option-error")

    def describe(self):
        return self.peer.describe()


class OptionsCase(unittest.TestCase):
    """Base class: starts peers, kills them all in tearDown, and gives each
    test a scratch directory."""

    def setUp(self):
        self.peers = []
        self.addCleanup(self._kill_peers)
        self._tmp = tempfile.TemporaryDirectory(prefix="tlsplug-options-")
        self.addCleanup(self._tmp.cleanup)

    def _kill_peers(self):
        for p in self.peers:
            p.kill()

    def start(self, name, argv, env=None):
        p = Peer(name, argv, env=env)
        self.peers.append(p)
        return p

    def tmp(self, name, data=None):
        path = os.path.join(self._tmp.name, name)
        if data is not None:
            with open(path, "wb") as f:
                f.write(data)
        return path

    def run_cmd(self, argv, timeout=TIMEOUT, check=True):
        """Run a helper command (certtool, openssl req...) to completion."""
        cp = subprocess.run([str(a) for a in argv], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        if check and cp.returncode != 0:
            self.fail(f"{' '.join(map(str, argv))} failed ({cp.returncode}):\n"
                      f"{cp.stdout.decode(errors='replace')}{cp.stderr.decode(errors='replace')}")
        return cp

    # ---- tls_tool

    def tool_server(self, *args):
        """tls_tool server on an ephemeral port: (peer, port)."""
        p = self.start("tls_tool server", [env_path("TLSPLUG_TLS_TOOL"), "server", "--port", "0",
                                           *args])
        m = p.wait_for(rb"^PORT (\d+)$|^\{\"event\":\"option-error\"")
        if not m.group(1):
            self.fail(f"tls_tool server refused its options\n{p.describe()}")
        return p, int(m.group(1))

    def tool_run(self, mode, *args, timeout=TIMEOUT):
        """tls_tool client (or a server that is expected to refuse its
        options) run to completion: a ToolResult."""
        p = self.start(f"tls_tool {mode}", [env_path("TLSPLUG_TLS_TOOL"), mode, *args])
        p.close_stdin()
        rc = p.wait(timeout)
        return ToolResult(p, rc)

    def tool_client(self, port, *args, timeout=TIMEOUT):
        return self.tool_run("client", "--port", port, *args, timeout=timeout)

    def tool_finish(self, peer, timeout=TIMEOUT):
        """Wait for a tls_tool server to exit: its ToolResult."""
        rc = peer.wait(timeout)
        return ToolResult(peer, rc)

    def tool_options_refused(self, mode, *args):
        """Run tls_tool with options one of which must be refused at set
        time: answers the option-error event."""
        # Should the options be accepted after all, a server waits (briefly)
        # on an ephemeral port and a client meets a closed one.
        r = self.tool_run(mode, "--port", "0" if mode == "server" else "1", "--timeout", "3", *args)
        self.assertEqual(r.rc, 2, f"expected an option to be refused\n{r.describe()}")
        e = r.first("option-error")
        self.assertIsNotNone(e, r.describe())
        return e

    def assert_secure(self, result, msg=""):
        s = result.secure()
        self.assertIsNotNone(s, f"{msg}: no secure event\n{result.describe()}")
        return s

    # ---- openssl

    def s_server(self, *args, cert="server.pem", key="server.key", chain="int.pem", naccept=1):
        """openssl s_server for `naccept` connections on an ephemeral port,
        in -rev mode (each line comes back reversed): (peer, port)."""
        argv = [env_path("TLSPLUG_OPENSSL"), "s_server", "-accept", "127.0.0.1:0",
                "-naccept", str(naccept), "-rev"]
        if cert:
            argv += ["-cert", pki(cert) if "/" not in cert else cert,
                     "-key", pki(key) if "/" not in key else key]
        if chain:
            argv += ["-cert_chain", pki(chain) if "/" not in chain else chain]
        p = self.start("openssl s_server", argv + list(args))
        m = p.wait_for(rb"^ACCEPT .*:(\d+)$")
        return p, int(m.group(1))

    def s_client(self, port, *args, token=None, expect_ok=True):
        """openssl s_client to 127.0.0.1:port. With expect_ok, waits for
        the handshake line, sends a token line, waits for it to come back
        (echoed or reversed) and ends; otherwise waits for it to exit.
        Answers (peer, text of everything it printed)."""
        argv = [env_path("TLSPLUG_OPENSSL"), "s_client", "-connect", f"127.0.0.1:{port}",
                "-CAfile", pki("ca.pem"), "-servername", "localhost", *args]
        p = self.start("openssl s_client", argv)
        if not expect_ok:
            p.close_stdin()
            p.wait()
            return p, p.text()
        m = p.wait_for(rb"^New, (\S+), Cipher is ")
        if m.group(1) == b"(NONE)":
            raise AssertionError(f"s_client: the handshake failed\n{p.describe()}")
        token = token or f"token-{os.getpid()}-{time.monotonic_ns()}"
        p.write(token.encode() + b"\n")
        p.wait_for(re.escape(token.encode()) + rb"|" + re.escape(token[::-1].encode()))
        p.close_stdin()
        p.wait()
        return p, p.text()

    # ---- node

    def node(self, mode, config, timeout=TIMEOUT):
        """node_peer.js run to completion: its JSON events (a list)."""
        p = self.start(f"node {mode}", [env_path("TLSPLUG_NODE"), os.path.join(HERE, "node_peer.js"),
                                        mode, json.dumps(config)])
        p.close_stdin()
        p.wait(timeout)
        return json_lines(p.out), p

    def node_server(self, config):
        """node_peer.js server on an ephemeral port: (peer, port)."""
        p = self.start("node server", [env_path("TLSPLUG_NODE"), os.path.join(HERE, "node_peer.js"),
                                       "server", json.dumps(config)])
        m = p.wait_for(rb"^PORT (\d+)$")
        return p, int(m.group(1))


def first(events, name):
    for e in events:
        if e.get("event") == name:
            return e
    return None


# ---- openssl output

def s_client_facts(text):
    """What openssl s_client reports about the session: protocol (from
    "Protocol  :" when present, else the "New," line), cipher, server temp
    key, server public key bits, and the server certificate's DER."""
    facts = {}
    m = re.search(r"^New, (\S+), Cipher is (\S+)", text, re.M)
    if m:
        facts["new_protocol"], facts["cipher"] = m.group(1), m.group(2)
    m = re.search(r"^\s*Protocol\s*: (\S+)", text, re.M)
    facts["protocol"] = m.group(1) if m else None
    m = re.search(r"^Server Temp Key: (.*)$", text, re.M)
    facts["temp_key"] = m.group(1).strip() if m else None
    m = re.search(r"^Server public key is (\d+) bit", text, re.M)
    facts["server_key_bits"] = int(m.group(1)) if m else None
    m = re.search(r"^Server certificate\n-----BEGIN CERTIFICATE-----\n(.*?)-----END CERTIFICATE-----",
                  text, re.M | re.S)
    if m:
        import base64
        facts["cert_der"] = base64.b64decode("".join(m.group(1).split()))
    m = re.search(r"^Peer signature type: (\S+)", text, re.M)
    facts["sig_type"] = m.group(1) if m else None
    return facts
