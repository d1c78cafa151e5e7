#!/bin/bash
# SPDX-License-Identifier: MIT
# allow / deny, enforced in the parent before any fork: clients bound to 127.0.0.x, ::1 and
# 2001:db8::10 are served or refused as the lists say (deny wins; with an allow list,
# nothing else). A refused client is closed at once, logged as connection-denied (PRIORITY
# 5, its addresses and ports, no CHILD_PID) and never accepted as a connection, and no
# process is created for it (counted in our pid namespace). On a v6only = false "::"
# service an IPv4 client is matched by IPv4 rules, also when it comes as ::ffff:a.b.c.d,
# and logged as 127.0.0.x.
# shellcheck disable=SC2015 # A && B || fail: either false fails
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
sandbox "$@"

MSGID_CONN_DENIED=004c7791a484488fa477ac07d1ad947b

probe() {
	"$PYTHON" "$LIBDIR/probe.py" "$@"
}

[ -r /proc/sys/kernel/ns_last_pid ] || hard_error "no /proc/sys/kernel/ns_last_pid"

v6=no
if [ "$HAVE_IPV6" = yes ] && ip addr add 2001:db8::10/128 dev lo nodad 2>/dev/null; then
	v6=yes
else
	note "no IPv6 on lo: IPv6 parts skipped"
fi

listen='"127.0.0.1"'
[ "$v6" = no ] || listen="$listen, \"::1\""
dual=
if [ "$v6" = yes ]; then
	# deny by an IPv4 rule, and by the same rule written IPv4-mapped
	dual='{ name = "dual"; listen = [ "::" ]; port = 7008; v6only = false; builtin = "echo";
    deny = [ "127.0.0.5", "::ffff:127.0.0.6" ]; },'
fi
write_conf <<EOF
services = (
  { name = "listed"; listen = [ $listen ]; port = 7007; builtin = "echo";
    allow = [ "127.0.0.0/29", "::1" ]; deny = [ "127.0.0.3", "127.0.0.4/31" ]; },
  $dual
  { name = "denylist"; listen = [ $listen ]; port = 7009; builtin = "echo";
    deny = [ "127.0.0.2", "2001:db8::/32" ]; }
);
EOF
start_daemon

# served SERVICE PORT SRC [DST]: an echo from SRC is answered and logged as accepted
served() {
	local out lport
	out=$(probe served "${4:-127.0.0.1}" "$2" --bind "$3" --timeout 20 2>&1) ||
		fail "$1: $3 was not served: $out"
	lport=${out##*lports=}
	wait_for at_least 1 "$MSGID_CONN_ENDED" ACCEPTD_SERVICE="$1" REMOTE_ADDR="$3" \
		REMOTE_PORT="$lport" || fail "$1: the connection from $3 port $lport did not end"
	[ "$(count_events "$MSGID_CONN_ACCEPTED" ACCEPTD_SERVICE="$1" REMOTE_ADDR="$3" \
		REMOTE_PORT="$lport")" = 1 ] || fail "$1: $3 port $lport not logged as accepted"
	ok "$1: $3 -> ${4:-127.0.0.1} served"
}

# refused SERVICE PORT SRC [DST [LOGGED-AS]]: SRC is closed at once, with one
# connection-denied entry and nothing else, and no process is created for it
refused() {
	local out lport line forks dst=${4:-127.0.0.1} as=${5:-$3}
	out=$(probe closed "$dst" "$2" --bind "$3" --pids --timeout 20 2>&1) ||
		fail "$1: $3 was not closed at once: $out"
	lport=${out##*lports=}
	forks=$(sed -n 's/.* forks=\([0-9]*\) .*/\1/p' <<<"$out")
	[ "$forks" = 0 ] || fail "$1: $forks processes were created while $3 was refused"
	wait_for at_least 1 "$MSGID_CONN_DENIED" ACCEPTD_SERVICE="$1" REMOTE_PORT="$lport" ||
		fail "$1: no connection-denied entry for $3 port $lport"
	line=$(events "$MSGID_CONN_DENIED" | with_fields ACCEPTD_SERVICE="$1" REMOTE_PORT="$lport")
	[ "$(grep -c . <<<"$line")" = 1 ] || fail "$1: more than one entry for one refusal: $line"
	[ "$(field PRIORITY <<<"$line")" = 5 ] && [ "$(field REMOTE_ADDR <<<"$line")" = "$as" ] &&
		[ "$(field LOCAL_ADDR <<<"$line")" = "${6:-$dst}" ] &&
		[ "$(field LOCAL_PORT <<<"$line")" = "$2" ] && [ -z "$(field CHILD_PID <<<"$line")" ] ||
		fail "$1: the connection-denied entry for $3 is not PRIORITY=5 REMOTE_ADDR=$as LOCAL_ADDR=${6:-$dst} LOCAL_PORT=$2 without CHILD_PID: $line"
	local ra=$as la=${6:-$dst}
	grep -qF "connection from [$ra]:$lport to $1 on [$la]:$2 refused: not allowed | " <<<"$line" ||
		fail "$1: the message is not \"connection from [$ra]:$lport to $1 on [$la]:$2 refused: not allowed\": $line"
	# By address and port: another source may have had the same port before.
	[ "$(count_events "$MSGID_CONN_ACCEPTED" REMOTE_ADDR="$as" REMOTE_PORT="$lport")$(count_events \
		"$MSGID_CONN_ENDED" REMOTE_ADDR="$as" REMOTE_PORT="$lport")" = 00 ] ||
		fail "$1: the refused connection from $3 port $lport was logged as accepted or ended"
	ok "$1: $3 -> $dst refused in the parent: closed at once, connection-denied (PRIORITY=5, REMOTE_ADDR=$as), no process created"
}

# The method: a served connection creates at least one process (its child; a thread for the
# name lookup takes an id too), counted the same way, so "0" below means something.
out=$(probe served 127.0.0.1 7007 --bind 127.0.0.1 --count 3 --pids --timeout 20 2>&1) ||
	fail "listed: 127.0.0.1 was not served: $out"
forks=$(sed -n 's/.* forks=\([0-9]*\) .*/\1/p' <<<"$out")
[ "${forks:-0}" -ge 3 ] ||
	hard_error "three served connections did not show as new processes: $out"
ok "control: three served connections took $forks new ids in our pid namespace"

# --- allow list with a deny list inside it
served listed 7007 127.0.0.1
served listed 7007 127.0.0.2
served listed 7007 127.0.0.7
refused listed 7007 127.0.0.3  # in both lists: deny wins
refused listed 7007 127.0.0.4
refused listed 7007 127.0.0.5
refused listed 7007 127.0.0.8  # not in the allow list
refused listed 7007 127.0.0.200
if [ "$v6" = yes ]; then
	served listed 7007 ::1 ::1
	refused listed 7007 2001:db8::10 ::1
fi

# --- deny list only
served denylist 7009 127.0.0.1
served denylist 7009 127.0.0.3
refused denylist 7009 127.0.0.2
if [ "$v6" = yes ]; then
	served denylist 7009 ::1 ::1
	refused denylist 7009 2001:db8::10 ::1
fi

# A burst of refused connections in a row: still not one process.
out=$(probe closed 127.0.0.1 7007 --bind 127.0.0.9 --count 40 --pids --timeout 20 2>&1) ||
	fail "40 refused connections: $out"
[[ $out == *" forks=0 "* ]] || fail "processes were created for refused connections: $out"
[ -z "$(children_of "$DAEMON_PID")" ] || fail "acceptd has children: $(children_of "$DAEMON_PID")"
ok "40 refused connections in a row: closed at once, not one process created"

# --- dual stack: an IPv4 client of "::" is IPv4 for the rules and the log
if [ "$v6" = yes ]; then
	served dual 7008 127.0.0.7
	refused dual 7008 127.0.0.5
	refused dual 7008 127.0.0.6
	# The same client from an IPv6 socket, as ::ffff:127.0.0.5 to ::ffff:127.0.0.1
	refused dual 7008 ::ffff:127.0.0.5 ::ffff:127.0.0.1 127.0.0.5 127.0.0.1
	served dual 7008 ::1 ::1
	if grep -q 'ffff:' "$DAEMON_LOG"; then
		fail "IPv4-mapped addresses in the log: $(grep 'ffff:' "$DAEMON_LOG")"
	fi
	ok "dual stack: IPv4 rules hold for IPv4 clients however they come; no ::ffff: in the log"
fi

wait_for no_zombie_children || fail "zombie children: $(zombie_children "$DAEMON_PID")"
stop_daemon
