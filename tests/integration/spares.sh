#!/bin/bash
# SPDX-License-Identifier: MIT
# Spares (daemon.spares, src/spare.c): children forked ahead of their connections. With
# spares = 2 the daemon has two idle children named acceptd-spare; a connection is served by
# a process that was one of them (its CHILD_PID was an idle spare's pid), which forks its
# successor, so two are idle again afterwards, with new pids. Built-in, exec (with a user, so
# not spawned) and looked-up names all work through them; a killed spare is replaced; a reload
# replaces the idle ones (they are copies of the old configuration); spares = 0 has none;
# 300 connections with 40 of them held at once are all served, with no zombie; a reload to
# spares = 0 lets them go, and the daemon then stops reading for their news; the idle spares
# end with the daemon, also when it is killed (SIGKILL); one lost before it reports its
# successor is written off after 1 s; with daemon.user they run as that user.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
SANDBOX_HOSTS="127.0.0.2 named.test"
sandbox "$@"
need_loadgen

# exec as nobody: a service with a user is never spawned, so its program runs in a spare
{ [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; } || skip "not root, or no user nobody"
conf() { # conf SPARES [ENV]: echo on 7001, echo with names on 7002, exec as nobody on 7003
	write_conf <<EOF
daemon = { spares = $1; };
services = (
  { name = "echo"; listen = [ "127.0.0.1" ]; port = 7001; builtin = "echo"; resolve = "none"; },
  { name = "named"; listen = [ "127.0.0.1" ]; port = 7002; builtin = "echo"; resolve = "name";
    resolve_cache_ttl = 0; },
  { name = "env"; listen = [ "127.0.0.1" ]; port = 7003; exec = [ "/usr/bin/env" ];
    resolve = "none"; user = "nobody"; env = [ "GEN=${2:-one}" ]; }
);
EOF
}
nspares() { spares_of "$DAEMON_PID" | grep -c . || :; }
no_children() { [ -z "$(children_of "$DAEMON_PID")" ]; }
two_spares() { [ "$(nspares)" = 2 ]; }
# served_by_spare PORT SERVICE WHAT [PSEND_ARGS...]: one connection (echo checked, unless
# --out); its child was an idle spare
served_by_spare() {
	local before out lport pid port=$1 svc=$2 what=$3
	shift 3
	wait_for two_spares || fail "$what: $(nspares) idle spares, not 2"
	before=" $(spares_of "$DAEMON_PID" | tr '\n' ' ') "
	out=$(psend 127.0.0.1 "$port" --data hello --timeout 10 "$@") || fail "$what: $out"
	lport=$(kv lport "$out")
	wait_for find_event "$MSGID_CONN_ENDED" ACCEPTD_SERVICE="$svc" REMOTE_PORT="$lport" ||
		fail "$what: no connection-ended entry"
	expect "$what" EXIT_STATUS=0
	pid=$(sed -n 's/.* CHILD_PID=\([0-9]*\).*/\1/p' <<<"$EVENT")
	[[ $before == *" $pid "* ]] || fail "$what: served by pid $pid, not one of the idle spares:$before"
}

conf 2
start_daemon
wait_for two_spares || fail "$(nspares) idle spares with spares = 2"
for p in $(spares_of "$DAEMON_PID"); do
	[ "$(awk '{ print $4 }' "/proc/$p/stat")" = "$DAEMON_PID" ] || fail "spare $p is not the daemon's child"
done
ok "spares = 2: two idle children of the daemon named acceptd-spare"

first=$(spares_of "$DAEMON_PID" | sort | tr '\n' ' ')
served_by_spare 7001 echo "echo"
wait_for two_spares || fail "$(nspares) idle spares after a connection, not 2"
[ "$(spares_of "$DAEMON_PID" | sort | tr '\n' ' ')" != "$first" ] || fail "the same idle spares after one took a connection"
ok "a connection is served by an idle spare, which is replaced by a new one"

served_by_spare 7002 named "a looked-up name"
expect "a looked-up name" REMOTE_HOST=localhost REMOTE_HOST_LOOKUP=found
served_by_spare 7003 env "exec" --out "$TESTDIR/env.out"
grep -q '^GEN=one$' "$TESTDIR/env.out" ||
	fail "exec through a spare: no GEN=one in its environment: $(cat "$TESTDIR/env.out")"
ok "through spares: a name from the resolver, an exec'd program with the service's environment"

victim=$(spares_of "$DAEMON_PID" | head -n 1)
kill -KILL "$victim"
wait_for proc_gone "$victim" || fail "spare $victim did not die"
wait_for no_zombie_children || fail "the killed spare $victim was not reaped"
served_by_spare 7001 echo "echo after a spare was killed"
wait_for two_spares || fail "$(nspares) idle spares after one was killed, not 2"
ok "a killed idle spare is reaped and replaced"

old=$(spares_of "$DAEMON_PID")
conf 2 two
reload_daemon
for p in $old; do
	wait_for proc_gone "$p" || fail "idle spare $p of the old configuration still runs after a reload"
done
served_by_spare 7003 env "exec after a reload" --out "$TESTDIR/env.out"
grep -q '^GEN=two$' "$TESTDIR/env.out" ||
	fail "exec after a reload: not the new environment: $(cat "$TESTDIR/env.out")"
ok "a reload replaces the idle spares; the next connection has the new configuration"

out=$("$LOADGEN" -e -m hold -c 40 -d 1 -p 64 -t 30000 -l hold 127.0.0.1 7001 2>&1) ||
	fail "40 held connections: $out"
out=$("$LOADGEN" -e -m echo -c 16 -n 260 -p 64 -t 30000 -l load 127.0.0.1 7001 2>&1) ||
	fail "260 connections, 16 at once: $out"
wait_for -t 30 no_children || fail "children left after the load: $(children_of "$DAEMON_PID" | head -n 5)"
wait_for two_spares || fail "$(nspares) idle spares after the load, not 2"
no_zombie_children || fail "zombies after the load"
ok "300 connections, 40 held at once: all served, no child or zombie left, two spares idle"

# Switched off by a reload: the daemon stops reading for news of spares, once none can come
# (1 s, SPARE_LOST_USEC, after the last one was asked for). It used to call recvmsg() on the
# news socket in every turn of its loop from then on. Only resolve = "none" services here, so
# the daemon's only recvmsg() is that one (children report with recv()).
old=$(spares_of "$DAEMON_PID")
conf 0
reload_daemon
for p in $old; do wait_for proc_gone "$p" || fail "idle spare $p still runs after a reload to spares = 0"; done
if ! command -v strace >/dev/null; then
	note "strace missing: the no-recvmsg-after-spares-off case is skipped"
elif asan_build; then
	note "an ASan build cannot run under strace: the no-recvmsg-after-spares-off case is skipped"
else
	sleep 1.5 # past SPARE_LOST_USEC: no spare asked for before the reload can still report
	psend 127.0.0.1 7001 --data hi --timeout 10 >/dev/null || fail "echo after a reload to spares = 0"
	strace -qq -p "$DAEMON_PID" -e trace=recvmsg -o "$TESTDIR/recvmsg.trace" 2>"$TESTDIR/strace.err" &
	STRACE=$!
	traced() { grep -q "^TracerPid:[[:space:]]*$STRACE\$" "/proc/$DAEMON_PID/status"; }
	wait_for traced || fail "strace did not attach to acceptd: $(cat "$TESTDIR/strace.err")"
	out=$("$LOADGEN" -e -m echo -c 4 -n 40 -p 64 -t 30000 -l off 127.0.0.1 7001 2>&1) ||
		fail "40 connections with spares = 0 after a reload: $out"
	kill -INT "$STRACE"
	wait "$STRACE" || :
	n=$(grep -c recvmsg "$TESTDIR/recvmsg.trace" || :)
	[ "$n" = 0 ] || fail "spares switched off by a reload: $n recvmsg() calls for 40 connections: $(head -n 3 "$TESTDIR/recvmsg.trace")"
	ok "spares switched off by a reload: no spare left, no recvmsg() on the news socket per loop turn"
fi

S=$(spares_of "$DAEMON_PID")
stop_daemon
for p in $S; do wait_for proc_gone "$p" || fail "idle spare $p outlived the daemon"; done
ok "the idle spares end with the daemon"

conf 0
start_daemon
out=$(psend 127.0.0.1 7001 --data hi --timeout 10) || fail "echo with spares = 0: $out"
[ "$(nspares)" = 0 ] || fail "$(nspares) idle spares with spares = 0"
stop_daemon
ok "spares = 0: no spare; the accept loop forks"

# A spare lost before it reports its successor: stopped while idle, handed a connection, then
# killed. With no spare idle and one owed, the daemon pauses its listeners and waits for the
# news; this one never comes, so after SPARE_LOST_USEC (1 s) the daemon writes it off and
# forks a spare itself. Without that, the next client would wait forever in the backlog.
conf 1
start_daemon
one_spare() { [ "$(nspares)" = 1 ]; }
wait_for one_spare || fail "$(nspares) idle spares with spares = 1, not 1"
lost=$(spares_of "$DAEMON_PID")
kill -STOP "$lost"
psend 127.0.0.1 7001 --data lost --timeout 30 >"$TESTDIR/lost.out" 2>&1 &
client=$!
wait_for find_event "$MSGID_CONN_ACCEPTED" CHILD_PID="$lost" ||
	fail "no connection handed to the stopped spare $lost"
kill -KILL "$lost"
wait "$client" && fail "the connection of the killed spare was served: $(cat "$TESTDIR/lost.out")"
out=$(psend 127.0.0.1 7001 --data after --timeout 10) ||
	fail "echo after a spare was lost before it reported: $out"
wait_for find_event "$MSGID_CONN_ENDED" CHILD_PID="$lost" || fail "no connection-ended entry for the lost spare"
expect "the lost spare's connection" EXIT_SIGNAL=9
wait_for one_spare || fail "$(nspares) idle spares after one was lost, not 1"
wait_for no_zombie_children || fail "zombies after a spare was lost"
stop_daemon
ok "a spare lost before it reports is written off: the next client is served (it used to wait forever), a new spare idles"

# daemon.user: the spares are forked after the daemon dropped its privileges, as children are.
write_conf <<EOF
daemon = { user = "nobody"; spares = 2; };
services = ( { name = "echo"; listen = [ "127.0.0.1" ]; port = 7001; builtin = "echo"; resolve = "none"; } );
EOF
start_daemon
wait_for two_spares || fail "$(nspares) idle spares with daemon.user = nobody, not 2"
nobody=$(id -u nobody)
for p in "$DAEMON_PID" $(spares_of "$DAEMON_PID"); do
	uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$p/status")
	[ "$uids" = "$nobody $nobody $nobody $nobody" ] || fail "daemon.user = nobody: pid $p has uids $uids"
done
served_by_spare 7001 echo "echo with daemon.user = nobody"
wait_for two_spares || fail "$(nspares) idle spares after a connection with daemon.user, not 2"
stop_daemon
ok "daemon.user = nobody: the daemon and its spares run as nobody, and a spare serves"

conf 2
start_daemon
wait_for two_spares || fail "no idle spares after a restart"
S=$(spares_of "$DAEMON_PID")
kill -KILL "$DAEMON_PID"
for p in $S; do wait_for proc_gone "$p" || fail "idle spare $p outlived a daemon killed by SIGKILL"; done
ok "the idle spares end when the daemon is killed (SIGKILL)"
