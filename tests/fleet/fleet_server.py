"""A Python tlsplug server for the fleet tests: Node's echo server
("welcome!\n", then the echo). Prints "listening on 127.0.0.1:PORT" once
bound; one "connection resumed=yes|no" line per secure connection on
stderr. Options: --cert --key --session-store URL --ticket-keys FILE
--session-timeout S."""
import argparse
import sys

import tlsplug


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--session-store")
    ap.add_argument("--ticket-keys")
    ap.add_argument("--session-timeout", type=int)
    a = ap.parse_args()
    opts = {"cert": open(a.cert, "rb").read(), "key": open(a.key, "rb").read()}
    if a.session_store:
        opts["session_store"] = a.session_store
    if a.ticket_keys:
        # A file's bytes, or a redis:// source the library reads itself.
        opts["ticket_keys"] = (a.ticket_keys if a.ticket_keys.startswith("redis")
                               else open(a.ticket_keys, "rb").read())
    if a.session_timeout:
        opts["session_timeout"] = a.session_timeout

    def on_secure(sock):
        print("connection resumed=%s" % ("yes" if sock.is_session_reused() else "no"),
              file=sys.stderr, flush=True)
        sock.write(b"welcome!\n")
        sock.on("data", sock.write)
        sock.on("error", lambda err: None)  # a client that leaves abruptly

    server = tlsplug.create_server(opts, on_secure)
    server.listen(0, "127.0.0.1", callback=lambda: print(
        "listening on 127.0.0.1:%d" % server.address()["port"], flush=True))
    tlsplug.run()


main()
