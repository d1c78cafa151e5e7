#!/bin/bash
# SPDX-License-Identifier: MIT
# sd_notify (design §5) read from a test-owned NOTIFY_SOCKET, every datagram from the main
# pid. The first datagram is READY=1 with STATUS=services 3, sockets 6, connections active
# 0, total 0, and a connection made the moment READY=1 is seen succeeds on every one of the
# six listeners. STATUS= follows connections as they come and go, at most once a second,
# and ends on the final counts. SIGHUP: RELOADING=1, then READY=1 with the new STATUS=; a
# broken file: RELOADING=1, then READY=1 whose STATUS= says "reload failed". SIGTERM:
# STOPPING=1, the last datagram. No WATCHDOG=1 without WATCHDOG_USEC; with
# WATCHDOG_USEC=1000000, WATCHDOG=1 about every 0.5 s, none while the daemon is stopped
# (SIGSTOP), and again after SIGCONT.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
sandbox "$@"

ALLOW_LOG="MESSAGE_ID=$MSGID_RELOAD_FAILED |^acceptd\[[0-9]+\]: $TESTDIR/acceptd\.conf:[0-9]+: "

# sent_between FROM TO ERE: datagrams of this run matching ERE (on the message) that were
# sent from FROM to TO (microseconds since the epoch)
sent_between() {
	notify_times | awk -v from="$1" -v to="$2" -v re="$3" '
		{ t = $1; m = $0; sub(/^[0-9]+ [0-9]+ /, "", m) }
		t >= from && t <= to && m ~ re { n++ }
		END { print n + 0 }'
}

# last_status: the STATUS= text of the last datagram of this run that has one
last_status() {
	notify_lines | sed -n 's/^[^ ]* .*STATUS=//p' | tail -n 1
}

# status_is TEXT: the last STATUS= is TEXT (for wait_for)
status_is() {
	[ "$(last_status)" = "$1" ]
}

mkconf() { # the configuration of this test, 3 services on 6 sockets
	local v6=127.0.0.5
	[ "$HAVE_IPV6" = no ] || v6=::1
	cat <<EOF
services = (
  { name = "a"; listen = [ "127.0.0.1", "127.0.0.2", "$v6" ]; port = $PORT; builtin = "echo"; },
  { name = "b"; listen = [ "127.0.0.1", "127.0.0.3" ]; port = $((PORT + 1)); builtin = "echo"; },
  { name = "c"; listen = [ "0.0.0.0" ]; port = $((PORT + 2)); builtin = "echo"; }
);
EOF
}
write_conf < <(mkconf)
targets=("127.0.0.1:$PORT" "127.0.0.2:$PORT" "127.0.0.1:$((PORT + 1))" "127.0.0.3:$((PORT + 1))"
	"127.0.0.4:$((PORT + 2))")
if [ "$HAVE_IPV6" = yes ]; then
	targets+=("[::1]:$PORT")
else
	note "no ::1 on lo: an IPv4 address instead"
	targets+=("127.0.0.5:$PORT")
fi

# ---- READY=1 only once every listener accepts.
mark=$(wc -l <"$NOTIFY_LOG")
client_bg after-ready after-ready "$NOTIFY_LOG" "$mark" "${targets[@]}" --timeout 20
watcher=$BG_PID
start_daemon
rc=0
wait_for proc_gone "$watcher" || fail "the client waiting for READY=1 is still running"
wait "$watcher" || rc=$?
[ "$rc" = 0 ] || fail "a connection right after READY=1 failed: $(cat "$TESTDIR/after-ready.out")"
first=$(notify_lines | head -n 1)
[ "$first" = "$DAEMON_PID READY=1 STATUS=services 3, sockets 6, connections active 0, total 0" ] ||
	fail "the first datagram is not READY=1 with the start-up STATUS=: '$first'"
ok "first datagram: '${first#* }'; $(cat "$TESTDIR/after-ready.out")"

# ---- STATUS= while connections come and go: at most once a second, then the final counts.
wait_for -t 5 status_is "services 3, sockets 6, connections active 0, total 6" ||
	fail "STATUS= does not settle on 6 connections, 0 active: $(last_status)"
client_bg held hold 127.0.0.1 "$PORT" --count 3 --probe --ready "$TESTDIR/held.ready" --timeout 30
held=$BG_PID
wait_for test -e "$TESTDIR/held.ready" || fail "the held clients did not connect"
wait_for -t 5 status_is "services 3, sockets 6, connections active 3, total 9" ||
	fail "STATUS= does not show 3 active connections: $(last_status)"
out=$(client echo 127.0.0.1 "$((PORT + 1))" --size 10 --repeat 20 --timeout 10 2>&1) ||
	fail "20 short connections: $out"
kill "$held"
wait_for -t 5 status_is "services 3, sockets 6, connections active 0, total 29" ||
	fail "STATUS= does not end on 29 connections, 0 active: $(last_status)"
updates=$(notify_times | grep -c '^[0-9]* [0-9]* STATUS=')
[ "$updates" -ge 3 ] || fail "only $updates STATUS= updates while connections came and went"
gaps=$(notify_times | awk '/ (READY=1 )?STATUS=/ && !/RELOADING=1/ {
		if (p) printf "%d ", ($1 - p) / 1000; p = $1 }')
for g in $gaps; do
	[ "$g" -ge 950 ] || fail "two STATUS= updates $g ms apart (at most one a second): $gaps"
done
ok "$updates STATUS= updates, gaps (ms): $gaps; final: $(last_status)"

# ---- Reload: RELOADING=1, then READY=1 with STATUS=; a failed one says so.
# only_events N: this run's datagrams after the first N, without plain STATUS= updates
only_events() {
	notify_lines | tail -n "+$(($1 + 1))" | grep -v "^$DAEMON_PID STATUS="
}
n=$(notify_lines | wc -l)
reload_daemon
seq=$(only_events "$n")
[ "$(grep -c . <<<"$seq")" = 2 ] || fail "after SIGHUP, expected 2 datagrams: $seq"
[[ $(sed -n 1p <<<"$seq") == "$DAEMON_PID RELOADING=1"* ]] ||
	fail "after SIGHUP, the first datagram is not RELOADING=1: $seq"
! grep -q 'READY=1' <<<"$(sed -n 1p <<<"$seq")" || fail "READY=1 together with RELOADING=1: $seq"
[ "$(sed -n 2p <<<"$seq")" = \
	"$DAEMON_PID READY=1 STATUS=services 3, sockets 6, connections active 0, total 29" ] ||
	fail "after RELOADING=1, not READY=1 with the STATUS=: $seq"
ok "SIGHUP: $(tr '\n' '|' <<<"$seq")"

cp "$CONF" "$TESTDIR/good.conf" || hard_error "cannot copy $CONF"
printf 'services = (\n  { name = "a"; port = ; }\n);\n' >"$CONF"
n=$(notify_lines | wc -l)
reload_daemon
seq=$(only_events "$n")
[ "$(grep -c . <<<"$seq")" = 2 ] || fail "after SIGHUP (broken file), expected 2 datagrams: $seq"
[[ $(sed -n 1p <<<"$seq") == "$DAEMON_PID RELOADING=1"* ]] ||
	fail "after SIGHUP (broken file), the first datagram is not RELOADING=1: $seq"
[[ $(sed -n 2p <<<"$seq") == "$DAEMON_PID READY=1 STATUS=reload failed"* ]] ||
	fail "a failed reload does not end in READY=1 with STATUS=reload failed...: $seq"
out=$(client echo 127.0.0.1 "$PORT" --size 10 --timeout 10 2>&1) || fail "not serving after a failed reload: $out"
ok "SIGHUP with a broken file: $(tr '\n' '|' <<<"$seq")"
cp "$TESTDIR/good.conf" "$CONF" || hard_error "cannot restore $CONF"
reload_daemon
[[ $RELOAD_STATUS == "services 3, sockets 6, connections active "* ]] ||
	fail "the reload after the repair: STATUS=$RELOAD_STATUS"

stop_daemon
last=$(notify_lines | tail -n 1)
[[ $last == "$DAEMON_PID STOPPING=1"* ]] || fail "STOPPING=1 is not the last datagram: $last"
! notified WATCHDOG=1 || fail "WATCHDOG=1 sent although WATCHDOG_USEC is not set"
ok "SIGTERM: '${last#* }' last; no WATCHDOG=1 without WATCHDOG_USEC"

# ---- Watchdog: WATCHDOG_USEC=1000000, so WATCHDOG=1 every 0.5 s from the main loop.
ACCEPTD_WRAPPER="env WATCHDOG_USEC=1000000 ${ACCEPTD_WRAPPER:-}" start_daemon
from=$(now_us)
sleep 2.5 # a measurement window
to=$(now_us)
pings=$(sent_between "$from" "$to" '^WATCHDOG=1$')
if [ "$pings" -lt 3 ] || [ "$pings" -gt 8 ]; then
	fail "$pings WATCHDOG=1 in $(((to - from) / 1000)) ms, expected about 5 (one every 500 ms)"
fi
ok "$pings WATCHDOG=1 in $(((to - from) / 1000)) ms"

kill -STOP "$DAEMON_PID" || hard_error "cannot stop acceptd"
daemon_stopped() {
	[ "$(proc_state "$DAEMON_PID")" = T ]
}
wait_for daemon_stopped || hard_error "acceptd is not stopped"
from=$(now_us)
sleep 1.5 # a measurement window
to=$(now_us)
kill -CONT "$DAEMON_PID" || hard_error "cannot continue acceptd"
stopped=$(sent_between "$from" "$to" '^WATCHDOG=1$')
[ "$stopped" = 0 ] || fail "$stopped WATCHDOG=1 sent while the daemon was stopped"
resumed_after_2() {
	[ "$(sent_between "$to" 99999999999999999 '^WATCHDOG=1$')" -ge 2 ]
}
wait_for -t 5 resumed_after_2 || fail "WATCHDOG=1 did not resume after SIGCONT"
ok "no WATCHDOG=1 during 1.5 s stopped (SIGSTOP); pinging again after SIGCONT"
stop_daemon
