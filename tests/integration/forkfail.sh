#!/bin/bash
# SPDX-License-Identifier: MIT
# fork() failing with EAGAIN: acceptd runs as an unprivileged user with a tiny RLIMIT_NPROC,
# connections are held until a fork fails. The daemon logs accept-failed (PRIORITY 3), closes
# that connection (the client sees EOF or a reset, never silence), keeps running, and serves
# again once the held connections are gone.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
sandbox "$@"

# A uid of its own, so that no other process of the user counts against the limit.
uid=
for try in $(seq $((61000 + RANDOM % 3000)) 64999); do
	if ! getent passwd "$try" >/dev/null && ! getent group "$try" >/dev/null; then
		uid=$try
		break
	fi
done
[ -n "$uid" ] || hard_error "no free uid found"
nproc=4
unpriv=(setpriv --reuid="$uid" --regid="$uid" --clear-groups)
"${unpriv[@]}" test -x "$ACCEPTD" ||
	skip "uid $uid cannot execute $ACCEPTD (a directory on its path is not world-searchable)"

write_conf <<EOF
services = ( { name = "echo"; listen = [ "127.0.0.1" ]; port = $PORT; builtin = "echo"; } );
EOF
ACCEPTD_WRAPPER="${unpriv[*]} prlimit --nproc=$nproc --"
start_daemon
[ "$(stat -c %u "/proc/$DAEMON_PID")" = "$uid" ] || hard_error "acceptd is not running as uid $uid"
ok "acceptd runs as uid $uid with RLIMIT_NPROC $nproc"

# Open connections one at a time, each proven served by an echo, until one is closed instead.
client_bg hold hold 127.0.0.1 "$PORT" --count $((nproc + 3)) --probe --stop-on-close \
	--ready "$TESTDIR/hold.ready" --timeout 15
holder=$BG_PID
wait_for -t 60 test -e "$TESTDIR/hold.ready" ||
	fail "the holding client did not finish: $(cat "$TESTDIR/hold.out")"
result=$(cat "$TESTDIR/hold.ready")
held=$(sed -n 's/.*held=\([0-9]*\).*/\1/p' <<<"$result")
grep -q 'closed=1' <<<"$result" ||
	fail "no connection was refused by a failed fork ($result)"
if [ "$held" -lt 1 ] || [ "$held" -ge "$nproc" ]; then
	fail "$held connections served before fork failed, expected 1..$((nproc - 1)) ($result)"
fi
ok "$held connections served, then the next one was closed by the server"

wait_for at_least 1 "$MSGID_ACCEPT_FAILED" || fail "no accept-failed entry after the failed fork"
line=$(events "$MSGID_ACCEPT_FAILED" | head -n 1)
[ "$(field PRIORITY <<<"$line")" = 3 ] || fail "accept-failed is not PRIORITY=3: $line"
grep -qi 'fork' <<<"$line" || fail "accept-failed does not say fork failed: $line"
grep -q 'Resource temporarily unavailable' <<<"$line" ||
	fail "accept-failed does not give the system error: $line"
ok "accept-failed logged: ${line#*]: }"
proc_alive "$DAEMON_PID" || fail "acceptd died"

# Release the held connections: their children end and free process slots.
kill -TERM "$holder"
wait_for proc_gone "$holder" || fail "the holding client did not exit"
wait_for at_least "$held" "$MSGID_CONN_ENDED" || fail "the held connections did not end"
out=$(client echo 127.0.0.1 "$PORT" --size 2000 --random --timeout 20) ||
	fail "no echo after the held connections closed: $out"
ok "served again once the held connections were gone"
proc_alive "$DAEMON_PID" || fail "acceptd died"

ALLOW_LOG="MESSAGE_ID=$MSGID_ACCEPT_FAILED |accepting again after [0-9]+ failed attempts"
stop_daemon
