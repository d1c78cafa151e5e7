#!/bin/bash
# SPDX-License-Identifier: MIT
# Native journal logging, read back from a private journald: the connection-accepted entry
# (logged by the child after the reverse lookup, REMOTE_HOST from /etc/hosts) and the
# connection-ended entry (parent: exit status, duration, byte counts); no REMOTE_HOST for a
# peer without a name; daemon.log_connections "end" (one entry, with REMOTE_HOST) and "none".
# The backend choice: a stale journal socket, or stderr on a terminal, mean stderr.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
SANDBOX_HOSTS="127.0.0.2 named.test"
sandbox "$@"

# A function, so each poll of wait_for looks again.
no_children_of() { [ -z "$(children_of "$1")" ]; }

conf_for() { # SERVICE-NAME
	write_conf "$1.conf" <<EOF
services = ( { name = "$1"; listen = [ "127.0.0.1" ]; port = $PORT; builtin = "echo"; } );
EOF
}

# A stale socket file where journald's socket belongs: nobody listens, so stderr it is.
"$PYTHON" -c 'import socket, sys; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).bind(sys.argv[1])' \
	/run/systemd/journal/socket || hard_error "cannot create a stale journal socket"
conf_for j-stale
start_daemon
out=$(client echo 127.0.0.1 "$PORT" --size 10 --timeout 10) || fail "echo (stale socket): $out"
wait_for at_least 1 "$MSGID_CONN_ENDED" ACCEPTD_SERVICE=j-stale ||
	fail "stale journal socket: the connection was not logged on stderr"
stop_daemon
rm -f /run/systemd/journal/socket
ok "a stale journal socket: acceptd logs to stderr"

start_journald

# jcount FIELD=VALUE...: journal entries of acceptd matching every field
jcount() {
	journalctl --sync
	journalctl --no-pager -q -o json SYSLOG_IDENTIFIER=acceptd "$@" | grep -c .
}

jcount_at_least() {
	local n=$1
	shift
	[ "$(jcount "$@")" -ge "$n" ]
}

# run MODE: a daemon with log_connections = MODE, service "j-MODE", a client with a name
# (127.0.0.2) and one without (127.0.0.3); sets PID_<MODE>, NAMED_<MODE>, ANON_<MODE>.
run() {
	local mode=$1 out named anon
	write_conf "$mode.conf" <<EOF
daemon = { log_connections = "$mode"; };
services = ( { name = "j-$mode"; listen = [ "127.0.0.1" ]; port = $PORT; builtin = "echo"; } );
EOF
	start_daemon
	out=$(client echo 127.0.0.1 "$PORT" --bind 127.0.0.2 --size 1234 --random --timeout 10) ||
		fail "echo from 127.0.0.2 ($mode): $out"
	named=$(echo "$out" | sed -n 's/.* lport=\([0-9]*\).*/\1/p')
	out=$(client echo 127.0.0.1 "$PORT" --bind 127.0.0.3 --size 4321 --random --timeout 10) ||
		fail "echo from 127.0.0.3 ($mode): $out"
	anon=$(echo "$out" | sed -n 's/.* lport=\([0-9]*\).*/\1/p')
	if [ "$mode" != none ]; then
		wait_for jcount_at_least 2 MESSAGE_ID="$MSGID_CONN_ENDED" ACCEPTD_SERVICE="j-$mode" ||
			fail "($mode) the two connections did not reach the journal as ended"
	else
		# "none" logs nothing per connection: wait for the children to be gone instead.
		wait_for no_children_of "$DAEMON_PID" || fail "(none) children did not end"
	fi
	stop_daemon
	[ -z "$(events "$MSGID_CONN_ACCEPTED")$(events "$MSGID_CONN_ENDED")" ] ||
		fail "($mode) connection events went to stderr although journald is there"
	printf -v "PID_$mode" %s "$DAEMON_PID"
	printf -v "NAMED_$mode" %s "$named"
	printf -v "ANON_$mode" %s "$anon"
	ok "log_connections=$mode: two connections served, daemon stopped"
}

run both
run end
run none

# journald is there, but stderr is a terminal: someone is watching, log there.
ACCEPTD_WRAPPER="$PYTHON $LIBDIR/client.py tty-stderr --"
conf_for j-tty
start_daemon
case $(readlink "/proc/$DAEMON_PID/fd/2") in
/dev/pts/*) ;;
*) hard_error "the tty wrapper did not put acceptd's stderr on a terminal" ;;
esac
out=$(client echo 127.0.0.1 "$PORT" --size 10 --timeout 10) || fail "echo (tty): $out"
wait_for at_least 1 "$MSGID_CONN_ENDED" ACCEPTD_SERVICE=j-tty ||
	fail "stderr on a terminal: the connection was not logged there"
stop_daemon
ACCEPTD_WRAPPER=
[ "$(jcount ACCEPTD_SERVICE=j-tty)" = 0 ] || fail "stderr on a terminal: entries went to the journal"
ok "stderr on a terminal: acceptd logs there, not to the journal"

journal_json "$TESTDIR/journal.json"
# shellcheck disable=SC2154 # PID_*, NAMED_*, ANON_* are set by run() through printf -v
"$PYTHON" - "$TESTDIR/journal.json" "$PORT" \
	"$PID_both" "$NAMED_both" "$ANON_both" "$PID_end" "$NAMED_end" "$ANON_end" "$PID_none" \
	<<'EOF' || fail "journal contents (above)"
import json, sys

(path, port, pid_b, named_b, anon_b, pid_e, named_e, anon_e, pid_n) = sys.argv[1:]
ACCEPTED, ENDED = "c571f65a45a440ad923e31b0447b0671", "a346225a21cc43428f213d04c06d8124"
STARTED, READY, STOPPING = ("a5da346f1dd24f4fb877a3ff704ed230",
                            "c4904366355a4ad0bdeaf5f480d15a75", "c048d7dc61e44435921aa4a6804eec03")
entries = [json.loads(line) for line in open(path) if line.strip()]
errors = []


def check(cond, what):
    print(("ok - " if cond else "not ok - ") + what)
    if not cond:
        errors.append(what)


def find(**want):
    return [e for e in entries if all(e.get(k) == v for k, v in want.items())]


def one(what, **want):
    found = find(**want)
    check(len(found) == 1, "%s: exactly one entry with %s (found %d)" % (what, want, len(found)))
    return found[0] if found else {}


def conn_fields(e, what, src, lport, named):
    check(e.get("ACCEPTD_SERVICE") is not None and e.get("REMOTE_ADDR") == src
          and e.get("REMOTE_PORT") == lport and e.get("LOCAL_ADDR") == "127.0.0.1"
          and e.get("LOCAL_PORT") == port,
          "%s: REMOTE_ADDR=%s REMOTE_PORT=%s LOCAL_ADDR=127.0.0.1 LOCAL_PORT=%s" % (what, src, lport, port))
    check(e.get("PRIORITY") == "6", "%s: PRIORITY=6 (got %s)" % (what, e.get("PRIORITY")))
    check(str(e.get("CHILD_PID", "")).isdigit(), "%s: CHILD_PID set" % what)
    if named is None:
        pass  # "both": the ended entry may or may not repeat the name
    elif named:
        check(e.get("REMOTE_HOST") == "named.test",
              "%s: REMOTE_HOST=named.test (got %s)" % (what, e.get("REMOTE_HOST")))
    else:
        check("REMOTE_HOST" not in e, "%s: no REMOTE_HOST (got %s)" % (what, e.get("REMOTE_HOST")))


def ended_fields(e, what, size):
    check(e.get("EXIT_STATUS") == "0" and "EXIT_SIGNAL" not in e,
          "%s: EXIT_STATUS=0, no EXIT_SIGNAL (got %s/%s)" % (what, e.get("EXIT_STATUS"), e.get("EXIT_SIGNAL")))
    check(e.get("BYTES_IN") == size and e.get("BYTES_OUT") == size,
          "%s: BYTES_IN=BYTES_OUT=%s (got %s/%s)" % (what, size, e.get("BYTES_IN"), e.get("BYTES_OUT")))
    d = e.get("DURATION_USEC", "")
    check(d.isdigit() and int(d) > 0, "%s: DURATION_USEC > 0 (got %r)" % (what, d))


# log_connections = "both"
svc = "j-both"
for msgid, name in ((STARTED, "started"), (READY, "ready"), (STOPPING, "stopping")):
    one("both: %s entry from the main pid" % name, MESSAGE_ID=msgid, _PID=pid_b)
acc = one("both: accepted, named peer", MESSAGE_ID=ACCEPTED, ACCEPTD_SERVICE=svc, REMOTE_PORT=named_b)
conn_fields(acc, "both: accepted, named peer", "127.0.0.2", named_b, True)
# The parent logs it when the child reports the name it looked up (journald then never
# builds a client context per child); CHILD_PID still names the child.
check(acc.get("_PID") == pid_b and acc.get("CHILD_PID") not in (None, pid_b),
      "both: the accepted entry comes from the main pid, CHILD_PID the child's (_PID=%s CHILD_PID=%s)"
      % (acc.get("_PID"), acc.get("CHILD_PID")))
check("named.test" in acc.get("MESSAGE", "") and "127.0.0.2" in acc.get("MESSAGE", ""),
      "both: the accepted MESSAGE names the peer: %r" % acc.get("MESSAGE"))
end = one("both: ended, named peer", MESSAGE_ID=ENDED, ACCEPTD_SERVICE=svc, REMOTE_PORT=named_b)
conn_fields(end, "both: ended, named peer", "127.0.0.2", named_b, None)
check(end.get("_PID") == pid_b, "both: the ended entry comes from the main pid")
check(end.get("CHILD_PID") == acc.get("CHILD_PID"), "both: ended and accepted have one CHILD_PID")
ended_fields(end, "both: ended, named peer", "1234")
acc = one("both: accepted, peer without a name", MESSAGE_ID=ACCEPTED, ACCEPTD_SERVICE=svc,
          REMOTE_PORT=anon_b)
conn_fields(acc, "both: accepted, peer without a name", "127.0.0.3", anon_b, False)
end = one("both: ended, peer without a name", MESSAGE_ID=ENDED, ACCEPTD_SERVICE=svc, REMOTE_PORT=anon_b)
conn_fields(end, "both: ended, peer without a name", "127.0.0.3", anon_b, False)
ended_fields(end, "both: ended, peer without a name", "4321")
check(len(find(ACCEPTD_SERVICE=svc)) == 4, "both: 4 connection entries in all")

# log_connections = "end"
svc = "j-end"
check(not find(MESSAGE_ID=ACCEPTED, ACCEPTD_SERVICE=svc), "end: no connection-accepted entries")
end = one("end: ended, named peer", MESSAGE_ID=ENDED, ACCEPTD_SERVICE=svc, REMOTE_PORT=named_e)
conn_fields(end, "end: ended, named peer", "127.0.0.2", named_e, True)
ended_fields(end, "end: ended, named peer", "1234")
end = one("end: ended, peer without a name", MESSAGE_ID=ENDED, ACCEPTD_SERVICE=svc, REMOTE_PORT=anon_e)
conn_fields(end, "end: ended, peer without a name", "127.0.0.3", anon_e, False)
ended_fields(end, "end: ended, peer without a name", "4321")
check(len(find(ACCEPTD_SERVICE=svc)) == 2, "end: 2 connection entries in all")

# log_connections = "none"
one("none: ready entry from the main pid (the journal works in this run)", MESSAGE_ID=READY, _PID=pid_n)
conn = [e for e in entries if e.get("MESSAGE_ID") in (ACCEPTED, ENDED)]
check(len(conn) == 6 and not find(ACCEPTD_SERVICE="j-none"),
      "none: no connection entries (6 in the journal, all from the first two runs; found %d)" % len(conn))

sys.exit(1 if errors else 0)
EOF
ok "journal entries as specified"
