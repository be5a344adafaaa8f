#!/usr/bin/env python3
"""echo_server: Node's tls.createServer() echo example, in Python on tlsplug.

    const server = tls.createServer(options, (socket) => {
      console.log('server connected',
                  socket.authorized ? 'authorized' : 'unauthorized');
      socket.write('welcome!\\n');
      socket.setEncoding('utf8');
      socket.pipe(socket);
    });
    server.listen(8000, () => { console.log('server bound'); });

The server runs on tlsplug's event loop (libuv, in C): tlsplug.run() serves
every connection at once, in this thread. Needs the tlsplug package
(bindings/python) and libtlsplug.so.1 (TLSPLUG_LIBRARY or the system path).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "bindings", "python"))
import tlsplug  # noqa: E402


def read(path):
    with open(path, "rb") as f:
        return f.read()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--key", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--ca", help="trusted CAs for client certificates")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    ap.add_argument("--request-cert", action="store_true")
    ap.add_argument("--insecure", action="store_true", help="rejectUnauthorized: false")
    ap.add_argument("--once", action="store_true", help="exit after the first connection")
    ap.add_argument("--timeout", type=float, default=None, help="seconds to run at most")
    args = ap.parse_args()

    options = {
        "key": read(args.key),
        "cert": read(args.cert),
        "ca": read(args.ca) if args.ca else None,
        "request_cert": args.request_cert,
        "reject_unauthorized": not args.insecure,
    }

    def on_secure_connection(socket):
        print("server connected", "authorized" if socket.authorized else "unauthorized",
              flush=True)
        socket.write("welcome!\n")
        # socket.pipe(socket), with Node's back-pressure
        socket.on("data", lambda data: socket.write(data) or socket.pause())
        socket.on("drain", socket.resume)
        socket.on("error", lambda e: print(f"server connection error {e.code}: {e.message}",
                                           file=sys.stderr, flush=True))
        if args.once:
            socket.on("close", lambda had_error: server.close())

    server = tlsplug.create_server(options, on_secure_connection)
    server.on("tlsClientError", lambda e, s: print(f"tlsClientError {e.code}", file=sys.stderr,
                                                   flush=True))

    def on_listening():
        a = server.address()
        print(f"listening on {a['address']}:{a['port']}", flush=True)

    server.listen(args.port, args.host, callback=on_listening)
    if tlsplug.run(timeout=args.timeout):
        print("server timed out", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
