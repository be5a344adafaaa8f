"""Helpers of the parity branch's ports (securepair-*, ticket-cluster,
write-error): a ClientHello made by another TLS implementation (Python's
ssl, as Node's file uses one captured from a browser)."""
import ssl


def foreign_client_hello(servername: str) -> bytes:
    """The first flight of Python's ssl client naming `servername` in SNI."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    sock = ctx.wrap_bio(incoming, outgoing, server_hostname=servername)
    try:
        sock.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def serve_pair_over_socket(conn, pair, peer_out, on_peer_output, deadline):
    """Node's `pair.encrypted.pipe(socket); socket.pipe(pair.encrypted)` by
    hand: ciphertext from the TCP connection `conn` goes into the pair, the
    pair's output back out, while `peer_out` (a peer process's stdout pipe)
    is read and handed to on_peer_output(text). Runs until the peer closes
    its stdout, bounded by `deadline` (time.monotonic())."""
    import os
    import select
    import time
    open_fds = {conn.fileno(), peer_out.fileno()}
    while peer_out.fileno() in open_fds:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the pair's peer did not finish")
        out = pair.encrypted.read()
        if out:
            conn.sendall(out)
        ready, _, _ = select.select(list(open_fds), [], [], left)
        for fd in ready:
            if fd == conn.fileno():
                data = conn.recv(65536)
                if data:
                    pair.encrypted.write(data)
                else:
                    pair.encrypted.end()
                    open_fds.discard(fd)
            else:
                text = os.read(fd, 65536)
                if text:
                    on_peer_output(text.decode("utf-8", "replace"))
                else:
                    open_fds.discard(fd)


def run_node_file(js: str, env: dict, timeout: float = 20.0):
    """Run `js` as a script file in node (a file, so that cluster.fork can
    run it again in the workers); answers the JSON of its last stdout line.
    TLSPLUG_PKI is in the environment."""
    import json
    import os
    import subprocess
    import tempfile
    import nodeport
    with tempfile.NamedTemporaryFile("w", suffix=".js", delete=False) as f:
        f.write(js)
    try:
        full = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
        full.update(env, TLSPLUG_PKI=nodeport.PKI)
        out = subprocess.run([nodeport.NODE, f.name], capture_output=True, text=True,
                             timeout=timeout, env=full)
    finally:
        os.unlink(f.name)
    lines = [ln for ln in out.stdout.splitlines() if ln.strip()]
    if not lines:
        raise AssertionError(f"node reported nothing (exit {out.returncode}): {out.stderr[-2000:]}")
    return json.loads(lines[-1])


def ticket_worker(ticket_keys_hex: str) -> None:
    """A worker process of the ticket-cluster port: a tlsplug server with
    the given ticket keys ("random": its own), on asyncio so that it also
    watches stdin. It prints "listening PORT", then "reused" or
    "not-reused" per connection (ending each with "x"), and closes the
    server and exits when stdin is closed (the primary's "die")."""
    import asyncio
    import os
    import sys
    import nodeport
    import tlsplug
    import tlsplug.asyncio as tlsaio

    async def main():
        tlsaio.install()
        aloop = asyncio.get_running_loop()
        die, closed = aloop.create_future(), aloop.create_future()
        opts = {"key": nodeport.pki("server.key"), "cert": nodeport.pki("server-chain.pem")}
        if ticket_keys_hex != "random":
            opts["ticket_keys"] = bytes.fromhex(ticket_keys_hex)

        def on_secure(sock):
            print("reused" if sock.is_session_reused() else "not-reused", flush=True)
            sock.end(b"x")
        server = tlsplug.create_server(opts, on_secure)
        server.listen(0, "127.0.0.1",
                      callback=lambda: print("listening", server.address()["port"], flush=True))

        def on_stdin():
            if not os.read(sys.stdin.fileno(), 64) and not die.done():
                die.set_result(None)
        aloop.add_reader(sys.stdin.fileno(), on_stdin)
        await asyncio.wait_for(die, 60)
        aloop.remove_reader(sys.stdin.fileno())
        server.close(lambda *err: closed.set_result(None))
        await asyncio.wait_for(closed, 10)
    asyncio.run(main())
