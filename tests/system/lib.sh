# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034 # ROOTFS and friends are for run.sh
#
# Vocabulary of the system test (sourced by tests/system/run.sh): a cached
# Debian 12 root filesystem and a container that boots real systemd from it
# (TESTING.md (d)). Exit codes (automake): 0 pass, 1 fail, 77 skip, 99 harness
# error.

set -u

SUITE=bookworm
MIRROR=${MIRROR:-http://deb.debian.org/debian}
CACHE=${CACHE:-/var/cache/acceptd-test}
# Always in the root filesystem: systemd as PID 1 with its bus, /bin/kill for
# ExecReload=, adduser for maintainer scripts that want it, socat as the client.
ROOTFS_BASE="systemd systemd-sysv dbus procps adduser socat"
SYSTEMD_BIN=/usr/lib/systemd/systemd

CT_PID=     # the container's PID 1, as the host sees it
NS_PID=     # systemd-nspawn
CG_NAME=acceptd-sys-$$
CG_DIRS=()  # our cgroup in each hierarchy
MACHINE=acceptd-sys-$$

skip() {
	echo "SKIP: $*"
	exit 77
}

fail() {
	echo "FAIL: $*"
	ct_diagnose
	exit 1
}

hard_error() {
	echo "ERROR: $*"
	ct_diagnose
	exit 99
}

ok() {
	echo "ok - $*"
}

note() {
	echo "# $*"
}

now_us() {
	local t=$EPOCHREALTIME
	echo "${t//[.,]/}"
}

# since_s START_US: seconds since START_US, one decimal
since_s() {
	local d=$(($(now_us) - $1))
	printf '%d.%d' $((d / 1000000)) $((d % 1000000 / 100000))
}

# wait_for [-t SECONDS] CMD...: poll CMD every 50 ms until it succeeds; 1 on timeout.
wait_for() {
	local t=10 end
	if [ "$1" = -t ]; then
		t=$2
		shift 2
	fi
	end=$(($(now_us) + t * 1000000))
	until "$@"; do
		[ "$(now_us)" -lt "$end" ] || return 1
		sleep 0.05
	done
}

# ---- the root filesystem -----------------------------------------------------

# runtime_depends DEB: the package names DEB depends on (first alternative of each).
runtime_depends() {
	local f
	for f in Pre-Depends Depends; do
		dpkg-deb -f "$1" "$f"
	done | tr ',' '\n' | sed -e 's/|.*//' -e 's/([^)]*)//g' -e 's/\[[^]]*\]//g' \
		-e 's/:any//' -e 's/[[:space:]]//g' | grep -v '^$'
}

# mirror_date: the Date: of the mirror's InRelease for $SUITE as 20250517T092000Z
# (empty and status 1 when the mirror cannot be reached).
mirror_date() {
	local d
	d=$(python3 - "$MIRROR/dists/$SUITE/InRelease" 2>/dev/null <<'EOF'
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=10) as r:
    for line in r.read(4096).decode("utf-8", "replace").splitlines():
        if line.startswith("Date:"):
            print(line[5:].strip())
            break
EOF
	) && [ -n "$d" ] || return 1
	date -u -d "$d" +%Y%m%dT%H%M%SZ
}

# mmdebstrap's customize hook (runs on the host; $1 is the new root): a fixed
# identity, so nothing of the host ends up in the tree and peers have names.
rootfs_customize() {
	printf 'acceptd-test\n' >"$1/etc/hostname"
	printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$1/etc/hosts"
	# No resolver: the container has no network, and a name not in /etc/hosts
	# must fail at once (nobody answers on the container's own 127.0.0.1:53).
	printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$1/etc/resolv.conf"
}

# build_rootfs DIR PACKAGES: mmdebstrap minbase plus PACKAGES into DIR.
build_rootfs() {
	local dir=$1 pkgs=$2
	mmdebstrap --quiet --variant=minbase --dpkgopt=force-unsafe-io \
		--include="${pkgs// /,}" \
		--customize-hook="$(declare -f rootfs_customize); rootfs_customize \"\$1\"" \
		"$SUITE" "$dir" "$MIRROR"
}

# ensure_rootfs DEB: sets ROOTFS to a cached tree with DEB's runtime dependencies;
# builds it when the cache has none for the current mirror date.
ensure_rootfs() {
	local pkgs key date dir tmp t0 rc d lock
	# shellcheck disable=SC2086 # a list of names
	pkgs=$({ printf '%s\n' $ROOTFS_BASE; runtime_depends "$1"; } | sort -u | tr '\n' ' ')
	pkgs=${pkgs% }
	# Key: everything that decides the tree's contents except the mirror's date.
	key=$({ echo "$SUITE $MIRROR $pkgs"; declare -f build_rootfs rootfs_customize; } |
		sha256sum | cut -c1-12)
	note "root filesystem: $SUITE minbase + $pkgs (key $key)"
	mkdir -p "$CACHE" || hard_error "cannot create $CACHE"
	exec {lock}>"$CACHE/.lock"
	flock "$lock" || hard_error "cannot lock $CACHE/.lock"
	if date=$(mirror_date); then
		dir=$CACHE/rootfs-$SUITE-$date-$key
	else
		# No mirror: the newest tree for this package list will do.
		dir=
		for d in "$CACHE"/rootfs-"$SUITE"-*-"$key"; do
			[ -d "$d" ] && dir=$d
		done
		[ -n "$dir" ] || skip "no cached root filesystem in $CACHE and $MIRROR cannot be reached"
		note "$MIRROR cannot be reached: using the cached ${dir##*/}"
	fi
	if [ -d "$dir" ]; then
		note "cached: $dir"
		ROOTFS_TIME=0
	else
		command -v mmdebstrap >/dev/null ||
			skip "no cached root filesystem and no mmdebstrap to build one (apt-get install mmdebstrap)"
		tmp=$dir.new.$$
		rm -rf "$tmp"
		t0=$(now_us)
		rc=0
		build_rootfs "$tmp" "$pkgs" >"$TESTDIR/mmdebstrap.log" 2>&1 || rc=$?
		if [ "$rc" != 0 ]; then
			rm -rf "$tmp"
			tail -n 30 "$TESTDIR/mmdebstrap.log"
			hard_error "mmdebstrap failed (exit $rc)"
		fi
		mv "$tmp" "$dir" || hard_error "cannot move $tmp to $dir"
		ROOTFS_TIME=$(since_s "$t0")
		note "built $dir in $ROOTFS_TIME s"
	fi
	touch "$dir"
	# Trees of other keys or dates, unused for a day, go (the cache stays small).
	find "$CACHE" -mindepth 1 -maxdepth 1 -name 'rootfs-*' ! -path "$dir" -mmin +1440 \
		-exec rm -rf {} + 2>/dev/null
	exec {lock}>&-
	ROOTFS=$dir   # for the caller
}

# ---- the container ----------------------------------------------------------

# cgroup_dirs: where our dedicated cgroup goes: under systemd/ and unified/ on a
# hybrid host, at the top of a pure cgroup2 host.
cgroup_dirs() {
	local h
	if [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
		echo "/sys/fs/cgroup/$CG_NAME"
		return
	fi
	for h in systemd unified; do
		mountpoint -q "/sys/fs/cgroup/$h" && echo "/sys/fs/cgroup/$h/$CG_NAME"
	done
}

# ct_boot ROOTFS PKGDIR: boot systemd from ROOTFS (an overlay keeps it pristine)
# with PKGDIR at /mnt/pkg; returns when the system is running.
ct_boot() {
	local d state
	mapfile -t CG_DIRS < <(cgroup_dirs)
	[ "${#CG_DIRS[@]}" -gt 0 ] || hard_error "no cgroup hierarchy for systemd-nspawn under /sys/fs/cgroup"
	for d in "${CG_DIRS[@]}"; do
		mkdir "$d" || hard_error "cannot create the cgroup $d"
	done
	# nspawn in a cgroup of its own, which catches what it leaves (payload/, supervisor/).
	(
		for d in "${CG_DIRS[@]}"; do echo "$BASHPID" >"$d/cgroup.procs"; done
		exec setsid systemd-nspawn --boot --directory="$1" --volatile=overlay --register=no \
			--keep-unit --private-network --console=pipe --machine="$MACHINE" \
			--bind-ro="$2":/mnt/pkg
	) >"$TESTDIR/nspawn.log" 2>&1 </dev/null &
	NS_PID=$!
	wait_for -t 20 ct_pid1 || hard_error "systemd-nspawn started no systemd: $(tail -n 20 "$TESTDIR/nspawn.log")"
	# systemctl needs the manager's private bus socket, which comes a little later.
	wait_for -t 20 in_ct test -S /run/systemd/private ||
		hard_error "no /run/systemd/private in the container"
	state=$(in_ct timeout 60 systemctl is-system-running --wait 2>&1)
	if [ "$state" != running ]; then
		in_ct systemctl --failed --no-pager
		hard_error "the container's system is '$state', not running"
	fi
}

ct_pid1() {
	kill -0 "$NS_PID" 2>/dev/null || hard_error "systemd-nspawn exited: $(tail -n 20 "$TESTDIR/nspawn.log")"
	CT_PID=$(pgrep -P "$NS_PID") && [ "$(readlink "/proc/$CT_PID/exe")" = "$SYSTEMD_BIN" ]
}

# in_ct CMD...: run CMD in every namespace of the container, with a clean environment.
in_ct() {
	nsenter --target "$CT_PID" --all \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

# ct_net CMD...: run a host program (ss) in the container's network namespace.
ct_net() {
	nsenter --target "$CT_PID" --net "$@"
}

# ct_poweroff: a clean shutdown of the container; fails if it does not end in time.
ct_poweroff() {
	local rc=0
	in_ct systemctl --no-block poweroff || return 1
	wait_for -t 30 ns_gone || return 1
	wait "$NS_PID" || rc=$?
	NS_PID=
	CT_PID=
	return "$rc"
}

ns_gone() {
	! kill -0 "$NS_PID" 2>/dev/null
}

cgroup_procs() {
	local d
	for d in "${CG_DIRS[@]}"; do
		[ -d "$d" ] && find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null
	done
}

cgroups_empty() {
	[ -z "$(cgroup_procs)" ]
}

# ct_diagnose: what went on in the container, for a failure report.
ct_diagnose() {
	[ -n "${CT_PID:-}" ] && [ -d "/proc/$CT_PID" ] || return 0
	echo "---- systemctl status acceptd.service acceptd.socket"
	in_ct systemctl status --no-pager --full acceptd.service acceptd.socket 2>&1 | tail -n 40
	echo "---- journal (last 60 lines)"
	in_ct journalctl -b --no-pager -n 60 2>&1
	echo "----"
}

# ct_cleanup: stop the container, empty and remove our cgroups, remove what nspawn
# left in /run. Runs from the EXIT trap, also after a failure.
ct_cleanup() {
	local d pid m
	if [ -n "$NS_PID" ]; then
		kill -TERM "$NS_PID" 2>/dev/null   # SIGTERM to nspawn: a clean poweroff
		wait_for -t 15 ns_gone || kill -KILL "$NS_PID" 2>/dev/null
		wait "$NS_PID" 2>/dev/null
		NS_PID=
	fi
	# Whatever survived nspawn (the container's processes after a SIGKILL) dies now.
	if ! cgroups_empty; then
		for pid in $(cgroup_procs); do kill -KILL "$pid" 2>/dev/null; done
		wait_for -t 10 cgroups_empty || echo "# processes left in $CG_NAME: $(cgroup_procs)"
	fi
	for d in "${CG_DIRS[@]}"; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
		[ -d "$d" ] && echo "# could not remove the cgroup $d"
	done
	# nspawn's propagation directory (on the host's /run, not a tmpfs here).
	m=/run/systemd/nspawn/propagate/$MACHINE
	if [ -d "$m" ]; then
		mountpoint -q "$m" && umount -l "$m"
		rmdir "$m"
	fi
	rmdir /run/systemd/nspawn/locks /run/systemd/nspawn/propagate /run/systemd/nspawn 2>/dev/null
	return 0
}
