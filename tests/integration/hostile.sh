#!/bin/bash
# SPDX-License-Identifier: MIT
# Hostile clients and a huge configuration against a running daemon (issue 7, item 7).
#
# Slowloris: idle_timeout counts progress (src/builtin.c: a byte read, room to send, the
# client draining our send queue), so a client is cut off only when it stays silent for
# idle_timeout. 50 clients from 50 addresses attack an echo service with idle_timeout = 2:
# half send nothing, half one byte and, 6 s after its echo, another. Each is closed by the
# server before its second byte (the connection-ended entry says END_REASON=idle-timeout;
# it is read from stderr, since a busy private journald made the daemon drop entries, as it
# is designed to), while a loop of echo clients on the same service sees no failure.
# Clients that trickle a byte every 0.5 s make progress and are not idle; what bounds them
# is max_per_source: of 20 from one address 5 are served and 15 refused, while another
# address is served by that service and the loop sees no failure. (max_per_source counts
# a connection until the daemon reaps its process: the loop's 4 back-to-back workers
# reached 15-20 such connections from 127.0.0.1, so the loop uses a service without it.)
# A PROXY header trickled a byte every 0.1 s hits proxy_timeout (1 s) although every byte
# is progress: the deadline is for the whole header. (Garbage, oversized and partial PROXY
# headers are proxy.sh's.)
#
# Many services: 10,000 services, each with its own port: `acceptd -t` accepts them (the
# conflict and duplicate-name checks are O(n log n) and O(n)). The daemon starts with 2,000
# of them, one listener each (RLIMIT_NOFILE raised for it), serves the first, a middle and
# the last, reloads them, and stops: 10,000 would work too, but its start and its reload
# take about 9 s each (src/server.c matches services and listeners pairwise), too long
# for a test run twice in CI. Durations are printed, never asserted.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
sandbox "$@"

# Events are read from acceptd's stderr: the same MESSAGE_ID and fields as in the journal.
MSGID_CONN_LIMITED=2acfb645a4c64495921eb2eb11f97bb1
IDLE=2
NSLOW=50
write_conf <<EOF
services = (
  { name = "slow"; listen = [ "127.0.0.1" ]; port = 7007; builtin = "echo";
    idle_timeout = $IDLE; resolve = "none"; },
  { name = "capped"; listen = [ "127.0.0.1" ]; port = 7009; builtin = "echo";
    idle_timeout = $IDLE; max_per_source = 5; resolve = "none"; },
  { name = "pslow"; listen = [ "127.0.0.1" ]; port = 7008; builtin = "echo";
    proxy_protocol = "v1"; proxy_trusted = [ "127.0.0.1" ]; proxy_timeout = 1;
    resolve = "none"; }
);
EOF
start_daemon

cat >"$TESTDIR/slowloris.py" <<'EOF'
"""slowloris.py MODE PORT N SOURCE-PREFIX FIRST EVERY [SECONDS]

N clients to 127.0.0.1:PORT, client i from SOURCE-PREFIX.(FIRST+i):
  idle     half send nothing; half send a byte, and the next one EVERY s after its echo
           came back (so the server is surely serving them); each must be closed by the
           server (EOF or reset) before its second byte, with its one byte echoed
  trickle  all from SOURCE-PREFIX, a byte EVERY s for SECONDS s; prints how many were
           served all along (every byte echoed, open at the end) and how many the server
           closed without echoing a byte (refused)
Prints "ok ..." or "slowloris: ..." on stderr (exit 1)."""
import select, socket, sys, time

mode, port, n, prefix, first = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
every = float(sys.argv[6])
seconds = float(sys.argv[7]) if len(sys.argv) > 7 else 60
start = time.monotonic()
socks, info = [], []
for i in range(n):
    s = socket.socket()
    s.bind((prefix if mode == "trickle" else "%s.%d" % (prefix, first + i), 0))
    s.connect(("127.0.0.1", port))
    s.setblocking(False)
    socks.append(s)
    drip = mode == "trickle" or i % 2 == 1
    info.append({"drip": drip, "sent": 0, "echoed": 0, "next": start if drip else None,
                 "last": time.monotonic(), "closed": None, "port": s.getsockname()[1]})
end = start + seconds
while time.monotonic() < end:
    now = time.monotonic()
    for s, c in zip(socks, info):
        if c["closed"] is None and c["next"] is not None and now >= c["next"]:
            try:
                s.send(b"x")
                c["sent"] += 1
                c["last"] = now
            except OSError:
                c["closed"] = now
            # trickle: on a clock; idle: the next byte is due EVERY s after the echo
            c["next"] = now + every if mode == "trickle" else None
    open_ = [s for s, c in zip(socks, info) if c["closed"] is None]
    if not open_:
        break
    due = [c["next"] for c in info if c["closed"] is None and c["next"] is not None]
    r, _, _ = select.select(open_, [], [], max(0.0, min(due + [end]) - time.monotonic()))
    for s in r:
        c = info[socks.index(s)]
        try:
            d = s.recv(4096)
        except OSError:
            d = b""
        if d:
            c["echoed"] += len(d)
            if mode == "idle" and c["echoed"] == c["sent"]:
                c["next"] = time.monotonic() + every
        else:
            c["closed"] = time.monotonic()
if mode == "idle":
    bad = [c for c in info if c["closed"] is None or c["sent"] > 1 or c["echoed"] != c["sent"]]
    if bad:
        sys.stderr.write("slowloris: %d of %d not cut off as idle: %r\n" % (len(bad), n, bad[:5]))
        sys.exit(1)
    waits = sorted(c["closed"] - c["last"] for c in info)
    print("ok idle clients=%d ports=%s silence-before-close=%.2f..%.2f" % (
        n, ",".join(str(c["port"]) for c in info), waits[0], waits[-1]))
else:
    served = [c for c in info if c["closed"] is None and c["echoed"] == c["sent"]]
    refused = [c for c in info if c["closed"] is not None and c["echoed"] == 0]
    print("ok trickle clients=%d served=%d refused=%d bytes=%d" % (
        n, len(served), len(refused), sum(c["echoed"] for c in served)))
EOF

# ports: the REMOTE_PORT of each event line on stdin, sorted, comma-separated
ports() {
	sed -n 's/.* REMOTE_PORT=\([0-9]*\).*/\1/p' | sort -n | tr '\n' , | sed 's/,$//'
}

# loop_start: 4 echo workers on "slow" from 127.0.0.1 until loop_stop
loop_start() {
	rm -f "$TESTDIR/loop.stop" "$TESTDIR/loop.ready"
	client_bg loop loop 127.0.0.1 7007 --workers 4 --size 2000 --timeout 20 \
		--stop "$TESTDIR/loop.stop" --ready "$TESTDIR/loop.ready"
	LOOP_PID=$BG_PID
	wait_for -t 20 test -e "$TESTDIR/loop.ready" || fail "the echo loop did not get going: $(
		cat "$TESTDIR/loop.out")"
}
# loop_stop WHAT: the loop must have made round trips and seen no failure
loop_stop() {
	local rc=0
	touch "$TESTDIR/loop.stop"
	wait_for -t 30 proc_gone "$LOOP_PID" || fail "the echo loop did not stop"
	wait "$LOOP_PID" || rc=$?
	[ "$rc" = 0 ] || fail "$1: the echo loop failed: $(cat "$TESTDIR/loop.out")"
	ok "$1: normal clients kept being served: $(cat "$TESTDIR/loop.out")"
}

# --- slowloris: silent clients and clients slower than idle_timeout are cut off
loop_start
t0=$(now_us)
out=$("$PYTHON" "$TESTDIR/slowloris.py" idle 7007 "$NSLOW" 127.0.1 1 $((3 * IDLE)) 2>&1) ||
	fail "slowloris: $out"
note "$NSLOW slow clients all cut off after $((($(now_us) - t0) / 1000)) ms"
loop_stop "during $NSLOW slowloris clients"
ports=$(sed -n 's/.* ports=\([0-9,]*\) .*/\1/p' <<<"$out")
ok "slowloris: ${out#ok }"
# Each of them: a connection-ended entry from the parent saying why.
cut() {
	[ "$(count_events "$MSGID_CONN_ENDED" ACCEPTD_SERVICE=slow END_REASON=idle-timeout)" -ge "$NSLOW" ]
}
wait_for -t 20 cut || fail "not $NSLOW END_REASON=idle-timeout entries: $(events "$MSGID_CONN_ENDED" |
	with_fields ACCEPTD_SERVICE=slow END_REASON=idle-timeout | head -n 3)"
got=$(events "$MSGID_CONN_ENDED" | with_fields ACCEPTD_SERVICE=slow END_REASON=idle-timeout | ports)
[ "$got" = "$(tr , '\n' <<<"$ports" | sort -n | tr '\n' , | sed 's/,$//')" ] ||
	fail "the idle-timeout end entries are for ports $got, the slow clients had $ports"
early=$(events "$MSGID_CONN_ENDED" | with_fields ACCEPTD_SERVICE=slow REMOTE_ADDR=127.0.0.1 |
	grep ' END_REASON=') && fail "normal clients ended early: $(head -n 3 <<<"$early")"
line=$(events "$MSGID_CONN_ENDED" | with_fields REMOTE_PORT="${ports%%,*}")
ok "each slow client has its connection-ended entry (\"${line%% | *}\"); no normal client ended early"

# --- clients that trickle faster than idle_timeout are not idle; max_per_source bounds them
loop_start
"$PYTHON" "$TESTDIR/slowloris.py" trickle 7009 20 127.0.2.1 0 0.5 $((3 * IDLE)) \
	>"$TESTDIR/trickle.out" 2>&1 &
trickle=$!
PIDS+=("$trickle")
# Meanwhile another address is served by the same service, one connection at a time.
nap 0.5
t0=$(now_us)
for i in 1 2; do
	out=$(client echo 127.0.0.1 7009 --size 1000 --timeout 10) ||
		fail "capped: connection $i from 127.0.0.1 during the trickle: $out"
done
ok "capped: 2 connections from another address served while 127.0.2.1 trickles ($((($(now_us) - t0) / 1000)) ms)"
wait_for -t 30 proc_gone "$trickle" || fail "the trickling clients did not finish"
note "the trickle ended after $((($(now_us) - t0) / 1000)) ms"
rc=0
wait "$trickle" || rc=$?
out=$(cat "$TESTDIR/trickle.out")
[ "$rc" = 0 ] || fail "trickle: $out"
loop_stop "during 20 trickling clients from one address"
[[ " $out " == *" served=5 "* && " $out " == *" refused=15 "* ]] ||
	fail "trickle: expected 5 served for $((3 * IDLE)) s (max_per_source) and 15 refused: $out"
ok "a byte every 0.5 s is progress, not idleness: ${out#ok }"
wait_for at_least 15 "$MSGID_CONN_LIMITED" ACCEPTD_SERVICE=capped REMOTE_ADDR=127.0.2.1 ||
	fail "not 15 connection-limited entries for 127.0.2.1"
n=$(count_events "$MSGID_CONN_LIMITED" ACCEPTD_SERVICE=capped REMOTE_ADDR=127.0.2.1)
[ "$n" = 15 ] || fail "$n connection-limited entries for 127.0.2.1, expected 15"
ok "15 connection-limited entries"

# --- a PROXY header trickled a byte every 0.3 s: proxy_timeout covers the whole header
t0=$(now_us)
out=$("$PYTHON" "$LIBDIR/proxysend.py" 127.0.0.1 7008 --mode trickle --delay 0.1 \
	--header 'v1,TCP4,198.51.100.7,203.0.113.1,40001,443' --data hello --expect-nothing \
	--timeout 30 2>&1) || fail "trickled PROXY header: $out"
wait_for at_least 1 "$MSGID_CONN_ENDED" ACCEPTD_SERVICE=pslow END_REASON=proxy-header ||
	fail "no END_REASON=proxy-header for the trickled header: $(events "$MSGID_CONN_ENDED" |
		with_fields ACCEPTD_SERVICE=pslow)"
usec=$(events "$MSGID_CONN_ENDED" | with_fields ACCEPTD_SERVICE=pslow END_REASON=proxy-header |
	field DURATION_USEC)
note "trickled PROXY header: server ended it after ${usec:-?} us; the sender took $((($(now_us) - t0) / 1000)) ms"
ok "a PROXY header trickled a byte every 0.1 s was cut off by proxy_timeout, nothing echoed (${out#ok })"
wait_for no_zombie_children || fail "zombie children: $(zombie_children "$DAEMON_PID")"
stop_daemon

# --- 10,000 services, each on its own port
NSVC=10000
FIRST=20000
# many N: a config of N echo services on 127.0.0.1, ports FIRST and up
many() {
	"$PYTHON" - "$1" "$FIRST" <<'EOF'
import sys
n, first = int(sys.argv[1]), int(sys.argv[2])
print("daemon = { log_connections = \"none\"; };\nservices = (")
for i in range(n):
    print('  { name = "s%d"; listen = [ "127.0.0.1" ]; port = %d; builtin = "echo"; '
          'resolve = "none"; }%s' % (i, first + i, "," if i < n - 1 else ""))
print(");")
EOF
}
write_conf many.conf < <(many "$NSVC")
t0=$(now_us)
"$ACCEPTD" -t -c "$CONF" >"$TESTDIR/many.out" 2>&1 || fail "acceptd -t rejected $NSVC services: $(
	head -n 5 "$TESTDIR/many.out")"
t1=$(now_us)
[ "$(grep -c . "$TESTDIR/many.out")" = "$NSVC" ] || fail "acceptd -t: not $NSVC summary lines"
ok "acceptd -t accepts $NSVC services ($(wc -c <"$CONF") bytes) in $(((t1 - t0) / 1000)) ms"

NSVC=2000
write_conf many2k.conf < <(many "$NSVC")
# One descriptor per listener, and some to spare: raise the limit for the daemon (root may).
need=$((NSVC + 256))
if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt "$need" ]; then
	ulimit -Hn "$need" 2>/dev/null || skip "cannot raise RLIMIT_NOFILE to $need"
fi
[ "$(ulimit -Sn)" != unlimited ] && [ "$(ulimit -Sn)" -lt "$need" ] && ulimit -Sn "$need"
t0=$(now_us)
START_TIMEOUT=120 start_daemon
note "acceptd with $NSVC services: READY=1 after $((($(now_us) - t0) / 1000)) ms"
n=$(ss -ltnH | grep -c '127\.0\.0\.1:')
[ "$n" = "$NSVC" ] || fail "$n listening sockets, expected $NSVC"
for i in 0 $((NSVC / 2)) $((NSVC - 1)); do
	out=$(client echo 127.0.0.1 $((FIRST + i)) --size 100 --timeout 10) ||
		fail "service s$i on port $((FIRST + i)): $out"
done
ok "$NSVC listeners; the first, a middle and the last service echo"
t0=$(now_us)
RELOAD_TIMEOUT=120 reload_daemon
note "reload of $NSVC services: $((($(now_us) - t0) / 1000)) ms ($RELOAD_STATUS)"
out=$(client echo 127.0.0.1 $((FIRST + NSVC - 1)) --size 100 --timeout 10) ||
	fail "after the reload, the last service: $out"
ok "reloaded with $NSVC services, still serving"
STOP_TIMEOUT=60 stop_daemon
