# SPDX-License-Identifier: MIT
"""TCP probes for the built-in services, exec, access control and limits (standard library only).

usage: python3 probe.py COMMAND HOST PORT [options]

  chargen   read --lines lines and check every byte against RFC 864 (line N: the 72
            characters 0x20 + (N + i) mod 95, then CRLF), then close
  slowread  read chargen slowly (--chunk bytes every --every s) for --seconds, checking the
            pattern; fails if the server closes first
  daytime   read the RFC 867 line to EOF: "Weekday, Month DD, YYYY HH:MM:SS-UTC" CRLF, within
            --skew s of our own clock
  time      read the RFC 868 answer to EOF: 4 bytes, within --skew s of our own clock
  silent    connect, send and read nothing, wait (POLLRDHUP) until the server closes;
            prints the seconds it took
  active    an echo round trip every --every s for --seconds: fails if the server closes
  closed    --count times: connect, expect the server to close at once, sending nothing
            (EOF or reset); prints how many and how long it took. With --pids, also how many
            processes were created in our pid namespace meanwhile (/proc/sys/kernel/ns_last_pid)
  served    --count times: an echo round trip; with --pids as above
  exchange  send --data (or nothing), half-close, copy everything received to stdout
  burst     open --count connections at once, send a line on each, and record when each
            echo arrives: prints "ok t=MS,MS,..." (milliseconds after the first connect,
            sorted); fails if any is closed

Common options: --bind ADDR (source address), --timeout S, --info FILE (gets "lport=N"),
--go FILE (wait for it before starting; --ready FILE is written first).
Any mismatch or missed deadline prints "probe: ..." on stderr and exits 1.
"""

import argparse
import datetime
import os
import re
import select
import socket
import struct
import sys
import time


class Failure(Exception):
    pass


def family_of(host):
    for fam in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(fam, host)
            return fam
        except OSError:
            pass
    raise Failure("not a numeric address: %r" % host)


def connect(a, timeout=None):
    fam = family_of(a.host)
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(a.timeout if timeout is None else timeout)
    try:
        if a.bind:
            if fam == socket.AF_INET6:
                # "::ffff:127.0.0.5": an IPv4 peer in IPv6 clothing (dual-stack client socket).
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((a.bind, 0))
        s.connect((a.host, a.port))
    except OSError as e:
        s.close()
        raise Failure("connect to %s port %d%s failed: %s"
                      % (a.host, a.port, " from " + a.bind if a.bind else "", e))
    if a.info:
        with open(a.info, "w") as f:
            f.write("lport=%d\n" % s.getsockname()[1])
    return s


def start(a):
    if a.ready:
        with open(a.ready + ".tmp", "w") as f:
            f.write("ready\n")
        os.rename(a.ready + ".tmp", a.ready)
    if a.go:
        deadline = time.monotonic() + a.timeout
        while not os.path.exists(a.go):
            if time.monotonic() > deadline:
                raise Failure("%s did not appear within %.0f s" % (a.go, a.timeout))
            time.sleep(0.01)


def chargen_line(n):
    return bytes(0x20 + (n + i) % 95 for i in range(72)) + b"\r\n"


CYCLE = b"".join(chargen_line(n) for n in range(95))


def check_chargen(data, offset):
    """DATA must be the chargen stream at byte OFFSET (the stream repeats every 95 lines)."""
    n = len(CYCLE)
    pos = offset % n
    i = 0
    while i < len(data):
        take = min(len(data) - i, n - pos)
        if data[i:i + take] != CYCLE[pos:pos + take]:
            for j in range(take):
                if data[i + j] != CYCLE[pos + j]:
                    at = offset + i + j
                    raise Failure("chargen byte %d (line %d, column %d) is %r, expected %r"
                                  % (at, at // 74, at % 74, bytes([data[i + j]]),
                                     bytes([CYCLE[pos + j]])))
        i += take
        pos = 0


def recv_exact(s, n, deadline, what):
    chunks, got = [], 0
    while got < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise Failure("%s: deadline passed after %d of %d bytes" % (what, got, n))
        s.settimeout(left)
        d = s.recv(min(n - got, 1 << 20))
        if not d:
            raise Failure("%s: the server closed after %d of %d bytes" % (what, got, n))
        chunks.append(d)
        got += len(d)
    return b"".join(chunks)


def recv_to_eof(s, deadline, limit, what):
    chunks, got = [], 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise Failure("%s: no EOF within the deadline (%d bytes so far)" % (what, got))
        s.settimeout(left)
        d = s.recv(65536)
        if not d:
            return b"".join(chunks)
        chunks.append(d)
        got += len(d)
        if got > limit:
            raise Failure("%s: more than %d bytes" % (what, limit))


def cmd_chargen(a):
    start(a)
    s = connect(a)
    deadline = time.monotonic() + a.timeout
    # Input is read and thrown away by the server: it must not disturb the stream.
    s.sendall(b"ignored input\r\n")
    total = a.lines * 74
    done = 0
    while done < total:
        chunk = recv_exact(s, min(total - done, 1 << 20), deadline, "chargen")
        check_chargen(chunk, done)
        done += len(chunk)
    s.close()
    print("ok lines=%d bytes=%d" % (a.lines, done))


def cmd_slowread(a):
    start(a)
    s = connect(a)
    end = time.monotonic() + a.seconds
    done = 0
    while time.monotonic() < end:
        chunk = recv_exact(s, a.chunk, time.monotonic() + a.timeout, "slow chargen reader")
        check_chargen(chunk, done)
        done += len(chunk)
        time.sleep(a.every)
    s.close()
    print("ok bytes=%d seconds=%.1f" % (done, a.seconds))


DAYTIME = re.compile(rb"^(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), "
                     rb"(January|February|March|April|May|June|July|August|September|October|"
                     rb"November|December) (\d\d), (\d{4}) (\d\d):(\d\d):(\d\d)-UTC\r\n$")


def cmd_daytime(a):
    start(a)
    s = connect(a)
    before = time.time()
    data = recv_to_eof(s, time.monotonic() + a.timeout, 200, "daytime")
    after = time.time()
    s.close()
    m = DAYTIME.match(data)
    if not m:
        raise Failure("daytime: %r is not \"Weekday, Month DD, YYYY HH:MM:SS-UTC\\r\\n\"" % data)
    t = datetime.datetime.strptime(data[:-2].decode(), "%A, %B %d, %Y %H:%M:%S-UTC")
    t = t.replace(tzinfo=datetime.timezone.utc).timestamp()
    if not (before - a.skew <= t <= after + a.skew):
        raise Failure("daytime: %r is %.0f s away from our clock" % (data, t - before))
    print("ok %s skew=%.1f" % (data[:-2].decode(), t - (before + after) / 2))


def cmd_time(a):
    start(a)
    s = connect(a)
    before = time.time()
    data = recv_to_eof(s, time.monotonic() + a.timeout, 64, "time")
    after = time.time()
    s.close()
    if len(data) != 4:
        raise Failure("time: %d bytes %r, expected exactly 4" % (len(data), data))
    (v,) = struct.unpack("!I", data)
    # Seconds since 1900, modulo 2^32 (the RFC's counter wraps in February 2036).
    lo = (int(before) - a.skew + 2208988800) % (1 << 32)
    hi = (int(after) + 1 + a.skew + 2208988800) % (1 << 32)
    ok = lo <= v <= hi if lo <= hi else (v >= lo or v <= hi)
    if not ok:
        raise Failure("time: %d (0x%08x) is not within %d s of our clock (%d)"
                      % (v, v, a.skew, (int(before) + 2208988800) % (1 << 32)))
    print("ok time=%d unix=%d" % (v, v - 2208988800 if v >= 2208988800 else v + (1 << 32) - 2208988800))


def cmd_silent(a):
    start(a)
    s = connect(a)
    t0 = time.monotonic()
    p = select.poll()
    gone = select.POLLRDHUP | select.POLLHUP | select.POLLERR
    p.register(s, gone)
    while True:
        left = t0 + a.timeout - time.monotonic()
        if left <= 0:
            raise Failure("silent: still open after %.0f s" % a.timeout)
        if p.poll(left * 1000):
            break
    print("closed after %.2f s" % (time.monotonic() - t0))
    s.close()


def cmd_active(a):
    start(a)
    s = connect(a)
    end = time.monotonic() + a.seconds
    n = 0
    while time.monotonic() < end:
        msg = b"still here %d\n" % n
        try:
            s.sendall(msg)
            got = recv_exact(s, len(msg), time.monotonic() + a.timeout, "active client")
        except (ConnectionResetError, BrokenPipeError) as e:
            raise Failure("active client: the server closed the connection after %d round "
                          "trips: %s" % (n, e))
        if got != msg:
            raise Failure("active client: echo mismatch %r" % got)
        n += 1
        time.sleep(a.every)
    s.close()
    print("ok round_trips=%d seconds=%.1f" % (n, a.seconds))


def ns_last_pid():
    with open("/proc/sys/kernel/ns_last_pid") as f:
        return int(f.read())


def expect_closed(a):
    s = connect(a)
    lport = s.getsockname()[1]
    try:
        s.settimeout(a.timeout)
        d = s.recv(4096)
    except ConnectionResetError:
        d = b""
    except socket.timeout:
        raise Failure("connection from port %d: not closed by the server within %.0f s"
                      % (lport, a.timeout))
    finally:
        s.close()
    if d:
        raise Failure("connection from port %d: the server sent %r instead of closing"
                      % (lport, d))
    return lport


def cmd_closed(a):
    start(a)
    before = ns_last_pid() if a.pids else 0
    t0 = time.monotonic()
    ports = [expect_closed(a) for _ in range(a.count)]
    took = time.monotonic() - t0
    forks = " forks=%d" % (ns_last_pid() - before) if a.pids else ""
    print("ok closed=%d seconds=%.3f%s lports=%s"
          % (len(ports), took, forks, ",".join(map(str, ports))))


def cmd_served(a):
    start(a)
    before = ns_last_pid() if a.pids else 0
    ports = []
    for i in range(a.count):
        s = connect(a)
        ports.append(s.getsockname()[1])
        msg = b"served %d\n" % i
        s.sendall(msg)
        s.shutdown(socket.SHUT_WR)
        got = recv_to_eof(s, time.monotonic() + a.timeout, 1 << 16, "echo")
        s.close()
        if got != msg:
            raise Failure("echo %d: got %r" % (i, got))
    forks = " forks=%d" % (ns_last_pid() - before) if a.pids else ""
    print("ok served=%d%s lports=%s" % (len(ports), forks, ",".join(map(str, ports))))


def cmd_exchange(a):
    start(a)
    s = connect(a)
    if a.data:
        s.sendall(a.data.encode())
    s.shutdown(socket.SHUT_WR)
    data = recv_to_eof(s, time.monotonic() + a.timeout, 1 << 24, "exchange")
    s.close()
    sys.stdout.buffer.write(data)


def cmd_burst(a):
    start(a)
    fam = family_of(a.host)
    t0 = time.monotonic()
    socks = []
    for i in range(a.count):
        s = socket.socket(fam, socket.SOCK_STREAM)
        if a.bind:
            s.bind((a.bind, 0))
        s.settimeout(a.timeout)
        try:
            s.connect((a.host, a.port))
        except OSError as e:
            raise Failure("burst: connection %d failed: %s" % (i, e))
        s.sendall(b"burst %d\n" % i)
        s.setblocking(False)
        socks.append(s)
    p = select.poll()
    for s in socks:
        p.register(s, select.POLLIN)
    bufs = {s.fileno(): b"" for s in socks}
    want = {s.fileno(): b"burst %d\n" % i for i, s in enumerate(socks)}
    times = {}
    deadline = t0 + a.timeout
    while len(times) < len(socks):
        left = deadline - time.monotonic()
        if left <= 0:
            raise Failure("burst: %d of %d answered within %.0f s"
                          % (len(times), len(socks), a.timeout))
        for fd, ev in p.poll(left * 1000):
            s = next(x for x in socks if x.fileno() == fd)
            try:
                d = s.recv(4096)
            except ConnectionResetError:
                d = b""
            if not d:
                raise Failure("burst: connection %d was closed by the server after %.3f s"
                              % (socks.index(s), time.monotonic() - t0))
            bufs[fd] += d
            if bufs[fd] == want[fd]:
                times[fd] = time.monotonic() - t0
                p.unregister(fd)
            elif not want[fd].startswith(bufs[fd]):
                raise Failure("burst: echo mismatch %r" % bufs[fd])
    for s in socks:
        s.close()
    print("ok t=%s" % ",".join("%d" % (t * 1000) for t in sorted(times.values())))


def main():
    p = argparse.ArgumentParser(prog="probe.py")
    sub = p.add_subparsers(dest="cmd", required=True)

    def common(name, func):
        c = sub.add_parser(name)
        c.add_argument("host")
        c.add_argument("port", type=int)
        c.add_argument("--bind")
        c.add_argument("--timeout", type=float, default=30.0)
        c.add_argument("--info")
        c.add_argument("--ready")
        c.add_argument("--go")
        c.set_defaults(func=func)
        return c

    c = common("chargen", cmd_chargen)
    c.add_argument("--lines", type=int, default=10000)
    c = common("slowread", cmd_slowread)
    c.add_argument("--seconds", type=float, default=5)
    c.add_argument("--chunk", type=int, default=4096)
    c.add_argument("--every", type=float, default=0.2)
    c = common("daytime", cmd_daytime)
    c.add_argument("--skew", type=int, default=5)
    c = common("time", cmd_time)
    c.add_argument("--skew", type=int, default=5)
    common("silent", cmd_silent)
    c = common("active", cmd_active)
    c.add_argument("--seconds", type=float, default=5)
    c.add_argument("--every", type=float, default=0.5)
    c = common("closed", cmd_closed)
    c.add_argument("--count", type=int, default=1)
    c.add_argument("--pids", action="store_true")
    c = common("served", cmd_served)
    c.add_argument("--count", type=int, default=1)
    c.add_argument("--pids", action="store_true")
    c = common("exchange", cmd_exchange)
    c.add_argument("--data")
    c = common("burst", cmd_burst)
    c.add_argument("--count", type=int, default=5)

    a = p.parse_args()
    try:
        a.func(a)
    except Failure as e:
        sys.stderr.write("probe: %s\n" % e)
        return 1
    except OSError as e:
        sys.stderr.write("probe: %s: %s\n" % (a.cmd, e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
