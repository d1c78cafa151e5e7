#!/bin/bash
# SPDX-License-Identifier: MIT
# One socket per configured address: a service on 127.0.0.1, 127.0.0.2 and ::1 answers on
# each and nowhere else; per-address ports ("[::1]:7008", "127.0.0.2:7009") listen on the
# override port and not on the service's port; ss shows exactly the configured sockets.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
sandbox "$@"

if [ "$HAVE_IPV6" = yes ]; then
	v6_a=', "::1"'
	v6_b='"[::1]:7008", '
else
	note "no ::1 on lo: IPv6 parts skipped"
	v6_a='' v6_b=''
fi
write_conf <<EOF
services = (
  { name = "multi"; listen = [ "127.0.0.1", "127.0.0.2"$v6_a ]; port = 7007; builtin = "echo"; },
  { name = "override"; listen = [ $v6_b"127.0.0.2:7009", "127.0.0.1" ]; port = 7010;
    builtin = "echo"; }
);
EOF
start_daemon

expected="127.0.0.1:7007 127.0.0.1:7010 127.0.0.2:7007 127.0.0.2:7009"
[ "$HAVE_IPV6" = yes ] && expected="$expected [::1]:7007 [::1]:7008"
# shellcheck disable=SC2086 # one address a word
expected=$(printf '%s\n' $expected | sort)
actual=$(listening)
[ "$actual" = "$expected" ] || fail "listening sockets differ:
expected:
$expected
actual:
$actual"
ok "ss shows exactly the configured sockets: $(echo "$actual" | tr '\n' ' ')"

# Each answers, each connection is logged against the right service and local address.
check_echo() { # ADDR PORT SERVICE
	local out
	out=$(client echo "$1" "$2" --size 2000 --random --timeout 10) ||
		fail "no echo on $1 port $2: $out"
	wait_for at_least 1 "$MSGID_CONN_ENDED" ACCEPTD_SERVICE="$3" LOCAL_ADDR="$1" \
		LOCAL_PORT="$2" BYTES_IN=2000 ||
		fail "connection to $1 port $2 not logged as ended for service $3"
	ok "$3 answers on $1 port $2"
}
check_echo 127.0.0.1 7007 multi
check_echo 127.0.0.2 7007 multi
check_echo 127.0.0.2 7009 override
check_echo 127.0.0.1 7010 override
if [ "$HAVE_IPV6" = yes ]; then
	check_echo ::1 7007 multi
	check_echo ::1 7008 override
fi

check_refused() { # ADDR PORT WHY
	local out
	out=$(client refused "$1" "$2" --timeout 5) || fail "$3: $out"
	ok "$1 port $2 refused ($3)"
}
check_refused 127.0.0.3 7007 "address not configured"
check_refused 127.0.0.2 7010 "127.0.0.2:7009 overrides the service port"
check_refused 127.0.0.1 7009 "the override is for 127.0.0.2 only"
if [ "$HAVE_IPV6" = yes ]; then
	check_refused ::1 7010 "[::1]:7008 overrides the service port"
fi

stop_daemon
[ -z "$(listening)" ] || fail "still listening after stop: $(listening)"
ok "nothing listens after the stop"
