#!/bin/bash
# SPDX-License-Identifier: MIT
# exec services with names: the parent asks the resolver without waiting, holds the
# connection ("parked") and spawns the program when the answer comes or resolve_timeout
# passes. The name reaches TCPREMOTEHOST and both entries; a lookup that times out starts
# the program at resolve_timeout without a name (REMOTE_HOST_LOOKUP=timeout); a parked
# connection counts for max_per_source; a child forked while another connection is parked
# does not hold that connection's socket (its client sees EOF when its program ends); a
# reload, and a stop, start the parked connections at once (REMOTE_HOST_LOOKUP=failed).
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
sandbox "$@"
need_loadgen

MSGID_CONN_LIMITED=2acfb645a4c64495921eb2eb11f97bb1

DNSLOG=$TESTDIR/dns-queries.log
: >"$DNSLOG"
"$PYTHON" "$LIBDIR/dnsstub.py" "$DNSLOG" "ptr 127.0.0.3 ptr.test" "slow 127.0.0.4" \
	</dev/null >"$TESTDIR/dnsstub.out" 2>&1 &
DNS_PID=$!
PIDS+=("$DNS_PID")
dns_bound() { grep -q ' 0100007F:0035 ' /proc/net/udp || ! proc_alive "$DNS_PID"; }
wait_for dns_bound || hard_error "the stub DNS server did not bind 127.0.0.1:53"
# The stub never answers 127.0.0.4: glibc gives up after this, with EAI_AGAIN.
resolver_timeout 20
slow_queries() { grep -c '^4\.0\.0\.127\.in-addr\.arpa PTR$' "$DNSLOG"; }
queried() { [ "$(slow_queries)" -ge "$1" ]; }
# secs S: S (seconds, decimal) in milliseconds
msecs() { local u; u=$(usec "$1"); echo $((u / 1000)); }

ENV=$(command -v env) || hard_error "no env program"
TRUE=$(type -P true) || hard_error "no true program"
write_conf <<EOF
services = (
  { name = "env"; listen = [ "127.0.0.1:7001" ]; exec = [ "$ENV" ]; resolve = "name";
    resolve_cache_ttl = 0; },
  { name = "true"; listen = [ "127.0.0.1:7002" ]; exec = [ "$TRUE" ]; resolve = "name";
    resolve_cache_ttl = 0; resolve_timeout = 1; max_per_source = 1; },
  { name = "hold"; listen = [ "127.0.0.1:7003" ]; builtin = "echo"; resolve = "none"; },
  { name = "patient"; listen = [ "127.0.0.1:7004" ]; exec = [ "$TRUE" ]; resolve = "name";
    resolve_cache_ttl = 0; resolve_timeout = 30; },
  { name = "cat"; listen = [ "127.0.0.1:7005" ]; exec = [ "/bin/cat" ]; resolve = "name";
    resolve_cache_ttl = 0; }
);
EOF
start_daemon

out=$(psend 127.0.0.1 7001 --bind 127.0.0.3 --out "$TESTDIR/env.out" --timeout 10) ||
	fail "env from 127.0.0.3: $out"
grep -qxF TCPREMOTEHOST=ptr.test "$TESTDIR/env.out" ||
	fail "no TCPREMOTEHOST=ptr.test: $(cat "$TESTDIR/env.out")"
lport=$(kv lport "$out")
wait_for find_event "$MSGID_CONN_ENDED" ACCEPTD_SERVICE=env REMOTE_PORT="$lport" ||
	fail "no connection-ended entry for env from 127.0.0.3"
expect "env (ended)" REMOTE_HOST=ptr.test REMOTE_HOST_LOOKUP=found EXIT_STATUS=0
find_event "$MSGID_CONN_ACCEPTED" ACCEPTD_SERVICE=env REMOTE_PORT="$lport" ||
	fail "no connection-accepted entry for env from 127.0.0.3"
expect "env (accepted)" REMOTE_HOST=ptr.test REMOTE_HOST_LOOKUP=found
ok "exec with a name: TCPREMOTEHOST=ptr.test, both entries with REMOTE_HOST=ptr.test"

# A lookup that never ends: parked for resolve_timeout (1 s). Meanwhile a second connection
# from the same address is over max_per_source, and a child forked for another service must
# not keep the parked connection's socket open after its program (true) has ended.
psend 127.0.0.1 7002 --bind 127.0.0.4 --expect-nothing --timeout 20 >"$TESTDIR/slow.out" 2>&1 &
slow=$!
wait_for queried 1 || fail "the resolver did not ask the stub for 127.0.0.4"
psend 127.0.0.1 7003 --mode separate --ready "$TESTDIR/held.ready" --go "$TESTDIR/held.go" \
	--data held --timeout 60 >"$TESTDIR/held.out" 2>&1 &
held=$!
psend 127.0.0.1 7002 --bind 127.0.0.4 --expect-nothing --timeout 10 >"$TESTDIR/second.out" 2>&1 ||
	fail "the second connection from 127.0.0.4: $(cat "$TESTDIR/second.out")"
wait_for test -e "$TESTDIR/held.ready" || fail "the held echo connection did not start"
wait "$slow" || fail "the parked connection: $(cat "$TESTDIR/slow.out")"
out=$(cat "$TESTDIR/slow.out")
end=$(msecs "$(kv end "$out")")
((end >= 900 && end < 5000)) ||
	fail "the parked connection should end at resolve_timeout (1 s), not after $end ms: $out"
lport=$(kv lport "$out")
wait_for find_event "$MSGID_CONN_ENDED" ACCEPTD_SERVICE=true REMOTE_PORT="$lport" ||
	fail "no connection-ended entry for the parked connection"
expect "parked, timed out (ended)" '!REMOTE_HOST' REMOTE_HOST_LOOKUP=timeout EXIT_STATUS=0
[ "$(count_events "$MSGID_CONN_LIMITED" ACCEPTD_SERVICE=true REMOTE_ADDR=127.0.0.4)" = 1 ] ||
	fail "the second connection from 127.0.0.4 was not refused by max_per_source = 1"
proc_alive "$held" || fail "the held echo connection ended early: $(cat "$TESTDIR/held.out")"
ok "a lookup past resolve_timeout: the program starts at $end ms without a name (timeout)"
ok "a parked connection counts for max_per_source; a child forked meanwhile does not hold its socket"
touch "$TESTDIR/held.go"
wait "$held" || fail "the held echo connection: $(cat "$TESTDIR/held.out")"

# Under load: answers arrive while children are forked and spawned, each with a copy of the
# parent's descriptors for a moment. An answer must never come as an event for a connection
# already started (the daemon crashed so, and its spawned children with it).
"$LOADGEN" -e -m exec -c 8 -n 600 -p 64 -t 60000 -s 127.1.0.1-127.1.255.254 -l names \
	127.0.0.1 7005 >"$TESTDIR/load-names.out" 2>&1 &
names=$!
"$LOADGEN" -e -m echo -c 4 -n 300 -p 64 -t 60000 -l forks 127.0.0.1 7003 \
	>"$TESTDIR/load-forks.out" 2>&1 || fail "echo load beside it: $(cat "$TESTDIR/load-forks.out")"
wait "$names" || fail "exec load with names: $(cat "$TESTDIR/load-names.out")"
proc_alive "$DAEMON_PID" || fail "acceptd died under exec load with names"
grep -q 'completed=600 errors=0 ' "$TESTDIR/load-names.out" ||
	fail "exec load with names: $(cat "$TESTDIR/load-names.out")"
wait_for at_least 600 "$MSGID_CONN_ENDED" ACCEPTD_SERVICE=cat ||
	fail "not 600 connection-ended entries for cat"
[ "$(events "$MSGID_CONN_ENDED" | with_fields ACCEPTD_SERVICE=cat | grep -c ' EXIT_SIGNAL=')" = 0 ] ||
	fail "programs killed by a signal under load: $(events "$MSGID_CONN_ENDED" | grep ' EXIT_SIGNAL=' | head -3)"
ok "600 exec connections with names beside 300 forked echoes: all served, no crash, no signal"

# parked_during WHAT CMD...: park a connection to "patient" (127.0.0.4, never answered), run
# CMD while it waits; it must then be started at once, without a name (failed). EVENT: its end.
parked_during() {
	local what=$1 n client lport
	shift
	n=$(slow_queries)
	psend 127.0.0.1 7004 --bind 127.0.0.4 --expect-nothing --timeout 20 >"$TESTDIR/parked.out" 2>&1 &
	client=$!
	wait_for queried $((n + 1)) || fail "the resolver did not ask the stub for 127.0.0.4 again"
	"$@"
	wait "$client" || fail "the connection parked during $what: $(cat "$TESTDIR/parked.out")"
	lport=$(kv lport "$(cat "$TESTDIR/parked.out")")
	wait_for find_event "$MSGID_CONN_ENDED" ACCEPTD_SERVICE=patient REMOTE_PORT="$lport" ||
		fail "no connection-ended entry for the connection parked during $what"
	expect "parked during $what (ended)" '!REMOTE_HOST' REMOTE_HOST_LOOKUP=failed
}
parked_during "a reload" reload_daemon
expect "parked during a reload (ended)" EXIT_STATUS=0
ok "a reload starts a parked connection at once, without a name (failed)"
# At a stop it is started, and then ends (true) or is stopped with the rest (SIGTERM).
parked_during "a stop" stop_daemon
ok "a stop starts a parked connection and ends with it"
