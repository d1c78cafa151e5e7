#!/bin/bash
# SPDX-License-Identifier: MIT
# One process per connection: an idle client and a client that floods 4 MiB without ever
# reading stay connected while 50 concurrent clients each complete a correct echo; once
# those two go away, their children end and the daemon still serves. Then max_connections:
# at the cap, the next connection waits in the backlog until a child exits.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
sandbox "$@"

write_conf <<EOF
services = (
  { name = "echo"; listen = [ "127.0.0.1" ]; port = $PORT; backlog = 128; builtin = "echo"; }
);
EOF
start_daemon

client_bg idle hold 127.0.0.1 "$PORT" --ready "$TESTDIR/idle.ready" --until-closed --timeout 300
idle=$BG_PID
client_bg flood hold 127.0.0.1 "$PORT" --send $((4 << 20)) --ready "$TESTDIR/flood.ready" \
	--until-closed --timeout 300
flood=$BG_PID
wait_for test -e "$TESTDIR/idle.ready" || fail "the idle client did not connect"
wait_for -t 30 test -e "$TESTDIR/flood.ready" || fail "the flooding client did not get going"
sent=$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' "$TESTDIR/flood.ready")
[ "${sent:-0}" -gt 0 ] || fail "the flooding client could not send anything"
wait_for at_least 2 "$MSGID_CONN_ACCEPTED" || fail "the two held connections were not accepted"
ok "idle client connected; flooding client sent $sent bytes and stopped reading"

out=$(client many 127.0.0.1 "$PORT" --clients 50 --size 65536 --timeout 60 2>&1) ||
	fail "concurrent clients: $out"
ok "50 concurrent clients echoed 64 KiB each ($out)"

proc_alive "$idle" || fail "the idle connection was closed by the server: $(cat "$TESTDIR/idle.out")"
proc_alive "$flood" ||
	fail "the flooding connection was closed by the server: $(cat "$TESTDIR/flood.out")"
wait_for at_least 50 "$MSGID_CONN_ENDED" || fail "the 50 connections were not all logged as ended"
[ "$(count_events "$MSGID_CONN_ENDED")" = 50 ] ||
	fail "$(count_events "$MSGID_CONN_ENDED") connections ended, expected 50 (two are held)"
[ "$(count_events "$MSGID_CONN_ENDED" EXIT_STATUS=0 BYTES_IN=65536 BYTES_OUT=65536)" = 50 ] ||
	fail "not every concurrent connection ended with EXIT_STATUS=0 and 65536 bytes each way"
ok "held connections still open; 50 ended with exit 0 and 65536 bytes each way"

# Bursts of short connections that end together: each end entry still has its byte counts
# (the children's reports must not be lost or outrun by the reaping).
for round in 1 2 3; do
	out=$(client many 127.0.0.1 "$PORT" --clients 100 --size 10 --timeout 60 2>&1) ||
		fail "burst $round of 100 short connections: $out"
done
wait_for at_least 350 "$MSGID_CONN_ENDED" || fail "the bursts were not all logged as ended"
n=$(count_events "$MSGID_CONN_ENDED" EXIT_STATUS=0 BYTES_IN=10 BYTES_OUT=10)
[ "$n" = 300 ] || fail "only $n of 300 short connections ended with EXIT_STATUS=0 BYTES_IN=BYTES_OUT=10:
$(events "$MSGID_CONN_ENDED" | grep -v 'BYTES_IN=' | head -n 5)"
ok "3 bursts of 100 short connections: all 300 logged as ended with their byte counts"

kill -TERM "$idle" "$flood"
wait_for at_least 352 "$MSGID_CONN_ENDED" ||
	fail "the children of the two held connections did not end after their clients left"
out=$(client echo 127.0.0.1 "$PORT" --size 4096 --random --timeout 10) ||
	fail "no echo after the held clients left: $out"
wait_for no_zombie_children || fail "zombie children: $(zombie_children "$DAEMON_PID")"
ok "held connections ended with their clients; the daemon still serves; no zombies"

stop_daemon

# daemon.max_connections: at the cap the daemon stops accepting; the next connection waits
# in the kernel's backlog, unserved, and is served as soon as a child exits.
write_conf max.conf <<EOF2
daemon = { max_connections = 2; };
services = ( { name = "echo"; listen = [ "127.0.0.1" ]; port = $PORT; builtin = "echo"; } );
EOF2
start_daemon
client_bg held hold 127.0.0.1 "$PORT" --count 2 --probe --ready "$TESTDIR/held.ready"
held=$BG_PID
wait_for test -e "$TESTDIR/held.ready" || fail "two connections could not be opened"
grep -q 'held=2 closed=0' "$TESTDIR/held.ready" || fail "$(cat "$TESTDIR/held.ready")"
client_bg third echo 127.0.0.1 "$PORT" --size 1000 --timeout 60
third=$BG_PID
sleep 1 # a window in which the third connection must stay unserved
proc_alive "$third" || fail "a third connection was served beyond max_connections=2: $(cat "$TESTDIR/third.out")"
[ "$(count_events "$MSGID_CONN_ACCEPTED")" = 2 ] || fail "more than 2 connections accepted"
ok "max_connections=2 reached: the third connection waits unserved"
kill -TERM "$held"
wait_for proc_gone "$third" || fail "the third connection was not served after the others closed"
rc=0
wait "$third" || rc=$?
[ "$rc" = 0 ] || fail "third client: exit $rc: $(cat "$TESTDIR/third.out")"
ok "the waiting connection was served once a child exited"
ALLOW_LOG='max_connections \(2\) reached'
stop_daemon
