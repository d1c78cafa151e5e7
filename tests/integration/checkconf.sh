#!/bin/bash
# SPDX-License-Identifier: MIT
# acceptd -t: the shipped configs pass with one summary line per service; broken configs
# exit 78 with every error on stderr as FILE:LINE: KEY: message, all of them, not the first.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
sandbox "$@"

# checkt FILE: run acceptd -t -c FILE; sets RC, OUT (stdout), ERR (stderr)
checkt() {
	RC=0
	"$ACCEPTD" -t -c "$1" >"$TESTDIR/t.out" 2>"$TESTDIR/t.err" || RC=$?
	OUT=$(cat "$TESTDIR/t.out")
	ERR=$(cat "$TESTDIR/t.err")
}

# The shipped configurations.
summary_re='^[A-Za-z0-9_.-]+: (builtin [a-z]+|exec .+), listen [^,]+, backlog [0-9]+$'
for f in "$top_srcdir/etc/acceptd.conf" "$top_srcdir/etc/example.conf"; do
	[ -f "$f" ] || fail "$f is missing"
	checkt "$f"
	[ "$RC" = 0 ] || fail "acceptd -t $f: exit $RC (expected 0): $ERR"
	services=$(grep -cE '^[[:space:]]*name[[:space:]]*=' "$f")
	if [ "$(grep -cE "$summary_re" <<<"$OUT")" != "$services" ] ||
		[ "$(grep -c . <<<"$OUT")" != "$services" ]; then
		fail "acceptd -t $f: expected $services summary lines, got:
$OUT"
	fi
	ok "acceptd -t ${f#"$top_srcdir"/}: exit 0, $services summary line(s)"
done

# A valid config of ours: the exact summary.
write_conf valid.conf <<EOF
daemon = { max_connections = 10; shutdown_timeout = 3; log_level = "notice";
           log_connections = "end"; pidfile = "$TESTDIR/x.pid"; };
services = (
  { name = "echo"; listen = [ "127.0.0.1", "::1" ]; port = 7007; backlog = 128; builtin = "echo"; },
  { name = "two"; listen = [ "[::1]:7008", "127.0.0.2:7009" ]; port = 7010; backlog = 5;
    builtin = "echo"; }
);
EOF
checkt "$CONF"
expected="echo: builtin echo, listen 127.0.0.1:7007 [::1]:7007, backlog 128
two: builtin echo, listen [::1]:7008 127.0.0.2:7009, backlog 5"
if [ "$RC" != 0 ] || [ "$OUT" != "$expected" ] || [ -n "$ERR" ]; then
	fail "acceptd -t on a valid config: exit $RC, stdout:
$OUT
stderr:
$ERR
expected exit 0 and:
$expected"
fi
ok "valid config: exit 0, exact summary, nothing on stderr"

# broken NAME EXPECTED-LINES...: CONF (written before) must fail with exactly these lines on
# stderr, each an ERE matched against a whole line, in any order; stdout empty.
broken() {
	local name=$1 re
	shift
	checkt "$CONF"
	[ "$RC" = 78 ] || fail "$name: exit $RC (expected 78); stderr: $ERR"
	[ -z "$OUT" ] || fail "$name: stdout not empty: $OUT"
	[ "$(grep -c . <<<"$ERR")" = "$#" ] ||
		fail "$name: expected $# error line(s) on stderr, got:
$ERR"
	for re in "$@"; do
		grep -qE "^$re\$" <<<"$ERR" ||
			fail "$name: no stderr line matching '$re' in:
$ERR"
	done
	ok "$name: exit 78: $(tr '\n' '|' <<<"$ERR" | sed 's/|$//; s/|/ + /g')"
}

# ERE for a literal string
lit() {
	sed 's/[][\.*^$+?(){}|/]/\\&/g' <<<"$1"
}

write_conf unknown.conf <<'EOF'
services = (
  {
    name = "echo";
    listen = [ "127.0.0.1" ];
    bakclog = 128;
    port = 7007;
    builtin = "echo";
  }
);
EOF
broken "unknown key" "$(lit "$CONF:5: services[echo].bakclog: unknown key")"

write_conf range.conf <<'EOF'
services = (
  {
    name = "echo";
    listen = [ "127.0.0.1" ];
    port = 70000;
    builtin = "echo";
  }
);
EOF
broken "port out of range" "$(lit "$CONF:5: services[echo].port: 70000 is out of range (1-65535)")"

write_conf string.conf <<'EOF'
services = (
  {
    name = "echo";
    listen = [ "127.0.0.1" ];
    port = "7007";
    builtin = "echo";
  }
);
EOF
broken "string port" "$(lit "$CONF:5: services[echo].port: expected an integer, got a string")"

write_conf duplicate.conf <<'EOF'
services = (
  { name = "a"; listen = [ "127.0.0.1" ]; port = 7007; builtin = "echo"; },
  { name = "b";
    listen = [ "127.0.0.1:7007" ];
    port = 7008;
    builtin = "echo"; }
);
EOF
broken "same address:port in two services" \
	"$(lit "$CONF:4: services[b].listen")(\\[0\\])?: .*127\\.0\\.0\\.1.*"

write_conf address.conf <<'EOF'
services = (
  {
    name = "echo";
    listen = [ "127.0.0.256", "localhost" ];
    port = 7007;
    builtin = "echo";
  }
);
EOF
broken "bad addresses (one invalid, one a name)" \
	"$(lit "$CONF:4: services[echo].listen")(\\[0\\])?: .*127\\.0\\.0\\.256.*" \
	"$(lit "$CONF:4: services[echo].listen")(\\[1\\])?: .*localhost.*"

write_conf syntax.conf <<'EOF'
services = (
  {
    name = "echo";
    port = = 7007;
    builtin = "echo";
  }
);
EOF
# libconfig's own text is mostly just "syntax error", which acceptd does not repeat.
broken "syntax error" "$(lit "$CONF:4: syntax error")(: .+)?"

write_conf dupkey.conf <<'EOF'
services = (
  {
    name = "echo";
    port = 7007;
    port = 7008;
    builtin = "echo";
  }
);
EOF
broken "a key given twice (libconfig parse error)" \
	"$(lit "$CONF:5: syntax error: duplicate setting name")"

write_conf three.conf <<'EOF'
daemon = { log_connections = "sometimes"; };
services = (
  {
    name = "echo";
    listen = [ "127.0.0.1" ];
    port = 0;
    bakclog = 12;
    builtin = "echo";
  }
);
EOF
broken "three mistakes in one file" \
	"$(lit "$CONF:1: daemon.log_connections: ").+" \
	"$(lit "$CONF:6: services[echo].port: 0 is out of range (1-65535)")" \
	"$(lit "$CONF:7: services[echo].bakclog: unknown key")"

missing=$TESTDIR/does-not-exist.conf
checkt "$missing"
if [ "$RC" != 78 ] || [ -n "$OUT" ] || ! grep -qF "$missing" <<<"$ERR"; then
	fail "missing file: exit $RC (expected 78), stderr should name $missing: $ERR"
fi
ok "missing file: exit 78: $ERR"

write_conf unreadable.conf </dev/null
chmod 000 "$CONF"
unpriv=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
if "${unpriv[@]}" test -x "$ACCEPTD"; then
	RC=0
	"${unpriv[@]}" "$ACCEPTD" -t -c "$CONF" >"$TESTDIR/t.out" 2>"$TESTDIR/t.err" || RC=$?
	if [ "$RC" != 78 ] || ! grep -qF "$CONF" "$TESTDIR/t.err"; then
		fail "unreadable file: exit $RC (expected 78): $(cat "$TESTDIR/t.err")"
	fi
	ok "unreadable file: exit 78: $(cat "$TESTDIR/t.err")"
else
	note "user nobody cannot run $ACCEPTD: unreadable-file case skipped"
fi

write_conf noservice.conf <<'EOF'
daemon = { max_connections = 5; };
EOF
checkt "$CONF"
if [ "$RC" != 78 ] || [ "$(grep -c "^$(lit "$CONF"):[0-9]*: .*services" <<<"$ERR")" != 1 ]; then
	fail "no service: exit $RC (expected 78 and one FILE:LINE: line naming services): $ERR"
fi
ok "no service: exit 78: $ERR"

# Not regular files: libconfig 1.5 waits forever on a FIFO, and an @include of a directory
# made flex end the whole process with status 2 (a reload would have killed the daemon).
mkfifo "$TESTDIR/fifo.conf" || hard_error "mkfifo failed"
RC=0
timeout 20 "$ACCEPTD" -t -c "$TESTDIR/fifo.conf" >"$TESTDIR/t.out" 2>"$TESTDIR/t.err" || RC=$?
ERR=$(cat "$TESTDIR/t.err")
if [ "$RC" != 78 ] || [ "$ERR" != "$TESTDIR/fifo.conf: cannot read: a FIFO, not a regular file" ]; then
	fail "a FIFO as the config: exit $RC (expected 78, 124 is a hang): $ERR"
fi
ok "a FIFO as the config: exit 78 at once: $ERR"
mkdir "$TESTDIR/conf.d" || hard_error "mkdir failed"
write_conf incdir.conf <<'EOF2'
@include "conf.d"
services = ( { name = "a"; listen = [ "127.0.0.1:7" ]; builtin = "echo"; } );
EOF2
broken "@include of a directory" "$(lit "$CONF:1: @include \"conf.d\": a directory, not a regular file")"
