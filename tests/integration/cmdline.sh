#!/bin/bash
# SPDX-License-Identifier: MIT
# The command line: -h/--help (usage on stdout, 0), -V/--version ("acceptd VERSION", 0),
# a bad option or an extra argument (usage on stderr, 64), a missing config file (78).
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
sandbox "$@"

# run ARGS...: acceptd ARGS; sets RC, OUT, ERR
run() {
	RC=0
	"$ACCEPTD" "$@" </dev/null >"$TESTDIR/out" 2>"$TESTDIR/err" || RC=$?
	OUT=$(cat "$TESTDIR/out")
	ERR=$(cat "$TESTDIR/err")
}

version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$BUILDDIR/config.h")
[ -n "$version" ] || hard_error "no PACKAGE_VERSION in $BUILDDIR/config.h"

for opt in -h --help; do
	run "$opt"
	if [ "$RC" != 0 ] || [ -n "$ERR" ] || ! grep -q '^usage: acceptd ' <<<"$OUT"; then
		fail "acceptd $opt: exit $RC, expected 0 and usage on stdout; stdout: $OUT; stderr: $ERR"
	fi
	for o in -c --config -f --foreground -t --test-config -p --pidfile -l --log-level \
		-h --help -V --version; do
		grep -q -- "$o\\b" <<<"$OUT" || fail "acceptd $opt: usage does not mention $o"
	done
	ok "acceptd $opt: usage on stdout naming every option, exit 0"
done

for opt in -V --version; do
	run "$opt"
	if [ "$RC" != 0 ] || [ "$OUT" != "acceptd $version" ] || [ -n "$ERR" ]; then
		fail "acceptd $opt: exit $RC, stdout '$OUT' (expected 0 and 'acceptd $version'); stderr: $ERR"
	fi
	ok "acceptd $opt: '$OUT', exit 0"
done

write_conf <<EOF
services = ( { name = "echo"; listen = [ "127.0.0.1" ]; port = $PORT; builtin = "echo"; } );
EOF
check_conf

# usage_error DESCRIPTION ARGS...: exit 64, usage on stderr, nothing on stdout, nothing started.
usage_error() {
	local what=$1
	shift
	run "$@"
	if [ "$RC" != 64 ] || [ -n "$OUT" ] || ! grep -q 'usage: acceptd ' <<<"$ERR"; then
		fail "$what (acceptd $*): exit $RC, expected 64 with usage on stderr; stdout: $OUT; stderr: $ERR"
	fi
	[ -z "$(listening)" ] || fail "$what: something is listening: $(listening)"
	ok "$what: exit 64, usage on stderr"
}
usage_error "unknown short option" -Z -c "$CONF" -f
usage_error "unknown long option" --bogus -c "$CONF" -f
usage_error "extra argument" -f -c "$CONF" extra
usage_error "extra argument with -t" -t -c "$CONF" extra
usage_error "option without its argument" -f -c
usage_error "unknown log level" -l bogus -t -c "$CONF"

missing=$TESTDIR/missing.conf
for mode in -t -f; do
	run "$mode" -c "$missing"
	if [ "$RC" != 78 ] || ! grep -qF "$missing" <<<"$ERR"; then
		fail "acceptd $mode -c MISSING: exit $RC, expected 78 and the path on stderr: $ERR"
	fi
	ok "acceptd $mode with a missing config file: exit 78 ($ERR)"
done
[ -z "$(listening)" ] || fail "something is listening: $(listening)"
[ -z "$(acceptd_pids)" ] || fail "acceptd processes left: $(acceptd_pids)"

# --config= long forms and -l with a valid level work together with -t.
run --test-config --config="$CONF" --log-level=debug
[ "$RC" = 0 ] || fail "acceptd --test-config --config=FILE --log-level=debug: exit $RC: $ERR"
ok "long options with = are accepted"
