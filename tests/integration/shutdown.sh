#!/bin/bash
# SPDX-License-Identifier: MIT
# SIGTERM and SIGINT with connections open (five mid-conversation, one blocked mid-echo
# because its client never reads): STOPPING=1, every child terminated and reaped (each
# logged as ended), clients see their connections closed, exit 0, no acceptd process left.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
sandbox "$@"

timeout=5
write_conf <<EOF
daemon = { shutdown_timeout = $timeout; };
services = ( { name = "echo"; listen = [ "127.0.0.1" ]; port = $PORT; builtin = "echo"; } );
EOF

for sig in TERM INT; do
	start_daemon
	client_bg "held-$sig" hold 127.0.0.1 "$PORT" --count 5 --probe \
		--ready "$TESTDIR/held-$sig.ready" --until-closed --timeout 60
	held=$BG_PID
	client_bg "flood-$sig" hold 127.0.0.1 "$PORT" --send $((16 << 20)) \
		--ready "$TESTDIR/flood-$sig.ready" --until-closed --timeout 60
	flood=$BG_PID
	wait_for test -e "$TESTDIR/held-$sig.ready" || fail "the five clients did not connect"
	grep -q 'held=5 closed=0' "$TESTDIR/held-$sig.ready" ||
		fail "not five live echo connections: $(cat "$TESTDIR/held-$sig.ready")"
	wait_for -t 30 test -e "$TESTDIR/flood-$sig.ready" || fail "the flooding client got nowhere"
	wait_for at_least 6 "$MSGID_CONN_ACCEPTED" || fail "six connections not accepted"
	kids=$(children_of "$DAEMON_PID" | awk '{ print $1 }' | tr '\n' ' ')
	[ "$(wc -w <<<"$kids")" = 6 ] || fail "expected 6 children, found: $kids"
	ok "six connections open (children: $kids)"

	start=$(now_us)
	stop_daemon "$sig"
	took=$((($(now_us) - start) / 1000))
	[ "$took" -lt $((timeout * 1000)) ] ||
		fail "stopping took $took ms: the children did not end on SIGTERM (shutdown_timeout $timeout s)"
	[ "$(count_events "$MSGID_CONN_ENDED")" = 6 ] ||
		fail "$(count_events "$MSGID_CONN_ENDED") connection-ended entries, expected 6: not all reaped"
	ok "stopped in $took ms; all six children reaped and logged as ended"

	for pid in "$held" "$flood"; do
		wait_for proc_gone "$pid" || fail "a client's connections were not closed by the server"
		rc=0
		wait "$pid" || rc=$?
		[ "$rc" = 0 ] || fail "client: exit $rc: $(cat "$TESTDIR"/*-"$sig".out)"
	done
	ok "every client saw its connection closed"

	left=$(acceptd_pids)
	[ -z "$left" ] || fail "acceptd processes left after SIG$sig: $left"
	for pid in $kids; do
		[ -z "$(proc_state "$pid")" ] || fail "child $pid still exists ($(proc_state "$pid"))"
	done
	zombies=$(ps -eo pid=,stat= | awk '$2 ~ /^Z/')
	[ -z "$zombies" ] || fail "zombies: $zombies"
	[ -z "$(listening)" ] || fail "still listening: $(listening)"
	ok "SIG$sig: no acceptd process, no zombie, nothing listening"
done
