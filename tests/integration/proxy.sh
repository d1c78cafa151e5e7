#!/bin/bash
# SPDX-License-Identifier: MIT
# PROXY protocol, receive side (PROTOCOLS.md §1). Crafted headers from proxysend.py: v1 and
# v2 (IPv4, IPv6, TLVs with a CRC32C) before a payload, in one segment, apart and trickled
# byte by byte: only the payload echoes (BYTES_IN counts it alone), and the log names the
# advertised client, the advertised destination and the proxy; LOCAL, UNKNOWN and UNSPEC use
# the real endpoints. Garbage, malformed, oversized, bad-signature and bad-CRC headers are
# closed at once, partial ones after proxy_timeout ("bad PROXY header", END_REASON=
# proxy-header), and waiting for one costs no CPU. IPv4-mapped addresses count as IPv4. An
# untrusted sender is refused in the parent (no child), also when its header
# claims an allowed client; allow/deny and max_per_source apply to the advertised client; an
# exec'd program sees it in TCPREMOTEIP and reads the payload intact. Then a real haproxy
# (send-proxy and send-proxy-v2 with TLVs): the log shows the client's address and name.
# Last, the cases acceptd 9ad8657 gets wrong (reported): v2 LOCAL with addresses, v2 UNIX, and
# over-limit clients served before the parent kills them.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
SANDBOX_HOSTS='198.51.100.7 adv.test
2001:db8::7 adv6.test
127.0.0.7 client.test
2001:db8::77 client6.test'
sandbox "$@"

MSGID_CONN_DENIED=004c7791a484488fa477ac07d1ad947b
MSGID_CONN_LIMITED=2acfb645a4c64495921eb2eb11f97bb1

HAPROXY=$(command -v haproxy || command -v /usr/sbin/haproxy) ||
	hard_error "haproxy is missing: it is a test dependency (Debian package haproxy)"

# event MSGID KEY=VALUE...: wait for such an event (in EVENT)
event() {
	wait_for find_event "$@" || fail "no event $*"
}

# good SERVICE PORT HEADER MODE SRC SPORT DST DPORT [CHECK...]: the header and a 3000-byte
# random payload; only the payload comes back, and both entries name SRC:SPORT -> DST:DPORT
# via 127.0.0.1 (SRC "-": the real endpoints, no PROXY_ADDR).
good() {
	local svc=$1 port=$2 header=$3 mode=$4 src=$5 sport=$6 dst=$7 dport=$8 out lport
	local -a via
	shift 8
	out=$(psend 127.0.0.1 "$port" --header "$header" --mode "$mode" --delay 0.005 --size 3000 \
		--timeout 20) || fail "$svc: $header ($mode): $out"
	lport=$(kv lport "$out")
	if [ "$src" = - ]; then
		src=127.0.0.1 sport=$lport dst=127.0.0.1 dport=$port via=('!PROXY_ADDR' '!PROXY_PORT')
	else
		via=(PROXY_ADDR=127.0.0.1 PROXY_PORT="$lport")
	fi
	event "$MSGID_CONN_ACCEPTED" ACCEPTD_SERVICE="$svc" REMOTE_ADDR="$src" REMOTE_PORT="$sport"
	expect "$svc: $header (accepted)" LOCAL_ADDR="$dst" LOCAL_PORT="$dport" "${via[@]}" "$@"
	event "$MSGID_CONN_ENDED" ACCEPTD_SERVICE="$svc" REMOTE_ADDR="$src" REMOTE_PORT="$sport"
	expect "$svc: $header (ended)" LOCAL_ADDR="$dst" LOCAL_PORT="$dport" "${via[@]}" "$@" \
		EXIT_STATUS=0 BYTES_IN=3000 BYTES_OUT=3000 '!END_REASON'
	ok "$svc: $header ($mode): payload alone echoed, logged as [$src]:$sport -> [$dst]:$dport"
}

# bad SERVICE PORT WHAT MIN MAX PSEND-ARGS...: the server closes without a byte after MIN..MAX
# seconds, logs "bad PROXY header" (connection-denied, from the child) and END_REASON=proxy-header.
bad() {
	local svc=$1 port=$2 what=$3 min=$4 max=$5 out lport end pid why
	shift 5
	out=$(psend 127.0.0.1 "$port" --expect-nothing --no-shut --timeout 20 "$@") ||
		fail "$svc: $what: $out"
	lport=$(kv lport "$out")
	end=$(usec "$(kv end "$out")")
	if [ "$end" -lt "$(usec "$min")" ] || [ "$end" -ge "$(usec "$max")" ]; then
		fail "$svc: $what: closed after $(kv end "$out") s, expected $min..$max s"
	fi
	event "$MSGID_CONN_DENIED" ACCEPTD_SERVICE="$svc" REMOTE_ADDR=127.0.0.1 REMOTE_PORT="$lport"
	[[ $EVENT == *": bad PROXY header: "* ]] || fail "$svc: $what: not a bad PROXY header entry: $EVENT"
	why=${EVENT#*: bad PROXY header: }
	why=${why%% | *}
	pid=${EVENT#acceptd[}
	pid=${pid%%]*}
	[ "$pid" != "$DAEMON_PID" ] || fail "$svc: $what: the parent parsed the header"
	expect "$svc: $what (denied)" PRIORITY=5 CHILD_PID="$pid" '!PROXY_ADDR'
	event "$MSGID_CONN_ENDED" ACCEPTD_SERVICE="$svc" REMOTE_ADDR=127.0.0.1 REMOTE_PORT="$lport"
	expect "$svc: $what (ended)" CHILD_PID="$pid" END_REASON=proxy-header EXIT_STATUS=0 '!PROXY_ADDR'
	ok "$svc: $what: closed after $(kv end "$out") s, bad PROXY header ($why)"
}

CAT=$(command -v cat) || hard_error "no cat program"
ENV=$(command -v env) || hard_error "no env program"
T='proxy_trusted = [ "127.0.0.1" ]'
write_conf <<EOF
services = (
  { name = "pecho"; listen = [ "127.0.0.1" ]; port = 7101; builtin = "echo";
    proxy_protocol = "any"; $T; proxy_timeout = 5; },
  { name = "pv1"; listen = [ "127.0.0.1" ]; port = 7102; builtin = "echo";
    proxy_protocol = "v1"; $T; },
  { name = "pv2"; listen = [ "127.0.0.1" ]; port = 7103; builtin = "echo";
    proxy_protocol = "v2"; $T; proxy_timeout = 5; },
  { name = "pshort"; listen = [ "127.0.0.1" ]; port = 7104; builtin = "echo";
    proxy_protocol = "any"; $T; proxy_timeout = 1; },
  { name = "pacl"; listen = [ "127.0.0.1" ]; port = 7105; builtin = "echo";
    proxy_protocol = "any"; $T; allow = [ "198.51.100.0/24" ]; deny = [ "198.51.100.66" ]; },
  { name = "plain"; listen = [ "127.0.0.1" ]; port = 7106; builtin = "echo";
    allow = [ "198.51.100.0/24" ]; },
  { name = "penv"; listen = [ "127.0.0.1" ]; port = 7107; exec = [ "$ENV" ];
    proxy_protocol = "v2"; $T; },
  { name = "pcat"; listen = [ "127.0.0.1" ]; port = 7108; exec = [ "$CAT" ];
    proxy_protocol = "any"; $T; proxy_timeout = 10; },
  { name = "plimit"; listen = [ "127.0.0.1" ]; port = 7109; builtin = "echo";
    proxy_protocol = "v1"; $T; max_per_source = 1; resolve = "none"; },
  { name = "hav1"; listen = [ "127.0.0.1" ]; port = 7110; builtin = "echo";
    proxy_protocol = "v1"; $T; },
  { name = "hav2"; listen = [ "127.0.0.1" ]; port = 7111; builtin = "echo";
    proxy_protocol = "v2"; $T; },
  { name = "plimitcat"; listen = [ "127.0.0.1" ]; port = 7112; exec = [ "$CAT" ];
    proxy_protocol = "v1"; $T; max_per_source = 1; resolve = "none"; }
);
EOF
start_daemon

A4='198.51.100.7,203.0.113.1'
A6='2001:db8::7,2001:db8::1'
# Good headers: the payload alone comes back; the log shows the advertised endpoints.
good pecho 7101 "v1,TCP4,$A4,40001,443" together 198.51.100.7 40001 203.0.113.1 443 \
	REMOTE_HOST=adv.test REMOTE_HOST_LOOKUP=found
good pecho 7101 "v1,TCP4,$A4,40002,443" separate 198.51.100.7 40002 203.0.113.1 443
good pecho 7101 "v1,TCP4,$A4,40003,443" trickle 198.51.100.7 40003 203.0.113.1 443
good pecho 7101 "v1,TCP6,$A6,40004,8443" together 2001:db8::7 40004 2001:db8::1 8443 \
	REMOTE_HOST=adv6.test
good pv1 7102 "v1,TCP4,$A4,40005,443" separate 198.51.100.7 40005 203.0.113.1 443
# IPv4-mapped advertised addresses are IPv4
good pecho 7101 "v1,TCP6,::ffff:198.51.100.7,::ffff:203.0.113.1,40006,443" together \
	198.51.100.7 40006 203.0.113.1 443 REMOTE_HOST=adv.test
good pecho 7101 "v2,PROXY,TCP6,::ffff:198.51.100.7,::ffff:203.0.113.1,40016,443" separate \
	198.51.100.7 40016 203.0.113.1 443
good pecho 7101 "v2,PROXY,TCP4,$A4,40011,443" together 198.51.100.7 40011 203.0.113.1 443 \
	REMOTE_HOST=adv.test
good pecho 7101 "v2,PROXY,TCP4,$A4,40012,443" separate 198.51.100.7 40012 203.0.113.1 443
good pecho 7101 "v2,PROXY,TCP4,$A4,40013,443,noop=5,alpn=h2,crc" trickle \
	198.51.100.7 40013 203.0.113.1 443
good pecho 7101 "v2,PROXY,TCP6,$A6,40014,8443,noop=300,crc" together \
	2001:db8::7 40014 2001:db8::1 8443 REMOTE_HOST=adv6.test
good pv2 7103 "v2,PROXY,TCP4,$A4,40015,443,noop=2000" separate 198.51.100.7 40015 203.0.113.1 443
# LOCAL, UNKNOWN, UNSPEC: the real endpoints.
good pecho 7101 "v2,LOCAL,UNSPEC" together - - - -
good pecho 7101 "v2,PROXY,UNSPEC" together - - - -
good pecho 7101 "v1,UNKNOWN" together - - - -
good pecho 7101 "v1raw,PROXY UNKNOWN 2001:db8::7 whatever follows\r\n" trickle - - - -

# Bad headers: closed at once (well before proxy_timeout, 5 s or the default 3 s), or after
# proxy_timeout when the header stays incomplete.
bad pecho 7101 "garbage (HTTP)" 0 2.5 --header 'v1raw,GET / HTTP/1.0\r\nHost: example.test\r\n\r\n'
bad pecho 7101 "bad v2 signature" 0 2.5 --header "v2,PROXY,TCP4,$A4,40031,443,badsig"
bad pecho 7101 "oversized v2 (len 3015)" 0 2.5 --header "v2,PROXY,TCP4,$A4,40032,443,noop=3000"
bad pecho 7101 "v2 CRC32C mismatch" 0 2.5 --header "v2,PROXY,TCP4,$A4,40033,443,badcrc"
bad pecho 7101 "v2 over UDP" 0 2.5 --header "v2,PROXY,UDP4,$A4,40034,443"
bad pecho 7101 "v2 version 1 command 2" 0 2.5 \
	--header 'hex,0d0a0d0a000d0a515549540a1211000cc6336407cb00710100b901bb'
bad pecho 7101 "v2 len shorter than the addresses" 0 2.5 --header "v2,PROXY,TCP4,$A4,40035,443,len=8"
bad pecho 7101 "v1 leading zero" 0 2.5 --header 'v1raw,PROXY TCP4 198.51.100.07 203.0.113.1 40036 443\r\n'
bad pecho 7101 "v1 lone LF" 0 2.5 --header 'v1raw,PROXY TCP4 198.51.100.7 203.0.113.1 40037 443\n'
bad pecho 7101 "v1 TCP4 with IPv6 addresses" 0 2.5 --header "v1,TCP4,$A6,40038,443"
bad pecho 7101 "v1 without CRLF in 107 bytes" 0 2.5 --header "v1raw,PROXY TCP4 $(printf 'x%.0s' {1..120})"
bad pv1 7102 "v2 header on a v1 service" 0 2.5 --header "v2,PROXY,TCP4,$A4,40039,443"
bad pv2 7103 "v1 header on a v2 service" 0 2.5 --header "v1,TCP4,$A4,40040,443"
bad pshort 7104 "partial v1 header" 0.9 4 --header "v1,TCP4,$A4,40041,443" --cut 20
bad pshort 7104 "partial v2 header" 0.9 4 --header "v2,PROXY,TCP4,$A4,40042,443" --cut 20
bad pshort 7104 "v2 header short of its TLVs" 0.9 4 --header "v2,PROXY,TCP4,$A4,40043,443,noop=50" --cut 40
bad pshort 7104 "no header at all" 0.9 4 --header "v1,TCP4,$A4,40044,443" --cut 0
bad pv1 7102 "partial v1 header, default proxy_timeout (3 s)" 2.9 7 --header "v1,TCP4,$A4,40046,443" --cut 30

# A partial header is waited for with SO_RCVLOWAT, not polled in a busy loop: the child
# uses next to no CPU during a 2 s window (a busy loop would burn a whole core).
"$PYTHON" "$LIBDIR/proxysend.py" 127.0.0.1 7101 --header "v2,PROXY,TCP4,$A4,40045,443,noop=40" \
	--cut 30 --expect-nothing --no-shut --timeout 30 </dev/null >"$TESTDIR/partial.out" 2>&1 &
partial=$!
PIDS+=("$partial")
child_of_daemon() { [ -n "$(children_of "$DAEMON_PID")" ]; }
wait_for child_of_daemon || fail "no child for the partial header"
read -r child _ <<<"$(children_of "$DAEMON_PID")"
cpu() { # utime + stime of the child, in clock ticks
	local u s
	u=$(proc_field "$child" 14) && s=$(proc_field "$child" 15) || return 1
	echo $((u + s))
}
t0=$(cpu) || fail "the child for the partial header is gone"
nap 2
t1=$(cpu) || fail "the child for the partial header ended early"
kill -TERM "$partial"
wait_for proc_gone "$partial" || fail "the partial sender did not stop"
[ $((t1 - t0)) -le 5 ] ||
	fail "the child waiting for the rest of a header used $((t1 - t0)) clock ticks in 2 s (busy loop?)"
event "$MSGID_CONN_ENDED" ACCEPTD_SERVICE=pecho CHILD_PID="$child"
expect "partial header, sender gone" END_REASON=proxy-header
ok "a partial header waits without a busy loop ($((t1 - t0)) clock ticks in 2 s)"

# Trust: a sender outside proxy_trusted is refused in the parent, before any fork, also when
# its header names an allowed client; without proxy_protocol a header is no credential.
refused() { # SERVICE PORT BIND WHY HEADER: refused by the parent, no child
	local out lport
	out=$(psend 127.0.0.1 "$2" --bind "$3" --header "$5" --data 'not for you' --expect-nothing \
		--timeout 10) || fail "$1: $4: $out"
	lport=$(kv lport "$out")
	event "$MSGID_CONN_DENIED" ACCEPTD_SERVICE="$1" REMOTE_ADDR="$3" REMOTE_PORT="$lport"
	[[ $EVENT == "acceptd[$DAEMON_PID]: "*" refused: $4 |"* ]] ||
		fail "$1: expected a refusal by the parent ($4): $EVENT"
	expect "$1: $4" '!CHILD_PID' '!PROXY_ADDR' PRIORITY=5
	if find_event "$MSGID_CONN_ACCEPTED" ACCEPTD_SERVICE="$1" REMOTE_PORT="$lport" ||
		find_event "$MSGID_CONN_ENDED" ACCEPTD_SERVICE="$1" REMOTE_PORT="$lport"; then
		fail "$1: a refused connection had a child: $EVENT"
	fi
}
refused pecho 7101 127.0.0.2 "not a trusted PROXY protocol sender" "v1,TCP4,$A4,40051,443"
ok "an untrusted sender (127.0.0.2) is refused in the parent, no child"
refused pacl 7105 127.0.0.2 "not a trusted PROXY protocol sender" "v2,PROXY,TCP4,$A4,40052,443"
ok "ACL bypass: an untrusted header claiming an allowed client is refused in the parent"
refused plain 7106 127.0.0.1 "not allowed" "v1,TCP4,$A4,40053,443"
ok "ACL bypass: a header to a service without proxy_protocol is data, the real peer is denied"

# allow/deny on the advertised client, in the child after the header
good pacl 7105 "v1,TCP4,$A4,40061,443" together 198.51.100.7 40061 203.0.113.1 443
denied() { # HEADER CLIENT PORT
	local out via
	out=$(psend 127.0.0.1 7105 --header "$1" --data 'denied' --expect-nothing --timeout 10) ||
		fail "pacl: $2 should be denied: $out"
	event "$MSGID_CONN_DENIED" ACCEPTD_SERVICE=pacl REMOTE_ADDR="$2" REMOTE_PORT="$3"
	via="via [127.0.0.1]:$(kv lport "$out")"
	[[ $EVENT == *"connection from [$2]:$3 $via to pacl refused: not allowed |"* ]] ||
		fail "pacl: not a refusal of $2 via the proxy: $EVENT"
	expect "pacl: $2 denied" PROXY_ADDR=127.0.0.1 PROXY_PORT="$(kv lport "$out")" PRIORITY=5
	event "$MSGID_CONN_ENDED" ACCEPTD_SERVICE=pacl REMOTE_ADDR="$2" REMOTE_PORT="$3"
	expect "pacl: $2 denied (ended)" END_REASON=denied PROXY_ADDR=127.0.0.1
	ok "pacl: advertised client $2 refused (not allowed, END_REASON=denied)"
}
denied "v1,TCP4,198.51.100.66,203.0.113.1,40062,443" 198.51.100.66 40062
denied "v2,PROXY,TCP4,192.0.2.5,203.0.113.1,40063,443" 192.0.2.5 40063
denied "v2,PROXY,TCP6,::ffff:198.51.100.66,::ffff:203.0.113.1,40064,443" 198.51.100.66 40064

# exec behind PROXY: the environment names the advertised endpoints; cat gets every byte.
out=$(psend 127.0.0.1 7107 --header "v2,PROXY,TCP4,$A4,40071,8443,noop=20,crc" \
	--out "$TESTDIR/penv.out" --timeout 10) || fail "penv: $out"
for kv in TCPREMOTEIP=198.51.100.7 TCPREMOTEPORT=40071 TCPLOCALIP=203.0.113.1 TCPLOCALPORT=8443 \
	TCPREMOTEHOST=adv.test REMOTE_ADDR=198.51.100.7 REMOTE_PORT=40071 ACCEPTD_SERVICE=penv; do
	grep -qxF "$kv" "$TESTDIR/penv.out" || fail "penv: no $kv in the exec'd program's environment"
done
ok "exec behind PROXY: TCPREMOTEIP/PORT, TCPLOCALIP/PORT and TCPREMOTEHOST name the advertised endpoints"
for m in together trickle; do
	for h in "v1,TCP4,$A4,40072,443" "v2,PROXY,TCP6,$A6,40073,443,noop=7,crc"; do
		out=$(psend 127.0.0.1 7108 --header "$h" --mode "$m" --delay 0.005 --size 20000 \
			--timeout 20) || fail "pcat: $h ($m): $out"
	done
done
ok "exec'd cat behind PROXY: 20000 bytes after v1 and v2 headers, in one segment and trickled, all back"

# max_per_source counts advertised clients: a second connection of 198.51.100.20 (held
# first one open) is killed; another client through the same proxy is served meanwhile.
C20='198.51.100.20,203.0.113.1'
"$PYTHON" "$LIBDIR/proxysend.py" 127.0.0.1 7109 --header "v1,TCP4,$C20,41000,443" --mode separate \
	--ready "$TESTDIR/first.ready" --go "$TESTDIR/first.go" --data 'first, held' --timeout 30 \
	</dev/null >"$TESTDIR/first.out" 2>&1 &
first=$!
PIDS+=("$first")
wait_for test -e "$TESTDIR/first.ready" || fail "plimit: the first connection did not start"
event "$MSGID_CONN_ACCEPTED" ACCEPTD_SERVICE=plimit REMOTE_ADDR=198.51.100.20 REMOTE_PORT=41000
out=$(psend 127.0.0.1 7109 --header "v1,TCP4,$C20,41001,443" --cut 1000 --expect-nothing \
	--timeout 10) || fail "plimit: the second connection of 198.51.100.20 was served: $out"
event "$MSGID_CONN_LIMITED" ACCEPTD_SERVICE=plimit REMOTE_ADDR=198.51.100.20 REMOTE_PORT=41001
[[ $EVENT == *"via [127.0.0.1]:$(kv lport "$out") to plimit refused: max_per_source (1) reached |"* ]] ||
	fail "plimit: not a max_per_source refusal: $EVENT"
expect "plimit: limited" PROXY_ADDR=127.0.0.1 PRIORITY=5
event "$MSGID_CONN_ENDED" ACCEPTD_SERVICE=plimit REMOTE_ADDR=198.51.100.20 REMOTE_PORT=41001
expect "plimit: limited (ended)" END_REASON=max_per_source EXIT_STATUS=0
out=$(psend 127.0.0.1 7109 --header "v1,TCP4,198.51.100.21,203.0.113.1,41002,443" --size 100 \
	--timeout 10) || fail "plimit: another advertised client was not served: $out"
proc_alive "$first" || fail "plimit: the first connection ended early: $(cat "$TESTDIR/first.out")"
: >"$TESTDIR/first.go"
wait_for proc_gone "$first" || fail "plimit: the held connection did not finish"
wait "$first" || fail "plimit: the held connection: $(cat "$TESTDIR/first.out")"
ok "max_per_source = 1 counts the advertised client: its second connection killed" \
	"(connection-limited), another client served"

# A client that connects again as soon as its last connection closed is not over
# max_per_source = 1, also behind a proxy: the parent decides when the child reports the
# header, and the last connection's process may not be reaped by then (an exec'd program
# reports nothing). 150 connections in a row from one process, each after the last closed.
for svc in plimit:7109 plimitcat:7112; do
	out=$(psend 127.0.0.1 "${svc#*:}" --header "v1,TCP4,198.51.100.31,203.0.113.1,42000,443" \
		--size 64 --repeat 150 --timeout 10) ||
		fail "${svc%:*} (max_per_source = 1 behind PROXY): a sequential client was refused: $(tail -n 1 <<<"$out")"
	[ "$(count_events "$MSGID_CONN_LIMITED" ACCEPTD_SERVICE="${svc%:*}" REMOTE_ADDR=198.51.100.31)" = 0 ] ||
		fail "${svc%:*}: connection-limited entries for a sequential client behind PROXY"
done
ok "max_per_source = 1 behind PROXY: 150 sequential connections of one client, built-in and exec, none refused"

# A real haproxy in front: send-proxy (v1) and send-proxy-v2 with CRC32C and UNIQUE_ID TLVs.
v6bind='' v6client=''
if [ "$HAVE_IPV6" = yes ]; then
	ip addr add 2001:db8::77/128 dev lo nodad || hard_error "cannot add 2001:db8::77 to lo"
	v6bind=$'\tbind ::1:8001\n' v6client=2001:db8::77
fi
cat >"$TESTDIR/haproxy.cfg" <<EOF
global
	maxconn 64
defaults
	mode tcp
	timeout connect 5s
	timeout client 30s
	timeout server 30s
frontend fe1
	bind 127.0.0.1:8001
${v6bind}	default_backend be1
backend be1
	server s1 127.0.0.1:7110 send-proxy
frontend fe2
	bind 127.0.0.1:8002
${v6bind/8001/8002}	unique-id-format %{+X}o\ %ci:%cp_%fi:%fp_%Ts_%rt
	default_backend be2
backend be2
	server s2 127.0.0.1:7111 send-proxy-v2 proxy-v2-options crc32c,unique-id
EOF
"$HAPROXY" -c -f "$TESTDIR/haproxy.cfg" >"$TESTDIR/haproxy-check.out" 2>&1 ||
	hard_error "haproxy rejects its config: $(cat "$TESTDIR/haproxy-check.out")"
"$HAPROXY" -db -f "$TESTDIR/haproxy.cfg" </dev/null >"$TESTDIR/haproxy.out" 2>&1 &
HAPROXY_PID=$!
PIDS+=("$HAPROXY_PID")
haproxy_up() { [[ $(listening) == *127.0.0.1:8001*127.0.0.1:8002* ]] || proc_gone "$HAPROXY_PID"; }
wait_for -t 20 haproxy_up || hard_error "haproxy did not listen: $(cat "$TESTDIR/haproxy.out")"
proc_alive "$HAPROXY_PID" || hard_error "haproxy did not start: $(cat "$TESTDIR/haproxy.out")"
through() { # SERVICE FRONTEND-PORT CLIENT NAME
	local out lport dst=127.0.0.1
	case $3 in *:*) dst=::1 ;; esac
	out=$(client echo "$dst" "$2" --bind "$3" --size 5000 --random --timeout 20) ||
		fail "$1: echo through haproxy from $3: $out"
	lport=$(echo "$out" | sed -n 's/.* lport=\([0-9]*\).*/\1/p')
	event "$MSGID_CONN_ACCEPTED" ACCEPTD_SERVICE="$1" REMOTE_ADDR="$3" REMOTE_PORT="$lport"
	expect "$1 from $3 (accepted)" REMOTE_HOST="$4" LOCAL_ADDR="$dst" LOCAL_PORT="$2" PROXY_ADDR=127.0.0.1
	event "$MSGID_CONN_ENDED" ACCEPTD_SERVICE="$1" REMOTE_ADDR="$3" REMOTE_PORT="$lport"
	expect "$1 from $3 (ended)" REMOTE_HOST="$4" PROXY_ADDR=127.0.0.1 BYTES_IN=5000 BYTES_OUT=5000 \
		EXIT_STATUS=0
	ok "haproxy $1: client [$3]:$lport logged as REMOTE_ADDR=$3 REMOTE_HOST=$4, haproxy as PROXY_ADDR"
}
through hav1 8001 127.0.0.7 client.test
through hav2 8002 127.0.0.7 client.test
if [ -n "$v6client" ]; then
	through hav1 8001 "$v6client" client6.test
	through hav2 8002 "$v6client" client6.test
fi
[ "$(count_events "$MSGID_CONN_ACCEPTED" REMOTE_ADDR=127.0.0.1 ACCEPTD_SERVICE=hav1)$(
	count_events "$MSGID_CONN_ACCEPTED" REMOTE_ADDR=127.0.0.1 ACCEPTD_SERVICE=hav2)" = 00 ] ||
	fail "a connection through haproxy was logged with haproxy's address as REMOTE_ADDR"
[ "$(count_events "$MSGID_CONN_DENIED" ACCEPTD_SERVICE=hav1)$(
	count_events "$MSGID_CONN_DENIED" ACCEPTD_SERVICE=hav2)" = 00 ] ||
	fail "haproxy's headers were refused"

# Last, as they fail with acceptd 9ad8657 (reported): v2 LOCAL must ignore the family and the
# address block (PROTOCOLS.md §1), and UNIX addresses mean the real endpoints (keys-spec).
good pecho 7101 "v2,LOCAL,TCP4,$A4,40021,443" separate - - - -
good pecho 7101 "v2,LOCAL,TCP6,$A6,40022,443,crc" together - - - -
good pecho 7101 "v2,PROXY,UNIX,/run/client.sock,/run/server.sock" together - - - -

# And a client over max_per_source must not be served at all, even when its header and data
# arrive together (with 9ad8657 the child serves while the parent decides).
"$PYTHON" "$LIBDIR/proxysend.py" 127.0.0.1 7109 --header "v1,TCP4,198.51.100.30,203.0.113.1,43000,443" \
	--mode separate --ready "$TESTDIR/held.ready" --go "$TESTDIR/held.go" --data 'held' --timeout 60 \
	</dev/null >"$TESTDIR/held.out" 2>&1 &
held=$!
PIDS+=("$held")
wait_for test -e "$TESTDIR/held.ready" || fail "plimit: the held connection did not start"
event "$MSGID_CONN_ACCEPTED" ACCEPTD_SERVICE=plimit REMOTE_ADDR=198.51.100.30 REMOTE_PORT=43000
res=$("$PYTHON" - <<'EOF'
import socket
leaked = []
for i in range(10):
    s = socket.create_connection(("127.0.0.1", 7109), 10)
    s.sendall(b"PROXY TCP4 198.51.100.30 203.0.113.1 %d 443\r\nover the limit" % (43001 + i))
    s.shutdown(socket.SHUT_WR)
    got = b""
    try:
        while True:
            d = s.recv(4096)
            if not d:
                break
            got += d
    except ConnectionResetError:
        pass
    s.close()
    if got:
        leaked.append("%d:%r" % (43001 + i, got))
print("%d of 10 served: %s" % (len(leaked), " ".join(leaked)))
EOF
) || fail "plimit: the over-limit clients: $res"
: >"$TESTDIR/held.go"
wait_for proc_gone "$held" || fail "plimit: the held connection did not finish"
wait "$held" || fail "plimit: the held connection: $(cat "$TESTDIR/held.out")"
[ "${res%% *}" = 0 ] || fail "max_per_source: connections over the limit were served: $res"
wait_for at_least 10 "$MSGID_CONN_ENDED" ACCEPTD_SERVICE=plimit REMOTE_ADDR=198.51.100.30 \
	END_REASON=max_per_source || fail "max_per_source: not every over-limit connection ended as such"
ok "max_per_source: no byte for 10 over-limit clients whose header and data came together"

kill -TERM "$HAPROXY_PID"
wait_for proc_gone "$HAPROXY_PID" || fail "haproxy did not stop"
wait_for no_zombie_children || fail "zombie children: $(zombie_children "$DAEMON_PID")"
stop_daemon

