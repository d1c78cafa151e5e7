#!/bin/bash
# SPDX-License-Identifier: MIT
# The other RFC built-ins, over IPv4 and IPv6, each checked by the test itself: discard
# (RFC 863: 1 MiB in, nothing back, BYTES_IN counted), chargen (RFC 864: 10 000 lines, every
# byte against the pattern computed here), daytime (RFC 867: one CRLF line, compared with our
# own UTC clock) and time (RFC 868: 4 bytes, compared with our clock). chargen under flow
# control: a client that stops reading costs no CPU while others are served, and its child
# ends when it closes. idle_timeout: a silent echo client and a chargen client that never
# reads are cut off after it (END_REASON=idle-timeout); clients that keep talking or reading
# are not.
# shellcheck disable=SC2015 # A && B || fail: either false fails
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
sandbox "$@"

probe() {
	"$PYTHON" "$LIBDIR/probe.py" "$@"
}

# cpu_ticks PID: user + system clock ticks the process has used so far
cpu_ticks() {
	local u s
	u=$(proc_field "$1" 14) && s=$(proc_field "$1" 15) || return 1
	echo $((u + s))
}

# only_child PID: the single child of PID (fails unless there is exactly one)
only_child() {
	local c
	c=$(children_of "$1" | awk '{ print $1 }')
	[ -n "$c" ] && [ "$(wc -l <<<"$c")" = 1 ] && echo "$c"
}

# secs_at_least S OUT: "closed after X s" in OUT with X >= S
secs_at_least() {
	awk -v min="$1" '/^closed after / { ok = ($3 + 0 >= min) } END { exit !ok }' <<<"$2"
}

addrs=(127.0.0.1)
listen='"127.0.0.1"'
if [ "$HAVE_IPV6" = yes ]; then
	addrs+=(::1)
	listen="$listen, \"::1\""
else
	note "no ::1 on lo: IPv6 parts skipped"
fi

IDLE=2
write_conf <<EOF
services = (
  { name = "discard"; listen = [ $listen ]; port = 7009; builtin = "discard"; },
  { name = "chargen"; listen = [ $listen ]; port = 7019; builtin = "chargen"; },
  { name = "daytime"; listen = [ $listen ]; port = 7013; builtin = "daytime"; },
  { name = "time"; listen = [ $listen ]; port = 7037; builtin = "time"; },
  { name = "echo-idle"; listen = [ "127.0.0.1" ]; port = 7007; builtin = "echo";
    idle_timeout = $IDLE; },
  { name = "chargen-idle"; listen = [ "127.0.0.1" ]; port = 7020; builtin = "chargen";
    idle_timeout = $IDLE; },
  { name = "discard-idle"; listen = [ "127.0.0.1" ]; port = 7010; builtin = "discard";
    idle_timeout = $IDLE; }
);
EOF
start_daemon

# --- discard (RFC 863)
for a in "${addrs[@]}"; do
	out=$(client echo "$a" 7009 --size 1048576 --random --discard --timeout 60 2>&1) ||
		fail "discard over $a: $out"
	ok "discard over $a: 1 MiB sent, nothing came back, EOF after our half-close"
done
wait_for at_least "${#addrs[@]}" "$MSGID_CONN_ENDED" ACCEPTD_SERVICE=discard ||
	fail "the discard connections were not logged as ended"
n=$(count_events "$MSGID_CONN_ENDED" ACCEPTD_SERVICE=discard BYTES_IN=1048576 BYTES_OUT=0 \
	EXIT_STATUS=0)
[ "$n" = "${#addrs[@]}" ] ||
	fail "discard: $n connection-ended entries with BYTES_IN=1048576 BYTES_OUT=0 EXIT_STATUS=0, want ${#addrs[@]}:
$(events "$MSGID_CONN_ENDED" | with_fields ACCEPTD_SERVICE=discard)"
ok "discard: every byte counted in (BYTES_IN=1048576), none out"

# --- chargen (RFC 864)
for a in "${addrs[@]}"; do
	out=$(probe chargen "$a" 7019 --lines 10000 --timeout 60 2>&1) || fail "chargen over $a: $out"
	ok "chargen over $a: 10000 lines, every byte as RFC 864 says ($out)"
done
wait_for at_least "${#addrs[@]}" "$MSGID_CONN_ENDED" ACCEPTD_SERVICE=chargen ||
	fail "the chargen connections did not end after their clients closed"
while read -r line; do
	bout=$(field BYTES_OUT <<<"$line")
	[ "${bout:-0}" -ge 740000 ] || fail "chargen: BYTES_OUT=$bout, want at least 740000: $line"
	[ "$(field BYTES_IN <<<"$line")" = 15 ] ||
		fail "chargen: the 15 bytes of input were not read and counted: $line"
	[ "$(field EXIT_STATUS <<<"$line")" = 0 ] || fail "chargen: $line"
	[ -z "$(field END_REASON <<<"$line")" ] || fail "chargen: an END_REASON: $line"
done < <(events "$MSGID_CONN_ENDED" | with_fields ACCEPTD_SERVICE=chargen)
ok "chargen children ended with their clients: EXIT_STATUS=0, input read and dropped"

# Flow control: a client that stops reading. Its child blocks in send() (no CPU), the
# daemon serves others meanwhile, and the child ends once the client closes.
client_bg stall hold 127.0.0.1 7019 --ready "$TESTDIR/stall.ready" --timeout 300
stall=$BG_PID
wait_for test -e "$TESTDIR/stall.ready" || fail "the stalling chargen client did not connect"
wait_for only_child "$DAEMON_PID" >/dev/null || fail "no child for the stalled chargen client"
child=$(only_child "$DAEMON_PID")
# Buffers full: the child sleeps in send() (state S) and stays there.
child_sleeps() { [ "$(proc_state "$child")" = S ]; }
wait_for -t 20 child_sleeps || fail "chargen child $child never blocked: state $(proc_state "$child")"
t1=$(cpu_ticks "$child") || fail "chargen child $child vanished"
nap 1 # a bounded window: a spinning child would burn ~100 ticks in it
out=$(probe chargen 127.0.0.1 7019 --lines 500 --timeout 30 2>&1) ||
	fail "chargen while another client stalls: $out"
t2=$(cpu_ticks "$child") || fail "chargen child $child vanished while its client stalled"
[ $((t2 - t1)) -le 10 ] ||
	fail "the stalled chargen child used $((t2 - t1)) clock ticks in 1 s: it does not wait for the client"
proc_alive "$stall" || fail "the stalling client was disconnected: $(cat "$TESTDIR/stall.out")"
ok "a chargen client that stops reading: its child sleeps in send() ($((t2 - t1)) ticks in 1 s), others are served"
kill -TERM "$stall"
wait_for proc_gone "$child" || fail "the chargen child $child did not end after its client closed"
wait_for at_least 4 "$MSGID_CONN_ENDED" ACCEPTD_SERVICE=chargen ||
	fail "the stalled chargen connection was not logged as ended"
line=$(events "$MSGID_CONN_ENDED" | with_fields ACCEPTD_SERVICE=chargen | tail -n 1)
bout=$(field BYTES_OUT <<<"$line")
[ "$(field EXIT_STATUS <<<"$line")" = 0 ] && [ "${bout:-0}" -lt $((64 << 20)) ] ||
	fail "the stalled chargen connection: $line"
ok "the stalled client closed: its child ended (EXIT_STATUS=0) after $bout bytes, paced by TCP"

# --- daytime (RFC 867)
for a in "${addrs[@]}"; do
	out=$(probe daytime "$a" 7013 --skew 5 --timeout 10 2>&1) || fail "daytime over $a: $out"
	ok "daytime over $a: ${out#ok }"
	len=$(($(sed -n 's/^ok \(.*\) skew=.*/\1/p' <<<"$out" | wc -c) + 1)) # + CR (wc counts the LF)
done
wait_for at_least "${#addrs[@]}" "$MSGID_CONN_ENDED" ACCEPTD_SERVICE=daytime ||
	fail "the daytime connections were not logged as ended"
n=$(count_events "$MSGID_CONN_ENDED" ACCEPTD_SERVICE=daytime BYTES_IN=0 BYTES_OUT="$len" \
	EXIT_STATUS=0)
[ "$n" -ge 1 ] || fail "daytime: no connection-ended entry with BYTES_OUT=$len:
$(events "$MSGID_CONN_ENDED" | with_fields ACCEPTD_SERVICE=daytime)"
ok "daytime: one line, then the server closed (BYTES_OUT=$len)"

# --- time (RFC 868)
for a in "${addrs[@]}"; do
	out=$(probe time "$a" 7037 --skew 5 --timeout 10 2>&1) || fail "time over $a: $out"
	ok "time over $a: 4 bytes, network order, seconds since 1900 ($out)"
done
wait_for at_least "${#addrs[@]}" "$MSGID_CONN_ENDED" ACCEPTD_SERVICE=time ||
	fail "the time connections were not logged as ended"
n=$(count_events "$MSGID_CONN_ENDED" ACCEPTD_SERVICE=time BYTES_IN=0 BYTES_OUT=4 EXIT_STATUS=0)
[ "$n" = "${#addrs[@]}" ] || fail "time: $n entries with BYTES_OUT=4, want ${#addrs[@]}"
ok "time: BYTES_OUT=4 each"

# --- idle_timeout
# idle_ended SERVICE: the connection-ended entries of SERVICE that say idle-timeout
idle_ended() {
	events "$MSGID_CONN_ENDED" | with_fields ACCEPTD_SERVICE="$1" END_REASON=idle-timeout
}

for svc in echo-idle:7007 discard-idle:7010 chargen-idle:7020; do
	name=${svc%:*}
	port=${svc#*:}
	# echo, discard: a client that never sends; chargen: one that never reads (the server
	# fills the buffers, then waits for room).
	"$PYTHON" "$LIBDIR/probe.py" silent 127.0.0.1 "$port" --timeout 60 \
		>"$TESTDIR/$name.out" 2>&1 </dev/null &
	idle=$!
	PIDS+=("$idle")
	wait_for -t 60 at_least 1 "$MSGID_CONN_ENDED" ACCEPTD_SERVICE="$name" ||
		fail "$name: an idle connection was not ended within 60 s"
	line=$(idle_ended "$name")
	[ -n "$line" ] || fail "$name: no END_REASON=idle-timeout in: $(events "$MSGID_CONN_ENDED" |
		with_fields ACCEPTD_SERVICE="$name")"
	grep -Eq " ended: idle-timeout after [0-9]+\.[0-9]{3} s \| " <<<"$line" ||
		fail "$name: the message does not say idle-timeout: $line"
	[ "$(field EXIT_STATUS <<<"$line")" = 0 ] || fail "$name: $line"
	usec=$(field DURATION_USEC <<<"$line")
	[ "${usec:-0}" -ge $((IDLE * 1000000 - 100000)) ] && [ "$usec" -le 30000000 ] ||
		fail "$name: ended after $usec usec, idle_timeout is $IDLE s: $line"
	if [ "$name" = chargen-idle ]; then
		# Its FIN waits behind the data the client never reads: only the server side ends.
		kill -TERM "$idle"
		ok "$name: a client that never reads was cut off after $usec usec, END_REASON=idle-timeout"
		continue
	fi
	wait_for proc_gone "$idle" || fail "$name: the client did not see the connection close"
	rc=0
	wait "$idle" || rc=$?
	out=$(cat "$TESTDIR/$name.out")
	[ "$rc" = 0 ] && secs_at_least 1.9 "$out" || fail "$name: $out"
	ok "$name: a silent client was cut off ($out), END_REASON=idle-timeout"
done

# Clients that keep going for three times idle_timeout are left alone.
out=$(probe active 127.0.0.1 7007 --seconds $((3 * IDLE)) --every 0.5 --timeout 10 2>&1) ||
	fail "an active echo client was cut off: $out"
ok "an echo client talking every 0.5 s for $((3 * IDLE)) s is not cut off ($out)"
out=$(probe slowread 127.0.0.1 7020 --seconds $((3 * IDLE)) --chunk 65536 --every 0.05 \
	--timeout 10 2>&1) || fail "a chargen client reading steadily was cut off: $out"
ok "a chargen client reading steadily for $((3 * IDLE)) s is not cut off ($out)"
wait_for at_least 2 "$MSGID_CONN_ENDED" ACCEPTD_SERVICE=echo-idle ||
	fail "the active echo connection was not logged as ended"
[ "$(idle_ended echo-idle | grep -c .)" = 1 ] ||
	fail "the active echo client is logged as idle: $(idle_ended echo-idle)"
wait_for at_least 2 "$MSGID_CONN_ENDED" ACCEPTD_SERVICE=chargen-idle ||
	fail "the steady chargen connection was not logged as ended"
[ "$(idle_ended chargen-idle | grep -c .)" = 1 ] ||
	fail "the steady chargen client is logged as idle: $(idle_ended chargen-idle)"
ok "neither is logged as idle-timeout"

# A slow but steady reader (32 KiB every 0.2 s) is not idle either, though the multi-MB
# buffers between us and it take seconds to drain. (Progress shows as the client's ACKs
# shrink our send queue; on loopback, with its 64 KiB MSS, the client's window reopens
# only once it has read about 64 KiB, so a reader slower than that per idle_timeout
# looks idle here. On a real network the MSS is ~1460 bytes.)
out=$(probe slowread 127.0.0.1 7020 --seconds $((5 * IDLE)) --chunk 32768 --every 0.2 \
	--timeout 10 2>&1) || fail "a slow chargen reader was cut off: $out"
wait_for at_least 3 "$MSGID_CONN_ENDED" ACCEPTD_SERVICE=chargen-idle ||
	fail "the slow chargen connection was not logged as ended"
[ "$(idle_ended chargen-idle | grep -c .)" = 1 ] ||
	fail "a chargen client reading 32 KiB every 0.2 s for $((5 * IDLE)) s was cut off as idle: $(
		idle_ended chargen-idle | tail -n 1)"
ok "a chargen client reading 32 KiB every 0.2 s for $((5 * IDLE)) s is not cut off ($out)"

wait_for no_zombie_children || fail "zombie children: $(zombie_children "$DAEMON_PID")"
stop_daemon
