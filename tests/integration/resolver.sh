#!/bin/bash
# SPDX-License-Identifier: MIT
# The name resolver process (src/resolver.c): the children's reverse lookups are answered by
# one long-lived child of the daemon. It exists only while a service resolves names (a reload
# that adds one starts it); it runs as nobody with no_new_privs and holds no descriptor but
# its socket (no listener, no journal); when it dies the daemon says so and starts another,
# and names work again; it ends with the daemon, also when the daemon is killed (SIGKILL).
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
SANDBOX_HOSTS="127.0.0.2 named.test"
sandbox "$@"

ALLOW_LOG="^acceptd\[[0-9]+\]: the name resolver \(pid [0-9]+\) was killed by signal 9; restarting$"

conf() { # conf RESOLVE: one echo service on 7001 with that resolve mode
	write_conf <<EOF
services = (
  { name = "echo"; listen = [ "127.0.0.1" ]; port = 7001; builtin = "echo";
    resolve = "$1"; resolve_cache_ttl = 0; }
);
EOF
}

# named_conn: an echo from 127.0.0.2, whose name must come back as named.test
named_conn() {
	local out lport
	out=$(psend 127.0.0.1 7001 --bind 127.0.0.2 --data "hello" --timeout 10) ||
		fail "echo from 127.0.0.2: $out"
	lport=$(kv lport "$out")
	wait_for find_event "$MSGID_CONN_ENDED" ACCEPTD_SERVICE=echo REMOTE_PORT="$lport" ||
		fail "no connection-ended entry for the connection from 127.0.0.2:$lport"
	expect "$1" REMOTE_HOST=named.test REMOTE_HOST_LOOKUP=found
}
status_of() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" 2>/dev/null; } # PID FIELD
a_resolver() { [ -n "$(resolver_of "$DAEMON_PID")" ]; }
new_resolver() { local r; r=$(resolver_of "$DAEMON_PID") && [ -n "$r" ] && [ "$r" != "$1" ]; }

conf none
start_daemon
nap 0.3
[ -z "$(resolver_of "$DAEMON_PID")" ] || fail "a resolver process without a service that resolves"
ok "no service resolves names: no resolver process"

conf name
reload_daemon
wait_for a_resolver || fail "no resolver process after a reload added resolve = \"name\""
R=$(resolver_of "$DAEMON_PID")
named_conn "a name through the resolver started by the reload"
ok "a reload that adds resolve = \"name\" starts the resolver (pid $R); names work"

# Least privilege, and nothing of the daemon's: only 0-2 and its socket.
if [ "$(id -u)" = 0 ] && nobody=$(id -u nobody 2>/dev/null); then
	[ "$(status_of "$R" Uid | awk '{ print $1, $2, $3, $4 }')" = "$nobody $nobody $nobody $nobody" ] ||
		fail "the resolver's uids are not nobody's ($nobody): $(status_of "$R" Uid)"
	[ "$(status_of "$R" Groups)" = "" ] || fail "the resolver keeps groups: $(status_of "$R" Groups)"
	ok "the resolver runs as nobody (uid $nobody), no supplementary groups"
else
	note "not root, or no user nobody: the resolver's uid not checked"
fi
[ "$(status_of "$R" NoNewPrivs)" = 1 ] || fail "the resolver lacks no_new_privs"
fdlist=$(for f in "/proc/$R/fd/"*; do echo "${f##*/} $(readlink "$f")"; done)
extra=$(awk '$1 > 2' <<<"$fdlist")
[[ $(grep -c . <<<"$extra") == 1 && $extra == *" socket:["* ]] ||
	fail "the resolver should hold one descriptor beyond 0-2, its socket: $fdlist"
ok "the resolver has no_new_privs and one descriptor beyond 0-2 (its socket)"

kill -KILL "$R"
wait_for new_resolver "$R" || fail "no new resolver after the first (pid $R) was killed"
wait_log "the name resolver \(pid $R\) was killed by signal 9; restarting" ||
	fail "the daemon did not report its resolver's death"
named_conn "a name after the resolver was restarted"
R2=$(resolver_of "$DAEMON_PID")
ok "a killed resolver is reported and restarted (pid $R2); names work again"

stop_daemon
wait_for proc_gone "$R2" || fail "the resolver (pid $R2) outlived the daemon"
ok "the resolver ends with the daemon"

start_daemon
wait_for a_resolver || fail "no resolver process with resolve = \"name\""
R=$(resolver_of "$DAEMON_PID")
kill -KILL "$DAEMON_PID"
wait_for proc_gone "$R" || fail "the resolver (pid $R) outlived a daemon killed by SIGKILL"
ok "the resolver ends when the daemon is killed (SIGKILL)"
