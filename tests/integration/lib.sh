# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034,SC2119,SC2120 # the variables set here are for the tests
#
# Shared vocabulary of the integration tests (sourced by tests/integration/*.sh).
#
# Each test calls `sandbox` first. It re-executes the script inside private
# network, mount and pid namespaces (TESTING.md (f)): only loopback, a private
# /etc/hosts, resolv.conf (a nameserver nobody answers for, so a lookup fails
# at once) and nsswitch.conf, a tmpfs over /run (so no journald socket unless
# the test starts its own: `start_journald`), and a fake NOTIFY_SOCKET reader.
# The test's shell is pid 1 of its namespace: whatever it leaves running dies
# with it. Fixed ports are fine, every test has its own network.
#
# Exit codes (automake): 0 pass, 1 fail, 77 skip, 99 harness error.

set -u

LIBDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TEST_NAME=$(basename "$0" .sh)
PYTHON=${PYTHON:-python3}
PORT=7007

# MESSAGE_IDs: the public interface (src/log.h); a change must fail a test.
MSGID_STARTED=a5da346f1dd24f4fb877a3ff704ed230
MSGID_READY=c4904366355a4ad0bdeaf5f480d15a75
MSGID_RELOADED=f631be6fa3b24e038cd3d8428ef84b27
MSGID_RELOAD_FAILED=19e5984a7e824a7883a331604c8b27a6
MSGID_CONN_ACCEPTED=c571f65a45a440ad923e31b0447b0671
MSGID_CONN_ENDED=a346225a21cc43428f213d04c06d8124
MSGID_STOPPING=c048d7dc61e44435921aa4a6804eec03
MSGID_ACCEPT_FAILED=ef2e8492a00140f185afed58c8299dfe

PIDS=()        # everything the test started, killed by the EXIT trap
RUN=0          # number of start_daemon calls
DAEMON_PID=
DAEMON_LOG=
NOTIFY_MARK=0  # notify.log lines before the current daemon run

skip() {
	echo "SKIP: $*"
	exit 77
}

fail() {
	echo "FAIL: $*"
	dump_logs
	exit 1
}

hard_error() {
	echo "ERROR: $*"
	dump_logs
	exit 99
}

ok() {
	echo "ok - $*"
}

note() {
	echo "# $*"
}

dump_logs() {
	local f
	[ -n "${TESTDIR:-}" ] && [ -d "$TESTDIR" ] || return 0
	for f in "$TESTDIR"/*.log "$TESTDIR"/*.out "$TESTDIR"/*.err; do
		[ -s "$f" ] || continue
		echo "---- ${f#"$TESTDIR"/} (last 40 lines)"
		tail -n 40 "$f"
	done
	echo "----"
}

# Microseconds since the epoch (EPOCHREALTIME uses the locale's decimal point).
now_us() {
	local t=$EPOCHREALTIME
	echo "${t//[.,]/}"
}

# wait_for [-t SECONDS] [-i INTERVAL] CMD...: poll CMD every INTERVAL (0.05) seconds until it
# succeeds; 1 after SECONDS (10). The loop itself forks nothing, so on a loaded machine it
# keeps pace with what it waits for.
wait_for() {
	local t=10 i=0.05 end now
	while :; do
		case $1 in
		-t) t=$2 ;;
		-i) i=$2 ;;
		*) break ;;
		esac
		shift 2
	done
	now=${EPOCHREALTIME//[.,]/}
	end=$((now + t * 1000000))
	until "$@"; do
		now=${EPOCHREALTIME//[.,]/}
		[ "$now" -lt "$end" ] || return 1
		nap "$i"
	done
}

# nap SECONDS: sleep, without a fork once sandbox made $NAP_FIFO (a read that times out on a
# FIFO nobody writes to).
nap() {
	if [ -p "${NAP_FIFO:-}" ]; then
		read -r -t "$1" _ <>"$NAP_FIFO" || :
	else
		sleep "$1"
	fi
}

# Run the test inside fresh namespaces; sets up the private files there.
# Call as `sandbox "$@"` before anything else; SANDBOX_HOSTS adds lines to /etc/hosts.
sandbox() {
	if [ "${ACCEPTD_SANDBOX:-}" != "$TEST_NAME" ] || [ "$$" != 1 ]; then
		local err
		[ "$(id -u)" = 0 ] || skip "needs root for mount, network and pid namespaces"
		command -v unshare >/dev/null || skip "unshare missing (util-linux)"
		err=$(unshare --net --mount --pid --fork --mount-proc true 2>&1) ||
			skip "unshare refused: $err"
		[ -n "${BUILDDIR:-}" ] || hard_error "BUILDDIR is not set (run through make check)"
		[ -x "$BUILDDIR/src/acceptd" ] || hard_error "no binary at $BUILDDIR/src/acceptd"
		# The interpreter itself, not a wrapper such as a pyenv shim (slow when run in parallel).
		PYTHON=$("$PYTHON" -c 'import sys; print(sys.executable)') ||
			hard_error "no working python3"
		export ACCEPTD_SANDBOX=$TEST_NAME BUILDDIR PYTHON
		export top_srcdir=${top_srcdir:-$(cd "$LIBDIR/../.." && pwd)}
		exec unshare --net --mount --pid --fork --kill-child=SIGTERM --mount-proc \
			--propagation private -- bash "$0" "$@"
	fi

	ACCEPTD=$BUILDDIR/src/acceptd
	TESTDIR=$(mktemp -d "/tmp/acc-$TEST_NAME.XXXXXX") || hard_error "mktemp failed"
	chmod 755 "$TESTDIR"   # an unprivileged daemon must read its config
	export TESTDIR
	NAP_FIFO=$TESTDIR/nap.fifo
	mkfifo -m 600 "$NAP_FIFO" || hard_error "mkfifo failed"
	trap cleanup EXIT
	trap 'exit 1' INT TERM HUP

	ip link set lo up || hard_error "cannot bring lo up"
	HAVE_IPV6=no
	if wait_for -t 2 has_ipv6_loopback; then
		HAVE_IPV6=yes
	fi

	# No journald in here unless the test starts one; nothing else of the host's /run either.
	mount -t tmpfs -o mode=0755 tmpfs /run || hard_error "cannot mount a tmpfs on /run"
	mkdir -p /run/systemd/journal

	printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n%s\n' \
		"${SANDBOX_HOSTS:-}" >"$TESTDIR/hosts"
	printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$TESTDIR/resolv.conf"
	if [ -f /etc/nsswitch.conf ]; then
		sed -E '/^hosts:/d' /etc/nsswitch.conf >"$TESTDIR/nsswitch.conf"
	else
		printf 'passwd: files\ngroup: files\nshadow: files\n' >"$TESTDIR/nsswitch.conf"
	fi
	echo 'hosts: files dns' >>"$TESTDIR/nsswitch.conf"
	chmod 644 "$TESTDIR/hosts" "$TESTDIR/resolv.conf" "$TESTDIR/nsswitch.conf"
	private_file /etc/hosts "$TESTDIR/hosts"
	private_file /etc/resolv.conf "$TESTDIR/resolv.conf"
	private_file /etc/nsswitch.conf "$TESTDIR/nsswitch.conf"

	NOTIFY_SOCK=$TESTDIR/notify.sock
	NOTIFY_LOG=$TESTDIR/notify.log
	NOTIFY_TIMES=$TESTDIR/notify.times  # the same lines, each prefixed by its send time (usec)
	: >"$NOTIFY_LOG"
	: >"$NOTIFY_TIMES"
	"$PYTHON" "$LIBDIR/notify.py" "$NOTIFY_SOCK" "$NOTIFY_LOG" "$NOTIFY_TIMES" \
		2>"$TESTDIR/notify.err" &
	PIDS+=("$!")
	wait_for -t 20 test -S "$NOTIFY_SOCK" || hard_error "notify.py did not bind $NOTIFY_SOCK"
}

has_ipv6_loopback() {
	ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/128'
}

# private_file DEST SRC: make SRC appear as DEST inside the namespace (never edit the host's).
private_file() {
	local dest=$1 src=$2 target
	target=$(readlink -f "$dest")
	if [ -e "$target" ]; then
		mount --bind "$src" "$target" || hard_error "cannot bind-mount $src on $target"
	elif [ "${target#/run/}" != "$target" ]; then
		mkdir -p "$(dirname "$target")" || hard_error "cannot create $target"
		cp "$src" "$target" || hard_error "cannot create $target"
	elif [ "$dest" = /etc/resolv.conf ]; then
		note "no $dest: glibc then asks 127.0.0.1, which is private here"
	else
		hard_error "cannot make a private $dest (it points to $target, which does not exist)"
	fi
}

cleanup() {
	local rc=$? pid i
	trap - EXIT
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		kill -TERM "${PIDS[i]}" 2>/dev/null
	done
	for pid in "${PIDS[@]}"; do
		wait_for -t 3 proc_gone "$pid" || kill -KILL "$pid" 2>/dev/null
	done
	if [ -n "${KEEP_TESTDIR:-}" ]; then
		note "kept $TESTDIR"
	else
		rm -rf "$TESTDIR"
	fi
	exit "$rc"
}

# proc_state PID: the one-letter state (R S D Z T ...), empty if there is no such process.
proc_state() {
	local stat
	{ read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 0  # a builtin: polled under load
	stat=${stat##*) }
	echo "${stat%% *}"
}

# proc_field PID N: field N of /proc/PID/stat (numbered from 1 as in proc(5); N >= 3).
proc_field() {
	local stat
	local -a fields
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	read -ra fields <<<"${stat##*) }"
	echo "${fields[$2 - 3]}"
}

proc_gone() {
	local s
	s=$(proc_state "$1")
	[ -z "$s" ] || [ "$s" = Z ]
}

proc_alive() {
	! proc_gone "$1"
}

# write_conf [NAME] <<EOF ... EOF: the config for start_daemon (sets CONF).
write_conf() {
	CONF=$TESTDIR/${1:-acceptd.conf}
	cat >"$CONF"
	chmod 644 "$CONF"
}

# check_conf [FILE]: `acceptd -t` must accept it.
check_conf() {
	local f=${1:-$CONF} rc=0
	"$ACCEPTD" -t -c "$f" >"$TESTDIR/check.out" 2>&1 || rc=$?
	[ "$rc" = 0 ] || fail "acceptd -t rejected $f (exit $rc): $(cat "$TESTDIR/check.out")"
}

# notify lines of the current daemon run
notify_lines() {
	tail -n "+$((NOTIFY_MARK + 1))" "$NOTIFY_LOG"
}

# The same lines as "USEC PID MESSAGE": USEC is when the datagram was sent (kernel timestamp,
# microseconds since the epoch, comparable with now_us).
notify_times() {
	tail -n "+$((NOTIFY_MARK + 1))" "$NOTIFY_TIMES"
}

notified() {
	notify_lines | grep -Eq "^[0-9]+ (.* )?$1( |\$)"
}

ready_or_dead() {
	notified READY=1 || proc_gone "$DAEMON_PID"
}

# new_run: the next daemon run's log ($DAEMON_LOG) and notify mark; for tests that start
# acceptd their own way (then: DAEMON_PID=...; PIDS+=(...); await_ready).
new_run() {
	RUN=$((RUN + 1))
	DAEMON_LOG=$TESTDIR/acceptd.$RUN.log
	NOTIFY_MARK=$(wc -l <"$NOTIFY_LOG")
}

# start_daemon [ARGS]: acceptd -f -c $CONF ARGS under $ACCEPTD_WRAPPER; waits for READY=1.
start_daemon() {
	local wrapper=()
	check_conf "$CONF"
	new_run
	read -ra wrapper <<<"${ACCEPTD_WRAPPER:-}"
	NOTIFY_SOCKET=$NOTIFY_SOCK "${wrapper[@]}" "$ACCEPTD" -f -c "$CONF" "$@" \
		</dev/null >"$DAEMON_LOG" 2>&1 &
	DAEMON_PID=$!
	PIDS+=("$DAEMON_PID")
	await_ready
}

# await_ready: wait for the READY=1 of $DAEMON_PID (a STATUS= with it, from the main pid only).
await_ready() {
	local rc
	wait_for -t "${START_TIMEOUT:-10}" ready_or_dead ||
		fail "acceptd (pid $DAEMON_PID) sent no READY=1 within ${START_TIMEOUT:-10} s"
	if proc_gone "$DAEMON_PID"; then
		rc=0
		wait "$DAEMON_PID" || rc=$?
		fail "acceptd exited with status $rc before READY=1"
	fi
	notify_lines | grep -v "^$DAEMON_PID " | grep -q . &&
		fail "sd_notify message from a pid other than the main pid $DAEMON_PID"
	notify_lines | grep -E '(^| )READY=1( |$)' | grep -q ' STATUS=.' ||
		fail "READY=1 came without a STATUS= line: $(notify_lines)"
	note "acceptd started: pid $DAEMON_PID, log ${DAEMON_LOG#"$TESTDIR"/}"
}

# reload_done N: after the first N lines of this run, a RELOADING=1 and then a READY=1;
# prints that READY=1's STATUS= text. (Builtins only: it is polled, also under load.)
reload_done() {
	local -a lines
	local l r=0
	mapfile -t -s $((NOTIFY_MARK + $1)) lines <"$NOTIFY_LOG"
	for l in "${lines[@]}"; do
		if [[ " $l " == *" RELOADING=1 "* ]]; then
			r=1
		elif ((r)) && [[ " $l " == *" READY=1 "* ]]; then
			if [[ $l == *" STATUS="* ]]; then
				echo "${l#* STATUS=}"
			else
				echo
			fi
			return 0
		fi
	done
	return 1
}

# reload_daemon: SIGHUP, then wait for RELOADING=1 and the READY=1 after it (a failed
# reload sends them too; polled every $RELOAD_POLL s); RELOAD_STATUS is that READY=1's STATUS=.
reload_daemon() {
	local -a lines
	local before
	mapfile -t -s "$NOTIFY_MARK" lines <"$NOTIFY_LOG"
	before=${#lines[@]}
	kill -HUP "$DAEMON_PID" || fail "cannot signal acceptd (pid $DAEMON_PID)"
	wait_for -t "${RELOAD_TIMEOUT:-20}" -i "${RELOAD_POLL:-0.05}" reload_done "$before" >/dev/null ||
		fail "no RELOADING=1 then READY=1 within ${RELOAD_TIMEOUT:-20} s of SIGHUP: $(
			notify_lines | tail -n "+$((before + 1))")"
	RELOAD_STATUS=$(reload_done "$before")
}

# stop_daemon [SIGNAL]: signal (TERM), wait, check exit 0, STOPPING=1, the log.
stop_daemon() {
	local sig=${1:-TERM} rc=0
	kill -"$sig" "$DAEMON_PID" || fail "cannot signal acceptd (pid $DAEMON_PID)"
	wait_for -t "${STOP_TIMEOUT:-20}" proc_gone "$DAEMON_PID" ||
		fail "acceptd (pid $DAEMON_PID) still running ${STOP_TIMEOUT:-20} s after SIG$sig"
	wait "$DAEMON_PID" || rc=$?
	[ "$rc" = 0 ] || fail "acceptd exited with status $rc after SIG$sig (expected 0)"
	notified STOPPING=1 || fail "no STOPPING=1 notification after SIG$sig"
	notify_lines | grep -v "^$DAEMON_PID " | grep -q . &&
		fail "sd_notify message from a pid other than the main pid $DAEMON_PID"
	check_daemon_log "$DAEMON_LOG"
	ok "acceptd stopped by SIG$sig: exit 0, STOPPING=1"
}

# daemon_rc PID: after a daemon exited on its own, its exit status.
daemon_rc() {
	local rc=0
	wait "$1" || rc=$?
	echo "$rc"
}

# Lines of the daemon's stderr that report trouble: stderr lines carry no priority unless
# they are structured events, so everything not known to be routine counts -- events of
# PRIORITY 5-7 and the plain "listening on"/"stopped after" lines. ALLOW_LOG (an ERE)
# exempts what a test expects.
unexpected_log_lines() {
	grep -v -E "${ALLOW_LOG:-^\$}" "$1" |
		grep -v -E '^acceptd\[[0-9]+\]: .* \| MESSAGE_ID=[0-9a-f]{32} PRIORITY=[5-7]( |$)' |
		grep -v -E '^acceptd\[[0-9]+\]: (listening on |stopped after |reloading )[^|]*$'
}

# check_daemon_log [FILE]: fail on unexpected lines in FILE ($DAEMON_LOG).
check_daemon_log() {
	local bad
	bad=$(unexpected_log_lines "${1:-$DAEMON_LOG}")
	[ -z "$bad" ] || fail "unexpected lines in acceptd's log:
$bad"
}

# wait_log ERE [SECONDS]: wait until a line of the daemon's stderr matches ERE.
wait_log() {
	wait_for -t "${2:-10}" grep -Eq -- "$1" "$DAEMON_LOG"
}

# events MSGID [FILE]: the stderr lines of that structured event.
events() {
	grep -E " MESSAGE_ID=$1( |\$)" "${2:-$DAEMON_LOG}"
}

# with_fields KEY=VALUE...: the event lines (stdin) that carry every given field exactly.
with_fields() {
	awk '
		BEGIN { for (i = 1; i < ARGC; i++) want[i] = " " ARGV[i] " "; n = ARGC - 1; ARGC = 1 }
		{
			kvs = $0; i = index(kvs, " | ")
			while (i) { kvs = substr(kvs, i + 2); i = index(kvs, " | ") }
			kvs = kvs " "
			for (i = 1; i <= n; i++) if (!index(kvs, want[i])) next
			print
		}' "$@"
}

# count_events MSGID [KEY=VALUE...] (in $DAEMON_LOG)
count_events() {
	local id=$1
	shift
	events "$id" | with_fields "$@" | grep -c .
}

# at_least N MSGID [KEY=VALUE...]: there are at least N such events (for wait_for)
at_least() {
	local n=$1
	shift
	[ "$(count_events "$@")" -ge "$n" ]
}

# field KEY: the value of KEY in the event line on stdin (the KEY=value part after " | ").
field() {
	sed -n 's/.* | / /p' | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1
}

# listening: the TCP sockets in LISTEN state, one "addr:port" a line, sorted
listening() {
	ss -ltnH | awk '{ print $4 }' | sort
}

# listening_details: "addr:port backlog inode" of each listening TCP socket, sorted (ss shows
# a listener's backlog as its Send-Q and its queue of not yet accepted connections as Recv-Q).
listening_details() {
	ss -ltnHe | awk '{ ino = "?"; for (i = 6; i <= NF; i++) if ($i ~ /^ino:/) ino = substr($i, 5)
		print $4, $3, ino }' | sort
}

# listener_field ADDR:PORT backlog|inode|queue: that column of the listener, empty if none
listener_field() {
	ss -ltnHe | awk -v a="$1" -v f="$2" '$4 == a {
		if (f == "queue") print $2; else if (f == "backlog") print $3
		else for (i = 6; i <= NF; i++) if ($i ~ /^ino:/) print substr($i, 5) }'
}

# fd_inode PID FD: the inode of socket FD of PID (empty if it is no socket)
fd_inode() {
	readlink "/proc/$1/fd/$2" 2>/dev/null | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p'
}

# acceptd processes of this namespace (the pid namespace holds only ours)
acceptd_pids() {
	pgrep -x acceptd
}

# children_of PID: "pid state" of each connection's child: not the name resolver, nor an idle
# spare (a dead one, a zombie, is listed: it must be reaped like any other)
children_of() {
	ps -o pid=,stat=,comm= --ppid "$1" 2>/dev/null |
		awk '$3 != "acceptd-resolve" && !($3 == "acceptd-spare" && $2 !~ /^Z/) { print $1, $2 }'
}

# spares_of PID: the pids of the daemon's idle spares (processes forked ahead of connections)
spares_of() {
	ps -o pid=,stat=,comm= --ppid "$1" 2>/dev/null |
		awk '$3 == "acceptd-spare" && $2 !~ /^Z/ { print $1 }'
}

# resolver_timeout SECONDS: the private resolv.conf with that timeout, one attempt
resolver_timeout() {
	printf 'nameserver 127.0.0.1\noptions timeout:%s attempts:1\n' "$1" >"$TESTDIR/resolv.conf"
}

# resolver_of PID: the pid of the daemon's name resolver process, if it has one
resolver_of() {
	ps -o pid=,comm= --ppid "$1" 2>/dev/null | awk '$2 == "acceptd-resolve" { print $1 }'
}

zombie_children() {
	children_of "$1" | awk '$2 ~ /^Z/ { print $1 }'
}

no_zombie_children() {
	[ -z "$(zombie_children "$DAEMON_PID")" ]
}

client() {
	"$PYTHON" "$LIBDIR/client.py" "$@"
}

# asan_build: the acceptd under test is an ASan build (forks cost several times more;
# valgrind and ptrace at exit cannot be used)
asan_build() {
	ldd "$ACCEPTD" 2>/dev/null | grep -q libasan
}

# need_loadgen: LOADGEN is the load generator make check builds (bench/loadgen.c)
need_loadgen() {
	LOADGEN=$BUILDDIR/bench/loadgen
	[ -x "$LOADGEN" ] || hard_error "no load generator at $LOADGEN (make check builds it)"
}

# client_bg NAME ARGS...: client.py ARGS in the background, output in $TESTDIR/NAME.out;
# sets BG_PID (python's own pid, so a signal reaches it).
client_bg() {
	local name=$1
	shift
	"$PYTHON" "$LIBDIR/client.py" "$@" </dev/null >"$TESTDIR/$name.out" 2>&1 &
	BG_PID=$!
	PIDS+=("$BG_PID")
}

# start_journald [--no-ratelimit]: a private journald in this namespace (TESTING.md (a)).
# --no-ratelimit lifts journald's rate limit (10,000 entries per 30 s), which a load test would
# hit. After stop_journald it starts a new journald on the same journal files.
start_journald() {
	local jd
	for jd in /lib/systemd/systemd-journald /usr/lib/systemd/systemd-journald ""; do
		[ -x "$jd" ] && break
	done
	[ -n "$jd" ] || skip "systemd-journald not installed"
	command -v journalctl >/dev/null || skip "journalctl not installed"
	if [ -z "${JOURNAL_MOUNTED:-}" ]; then
		mkdir -p /run/systemd/journal /run/log/journal
		mount -t tmpfs tmpfs /run/log/journal ||
			hard_error "cannot mount a tmpfs on /run/log/journal"
		if [ -d /var/log/journal ]; then
			mount -t tmpfs tmpfs /var/log/journal || hard_error "cannot hide /var/log/journal"
		fi
		JOURNAL_MOUNTED=1
	fi
	if [ "${1:-}" = --no-ratelimit ]; then
		# /run is the sandbox's tmpfs: a drop-in there changes only this journald.
		mkdir -p /run/systemd/journald.conf.d
		printf '[Journal]\nRateLimitBurst=0\n' >/run/systemd/journald.conf.d/test.conf
	fi
	# A journald that was stopped left its sockets behind: wait for the new ones.
	rm -f /run/systemd/journal/socket /run/systemd/journal/stdout
	"$jd" </dev/null >>"$TESTDIR/journald.out" 2>&1 &
	JOURNALD_PID=$!
	PIDS+=("$JOURNALD_PID")
	wait_for test -S /run/systemd/journal/socket -a -S /run/systemd/journal/stdout ||
		hard_error "journald did not create its sockets"
}

# stop_journald [SIGNAL]: stop the journald of start_journald with SIGNAL (TERM) and reap it.
# Its socket files stay, with nobody behind them, as after a crash.
stop_journald() {
	local sig=${1:-TERM} p keep=()
	[ -n "${JOURNALD_PID:-}" ] || hard_error "stop_journald: no journald was started"
	kill -"$sig" "$JOURNALD_PID" 2>/dev/null
	wait_for proc_gone "$JOURNALD_PID" || hard_error "journald survived SIG$sig"
	wait "$JOURNALD_PID" 2>/dev/null
	for p in "${PIDS[@]}"; do
		[ "$p" = "$JOURNALD_PID" ] || keep+=("$p")
	done
	PIDS=("${keep[@]}")
	JOURNALD_PID=
}

# journal_sync: make what journald received readable (not once stop_journald stopped it)
journal_sync() {
	[ -z "${JOURNALD_PID:-}" ] || journalctl --sync || hard_error "journalctl --sync failed"
}

# journal_count FIELD=VALUE...: acceptd's journal entries that match every field; after a sync,
# unless stop_journald stopped journald (the files are read all the same).
journal_count() {
	journal_sync
	journalctl --no-pager -q -o json SYSLOG_IDENTIFIER=acceptd "$@" | grep -c .
}

journal_has() {
	[ "$(journal_count "$@")" -ge 1 ]
}

# journal_at_least N FIELD=VALUE...: at least N such entries (for wait_for)
journal_at_least() {
	local n=$1
	shift
	[ "$(journal_count "$@")" -ge "$n" ]
}

# journal_values FIELD MATCH...: FIELD of each matching entry (empty if absent), one a line.
# (The export format is KEY=value lines, entries separated by an empty line; acceptd's fields
# are text, never the binary form.)
journal_values() {
	local f=$1
	shift
	journal_sync
	journalctl --no-pager -q -o export SYSLOG_IDENTIFIER=acceptd "$@" | awk -v f="$f=" '
		/^$/ { if (n) print v; v = ""; n = 0; next }
		{ n = 1; if (index($0, f) == 1) v = substr($0, length(f) + 1) }
		END { if (n) print v }'
}

# journal_json FILE: every entry of SYSLOG_IDENTIFIER=acceptd, one JSON object a line.
journal_json() {
	journalctl --sync || hard_error "journalctl --sync failed"
	journalctl --no-pager -o json SYSLOG_IDENTIFIER=acceptd >"$1" ||
		hard_error "journalctl failed"
}

# ---- connection events in the daemon's stderr log (dns.sh, proxy.sh) ----
# psend ARGS...: proxysend.py, its "ok ..." line or its complaint
psend() { "$PYTHON" "$LIBDIR/proxysend.py" "$@" 2>&1; }
# kv KEY LINE: the value of KEY=... in an "ok ..." line
kv() {
	local w
	for w in $2; do
		[ "${w%%=*}" = "$1" ] && echo "${w#*=}"
	done
	return 0
}
# usec SECONDS: "0.123" -> 123000 (for comparisons in the shell)
usec() {
	local s=${1%.*} f=${1#*.}000000
	echo $((10#$s * 1000000 + 10#${f:0:6}))
}
# find_event MSGID KEY=VALUE...: the first such event line of this run in EVENT (forks
# nothing, so it is cheap to poll on a loaded machine)
find_event() {
	local id=$1 l kvs w
	local -a lines
	shift
	mapfile -t lines <"$DAEMON_LOG"
	for l in "${lines[@]}"; do
		[[ $l == *" | MESSAGE_ID=$id "* ]] || continue
		kvs=" ${l##* | } "
		for w in "$@"; do
			[[ $kvs == *" $w "* ]] || continue 2
		done
		EVENT=$l
		return 0
	done
	return 1
}
# expect WHAT CHECK...: on EVENT; CHECK is KEY=VALUE (present, that value) or !KEY (absent)
expect() {
	local what=$1 kvs=" ${EVENT##* | } " c
	shift
	for c in "$@"; do
		if [ "${c#!}" != "$c" ]; then
			[[ $kvs != *" ${c#!}="* ]] || fail "$what: ${c#!} should be absent: $EVENT"
		else
			[[ $kvs == *" $c "* ]] || fail "$what: expected $c in: $EVENT"
		fi
	done
}
