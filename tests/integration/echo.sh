#!/bin/bash
# SPDX-License-Identifier: MIT
# RFC 862 echo over IPv4 and IPv6: a short line, an empty exchange, and 1 MiB of random
# binary data sent while reading, half-closed, read to EOF and compared byte for byte.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
sandbox "$@"

addrs=(127.0.0.1)
listen='"127.0.0.1"'
if [ "$HAVE_IPV6" = yes ]; then
	addrs+=(::1)
	listen="$listen, \"::1\""
else
	note "no ::1 on lo: IPv6 parts skipped"
fi

write_conf <<EOF
services = (
  { name = "echo"; listen = [ $listen ]; port = $PORT; builtin = "echo"; }
);
EOF
start_daemon

n=0
for a in "${addrs[@]}"; do
	out=$(client echo "$a" "$PORT" --data $'hello, echo\r\n' --timeout 10) ||
		fail "short line over $a: $out"
	ok "short line echoed over $a"
	out=$(client echo "$a" "$PORT" --size 0 --timeout 10) ||
		fail "empty exchange over $a: $out"
	ok "immediate half-close over $a: EOF, nothing echoed"
	out=$(client echo "$a" "$PORT" --size 1048576 --random --timeout 60) ||
		fail "1 MiB random payload over $a: $out"
	ok "1 MiB random binary payload echoed byte for byte over $a"
	n=$((n + 3))
done

# Every connection ends with its log entry, counted in bytes, and leaves no zombie.
wait_for at_least "$n" "$MSGID_CONN_ENDED" ||
	fail "expected $n connection-ended entries, got $(count_events "$MSGID_CONN_ENDED")"
[ "$(count_events "$MSGID_CONN_ENDED" BYTES_IN=1048576 BYTES_OUT=1048576)" = "${#addrs[@]}" ] ||
	fail "no connection-ended entry with BYTES_IN=BYTES_OUT=1048576 per address"
[ "$(count_events "$MSGID_CONN_ENDED" BYTES_IN=0 BYTES_OUT=0 EXIT_STATUS=0)" = "${#addrs[@]}" ] ||
	fail "the empty exchanges are not logged with BYTES_IN=BYTES_OUT=0, EXIT_STATUS=0"
wait_for no_zombie_children || fail "zombie children: $(zombie_children "$DAEMON_PID")"
ok "$n connections logged as ended with their byte counts, no zombies"

stop_daemon
