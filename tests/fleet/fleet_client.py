"""A tlsplug (Python binding) client for the fleet tests: connects to each
port in turn, offering the latest session it was given (the `session`
event: a TLS 1.3 ticket), and prints one "PORT resumed=yes|no" line per
connection. Usage: fleet_client.py CA PORT..."""
import sys

import tlsplug


def main():
    ca = open(sys.argv[1], "rb").read()
    ports = [int(p) for p in sys.argv[2:]]
    state = {"session": None}

    def one(port):
        done = {"end": False}
        opts = {"ca": ca, "servername": "localhost", "min_version": "TLSv1.3"}
        if state["session"]:
            opts["session"] = state["session"]
        sock = tlsplug.connect(port, "127.0.0.1", **opts)
        got = {"session": False}

        def on_session(blob):
            state["session"] = blob
            got["session"] = True

        def on_data(data):
            # The welcome follows the server's tickets on the wire.
            if b"welcome!" in data:
                print("%d resumed=%s" % (port, "yes" if sock.is_session_reused() else "no"),
                      flush=True)
                sock.end()

        sock.on("session", on_session)
        sock.on("data", on_data)
        sock.on("close", lambda *a: done.__setitem__("end", True))
        sock.on("error", lambda err: print("%d error %s" % (port, err), flush=True))
        tlsplug.run(timeout=20, until=lambda: done["end"])

    for port in ports:
        one(port)


main()
