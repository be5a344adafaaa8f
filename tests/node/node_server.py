"""A live node TLS server beside the tlsplug loop, for ports whose oracle
is the server end. The script (with nodeport's prelude: tls, pem(), report())
must make a server `s`; it is put on an ephemeral port of 127.0.0.1, which
node prints first, and node's later report() line is the result."""
import json
import os
import subprocess

import nodeport


class NodeServer:
    def __init__(self, js: str, timeout: float = 15.0):
        script = (nodeport._PRELUDE % int(timeout * 1000) + js
                  + ";s.listen(0,'127.0.0.1',()=>process.stdout.write("
                    "JSON.stringify({port:s.address().port})+'\\n'))")
        env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
        self.timeout = timeout
        self.proc = subprocess.Popen([nodeport.NODE, "-e", script, nodeport.PKI],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=env)
        first = self.proc.stdout.readline()  # bounded by node's own watchdog
        if not first:
            raise AssertionError("node server did not start: " + self.proc.stderr.read()[-2000:])
        info = json.loads(first)
        if "port" not in info:
            raise AssertionError(f"node server reported {info} before listening")
        self.port = info["port"]

    def report(self):
        """node's report(value), once it made it (waits, bounded)."""
        out, err = self.proc.communicate(timeout=self.timeout + 10)
        lines = [ln for ln in out.splitlines() if ln.strip()]
        if not lines:
            raise AssertionError(f"node reported nothing: {err[-2000:]}")
        return json.loads(lines[-1])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate()


def node_eval_internals(before: str, js: str, timeout: float = 10.0):
    """nodeport.node_eval with node's --expose-internals, `before` running
    ahead of the prelude (so ahead of require('tls')): for oracles that stub
    node's own binding as Node's test does (an OpenSSL without engine
    support, say). Bounded like node_eval."""
    script = before + nodeport._PRELUDE.replace("'use strict';", "") % int(timeout * 1000) + js
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    out = subprocess.run([nodeport.NODE, "--expose-internals", "-e", script, nodeport.PKI],
                         capture_output=True, text=True, timeout=timeout + 10, env=env)
    lines = [ln for ln in out.stdout.splitlines() if ln.strip()]
    if not lines:
        raise AssertionError(f"node reported nothing (exit {out.returncode}): {out.stderr[-2000:]}")
    return json.loads(lines[-1])
