"""Shared by the ports of Node's tls tests (tests/node/test_*.py).

Brings in the Python binding's test support (the PKI, loop helpers) and
the live oracle: `node_eval` runs a scenario in the installed node and
answers what it reported, so a port compares the binding with what Node
does in the same run instead of with a string copied from Node's file."""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "bindings", "python", "tests"))

import support  # noqa: E402  (puts the binding itself on sys.path)
from support import (LoopTestCase, close_server, listening_server, need_pki, pki,  # noqa: E402,F401
                     run_until)

NODE = os.environ.get("TLSPLUG_NODE") or None
OPENSSL = os.environ.get("TLSPLUG_OPENSSL") or None
PKI = support.PKI

# The prelude every oracle script gets: tls, fs, P (the PKI directory),
# report(value) which prints one JSON line and exits, and a watchdog.
_PRELUDE = ("'use strict';const tls=require('tls'),fs=require('fs'),net=require('net');"
            "const P=process.argv[1];const pem=n=>fs.readFileSync(P+'/'+n);"
            "function report(v){process.stdout.write(JSON.stringify(v)+'\\n');process.exit(0)}"
            "setTimeout(()=>report({timeout:true}),%d).unref();")


def node_eval(js: str, timeout: float = 10.0):
    """Run `js` in node with the prelude; it must call report(value).
    Answers value (decoded JSON). Bounded: node's own watchdog reports
    {timeout: true} after `timeout` s, and the process is killed 10 s later."""
    if not NODE:
        raise RuntimeError("node is not installed (TLSPLUG_NODE)")
    script = _PRELUDE % int(timeout * 1000) + js
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    out = subprocess.run([NODE, "-e", script, PKI], capture_output=True, text=True,
                         timeout=timeout + 10, env=env)
    lines = [ln for ln in out.stdout.splitlines() if ln.strip()]
    if not lines:
        raise AssertionError(f"node reported nothing (exit {out.returncode}): {out.stderr[-2000:]}")
    return json.loads(lines[-1])
