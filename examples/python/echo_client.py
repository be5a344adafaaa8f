#!/usr/bin/env python3
"""echo_client: Node's tls.connect() example, in Python on tlsplug.

    const socket = tls.connect(8000, options, () => {
      console.log('client connected',
                  socket.authorized ? 'authorized' : 'unauthorized');
      process.stdin.pipe(socket);
      process.stdin.resume();
    });
    socket.setEncoding('utf8');
    socket.on('data', (data) => { console.log(data); });
    socket.on('end', () => { console.log('server ends connection'); });

Standard input is read to its end, written, and the connection ended; what
the server sends back goes to standard output. The connection runs on
tlsplug's event loop (tlsplug.run()).
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
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--servername", default="localhost")
    ap.add_argument("--ca")
    ap.add_argument("--key")
    ap.add_argument("--cert")
    ap.add_argument("--insecure", action="store_true", help="rejectUnauthorized: false")
    ap.add_argument("--timeout", type=float, default=30.0)
    args = ap.parse_args()

    options = {
        "ca": read(args.ca) if args.ca else None,
        "key": read(args.key) if args.key else None,
        "cert": read(args.cert) if args.cert else None,
        "servername": args.servername,
        "reject_unauthorized": not args.insecure,
    }
    failed = []

    def on_secure_connect():
        why = "" if socket.authorized else f" ({socket.authorization_error})"
        print("client connected", "authorized" if socket.authorized else "unauthorized" + why,
              file=sys.stderr, flush=True)
        socket.end(sys.stdin.buffer.read())  # process.stdin.pipe(socket)

    def on_error(e):
        failed.append(e)
        print(f"client error {e.code}: {e.message}", file=sys.stderr, flush=True)

    socket = tlsplug.connect(args.port, args.host, on_secure_connect=on_secure_connect,
                             **options)
    socket.on("data", lambda data: (sys.stdout.buffer.write(data), sys.stdout.flush()))
    socket.on("end", lambda: print("server ends connection", file=sys.stderr, flush=True))
    socket.on("error", on_error)
    if tlsplug.run(timeout=args.timeout):
        print("client timed out", file=sys.stderr, flush=True)
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
