#!/bin/bash
# SPDX-License-Identifier: MIT
# Reverse DNS (TESTING.md (f)): a private /etc/hosts and a stub DNS server (dnsstub.py) on
# 127.0.0.1:53 of the test's own network namespace, which logs every query. A name from
# /etc/hosts; a PTR name (forward-confirmed with resolve = "confirmed", also for IPv6 with
# ip6.arpa nibbles and AAAA); no name; a server that never answers (with resolve_timeout =
# 0.3 the client is served long before the resolver's own 2 s, REMOTE_HOST_LOOKUP=timeout);
# a PTR name whose A record is another address (name: used; confirmed: REMOTE_HOST_CONFIRMED=0
# and no REMOTE_HOST); a hostile name from /etc/hosts (sanitised in the log and in an exec'd
# program's TCPREMOTEHOST); resolve = "none" (nothing asked); the parent's name cache (one
# query for five connections, negative answers cached, timeouts not; a query each time with
# resolve_cache_ttl = 0; cleared by a reload); and a parent that never waits for a child's
# lookup (other clients served at once while one child waits 4 s for the resolver).
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
SANDBOX_HOSTS="127.0.0.2 named.test
127.0.0.6 we%ird\$name"
sandbox "$@"

MSGID_CONN_DENIED=004c7791a484488fa477ac07d1ad947b

DNSLOG=$TESTDIR/dns-queries.log
: >"$DNSLOG"
"$PYTHON" "$LIBDIR/dnsstub.py" "$DNSLOG" \
	"ptr 127.0.0.3 ptr.test" "a ptr.test 127.0.0.3" \
	"slow 127.0.0.4" \
	"ptr 127.0.0.5 liar.test" "a liar.test 127.0.0.99" \
	"ptr 127.0.0.9 none.test" "a none.test 127.0.0.9" \
	"ptr 127.0.0.11 cached.test" "a cached.test 127.0.0.11" \
	"ptr 127.0.0.12 uncached.test" \
	"ptr 2001:db8::10 v6.test" "aaaa v6.test 2001:db8::10" \
	</dev/null >"$TESTDIR/dnsstub.out" 2>&1 &
DNS_PID=$!
PIDS+=("$DNS_PID")
dns_bound() { grep -q ' 0100007F:0035 ' /proc/net/udp || ! proc_alive "$DNS_PID"; }
wait_for dns_bound || hard_error "the stub DNS server did not bind 127.0.0.1:53"
proc_alive "$DNS_PID" || hard_error "the stub DNS server died: $(cat "$TESTDIR/dnsstub.out")"

# queries NAME TYPE: how often the stub was asked
queries() { grep -cxF -- "$1 $2" "$DNSLOG"; }
ptr4() { # the in-addr.arpa name of an IPv4 address
	local a b c d
	IFS=. read -r a b c d <<<"$1"
	echo "$d.$c.$b.$a.in-addr.arpa"
}

# event MSGID SERVICE ADDR PORT: wait for that connection's event (in EVENT)
event() {
	wait_for find_event "$1" ACCEPTD_SERVICE="$2" REMOTE_ADDR="$3" REMOTE_PORT="$4" ||
		fail "no event $1 for $2 from [$3]:$4"
}

# conn SERVICE PORT SRC CHECK...: an echo from SRC, then both entries checked; sets LPORT
conn() {
	local svc=$1 port=$2 src=$3 out dst=127.0.0.1
	shift 3
	case $src in *:*) dst=::1 ;; esac
	out=$(psend "$dst" "$port" --bind "$src" --data "hello from $src" --timeout 10) ||
		fail "$svc: echo from $src: $out"
	LPORT=$(kv lport "$out")
	event "$MSGID_CONN_ACCEPTED" "$svc" "$src" "$LPORT"
	expect "$svc from $src (accepted)" "$@"
	event "$MSGID_CONN_ENDED" "$svc" "$src" "$LPORT"
	expect "$svc from $src (ended)" "$@" EXIT_STATUS=0
}

IPV6_LISTEN=
if [ "$HAVE_IPV6" = yes ]; then
	ip addr add 2001:db8::10/128 dev lo nodad || hard_error "cannot add 2001:db8::10 to lo"
	IPV6_LISTEN=', "::1"'
else
	note "no ::1 on lo: IPv6 parts skipped"
fi
ENV=$(command -v env) || hard_error "no env program"
write_conf <<EOF
services = (
  { name = "name"; listen = [ "127.0.0.1" ]; port = 7001; builtin = "echo";
    resolve = "name"; resolve_cache_ttl = 0; },
  { name = "confirmed"; listen = [ "127.0.0.1"$IPV6_LISTEN ]; port = 7002; builtin = "echo";
    resolve = "confirmed"; resolve_cache_ttl = 0; },
  { name = "slow"; listen = [ "127.0.0.1" ]; port = 7003; builtin = "echo";
    resolve_timeout = 0.3; resolve_cache_ttl = 0; },
  { name = "none"; listen = [ "127.0.0.1" ]; port = 7004; builtin = "echo"; resolve = "none"; },
  { name = "cached"; listen = [ "127.0.0.1" ]; port = 7005; builtin = "echo";
    resolve_cache_ttl = 60; },
  { name = "env"; listen = [ "127.0.0.1" ]; port = 7006; exec = [ "$ENV" ];
    resolve_cache_ttl = 0; },
  { name = "patient"; listen = [ "127.0.0.1" ]; port = 7007; builtin = "echo";
    resolve_timeout = 5; resolve_cache_ttl = 0; }
);
EOF
start_daemon

# hosts name
conn name 7001 127.0.0.2 REMOTE_HOST=named.test REMOTE_HOST_LOOKUP=found '!REMOTE_HOST_CONFIRMED'
[ "$(queries "$(ptr4 127.0.0.2)" PTR)" = 0 ] || fail "a name from /etc/hosts went to DNS as well"
ok "a name from /etc/hosts: REMOTE_HOST=named.test, REMOTE_HOST_LOOKUP=found, DNS not asked"

# DNS PTR, by name and confirmed
conn name 7001 127.0.0.3 REMOTE_HOST=ptr.test REMOTE_HOST_LOOKUP=found '!REMOTE_HOST_CONFIRMED'
[ "$(queries 3.0.0.127.in-addr.arpa PTR) $(queries ptr.test A)" = "1 0" ] ||
	fail "resolve=name: expected one PTR and no A query: $(cat "$DNSLOG")"
ok "a PTR name from DNS (resolve=name): REMOTE_HOST=ptr.test, one PTR query, no forward lookup"
conn confirmed 7002 127.0.0.3 REMOTE_HOST=ptr.test REMOTE_HOST_CONFIRMED=1 REMOTE_HOST_LOOKUP=found
[ "$(queries 3.0.0.127.in-addr.arpa PTR) $(queries ptr.test A)" = "2 1" ] ||
	fail "resolve=confirmed: expected a PTR and an A query: $(cat "$DNSLOG")"
ok "resolve=confirmed: the A record of ptr.test is 127.0.0.3: REMOTE_HOST_CONFIRMED=1"

# no name
conn name 7001 127.0.0.8 '!REMOTE_HOST' REMOTE_HOST_LOOKUP=no-name '!REMOTE_HOST_CONFIRMED'
[ "$(queries 8.0.0.127.in-addr.arpa PTR)" = 1 ] || fail "no PTR query for 127.0.0.8"
event "$MSGID_CONN_ACCEPTED" name 127.0.0.8 "$LPORT"
[[ $EVENT == *"connection from 127.0.0.8 [127.0.0.8]:$LPORT to name "* ]] ||
	fail "the accepted MESSAGE of a peer without a name is not numeric: $EVENT"
ok "no name (NXDOMAIN): logged numeric, REMOTE_HOST_LOOKUP=no-name"

# mismatch: liar.test's A record is 127.0.0.99
conn confirmed 7002 127.0.0.5 '!REMOTE_HOST' REMOTE_HOST_CONFIRMED=0 REMOTE_HOST_LOOKUP=unconfirmed
[ "$(queries liar.test A)" = 1 ] || fail "no forward lookup of liar.test"
ok "resolve=confirmed, PTR liar.test whose A is 127.0.0.99: no REMOTE_HOST, CONFIRMED=0, unconfirmed"
conn name 7001 127.0.0.5 REMOTE_HOST=liar.test REMOTE_HOST_LOOKUP=found '!REMOTE_HOST_CONFIRMED'
ok "resolve=name takes the same PTR name unconfirmed: REMOTE_HOST=liar.test"

# hostile name from /etc/hosts, in the log and in an exec'd program's environment
conn name 7001 127.0.0.6 "REMOTE_HOST=we?ird\$name" REMOTE_HOST_LOOKUP=found
out=$(psend 127.0.0.1 7006 --bind 127.0.0.6 --out "$TESTDIR/env.out" --timeout 10) ||
	fail "exec env from 127.0.0.6: $out"
grep -qxF "TCPREMOTEHOST=we?ird\$name" "$TESTDIR/env.out" ||
	fail "TCPREMOTEHOST is not the sanitised name: $(grep -a REMOTE "$TESTDIR/env.out")"
grep -qxF 'TCPREMOTEIP=127.0.0.6' "$TESTDIR/env.out" || fail "TCPREMOTEIP is not 127.0.0.6"
grep -aq '%' "$TESTDIR/env.out" && fail "a % reached the exec'd program's environment"
grep -q '%' "$DAEMON_LOG" && fail "a % reached acceptd's log"
ok "hostile name we%ird\$name: REMOTE_HOST and TCPREMOTEHOST are we?ird\$name"
out=$(psend 127.0.0.1 7006 --bind 127.0.0.8 --out "$TESTDIR/env-anon.out" --timeout 10) ||
	fail "exec env from 127.0.0.8: $out"
grep -q '^TCPREMOTEHOST=' "$TESTDIR/env-anon.out" && fail "TCPREMOTEHOST set for a peer without a name"
ok "no TCPREMOTEHOST for a peer without a name"

# resolve = "none": nothing asked at all
before=$(wc -l <"$DNSLOG")
conn none 7004 127.0.0.9 '!REMOTE_HOST' '!REMOTE_HOST_LOOKUP' '!REMOTE_HOST_CONFIRMED'
[ "$(wc -l <"$DNSLOG")" = "$before" ] || fail "resolve=none asked DNS: $(tail -n +"$((before + 1))" "$DNSLOG")"
ok "resolve=none: no query at the stub, no REMOTE_HOST, no REMOTE_HOST_LOOKUP"

# IPv6 PTR (ip6.arpa nibbles) and AAAA confirmation
if [ "$HAVE_IPV6" = yes ]; then
	conn confirmed 7002 2001:db8::10 REMOTE_HOST=v6.test REMOTE_HOST_CONFIRMED=1 \
		REMOTE_HOST_LOOKUP=found LOCAL_ADDR=::1
	nibbles=$("$PYTHON" -c 'import ipaddress; print(ipaddress.ip_address("2001:db8::10").reverse_pointer)')
	[ "$(queries "$nibbles" PTR)" = 1 ] ||
		fail "no ip6.arpa PTR query for 2001:db8::10: $(cat "$DNSLOG")"
	[ "$(queries v6.test AAAA)" = 1 ] || fail "no AAAA query for v6.test"
	ok "IPv6: 2001:db8::10 -> v6.test by an ip6.arpa PTR, confirmed by its AAAA record"
fi

# slow: the stub never answers for 127.0.0.4. For a clear margin on a loaded machine the
# resolver waits 2 s here (timeout:2 attempts:1): measured alone, it gives up after 2 s with
# EAI_AGAIN; acceptd with resolve_timeout = 0.3 serves the client well before that.
resolver_timeout 2
res=$("$PYTHON" - <<'EOF'
import socket, time
t = time.monotonic()
try:
    socket.getnameinfo(("127.0.0.4", 0), socket.NI_NAMEREQD)
    r = "answered"
except socket.gaierror as e:
    r = "EAI_AGAIN" if e.errno == socket.EAI_AGAIN else "error %s" % e
print("%s %.3f" % (r, time.monotonic() - t))
EOF
)
if [ "${res%% *}" != EAI_AGAIN ] || [ "$(usec "${res#* }")" -lt 1900000 ]; then
	fail "the resolver alone should give EAI_AGAIN after about 2 s, got: $res"
fi
note "the resolver alone on 127.0.0.4: $res s"
before=$(queries 4.0.0.127.in-addr.arpa PTR)
out=$(psend 127.0.0.1 7003 --bind 127.0.0.4 --data 'slow peer' --timeout 10) ||
	fail "slow: echo from 127.0.0.4: $out"
first=$(kv first "$out")
case $first in
[0-9]*.[0-9]*) t=$(usec "$first") ;;
*) t=0 ;;
esac
if [ "$t" -lt 290000 ] || [ "$t" -ge 1200000 ]; then
	fail "slow: the echo should come after resolve_timeout (0.3 s) and long before 2 s: $out"
fi
[ "$(queries 4.0.0.127.in-addr.arpa PTR)" -gt "$before" ] || fail "slow: the stub was not asked"
LPORT=$(kv lport "$out")
event "$MSGID_CONN_ACCEPTED" slow 127.0.0.4 "$LPORT"
expect "slow (accepted)" '!REMOTE_HOST' REMOTE_HOST_LOOKUP=timeout
event "$MSGID_CONN_ENDED" slow 127.0.0.4 "$LPORT"
expect "slow (ended)" '!REMOTE_HOST' REMOTE_HOST_LOOKUP=timeout EXIT_STATUS=0
ok "slow resolver: echo after $first s (resolve_timeout 0.3 s; the resolver alone: ${res#* } s)," \
	"REMOTE_HOST_LOOKUP=timeout"
resolver_timeout 1

# The parent's name cache: five connections, one query (and one for a negative answer too).
for i in 1 2 3 4 5; do
	conn cached 7005 127.0.0.11 REMOTE_HOST=cached.test REMOTE_HOST_LOOKUP=found
done
[ "$(queries 11.0.0.127.in-addr.arpa PTR)" = 1 ] ||
	fail "resolve_cache_ttl = 60: $(queries 11.0.0.127.in-addr.arpa PTR) PTR queries for 5 connections"
[ "$(count_events "$MSGID_CONN_ACCEPTED" ACCEPTD_SERVICE=cached REMOTE_HOST=cached.test)" = 5 ] ||
	fail "not all 5 cached connections carry REMOTE_HOST=cached.test"
ok "resolve_cache_ttl = 60: 5 connections, one PTR query, REMOTE_HOST on all 5 entries"
for i in 1 2 3; do
	conn cached 7005 127.0.0.13 '!REMOTE_HOST' REMOTE_HOST_LOOKUP=no-name
done
[ "$(queries 13.0.0.127.in-addr.arpa PTR)" = 1 ] ||
	fail "a cached no-name: $(queries 13.0.0.127.in-addr.arpa PTR) PTR queries for 3 connections"
ok "a negative answer (no-name) is cached too: 3 connections, one query"
before=$(queries 4.0.0.127.in-addr.arpa PTR)
for i in 1 2; do # resolve_timeout 2 s, the resolver's 1 s: EAI_AGAIN each time
	conn cached 7005 127.0.0.4 '!REMOTE_HOST' REMOTE_HOST_LOOKUP=timeout
done
[ "$(queries 4.0.0.127.in-addr.arpa PTR)" = "$((before + 2))" ] ||
	fail "a timed-out lookup was cached: $(queries 4.0.0.127.in-addr.arpa PTR) PTR queries," \
		"expected $((before + 2))"
ok "a timed-out lookup is not cached: asked again on the next connection"
for i in 1 2 3 4 5; do
	conn name 7001 127.0.0.12 REMOTE_HOST=uncached.test REMOTE_HOST_LOOKUP=found
done
[ "$(queries 12.0.0.127.in-addr.arpa PTR)" = 5 ] ||
	fail "resolve_cache_ttl = 0: $(queries 12.0.0.127.in-addr.arpa PTR) PTR queries for 5 connections"
ok "resolve_cache_ttl = 0: 5 connections, 5 PTR queries"
check_conf
reload_daemon
for i in 1 2; do
	conn cached 7005 127.0.0.11 REMOTE_HOST=cached.test REMOTE_HOST_LOOKUP=found
done
[ "$(queries 11.0.0.127.in-addr.arpa PTR)" = 2 ] ||
	fail "after a reload: $(queries 11.0.0.127.in-addr.arpa PTR) PTR queries in all (expected 2)"
ok "a reload clears the cache: one more query, then cached again"

# The parent never waits for a lookup: while one child waits (4 s here) for a resolver that
# never answers, other clients of the same service are served at once. One Python process
# times everything, so interpreter start-up on a loaded machine does not eat the window.
resolver_timeout 4
res=$("$PYTHON" - "$DNSLOG" 7007 127.0.0.4 127.0.0.2 127.0.0.3 127.0.0.8 127.0.0.2 127.0.0.3 <<'EOF'
import socket, sys, threading, time

log, port, slow, fast = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
asked = lambda: sum(1 for line in open(log) if line.split() == ["4.0.0.127.in-addr.arpa", "PTR"])


def echo(src, timeout):
    data = ("hello from %s" % src).encode()
    t = time.monotonic()
    s = socket.create_connection(("127.0.0.1", port), timeout, source_address=(src, 0))
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    got = b""
    while True:
        d = s.recv(4096)
        if not d:
            break
        got += d
    s.close()
    if got != data:
        raise SystemExit("%s: got %r" % (src, got))
    return time.monotonic() - t


before, out = asked(), {}
th = threading.Thread(target=lambda: out.update(slow=echo(slow, 30)), daemon=True)
th.start()
end = time.monotonic() + 10
while asked() == before:
    if time.monotonic() > end:
        raise SystemExit("the stub was never asked about %s" % slow)
    time.sleep(0.01)
times = [echo(src, 10) for src in fast]
pending = th.is_alive()
th.join(30)
print("pending=%d slow=%s fast=%s" % (pending, "%.3f" % out["slow"] if "slow" in out else "-",
                                      ",".join("%.3f" % t for t in times)))
EOF
) || fail "the stall test: $res"
note "$res"
for w in $res; do
	case $w in
	pending=*)
		[ "${w#*=}" = 1 ] || fail "the slow lookup ended before the other clients were done: $res"
		;;
	slow=-) fail "the slow client got no echo: $res" ;;
	slow=*)
		[ "$(usec "${w#*=}")" -ge 3500000 ] ||
			fail "the slow client should have waited for the resolver's 4 s: $res"
		;;
	fast=*)
		IFS=, read -ra ts <<<"${w#*=}"
		for t in "${ts[@]}"; do
			[ "$(usec "$t")" -lt 1000000 ] ||
				fail "a client waited while another child's lookup was pending: $res"
		done
		;;
	esac
done
ok "5 clients served at once while another child's lookup was pending"
wait_for at_least 1 "$MSGID_CONN_ENDED" ACCEPTD_SERVICE=patient REMOTE_ADDR=127.0.0.4 \
	REMOTE_HOST_LOOKUP=timeout EXIT_STATUS=0 ||
	fail "the slow client's connection was not logged with REMOTE_HOST_LOOKUP=timeout"
resolver_timeout 1
ok "and the slow one was served after the resolver's 4 s (its EAI_AGAIN reads timeout)"

# The parent logs connection-accepted when the child reports the name. A child killed during
# its lookup reports none: the entry must still come, without a name, before the ended one.
resolver_timeout 5
psend 127.0.0.1 7007 --bind 127.0.0.4 --data 'killed' --timeout 10 >"$TESTDIR/killed.out" &
client=$!
a_child() { [ -n "$(children_of "$DAEMON_PID")" ]; }
wait_for a_child || fail "no child for the connection from 127.0.0.4"
child=$(children_of "$DAEMON_PID" | awk '{ print $1; exit }')
kill -KILL "$child"
wait "$client" # the connection dies with the child: psend's failure is expected
wait_for find_event "$MSGID_CONN_ENDED" ACCEPTD_SERVICE=patient CHILD_PID="$child" ||
	fail "no connection-ended entry for the killed child $child"
expect "killed during the lookup (ended)" EXIT_SIGNAL=9 '!REMOTE_HOST'
ended=$EVENT
find_event "$MSGID_CONN_ACCEPTED" ACCEPTD_SERVICE=patient CHILD_PID="$child" ||
	fail "no connection-accepted entry for the child $child killed during its lookup"
expect "killed during the lookup (accepted)" REMOTE_ADDR=127.0.0.4 '!REMOTE_HOST' '!REMOTE_HOST_LOOKUP'
[ "$(grep -nxF "$EVENT" "$DAEMON_LOG" | cut -d: -f1)" -lt "$(grep -nxF "$ended" "$DAEMON_LOG" | cut -d: -f1)" ] ||
	fail "the accepted entry of the killed child comes after its ended entry"
resolver_timeout 1
ok "a child killed during its lookup: connection-accepted (no name), then connection-ended, signal 9"

[ "$(events "$MSGID_CONN_DENIED" | grep -c .)" = 0 ] || fail "unexpected refusals"
wait_for no_zombie_children || fail "zombie children: $(zombie_children "$DAEMON_PID")"
stop_daemon
proc_alive "$DNS_PID" || fail "the stub DNS server died: $(cat "$TESTDIR/dnsstub.out")"
note "$(wc -l <"$DNSLOG") DNS queries in all"
