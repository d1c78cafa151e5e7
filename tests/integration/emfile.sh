#!/bin/bash
# SPDX-License-Identifier: MIT
# Out of descriptors: with RLIMIT_NOFILE lowered to exactly the daemon's next free fd, accept
# fails with EMFILE. The daemon logs accept-failed once (PRIORITY 3), pauses and retries with
# back-off without spinning (CPU time far below wall time), keeps the waiting connections in
# the backlog, and serves them once descriptors are available again.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
sandbox "$@"

write_conf <<EOF
services = ( { name = "echo"; listen = [ "127.0.0.1" ]; port = $PORT; builtin = "echo"; } );
EOF
start_daemon
out=$(client echo 127.0.0.1 "$PORT" --size 100 --timeout 10) || fail "no echo before the test: $out"
wait_for at_least 1 "$MSGID_CONN_ENDED" || fail "first connection not logged as ended"

# The kernel hands out the lowest free descriptor: make that one over the limit.
free=0
while [ -e "/proc/$DAEMON_PID/fd/$free" ]; do
	free=$((free + 1))
done
soft=$(prlimit --pid "$DAEMON_PID" --nofile --raw --noheadings -o SOFT) ||
	hard_error "prlimit cannot read the daemon's limit"
prlimit --pid "$DAEMON_PID" --nofile="$free:" || hard_error "prlimit cannot lower the limit"
ok "RLIMIT_NOFILE of acceptd lowered from $soft to $free, its lowest free descriptor"

# Two connections arrive while the daemon cannot accept: they must wait, not be dropped.
client_bg pending1 echo 127.0.0.1 "$PORT" --size 3000 --random --timeout 60
p1=$BG_PID
wait_for at_least 1 "$MSGID_ACCEPT_FAILED" || fail "no accept-failed entry after EMFILE"
line=$(events "$MSGID_ACCEPT_FAILED")
grep -q 'Too many open files' <<<"$line" || fail "accept-failed does not give the reason: $line"
[ "$(field PRIORITY <<<"$line")" = 3 ] || fail "accept-failed is not PRIORITY=3: $line"
ok "accept-failed logged: ${line#*]: }"
client_bg pending2 echo 127.0.0.1 "$PORT" --size 3000 --random --timeout 60
p2=$BG_PID

# A few seconds of exhaustion: CPU time must stay far below wall time.
hz=$(getconf CLK_TCK)
cpu() {
	echo $(($(proc_field "$DAEMON_PID" 14) + $(proc_field "$DAEMON_PID" 15)))
}
c0=$(cpu) t0=$(now_us)
sleep 3   # the measuring window, not a synchronisation
c1=$(cpu) t1=$(now_us)
pct=$(((c1 - c0) * 100 * 1000000 / hz / (t1 - t0)))
[ "$pct" -lt 20 ] || fail "acceptd used $pct% CPU while out of descriptors (spinning)"
ok "acceptd used $pct% CPU over $(((t1 - t0) / 1000)) ms of exhaustion ($((c1 - c0)) ticks)"
n=$(count_events "$MSGID_ACCEPT_FAILED")
[ "$n" = 1 ] || fail "accept-failed logged $n times during one episode (expected once)"
ok "accept-failed logged once for the whole episode"
if proc_gone "$p1" || proc_gone "$p2"; then
	fail "a waiting client gave up: $(cat "$TESTDIR"/pending*.out)"
fi
[ "$(count_events "$MSGID_CONN_ACCEPTED")" = 1 ] ||
	fail "a connection was accepted while out of descriptors"
proc_alive "$DAEMON_PID" || fail "acceptd died"
ok "the waiting connections are still queued, unserved"

prlimit --pid "$DAEMON_PID" --nofile="$soft:" || hard_error "prlimit cannot restore the limit"
for p in "$p1" "$p2"; do
	wait_for -t 30 proc_gone "$p" || fail "a waiting client was not served after the limit was raised"
	rc=0
	wait "$p" || rc=$?
	[ "$rc" = 0 ] || fail "waiting client: exit $rc: $(cat "$TESTDIR"/pending*.out)"
done
ok "both waiting connections served once descriptors were available"
wait_log 'accepting again after [0-9]+ failed attempts' || fail "no notice that accepting resumed"
out=$(client echo 127.0.0.1 "$PORT" --size 5000 --random --timeout 10) ||
	fail "no echo after recovery: $out"
ok "new connections are served again"

ALLOW_LOG="MESSAGE_ID=$MSGID_ACCEPT_FAILED |accepting again after [0-9]+ failed attempts"
stop_daemon
