#!/bin/bash
# SPDX-License-Identifier: MIT
# System test: the .deb in a Debian 12 container that boots real systemd 252, walking the
# user scenarios of DESIGN §1 -- install, edit and reload, a broken edit, upgrade, socket
# activation, stop, remove and purge (TESTING.md (d)).
#
# Run by `make check-system`. PKGDIR may name a directory holding acceptd_*.deb (CI builds
# it with dpkg-buildpackage); without it the test builds one from `make distdir`.
# CACHE (default /var/cache/acceptd-test) keeps the root filesystem between runs, MIRROR
# (default http://deb.debian.org/debian) is where it comes from.

# shellcheck disable=SC2015,SC2016,SC2317 # A && B || fail; dpkg and sh -c formats; helpers run through wait_for
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

T_START=$(now_us)
ROOTFS_TIME=0

[ "$(id -u)" = 0 ] || skip "needs root for systemd-nspawn and cgroups"
command -v systemd-nspawn >/dev/null || skip "systemd-nspawn missing (package systemd-container)"
for tool in nsenter pgrep ss python3 dpkg-deb; do
	command -v "$tool" >/dev/null || hard_error "$tool missing on the host"
done

TESTDIR=$(mktemp -d /tmp/acc-system.XXXXXX) || hard_error "mktemp failed"
export TESTDIR
cleanup() {
	local rc=$?
	trap - EXIT
	ct_cleanup
	if [ -n "${KEEP_TESTDIR:-}" ]; then
		note "kept $TESTDIR"
	else
		rm -rf "$TESTDIR"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

MSGID_RELOADED=f631be6fa3b24e038cd3d8428ef84b27
MSGID_RELOAD_FAILED=19e5984a7e824a7883a331604c8b27a6
MSGID_CONN_ACCEPTED=c571f65a45a440ad923e31b0447b0671
MSGID_CONN_ENDED=a346225a21cc43428f213d04c06d8124
CONF=/etc/acceptd/acceptd.conf

# ---- the package ---------------------------------------------------------------

if [ -z "${PKGDIR:-}" ]; then
	[ -n "${BUILDDIR:-}" ] && [ -f "$BUILDDIR/Makefile" ] ||
		hard_error "set PKGDIR to a directory with acceptd_*.deb, or run through make check-system"
	command -v dpkg-buildpackage >/dev/null ||
		hard_error "dpkg-buildpackage missing: install dpkg-dev and the Build-Depends, or set PKGDIR"
	t0=$(now_us)
	PKGDIR=$TESTDIR/pkg
	mkdir "$PKGDIR"
	note "building the .deb from make distdir (DEB_BUILD_OPTIONS=nocheck: make check is separate)"
	{
		make -C "$BUILDDIR" distdir distdir="$PKGDIR/src" &&
			cd "$PKGDIR/src" &&
			DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b -jauto
	} >"$TESTDIR/dpkg-buildpackage.log" 2>&1 ||
		{ tail -n 40 "$TESTDIR/dpkg-buildpackage.log"; hard_error "building the .deb failed"; }
	cd / || exit 99
	rm -rf "$PKGDIR/src"
	note "built the .deb in $(since_s "$t0") s"
fi
PKGDIR=$(cd "$PKGDIR" && pwd) || hard_error "no directory $PKGDIR"
debs=("$PKGDIR"/acceptd_*.deb)
[ "${#debs[@]}" = 1 ] && [ -f "${debs[0]}" ] ||
	hard_error "expected exactly one acceptd_*.deb in $PKGDIR, found: ${debs[*]}"
DEB=${debs[0]}
DEB_IN_CT=/mnt/pkg/${DEB##*/}
note "package: $DEB"

# ---- the container -------------------------------------------------------------

ensure_rootfs "$DEB"
t0=$(now_us)
ct_boot "$ROOTFS" "$PKGDIR"
BOOT_TIME=$(since_s "$t0")
ok "systemd 252 booted in the container: running, no failed unit ($BOOT_TIME s)"

# ---- helpers on the container --------------------------------------------------

unit_prop() {
	in_ct systemctl show -P "$2" "$1"
}

# echo_ok PORT [ADDR]: one echo round trip in the container (its own socat).
echo_ok() {
	local addr=${2:-127.0.0.1} msg got
	[ "${addr#*:}" = "$addr" ] || addr="[$addr]"
	msg="hello $RANDOM on $addr:$1"
	got=$(printf '%s\n' "$msg" | in_ct timeout 20 socat -t5 -T10 - "TCP:$addr:$1" 2>&1)
	[ "$got" = "$msg" ] || {
		echo "# echo on $addr:$1 answered '$got'"
		return 1
	}
}

# daytime_ok PORT: one RFC 867 line, e.g. "Monday, November 23, 2026 23:30:00-UTC".
daytime_ok() {
	local got
	got=$(in_ct timeout 20 socat -t5 -T10 - "TCP:127.0.0.1:$1" </dev/null 2>&1)
	[[ $got =~ ^[A-Z][a-z]+day,\ [A-Z][a-z]+\ [0-9]{1,2},\ [0-9]{4}\ [0-9]{2}:[0-9]{2}:[0-9]{2}-UTC ]] || {
		echo "# daytime on 127.0.0.1:$1 answered '$got'"
		return 1
	}
}

refused() {
	! in_ct socat -T2 /dev/null "TCP:127.0.0.1:$1" 2>/dev/null
}

# listeners: "addr:port backlog" of every TCP listener in the container, sorted
listeners() {
	ct_net ss -ltnH | awk '{ print $4, $3 }' | sort
}

# jcount [-u UNIT] FIELD=VALUE...: journal entries of this boot from acceptd (or
# UNIT) matching every field
jcount() {
	local sel=(-t acceptd)
	if [ "$1" = -u ]; then
		sel=(-u "$2")
		shift 2
	fi
	in_ct journalctl -b "${sel[@]}" -o json --no-pager "$@" | grep -c '^{'
}

jat_least() {
	local n=$1
	shift
	[ "$(jcount "$@")" -ge "$n" ]
}

acceptd_pids() {
	in_ct pgrep -x acceptd
}

no_acceptd() {
	[ -z "$(acceptd_pids)" ]
}

# hold_open: a connection to 127.0.0.1:7 that stays open (socat as a coprocess);
# hold_say TEXT: one echo round trip on it; hold_close: half-close, wait for the end.
hold_open() {
	coproc HOLD { in_ct socat -T120 - TCP:127.0.0.1:7 2>&1; }
	HOLD_IN=${HOLD[1]}
	HOLD_OUT=${HOLD[0]}
	HOLD_PROC=$HOLD_PID
}

hold_say() {
	local line
	printf '%s\n' "$1" >&"$HOLD_IN" || return 1
	read -r -t 10 line <&"$HOLD_OUT" || return 1
	[ "$line" = "$1" ]
}

hold_close() {
	exec {HOLD_IN}>&-
	wait_for -t 10 hold_gone || return 1
	wait "$HOLD_PROC" 2>/dev/null
	return 0
}

hold_gone() {
	! kill -0 "$HOLD_PROC" 2>/dev/null
}

# ---- fresh install ------------------------------------------------------------

t0=$(now_us)
in_ct apt-get install -y -q "$DEB_IN_CT" >"$TESTDIR/install.log" 2>&1 ||
	{ cat "$TESTDIR/install.log"; fail "apt-get install $DEB_IN_CT failed"; }
INSTALL_TIME=$(since_s "$t0")
note "installed with apt-get install ./acceptd_*.deb in $INSTALL_TIME s"

[ "$(in_ct systemctl is-active acceptd.service)" = active ] || fail "acceptd.service is not active after install"
[ "$(in_ct systemctl is-enabled acceptd.service)" = enabled ] || fail "acceptd.service is not enabled after install"
[ "$(unit_prop acceptd.service StatusText)" = "services 1, sockets 2, connections active 0, total 0" ] ||
	fail "unexpected StatusText: $(unit_prop acceptd.service StatusText)"
[ "$(in_ct systemctl is-enabled acceptd.socket)" = disabled ] && [ "$(in_ct systemctl is-active acceptd.socket)" = inactive ] ||
	fail "acceptd.socket is enabled or active after install (it must stay an example)"
ok "install: acceptd.service enabled and active, acceptd.socket installed but disabled and inactive"

IFS=: read -r _ _ uid gid _ home shell <<<"$(in_ct getent passwd acceptd)"
[ -n "$uid" ] && [ "$uid" -lt 1000 ] && [ "$home" = /var/lib/acceptd ] && [ "$shell" = /usr/sbin/nologin ] ||
	fail "no system user acceptd with home /var/lib/acceptd: '$(in_ct getent passwd acceptd)'"
[ "$(in_ct getent group acceptd | cut -d: -f3)" = "$gid" ] || fail "no group acceptd with gid $gid"
[ "$(in_ct stat -c '%U:%G %a' /var/lib/acceptd)" = "acceptd:acceptd 750" ] ||
	fail "/var/lib/acceptd is $(in_ct stat -c '%U:%G %a' /var/lib/acceptd 2>&1)"
ok "system user and group acceptd (uid $uid), home /var/lib/acceptd owned by it"

in_ct dpkg-query -W -f='${Conffiles}\n' acceptd | grep -q "^ $CONF " || fail "$CONF is not a conffile"
for f in /usr/sbin/acceptd /lib/systemd/system/acceptd.service /lib/systemd/system/acceptd.socket \
	/usr/share/man/man8/acceptd.8.gz /usr/share/man/man5/acceptd.conf.5.gz \
	/usr/share/doc/acceptd/README.md.gz /usr/share/doc/acceptd/DEVELOPERS.md.gz; do
	in_ct test -f "$f" || fail "$f is not installed"
done
ok "$CONF is a conffile; binary, units, man pages and docs installed"

want=$(printf '127.0.0.1:7 128\n[::1]:7 128')
[ "$(listeners)" = "$want" ] || fail "listening: '$(listeners)', expected loopback only: '$want'"
echo_ok 7 127.0.0.1 || fail "echo on 127.0.0.1:7 does not answer"
echo_ok 7 ::1 || fail "echo on [::1]:7 does not answer"
ok "default config: echo answers on 127.0.0.1:7 and [::1]:7, nothing else listens"

wait_for jat_least 1 MESSAGE_ID=$MSGID_CONN_ACCEPTED ACCEPTD_SERVICE=echo REMOTE_ADDR=127.0.0.1 REMOTE_HOST=localhost ||
	fail "journalctl -b -t acceptd: no connection-accepted entry from 127.0.0.1 with REMOTE_HOST=localhost"
wait_for jat_least 1 MESSAGE_ID=$MSGID_CONN_ACCEPTED ACCEPTD_SERVICE=echo REMOTE_ADDR=::1 REMOTE_HOST=localhost ||
	fail "journalctl -b -t acceptd: no connection-accepted entry from ::1 with REMOTE_HOST=localhost"
wait_for jat_least 2 -u acceptd MESSAGE_ID=$MSGID_CONN_ENDED ACCEPTD_SERVICE=echo REMOTE_HOST=localhost EXIT_STATUS=0 ||
	fail "journalctl -u acceptd: not two connection-ended entries with REMOTE_HOST=localhost"
ok "journal: both connections with REMOTE_HOST=localhost (-t acceptd and -u acceptd)"

# ---- edit the config and reload -------------------------------------------------

MAINPID=$(unit_prop acceptd.service MainPID)
in_ct cp -p "$CONF" /root/conf.orig
hold_open
hold_say before || fail "the held connection does not echo"
# An administrator's edit: a smaller backlog, and a second service on a new port.
in_ct sed -i -e 's/^\t\tbacklog = 128;$/\t\tbacklog = 64;/' \
	-e '$ s/^);$/,\n\t{\n\t\tname = "daytime";\n\t\tlisten = [ "127.0.0.1" ];\n\t\tport = 13;\n\t\tbuiltin = "daytime";\n\t}\n);/' \
	"$CONF"
in_ct grep -q 'backlog = 64;' "$CONF" && in_ct grep -q 'name = "daytime";' "$CONF" ||
	hard_error "the edit of $CONF did not apply: $(in_ct tail -n 12 "$CONF")"
in_ct cp -p "$CONF" /root/conf.edited
out=$(in_ct acceptd -t 2>&1) || fail "acceptd -t rejects the edited config: $out"
grep -qx 'daytime: builtin daytime, listen 127.0.0.1:13, backlog 128' <<<"$out" ||
	fail "acceptd -t does not show the new service: $out"
n=$(jcount MESSAGE_ID=$MSGID_RELOADED)
out=$(in_ct systemctl reload acceptd 2>&1) || fail "systemctl reload acceptd failed: $out"
# systemctl reload returns once `kill -HUP` ran: wait for the daemon's own word.
wait_for jat_least $((n + 1)) MESSAGE_ID=$MSGID_RELOADED || fail "no 'reloaded' journal entry after systemctl reload"
wait_for test "$(unit_prop acceptd.service StatusText | cut -d, -f1)" = "services 2" ||
	fail "StatusText after the reload: $(unit_prop acceptd.service StatusText)"
[ "$(unit_prop acceptd.service MainPID)" = "$MAINPID" ] || fail "MainPID changed on reload"
daytime_ok 13 || fail "the new daytime service does not answer on 127.0.0.1:13"
echo_ok 7 || fail "echo stopped answering after the reload"
want=$(printf '127.0.0.1:13 128\n127.0.0.1:7 64\n[::1]:7 64')
[ "$(listeners)" = "$want" ] || fail "listening after the reload: '$(listeners)', expected '$want'"
hold_say after || fail "the connection held across the reload broke"
hold_close || fail "the held connection did not end after its half-close"
# "before\n" + "after\n": 13 bytes each way, on a connection accepted before the reload.
wait_for jat_least 1 -u acceptd MESSAGE_ID=$MSGID_CONN_ENDED BYTES_IN=13 BYTES_OUT=13 EXIT_STATUS=0 ||
	fail "the held connection's connection-ended entry (13 bytes each way, exit 0) is missing"
ok "reload: same MainPID $MAINPID, daytime answers on :13, backlog 64, a connection held across it kept working"

# ---- a broken edit -----------------------------------------------------------

in_ct sed -i 's/^\t\tbacklog = 64;$/\t\tbakclog = 64;/' "$CONF"
rc=0
out=$(in_ct acceptd -t 2>&1) || rc=$?
[ "$rc" = 78 ] || fail "acceptd -t exit $rc on a broken config (expected 78): $out"
line=$(in_ct grep -n 'bakclog' "$CONF" | cut -d: -f1)
grep -qx "$CONF:$line: services\[echo\]\.bakclog: unknown key" <<<"$out" ||
	fail "acceptd -t does not name file:line:key of the mistake: $out"
rc=0
out=$(in_ct systemctl reload acceptd 2>&1) || rc=$?
[ "$rc" != 0 ] || fail "systemctl reload succeeded with a broken config"
note "systemctl reload: exit $rc: $out"
[ "$(in_ct systemctl is-active acceptd.service)" = active ] || fail "acceptd.service is not active after the failed reload"
[ "$(unit_prop acceptd.service MainPID)" = "$MAINPID" ] || fail "MainPID changed after the failed reload"
# Past the unit's check, straight to the daemon: it refuses the file and logs it.
n=$(jcount MESSAGE_ID=$MSGID_RELOAD_FAILED)
in_ct systemctl kill --kill-who=main --signal=HUP acceptd.service || fail "systemctl kill -s HUP failed"
wait_for jat_least $((n + 1)) MESSAGE_ID=$MSGID_RELOAD_FAILED PRIORITY=3 ||
	fail "no reload-failed journal entry after SIGHUP with a broken config"
[ "$(unit_prop acceptd.service MainPID)" = "$MAINPID" ] || fail "MainPID changed after SIGHUP with a broken config"
echo_ok 7 && daytime_ok 13 || fail "the old config stopped serving after a broken edit"
[ "$(listeners)" = "$want" ] || fail "listening after the broken edit: '$(listeners)', expected '$want'"
ok "broken edit: acceptd -t names $CONF:$line, systemctl reload exits $rc, SIGHUP logs reload-failed; old config serves, same MainPID"

in_ct cp -p /root/conf.edited "$CONF"
n=$(jcount MESSAGE_ID=$MSGID_RELOADED)
in_ct systemctl reload acceptd || fail "systemctl reload failed after the fix"
wait_for jat_least $((n + 1)) MESSAGE_ID=$MSGID_RELOADED || fail "no 'reloaded' entry after the fix"

# ---- upgrade (the same version again): restarted, the edited conffile kept ------------

in_ct dpkg -i "$DEB_IN_CT" >"$TESTDIR/upgrade.log" 2>&1 || { cat "$TESTDIR/upgrade.log"; fail "dpkg -i (upgrade) failed"; }
[ "$(in_ct systemctl is-active acceptd.service)" = active ] || fail "acceptd.service is not active after the upgrade"
newpid=$(unit_prop acceptd.service MainPID)
[ "$newpid" != "$MAINPID" ] && [ "$newpid" != 0 ] || fail "acceptd.service was not restarted by the upgrade"
in_ct cmp -s /root/conf.edited "$CONF" || fail "the upgrade replaced the edited conffile"
echo_ok 7 && daytime_ok 13 || fail "the edited config does not serve after the upgrade"
ok "upgrade: acceptd.service restarted (MainPID $MAINPID -> $newpid), the edited conffile kept"

# ---- socket-activated start -----------------------------------------------------

in_ct cp -p /root/conf.orig "$CONF"
in_ct systemctl stop acceptd.service || fail "systemctl stop acceptd failed"
no_acceptd || fail "acceptd processes left after systemctl stop: $(acceptd_pids)"
in_ct systemctl enable --now acceptd.socket >/dev/null 2>&1 || fail "systemctl enable --now acceptd.socket failed"
[ "$(in_ct systemctl is-active acceptd.socket)" = active ] || fail "acceptd.socket is not active"
[ "$(in_ct systemctl is-active acceptd.service)" = inactive ] || fail "acceptd.service runs before any connection"
no_acceptd || fail "acceptd runs before any connection"
want=$(printf '127.0.0.1:7 4096\n[::1]:7 4096')
[ "$(listeners)" = "$want" ] || fail "the socket unit listens on '$(listeners)', expected '$want'"
refused 13 || fail "daytime still answers on :13 with the default config"
echo_ok 7 || fail "the first connection to the socket was not served"
[ "$(in_ct systemctl is-active acceptd.service)" = active ] || fail "the first connection did not start acceptd.service"
MAINPID=$(unit_prop acceptd.service MainPID)
inv=$(unit_prop acceptd.service InvocationID)
# took_sockets: both listeners came from systemd (journal lines of this invocation)
took_sockets() {
	in_ct journalctl -b -u acceptd.service _SYSTEMD_INVOCATION_ID="$inv" -o cat --no-pager \
		>"$TESTDIR/activated.log" &&
		grep -Eq '^listening on 127\.0\.0\.1:7 for echo \(builtin echo, socket [0-9]+ from systemd\)$' \
			"$TESTDIR/activated.log" &&
		grep -Eq '^listening on \[::1\]:7 for echo \(builtin echo, socket [0-9]+ from systemd\)$' \
			"$TESTDIR/activated.log"
}
wait_for took_sockets || fail "acceptd did not take both sockets from systemd: $(cat "$TESTDIR/activated.log")"
for i in 1 2 3; do
	echo_ok 7 127.0.0.1 && echo_ok 7 ::1 || fail "later connection $i was not served"
done
[ "$(unit_prop acceptd.service MainPID)" = "$MAINPID" ] || fail "acceptd restarted between connections"
wait_for jat_least 7 -u acceptd.service _SYSTEMD_INVOCATION_ID="$inv" MESSAGE_ID=$MSGID_CONN_ENDED EXIT_STATUS=0 ||
	fail "not 7 connection-ended entries for the socket-activated acceptd"
ok "socket activation: the first connection started acceptd (MainPID $MAINPID) with systemd's sockets and was served, 6 later ones too"

# An upgrade now restarts the service, which takes the sockets again; the socket stays.
in_ct dpkg -i "$DEB_IN_CT" >"$TESTDIR/upgrade2.log" 2>&1 || { cat "$TESTDIR/upgrade2.log"; fail "dpkg -i (upgrade with the socket) failed"; }
[ "$(in_ct systemctl is-active acceptd.socket)" = active ] || fail "acceptd.socket is not active after the upgrade"
[ "$(in_ct systemctl is-enabled acceptd.socket)" = enabled ] || fail "acceptd.socket is no longer enabled after the upgrade"
newpid=$(unit_prop acceptd.service MainPID)
[ "$newpid" != "$MAINPID" ] && [ "$newpid" != 0 ] || fail "acceptd.service was not restarted by the upgrade"
inv=$(unit_prop acceptd.service InvocationID)
wait_for took_sockets || fail "after the upgrade acceptd did not take the sockets from systemd: $(cat "$TESTDIR/activated.log")"
echo_ok 7 127.0.0.1 && echo_ok 7 ::1 || fail "echo does not answer after the upgrade with the socket"
ok "upgrade with acceptd.socket enabled: the socket stays active, acceptd restarted (MainPID $MAINPID -> $newpid) on its sockets"

# ---- stop -----------------------------------------------------------------------

hold_open
hold_say "during stop" || fail "the connection held during stop does not echo"
[ "$(acceptd_pids | wc -l)" -ge 2 ] || fail "no child process for the held connection: $(acceptd_pids)"
in_ct systemctl stop acceptd.socket acceptd.service || fail "systemctl stop acceptd.socket acceptd.service failed"
no_acceptd || fail "acceptd processes left after systemctl stop: $(acceptd_pids)"
hold_close || fail "the held connection was not closed by the stop"
[ -z "$(listeners)" ] || fail "still listening after the stop: $(listeners)"
ok "systemctl stop (with a connection open): no acceptd process left, nothing listens"

# ---- remove, then purge ------------------------------------------------------

in_ct systemctl start acceptd.socket acceptd.service || fail "cannot start acceptd again"
echo_ok 7 || fail "echo does not answer before the removal"
in_ct dpkg-query -L acceptd >"$TESTDIR/files.list" || fail "dpkg -L acceptd failed"
in_ct apt-get remove -y -q acceptd >"$TESTDIR/remove.log" 2>&1 || { cat "$TESTDIR/remove.log"; fail "apt-get remove failed"; }
no_acceptd || fail "acceptd processes left after apt-get remove: $(acceptd_pids)"
[ -z "$(listeners)" ] || fail "still listening after apt-get remove: $(listeners)"
[ "$(in_ct systemctl is-active acceptd.socket acceptd.service | sort -u)" = inactive ] ||
	fail "units still active after apt-get remove"
in_ct test ! -e /usr/sbin/acceptd && in_ct test -f "$CONF" || fail "remove: the binary stayed or the conffile went"
ok "remove: service and socket stopped, binary gone, $CONF kept"

in_ct apt-get purge -y -q acceptd >"$TESTDIR/purge.log" 2>&1 || { cat "$TESTDIR/purge.log"; fail "apt-get purge failed"; }
st=$(in_ct dpkg-query -W -f='${db:Status-Status}' acceptd 2>/dev/null)
[ "$st" = not-installed ] || [ -z "$st" ] || fail "dpkg still knows acceptd after the purge: '$st'"
# Every path of `dpkg -L` is gone, but shared directories that still hold other files
# (/usr/share/man/man8, /lib/systemd/system, ...); the package's own directories hold
# nothing else, and the search for names below catches them too.
left=$(in_ct sh -c 'while read -r p; do
	[ -e "$p" ] || [ -L "$p" ] || continue
	[ -d "$p" ] && [ -n "$(ls -A "$p")" ] && continue
	echo "$p"
done' <"$TESTDIR/files.list")
[ -z "$left" ] || fail "purge left files of the package: $left"
in_ct test ! -e /etc/acceptd && in_ct test ! -e /var/lib/acceptd ||
	fail "purge left /etc/acceptd or /var/lib/acceptd"
left=$(in_ct find / /var/tmp /tmp -xdev \( -user acceptd -o -group acceptd -o -name '*acceptd*' \) -print 2>&1)
[ -z "$left" ] || fail "purge left files named acceptd or owned by its user: $left"
ok "purge: none of the $(wc -l <"$TESTDIR/files.list") paths of dpkg -L left, /etc/acceptd and the user's home gone, no file named acceptd or owned by it"

t0=$(now_us)
ct_poweroff || fail "the container did not power off cleanly: $(tail -n 20 "$TESTDIR/nspawn.log")"
ok "container powered off ($(since_s "$t0") s)"
note "timings: root filesystem $ROOTFS_TIME s (0: cached), boot $BOOT_TIME s, install $INSTALL_TIME s, whole test $(since_s "$T_START") s"
exit 0
