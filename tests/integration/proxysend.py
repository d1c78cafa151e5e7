# SPDX-License-Identifier: MIT
"""A PROXY protocol sender for the integration tests (standard library only).

usage: python3 proxysend.py HOST PORT [options]

Connect to HOST PORT (from --bind ADDR), send a PROXY protocol header (or
none), then DATA; half-close; read to EOF and check what came back. Prints

  ok lport=PORT got=BYTES first=SECONDS end=SECONDS how=eof|reset

(times from the connect; first is the first byte received, '-' if none).

Header SPECs (--header, comma separated):
  v1,TCP4,SRC,DST,SPORT,DPORT   v1,TCP6,...   v1,UNKNOWN
  v1raw,TEXT                    TEXT with Python escapes (\\r\\n ...)
  v2,CMD,FAM[,SRC,DST,SPORT,DPORT][,OPTION...]
        CMD: PROXY | LOCAL; FAM: TCP4 | TCP6 | UDP4 | UNSPEC | UNIX (two
        paths instead of addresses and ports)
        OPTIONs: noop=N (a NOOP TLV of N bytes), alpn=TEXT, crc (a valid
        CRC32C TLV), badcrc (a wrong one), badsig (one signature byte
        off), len=N (lie about the length), pad=N (N more bytes, counted)
  hex,HEX                       raw bytes

Modes (--mode): together (header and data in one write), separate (header,
a pause, data), trickle (the header one byte per --delay seconds, then the
data). --cut N sends only the first N bytes of the header and nothing more.

Checks: by default the reply must equal DATA (an echo); --expect TEXT
(Python escapes) exact text instead; --expect-nothing: the server closes
without a byte; --out FILE keeps what came. --ready FILE is written once the
header is sent, and --go FILE waited for before the data goes. Any mismatch
or a missed --timeout prints "proxysend: ..." on stderr and exits 1.
"""

import argparse
import ipaddress
import os
import socket
import struct
import sys
import time

SIG = b"\r\n\r\n\x00\r\nQUIT\n"


class Failure(Exception):
    pass


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def unescape(text):
    return text.encode("latin-1").decode("unicode_escape").encode("latin-1")


def tlv(t, value):
    return struct.pack("!BH", t, len(value)) + value


def header_v2(f):
    cmd = {"LOCAL": 0x20, "PROXY": 0x21}[f[0]]
    fam = {"UNSPEC": 0x00, "TCP4": 0x11, "UDP4": 0x12, "TCP6": 0x21, "UNIX": 0x31}[f[1]]
    rest, body = f[2:], b""
    if fam == 0x31:
        body = b"".join(p.encode().ljust(108, b"\0") for p in rest[:2])
        rest = rest[2:]
    elif fam:
        src, dst = ipaddress.ip_address(rest[0]), ipaddress.ip_address(rest[1])
        body = src.packed + dst.packed + struct.pack("!HH", int(rest[2]), int(rest[3]))
        rest = rest[4:]
    opts = dict(o.partition("=")[::2] for o in rest)
    if "noop" in opts:
        body += tlv(0x04, b"\0" * int(opts["noop"]))
    if "alpn" in opts:
        body += tlv(0x01, opts["alpn"].encode())
    if "pad" in opts:
        body += b"\xee" * int(opts["pad"])
    crc_at = None
    if "crc" in opts or "badcrc" in opts:
        crc_at = 16 + len(body) + 3
        body += tlv(0x03, b"\0\0\0\0")
    sig = SIG if "badsig" not in opts else SIG[:11] + b"\x0b"
    length = int(opts.get("len", len(body)))
    h = bytearray(sig + struct.pack("!BBH", cmd, fam, length) + body)
    if crc_at is not None:
        c = crc32c(bytes(h)) ^ (1 if "badcrc" in opts else 0)
        h[crc_at:crc_at + 4] = struct.pack("!I", c)
    return bytes(h)


def make_header(spec):
    if spec is None:
        return b""
    kind, _, rest = spec.partition(",")
    if kind == "v1raw":
        return unescape(rest)
    if kind == "hex":
        return bytes.fromhex(rest)
    f = rest.split(",")
    if kind == "v1":
        return ("PROXY " + " ".join(f) + "\r\n").encode()
    if kind == "v2":
        return header_v2(f)
    raise Failure("unknown header kind %r" % kind)


def wait_file(path, deadline):
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise Failure("no %s before the deadline" % path)
        time.sleep(0.01)


def run(a):
    header, data = make_header(a.header), unescape(a.data) if a.data is not None else b""
    if a.size:
        data = os.urandom(a.size)
    fam = socket.AF_INET6 if ":" in a.host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if a.bind:
        s.bind((a.bind, 0))
    s.settimeout(a.timeout)
    t0 = time.monotonic()
    deadline = t0 + a.timeout
    s.connect((a.host, a.port))
    lport = s.getsockname()[1]
    errors = []

    def send(b):
        try:
            s.sendall(b)
        except OSError as e:  # the server may close first: what came back decides
            errors.append(e)

    if a.cut is not None:
        send(header[:a.cut])
    elif a.mode == "together":
        if a.go:
            raise Failure("--go needs --mode separate")
        send(header + data)
    else:
        if a.mode == "trickle":
            for i in range(len(header)):
                send(header[i:i + 1])
                time.sleep(a.delay)
        else:
            send(header)
        if a.ready:
            with open(a.ready + ".tmp", "w") as f:
                f.write("%d\n" % lport)
            os.rename(a.ready + ".tmp", a.ready)
        if a.go:
            wait_file(a.go, deadline)
        elif a.mode == "separate":
            time.sleep(a.delay)
        send(data)
    if not a.no_shut and a.cut is None:
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError as e:
            errors.append(e)
    got, first, how = b"", None, "eof"
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise Failure("deadline passed after receiving %d bytes: %r" % (len(got), got[:80]))
        s.settimeout(left)
        try:
            d = s.recv(65536)
        except socket.timeout:
            continue
        except ConnectionResetError:
            how = "reset"
            break
        if not d:
            break
        if first is None:
            first = time.monotonic() - t0
        got += d
    end = time.monotonic() - t0
    s.close()
    if a.out:
        with open(a.out, "wb") as f:
            f.write(got)
    if a.expect_nothing:
        expect = b""
    elif a.expect is not None:
        expect = unescape(a.expect)
    elif a.out:
        expect = None
    else:
        expect = data
    if expect is not None and got != expect:
        raise Failure("received %d bytes %r..., expected %d bytes %r... (%s; send errors: %s)"
                      % (len(got), got[:60], len(expect), expect[:60], how, errors))
    print("ok lport=%d got=%d first=%s end=%.3f how=%s"
          % (lport, len(got), "-" if first is None else "%.3f" % first, end, how))


def main():
    p = argparse.ArgumentParser(description="PROXY protocol sender")
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--bind", help="source address")
    p.add_argument("--header", help="header SPEC (see above); none without it")
    p.add_argument("--mode", choices=("together", "separate", "trickle"), default="together")
    p.add_argument("--delay", type=float, default=0.1, help="pause: separate, trickle (per byte)")
    p.add_argument("--cut", type=int, help="send only this many header bytes, then wait")
    p.add_argument("--data", help="payload (Python escapes)")
    p.add_argument("--size", type=int, default=0, help="a random payload of this size instead")
    p.add_argument("--no-shut", action="store_true", help="do not half-close after the data")
    p.add_argument("--expect", help="the exact reply (Python escapes)")
    p.add_argument("--expect-nothing", action="store_true")
    p.add_argument("--out", help="write the reply here")
    p.add_argument("--ready", help="written once the header is sent (separate/trickle)")
    p.add_argument("--go", help="wait for this file before sending the data")
    p.add_argument("--timeout", type=float, default=10.0)
    p.add_argument("--repeat", type=int, default=1,
                   help="this many connections, each as soon as the last one closed")
    a = p.parse_args()
    for i in range(a.repeat):
        try:
            run(a)
        except (Failure, OSError) as e:
            sys.stderr.write("proxysend: %s:%d: connection %d of %d: %s\n"
                             % (a.host, a.port, i + 1, a.repeat, e))
            sys.exit(1)


if __name__ == "__main__":
    main()
