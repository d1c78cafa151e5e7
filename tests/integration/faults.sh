#!/bin/bash
# SPDX-License-Identifier: MIT
# Faults that must leave the daemon serving (issue 7, item 6); each case ends with an echo round
# trip, and the daemon keeps its pid throughout. Logging goes to a private journald.
#  1. A child killed by SIGKILL (echo, idle mid-connection) and one by SIGSEGV (chargen, mid-write):
#     the connection-ended entry carries EXIT_SIGNAL and "killed by signal N", the client sees the
#     connection close, the child is reaped (no zombie).
#  2. A client that resets (SO_LINGER 0) while the server is sending, to chargen and to echo
#     blocked writing back: the child ends as a normal end (EXIT_STATUS=0, no warning), another
#     client's open connection still echoes.
#  3. 1,000 clients that connect and vanish without a byte (every fourth with a reset): every
#     connection is logged as ended with EXIT_STATUS=0, all children end, no zombie.
#  4. A SIGHUP storm: 100 reloads sent within about a second, each with a new config, while 4
#     clients loop: no client round trip fails, the echo listener is the same socket, no reload
#     fails, and the last config is the one in effect.
# (journald stopped and restarted, and a full journal socket: faults-journal.sh; fork failing:
# forkfail.sh; descriptor exhaustion: emfile.sh.)
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
sandbox "$@"

CHARGEN=7019
VANISH=7020
MARKER=7100

# A systemd host raises the queue of a datagram socket to 512 (sysctl.d/50-default.conf); a new
# network namespace starts at 10, where the 1,000-connection burst would overflow journald's
# socket. Set before journald creates it.
sysctl -qw net.unix.max_dgram_qlen=512 || hard_error "cannot set net.unix.max_dgram_qlen"
start_journald --no-ratelimit

# Without a shared journal there is nothing to assert on: make sure acceptd writes there.
conf() { # ECHO-BACKLOG MARKER-PORT
	cat <<EOF
services = (
  { name = "echo"; listen = [ "127.0.0.1" ]; port = $PORT; backlog = $1; builtin = "echo"; },
  { name = "chargen"; listen = [ "127.0.0.1" ]; port = $CHARGEN; builtin = "chargen"; },
  { name = "vanish"; listen = [ "127.0.0.1" ]; port = $VANISH; backlog = 1024; builtin = "echo"; },
  { name = "marker"; listen = [ "127.0.0.1" ]; port = $2; builtin = "echo"; }
);
EOF
}
write_conf < <(conf 128 $MARKER)
# A SIGSEGV dumps core by default: RLIMIT_CORE 1 means no core file, and no pipe helper either
# (the kernel refuses a limit of 1 for a piped core_pattern), whatever the host's core_pattern.
ACCEPTD_WRAPPER="prlimit --core=1 --"
start_daemon
PID0=$DAEMON_PID

no_children() { [ -z "$(children_of "$DAEMON_PID")" ]; }

# served [PORT]: an echo round trip, and the same daemon still running.
served() {
	local out
	out=$(client echo 127.0.0.1 "${1:-$PORT}" --size 3000 --random --timeout 20) ||
		fail "no echo round trip on port ${1:-$PORT}: $out"
	proc_alive "$PID0" || fail "acceptd (pid $PID0) is gone"
}

# ended_export MATCH...: the connection-ended entries that match, in journalctl's export format
ended_export() {
	journal_sync
	journalctl --no-pager -q -o export MESSAGE_ID="$MSGID_CONN_ENDED" "$@"
}

# kv KEY: the value of KEY in the KEY=value lines on stdin (builtins only: this gets called a lot)
kv() {
	local l
	while IFS= read -r l; do
		if [[ $l == "$1="* ]]; then
			echo "${l#*=}"
			return
		fi
	done
}

# ended_entry CHILD_PID: wait for its connection-ended entry in the journal
ended_entry() {
	wait_for -t 20 journal_has MESSAGE_ID="$MSGID_CONN_ENDED" CHILD_PID="$1" ||
		fail "no connection-ended entry for child $1 in the journal"
}

[ "$(journal_count _PID="$DAEMON_PID" MESSAGE_ID="$MSGID_READY")" = 1 ] ||
	hard_error "acceptd's ready entry is not in the journal: it does not log there"
served

# took: how long the case that just ended took (a note for the log, never an assertion)
T0=$(now_us)
took() {
	local t
	t=$(now_us)
	note "case took $(((t - T0) / 1000)) ms"
	T0=$t
}

# --- 1. children killed by SIGKILL and SIGSEGV --------------------------------------------

# kill_child SIGNAL NUMBER HOW: HOW is the client that holds the connection open.
kill_child() {
	local sig=$1 num=$2 child holder rc=0 entry sigfield status msg
	shift 2
	wait_for no_children || fail "children left over before the SIG$sig case"
	"$@" >"$TESTDIR/kill-$sig.out" 2>&1 &
	holder=$!
	PIDS+=("$holder")
	wait_for -t 20 test -e "$TESTDIR/kill-$sig.ready" ||
		fail "SIG$sig: the client did not get going: $(cat "$TESTDIR/kill-$sig.out")"
	child=$(children_of "$DAEMON_PID" | awk '{ print $1 }')
	[[ $child =~ ^[0-9]+$ ]] || fail "SIG$sig: expected one child, found: $child"
	kill -"$sig" "$child" || fail "cannot send SIG$sig to child $child"
	wait_for -t 20 proc_gone "$holder" || fail "SIG$sig: the client did not see the connection end"
	wait "$holder" || rc=$?
	[ "$rc" = 0 ] || fail "SIG$sig: the client failed: $(cat "$TESTDIR/kill-$sig.out")"
	ended_entry "$child"
	entry=$(ended_export CHILD_PID="$child")
	sigfield=$(kv EXIT_SIGNAL <<<"$entry")
	status=$(kv EXIT_STATUS <<<"$entry")
	msg=$(kv MESSAGE <<<"$entry")
	if [ "$sigfield" != "$num" ] || [ -n "$status" ]; then
		fail "SIG$sig: connection-ended has EXIT_SIGNAL=$sigfield EXIT_STATUS=$status, expected EXIT_SIGNAL=$num alone"
	fi
	[[ $msg == *"ended: killed by signal $num after "* ]] ||
		fail "SIG$sig: the message does not name the signal: $msg"
	wait_for proc_gone "$child" || fail "SIG$sig: child $child did not end"
	wait_for no_zombie_children || fail "SIG$sig: a zombie: $(children_of "$DAEMON_PID")"
	[ -z "$(ps -o pid= -p "$child")" ] || fail "SIG$sig: child $child still in the process table"
	served
	ok "SIG$sig child $child: EXIT_SIGNAL=$num, '${msg#*ended: }', reaped; daemon serves"
}

kill_child KILL 9 client hold 127.0.0.1 "$PORT" --count 1 --probe --until-closed \
	--ready "$TESTDIR/kill-KILL.ready" --timeout 30
# chargen writes as fast as the client reads: the SIGSEGV lands in the middle of its writes.
cat >"$TESTDIR/reader.py" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
got = 0
while True:
    d = s.recv(65536)
    if not d:
        break
    got += len(d)
    if got >= 65536 and got - len(d) < 65536:
        open(sys.argv[2], "w").close()
print("read %d bytes of chargen, then EOF" % got)
EOF
kill_child SEGV 11 "$PYTHON" "$TESTDIR/reader.py" "$CHARGEN" "$TESTDIR/kill-SEGV.ready"

took

# --- 2. a client that resets while the server is sending ----------------------------------

# Another client's connection, open across the resets: it must still echo afterwards.
client_bg other hold 127.0.0.1 "$PORT" --count 1 --probe --ready "$TESTDIR/other.ready" \
	--reprobe "$TESTDIR/other.reprobe" --timeout 20
other=$BG_PID
wait_for -t 20 test -e "$TESTDIR/other.ready" || fail "the other client did not connect"

# reset_client MODE PORT: to chargen ("read" 256 KiB, then stop reading) or echo ("write"
# without reading until our send blocks), then wait until the server has bytes queued to send
# (chargen, or echo writing back, is then blocked in a write), and close with SO_LINGER 0: a
# reset. Prints "lport=N sendq=N".
reset_client() {
	"$PYTHON" - "$@" <<'EOF'
import socket, struct, sys, time
mode, port = sys.argv[1], int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port), timeout=20)
lport = s.getsockname()[1]
if mode == "read":
    got = 0
    while got < 262144:
        d = s.recv(65536)
        if not d:
            sys.exit("client: chargen closed after %d bytes" % got)
        got += len(d)
else:
    s.setblocking(False)
    try:
        while True:
            s.send(b"x" * 65536)
    except BlockingIOError:
        pass


def sendq():
    """The server's socket (local port PORT, remote port LPORT): tx_queue, from /proc/net/tcp."""
    for line in open("/proc/net/tcp").read().splitlines()[1:]:
        f = line.split()
        if int(f[1].split(":")[1], 16) == port and int(f[2].split(":")[1], 16) == lport:
            return int(f[4].split(":")[0], 16)
    return 0


deadline = time.monotonic() + 20
while not sendq():
    if time.monotonic() > deadline:
        sys.exit("client: the server queued nothing to send within 20 s: not mid-write")
    time.sleep(0.01)
q = sendq()
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
print("lport=%d sendq=%d" % (lport, q))
EOF
}

for c in "chargen $CHARGEN read" "echo $PORT write"; do
	read -r svc port mode <<<"$c"
	out=$(reset_client "$mode" "$port") || fail "$svc reset client: $out"
	lport=$(sed -n 's/^lport=\([0-9]*\).*/\1/p' <<<"$out")
	m=(MESSAGE_ID="$MSGID_CONN_ENDED" ACCEPTD_SERVICE="$svc" REMOTE_PORT="$lport")
	wait_for -t 20 journal_has "${m[@]}" || fail "$svc: the reset connection did not end"
	entry=$(ended_export "${m[@]:1}")
	status=$(kv EXIT_STATUS <<<"$entry")
	child=$(kv CHILD_PID <<<"$entry")
	[ "$status" = 0 ] || fail "$svc: a reset client should end the child with status 0, got '$status'"
	[ "$(journal_count _PID="$child" PRIORITY=4)" = 0 ] ||
		fail "$svc: the child logged a warning for a client that reset"
	wait_for proc_gone "$child" || fail "$svc: child $child still running"
	ok "$svc: client reset with ${out#*sendq=} bytes queued to it: child $child ended, EXIT_STATUS=0"
done
rm -f "$TESTDIR/other.reprobe"
kill -USR1 "$other"
wait_for -t 20 test -e "$TESTDIR/other.reprobe" || fail "the other client did not probe again"
[ "$(cat "$TESTDIR/other.reprobe")" = "echoed=1 closed=0" ] ||
	fail "the other client's connection: $(cat "$TESTDIR/other.reprobe")"
kill -TERM "$other"
served
ok "the other client's connection still echoes; the daemon serves"

took

# --- 3. 1,000 clients that connect and vanish ---------------------------------------------

# The daemon's STATUS= (sent at most once a second) counts what it accepted and what still runs.
all_ended() {
	local st
	st=$(notify_lines | grep -o 'connections active [0-9]*, total [0-9]*' | tail -n 1)
	[[ $st == "connections active 0, total "* ]] && [ "${st##* }" -ge "$1" ]
}
wait_for no_children || fail "children left over before the vanishing clients"
total0=$(notify_lines | grep -o 'total [0-9]*' | tail -n 1)
total0=${total0#total }

out=$("$PYTHON" - "$VANISH" <<'EOF'
import socket, struct, sys
port, resets = int(sys.argv[1]), 0
for i in range(1000):
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    if i % 4 == 3:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        resets += 1
    s.close()
print("1000 connections closed without a byte, %d of them by a reset" % resets)
EOF
) || fail "vanishing clients: $out"
wait_for -t 300 all_ended $((total0 + 1000)) ||
	fail "not every vanished client was accepted and ended (total before: $total0): $(notify_lines | tail -n 1)"
no_children || fail "children still running: $(children_of "$DAEMON_PID")"
vm=(MESSAGE_ID="$MSGID_CONN_ENDED" ACCEPTD_SERVICE=vanish)
wait_for -t 20 journal_at_least 1000 "${vm[@]}" || :
ended=$(journal_count "${vm[@]}")
clean=$(journal_count "${vm[@]}" EXIT_STATUS=0)
dropped=$(journal_values MESSAGE PRIORITY=4 _PID="$DAEMON_PID" |
	sed -n 's/^\([0-9]*\) log messages dropped.*/\1/p' | awk '{ n += $1 } END { print n + 0 }')
note "$out; $ended connection-ended entries, $clean with EXIT_STATUS=0; $dropped log messages dropped"
[ "$ended" = 1000 ] || [ "$dropped" -gt 0 ] ||
	fail "$ended connection-ended entries for 1,000 connections, and no drop reported"
[ "$clean" = "$ended" ] || fail "$((ended - clean)) vanished clients' children did not exit 0"
served
ok "1,000 vanishing clients: all children ended and reaped, the daemon serves"

took

# --- 4. a SIGHUP storm under load ---------------------------------------------------------

# listener_inodes: "addr:port inode" of the listeners the storm must leave alone
listener_inodes() {
	local a
	for a in "127.0.0.1:$PORT" "127.0.0.1:$CHARGEN" "127.0.0.1:$VANISH"; do
		echo "$a $(listener_field "$a" inode)"
	done
}
inodes=$(listener_inodes)
reloaded0=$(journal_count MESSAGE_ID="$MSGID_RELOADED")
client_bg load loop 127.0.0.1 "$PORT" --workers 4 --size 4096 --ready "$TESTDIR/load.ready" \
	--stop "$TESTDIR/load.stop" --timeout 30
load=$BG_PID
wait_for -t 30 test -e "$TESTDIR/load.ready" ||
	fail "the looping clients did not get going: $(cat "$TESTDIR/load.out")"
# Version i: echo's backlog 200+i, the marker service on $MARKER or the next port; the last
# is version 100. Each is written by rename, so that a reload reads one whole version.
conf @BACKLOG@ @MARKER@ >"$TESTDIR/template.conf"
out=$("$PYTHON" - "$DAEMON_PID" "$CONF" "$TESTDIR/template.conf" "$MARKER" <<'EOF'
import os, signal, sys, time
pid, live, template, marker = int(sys.argv[1]), sys.argv[2], open(sys.argv[3]).read(), int(sys.argv[4])
start = time.monotonic()
for i in range(1, 101):
    with open(live + ".new", "w") as f:
        f.write(template.replace("@BACKLOG@", str(200 + i)).replace("@MARKER@", str(marker + i % 2)))
    os.rename(live + ".new", live)
    os.kill(pid, signal.SIGHUP)
    time.sleep(max(0.0, start + i * 0.009 - time.monotonic()))
print("100 SIGHUPs in %.3f s" % (time.monotonic() - start))
EOF
) || fail "the SIGHUP storm: $out"
proc_alive "$load" || fail "the looping clients stopped during the storm: $(cat "$TESTDIR/load.out")"
backlog_is() { [ "$(listener_field "127.0.0.1:$PORT" backlog)" = "$1" ]; }
wait_for -t 30 backlog_is 300 ||
	fail "the last config is not in effect: echo's backlog is $(listener_field "127.0.0.1:$PORT" backlog), expected 300"
listening | grep -qx "127.0.0.1:$MARKER" || fail "the last config's marker listener is missing: $(listening)"
! listening | grep -qx "127.0.0.1:$((MARKER + 1))" || fail "the marker listener of version 99 is still there"
[ "$(listener_inodes)" = "$inodes" ] ||
	fail "listeners were replaced during the storm: before $inodes, after $(listener_inodes)"
touch "$TESTDIR/load.stop"
wait_for -t 40 proc_gone "$load" || fail "the looping clients did not stop"
rc=0
wait "$load" || rc=$?
[ "$rc" = 0 ] || fail "client round trips failed during the storm: $(cat "$TESTDIR/load.out")"
[ "$(journal_count MESSAGE_ID="$MSGID_RELOAD_FAILED")" = 0 ] || fail "a reload failed during the storm"
reloads=$(($(journal_count MESSAGE_ID="$MSGID_RELOADED") - reloaded0))
[ "$reloads" -ge 1 ] || fail "no reload during the storm"
served
served $MARKER
ok "$out, $reloads reloads done (signals coalesce), last config in effect, same listener: $(cat "$TESTDIR/load.out")"

took
ALLOW_LOG='log messages dropped: the journal was not keeping up'
stop_daemon
[ "$(journal_count PRIORITY=3)" = 0 ] || fail "errors in the journal: $(journal_values MESSAGE PRIORITY=3)"
