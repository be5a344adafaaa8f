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
