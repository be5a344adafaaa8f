"""Helpers shared by the second half of the Node port (files after
`legacy-deprecated`), on top of nodeport: live peers that run *while* the
tlsplug loop serves, since node_eval blocks until node is done.

`NodePeer(js)` starts node with nodeport's prelude (tls, fs, pem(), P,
report()) in the background; `peer.result(test)` drives the thread's tlsplug
loop until node reported and answers the decoded value. `run_openssl(test,
args)` does the same for an openssl command."""
import json
import os
import subprocess
import tempfile

import nodeport
import tlsplug  # noqa: E402  (nodeport put the binding on sys.path)
from nodeport import (LoopTestCase, close_server, listening_server, need_pki, node_eval,  # noqa: F401
                      pki, run_until)

# Every wait is bounded: node's own watchdog, then this.
PEER_TIMEOUT = 15.0


def pki_path(name: str) -> str:
    """The path of a PKI file, for peers that read files themselves."""
    return os.path.join(nodeport.PKI, name)


def _node_env():
    return {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}


class NodePeer:
    """A node process running `js` (with the prelude) next to the test's
    loop; `port` is handed to the script as the global PORT."""

    def __init__(self, js: str, port: int = 0, timeout: float = 10.0):
        if not nodeport.NODE:
            raise RuntimeError("node is not installed (TLSPLUG_NODE)")
        script = (nodeport._PRELUDE % int(timeout * 1000)) + f"const PORT={int(port)};" + js
        self.proc = subprocess.Popen([nodeport.NODE, "-e", script, nodeport.PKI],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=_node_env())

    def result(self, test):
        """Drive the loop until node exits; answers what it reported."""
        run_until(test, lambda: self.proc.poll() is not None, timeout=PEER_TIMEOUT,
                  what="the node peer", poll_ms=20)
        out, err = self.proc.communicate(timeout=5)
        lines = [ln for ln in out.splitlines() if ln.strip()]
        if not lines:
            test.fail(f"node reported nothing (exit {self.proc.returncode}): {err[-2000:]}")
        return json.loads(lines[-1])

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


def run_openssl(test, args, stdin: bytes = b""):
    """Run `openssl <args>` next to the loop (stdin given, then closed);
    answers (exit code, stdout+stderr as text)."""
    if not nodeport.OPENSSL:
        test.skipTest("openssl is not installed")
    with tempfile.TemporaryFile() as out:  # a file: a full pipe would stall openssl
        proc = subprocess.Popen([nodeport.OPENSSL] + list(args), stdin=subprocess.PIPE,
                                stdout=out, stderr=subprocess.STDOUT)
        proc.stdin.write(stdin)
        proc.stdin.close()
        try:
            run_until(test, lambda: proc.poll() is not None, timeout=PEER_TIMEOUT,
                      what="openssl", poll_ms=20)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        out.seek(0)
        return proc.returncode, out.read().decode("utf-8", "replace")
