"""The server under test on the Python binding's loop: Node's
tls.createServer (tlsplug.create_server) with the test PKI's certificate,
listening on 127.0.0.1 and an ephemeral port. Prints "listening on
127.0.0.1:PORT" once bound (the test waits for that line), echoes what a
client sends after the handshake, and reports refused clients on stderr.
The test kills it; the loop also ends by itself after LIFETIME seconds so
an orphan cannot outlive a crashed test run for long."""
import os
import sys

import tlsplug

LIFETIME = 600


def main():
    pki = os.environ["TLSPLUG_PKI"]
    with open(os.path.join(pki, "server.key"), "rb") as f:
        key = f.read()
    with open(os.path.join(pki, "server-chain.pem"), "rb") as f:
        cert = f.read()

    def on_secure(sock):
        sock.on("data", sock.write)
        sock.on("error", lambda err: None)

    server = tlsplug.create_server({"key": key, "cert": cert}, on_secure)
    server.on("tlsClientError",
              lambda err, sock: print(f"tlsClientError {getattr(err, 'code', err)}",
                                      file=sys.stderr, flush=True))

    def on_listening():
        print(f"listening on 127.0.0.1:{server.address()['port']}", flush=True)

    server.listen(0, "127.0.0.1", callback=on_listening)
    tlsplug.run(timeout=LIFETIME)


if __name__ == "__main__":
    main()
