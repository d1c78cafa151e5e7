#!/bin/bash
# SPDX-License-Identifier: MIT
# exec services: the program sees exactly fds 0, 1 and 2 (the socket twice, stderr) and
# exactly the environment acceptd builds (PATH, env, the UCSPI variables, TCPREMOTEHOST only
# for a peer with a name; nothing of acceptd's own: no NOTIFY_SOCKET, WATCHDOG_*, LISTEN_*,
# JOURNAL_STREAM), no blocked or ignored signals, the configured user and group with no
# supplementary groups. Its stderr goes to the journal tagged with the service name, or to
# acceptd's stderr without a journald; 1 MiB of binary data passes through /bin/cat exactly;
# the exit status or signal is logged at the end (127 when the program vanished). acceptd -t
# fails (78) on a missing and on a non-executable program.
# shellcheck disable=SC2015 # A && B || fail: either false fails
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
SANDBOX_HOSTS="127.0.0.2 named.test"
sandbox "$@"

probe() {
	"$PYTHON" "$LIBDIR/probe.py" "$@"
}

DEFAULT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
MARKER="exec-test stderr marker"
# The programs write to acceptd's stderr while there is no journald; "cannot execute" is
# the vanished program's case.
ALLOW_LOG="^$MARKER |^acceptd\[[0-9]+\]: gone: cannot execute $TESTDIR/gone\.sh: No such file or directory$"

# The test program: lists its descriptors (without the one listdir() itself opens), writes
# a marker to stderr, then exits with a status, kills itself, or echoes.
cat >"$TESTDIR/report.py" <<'EOF'
import os
import signal
import sys

mode = sys.argv[1]
sys.stderr.write("exec-test stderr marker %s pid %d\n" % (mode, os.getpid()))
sys.stderr.flush()
if mode == "fds":
    fds = []
    for name in os.listdir("/proc/self/fd"):
        try:
            os.fstat(int(name))  # fails for listdir's own descriptor, closed by now
        except OSError:
            continue
        fds.append(int(name))
    fds.sort()
    print("FDS " + " ".join(map(str, fds)))
    for fd in fds:
        print("FD%d %s" % (fd, os.readlink("/proc/self/fd/%d" % fd)))
elif mode == "exit":
    print("exiting with %s" % sys.argv[2])
    sys.exit(int(sys.argv[2]))
elif mode == "signal":
    print("killing myself with SIGUSR1", flush=True)
    os.kill(os.getpid(), signal.SIGUSR1)
EOF
printf '#!/bin/sh\nexec /bin/cat\n' >"$TESTDIR/gone.sh"
printf '#!/bin/sh\nexit 0\n' >"$TESTDIR/noexec.sh"
chmod 644 "$TESTDIR/report.py" "$TESTDIR/noexec.sh"
chmod 755 "$TESTDIR/gone.sh"
# A python the service user may run (sandbox's may live under /root).
EXEC_PY=
for py in "$PYTHON" /usr/bin/python3; do
	if "$PYTHON" -c 'import os, sys
os.setgroups([]); os.setgid(65534); os.setuid(65534)
os.execv(sys.argv[1], [sys.argv[1], "-c", "pass"])' "$py" 2>/dev/null; then
		EXEC_PY=$py
		break
	fi
done
[ -n "$EXEC_PY" ] || skip "no python3 that user nobody may run"
# (no "|" in it: lib.sh takes a "listening on" line with a "|" for a structured one)
GREP_STATUS='"/bin/grep", "-e", "^Uid:", "-e", "^Gid:", "-e", "^Groups:", "-e", "^SigBlk:",
    "-e", "^SigIgn:", "/proc/self/status"'

# Harness checks: the probes themselves report the truth (run with only fds 0-2 open, and
# with a signal blocked and one ignored).
out=$("$PYTHON" -c 'import subprocess, sys
subprocess.run([sys.executable, sys.argv[1], "fds"], env={}, close_fds=True,
               stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)' "$TESTDIR/report.py" | head -n 1)
[ "$out" = "FDS 0 1 2" ] || hard_error "report.py run with fds 0-2 only reports: $out"
out=$("$PYTHON" -c 'import os, signal, sys
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])  # python ignores SIGPIPE, SIGXFSZ
os.execv("/bin/grep", ["grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status"])')
sigmask() { sed -n "s/^$1:[[:space:]]*\([0-9a-f]*\)\$/0x\1/p" <<<"$2"; }
blk=$(sigmask SigBlk "$out")
ign=$(sigmask SigIgn "$out")
[ -n "$blk" ] && [ -n "$ign" ] && (((blk & 0x200) && (ign & 0x1000))) ||
	hard_error "grep on /proc/self/status does not show an inherited signal state: $out"

# --- acceptd -t: the program must exist and be executable
for prog in missing noexec.sh; do
	write_conf bad-$prog.conf <<EOF
services = ( { name = "x"; listen = [ "127.0.0.1:7001" ]; exec = [ "$TESTDIR/$prog" ]; } );
EOF
	rc=0
	"$ACCEPTD" -t -c "$CONF" >"$TESTDIR/t.out" 2>"$TESTDIR/t.err" || rc=$?
	case $prog in
	missing) want="$CONF:1: services[x].exec: \"$TESTDIR/missing\": No such file or directory" ;;
	*) want="$CONF:1: services[x].exec: \"$TESTDIR/noexec.sh\" is not an executable file" ;;
	esac
	[ "$rc" = 78 ] && [ "$(cat "$TESTDIR/t.err")" = "$want" ] ||
		fail "acceptd -t with a $prog program: exit $rc (want 78), stderr: $(cat "$TESTDIR/t.err") (want: $want)"
	ok "acceptd -t refuses a $prog program: exit 78, $want"
done

dual=
if [ "$HAVE_IPV6" = yes ]; then
	dual="{ name = \"env-dual\"; listen = [ \"::\" ]; port = 7009; v6only = false;
    exec = [ \"/usr/bin/env\" ]; },"
else
	note "no ::1 on lo: IPv6 parts skipped"
fi
write_conf <<EOF
services = (
  { name = "env-plain"; listen = [ "127.0.0.1", "::1" ]; port = 7001; exec = [ "/usr/bin/env" ]; },
  { name = "env-custom"; listen = [ "127.0.0.1:7002" ]; exec = [ "/usr/bin/env", "-0" ];
    env = [ "GREETING=hello world", "EMPTY=", "PATH=/opt/test/bin:/usr/bin", "lower_case=1" ]; },
  { name = "env-noname"; listen = [ "127.0.0.1:7003" ]; resolve = "none";
    exec = [ "/usr/bin/env" ]; },
  { name = "status"; listen = [ "127.0.0.1:7004" ]; exec = [ $GREP_STATUS ]; user = "nobody"; },
  { name = "status-group"; listen = [ "127.0.0.1:7005" ]; exec = [ $GREP_STATUS ];
    user = "nobody"; group = "daemon"; },
  { name = "fds"; listen = [ "127.0.0.1:7006" ]; user = "nobody";
    exec = [ "$EXEC_PY", "$TESTDIR/report.py", "fds" ]; },
  { name = "cat"; listen = [ "127.0.0.1:7007" ]; exec = [ "/bin/cat" ]; user = "nobody"; },
  { name = "exit7"; listen = [ "127.0.0.1:7010" ]; exec = [ "$EXEC_PY", "$TESTDIR/report.py", "exit", "7" ]; },
  { name = "killed"; listen = [ "127.0.0.1:7011" ]; exec = [ "$EXEC_PY", "$TESTDIR/report.py", "signal" ]; },
  $dual
  { name = "gone"; listen = [ "127.0.0.1:7008" ]; exec = [ "$TESTDIR/gone.sh" ]; }
);
EOF

# env_of SERVICE PORT SRC [DST]: what /usr/bin/env printed for a connection from SRC, sorted
# (-0 output turned into lines), in ENV_OUT; LPORT is the client's port.
env_of() {
	probe exchange "${4:-127.0.0.1}" "$2" --bind "$3" --info "$TESTDIR/info" --timeout 20 \
		>"$TESTDIR/env.raw" || fail "$1: no answer from $3"
	ENV_OUT=$(tr '\0' '\n' <"$TESTDIR/env.raw" | sort)
	LPORT=$(sed -n 's/^lport=//p' "$TESTDIR/info")
}

# expect_env SERVICE OUTPUT LINE...: OUTPUT must be exactly the LINEs (in any order)
expect_env() {
	local svc=$1 got=$2 want
	shift 2
	want=$(printf '%s\n' "$@" | sort)
	[ "$got" = "$want" ] || fail "$svc: the environment is not exactly what acceptd should build:
$(diff <(echo "$want") <(echo "$got") | sed -n 's/^[<>]/&/p')
(< expected, > got)"
}

# ucspi SERVICE SRC LPORT DST DPORT: the variables acceptd sets for every connection
ucspi() {
	printf '%s\n' "PROTO=TCP" "TCPLOCALIP=$4" "TCPLOCALPORT=$5" "TCPREMOTEIP=$2" \
		"TCPREMOTEPORT=$3" "REMOTE_ADDR=$2" "REMOTE_PORT=$3" "ACCEPTD_SERVICE=$1"
}

# check_envs: the env services, one connection each (shared by every run below)
check_envs() {
	local got lines
	env_of env-plain 7001 127.0.0.2
	got=$ENV_OUT
	mapfile -t lines < <(ucspi env-plain 127.0.0.2 "$LPORT" 127.0.0.1 7001)
	expect_env env-plain "$got" "PATH=$DEFAULT_PATH" "${lines[@]}" "TCPREMOTEHOST=named.test"
	ok "env-plain from 127.0.0.2 (named.test): exactly PATH, the UCSPI variables, TCPREMOTEHOST"

	env_of env-plain 7001 127.0.0.3
	got=$ENV_OUT
	mapfile -t lines < <(ucspi env-plain 127.0.0.3 "$LPORT" 127.0.0.1 7001)
	expect_env env-plain "$got" "PATH=$DEFAULT_PATH" "${lines[@]}"
	ok "env-plain from 127.0.0.3 (no name): no TCPREMOTEHOST"

	if [ "$HAVE_IPV6" = yes ]; then
		env_of env-plain 7001 ::1 ::1
		got=$ENV_OUT
		mapfile -t lines < <(ucspi env-plain ::1 "$LPORT" ::1 7001)
		expect_env env-plain "$got" "PATH=$DEFAULT_PATH" "${lines[@]}" "TCPREMOTEHOST=localhost"
		ok "env-plain over IPv6: TCPLOCALIP=::1 TCPREMOTEIP=::1 TCPREMOTEHOST=localhost"
	fi

	env_of env-custom 7002 127.0.0.3
	got=$ENV_OUT
	mapfile -t lines < <(ucspi env-custom 127.0.0.3 "$LPORT" 127.0.0.1 7002)
	expect_env env-custom "$got" "GREETING=hello world" "EMPTY=" "PATH=/opt/test/bin:/usr/bin" \
		"lower_case=1" "${lines[@]}"
	ok "env-custom: the env list as written (PATH replaced, not added twice), then ours"

	env_of env-noname 7003 127.0.0.2
	got=$ENV_OUT
	mapfile -t lines < <(ucspi env-noname 127.0.0.2 "$LPORT" 127.0.0.1 7003)
	expect_env env-noname "$got" "PATH=$DEFAULT_PATH" "${lines[@]}"
	ok "env-noname (resolve = none): no TCPREMOTEHOST even for named.test"
}

# daemon_env_has NAME: acceptd's own environment has NAME
daemon_env_has() {
	tr '\0' '\n' <"/proc/$DAEMON_PID/environ" | grep -q "^$1="
}

# fds_of: the fds service's report
fds_of() {
	probe exchange 127.0.0.1 7006 --timeout 20 || fail "fds: no answer"
}

# The daemon starts with everything a service manager would give it; none of it may leak.
WATCHDOG_USEC=60000000 JOURNAL_STREAM=8:4242 LEAKED_FROM_ACCEPTD=1 start_daemon
daemon_env_has NOTIFY_SOCKET && daemon_env_has WATCHDOG_USEC && daemon_env_has JOURNAL_STREAM ||
	hard_error "acceptd was not started with NOTIFY_SOCKET, WATCHDOG_USEC and JOURNAL_STREAM"
check_envs

# --- descriptors, stderr without journald
out=$(fds_of)
fdline=$(head -n 1 <<<"$out")
[ "$fdline" = "FDS 0 1 2" ] || fail "the exec'd program has descriptors other than 0, 1, 2:
$out"
fd0=$(sed -n 's/^FD0 //p' <<<"$out")
fd1=$(sed -n 's/^FD1 //p' <<<"$out")
fd2=$(sed -n 's/^FD2 //p' <<<"$out")
[[ $fd0 == socket:* ]] && [ "$fd0" = "$fd1" ] || fail "fds 0 and 1 are not the connection: $out"
[ "$fd2" = "$DAEMON_LOG" ] || fail "without journald, fd 2 is $fd2, not acceptd's stderr ($DAEMON_LOG)"
wait_log "^$MARKER fds pid [0-9]+$" || fail "the program's stderr did not reach acceptd's stderr"
ok "the program has exactly fds 0 1 2: the socket twice, and acceptd's stderr (no journald)"

# --- credentials and signals
# status_is PORT UID GID: the program's ids (real, effective, saved, fs), no supplementary
# groups, no blocked and no ignored signal. Signals 32 and 33 are glibc's own (SIGCANCEL,
# SIGSETXID): glibc's sigaction() refuses them, so whoever started acceptd decides those
# (GNU make ignores them, for one).
status_is() {
	local out ids ign
	out=$(probe exchange 127.0.0.1 "$1" --timeout 20 | tr -s '\t' ' ')
	ids=$(grep -v '^SigIgn:' <<<"$out")
	[ "$ids" = "Uid: $2 $2 $2 $2
Gid: $3 $3 $3 $3
Groups: 
SigBlk: 0000000000000000" ] || fail "port $1: want uid $2, gid $3, no groups, nothing blocked; got
$out"
	ign=$(sigmask SigIgn "$out")
	# All of them, glibc's own 32 and 33 included (GNU make starts us with those ignored).
	[ -n "$ign" ] && ((ign == 0)) ||
		fail "port $1: signals ignored in the exec'd program: $(grep SigIgn <<<"$out")"
}
status_is 7004 65534 65534
ok "user = nobody: uid and gid 65534 (real, effective, saved, fs), no supplementary groups, no blocked or ignored signal"
status_is 7005 65534 1
ok "user = nobody, group = daemon: gid 1, no supplementary groups"

# --- data through /bin/cat, exit status and signal
out=$(client echo 127.0.0.1 7007 --size 1048576 --random --timeout 60 2>&1) || fail "cat: $out"
ok "1 MiB of random binary data through /bin/cat, byte for byte"
out=$(probe exchange 127.0.0.1 7010 --timeout 20) || fail "exit7: $out"
[ "$out" = "exiting with 7" ] || fail "exit7 said: $out"
out=$(probe exchange 127.0.0.1 7011 --timeout 20) || fail "killed: $out"
[ "$out" = "killing myself with SIGUSR1" ] || fail "killed said: $out"
rm -f "$TESTDIR/gone.sh"
out=$(probe exchange 127.0.0.1 7008 --timeout 20 2>&1) || fail "gone: $out"
[ -z "$out" ] || fail "gone: the connection to a vanished program answered: $out"
for s in cat exit7 killed gone; do
	wait_for at_least 1 "$MSGID_CONN_ENDED" ACCEPTD_SERVICE=$s || fail "$s: no connection-ended entry"
done
line=$(events "$MSGID_CONN_ENDED" | with_fields ACCEPTD_SERVICE=cat)
[ "$(field EXIT_STATUS <<<"$line")" = 0 ] || fail "cat: $line"
[ -z "$(field BYTES_IN <<<"$line")$(field BYTES_OUT <<<"$line")" ] ||
	fail "cat: an exec service has no byte counts: $line"
line=$(events "$MSGID_CONN_ENDED" | with_fields ACCEPTD_SERVICE=exit7)
[ "$(field EXIT_STATUS <<<"$line")" = 7 ] && [ -z "$(field EXIT_SIGNAL <<<"$line")" ] ||
	fail "exit7: not EXIT_STATUS=7: $line"
grep -q ' ended: exit 7 after ' <<<"$line" || fail "exit7: the message does not say exit 7: $line"
line=$(events "$MSGID_CONN_ENDED" | with_fields ACCEPTD_SERVICE=killed)
[ "$(field EXIT_SIGNAL <<<"$line")" = 10 ] && [ -z "$(field EXIT_STATUS <<<"$line")" ] ||
	fail "killed: not EXIT_SIGNAL=10 (SIGUSR1): $line"
grep -q ' ended: killed by signal 10 after ' <<<"$line" || fail "killed: $line"
line=$(events "$MSGID_CONN_ENDED" | with_fields ACCEPTD_SERVICE=gone)
[ "$(field EXIT_STATUS <<<"$line")" = 127 ] || fail "gone: not EXIT_STATUS=127: $line"
wait_log "gone: cannot execute $TESTDIR/gone.sh" || fail "gone: the failed execve was not logged"
ok "connection-ended: EXIT_STATUS=0 (cat, no byte counts), 7, EXIT_SIGNAL=10, and 127 with an error for a vanished program"

# --- an IPv4 client of a dual-stack "::" service is IPv4 in the environment too
if [ -n "$dual" ]; then
	env_of env-dual 7009 127.0.0.3
	got=$ENV_OUT
	mapfile -t lines < <(ucspi env-dual 127.0.0.3 "$LPORT" 127.0.0.1 7009)
	expect_env env-dual "$got" "PATH=$DEFAULT_PATH" "${lines[@]}"
	ok "dual-stack \"::\": an IPv4 client is TCPREMOTEIP=127.0.0.3, TCPLOCALIP=127.0.0.1 (never ::ffff:)"
fi
stop_daemon

# --- with a journald: stderr is a journal stream tagged with the service name
start_journald
printf '#!/bin/sh\nexec /bin/cat\n' >"$TESTDIR/gone.sh"
chmod 755 "$TESTDIR/gone.sh"
WATCHDOG_USEC=60000000 start_daemon
check_envs
out=$(fds_of)
[ "$(head -n 1 <<<"$out")" = "FDS 0 1 2" ] || fail "with journald: descriptors $out"
fd2=$(sed -n 's/^FD2 //p' <<<"$out")
[[ $fd2 == socket:* ]] || fail "with journald, fd 2 is $fd2, not a journal stream socket"
probe exchange 127.0.0.1 7010 --timeout 20 >/dev/null || fail "exit7 (with journald): no answer"
jmarker() {
	journalctl --sync
	journalctl --no-pager -q -o cat SYSLOG_IDENTIFIER="$1" | grep -q "^$MARKER $2 pid [0-9]*$"
}
wait_for jmarker fds fds || fail "the program's stderr did not reach the journal as SYSLOG_IDENTIFIER=fds"
wait_for jmarker exit7 exit || fail "exit7's stderr is not in the journal as SYSLOG_IDENTIFIER=exit7"
journalctl --no-pager -q -o json SYSLOG_IDENTIFIER=fds >"$TESTDIR/fds.json"
"$PYTHON" - "$TESTDIR/fds.json" "$MARKER" <<'EOF' || fail "the journal entry of the program's stderr (above)"
import json, sys
e = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
e = [x for x in e if x.get("MESSAGE", "").startswith(sys.argv[2])]
assert len(e) == 1, "want one marker entry, got %d" % len(e)
x = e[0]
print("# journal: SYSLOG_IDENTIFIER=%s PRIORITY=%s _TRANSPORT=%s _UID=%s" % (
    x.get("SYSLOG_IDENTIFIER"), x.get("PRIORITY"), x.get("_TRANSPORT"), x.get("_UID")))
assert x.get("_TRANSPORT") == "stdout", x.get("_TRANSPORT")
assert x.get("PRIORITY") == "6", x.get("PRIORITY")
EOF
grep -q "$MARKER" "$DAEMON_LOG" && fail "with journald, the program's stderr still went to acceptd's stderr"
ok "with journald: fd 2 is a journal stream; the marker is an entry of SYSLOG_IDENTIFIER=fds (_TRANSPORT=stdout, PRIORITY=6)"
stop_daemon

# --- socket activation: LISTEN_* stay with acceptd
write_conf activated.conf <<EOF
services = (
  { name = "env-plain"; listen = [ "127.0.0.1:7001" ]; exec = [ "/usr/bin/env" ]; },
  { name = "env-noname"; listen = [ "127.0.0.1:7003" ]; resolve = "none";
    exec = [ "/usr/bin/env" ]; }
);
EOF
check_conf
new_run
NOTIFY_SOCKET=$NOTIFY_SOCK WATCHDOG_USEC=60000000 "$PYTHON" "$LIBDIR/client.py" activate \
	--fd listen:127.0.0.1:7001 --names env-plain -- "$ACCEPTD" -f -c "$CONF" \
	</dev/null >"$DAEMON_LOG" 2>&1 &
DAEMON_PID=$!
PIDS+=("$DAEMON_PID")
await_ready
daemon_env_has LISTEN_FDS && daemon_env_has LISTEN_PID && daemon_env_has LISTEN_FDNAMES ||
	hard_error "acceptd was not started with LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES"
env_of env-plain 7001 127.0.0.3
got=$ENV_OUT
mapfile -t lines < <(ucspi env-plain 127.0.0.3 "$LPORT" 127.0.0.1 7001)
expect_env env-plain "$got" "PATH=$DEFAULT_PATH" "${lines[@]}"
ok "socket-activated acceptd: the program sees no LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES"
stop_daemon
