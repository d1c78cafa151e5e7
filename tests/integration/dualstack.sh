#!/bin/bash
# SPDX-License-Identifier: MIT
# "0.0.0.0" and "::" share one port (the IPv6 socket is IPV6_V6ONLY); both answer, and each
# peer is logged with its own family's address: REMOTE_ADDR=127.0.0.1, never ::ffff:127.0.0.1.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
sandbox "$@"

[ "$HAVE_IPV6" = yes ] || skip "no ::1 on lo: dual stack needs IPv6"

write_conf <<EOF
services = ( { name = "echo"; listen = [ "0.0.0.0", "::" ]; port = $PORT; builtin = "echo"; } );
EOF
start_daemon

# ss prints a dual-stack (v6only=0) IPv6 wildcard as "*:port", a v6only one as "[::]:port".
actual=$(listening | tr '\n' ' ')
[ "$actual" = "0.0.0.0:$PORT [::]:$PORT " ] ||
	fail "expected 0.0.0.0:$PORT and [::]:$PORT (v6only) listening, got: $actual"
ok "0.0.0.0:$PORT and [::]:$PORT (IPV6_V6ONLY) listen side by side"

while read -r src dst; do
	out=$(client echo "$dst" "$PORT" --bind "$src" --size 100 --timeout 10 </dev/null) ||
		fail "echo from $src to $dst: $out"
	lport=$(echo "$out" | sed -n 's/.* lport=\([0-9]*\).*/\1/p')
	wait_for at_least 1 "$MSGID_CONN_ENDED" REMOTE_ADDR="$src" REMOTE_PORT="$lport" \
		LOCAL_ADDR="$dst" LOCAL_PORT="$PORT" ||
		fail "connection from $src port $lport not logged as ended with REMOTE_ADDR=$src"
	[ "$(count_events "$MSGID_CONN_ACCEPTED" REMOTE_ADDR="$src" REMOTE_PORT="$lport" \
		LOCAL_ADDR="$dst")" = 1 ] ||
		fail "connection from $src port $lport not logged as accepted with REMOTE_ADDR=$src"
	ok "client $src -> $dst answered, logged with REMOTE_ADDR=$src LOCAL_ADDR=$dst"
done <<EOF
127.0.0.1 127.0.0.1
127.0.0.2 127.0.0.1
::1 ::1
EOF
if grep -q 'ffff:' "$DAEMON_LOG"; then
	fail "IPv4-mapped addresses in the log: $(grep 'ffff:' "$DAEMON_LOG")"
fi
ok "no IPv4-mapped address anywhere in the log"

stop_daemon
