#!/bin/bash
# SPDX-License-Identifier: MIT
# Scale-out (DESIGN.md §12): three network namespaces made by the test, joined by veth pairs
# and numbered from the documentation ranges only. The front runs haproxy and the clients;
# two backends each run acceptd with proxy_protocol = "v2", trusting the front's address on
# their link. haproxy balances roundrobin over both with send-proxy-v2: 20 connections are
# all served, by both backends, and each backend logs the real client (address and name from
# /etc/hosts), never haproxy's address, and filters on it (a denied client is refused there).
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
SANDBOX_HOSTS='198.51.100.7 client.test'
sandbox "$@"

MSGID_CONN_DENIED=004c7791a484488fa477ac07d1ad947b

HAPROXY=$(command -v haproxy || command -v /usr/sbin/haproxy) ||
	hard_error "haproxy is missing: it is a test dependency (Debian package haproxy)"

# Names from the random part of $TESTDIR ($$ is 1 in the sandbox's pid namespace; /run and
# its netns directory are private to this test anyway). Interface names stay under 16 bytes.
TAG=${TESTDIR##*.}
FRONT=acc-front-$TAG
BACK1=acc-back1-$TAG
BACK2=acc-back2-$TAG
NETNS=()

# set_status N: $? = N for the next command (no fork)
set_status() { return "$1"; }
# The EXIT trap: stop what runs in the namespaces, delete them, then lib.sh's cleanup.
scaleout_cleanup() {
	local rc=$? pid ns
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${PIDS[@]}"; do
		wait_for -t 3 proc_gone "$pid" || kill -KILL "$pid" 2>/dev/null
	done
	for ns in "${NETNS[@]}"; do
		ip netns del "$ns" || echo "# could not delete network namespace $ns"
	done
	set_status "$rc"
	cleanup
}
trap scaleout_cleanup EXIT

err=$(ip netns add "$FRONT" 2>&1) || skip "ip netns add refused: $err"
NETNS+=("$FRONT")
for ns in "$BACK1" "$BACK2"; do
	ip netns add "$ns" || hard_error "ip netns add $ns failed"
	NETNS+=("$ns")
done
# veth pairs front <-> back1 (192.0.2.0/30) and front <-> back2 (192.0.2.4/30)
for i in 1 2; do
	err=$(ip link add "f$i-$TAG" netns "$FRONT" type veth peer name "b$i-$TAG" netns \
		"acc-back$i-$TAG" 2>&1) || skip "cannot create a veth pair: $err"
done
F="ip -n $FRONT"
$F link set lo up
$F addr add 192.0.2.1/30 dev "f1-$TAG"
$F addr add 192.0.2.5/30 dev "f2-$TAG"
for a in 198.51.100.1 198.51.100.7 198.51.100.66; do # haproxy's frontend and two clients
	$F addr add "$a/32" dev lo
done
$F link set "f1-$TAG" up
$F link set "f2-$TAG" up
ip -n "$BACK1" addr add 192.0.2.2/30 dev "b1-$TAG"
ip -n "$BACK2" addr add 192.0.2.6/30 dev "b2-$TAG"
for i in 1 2; do
	ip -n "acc-back$i-$TAG" link set lo up
	ip -n "acc-back$i-$TAG" link set "b$i-$TAG" up
done
link_up() { # NETNS DEV
	ip -n "$1" -br link show dev "$2" 2>/dev/null | grep -q ' UP '
}
for i in 1 2; do
	wait_for link_up "$FRONT" "f$i-$TAG" || hard_error "f$i-$TAG did not come up"
	wait_for link_up "acc-back$i-$TAG" "b$i-$TAG" || hard_error "b$i-$TAG did not come up"
done
ok "namespaces $FRONT, $BACK1, $BACK2 joined by veth: 192.0.2.1-192.0.2.2 and 192.0.2.5-192.0.2.6"

# start_backend N ADDR TRUSTED: acceptd in acc-backN; sets BPID_N and BLOG_N
start_backend() {
	local n=$1 pid
	write_conf "back$n.conf" <<EOF
services = (
  { name = "farm"; listen = [ "$2" ]; port = 7007; builtin = "echo";
    proxy_protocol = "v2"; proxy_trusted = [ "$3" ]; deny = [ "198.51.100.66" ]; }
);
EOF
	check_conf "$CONF"
	NOTIFY_SOCKET=$NOTIFY_SOCK ip netns exec "acc-back$n-$TAG" "$ACCEPTD" -f -c "$CONF" \
		</dev/null >"$TESTDIR/back$n.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	printf -v "BPID_$n" %s "$pid"
	printf -v "BLOG_$n" %s "$TESTDIR/back$n.log"
}
backend_ready() { # PID: its READY=1 came, or it is gone
	grep -Eq "^$1 (.* )?READY=1( |\$)" "$NOTIFY_LOG" || proc_gone "$1"
}
start_backend 1 192.0.2.2 192.0.2.1
start_backend 2 192.0.2.6 192.0.2.5
# shellcheck disable=SC2154 # BPID_*, BLOG_* are set by start_backend through printf -v
for pid in "$BPID_1" "$BPID_2"; do
	wait_for backend_ready "$pid" || fail "acceptd (pid $pid) sent no READY=1"
	proc_alive "$pid" || fail "acceptd (pid $pid) exited before READY=1"
	[ "$(readlink "/proc/$pid/exe")" = "$(readlink -f "$ACCEPTD")" ] ||
		hard_error "pid $pid is not acceptd (ip netns exec forked?)"
done
ok "acceptd ready in $BACK1 (pid $BPID_1) and $BACK2 (pid $BPID_2)"

cat >"$TESTDIR/haproxy.cfg" <<EOF
global
	maxconn 64
defaults
	mode tcp
	timeout connect 5s
	timeout client 30s
	timeout server 30s
frontend front
	bind 198.51.100.1:8080
	default_backend farm
backend farm
	balance roundrobin
	server back1 192.0.2.2:7007 send-proxy-v2
	server back2 192.0.2.6:7007 send-proxy-v2
EOF
"$HAPROXY" -c -f "$TESTDIR/haproxy.cfg" >"$TESTDIR/haproxy-check.out" 2>&1 ||
	hard_error "haproxy rejects its config: $(cat "$TESTDIR/haproxy-check.out")"
ip netns exec "$FRONT" "$HAPROXY" -db -f "$TESTDIR/haproxy.cfg" </dev/null >"$TESTDIR/haproxy.out" 2>&1 &
HAPROXY_PID=$!
PIDS+=("$HAPROXY_PID")
haproxy_up() {
	ip netns exec "$FRONT" ss -ltnH | grep -q ' 198\.51\.100\.1:8080 ' || proc_gone "$HAPROXY_PID"
}
wait_for -t 20 haproxy_up || hard_error "haproxy did not listen: $(cat "$TESTDIR/haproxy.out")"
proc_alive "$HAPROXY_PID" || hard_error "haproxy did not start: $(cat "$TESTDIR/haproxy.out")"
ok "haproxy in $FRONT on 198.51.100.1:8080, roundrobin over both backends with send-proxy-v2"

# clients SOURCE N EXPECT: N sequential connections from SOURCE through haproxy, each with a
# random payload; EXPECT echo (all echoed) or refused (closed without a byte). Prints one
# local port a line.
clients() {
	ip netns exec "$FRONT" "$PYTHON" - "$@" <<'EOF'
import os, socket, sys

src, n, expect = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for i in range(n):
    data = os.urandom(1000 + i)
    s = socket.create_connection(("198.51.100.1", 8080), 20, source_address=(src, 0))
    port = s.getsockname()[1]
    try:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    got = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            got += d
    except ConnectionResetError:
        pass
    s.close()
    want = data if expect == "echo" else b""
    if got != want:
        sys.exit("connection %d from %s:%d: got %d bytes, expected %d"
                 % (i, src, port, len(got), len(want)))
    print(port)
EOF
}
ports=$(clients 198.51.100.7 20 echo) || fail "clients through haproxy: $ports"
[ "$(wc -l <<<"$ports")" = 20 ] || fail "expected 20 client ports: $ports"

# ended_in LOG PORT: 1 if LOG has the client's connection from PORT as ended (served), else 0
ended_in() {
	grep -E " MESSAGE_ID=$MSGID_CONN_ENDED " "$1" | with_fields ACCEPTD_SERVICE=farm \
		REMOTE_ADDR=198.51.100.7 REMOTE_PORT="$2" REMOTE_HOST=client.test EXIT_STATUS=0 | grep -c .
}
all_logged() {
	local p
	for p in $ports; do
		[ $(($(ended_in "$BLOG_1" "$p") + $(ended_in "$BLOG_2" "$p"))) = 1 ] || return 1
	done
}
wait_for all_logged || fail "not every connection was logged exactly once by a backend"
n1=0 n2=0
for p in $ports; do
	if [ "$(ended_in "$BLOG_1" "$p")" = 1 ]; then n1=$((n1 + 1)); else n2=$((n2 + 1)); fi
done
if [ "$n1" = 0 ] || [ "$n2" = 0 ]; then
	fail "one backend served everything: back1 $n1, back2 $n2"
fi
ok "20 connections from 198.51.100.7 all echoed: back1 served $n1, back2 $n2"

# Each backend: every connection under the real client, the proxy its own link's front address.
check_backend() { # N PROXY-ADDR COUNT
	local log=$TESTDIR/back$1.log l bad
	bad=$(events "$MSGID_CONN_ACCEPTED" "$log" | with_fields ACCEPTD_SERVICE=farm |
		grep -v -F " REMOTE_ADDR=198.51.100.7 " || :)
	[ -z "$bad" ] || fail "back$1 logged a connection from someone else than the client: $bad"
	bad=$(events "$MSGID_CONN_ACCEPTED" "$log" | grep -E " REMOTE_ADDR=192\.0\.2\.[0-9]+ " || :)
	[ -z "$bad" ] || fail "back$1 logged haproxy's address as the client: $bad"
	l=$(events "$MSGID_CONN_ACCEPTED" "$log" | with_fields ACCEPTD_SERVICE=farm REMOTE_ADDR=198.51.100.7 \
		REMOTE_HOST=client.test LOCAL_ADDR=198.51.100.1 LOCAL_PORT=8080 PROXY_ADDR="$2" | grep -c .)
	[ "$l" = "$3" ] || fail "back$1: $l accepted entries name the client, its name," \
		"haproxy's frontend and proxy $2 (expected $3)"
	ok "back$1 logs the real client 198.51.100.7 (client.test) for all $3, via $2, to 198.51.100.1:8080"
}
check_backend 1 192.0.2.1 "$n1"
check_backend 2 192.0.2.5 "$n2"

# Filtering on the real client: 198.51.100.66 is denied on both backends.
out=$(clients 198.51.100.66 4 refused) || fail "a denied client through haproxy got data: $out"
denied_count() {
	local n=0 i
	for i in 1 2; do
		n=$((n + $(events "$MSGID_CONN_ENDED" "$TESTDIR/back$i.log" |
			with_fields REMOTE_ADDR=198.51.100.66 END_REASON=denied | grep -c .)))
	done
	[ "$n" -ge 4 ]
}
wait_for denied_count || fail "the denied client's 4 connections were not logged as denied"
for i in 1 2; do
	[ "$(events "$MSGID_CONN_DENIED" "$TESTDIR/back$i.log" | with_fields REMOTE_ADDR=198.51.100.66 |
		grep -c 'refused: not allowed')" -ge 1 ] || fail "back$i did not refuse 198.51.100.66"
done
ok "198.51.100.66 (deny list) refused by both backends on the address from the PROXY header"

kill -TERM "$HAPROXY_PID"
wait_for proc_gone "$HAPROXY_PID" || fail "haproxy did not stop"
for i in 1 2; do
	pid=BPID_$i
	kill -TERM "${!pid}"
	wait_for proc_gone "${!pid}" || fail "acceptd in acc-back$i did not stop"
	rc=0
	wait "${!pid}" || rc=$?
	[ "$rc" = 0 ] || fail "acceptd in acc-back$i exited with $rc"
	check_daemon_log "$TESTDIR/back$i.log"
done
ok "haproxy and both acceptd stopped, exit 0, clean logs"
