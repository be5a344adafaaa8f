"""A TCP relay on 127.0.0.1 that counts the bytes it forwards each way:
the wire's own figures for bytesWritten and bytesRead. One connection;
half-closes are passed on; every wait is bounded."""

import socket
import threading

TIMEOUT = 30


class CountingRelay:
    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.listener.settimeout(TIMEOUT)
        self.port = self.listener.getsockname()[1]
        self.to_server = 0  # bytes from the connecting client to the upstream server
        self.to_client = 0
        self.error = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _pipe(self, src, dst, attr):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
                setattr(self, attr, getattr(self, attr) + len(data))
        except OSError as e:  # a reset ends this direction; the counts stay
            self.error = self.error or e
        finally:
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def _run(self):
        try:
            client, _ = self.listener.accept()
            server = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=TIMEOUT)
            for s in (client, server):
                s.settimeout(TIMEOUT)
            pipes = [threading.Thread(target=self._pipe, args=(client, server, "to_server"), daemon=True),
                     threading.Thread(target=self._pipe, args=(server, client, "to_client"), daemon=True)]
            for t in pipes:
                t.start()
            for t in pipes:
                t.join(TIMEOUT)
            client.close()
            server.close()
        except OSError as e:
            self.error = e
        finally:
            self.listener.close()
            self._done.set()

    def wait(self):
        """Wait until both directions ended; answers (to_server, to_client)."""
        if not self._done.wait(TIMEOUT):
            raise AssertionError("relay: the connection did not end")
        return self.to_server, self.to_client

    def close(self):
        try:
            self.listener.close()
        except OSError:
            pass
