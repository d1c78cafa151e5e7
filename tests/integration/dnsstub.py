# SPDX-License-Identifier: MIT
"""A stub DNS server for the integration tests (standard library only).

usage: python3 dnsstub.py LOG [RECORD...] [--table FILE] [--addr ADDR] [--port N]

Answers UDP queries on 127.0.0.1:53 (inside the test's private network
namespace) from a table of RECORDs, each "TYPE NAME VALUE" or "slow NAME":

  ptr 127.0.0.3 ptr.test        PTR; NAME may be an address (IPv4, or IPv6
                                as ip6.arpa nibbles) or an .arpa name
  a ptr.test 127.0.0.3          A
  aaaa v6.test 2001:db8::10     AAAA
  slow 127.0.0.4                never answer any query for this name

--table FILE reads more records, one a line ('#' starts a comment). A name in
the table with no record of the asked type gets an empty answer; an unknown
name gets NXDOMAIN. Every query is appended to LOG as "NAME TYPE" (lower
case, no trailing dot; TYPE is PTR, A, AAAA or the number) before it is
answered, so a test can assert what was asked and how often.
"""

import ipaddress
import socket
import struct
import sys

TYPES = {"a": 1, "ptr": 12, "aaaa": 28}
NAMES = {v: k.upper() for k, v in TYPES.items()}


def arpa(name):
    try:
        return ipaddress.ip_address(name).reverse_pointer.lower()
    except ValueError:
        return name.lower().rstrip(".")


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def rdata(qtype, value):
    if qtype == 1:
        return socket.inet_pton(socket.AF_INET, value)
    if qtype == 28:
        return socket.inet_pton(socket.AF_INET6, value)
    return encode_name(value)


def load(records, table, slow):
    for words in records:
        if words[0] == "slow" and len(words) == 2:
            slow.add(arpa(words[1]))
        elif words[0] in TYPES and len(words) == 3:
            key = arpa(words[1]) if words[0] == "ptr" else words[1].lower()
            table.setdefault(key, []).append((TYPES[words[0]], words[2]))
        else:
            sys.exit("dnsstub: bad record %r" % " ".join(words))


def parse_query(q):
    """(id, flags, name, qtype, end of the question) of a query."""
    qid, flags, qdcount = struct.unpack("!HHH", q[:6])
    if qdcount != 1 or flags & 0x8000:
        raise ValueError("not a single-question query")
    i, labels = 12, []
    while q[i]:
        labels.append(q[i + 1:i + 1 + q[i]].decode("ascii", "replace"))
        i += 1 + q[i]
    qtype, _ = struct.unpack("!HH", q[i + 1:i + 5])
    return qid, flags, ".".join(labels).lower(), qtype, i + 5


def main():
    args, records, addr, port = sys.argv[1:], [], "127.0.0.1", 53
    log = args.pop(0)
    while args:
        a = args.pop(0)
        if a == "--table":
            with open(args.pop(0)) as f:
                records += [l.split("#")[0].split() for l in f if l.split("#")[0].strip()]
        elif a == "--addr":
            addr = args.pop(0)
        elif a == "--port":
            port = int(args.pop(0))
        else:
            records.append(a.split())
    table, slow = {}, set()
    load(records, table, slow)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    with open(log, "a", buffering=1) as out:
        while True:
            q, peer = s.recvfrom(4096)
            try:
                qid, flags, name, qtype, end = parse_query(q)
            except (ValueError, IndexError, struct.error):
                continue
            out.write("%s %s\n" % (name, NAMES.get(qtype, str(qtype))))
            if name in slow:
                continue
            answers = [rdata(t, v) for t, v in table.get(name, []) if t == qtype]
            rcode = 0 if name in table else 3
            head = struct.pack("!HHHHHH", qid, 0x8400 | (flags & 0x0100) | 0x0080 | rcode,
                               1, len(answers), 0, 0)
            body = q[12:end]
            for r in answers:
                body += struct.pack("!HHHIH", 0xC00C, qtype, 1, 5, len(r)) + r
            s.sendto(head + body, peer)


if __name__ == "__main__":
    main()
