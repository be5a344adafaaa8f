"""A record-level hostile TLS client: Python's standard library only, raw
TCP sockets, every byte built here (the `ssl` module never produces the
hello, so nothing normalises what we send).

Three layers:

  client_hello(...)      one ClientHello handshake message (type 1), built
                         field by field, grown with the padding extension
  records / split_*      a byte string cut into TLS records at chosen sizes
                         or split points, optionally interleaved with other
                         (zero-length) records
  exchange(...)          connect, send chunks (with optional delays), and
                         classify the first answer: server_hello, alert,
                         closed, timeout, other

Answers are `Answer` values whose `key` is what two servers must agree on:
the class, the negotiated version of a ServerHello, the description of an
alert. X25519 key shares are 32 random bytes: every 32-byte string is a valid
X25519 public key, and the server answers ServerHello before it could need
our private key, which is all a probe looks at.
"""

import os
import socket
import struct
import threading
import time

# ---- constants -------------------------------------------------------------

CT_CHANGE_CIPHER_SPEC, CT_ALERT, CT_HANDSHAKE, CT_APPLICATION_DATA = 20, 21, 22, 23
HS_CLIENT_HELLO, HS_SERVER_HELLO = 1, 2
MAX_PLAINTEXT = 1 << 14  # a record's plaintext limit (RFC 8446 5.1)

VERSIONS = {"1.0": 0x0301, "1.1": 0x0302, "1.2": 0x0303, "1.3": 0x0304}
VERSION_NAMES = {v: k for k, v in VERSIONS.items()}

TLS13_SUITES = [0x1301, 0x1302, 0x1303]
# ECDHE with GCM / ChaCha20 (what Node's default list and GnuTLS's NORMAL share).
TLS12_SUITES = [0xC02F, 0xC030, 0xC02B, 0xC02C, 0xCCA8, 0xCCA9]
# CBC-SHA suites, the only ones a TLS 1.1 server could pick.
TLS11_SUITES = [0xC013, 0xC014, 0xC009, 0xC00A, 0x002F, 0x0035]
TLS_FALLBACK_SCSV = 0x5600
TLS_EMPTY_RENEGOTIATION_INFO_SCSV = 0x00FF

GROUP_X25519, GROUP_SECP256R1, GROUP_SECP384R1 = 0x001D, 0x0017, 0x0018
SIGALGS = [0x0804, 0x0805, 0x0806,  # rsa_pss_rsae_*
           0x0403, 0x0503, 0x0603,  # ecdsa_*
           0x0401, 0x0501, 0x0601,  # rsa_pkcs1_*
           0x0201]                  # rsa_pkcs1_sha1 (TLS 1.1's servers)

EXT_SERVER_NAME, EXT_SUPPORTED_GROUPS, EXT_EC_POINT_FORMATS = 0, 10, 11
EXT_SIGNATURE_ALGORITHMS, EXT_PADDING, EXT_EXTENDED_MASTER_SECRET = 13, 21, 23
EXT_SUPPORTED_VERSIONS, EXT_PSK_KEY_EXCHANGE_MODES, EXT_KEY_SHARE = 43, 45, 51
EXT_RENEGOTIATION_INFO = 0xFF01

# RFC 8446 4.1.3: a ServerHello with this random is a HelloRetryRequest.
HRR_RANDOM = bytes.fromhex("CF21AD74E59A6111BE1D8C021E65B891C2A211167ABB8C5E079E09E2C8A8339C")

ALERTS = {0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac",
          22: "record_overflow", 40: "handshake_failure", 42: "bad_certificate",
          47: "illegal_parameter", 50: "decode_error", 51: "decrypt_error",
          70: "protocol_version", 71: "insufficient_security", 80: "internal_error",
          86: "inappropriate_fallback", 90: "user_canceled", 109: "missing_extension",
          110: "unsupported_extension", 112: "unrecognized_name",
          120: "no_application_protocol"}


def u8(n):
    return struct.pack("!B", n)


def u16(n):
    return struct.pack("!H", n)


def u24(n):
    return struct.pack("!I", n)[1:]


def vec8(b):
    return u8(len(b)) + b


def vec16(b):
    return u16(len(b)) + b


def ext(kind, body):
    return u16(kind) + vec16(body)


def handshake(msg_type, body):
    """A handshake message: type, 24-bit length, body."""
    return u8(msg_type) + u24(len(body)) + body


# ---- the ClientHello ---------------------------------------------------------

def client_hello(version="1.3", suites=None, extra_suites_front=(), fallback_scsv=False,
                 sigalgs=None, extra_sigalgs_front=(), servername="localhost",
                 groups=None, size=None, session_id=None, extra_extensions=()):
    """A ClientHello message (handshake header included).

    version: "1.3" (legacy 1.2 + supported_versions + an X25519 key share),
      "1.2" or "1.1" (legacy_version only, no TLS 1.3 extensions).
    extra_suites_front / extra_sigalgs_front: code points put before the
      usable ones (hostile lists of unknown codes).
    fallback_scsv: append TLS_FALLBACK_SCSV (RFC 7507) to the suites.
    size: grow the whole message to exactly `size` bytes with the padding
      extension (RFC 7685), last as RFC 8446 asks of pre_shared_key only;
      GnuTLS and OpenSSL accept it anywhere.
    """
    if version == "1.3":
        legacy = VERSIONS["1.2"]
        default_suites = TLS13_SUITES + TLS12_SUITES
    else:
        legacy = VERSIONS[version]
        default_suites = TLS12_SUITES + TLS11_SUITES if version == "1.2" else TLS11_SUITES
    suites = list(extra_suites_front) + list(suites if suites is not None else default_suites)
    suites.append(TLS_EMPTY_RENEGOTIATION_INFO_SCSV)
    if fallback_scsv:
        suites.append(TLS_FALLBACK_SCSV)
    if session_id is None:
        # TLS 1.3 clients send 32 bytes (middlebox compatibility); older ones none.
        session_id = os.urandom(32) if version == "1.3" else b""
    sig = list(extra_sigalgs_front) + list(sigalgs if sigalgs is not None else SIGALGS)
    groups = list(groups if groups is not None else [GROUP_X25519, GROUP_SECP256R1,
                                                      GROUP_SECP384R1])

    exts = []
    if servername:
        name = servername.encode()
        exts.append(ext(EXT_SERVER_NAME, vec16(u8(0) + vec16(name))))
    exts.append(ext(EXT_SUPPORTED_GROUPS, vec16(b"".join(u16(g) for g in groups))))
    exts.append(ext(EXT_EC_POINT_FORMATS, vec8(b"\x00")))  # uncompressed
    exts.append(ext(EXT_SIGNATURE_ALGORITHMS, vec16(b"".join(u16(s) for s in sig))))
    exts.append(ext(EXT_EXTENDED_MASTER_SECRET, b""))
    if version == "1.3":
        exts.append(ext(EXT_SUPPORTED_VERSIONS, vec8(u16(0x0304) + u16(0x0303))))
        exts.append(ext(EXT_PSK_KEY_EXCHANGE_MODES, vec8(b"\x01")))  # psk_dhe_ke
        share = u16(GROUP_X25519) + vec16(os.urandom(32))
        exts.append(ext(EXT_KEY_SHARE, vec16(share)))
    exts.extend(extra_extensions)

    def body(extensions):
        return (u16(legacy) + os.urandom(32) + vec8(session_id)
                + vec16(b"".join(u16(s) for s in suites))
                + vec8(b"\x00")  # compression: null only
                + vec16(b"".join(extensions)))

    msg = handshake(HS_CLIENT_HELLO, body(exts))
    if size is not None:
        pad = size - len(msg) - 4  # the padding extension's own header is 4 bytes
        if pad < 0 or pad > 0xFFFF:
            raise ValueError(f"cannot pad a {len(msg)}-byte hello to {size}")
        msg = handshake(HS_CLIENT_HELLO, body(exts + [ext(EXT_PADDING, bytes(pad))]))
        assert len(msg) == size
    return msg


# ---- the record layer ----------------------------------------------------------

def record(content_type, payload, version=0x0301):
    """One record, whatever its length (hostile peers lie about nothing
    here: header length == payload length; use raw bytes to lie)."""
    return u8(content_type) + u16(version) + u16(len(payload)) + payload


def split_every(data, size):
    """`data` cut into pieces of `size` bytes (the last may be shorter)."""
    return [data[i:i + size] for i in range(0, len(data), size)]


def split_count(data, n):
    """`data` cut into `n` pieces of (nearly) equal size."""
    step = -(-len(data) // n)
    return split_every(data, step)


def split_at(data, points):
    """`data` cut at the given offsets."""
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in zip(edges, edges[1:])]


def records(fragments, content_type=CT_HANDSHAKE, between=None):
    """Each fragment as one record; `between` (bytes: whole records) goes
    between consecutive ones. Answers a list of byte strings, one per
    record (plus one per interleaved filler), for exchange()."""
    out = []
    for i, frag in enumerate(fragments):
        if i and between is not None:
            out.append(between)
        out.append(record(content_type, frag))
    return out


# ---- the answer --------------------------------------------------------------

class Answer:
    """What a server said first. `kind` is one of server_hello, alert,
    closed, timeout, other (bytes that are no TLS record, or a first
    record of another type)."""

    def __init__(self, kind, version=None, level=None, description=None, hrr=False,
                 suite=None, detail=""):
        self.kind, self.version, self.level = kind, version, level
        self.description, self.hrr, self.suite, self.detail = description, hrr, suite, detail

    @property
    def key(self):
        """What two servers must agree on: the class, plus the version of a
        ServerHello or the description of an alert."""
        if self.kind == "server_hello":
            return ("server_hello", self.version)
        if self.kind == "alert":
            return ("alert", self.description)
        return (self.kind,)

    def __eq__(self, other):
        return isinstance(other, Answer) and self.key == other.key

    def __hash__(self):
        return hash(self.key)

    def __repr__(self):
        if self.kind == "server_hello":
            s = f"server_hello(TLS {VERSION_NAMES.get(self.version, hex(self.version or 0))}"
            s += f", suite 0x{self.suite:04x}" if self.suite is not None else ""
            return s + (", HelloRetryRequest)" if self.hrr else ")")
        if self.kind == "alert":
            name = ALERTS.get(self.description, "?")
            lvl = {1: "warning", 2: "fatal"}.get(self.level, self.level)
            return f"alert({lvl}, {name}({self.description}))"
        return f"{self.kind}({self.detail})" if self.detail else self.kind


def parse_server_hello(body):
    """(version, suite, hrr) from a ServerHello body."""
    legacy = struct.unpack_from("!H", body, 0)[0]
    random = body[2:34]
    sid_len = body[34]
    pos = 35 + sid_len
    suite = struct.unpack_from("!H", body, pos)[0]
    pos += 3  # suite, compression
    version = legacy
    if pos + 2 <= len(body):
        end = pos + 2 + struct.unpack_from("!H", body, pos)[0]
        pos += 2
        while pos + 4 <= end:
            kind, n = struct.unpack_from("!HH", body, pos)
            if kind == EXT_SUPPORTED_VERSIONS and n == 2:
                version = struct.unpack_from("!H", body, pos + 4)[0]
            pos += 4 + n
    return version, suite, random == HRR_RANDOM


class _Reader:
    """Reads records from a socket into a buffer, bounded by deadlines."""

    def __init__(self, sock):
        self.sock, self.buf, self.eof, self.error = sock, bytearray(), False, None

    def fill(self, n, deadline):
        """True once the buffer holds n bytes; False on EOF, reset or the deadline."""
        while len(self.buf) < n:
            if self.eof or self.error:
                return False
            left = deadline() - time.monotonic()
            if left <= 0:
                return False
            self.sock.settimeout(min(left, 0.25))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError as e:  # ECONNRESET: closed without (more of) an alert
                self.error = e
                return False
            if not chunk:
                self.eof = True
            self.buf += chunk
        return True


def read_answer(sock, deadline):
    """Classify the first thing the server sends. `deadline()` answers the
    monotonic time after which silence is a timeout (it may move while the
    probe is still being sent)."""
    r = _Reader(sock)

    def ended(what):
        if r.buf:
            return Answer("other", detail=f"{what} after {bytes(r.buf[:16]).hex()}")
        if r.error is not None:
            return Answer("closed", detail=type(r.error).__name__)
        if r.eof:
            return Answer("closed", detail="EOF")
        return Answer("timeout")

    if not r.fill(5, deadline):
        return ended("end")
    ctype, major = r.buf[0], r.buf[1]
    if ctype not in (20, 21, 22, 23) or major != 3:
        # Not TLS (an HTTP response, say): report the first bytes.
        r.fill(64, lambda: time.monotonic() + 0.2)
        return Answer("other", detail=repr(bytes(r.buf[:64])))
    if ctype == CT_ALERT:
        if not r.fill(7, deadline):
            return ended("truncated alert")
        return Answer("alert", level=r.buf[5], description=r.buf[6])
    if ctype != CT_HANDSHAKE:
        return Answer("other", detail=f"first record of type {ctype}")
    # Gather handshake records until the first message is whole.
    hs, pos = bytearray(), 0
    while True:
        if len(hs) >= 4 and len(hs) >= 4 + int.from_bytes(hs[1:4], "big"):
            break
        if not r.fill(pos + 5, deadline):
            return ended("truncated handshake")
        rtype, rlen = r.buf[pos], int.from_bytes(r.buf[pos + 3:pos + 5], "big")
        if rtype != CT_HANDSHAKE:
            return Answer("other", detail=f"record of type {rtype} inside the first message")
        if not r.fill(pos + 5 + rlen, deadline):
            return ended("truncated record")
        hs += r.buf[pos + 5:pos + 5 + rlen]
        pos += 5 + rlen
    if hs[0] != HS_SERVER_HELLO:
        return Answer("other", detail=f"handshake message of type {hs[0]}")
    version, suite, hrr = parse_server_hello(bytes(hs[4:4 + int.from_bytes(hs[1:4], "big")]))
    return Answer("server_hello", version=version, suite=suite, hrr=hrr)


# ---- one exchange --------------------------------------------------------------

class Connection:
    """A TCP connection to 127.0.0.1:port with a sender thread, so the
    answer is read while the probe is still being written (an alert sent
    mid-probe is read before our further writes draw a reset that would
    discard it)."""

    def __init__(self, port, host="127.0.0.1", connect_timeout=5):
        self.sock = socket.create_connection((host, port), timeout=connect_timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sent = 0
        self.send_error = None
        self.send_done_at = None
        self._thread = None

    def send(self, chunks, delay=0.0, send_timeout=30):
        """Write `chunks` in a thread: each with its own send() after a
        `delay` (the delay is part of the input), or all in one write."""
        # A second socket object on the same fd: the reader sets its own timeouts.
        wsock = socket.socket(fileno=os.dup(self.sock.fileno()))
        wsock.settimeout(send_timeout)

        def run():
            try:
                if delay:
                    for i, c in enumerate(chunks):
                        if i:
                            time.sleep(delay)
                        wsock.sendall(c)
                        self.sent += len(c)
                else:
                    data = b"".join(chunks)
                    wsock.sendall(data)
                    self.sent = len(data)
            except OSError as e:  # the server closed early: its answer is what counts
                self.send_error = e
            finally:
                self.send_done_at = time.monotonic()
                wsock.close()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def answer(self, timeout=3.0, limit=60.0):
        """The first answer: silence for `timeout` seconds after the last
        byte went out (or `limit` seconds in all) is a timeout."""
        start = time.monotonic()

        def deadline():
            done = self.send_done_at
            end = (done + timeout) if done is not None else start + limit
            return min(end, start + limit)

        return read_answer(self.sock, deadline)

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        if self._thread:
            self._thread.join(10)


def exchange(port, chunks, delay=0.0, timeout=3.0):
    """Send `chunks` (byte strings) to 127.0.0.1:port and answer the first
    thing the server says."""
    c = Connection(port)
    try:
        c.send(chunks, delay)
        return c.answer(timeout)
    finally:
        c.close()
