# SPDX-License-Identifier: MIT
"""Fake sd_notify receiver: NOTIFY_SOCKET for the integration tests.

usage: python3 notify.py SOCKET LOG

Binds a unix datagram socket at SOCKET and appends one line per datagram to
LOG: the sender's pid (from SCM_CREDENTIALS) and the datagram with its
newlines turned into spaces, e.g. "1234 READY=1 STATUS=serving 1 service".
One datagram is one line, so messages are never merged (socat would).
"""

import os
import signal
import socket
import struct
import sys


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: notify.py SOCKET LOG\n")
        return 2
    path, logpath = sys.argv[1], sys.argv[2]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    s.bind(path)
    # Daemons running as an unprivileged user must be able to send here too.
    os.chmod(path, 0o666)
    with open(logpath, "a", buffering=1) as log:
        while True:
            data, anc, _, _ = s.recvmsg(65536, socket.CMSG_SPACE(12))
            pid = 0
            for level, kind, payload in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = struct.unpack("iII", payload[:12])[0]
            text = data.decode("utf-8", "replace").replace("\n", " ").strip()
            log.write("%d %s\n" % (pid, text))


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(0)
