#!/bin/bash
# SPDX-License-Identifier: MIT
# Socket activation (design §5) with the real systemd-socket-activate, which execs acceptd
# at the first connection. Two services with named sockets (IPv4 and IPv6) are served and
# logged under the right ACCEPTD_SERVICE, and their own listen entries are not bound while a
# third service without sockets binds its own (mixed mode); the passed sockets keep fds 3..5
# (the same socket inodes as before the exec, O_NONBLOCK set), acceptd's own sockets come
# after them. Regression "second connection on an activated socket hangs": connections in
# turn on every passed socket, several rounds (a blocking passed socket hangs the loop).
# A reload with a client connected keeps the connection and the passed sockets; a reload
# that leaves a socket without its service fails and changes nothing. One unnamed socket
# (no --fdname) and the unit default name "acceptd.socket" work with one service. Start-up
# errors: unnamed or "acceptd.socket" sockets with two services, and a misnamed socket, exit
# 78 naming the socket; a bound but not listening TCP fd, a UDP fd, or a name count that
# does not match (passed by hand) exit 71. A dual-stack [::] socket passed by hand: IPv4
# peers are logged as 127.0.0.1, never ::ffff:127.0.0.1.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
sandbox "$@"

command -v systemd-socket-activate >/dev/null ||
	skip "systemd-socket-activate missing (package systemd)"
# What systemd-socket-activate itself prints before it execs acceptd.
ALLOW_LOG='^(Listening on .* as [0-9]+\.|Communication attempt on fd [0-9]+\.|Execing .*)$'
ALLOW_LOG+="|MESSAGE_ID=$MSGID_RELOAD_FAILED |^acceptd\[[0-9]+\]: socket [0-9]+ from systemd "

if [ "$HAVE_IPV6" = no ]; then
	note "no ::1 on lo: IPv6 sockets skipped"
fi

# tool_listens N: the process $DAEMON_PID holds N listening sockets (a function: each poll
# of wait_for looks again)
tool_listens() {
	[ "$(ss -ltnpH | grep -c "pid=$DAEMON_PID,")" = "$1" ]
}

# activate TOOL-ARGS...: acceptd -f -c $CONF under systemd-socket-activate TOOL-ARGS (each
# socket as "-l ADDR"); returns once the tool listens on all of them. acceptd is not
# running yet: it is exec'd at the first connection.
activate() {
	local n=0 a
	for a in "$@"; do
		[ "$a" != -l ] || n=$((n + 1))
	done
	check_conf "$CONF"
	new_run
	systemd-socket-activate "$@" -E NOTIFY_SOCKET="$NOTIFY_SOCK" -- \
		"$ACCEPTD" -f -c "$CONF" </dev/null >"$DAEMON_LOG" 2>&1 &
	DAEMON_PID=$!
	PIDS+=("$DAEMON_PID")
	wait_for tool_listens "$n" ||
		hard_error "systemd-socket-activate did not listen on $n sockets: $(cat "$DAEMON_LOG")"
}

# trigger ADDR PORT: the first connection, which makes the tool exec acceptd; then READY=1.
trigger() {
	client_bg trigger echo "$1" "$2" --size 100 --timeout 30
	await_ready
	local rc=0
	wait "$BG_PID" || rc=$?
	[ "$rc" = 0 ] || fail "the connection that started acceptd was not served: $(cat "$TESTDIR/trigger.out")"
	[ "$(readlink "/proc/$DAEMON_PID/exe")" = "$(readlink -f "$ACCEPTD")" ] ||
		fail "pid $DAEMON_PID is not acceptd: $(readlink "/proc/$DAEMON_PID/exe")"
}

# expect_exit RC TEXT [ADDR PORT]: the daemon run ends with exit RC, TEXT (a fixed string)
# on its stderr, and no READY=1. With ADDR PORT, a connection there first (to make the tool
# exec acceptd).
expect_exit() {
	local rc=0
	if [ $# = 4 ]; then
		client_bg "trigger$RUN" hold "$3" "$4" --until-closed --timeout 30
	fi
	wait_for proc_gone "$DAEMON_PID" || fail "acceptd did not exit: $(cat "$DAEMON_LOG")"
	wait "$DAEMON_PID" || rc=$?
	[ "$rc" = "$1" ] || fail "exit $rc, expected $1: $(cat "$DAEMON_LOG")"
	grep -qF -- "$2" "$DAEMON_LOG" || fail "no '$2' on stderr: $(cat "$DAEMON_LOG")"
	! notified READY=1 || fail "READY=1 sent although start-up failed"
}

# echo_ok ADDR PORT / discard_ok ADDR PORT: one round trip
echo_ok() {
	local out
	out=$(client echo "$1" "$2" --size 1500 --random --timeout 10 2>&1) || fail "echo on $1 $2: $out"
}
discard_ok() {
	local out
	out=$(client echo "$1" "$2" --size 1500 --discard --timeout 10 2>&1) || fail "discard on $1 $2: $out"
}

# ---- Two services with named sockets, a third binding its own (mixed mode).
write_conf <<EOF
services = (
  { name = "echo"; listen = [ "127.0.0.1" ]; port = 7000; builtin = "echo"; },
  { name = "other"; listen = [ "127.0.0.1" ]; port = 7001; builtin = "discard"; },
  { name = "third"; listen = [ "127.0.0.1" ]; port = 7102; builtin = "echo"; }
);
EOF
socks=(127.0.0.1:7100)
names="echo"
if [ "$HAVE_IPV6" = yes ]; then
	socks+=('[::1]:7100')
	names+=:echo
fi
socks+=(127.0.0.1:7101)
names+=:other
n=${#socks[@]}
args=()
for s in "${socks[@]}"; do
	args+=(-l "$s")
done
activate "${args[@]}" --fdname="$names"
# The tool's sockets, by fd, before it execs acceptd.
declare -A inode
for ((fd = 3; fd < 3 + n; fd++)); do
	inode[$fd]=$(fd_inode "$DAEMON_PID" "$fd")
	[ -n "${inode[$fd]}" ] || hard_error "systemd-socket-activate has no socket at fd $fd"
	[ "$(listener_field "${socks[fd - 3]}" inode)" = "${inode[$fd]}" ] ||
		hard_error "fd $fd of systemd-socket-activate is not ${socks[fd - 3]}"
done
trigger 127.0.0.1 7100
notified "READY=1 STATUS=services 3, sockets $((n + 1)), connections active [0-9]+, total [0-9]+" ||
	fail "READY=1 does not count 3 services and $((n + 1)) sockets: $(notify_lines)"
want=$(printf '%s\n' "${socks[@]}" 127.0.0.1:7102 | sort | tr '\n' ' ')
[ "$(listening | tr '\n' ' ')" = "$want" ] ||
	fail "listening: '$(listening | tr '\n' ' ')', expected only the passed sockets and third's: '$want'"
ok "activated services bind nothing of their own; third binds 127.0.0.1:7102 (mixed mode)"

for ((fd = 3; fd < 3 + n; fd++)); do
	[ "$(fd_inode "$DAEMON_PID" "$fd")" = "${inode[$fd]}" ] ||
		fail "fd $fd is no longer the passed socket ${socks[fd - 3]} (inode ${inode[$fd]}): $(ls -l "/proc/$DAEMON_PID/fd")"
	flags=$(sed -n 's/^flags:[[:space:]]*//p' "/proc/$DAEMON_PID/fdinfo/$fd")
	(((8#$flags & 8#4000) != 0)) || fail "passed socket at fd $fd is not O_NONBLOCK (flags $flags)"
	grep -qF "listening on ${socks[fd - 3]} for " "$DAEMON_LOG" ||
		fail "no 'listening on ${socks[fd - 3]}' line"
done
own=$(ss -ltnpH src 127.0.0.1:7102 | sed -n 's/.*pid=[0-9]*,fd=\([0-9]*\).*/\1/p')
if [ -z "$own" ] || [ "$own" -lt $((3 + n)) ]; then
	fail "acceptd's own listener has fd '$own', inside the passed range 3..$((2 + n))"
fi
ok "fds 3..$((2 + n)) are still the passed sockets, now O_NONBLOCK; acceptd's own listener is fd $own"

# Second connection on an activated socket hangs: take turns on every socket, three rounds.
for _ in 1 2 3; do
	echo_ok 127.0.0.1 7100
	[ "$HAVE_IPV6" = no ] || echo_ok ::1 7100
	discard_ok 127.0.0.1 7101
	echo_ok 127.0.0.1 7102
done
ok "regression 'second connection on an activated socket hangs': 3 rounds in turn on every socket, all served"

c=$(count_events "$MSGID_CONN_ENDED" ACCEPTD_SERVICE=echo LOCAL_ADDR=127.0.0.1 LOCAL_PORT=7100 BYTES_OUT=1500)
[ "$c" = 3 ] || fail "$c echo connections on 127.0.0.1:7100 logged for service echo, expected 3"
if [ "$HAVE_IPV6" = yes ]; then
	c=$(count_events "$MSGID_CONN_ENDED" ACCEPTD_SERVICE=echo LOCAL_ADDR=::1 LOCAL_PORT=7100 REMOTE_ADDR=::1)
	[ "$c" = 3 ] || fail "$c connections on [::1]:7100 logged for service echo, expected 3"
fi
c=$(count_events "$MSGID_CONN_ENDED" ACCEPTD_SERVICE=other LOCAL_PORT=7101 BYTES_IN=1500 BYTES_OUT=0)
[ "$c" = 3 ] || fail "$c connections on 127.0.0.1:7101 logged for service other (discard), expected 3"
c=$(count_events "$MSGID_CONN_ENDED" ACCEPTD_SERVICE=third LOCAL_PORT=7102)
[ "$c" = 3 ] || fail "$c connections on 127.0.0.1:7102 logged for service third, expected 3"
c=$(count_events "$MSGID_CONN_ACCEPTED" ACCEPTD_SERVICE=echo)
[ "$c" = $((n == 3 ? 7 : 4)) ] || fail "$c connections accepted for echo"
ok "each connection logged under its service: echo on 7100 (IPv4, IPv6), other on 7101, third on 7102"

# ---- Reload with a client connected.
client_bg held hold 127.0.0.1 7100 --probe --ready "$TESTDIR/held.ready" \
	--reprobe "$TESTDIR/held.reprobe" --timeout 30
held=$BG_PID
wait_for test -e "$TESTDIR/held.ready" || fail "the held client did not connect"
write_conf moved.conf <<EOF
services = (
  { name = "echo"; listen = [ "127.0.0.1" ]; port = 7000; builtin = "echo"; },
  { name = "other"; listen = [ "127.0.0.1" ]; port = 7001; builtin = "discard"; },
  { name = "third"; listen = [ "127.0.0.1" ]; port = 7103; builtin = "echo"; }
);
EOF
check_conf
cp "$TESTDIR/moved.conf" "$TESTDIR/acceptd.conf" || hard_error "cannot install moved.conf"
reload_daemon
[[ $RELOAD_STATUS == "services 3, sockets $((n + 1)),"* ]] || fail "STATUS after reload: $RELOAD_STATUS"
want=$(printf '%s\n' "${socks[@]}" 127.0.0.1:7103 | sort | tr '\n' ' ')
[ "$(listening | tr '\n' ' ')" = "$want" ] ||
	fail "listening after the reload: '$(listening | tr '\n' ' ')', expected '$want'"
for ((fd = 3; fd < 3 + n; fd++)); do
	[ "$(fd_inode "$DAEMON_PID" "$fd")" = "${inode[$fd]}" ] ||
		fail "after the reload, fd $fd is no longer the passed socket ${socks[fd - 3]}"
	[ "$(listener_field "${socks[fd - 3]}" inode)" = "${inode[$fd]}" ] ||
		fail "after the reload, ${socks[fd - 3]} is not the passed socket"
done
rm -f "$TESTDIR/held.reprobe"
kill -USR1 "$held"
wait_for test -e "$TESTDIR/held.reprobe" || fail "the held client did not re-probe"
[ "$(cat "$TESTDIR/held.reprobe")" = "echoed=1 closed=0" ] ||
	fail "the held connection does not echo after the reload: $(cat "$TESTDIR/held.reprobe")"
echo_ok 127.0.0.1 7100
[ "$HAVE_IPV6" = no ] || echo_ok ::1 7100
discard_ok 127.0.0.1 7101
echo_ok 127.0.0.1 7103
ok "reloaded with a client connected: it still echoes, the passed sockets are the same fds and served"

snapshot=$(listening_details)
write_conf renamed.conf <<EOF
services = (
  { name = "echo"; listen = [ "127.0.0.1" ]; port = 7000; builtin = "echo"; },
  { name = "other2"; listen = [ "127.0.0.1" ]; port = 7001; builtin = "discard"; },
  { name = "third"; listen = [ "127.0.0.1" ]; port = 7104; builtin = "echo"; }
);
EOF
check_conf
cp "$TESTDIR/renamed.conf" "$TESTDIR/acceptd.conf" || hard_error "cannot install renamed.conf"
reload_daemon
[[ $RELOAD_STATUS == "reload failed"* ]] ||
	fail "a reload leaving socket \"other\" without a service did not fail: STATUS=$RELOAD_STATUS"
[ "$(count_events "$MSGID_RELOAD_FAILED" PRIORITY=3)" = 1 ] || fail "no reload-failed entry"
grep -q "socket $((n + 2)) from systemd is named \"other\", but no service has that name" "$DAEMON_LOG" ||
	fail "the failed reload does not name the socket"
[ "$(listening_details)" = "$snapshot" ] || fail "the failed reload changed the listeners"
discard_ok 127.0.0.1 7101
echo_ok 127.0.0.1 7103
ok "a reload that renames service other fails (${RELOAD_STATUS}); the old config serves on"
kill "$held"
stop_daemon

# ---- One unnamed socket and one service; the unit's default name counts as unnamed.
write_conf one.conf <<EOF
services = ( { name = "solo"; listen = [ "127.0.0.1" ]; port = 7000; builtin = "echo"; } );
EOF
for how in unnamed acceptd.socket; do
	if [ "$how" = unnamed ]; then
		activate -l 127.0.0.1:7100
	else
		activate -l 127.0.0.1:7100 --fdname=acceptd.socket
	fi
	trigger 127.0.0.1 7100
	[ "$(listening | tr '\n' ' ')" = "127.0.0.1:7100 " ] ||
		fail "$how: listening: $(listening | tr '\n' ' ')"
	echo_ok 127.0.0.1 7100
	echo_ok 127.0.0.1 7100
	[ "$(count_events "$MSGID_CONN_ENDED" ACCEPTD_SERVICE=solo LOCAL_PORT=7100)" = 3 ] ||
		fail "$how: connections not logged for service solo"
	stop_daemon
	ok "$how socket with one service: served as solo, its own listen entry not bound"
done

# ---- Start-up errors.
write_conf two.conf <<EOF
services = (
  { name = "echo"; listen = [ "127.0.0.1" ]; port = 7000; builtin = "echo"; },
  { name = "other"; listen = [ "127.0.0.1" ]; port = 7001; builtin = "discard"; }
);
EOF
activate -l 127.0.0.1:7100
expect_exit 78 'socket 3 from systemd has no FileDescriptorName= ("unknown"), which is allowed only with exactly one service; 2 are configured' 127.0.0.1 7100
ok "unnamed socket with two services: exit 78"
activate -l 127.0.0.1:7100 --fdname=acceptd.socket
expect_exit 78 'socket 3 from systemd has no FileDescriptorName= ("acceptd.socket")' 127.0.0.1 7100
ok "socket named acceptd.socket with two services: exit 78"
activate -l 127.0.0.1:7100 -l 127.0.0.1:7101 --fdname=echo:bogus
expect_exit 78 'socket 4 from systemd is named "bogus", but no service has that name' 127.0.0.1 7100
[ -z "$(listening)" ] || fail "listening after the failed start: $(listening)"
ok "misnamed socket: exit 78 naming it"

# handmade TEXT ARGS...: client.py activate ARGS -- acceptd; it must exit 71 with TEXT
handmade() {
	local text=$1
	shift
	check_conf "$CONF"
	new_run
	NOTIFY_SOCKET=$NOTIFY_SOCK "$PYTHON" "$LIBDIR/client.py" activate "$@" -- \
		"$ACCEPTD" -f -c "$CONF" </dev/null >"$DAEMON_LOG" 2>&1 &
	DAEMON_PID=$!
	PIDS+=("$DAEMON_PID")
	expect_exit 71 "$text"
}
handmade 'socket 4 ("other") from systemd is not a listening TCP socket' \
	--fd listen:127.0.0.1:7100 --fd bound:127.0.0.1:7101 --names echo:other
ok "a bound but not listening TCP socket: exit 71"
handmade 'socket 3 ("echo") from systemd is not a listening TCP socket' \
	--fd udp:127.0.0.1:7100 --names echo
ok "a UDP socket: exit 71"
handmade 'cannot take sockets from systemd: Invalid argument' \
	--fd listen:127.0.0.1:7100 --fd listen:127.0.0.1:7101 --names echo
ok "two sockets, one name: exit 71"

# ---- Dual-stack [::] passed by hand: IPv4 peers as IPv4.
if [ "$HAVE_IPV6" = yes ]; then
	write_conf dual.conf <<EOF
services = ( { name = "echo"; listen = [ "::" ]; port = 7000; builtin = "echo"; } );
EOF
	check_conf
	new_run
	NOTIFY_SOCKET=$NOTIFY_SOCK "$PYTHON" "$LIBDIR/client.py" activate --fd dual:7200 --names echo \
		-- "$ACCEPTD" -f -c "$CONF" </dev/null >"$DAEMON_LOG" 2>&1 &
	DAEMON_PID=$!
	PIDS+=("$DAEMON_PID")
	await_ready
	[ "$(listening | tr '\n' ' ')" = "*:7200 " ] ||
		fail "expected only the dual-stack *:7200, got: $(listening | tr '\n' ' ')"
	for src in 127.0.0.1 127.0.0.2; do
		out=$(client echo 127.0.0.1 7200 --bind "$src" --size 100 --timeout 10 2>&1) ||
			fail "IPv4 client $src on the dual-stack socket: $out"
		lport=$(sed -n 's/.* lport=\([0-9]*\).*/\1/p' <<<"$out")
		wait_for at_least 1 "$MSGID_CONN_ENDED" REMOTE_ADDR="$src" REMOTE_PORT="$lport" \
			LOCAL_ADDR=127.0.0.1 LOCAL_PORT=7200 ||
			fail "IPv4 client $src not logged with REMOTE_ADDR=$src LOCAL_ADDR=127.0.0.1"
	done
	echo_ok ::1 7200
	wait_for at_least 1 "$MSGID_CONN_ENDED" REMOTE_ADDR=::1 LOCAL_ADDR=::1 ||
		fail "IPv6 client not logged with REMOTE_ADDR=::1"
	if grep -q 'ffff:' "$DAEMON_LOG"; then
		fail "IPv4-mapped addresses in the log: $(grep 'ffff:' "$DAEMON_LOG")"
	fi
	stop_daemon
	ok "dual-stack [::] from systemd: IPv4 peers logged as 127.0.0.1/127.0.0.2, never ::ffff:"
fi
