#!/bin/bash
# SPDX-License-Identifier: MIT
# exec services started without fork(): when there is nothing to do between fork and exec
# (resolve = "none", or the name once the parent has it from its cache or the resolver; no
# PROXY header; no user to switch to), the parent starts the program with
# clone(CLONE_VM | CLONE_VFORK). The program must see exactly what a forked child would give
# it: fds 0, 1, 2 (the socket twice and a journal stream connected by the program's own
# process, so journald credits its lines to its PID), no blocked or ignored signal, the same
# environment. Which path ran is read from strace's view of acceptd's clone calls. A program
# that cannot be executed falls back to the fork path and is reported as before (127,
# "cannot execute").
# shellcheck disable=SC2015 # A && B || fail: either false fails
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
SANDBOX_HOSTS="127.0.0.2 named.test"
sandbox "$@"

probe() {
	"$PYTHON" "$LIBDIR/probe.py" "$@"
}

MARKER="spawn-test stderr"
ALLOW_LOG="^acceptd\[[0-9]+\]: sp-gone: cannot execute $TESTDIR/gone\.sh: No such file or directory$"
cat >"$TESTDIR/show.py" <<'EOF'
import os
import sys

sys.stderr.write("spawn-test stderr pid %d\n" % os.getpid())
sys.stderr.flush()
fds = []
for name in os.listdir("/proc/self/fd"):
    try:
        os.fstat(int(name))  # fails for listdir's own descriptor, closed by now
    except OSError:
        continue
    fds.append(int(name))
print("PID %d" % os.getpid())
print("FDS " + " ".join(map(str, sorted(fds))))
print("FD2 " + os.readlink("/proc/self/fd/2"))
# What execve() passed, not os.environ: python adds LC_CTYPE itself (PEP 538).
for kv in sorted(open("/proc/self/environ", "rb").read().split(b"\0")):
    if kv:
        print("ENV " + kv.decode())
EOF
printf '#!/bin/sh\nexec /bin/cat\n' >"$TESTDIR/gone.sh"
chmod 755 "$TESTDIR/gone.sh"

write_conf <<EOF
services = (
  { name = "sp-show"; listen = [ "127.0.0.1:7001" ]; resolve = "none";
    exec = [ "$PYTHON", "$TESTDIR/show.py" ]; },
  { name = "sp-cat"; listen = [ "127.0.0.1:7002" ]; resolve = "none"; exec = [ "/bin/cat" ]; },
  { name = "sp-gone"; listen = [ "127.0.0.1:7003" ]; resolve = "none";
    exec = [ "$TESTDIR/gone.sh" ]; },
  { name = "sp-sig"; listen = [ "127.0.0.1:7005" ]; resolve = "none";
    exec = [ "/bin/grep", "-e", "^SigBlk:", "-e", "^SigIgn:", "/proc/self/status" ]; },
  { name = "nm-show"; listen = [ "127.0.0.1:7004" ]; resolve = "name";
    exec = [ "$PYTHON", "$TESTDIR/show.py" ]; }
);
EOF
start_journald
# Started from a script, acceptd inherits SIGINT and SIGQUIT ignored: the program must not.
start_daemon

# show SERVICE PORT [BIND]: the program's report, in $OUT; its PID in $SHOWN_PID
show() {
	OUT=$(probe exchange 127.0.0.1 "$2" --bind "${3:-127.0.0.1}" --timeout 20) ||
		fail "$1: no answer"
	SHOWN_PID=$(sed -n 's/^PID //p' <<<"$OUT")
	[ -n "$SHOWN_PID" ] || fail "$1: no report: $OUT"
}

# traced COMMAND...: run COMMAND while strace watches acceptd's clone calls; PATH_TAKEN is
# "spawn" for clone(CLONE_VM|CLONE_VFORK), "fork" for a plain fork (glibc's fork is a clone
# without CLONE_VM), "?" for neither
traced() {
	local log=$TESTDIR/strace.out
	rm -f "$log" "$log.err"
	strace -e trace=clone,clone3 -p "$DAEMON_PID" -o "$log" 2>"$log.err" &
	local st=$!
	wait_for grep -q attached "$log.err" || hard_error "strace did not attach: $(cat "$log.err")"
	"$@"
	kill -INT "$st"
	wait "$st" 2>/dev/null
	if grep -q 'CLONE_VM|CLONE_VFORK' "$log"; then
		PATH_TAKEN=spawn
	elif grep -q 'clone' "$log"; then
		PATH_TAKEN=fork
	else
		PATH_TAKEN="?"
	fi
}

command -v strace >/dev/null || fail "strace is not installed (a declared test dependency: it tells fork from spawn)"
traced show sp-show 7001
grep -qx "FDS 0 1 2" <<<"$OUT" || fail "sp-show: descriptors other than 0 1 2: $OUT"
[[ $(sed -n 's/^FD2 //p' <<<"$OUT") == socket:* ]] || fail "sp-show: fd 2 is not a journal stream: $OUT"
[ "$PATH_TAKEN" = spawn ] || fail "sp-show (resolve none): $PATH_TAKEN, not spawned: $(cat "$TESTDIR/strace.out")"
# Read by grep: python ignores SIGPIPE and SIGXFSZ itself.
sig=$(probe exchange 127.0.0.1 7005 --timeout 20 | tr -s '\t ' ' ') || fail "sp-sig: no answer"
[ "$sig" = "SigBlk: 0000000000000000
SigIgn: 0000000000000000" ] || fail "sp-sig: signals blocked or ignored in the program: $sig"
ok "resolve none: spawned; the program has fds 0 1 2 (fd 2 a journal stream), no blocked or ignored signal"

want_env=$(printf 'ENV %s\n' ACCEPTD_SERVICE=sp-show PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	PROTO=TCP REMOTE_ADDR=127.0.0.1 TCPLOCALIP=127.0.0.1 TCPLOCALPORT=7001 TCPREMOTEIP=127.0.0.1 | sort)
got_env=$(grep '^ENV ' <<<"$OUT" | grep -v -e '^ENV REMOTE_PORT=' -e '^ENV TCPREMOTEPORT=' | sort)
[ "$got_env" = "$want_env" ] || fail "sp-show: environment
$got_env
want
$want_env"
rport=$(sed -n 's/^ENV TCPREMOTEPORT=//p' <<<"$OUT")
grep -qx "ENV REMOTE_PORT=$rport" <<<"$OUT" && [ -n "$rport" ] || fail "sp-show: ports: $OUT"
ok "spawned: the environment is exactly acceptd's (PATH, UCSPI variables, nothing of acceptd's own)"

jpid() {
	journal_sync
	journalctl --no-pager -q -o json SYSLOG_IDENTIFIER=sp-show | grep -q "\"_PID\":\"$1\""
}
wait_for jpid "$SHOWN_PID" ||
	fail "sp-show: the program's stderr line is not in the journal with _PID=$SHOWN_PID (its own)"
journalctl --no-pager -q -o cat SYSLOG_IDENTIFIER=sp-show | grep -qx "$MARKER pid $SHOWN_PID" ||
	fail "sp-show: the stderr line in the journal is not the program's"
wait_for journal_has MESSAGE_ID="$MSGID_CONN_ENDED" ACCEPTD_SERVICE=sp-show CHILD_PID="$SHOWN_PID" \
	EXIT_STATUS=0 || fail "sp-show: no connection-ended entry with EXIT_STATUS=0 for $SHOWN_PID"
ok "spawned: the program's stderr is journaled under its own _PID; connection-ended EXIT_STATUS=0"

out=$(client echo 127.0.0.1 7002 --size 1048576 --random --timeout 60 2>&1) || fail "sp-cat: $out"
ok "spawned /bin/cat: 1 MiB of random data, byte for byte"

rm "$TESTDIR/gone.sh"
probe exchange 127.0.0.1 7003 --timeout 20 >/dev/null 2>&1
wait_for journal_has MESSAGE_ID="$MSGID_CONN_ENDED" ACCEPTD_SERVICE=sp-gone EXIT_STATUS=127 ||
	fail "sp-gone: no connection-ended entry with EXIT_STATUS=127"
journal_count PRIORITY=3 MESSAGE="sp-gone: cannot execute $TESTDIR/gone.sh: No such file or directory" |
	grep -qx 1 || fail "sp-gone: the failure was not logged once as an error"
ok "a program that cannot be executed: the fork path reports it (127, one error entry)"

traced show nm-show 7004 127.0.0.2
grep -qx "ENV TCPREMOTEHOST=named.test" <<<"$OUT" || fail "nm-show (first): no TCPREMOTEHOST: $OUT"
[ "$PATH_TAKEN" = spawn ] ||
	fail "nm-show: the first connection (the parent waits for the name): $PATH_TAKEN, not spawned"
traced show nm-show 7004 127.0.0.2
grep -qx "ENV TCPREMOTEHOST=named.test" <<<"$OUT" || fail "nm-show (cached): no TCPREMOTEHOST: $OUT"
[ "$PATH_TAKEN" = spawn ] || fail "nm-show: the repeat client (name cached): $PATH_TAKEN, not spawned"
wait_for journal_has MESSAGE_ID="$MSGID_CONN_ENDED" ACCEPTD_SERVICE=nm-show CHILD_PID="$SHOWN_PID" \
	REMOTE_HOST=named.test || fail "nm-show: the spawned connection's end entry has no REMOTE_HOST"
ok "resolve name: the first connection spawned once the parent has its name, the repeat client with the cached name"

stop_daemon
check_daemon_log
