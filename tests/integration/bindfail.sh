#!/bin/bash
# SPDX-License-Identifier: MIT
# A listener that cannot be bound is fatal at start: exit 71, a message naming the address,
# port and system error, no READY=1, and nothing of the config left listening -- for an
# address in use, an address on no interface (IPv4 and IPv6), and when daemonizing.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
sandbox "$@"

# Conditions for wait_for: a function, so each poll looks again (a "$(...)"
# argument would be expanded once, before the first poll).
no_acceptd() { [ -z "$(acceptd_pids)" ]; }
nothing_listening() { [ -z "$(listening)" ]; }

# expect_bindfail WHAT ADDR:PORT ERRNO-TEXT ARGS...: acceptd ARGS -c $CONF exits 71 with
# a line "cannot bind ADDR:PORT...: ERRNO-TEXT" on stderr; afterwards only $OTHERS listen.
expect_bindfail() {
	local what=$1 where=$2 err=$3 pid rc
	shift 3
	check_conf "$CONF"
	RUN=$((RUN + 1))
	DAEMON_LOG=$TESTDIR/acceptd.$RUN.log
	NOTIFY_MARK=$(wc -l <"$NOTIFY_LOG")
	NOTIFY_SOCKET=$NOTIFY_SOCK "$ACCEPTD" "$@" -c "$CONF" </dev/null >"$DAEMON_LOG" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	wait_for proc_gone "$pid" || fail "$what: acceptd still running: $(cat "$DAEMON_LOG")"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" = 71 ] || fail "$what: exit $rc (expected 71): $(cat "$DAEMON_LOG")"
	grep -F "cannot bind $where" "$DAEMON_LOG" | grep -qF ": $err" ||
		fail "$what: no 'cannot bind $where...: $err' on stderr: $(cat "$DAEMON_LOG")"
	! notified READY=1 || fail "$what: READY=1 sent although start-up failed"
	wait_for no_acceptd || fail "$what: acceptd processes left: $(acceptd_pids)"
	[ "$(listening | tr '\n' ' ')" = "$OTHERS" ] ||
		fail "$what: listening afterwards: '$(listening | tr '\n' ' ')', expected '$OTHERS'"
	ok "$what: exit 71, '$(grep -F "cannot bind $where" "$DAEMON_LOG" | sed 's/^[^ ]* //')'"
}

# Address in use: the test holds 127.0.0.1:7007; acceptd binds 127.0.0.2 first, then fails.
client_bg occupy listen 127.0.0.1 "$PORT" --ready "$TESTDIR/occupy.ready"
occupier=$BG_PID
wait_for test -e "$TESTDIR/occupy.ready" || hard_error "could not occupy 127.0.0.1:$PORT"
OTHERS="127.0.0.1:$PORT "
write_conf inuse.conf <<EOF
services = (
  { name = "first"; listen = [ "127.0.0.2" ]; port = $PORT; builtin = "echo"; },
  { name = "echo"; listen = [ "127.0.0.3", "127.0.0.1", "127.0.0.4" ]; port = $PORT; builtin = "echo"; }
);
EOF
expect_bindfail "address in use" "127.0.0.1:$PORT" "Address already in use" -f
expect_bindfail "address in use, daemonizing" \
	"127.0.0.1:$PORT" "Address already in use" -p "$TESTDIR/acceptd.pid"
[ ! -e "$TESTDIR/acceptd.pid" ] || fail "a pidfile was left behind: $(cat "$TESTDIR/acceptd.pid")"
ok "no pidfile left behind"
kill "$occupier"
wait_for nothing_listening || hard_error "the occupying listener did not go away: $(listening)"
OTHERS=

write_conf unassigned.conf <<EOF
services = (
  { name = "echo"; listen = [ "127.0.0.1", "192.0.2.1", "127.0.0.2" ]; port = $PORT; builtin = "echo"; }
);
EOF
expect_bindfail "IPv4 address on no interface" \
	"192.0.2.1:$PORT" "Cannot assign requested address" -f

if [ "$HAVE_IPV6" = yes ]; then
	write_conf unassigned6.conf <<EOF
services = (
  { name = "echo"; listen = [ "::1", "[2001:db8::1]:7008" ]; port = $PORT; builtin = "echo"; }
);
EOF
	expect_bindfail "IPv6 address on no interface" \
		"[2001:db8::1]:7008" "Cannot assign requested address" -f
else
	note "no ::1 on lo: IPv6 case skipped"
fi
