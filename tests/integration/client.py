# SPDX-License-Identifier: MIT
"""TCP clients for the integration tests (standard library only).

usage: python3 client.py COMMAND HOST PORT [options]

  echo     one echo round trip: send while reading, half-close, read to EOF,
           compare byte for byte; prints "ok bytes=N local=ADDR lport=PORT";
           --discard expects nothing back; --ready F --go G connects, writes
           F, and starts only once G exists (a connection left in the backlog)
  many     N concurrent echo clients, each with its own random payload
  refused  succeed only if the connection is refused
  hold     open connections and keep them (idle, probed, or flooding without
           reading); write a ready file, then wait for SIGTERM or, with
           --until-closed, for the server to close every one of them;
           --reprobe F: on SIGUSR1 probe them all again, write F
  listen   bind a listening socket (to occupy an address), wait for SIGTERM
  loop     N concurrent workers, each doing echo round trips (connect, echo,
           verify, close) over and over until SIGTERM or a stop file; counts
           successes and every failure; exits 1 if any round trip failed

usage: python3 client.py after-ready LOG MARK TARGET... [--timeout S]

  wait (polling every millisecond) for a READY=1 datagram in LOG, a
  notify.py log, after its first MARK lines; then at once connect to every
  TARGET (ADDR:PORT or [ADDR]:PORT) and do an echo round trip on each

usage: python3 client.py activate [--fd SPEC]... [--names NAMES] -- COMMAND [ARG...]

  socket activation by hand (what systemd-socket-activate cannot make): open
  the sockets, put them at fds 3, 4, ..., set LISTEN_FDS, LISTEN_PID (our own
  pid: COMMAND is exec'd, not forked) and LISTEN_FDNAMES=NAMES (unset without
  --names), exec COMMAND. SPEC: listen:ADDR:PORT (TCP, listening),
  dual:PORT (TCP [::] with IPV6_V6ONLY=0, listening), bound:ADDR:PORT (TCP,
  bound but not listening), udp:ADDR:PORT

usage: python3 client.py tty-stderr -- COMMAND [ARG...]

  exec COMMAND (same pid) with its stderr on a pseudo-terminal; a detached
  copier passes what it writes on to our stdout

Any mismatch, unexpected error or missed deadline prints "client: ..." on
stderr and exits 1; bad usage exits 2.
"""

import argparse
import fcntl
import os
import select
import signal
import socket
import sys
import threading
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
    raise Failure("not a numeric address: %r (names are never resolved here)" % host)


def split_bind(spec):
    """'127.0.0.2', '127.0.0.2:4000', '::1', '[::1]:4000' -> (addr, port)."""
    if spec is None:
        return None
    if spec.startswith("["):
        addr, _, rest = spec[1:].partition("]")
        return addr, int(rest[1:]) if rest.startswith(":") else 0
    if spec.count(":") == 1:
        addr, port = spec.split(":")
        return addr, int(port)
    return spec, 0


def connect(host, port, bind=None, timeout=10.0):
    fam = family_of(host)
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        if bind is not None:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(bind)
        s.connect((host, port))
    except OSError:
        s.close()
        raise
    return s


def where(host, port):
    return "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)


def make_payload(size, rand, data, seed=0):
    if data is not None:
        return data.encode()
    if rand:
        return os.urandom(size)
    # Deterministic but not periodic at small strides: every byte value occurs.
    return bytes(((i * 7 + (i >> 8) + seed) & 0xFF) for i in range(size))


def exchange(s, payload, deadline, label, expect=None):
    """Send PAYLOAD on the connected S while reading, half-close, read to EOF
    before DEADLINE; the bytes read must equal EXPECT (default: PAYLOAD).
    Closes S. Raises Failure."""
    timeout = deadline - time.monotonic()
    if expect is None:
        expect = payload
    errors = []

    def sender():
        try:
            s.sendall(payload)
            s.shutdown(socket.SHUT_WR)
        except OSError as e:
            errors.append(e)

    t = threading.Thread(target=sender, daemon=True)
    t.start()
    chunks, got = [], 0
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout()
            s.settimeout(left)
            d = s.recv(262144)
            if not d:
                break
            chunks.append(d)
            got += len(d)
    except socket.timeout:
        raise Failure("%s: deadline of %.0f s passed after receiving %d of %d bytes"
                      % (label, timeout, got, len(expect)))
    except OSError as e:
        raise Failure("%s: receive failed after %d of %d bytes: %s"
                      % (label, got, len(expect), e))
    finally:
        t.join(max(0.0, deadline - time.monotonic()))
        s.close()
    if errors:
        raise Failure("%s: send failed: %s" % (label, errors[0]))
    data = b"".join(chunks)
    if data != expect:
        n = min(len(data), len(expect))
        first = next((i for i in range(n) if data[i] != expect[i]), n)
        if expect is payload:
            raise Failure("%s: echo mismatch: sent %d bytes, got %d, first difference at offset %d"
                          % (label, len(payload), len(data), first))
        raise Failure("%s: reply mismatch: sent %d bytes, expected %d back, got %d"
                      % (label, len(payload), len(expect), len(data)))


def echo_once(host, port, payload, bind=None, timeout=30.0, after_connect=None, expect=None):
    """One echo exchange; returns (local addr, local port). Raises Failure.
    AFTER_CONNECT(sock) runs once connected, before the deadline starts."""
    deadline = time.monotonic() + timeout
    try:
        s = connect(host, port, bind, timeout)
    except OSError as e:
        raise Failure("connect to %s failed: %s" % (where(host, port), e))
    local = s.getsockname()
    if after_connect is not None:
        try:
            after_connect(s)
        except BaseException:
            s.close()
            raise
        deadline = time.monotonic() + timeout
    exchange(s, payload, deadline, where(host, port), expect)
    return local[0], local[1]


def wait_file(path, timeout, what):
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise Failure("%s: %s did not appear within %.0f s" % (what, path, timeout))
        time.sleep(0.01)


def cmd_echo(a):
    payload = make_payload(a.size, a.random, a.data)
    expect = b"" if a.discard else None
    after = None
    if a.go:
        def after(s):
            write_ready(a.ready, "connected %s:%d" % s.getsockname()[:2])
            wait_file(a.go, a.timeout, "waiting to start the exchange")
    for _ in range(a.repeat):
        addr, lport = echo_once(a.host, a.port, payload, split_bind(a.bind), a.timeout,
                                after, expect)
        print("ok bytes=%d local=%s lport=%d%s"
              % (len(payload), addr, lport, " discarded" if a.discard else ""), flush=True)


def cmd_many(a):
    barrier = threading.Barrier(a.clients)
    failures = []
    lock = threading.Lock()

    def one(i):
        payload = make_payload(a.size, True, None)
        try:
            barrier.wait(a.timeout)
            echo_once(a.host, a.port, payload, None, a.timeout)
        except (Failure, threading.BrokenBarrierError) as e:
            with lock:
                failures.append("client %d: %s" % (i, e))

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(a.clients)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.0, start + a.timeout + 1 - time.monotonic()))
    hung = sum(t.is_alive() for t in threads)
    if hung:
        failures.append("%d clients still running after %.0f s" % (hung, a.timeout))
    if failures:
        raise Failure("%d of %d concurrent clients failed:\n  %s"
                      % (len(failures), a.clients, "\n  ".join(failures)))
    print("ok clients=%d bytes=%d seconds=%.2f" % (a.clients, a.size, time.monotonic() - start))


def cmd_refused(a):
    try:
        s = connect(a.host, a.port, split_bind(a.bind), a.timeout)
    except ConnectionRefusedError:
        print("ok refused %s" % where(a.host, a.port))
        return
    except OSError as e:
        raise Failure("connect to %s: expected 'connection refused', got: %s"
                      % (where(a.host, a.port), e))
    s.close()
    raise Failure("connect to %s succeeded; expected it to be refused" % where(a.host, a.port))


def write_ready(path, text):
    if path:
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text + "\n")
        os.rename(tmp, path)


def probe(s, i, timeout):
    """Echo a short line on S: True if echoed, False if the server closed it."""
    msg = b"probe %d\n" % i
    got = b""
    s.settimeout(timeout)
    try:
        s.sendall(msg)
        while len(got) < len(msg):
            d = s.recv(len(msg) - len(got))
            if not d:
                return False
            got += d
    except (ConnectionResetError, BrokenPipeError):
        return False
    except socket.timeout:
        raise Failure("connection %d: neither echoed nor closed within %.0f s" % (i, timeout))
    if got != msg:
        raise Failure("connection %d: probe echo mismatch: %r" % (i, got))
    return True


def flood(s, total, stall):
    """Send up to TOTAL bytes without ever reading; stop once no progress for STALL s."""
    s.setblocking(False)
    chunk = b"x" * 65536
    sent, last = 0, time.monotonic()
    while sent < total:
        try:
            sent += s.send(chunk[: min(len(chunk), total - sent)])
            last = time.monotonic()
        except BlockingIOError:
            if time.monotonic() - last > stall:
                break
            select.select([], [s], [], 0.1)
    return sent


def cmd_hold(a):
    stop, reprobe = [], []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    if a.reprobe:
        signal.signal(signal.SIGUSR1, lambda *_: reprobe.append(1))
    bind = split_bind(a.bind)
    socks, closed, sent = [], 0, 0
    for i in range(a.count):
        try:
            s = connect(a.host, a.port, bind, a.timeout)
        except OSError as e:
            raise Failure("connection %d to %s failed: %s" % (i, where(a.host, a.port), e))
        if a.probe and not probe(s, i, a.timeout):
            closed += 1
            s.close()
            if a.stop_on_close:
                break
            continue
        if a.send:
            sent += flood(s, a.send, 1.0)
        socks.append(s)
    write_ready(a.ready, "held=%d closed=%d sent=%d" % (len(socks), closed, sent))
    print("held=%d closed=%d sent=%d" % (len(socks), closed, sent), flush=True)
    if not a.until_closed:
        while not stop:
            if reprobe:
                del reprobe[:]
                answered = sum(probe(s, i, a.timeout) for i, s in enumerate(socks))
                write_ready(a.reprobe, "echoed=%d closed=%d" % (answered, len(socks) - answered))
            time.sleep(0.01 if a.reprobe else 0.1)
        for s in socks:
            s.close()
        return
    # Wait until the server has closed every held connection. Without reading:
    # POLLRDHUP reports the server's FIN even with unread data queued.
    deadline = time.monotonic() + a.timeout
    p = select.poll()
    gone = select.POLLRDHUP | select.POLLHUP | select.POLLERR
    for s in socks:
        p.register(s, gone)
    left_open = len(socks)
    while left_open and not stop:
        left = deadline - time.monotonic()
        if left <= 0:
            raise Failure("%d of %d held connections still open after %.0f s"
                          % (left_open, len(socks), a.timeout))
        for fd, ev in p.poll(min(left, 0.2) * 1000):
            if ev & gone:
                p.unregister(fd)
                left_open -= 1
    for s in socks:
        s.close()
    if not stop:
        print("all %d held connections closed by the server" % len(socks))


def cmd_listen(a):
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    s = socket.socket(family_of(a.host), socket.SOCK_STREAM)
    s.bind((a.host, a.port))
    s.listen(8)
    write_ready(a.ready, "listening %s" % where(a.host, a.port))
    while not stop:
        time.sleep(0.1)
    s.close()


def echo_small(host, port, payload, timeout):
    """echo_once without a sender thread: PAYLOAD (at most 64 KiB) fits in the socket
    buffers, so it can all be sent before reading. Raises Failure."""
    deadline = time.monotonic() + timeout
    label = where(host, port)
    try:
        s = connect(host, port, None, timeout)
    except OSError as e:
        raise Failure("connect to %s failed: %s" % (label, e))
    chunks, got = [], 0
    try:
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout()
            s.settimeout(left)
            d = s.recv(65536)
            if not d:
                break
            chunks.append(d)
            got += len(d)
    except socket.timeout:
        raise Failure("%s: deadline passed after receiving %d of %d bytes"
                      % (label, got, len(payload)))
    except OSError as e:
        raise Failure("%s: failed after receiving %d of %d bytes: %s"
                      % (label, got, len(payload), e))
    finally:
        s.close()
    if b"".join(chunks) != payload:
        raise Failure("%s: echo mismatch: sent %d bytes, got %d back" % (label, len(payload), got))


def cmd_loop(a):
    if a.size > 65536:
        raise Failure("loop: --size is at most 65536")
    if a.nice:
        os.nice(a.nice)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    lock = threading.Lock()
    done = [0] * a.workers
    failures = []

    def worker(i):
        n = 0
        while not stop.is_set():
            if a.stop and os.path.exists(a.stop):
                stop.set()
                break
            # Random sizes, so a short or merged echo cannot pass by chance.
            payload = os.urandom(1 + (n * 7919 + i * 104729) % a.size)
            try:
                echo_small(a.host, a.port, payload, a.timeout)
                done[i] += 1
            except Failure as e:
                with lock:
                    failures.append("worker %d, round trip %d: %s" % (i, n + 1, e))
            n += 1

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(a.workers)]
    start = time.monotonic()
    for t in threads:
        t.start()
    ready = False
    while not stop.is_set():
        if a.stop and os.path.exists(a.stop):
            stop.set()
        if not ready and all(done):
            write_ready(a.ready, "every worker has completed a round trip")
            ready = True
        stop.wait(0.01)
    for t in threads:
        t.join(a.timeout + 1)
    hung = sum(t.is_alive() for t in threads)
    if hung:
        failures.append("%d workers still running %.0f s after the stop" % (hung, a.timeout))
    total = sum(done)
    summary = ("connections=%d failures=%d workers=%d seconds=%.2f"
               % (total, len(failures), a.workers, time.monotonic() - start))
    if failures:
        raise Failure("%s\n  %s" % (summary, "\n  ".join(failures[:20])))
    if not total:
        raise Failure("%s: not one round trip" % summary)
    print("ok " + summary)


def split_target(spec):
    """'127.0.0.1:7007' or '[::1]:7007' -> (addr, port)."""
    addr, port = split_bind(spec)
    if not port:
        raise Failure("target %r has no port" % spec)
    return addr, port


def cmd_after_ready(a):
    targets = [split_target(t) for t in a.targets]
    deadline = time.monotonic() + a.timeout
    while True:
        with open(a.log, "rb") as f:
            # Complete lines only (notify.py writes one whole line per datagram).
            lines = f.read().split(b"\n")[a.mark:-1]
        if any(b"READY=1" in ln.split()[1:] for ln in lines):
            break
        if time.monotonic() > deadline:
            raise Failure("no READY=1 in %s within %.0f s" % (a.log, a.timeout))
        time.sleep(0.001)
    t0 = time.monotonic()
    # Connect to every listener first, as fast as possible, then talk.
    socks = []
    for host, port in targets:
        try:
            socks.append((connect(host, port, None, a.timeout), host, port))
        except OSError as e:
            raise Failure("connect to %s right after READY=1 failed: %s" % (where(host, port), e))
    connected_ms = (time.monotonic() - t0) * 1000
    for i, (s, host, port) in enumerate(socks):
        exchange(s, b"ready %d\n" % i, time.monotonic() + a.timeout, where(host, port))
    print("ok targets=%d connected within %.1f ms of seeing READY=1" % (len(socks), connected_ms))


def activation_socket(spec):
    kind, _, rest = spec.partition(":")
    if kind == "dual":
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind(("::", int(rest)))
        s.listen(128)
        return s
    addr, port = split_target(rest)
    if kind not in ("listen", "bound", "udp"):
        raise Failure("unknown socket kind in %r" % spec)
    s = socket.socket(family_of(addr), socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if s.family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, port))
    if kind == "listen":
        s.listen(128)
    return s


def activate(argv):
    p = argparse.ArgumentParser(prog="client.py activate")
    p.add_argument("--fd", action="append", default=[], help="socket SPEC, in fd order")
    p.add_argument("--names", help="LISTEN_FDNAMES (unset without it)")
    p.add_argument("command", nargs=argparse.REMAINDER)
    a = p.parse_args(argv)
    cmd = a.command[1:] if a.command[:1] == ["--"] else a.command
    if not cmd:
        p.error("no COMMAND")
    try:
        socks = [activation_socket(spec) for spec in a.fd]
    except (Failure, OSError) as e:
        sys.stderr.write("client: activate: %s\n" % e)
        sys.exit(1)
    # Out of the way first (socket() may have returned 3, 4, ...), then to 3, 4, ...
    high = [fcntl.fcntl(s.fileno(), fcntl.F_DUPFD, 100) for s in socks]
    for s in socks:
        s.close()
    for i, fd in enumerate(high):
        os.dup2(fd, 3 + i)  # inheritable
        os.close(fd)
    os.environ.pop("LISTEN_FDNAMES", None)
    os.environ.update(LISTEN_FDS=str(len(socks)), LISTEN_PID=str(os.getpid()))
    if a.names is not None:
        os.environ["LISTEN_FDNAMES"] = a.names
    sys.stdout.flush()
    os.execv(cmd[0], cmd)  # same pid, so LISTEN_PID matches


def tty_stderr(argv):
    import pty
    import tty

    master, slave = pty.openpty()
    tty.setraw(slave)  # no \r\n translation: lines arrive as written
    pid = os.fork()
    if pid == 0:
        # Detach the copier (double fork), so it is not a child of COMMAND.
        if os.fork() != 0:
            os._exit(0)
        os.close(slave)
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: every slave descriptor is closed
                data = b""
            if not data:
                os._exit(0)
            os.write(1, data)
    os.waitpid(pid, 0)
    os.close(master)
    os.dup2(slave, 2)
    os.close(slave)
    os.execvp(argv[0], argv)


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "tty-stderr" and sys.argv[2] == "--":
        tty_stderr(sys.argv[3:])
    if len(sys.argv) > 1 and sys.argv[1] == "activate":
        activate(sys.argv[2:])
    p = argparse.ArgumentParser(prog="client.py")
    sub = p.add_subparsers(dest="cmd", required=True)

    def common(name):
        c = sub.add_parser(name)
        c.add_argument("host")
        c.add_argument("port", type=int)
        c.add_argument("--timeout", type=float, default=30.0, help="deadline, seconds")
        return c

    c = common("echo")
    c.add_argument("--bind", help="source address[:port]")
    c.add_argument("--size", type=int, default=1024)
    c.add_argument("--random", action="store_true", help="random binary payload")
    c.add_argument("--data", help="send this text instead")
    c.add_argument("--repeat", type=int, default=1)
    c.add_argument("--discard", action="store_true",
                   help="expect nothing back (a discard service), just EOF")
    c.add_argument("--ready", help="with --go: file written once connected")
    c.add_argument("--go", help="wait for this file after connecting, then start the exchange")
    c.set_defaults(func=cmd_echo)

    c = common("many")
    c.add_argument("--clients", type=int, default=50)
    c.add_argument("--size", type=int, default=65536)
    c.set_defaults(func=cmd_many)

    c = common("refused")
    c.add_argument("--bind")
    c.set_defaults(func=cmd_refused)

    c = common("hold")
    c.add_argument("--bind")
    c.add_argument("--count", type=int, default=1)
    c.add_argument("--probe", action="store_true", help="echo a line on each connection")
    c.add_argument("--stop-on-close", action="store_true",
                   help="with --probe: stop at the first connection the server closes")
    c.add_argument("--send", type=int, default=0, help="bytes to send without reading")
    c.add_argument("--ready", help="file written once every connection is open")
    c.add_argument("--until-closed", action="store_true",
                   help="exit 0 once the server closed them all (or on SIGTERM), "
                   "1 after --timeout")
    c.add_argument("--reprobe", help="on SIGUSR1, probe every held connection again and "
                   "write 'echoed=N closed=M' to this file")
    c.set_defaults(func=cmd_hold)

    c = common("listen")
    c.add_argument("--ready")
    c.set_defaults(func=cmd_listen)

    c = common("loop")
    c.add_argument("--workers", type=int, default=50)
    c.add_argument("--size", type=int, default=4096, help="payloads of 1..SIZE bytes")
    c.add_argument("--ready", help="file written once every worker has completed a round trip")
    c.add_argument("--stop", help="stop once this file exists (or on SIGTERM)")
    c.add_argument("--nice", type=int, default=0,
                   help="lower our priority by this much, so the test driving the server "
                   "is not starved")
    c.set_defaults(func=cmd_loop)

    c = sub.add_parser("after-ready")
    c.add_argument("log")
    c.add_argument("mark", type=int, help="lines of LOG to ignore")
    c.add_argument("targets", nargs="+")
    c.add_argument("--timeout", type=float, default=30.0)
    c.set_defaults(func=cmd_after_ready, cmd="after-ready")

    a = p.parse_args()
    try:
        a.func(a)
    except Failure as e:
        sys.stderr.write("client: %s\n" % e)
        return 1
    except OSError as e:
        sys.stderr.write("client: %s: %s\n" % (a.cmd, e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
