"""The Python binding's client for fragment.py: tlsplug.connect to
127.0.0.1, write one line once secure, read until the expected reply is
in, end, wait for 'close'. Options come as one JSON argument (see
fragment.py); one JSON line reports what happened. Every wait is bounded
by the options' timeout."""
import json
import sys
import time

import tlsplug


def read(path):
    with open(path, "rb") as f:
        return f.read()


def main():
    o = json.loads(sys.argv[1])
    opts = {"ca": read(o["ca"]), "servername": o["servername"]}
    if o.get("cert"):
        opts["cert"], opts["key"] = read(o["cert"]), read(o["key"])
    r = {"secure": False, "authorized": None, "authorizationError": None, "protocol": None,
         "got": "", "error": None, "closed": False}
    got = bytearray()
    expect = o["expect"].encode()
    start = time.monotonic()

    c = tlsplug.connect(o["port"], "127.0.0.1", **opts)

    def on_secure():
        r["secure"] = True
        r["handshakeMs"] = round((time.monotonic() - start) * 1000)
        r["authorized"] = c.authorized
        r["authorizationError"] = c.authorization_error
        r["protocol"] = c.get_protocol()
        c.write(o["line"].encode())

    def on_data(d):
        got.extend(d)
        if expect in got:
            c.end()

    def on_error(e):
        r["error"] = r["error"] or f"{type(e).__name__}: {e}"

    c.on("secureConnect", on_secure)
    c.on("data", on_data)
    c.on("error", on_error)
    c.on("close", lambda *_: r.__setitem__("closed", True))
    tlsplug.run(timeout=o["timeout"], until=lambda: r["closed"])
    if not r["closed"]:
        r["error"] = r["error"] or ("timeout: " + ("no reply" if r["secure"] else "handshake not done")
                                    + f" after {o['timeout']} s")
        c.destroy()
        tlsplug.run(timeout=1, until=lambda: r["closed"])
    r["got"] = got.decode("utf-8", "replace")
    print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
