#!/bin/bash
# SPDX-License-Identifier: MIT
# The daemon under valgrind (memcheck, --track-fds) through start, 1,000 connections
# across every builtin and an exec service, 10 reloads and a clean stop: no error,
# no leak in the parent, and no descriptor left open at exit but stdio.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
sandbox "$@"

command -v valgrind >/dev/null || fail "valgrind is not installed (a declared test dependency)"
# The sanitizer build runs the same suite; valgrind and ASan cannot share a process.
if asan_build; then
	skip "this acceptd is built with ASan, which valgrind cannot run"
fi

# conf BACKLOG EXTRA: the services, with the echo backlog and extra keys for the exec one.
conf() {
	write_conf <<EOF
daemon = { shutdown_timeout = 5; };
services = (
  { name = "echo"; listen = [ "127.0.0.1" ]; port = 7001; backlog = $1; builtin = "echo"; },
  { name = "discard"; listen = [ "127.0.0.1" ]; port = 7002; builtin = "discard"; },
  { name = "chargen"; listen = [ "127.0.0.1" ]; port = 7003; builtin = "chargen"; },
  { name = "daytime"; listen = [ "127.0.0.1" ]; port = 7004; builtin = "daytime"; },
  { name = "time"; listen = [ "127.0.0.1" ]; port = 7005; builtin = "time"; },
  { name = "cat"; listen = [ "127.0.0.1" ]; port = 7006; exec = [ "/bin/cat" ]; $2 }
);
EOF
}
conf 128 ""

# Children are forks of the valgrind'd parent and stay under it, each logging to its own
# file; only the parent's leak report counts. Exec'd programs run natively.
# shellcheck disable=SC2054 # the commas belong to the options
vg=(valgrind --error-exitcode=42 --leak-check=full
	--show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible
	--track-fds=yes --trace-children=no
	"--log-file=$TESTDIR/valgrind.%p.log")
ACCEPTD_WRAPPER=${vg[*]}
START_TIMEOUT=120 start_daemon
vg_log=$TESTDIR/valgrind.$DAEMON_PID.log

# 1,000 connections, each service in turn, every answer checked.
"$PYTHON" - "$TESTDIR/load.out" <<'PY' || fail "load: $(cat "$TESTDIR/load.out")"
import socket, sys
out = open(sys.argv[1], "w")
def talk(port, data, limit=None):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    if data:
        s.sendall(data)
    got = b""
    if limit:
        while len(got) < limit:
            d = s.recv(limit - len(got))
            if not d:
                break
            got += d
        s.close()
        return got
    s.shutdown(socket.SHUT_WR)
    while True:
        d = s.recv(65536)
        if not d:
            break
        got += d
    s.close()
    return got
try:
    for i in range(1000):
        k = i % 6
        if k == 0:
            p = b"echo %d\n" % i
            assert talk(7001, p) == p, "echo"
        elif k == 1:
            assert talk(7002, b"x" * 100) == b"", "discard"
        elif k == 2:
            got = talk(7003, None, limit=74)
            assert got[:72] == bytes(range(32, 104)) and got[72:] == b"\r\n", "chargen %r" % got
        elif k == 3:
            assert talk(7004, None).endswith(b"-UTC\r\n"), "daytime"
        elif k == 4:
            assert len(talk(7005, None)) == 4, "time"
        else:
            p = b"cat %d\n" % i
            assert talk(7006, p) == p, "exec cat"
except Exception as e:
    print("connection %d: %r" % (i, e), file=out)
    sys.exit(1)
print("1000 connections served", file=out)
PY
ok "1000 connections across echo, discard, chargen, daytime, time and exec served"

# The children run under valgrind too, each with its own log. Their leak reports mean
# nothing (they _exit holding what the parent gave them), but any other error is a bug:
# they once sent the parent their whole name buffer, uninitialised bytes and all.
# A spare forked by a spare (clone(CLONE_PARENT), which valgrind follows as a fork) may
# find valgrind unable to reopen its log ("failed to move log file descriptor into safe
# range"): its report then goes to acceptd's stderr, and is checked there.
memcheck_errors="Invalid (read|write|free)|uninitialised|Mismatched free|overlap|Syscall param|impossible' happened"
mapfile -t bad < <(grep -lE "$memcheck_errors" "$TESTDIR"/valgrind.*.log "$DAEMON_LOG" | grep -vxF "$vg_log")
[ "${#bad[@]}" = 0 ] ||
	fail "memcheck errors in ${#bad[@]} children, the first: $(grep -v '^==[0-9]*== *$' "${bad[0]}" | head -40)"
ALLOW_LOG='^==[0-9]+== '
ok "children: no memcheck errors (leaks aside) in $(($(find "$TESTDIR" -name 'valgrind.*.log' | wc -l) - 1)) logs"

for i in $(seq 1 10); do
	if [ $((i % 2)) = 1 ]; then conf $((100 + i)) "env = [ \"N=$i\" ];"; else conf 128 ""; fi
	reload_daemon || fail "reload $i: ${RELOAD_STATUS:-}"
done
ok "10 reloads"

STOP_TIMEOUT=60 stop_daemon
[ -s "$vg_log" ] || fail "no valgrind log at $vg_log"
if grep -q "ERROR SUMMARY: [1-9]" "$vg_log"; then fail "valgrind found errors: $(cat "$vg_log")"; fi
if grep -qE "(definitely|indirectly|possibly) lost: [1-9]" "$vg_log"; then
	fail "the parent leaks: $(cat "$vg_log")"
fi
fds=$(grep -o "FILE DESCRIPTORS: [0-9]* open ([0-9]* std) at exit" "$vg_log") ||
	fail "no descriptor report in the valgrind log: $(cat "$vg_log")"
[ "$fds" = "FILE DESCRIPTORS: 3 open (3 std) at exit" ] ||
	fail "descriptors left open at exit: $(sed -n '/FILE DESCRIPTORS/,$p' "$vg_log")"
ok "valgrind: no errors, no leaks in the parent, only stdio open at exit"
