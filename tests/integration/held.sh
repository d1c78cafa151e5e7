#!/bin/bash
# SPDX-License-Identifier: MIT
# 5,000 connections held open at once (builtin echo, one child each): the load generator
# (bench/loadgen, hold mode) opens them, verifies each with a round trip and keeps them all.
# While they are held the daemon accepts and serves new connections, and a SIGHUP reload
# with connections in flight succeeds; every held connection still echoes afterwards. Then
# all are released: every child ends with exit 0 (a connection-ended entry each), none is
# left as a zombie, the parent has the descriptors it had before, and it still serves.
# Printed: the parent's RSS and PSS idle and holding, the children's total PSS (the sum of
# /proc/PID/smaps_rollup, which shares each page among the processes mapping it) and the
# memory per held connection. HELD_CONNECTIONS overrides the number (default 5,000; 500
# in an ASan build, where each fork costs several times more and the point is memory
# errors, not scale). Performance is printed, never asserted.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
sandbox "$@"

need_loadgen
ASAN=no
asan_build && ASAN=yes
if [ "$ASAN" = yes ]; then
	N=${HELD_CONNECTIONS:-500}
else
	N=${HELD_CONNECTIONS:-5000}
fi
[[ $N =~ ^[1-9][0-9]*$ ]] || hard_error "HELD_CONNECTIONS=$N is not a positive number"

# Limits: descriptors for the load generator (N sockets) and for this shell's children,
# processes for N children. Root may raise its own hard limits; a pids cgroup it may not.
nofile=$((N + 1024))
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$nofile" ]; then
	ulimit -Hn "$nofile" || skip "cannot raise RLIMIT_NOFILE to $nofile (hard limit $hard)"
fi
ulimit -Sn "$nofile" || hard_error "cannot raise the soft RLIMIT_NOFILE to $nofile"
ulimit -Su "$(ulimit -Hu)" || : # root is exempt from RLIMIT_NPROC anyway
# pids_limit: the lowest pids.max of our cgroup and its ancestors (v1 or v2), or "max"
pids_limit() {
	local line root rel lim=max m
	while IFS= read -r line; do
		case $line in
		*:pids:*) root=/sys/fs/cgroup/pids rel=${line#*:pids:} ;;
		0::*)
			root=/sys/fs/cgroup/unified
			[ -d "$root" ] || root=/sys/fs/cgroup
			rel=${line#0::}
			;;
		*) continue ;;
		esac
		while :; do
			m=$(cat "$root$rel/pids.max" 2>/dev/null) || m=max
			if [ "$m" != max ] && { [ "$lim" = max ] || [ "$m" -lt "$lim" ]; }; then
				lim=$m
			fi
			if [ -z "$rel" ] || [ "$rel" = / ]; then
				break
			fi
			rel=${rel%/*}
		done
	done </proc/self/cgroup
	echo "$lim"
}
lim=$(pids_limit)
[ "$lim" = max ] || [ "$lim" -ge $((N + 500)) ] ||
	skip "the pids cgroup allows $lim tasks, $((N + 500)) are needed"
pid_max=$(cat /proc/sys/kernel/pid_max)
[ "$pid_max" -ge $((N + 1000)) ] || skip "kernel.pid_max is $pid_max, too low for $N children"
# Memory: about 60 KiB per child (far more under ASan), with a wide margin.
avail=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo)
per_child=256
[ "$ASAN" = yes ] && per_child=512
need=$((N * per_child))
[ "${avail:-0}" -ge "$need" ] || skip "$((avail / 1024)) MiB available, $N children need about $((need / 1024)) MiB"

write_conf <<EOF
daemon = { max_connections = $((N + 1000)); };
services = ( { name = "echo"; listen = [ "127.0.0.1" ]; port = $PORT; backlog = 1024; builtin = "echo"; } );
EOF
start_daemon

# kib FILE FIELD: a "Field:  N kB" line's number
kib() {
	awk -v f="$2:" '$1 == f { print $2; exit }' "$1"
}
# children_pss: "COUNT KIB": the daemon's children and the sum of their PSS
children_pss() {
	local -a files=()
	local p
	for p in $(children_of "$DAEMON_PID" | awk '{ print $1 }'); do
		files+=("/proc/$p/smaps_rollup")
	done
	if [ "${#files[@]}" = 0 ]; then
		echo "0 0"
		return
	fi
	awk '/^Pss:/ { s += $2; n++ } END { print n + 0, s + 0 }' "${files[@]}" 2>/dev/null
}
fds() { # the parent's descriptors: "NUMBER KIND" a line
	local f t
	for f in "/proc/$1/fd/"*; do
		t=$(readlink "$f") || continue
		echo "${f##*/} ${t%%:\[*}"
	done | sort -n
}
nchildren() {
	children_of "$DAEMON_PID" | grep -c . || :
}
no_children() {
	[ "$(nchildren)" = 0 ]
}
# served NAME COUNT CONC: COUNT new echo connections, every one correct
served() {
	local out
	out=$("$LOADGEN" -e -m echo -c "$3" -n "$2" -p 1000 -t 60000 -l "$1" 127.0.0.1 "$PORT" 2>&1) ||
		fail "new connections ($1): $out"
	note "$(grep -v '^loadgen ' <<<"$out")"
}

served before 20 4
wait_for -t 30 no_children || fail "children left after the first connections"
rss0=$(kib "/proc/$DAEMON_PID/status" VmRSS)
pss0=$(kib "/proc/$DAEMON_PID/smaps_rollup" Pss)
fds0=$(fds "$DAEMON_PID")
note "idle parent: RSS $rss0 KiB, PSS $pss0 KiB, $(grep -c . <<<"$fds0") descriptors"

# Open and verify N connections, and keep them.
READY=$TESTDIR/held.ready
t0=$(now_us)
"$LOADGEN" -e -m hold -c "$N" -d 3600 -p 64 -t 120000 -r "$READY" -l held 127.0.0.1 "$PORT" \
	>"$TESTDIR/hold.out" 2>"$TESTDIR/hold.err" &
LG=$!
PIDS+=("$LG")
held_or_gone() {
	[ -s "$READY" ] || proc_gone "$LG"
}
wait_for -t 600 -i 0.5 held_or_gone ||
	fail "the load generator did not get $N connections held within 600 s: $(cat "$TESTDIR/hold.err")"
[ -s "$READY" ] || fail "the load generator ended early: $(cat "$TESTDIR/hold.out" "$TESTDIR/hold.err")"
t1=$(now_us)
held=$(cat "$READY")
[ "$held" = "$N" ] || fail "only $held of $N connections held and verified: $(cat "$TESTDIR/hold.err")"
opened_ms=$(((t1 - t0) / 1000))
ok "$N connections open and verified by a round trip each, in $((opened_ms / 1000)).$((opened_ms % 1000 / 100)) s ($((N * 1000 / (opened_ms + 1))) connections/s)"
n=$(nchildren)
[ "$n" = "$N" ] || fail "$n children for $N held connections"
zombies=$(zombie_children "$DAEMON_PID")
[ -z "$zombies" ] || fail "zombie children while holding: $(wc -w <<<"$zombies")"
ok "the daemon has $n children, none a zombie"

# Memory while holding (after a moment, so the last children have settled).
nap 1
rss1=$(kib "/proc/$DAEMON_PID/status" VmRSS)
pss1=$(kib "/proc/$DAEMON_PID/smaps_rollup" Pss)
read -r nc cpss < <(children_pss)
[ "$nc" = "$N" ] || fail "read the memory of $nc children, expected $N"
tree0=$pss0 tree1=$((pss1 + cpss))
per=$(awk -v a="$tree0" -v b="$tree1" -v n="$N" 'BEGIN { printf "%.1f", (b - a) / n }')
note "parent holding $N: RSS $rss1 KiB (+$((rss1 - rss0))), PSS $pss1 KiB (+$((pss1 - pss0)))"
note "children: $nc, PSS $cpss KiB in total, $(awk -v s="$cpss" -v n="$nc" 'BEGIN { printf "%.1f", s / n }') KiB each"
note "per held connection (parent and children, PSS, less the idle parent): $per KiB"
note "ASan build: $ASAN"

# Served while holding, and a reload with connections in flight.
served holding 200 8
"$LOADGEN" -e -m echo -c 8 -n 400 -p 1000 -t 60000 -l during-reload 127.0.0.1 "$PORT" \
	>"$TESTDIR/during.out" 2>&1 &
during=$!
PIDS+=("$during")
RELOAD_TIMEOUT=60 reload_daemon
case $RELOAD_STATUS in
services\ *) ;;
*) fail "the reload failed: STATUS=$RELOAD_STATUS" ;;
esac
[ "$(count_events "$MSGID_RELOADED")" = 1 ] || fail "no reloaded entry in the log"
rc=0
wait "$during" || rc=$?
[ "$rc" = 0 ] || fail "connections during the reload: exit $rc: $(cat "$TESTDIR/during.out")"
ok "SIGHUP while holding $N: reloaded ($RELOAD_STATUS); 400 connections made across it all echoed"
served after-reload 200 8
rm -f "$READY"
kill -USR2 "$LG" || fail "the load generator is gone: $(cat "$TESTDIR/hold.err")"
wait_for -t 300 -i 0.2 held_or_gone ||
	fail "the held connections were not verified again: $(cat "$TESTDIR/hold.err")"
[ -s "$READY" ] || fail "the load generator ended early: $(cat "$TESTDIR/hold.out" "$TESTDIR/hold.err")"
held=$(cat "$READY")
[ "$held" = "$N" ] || fail "after the reload only $held of $N held connections still echo"
ok "after the reload all $N held connections still echo"

# Release them all.
t2=$(now_us)
kill -USR1 "$LG"
rc=0
wait "$LG" || rc=$?
[ "$rc" = 0 ] || fail "load generator: exit $rc: $(cat "$TESTDIR/hold.out" "$TESTDIR/hold.err")"
grep -q ' errors=0 ' "$TESTDIR/hold.out" || fail "held connections failed: $(cat "$TESTDIR/hold.out")"
wait_for -t 300 -i 0.2 no_children || fail "$(nchildren) children left 300 s after the release"
t3=$(now_us)
zombies=$(zombie_children "$DAEMON_PID")
[ -z "$zombies" ] || fail "zombie children after the release: $zombies"
release_ms=$(((t3 - t2) / 1000))
ok "all $N released: every child ended in $((release_ms / 1000)).$((release_ms % 1000 / 100)) s, no zombie"
total=$((N + 20 + 200 + 400 + 200))
wait_for -t 60 at_least "$total" "$MSGID_CONN_ENDED" ||
	fail "$(count_events "$MSGID_CONN_ENDED") connection-ended entries, expected $total"
n=$(count_events "$MSGID_CONN_ENDED" EXIT_STATUS=0)
[ "$n" = "$total" ] || fail "$n of $total connections ended with EXIT_STATUS=0"
ok "$total connection-ended entries, all EXIT_STATUS=0"

fds1=$(fds "$DAEMON_PID")
[ "$fds1" = "$fds0" ] || fail "the parent's descriptors changed: before $(tr '\n' ' ' <<<"$fds0"), after $(tr '\n' ' ' <<<"$fds1")"
rss2=$(kib "/proc/$DAEMON_PID/status" VmRSS)
pss2=$(kib "/proc/$DAEMON_PID/smaps_rollup" Pss)
note "parent after the release: RSS $rss2 KiB, PSS $pss2 KiB, $(grep -c . <<<"$fds1") descriptors (as before)"
served after-release 100 8
wait_for -t 30 no_children || fail "children left after the last connections"
ok "the daemon still serves"
stop_daemon
