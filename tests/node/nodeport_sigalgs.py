"""Helpers for the ports of branch sigalgs (on top of nodeport_b): a tlsplug
server and client paired on 127.0.0.1 the way Node's
test/fixtures/tls-connect.js pairs them, answering what each end saw in the
shape the ports' node scripts report."""
from nodeport_b import close_server, listening_server, pki, run_until, tlsplug


def connect_pair(test, server_opts, client_opts, server_sees, client_sees, reply=None):
    """A server with server_opts (snake_case; key and chain are the PKI's
    server's) and a client with client_opts trusting the PKI's CA. Answers
    {"server": server_sees(sock)} or {"server_err": code}, and
    {"client": client_sees(sock)} or {"client_err": code, "message": text};
    with `reply` the server ends with it and {"data": what the client read}."""
    r, got = {}, []

    def on_server(s):
        r["server"] = server_sees(s)
        s.end(reply) if reply else s.end()

    server, port = listening_server(test, server_opts, on_server)
    server.on("tlsClientError", lambda e, s: r.update(server_err=e.code))
    c = tlsplug.connect(port, "127.0.0.1", ca=pki("ca.pem"), servername="localhost",
                        **client_opts)
    c.on("secureConnect", lambda: r.update(client=client_sees(c)))
    c.on("error", lambda e: r.update(client_err=e.code, message=str(e)))
    c.on("data", lambda d: got.append(bytes(d)))
    c.on("end", lambda: got and r.update(data=b"".join(got).decode()))
    c.on("close", lambda *a: r.update(closed=True))
    run_until(test, lambda: "closed" in r and ("server" in r or "server_err" in r),
              what=f"server {server_opts} / client {client_opts}")
    del r["closed"]
    close_server(test, server)
    return r
