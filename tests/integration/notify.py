# SPDX-License-Identifier: MIT
"""Fake sd_notify receiver: NOTIFY_SOCKET for the integration tests.

usage: python3 notify.py SOCKET LOG [TIMES]

Binds a unix datagram socket at SOCKET and appends one line per datagram to
LOG: the sender's pid (from SCM_CREDENTIALS) and the datagram with its
newlines turned into spaces, e.g. "1234 READY=1 STATUS=serving 1 service".
One datagram is one line, so messages are never merged (socat would).

With TIMES, the same line is first appended there, prefixed by the time the
kernel queued the datagram (SO_TIMESTAMP: microseconds since the epoch, the
clock of bash's EPOCHREALTIME), e.g. "1700000000123456 1234 WATCHDOG=1".
That is when it was sent, however late this reader runs. Line N of TIMES and
line N of LOG are the same datagram.
"""

import os
import signal
import socket
import struct
import sys
import time

SO_TIMESTAMP = getattr(socket, "SO_TIMESTAMP", 29)  # asm-generic; Python does not name it

def main():
    if len(sys.argv) not in (3, 4):
        sys.stderr.write("usage: notify.py SOCKET LOG [TIMES]\n")
        return 2
    path, logpath = sys.argv[1], sys.argv[2]
    timespath = sys.argv[3] if len(sys.argv) == 4 else None
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    if timespath:
        s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMP, 1)
    s.bind(path)
    # Daemons running as an unprivileged user must be able to send here too.
    os.chmod(path, 0o666)
    tv = struct.Struct("@ll")
    times = open(timespath, "a", buffering=1) if timespath else None
    with open(logpath, "a", buffering=1) as log:
        while True:
            data, anc, _, _ = s.recvmsg(65536, socket.CMSG_SPACE(12) + socket.CMSG_SPACE(tv.size))
            pid, usec = 0, None
            for level, kind, payload in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = struct.unpack("iII", payload[:12])[0]
                elif level == socket.SOL_SOCKET and kind == SO_TIMESTAMP:
                    sec, us = tv.unpack(payload[: tv.size])
                    usec = sec * 1000000 + us
            text = data.decode("utf-8", "replace").replace("\n", " ").strip()
            if times:
                if usec is None:
                    usec = int(time.time() * 1000000)
                times.write("%d %d %s\n" % (usec, pid, text))
            log.write("%d %s\n" % (pid, text))


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(0)
