#!/bin/bash
# SPDX-License-Identifier: MIT
#
# bench/run.sh [BUILDDIR]: measure acceptd against the minimal fork-per-connection
# reference and its peers (xinetd, openbsd-inetd, tcpserver, socat), side by side,
# interleaved, in a private network and mount namespace. See bench/README.md.
#
# Environment:
#   ACCEPTD          the acceptd binary (default BUILDDIR/src/acceptd)
#   BENCH_ACCEPTD_SOURCE  what it was built from, for the report (default: BUILDDIR's source tree and git)
#   BUILDDIR         the build tree (default: the first argument, else the source tree)
#   CC, CFLAGS       for the bench programs (cc, -O2)
#   BENCH_QUICK=1    a short run: 1 s per point, 1 round, 200 held connections
#   BENCH_DURATION   seconds per point (3)       BENCH_ROUNDS  rounds (3)
#   BENCH_CONC       concurrencies ("1 8 64")    BENCH_PAYLOAD bytes (64)
#   BENCH_HOLD       connections held for the memory run (1000; 0 skips it)
#   BENCH_CASES      only these cases (names as in the table), space-separated
#   BENCH_RESULTS    where results go (default: bench/results in the source tree)
#   BENCH_CACHE      where xinetd and openbsd-inetd are unpacked (/var/cache/acceptd-bench)
#   BENCH_NO_INSTALL=1  never call apt-get; missing peers are skipped, and said so
#
# Exit: 0 done (targets missed are reported, not failures), 77 cannot run here, 1 error.

set -u
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC_DIR=$(cd "$BENCH_DIR/.." && pwd)

skip() {
	echo "SKIP: $*" >&2
	exit 77
}
die() {
	echo "bench: $*" >&2
	exit 1
}
say() {
	echo "# $*" >&2
}

# ---------------------------------------------------------------------------------------------
# Outside the sandbox: binaries, peers, then re-exec in private namespaces.
# ---------------------------------------------------------------------------------------------
if [ "${ACCEPTD_BENCH_INSIDE:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || skip "needs root (network and mount namespaces, private /etc files)"
	err=$(unshare --net --mount --pid --fork --mount-proc true 2>&1) ||
		skip "unshare refused: $err"
	BUILDDIR=${BUILDDIR:-${1:-$SRC_DIR}}
	BUILDDIR=$(cd "$BUILDDIR" && pwd) || die "no build directory $BUILDDIR"
	ACCEPTD=${ACCEPTD:-$BUILDDIR/src/acceptd}
	[ -x "$ACCEPTD" ] || die "no acceptd binary at $ACCEPTD (build first, or set ACCEPTD)"
	BENCH_BIN=$BUILDDIR/bench
	mkdir -p "$BENCH_BIN" || die "cannot create $BENCH_BIN"
	for p in loadgen refserver forkrate dnsstub; do
		if [ ! -x "$BENCH_BIN/$p" ] || [ "$BENCH_DIR/$p.c" -nt "$BENCH_BIN/$p" ]; then
			# shellcheck disable=SC2086 # CFLAGS is a list of flags
			${CC:-cc} ${CFLAGS:--O2} -Wall -o "$BENCH_BIN/$p" "$BENCH_DIR/$p.c" ||
				die "cannot build $p"
		fi
	done

	# Peers. xinetd and openbsd-inetd conflict in dpkg (both provide inet-superserver), and
	# neither may run as the system's service: both are unpacked (dpkg-deb -x, no maintainer
	# scripts, so nothing is started or enabled) into a cache and run from there.
	BENCH_CACHE=${BENCH_CACHE:-/var/cache/acceptd-bench}
	apt_install() {
		[ "${BENCH_NO_INSTALL:-}" = 1 ] && return 1
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" \
			>>"$BENCH_CACHE/apt.log" 2>&1 && return 0
		[ -n "${APT_UPDATED:-}" ] && return 1
		APT_UPDATED=1
		apt-get update -q >>"$BENCH_CACHE/apt.log" 2>&1 || return 1
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" \
			>>"$BENCH_CACHE/apt.log" 2>&1
	}
	unpack() { # unpack PACKAGE BINARY: the binary, from the system or unpacked into the cache
		local pkg=$1 bin=$2
		[ -x "$BENCH_CACHE/root$bin" ] && return 0
		[ "${BENCH_NO_INSTALL:-}" = 1 ] && return 1
		(cd "$BENCH_CACHE" && rm -f "$pkg"_*.deb &&
			{ apt-get download "$pkg" >>apt.log 2>&1 ||
				{ apt-get update -q >>apt.log 2>&1 && apt-get download "$pkg" >>apt.log 2>&1; }; } &&
			dpkg-deb -x "$pkg"_*.deb root) || return 1
		[ -x "$BENCH_CACHE/root$bin" ]
	}
	mkdir -p "$BENCH_CACHE" || die "cannot create $BENCH_CACHE"
	command -v tcpserver >/dev/null || apt_install ucspi-tcp || say "ucspi-tcp not installed"
	command -v socat >/dev/null || apt_install socat || say "socat not installed"
	command -v gnuplot >/dev/null || apt_install gnuplot-nox || say "gnuplot not installed: no plot"
	# The libraries the unpacked daemons need (dependencies of the two packages).
	for lib in libwrap.so.0 libtirpc.so.3 libevent-2.1.so.7 libbsd.so.0; do
		ldconfig -p | grep -q "$lib" && continue
		apt_install libwrap0 libtirpc3 libevent-2.1-7 libbsd0 || say "peer libraries missing"
		break
	done
	unpack xinetd /usr/sbin/xinetd || say "xinetd not available"
	unpack openbsd-inetd /usr/sbin/inetd || say "openbsd-inetd not available"

	export ACCEPTD_BENCH_INSIDE=1 ACCEPTD BUILDDIR BENCH_BIN BENCH_CACHE
	export BENCH_RESULTS=${BENCH_RESULTS:-$BENCH_DIR/results}
	exec unshare --net --mount --pid --fork --kill-child=SIGTERM --mount-proc \
		--propagation private -- bash "${BASH_SOURCE[0]}" "$@"
fi

# ---------------------------------------------------------------------------------------------
# Inside: pid 1 of a private pid namespace; loopback only; private /etc files and journald.
# ---------------------------------------------------------------------------------------------
QUICK=${BENCH_QUICK:-}
DUR=${BENCH_DURATION:-$([ -n "$QUICK" ] && echo 1 || echo 3)}
ROUNDS=${BENCH_ROUNDS:-$([ -n "$QUICK" ] && echo 1 || echo 3)}
CONC=${BENCH_CONC:-1 8 64}
PAYLOAD=${BENCH_PAYLOAD:-64}
HOLD=${BENCH_HOLD:-$([ -n "$QUICK" ] && echo 200 || echo 1000)}
REPEAT_SRC=127.0.0.2               # "repeat clients": every connection from one address
MANY_SRC=127.1.0.1-127.1.255.254   # "many distinct clients": 65534 addresses, random start
LG=$BENCH_BIN/loadgen
STAMP=$(date -u +%Y%m%d-%H%M%S)

T=$(mktemp -d /tmp/acc-bench.XXXXXX) || die "mktemp"
chmod 755 "$T"
PIDS=()
cleanup() {
	local i
	trap - EXIT
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill -TERM "${PIDS[i]}" 2>/dev/null; done
	sleep 0.3
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill -KILL "${PIDS[i]}" 2>/dev/null; done
	if [ -n "${BENCH_KEEP:-}" ]; then say "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

ip link set lo up || die "cannot bring lo up"
# As on a systemd host (sysctl.d/50-default.conf): the kernel's default, 10 datagrams, would make
# journald's socket overflow at once under load. A new network namespace starts at 10 again.
sysctl -qw net.unix.max_dgram_qlen=512 || die "cannot set net.unix.max_dgram_qlen"
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
mount -t tmpfs -o mode=0755 tmpfs /run || die "tmpfs /run"
mkdir -p /run/systemd/journal /run/log/journal

# Private names: only loopback, a resolver that is our stub, files then dns.
printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' >"$T/hosts"
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$T/resolv.conf"
{ sed -E '/^hosts:/d' /etc/nsswitch.conf 2>/dev/null; echo 'hosts: files dns'; } >"$T/nsswitch.conf"
printf '[Journal]\nStorage=volatile\nRateLimitBurst=0\nRateLimitIntervalSec=0\nForwardToSyslog=no\nForwardToWall=no\nRuntimeMaxUse=2G\n' \
	>"$T/journald.conf"
chmod 644 "$T"/hosts "$T"/resolv.conf "$T"/nsswitch.conf "$T"/journald.conf
private_file() { # private_file DEST SRC
	local target
	target=$(readlink -f "$1")
	if [ -e "$target" ]; then
		mount --bind "$2" "$target" || die "cannot bind-mount $2 on $target"
	elif [ "${target#/run/}" != "$target" ]; then
		{ mkdir -p "$(dirname "$target")" && cp "$2" "$target"; } || die "cannot create $target"
	elif [ "$1" != /etc/resolv.conf ]; then
		die "cannot make a private $1"
	fi # no resolv.conf at all: glibc asks 127.0.0.1, which is ours
}
private_file /etc/hosts "$T/hosts"
private_file /etc/resolv.conf "$T/resolv.conf"
private_file /etc/nsswitch.conf "$T/nsswitch.conf"
mkdir -p /etc/systemd && private_file /etc/systemd/journald.conf "$T/journald.conf"
[ -d /var/log/journal ] && mount -t tmpfs tmpfs /var/log/journal

# ---- helpers ----
now_us() { local t=$EPOCHREALTIME; echo "${t//[.,]/}"; }
wait_until() { # wait_until SECONDS CMD...
	local end=$(($(now_us) + $1 * 1000000))
	shift
	until "$@"; do
		[ "$(now_us)" -lt "$end" ] || return 1
		sleep 0.02
	done
}
listening_on() { ss -ltnH "sport = :$1" | grep -q LISTEN; }
# CPU seconds x100 (clock ticks) of PID: "self children"
cpu_ticks() {
	local s
	read -r s <"/proc/$1/stat" 2>/dev/null || { echo "0 0"; return; }
	s=${s##*) }
	local -a f
	read -ra f <<<"$s"
	# fields 14-17 of stat(5): utime stime cutime cstime (f[0] is field 3)
	echo "$((f[11] + f[12])) $((f[13] + f[14]))"
}
sys_busy() { # busy jiffies of the whole machine (all CPUs)
	local u n s q sq st
	read -r _ u n s _ _ q sq st _ </proc/stat
	echo $((u + n + s + q + sq + st))
}
nprocs() { local -a p=(/proc/[0-9]*); echo "${#p[@]}"; }

# ---- DNS stub and journald ----
"$BENCH_BIN/dnsstub" 127.0.0.1 53 &
PIDS+=("$!")
wait_until 5 grep -q ':0035 ' /proc/net/udp || die "dnsstub did not bind port 53"
getent hosts 127.1.2.3 | grep -q h127-1-2-3.bench.test || die "the DNS stub does not answer PTR"
/lib/systemd/systemd-journald </dev/null >"$T/journald.out" 2>&1 &
JOURNALD_PID=$!
PIDS+=("$JOURNALD_PID")
wait_until 10 test -S /run/systemd/journal/socket -a -S /run/systemd/journal/stdout ||
	die "journald did not start"

# ---- servers ----
declare -A SRV_PID SRV_NOTE
CASES=()   # "name|server|port|mode|source|work"
add_case() { CASES+=("$1|$2|$3|$4|$5|$6"); }
start() { # start SERVER PORT CMD...: run in the background, wait for PORT to listen
	local name=$1 port=$2
	shift 2
	"$@" </dev/null >"$T/$name.out" 2>&1 &
	SRV_PID[$name]=$!
	PIDS+=("$!")
	wait_until 10 listening_on "$port" || { cat "$T/$name.out" >&2; die "$name does not listen on $port"; }
}

start ref 9001 "$BENCH_BIN/refserver" 127.0.0.1 9001
SRV_NOTE[ref]="accept, fork, echo, _exit; SA_NOCLDWAIT"
start ref-wait 9002 "$BENCH_BIN/refserver" -w 127.0.0.1 9002
SRV_NOTE[ref-wait]="the same, reaped with waitpid() from a SIGCHLD handler"
start ref-gni 9009 "$BENCH_BIN/refserver" -g 127.0.0.1 9009
SRV_NOTE[ref-gni]="the same plus getnameinfo(NI_NAMEREQD) in each child"

acceptd_conf() { # acceptd_conf FILE LOG_CONNECTIONS BASEPORT [SERVICE_NAME_PREFIX [SPARES]]
	cat >"$1" <<EOF
daemon = { max_connections = 100000; log_connections = "$2";${5:+ spares = $5;} };
services = (
  { name = "${4:-}echo"; listen = [ "127.0.0.1" ]; port = $3; builtin = "echo"; resolve = "none"; },
  { name = "${4:-}echo-name"; listen = [ "127.0.0.1" ]; port = $(($3 + 1)); builtin = "echo"; resolve = "name"; },
  { name = "${4:-}cat"; listen = [ "127.0.0.1" ]; port = $(($3 + 2)); exec = [ "/bin/cat" ]; resolve = "none"; },
  { name = "${4:-}cat-name"; listen = [ "127.0.0.1" ]; port = $(($3 + 3)); exec = [ "/bin/cat" ]; resolve = "name"; }
);
EOF
	"$ACCEPTD" -t -c "$1" >/dev/null || die "acceptd -t rejected $1"
}
acceptd_conf "$T/acceptd.conf" both 9100
acceptd_conf "$T/acceptd-nolog.conf" none 9200
start acceptd 9103 "$ACCEPTD" -f -c "$T/acceptd.conf"
SRV_NOTE[acceptd]="log_connections = both, to the private journald"
start acceptd-nolog 9203 "$ACCEPTD" -f -c "$T/acceptd-nolog.conf"
SRV_NOTE[acceptd-nolog]="log_connections = none"
acceptd_conf "$T/acceptd-spares.conf" both 9800 spares- 2
start acceptd-spares 9803 "$ACCEPTD" -f -c "$T/acceptd-spares.conf"
SRV_NOTE[acceptd-spares]="as acceptd, with daemon.spares = 2: children forked ahead, not by the accept loop"
# Other builds of acceptd to compare (a patch under test): BENCH_ACCEPTD_EXTRA="LABEL=PATH ...";
# each gets the same configuration as `acceptd` and the cases LABEL and LABEL-exec.
EXTRA=()
xport=9700
for x in ${BENCH_ACCEPTD_EXTRA:-}; do
	xl=${x%%=*} xb=${x#*=}
	[ -x "$xb" ] || die "BENCH_ACCEPTD_EXTRA: no binary at $xb"
	acceptd_conf "$T/$xl.conf" both "$xport" "$xl-"
	start "$xl" $((xport + 3)) "$xb" -f -c "$T/$xl.conf"
	SRV_NOTE[$xl]="another acceptd build ($xb), configured as acceptd"
	EXTRA+=("$xl|$xport")
	xport=$((xport + 10))
done

have() { [ -x "$1" ] || command -v "$1" >/dev/null 2>&1; }
XINETD=$BENCH_CACHE/root/usr/sbin/xinetd
have "$XINETD" || XINETD=$(command -v xinetd || true)
if [ -n "$XINETD" ] && have "$XINETD"; then
	cat >"$T/xinetd.conf" <<EOF
defaults
{
	instances      = UNLIMITED
	per_source     = UNLIMITED
	cps            = 1000000 1
	log_type       = FILE $T/xinetd.log
	log_on_success = PID HOST DURATION EXIT
	log_on_failure = HOST
}
service echo
{
	type        = INTERNAL UNLISTED
	id          = echo-stream
	socket_type = stream
	protocol    = tcp
	wait        = no
	user        = root
	bind        = 127.0.0.1
	port        = 9301
}
service bench-cat
{
	type        = UNLISTED
	socket_type = stream
	protocol    = tcp
	wait        = no
	user        = root
	server      = /bin/cat
	bind        = 127.0.0.1
	port        = 9302
}
EOF
	start xinetd 9302 "$XINETD" -dontfork -f "$T/xinetd.conf" -pidfile "$T/xinetd.pid"
	wait_until 5 listening_on 9301 || die "xinetd echo does not listen"
	SRV_NOTE[xinetd]="instances = UNLIMITED, per_source = UNLIMITED, cps = 1000000 1 (default 50/s then 10 s off); logs PID HOST DURATION EXIT to a file"
fi
INETD=$BENCH_CACHE/root/usr/sbin/inetd
have "$INETD" || INETD=$(command -v inetd || true)
if [ -n "$INETD" ] && have "$INETD"; then
	# Internal services are found by their official name: echo is on port 7 (private here).
	printf '127.0.0.1:echo stream tcp nowait.1000000000 root internal\n127.0.0.1:9402 stream tcp nowait.1000000000 root /bin/cat cat\n' \
		>"$T/inetd.conf"
	start inetd 9402 "$INETD" -i -R 1000000000 "$T/inetd.conf"
	wait_until 5 listening_on 7 || die "inetd echo does not listen on 7"
	SRV_NOTE[inetd]="-R 1000000000 and nowait.1000000000 (default 256 a minute, then 10 min off); no -l (libwrap)"
fi
if have tcpserver; then
	start tcpserver 9501 tcpserver -H -R -l localhost -c 100000 -b 128 127.0.0.1 9501 /bin/cat
	start tcpserver-dns 9502 tcpserver -h -R -l localhost -c 100000 -b 128 127.0.0.1 9502 /bin/cat
	SRV_NOTE[tcpserver]="-c 100000 (default 40 concurrent), -b 128 (default backlog 20), -H -R, -l localhost"
	SRV_NOTE[tcpserver-dns]="the same with -h: PTR lookup of every client (its own DNS client, to the stub)"
fi
if have socat; then
	start socat 9601 socat TCP-LISTEN:9601,bind=127.0.0.1,fork,reuseaddr,backlog=128 EXEC:/bin/cat
	SRV_NOTE[socat]="backlog=128 (default 5); no child limit by default"
fi

#         case              server         port  mode  source        work
add_case ref                ref            9001  echo  -             echo
add_case ref-wait           ref-wait       9002  echo  -             echo
add_case acceptd            acceptd        9100  echo  -             echo
add_case acceptd-nolog      acceptd-nolog  9200  echo  -             echo
add_case acceptd-spares     acceptd-spares 9800  echo  -             echo
for x in "${EXTRA[@]}"; do add_case "${x%%|*}" "${x%%|*}" "${x#*|}" echo - echo; done
[ -n "${SRV_PID[xinetd]:-}" ] && add_case xinetd-echo xinetd 9301 echo - echo
[ -n "${SRV_PID[inetd]:-}" ] && add_case inetd-echo inetd 7 echo - echo
add_case ref-gni            ref-gni        9009  echo  "$MANY_SRC"   echo-dns
add_case acceptd-name-repeat acceptd       9101  echo  "$REPEAT_SRC" echo-dns
add_case acceptd-name-many  acceptd        9101  echo  "$MANY_SRC"   echo-dns
add_case acceptd-exec       acceptd        9102  exec  -             cat
for x in "${EXTRA[@]}"; do add_case "${x%%|*}-exec" "${x%%|*}" $((${x#*|} + 2)) exec - cat; done
[ -n "${SRV_PID[xinetd]:-}" ] && add_case xinetd-cat xinetd 9302 exec - cat
[ -n "${SRV_PID[inetd]:-}" ] && add_case inetd-cat inetd 9402 exec - cat
[ -n "${SRV_PID[tcpserver]:-}" ] && add_case tcpserver-cat tcpserver 9501 exec - cat
[ -n "${SRV_PID[socat]:-}" ] && add_case socat-cat socat 9601 exec - cat
add_case acceptd-exec-name  acceptd        9103  exec  "$MANY_SRC"   cat-dns
[ -n "${SRV_PID[tcpserver]:-}" ] && add_case tcpserver-dns tcpserver-dns 9502 exec "$MANY_SRC" cat-dns

if [ -n "${BENCH_CASES:-}" ]; then
	sel=()
	for c in "${CASES[@]}"; do
		[[ " $BENCH_CASES " == *" ${c%%|*} "* ]] && sel+=("$c")
	done
	CASES=("${sel[@]}")
fi

mkdir -p "$BENCH_RESULTS" || die "cannot create $BENCH_RESULTS"
RAW=$T/raw.csv
echo "round,conc,case,work,server,completed,errors,err_refused,err_reset,err_timeout,err_short,err_mismatch,err_other,cps,p50_us,p90_us,p99_us,max_us,lg_cpu_share,srv_self_s,srv_children_s,journald_s,machine_busy_s,wall_s" >"$RAW"

# ---- machine, fork rate ----
{
	echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "nproc=$(nproc)"
	echo "cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
	echo "kernel=$(uname -r)"
	echo "virt=$(systemd-detect-virt 2>/dev/null || echo unknown)"
	echo "mem_mib=$(($(sed -n 's/^MemTotal: *\([0-9]*\).*/\1/p' /proc/meminfo) / 1024))"
	echo "loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "acceptd=$ACCEPTD"
	echo "acceptd_version=$("$ACCEPTD" -V 2>&1 | head -n 1)"
	echo "acceptd_sha256=$(sha256sum "$ACCEPTD" | cut -c1-12)"
	echo "acceptd_built=$(date -u -r "$ACCEPTD" '+%Y-%m-%d %H:%M UTC')"
	src=$(sed -n 's/^abs_top_srcdir = //p' "$BUILDDIR/Makefile" 2>/dev/null)
	echo "acceptd_source=${BENCH_ACCEPTD_SOURCE:-${src:-?} at git $(git -C "${src:-/nonexistent}" describe --always --dirty 2>/dev/null || echo '?')}"
	echo "git=$(git -C "$SRC_DIR" describe --always --dirty 2>/dev/null || echo none)"
	echo "duration=$DUR rounds=$ROUNDS conc=$CONC payload=$PAYLOAD hold=$HOLD"
	echo "logging=acceptd: native journal protocol to a private journald (RateLimitBurst=0), log_connections both and none"
} >"$T/machine.txt"
say "machine: $(nproc) CPUs, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"

: >"$T/forkrate.txt"
for args in "" "-m 64" "-v"; do
	read -ra a <<<"$args"
	"$BENCH_BIN/forkrate" -d "$([ -n "$QUICK" ] && echo 0.5 || echo 2)" "${a[@]}" \
		>>"$T/forkrate.txt" 2>/dev/null
done
sed 's/^/# /' "$T/forkrate.txt" >&2

# ---- the interleaved run ----
BASE_PROCS=$(nprocs)
quiet() { [ "$(nprocs)" -le $((BASE_PROCS + 2)) ]; }
settle() { # until the previous point's children are gone (at most 3 s)
	wait_until 3 quiet || true
}
run_point() { # run_point ROUND CONC CASE
	local round=$1 conc=$2 spec=$3 name server port mode src work out
	local pid s0 s1 c0 c1 j0 j1 b0 b1 src_arg=()
	IFS='|' read -r name server port mode src work <<<"$spec"
	pid=${SRV_PID[$server]}
	[ "$src" != - ] && src_arg=(-s "$src")
	settle
	read -r s0 c0 < <(cpu_ticks "$pid")
	read -r j0 _ < <(cpu_ticks "$JOURNALD_PID")
	b0=$(sys_busy)
	out=$("$LG" -m "$mode" -c "$conc" -d "$DUR" -p "$PAYLOAD" -l "$name" "${src_arg[@]}" \
		127.0.0.1 "$port" 2>>"$T/loadgen.err")
	b1=$(sys_busy)
	read -r s1 c1 < <(cpu_ticks "$pid")
	read -r j1 _ < <(cpu_ticks "$JOURNALD_PID")
	echo "$out" | awk -v r="$round" -v c="$conc" -v n="$name" -v w="$work" -v s="$server" \
		-v self="$((s1 - s0))" -v ch="$((c1 - c0))" -v jd="$((j1 - j0))" -v busy="$((b1 - b0))" '
		{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
		END { printf "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%.2f,%.2f,%.2f,%.2f,%s\n",
			r, c, n, w, s, v["completed"], v["errors"], v["err_refused"], v["err_reset"],
			v["err_timeout"], v["err_short"], v["err_mismatch"], v["err_other"], v["cps"],
			v["p50_us"], v["p90_us"], v["p99_us"], v["max_us"], v["cpu_share"],
			self / 100, ch / 100, jd / 100, busy / 100, v["wall"] }' >>"$RAW"
	tail -n 1 "$T/loadgen.err" >&2
}

say "interleaved run: ${#CASES[@]} cases x C in {$CONC} x $ROUNDS rounds x $DUR s"
for ((round = 1; round <= ROUNDS; round++)); do
	order=("${CASES[@]}")
	if ((round % 2 == 0)); then # reverse every other round: drift within a round cancels too
		order=()
		for ((i = ${#CASES[@]} - 1; i >= 0; i--)); do order+=("${CASES[i]}"); done
	fi
	for conc in $CONC; do
		for spec in "${order[@]}"; do
			run_point "$round" "$conc" "$spec"
		done
	done
done

# ---- memory: HOLD connections held open ----
MEM=$T/memory.csv
echo "case,server,held,errors,pss_idle_kib,pss_held_kib,procs_held,per_conn_kib" >"$MEM"
pss_tree() { # pss_tree PID: "KiB processes" of PID and all its descendants
	awk -v root="$1" '
		FNR == 1 && FILENAME ~ /stat$/ { s = $0; sub(/.*\) /, "", s); split(s, f, " ")
			pid = FILENAME; gsub(/[^0-9]/, "", pid); ppid[pid] = f[2]; nextfile }
		END {
			n = 0; for (p in ppid) { q = p; while (q != "" && q != root && q in ppid && q != 0) q = ppid[q]
				if (q == root) tree[n++] = p }
			for (i = 0; i < n; i++) {
				fn = "/proc/" tree[i] "/smaps_rollup"
				while ((getline line < fn) > 0) if (line ~ /^Pss:/) { split(line, a, " "); sum += a[2] }
				close(fn)
			}
			print sum + 0, n
		}' /proc/[0-9]*/stat 2>/dev/null
}
hold_one() { # hold_one CASE SERVER PORT SOURCE
	local name=$1 server=$2 port=$3 src=$4 pid idle held procs lgpid n src_arg=()
	pid=${SRV_PID[$server]}
	[ "$src" != - ] && src_arg=(-s "$src")
	settle
	read -r idle _ < <(pss_tree "$pid")
	rm -f "$T/held"
	"$LG" -m hold -c "$HOLD" -d 120 -p "$PAYLOAD" -l "$name" "${src_arg[@]}" -r "$T/held" \
		127.0.0.1 "$port" >"$T/hold.out" 2>>"$T/loadgen.err" &
	lgpid=$!
	if wait_until 60 test -s "$T/held"; then
		sleep 0.5 # the last children finish their start-up (exec, NSS) before we count
		read -r held procs < <(pss_tree "$pid")
		n=$(cat "$T/held")
	else
		held=0 procs=0 n=0
	fi
	kill -USR1 "$lgpid" 2>/dev/null
	wait "$lgpid"
	errs=$(sed -n 's/.* errors=\([0-9]*\).*/\1/p' "$T/hold.out")
	echo "$name,$server,$n,${errs:-?},$idle,$held,$procs,$(awk -v a="$idle" -v b="$held" -v n="$n" \
		'BEGIN { printf "%.1f", n ? (b - a) / n : 0 }')" >>"$MEM"
	say "hold $name: $n connections, PSS $idle -> $held KiB over $procs processes"
}
if [ "$HOLD" -gt 0 ]; then
	say "memory: $HOLD connections held per server"
	for spec in "${CASES[@]}"; do
		IFS='|' read -r name server port mode src work <<<"$spec"
		case $name in ref-wait | acceptd-nolog | acceptd-exec-name | tcpserver-dns) continue ;; esac
		[ "$mode" = exec ] && [ "$name" != acceptd-exec ] && [[ $server == acceptd* ]] &&
			[ "$server" != acceptd ] && continue # another build: its echo memory is enough
		hold_one "$name" "$server" "$port" "$src"
	done
fi
echo "loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$T/machine.txt"

# What reached the journal: acceptd's parent never waits for journald and counts what it drops.
journalctl --sync 2>/dev/null
{
	svc=(ACCEPTD_SERVICE=echo ACCEPTD_SERVICE=echo-name ACCEPTD_SERVICE=cat ACCEPTD_SERVICE=cat-name)
	echo "journal_ended=$(journalctl --no-pager -q -o cat MESSAGE_ID=a346225a21cc43428f213d04c06d8124 \
		"${svc[@]}" 2>/dev/null | wc -l)"
	echo "journal_accepted=$(journalctl --no-pager -q -o cat MESSAGE_ID=c571f65a45a440ad923e31b0447b0671 \
		"${svc[@]}" 2>/dev/null | wc -l)"
	echo "journal_dropped=$(journalctl --no-pager -q -o cat _PID="${SRV_PID[acceptd]}" 2>/dev/null |
		sed -n 's/^\([0-9]*\) log messages dropped.*/\1/p' | awk '{ s += $1 } END { print s + 0 }')"
} >>"$T/machine.txt"

# ---- report ----
for s in "${!SRV_NOTE[@]}"; do echo "$s=${SRV_NOTE[$s]}"; done | sort >"$T/notes.txt"
python3 "$BENCH_DIR/report.py" --raw "$RAW" --mem "$MEM" --machine "$T/machine.txt" \
	--forkrate "$T/forkrate.txt" --notes "$T/notes.txt" --out "$BENCH_RESULTS" --stamp "$STAMP" ||
	die "report failed (raw data kept in $T)"
