#!/bin/bash
# SPDX-License-Identifier: MIT
# Classic daemon mode (no -f): the command returns 0 only once the daemon is bound, so the
# port answers at once; the pidfile (-p, else daemon.pidfile) holds the daemon's pid, an
# orphan in its own session without a terminal, cwd /, stdio on /dev/null; SIGTERM removes
# the pidfile and the daemon goes away.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
sandbox "$@"

mysid=$(proc_field $$ 6)

# daemonize PIDFILE ARGS...: run acceptd ARGS -c $CONF without -f; check everything.
daemonize() {
	local pidfile=$1 rc=0 out pid fd before new
	shift
	check_conf "$CONF"
	: >"$TESTDIR/fg.out"
	before=$(ls -A "$(dirname "$pidfile")")
	"$ACCEPTD" "$@" -c "$CONF" </dev/null >"$TESTDIR/fg.out" 2>&1 || rc=$?
	[ "$rc" = 0 ] || fail "acceptd without -f: exit $rc: $(cat "$TESTDIR/fg.out")"
	# Straight away, no waiting: the port answers and the pidfile is there.
	out=$(client echo 127.0.0.1 "$PORT" --size 1000 --random --timeout 10) ||
		fail "no echo right after acceptd returned: $out"
	[ -f "$pidfile" ] || fail "no pidfile $pidfile right after acceptd returned"
	pid=$(cat "$pidfile")
	[ "$(printf '%s\n' "$pid" | grep -cE '^[0-9]+$')" = 1 ] || fail "pidfile holds '$pid'"
	proc_alive "$pid" || fail "pidfile pid $pid is not running"
	[ "$(cat "/proc/$pid/comm")" = acceptd ] || fail "pid $pid is $(cat "/proc/$pid/comm")"
	new=$(comm -13 <(echo "$before") <(ls -A "$(dirname "$pidfile")"))
	[ "$new" = "$(basename "$pidfile")" ] || fail "new files beside the pidfile: $new"
	ok "acceptd returned 0; the port answered at once; pidfile $pidfile holds live pid $pid"

	# This shell is pid 1 of the test's pid namespace: the reaper of orphans.
	[ "$(proc_field "$pid" 4)" = 1 ] || fail "daemon's parent is $(proc_field "$pid" 4), not 1"
	[ "$(proc_field "$pid" 6)" != "$mysid" ] || fail "daemon is still in the caller's session"
	[ "$(proc_field "$pid" 6)" != "$pid" ] ||
		fail "daemon is a session leader (forked only once after setsid)"
	[ "$(proc_field "$pid" 7)" = 0 ] || fail "daemon has a controlling terminal"
	[ "$(readlink "/proc/$pid/cwd")" = / ] || fail "daemon's cwd is $(readlink "/proc/$pid/cwd")"
	for fd in 0 1 2; do
		[ "$(readlink "/proc/$pid/fd/$fd")" = /dev/null ] ||
			fail "daemon's fd $fd is $(readlink "/proc/$pid/fd/$fd"), not /dev/null"
	done
	ok "daemon: parent 1, own session (sid $(proc_field "$pid" 6)), no tty, cwd /, stdio /dev/null"

	kill -TERM "$pid"
	wait_for proc_gone "$pid" || fail "daemon $pid still running after SIGTERM"
	wait_for test ! -e "$pidfile" || fail "pidfile $pidfile not removed at exit"
	[ -z "$(acceptd_pids)" ] || fail "acceptd processes left: $(acceptd_pids)"
	[ -z "$(listening)" ] || fail "still listening: $(listening)"
	ok "SIGTERM: daemon gone, pidfile removed, nothing listening"
}

write_conf <<EOF
services = ( { name = "echo"; listen = [ "127.0.0.1" ]; port = $PORT; builtin = "echo"; } );
EOF
daemonize "$TESTDIR/cmdline.pid" -p "$TESTDIR/cmdline.pid"

write_conf pidfile.conf <<EOF
daemon = { pidfile = "$TESTDIR/conf.pid"; };
services = ( { name = "echo"; listen = [ "127.0.0.1" ]; port = $PORT; builtin = "echo"; } );
EOF
daemonize "$TESTDIR/conf.pid"
ok "daemon.pidfile is used without -p"

daemonize "$TESTDIR/override.pid" -p "$TESTDIR/override.pid"
[ ! -e "$TESTDIR/conf.pid" ] || fail "-p did not override daemon.pidfile"
ok "-p overrides daemon.pidfile"


# daemon.user: once it runs as that user, the daemon may not remove a pidfile from a directory
# only root may write to. It used to leave it behind with its (soon stale) pid; now it empties
# it, through the descriptor that created it, and says so. No child holds that descriptor.
daemon_user_pidfile() {
	mkdir -m 0755 "$TESTDIR/rootonly"
	local pidfile=$TESTDIR/rootonly/acceptd.pid child fd
	write_conf user.conf <<EOF
daemon = { user = "nobody"; };
services = ( { name = "echo"; listen = [ "127.0.0.1" ]; port = $PORT; builtin = "echo"; } );
EOF
	start_daemon -p "$pidfile"
	[ "$(cat "$pidfile")" = "$DAEMON_PID" ] || fail "daemon.user: the pidfile holds '$(cat "$pidfile")', not $DAEMON_PID"
	client_bg held hold 127.0.0.1 "$PORT" --count 1 --ready "$TESTDIR/held.ready" --timeout 30
	wait_for test -e "$TESTDIR/held.ready" || fail "daemon.user: no connection held"
	child=$(children_of "$DAEMON_PID" | awk 'NR == 1 { print $1 }') # lines are "PID STATE"
	[ -n "$child" ] || fail "daemon.user: no child for the held connection"
	[ -e "/proc/$child/fd/0" ] || fail "daemon.user: cannot read the descriptors of child $child"
	for fd in /proc/"$child"/fd/*; do
		[ "$(readlink "$fd")" != "$pidfile" ] || fail "daemon.user: child $child holds the pidfile open ($fd)"
	done
	kill -TERM "$BG_PID"
	ALLOW_LOG="pidfile $pidfile emptied, not removed: Permission denied"
	stop_daemon
	{ [ -e "$pidfile" ] && [ ! -s "$pidfile" ]; } ||
		fail "daemon.user: the pidfile in a root-only directory is not empty after exit: '$(cat "$pidfile" 2>&1)'"
	grep -qF "$ALLOW_LOG" "$DAEMON_LOG" || fail "daemon.user: no warning that the pidfile was emptied"
	ok "daemon.user: a pidfile it may not remove is emptied at exit, with a warning; children never hold it"
}
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	daemon_user_pidfile
else
	note "not root, or no user nobody: the daemon.user pidfile case is not run"
fi
