#!/bin/bash
# SPDX-License-Identifier: MIT
# The systemd units (TESTING.md (e)): the generated acceptd.service and acceptd.socket, with
# the built binary visible at the configured sbindir and the man pages of Documentation=
# findable (a private mount namespace; nothing of the host changes). `systemd-analyze
# verify` on both must print nothing at all (unknown keys only warn), and `systemd-analyze
# security --offline=yes --threshold=25` must pass (exposure at most 2.5 of 10). The shape
# the daemon relies on: Type=notify, ExecStart= with -f, a first ExecReload= that checks the
# file (acceptd -t), no restart on a configuration error (78); the socket names a service
# of the packaged etc/acceptd.conf and starts acceptd.service. Self-checks of the harness:
# verify does complain about an unknown key, and security fails an unhardened copy.
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
sandbox "$@"

command -v systemd-analyze >/dev/null || skip "systemd-analyze missing (package systemd)"
THRESHOLD=25 # on 0-100; the report prints 0.0-10.0

service=$BUILDDIR/systemd/acceptd.service
socket=$top_srcdir/systemd/acceptd.socket
[ -f "$service" ] || hard_error "no $service: make generates it"
[ -f "$socket" ] || hard_error "no $socket"
U=$TESTDIR/units
mkdir -p "$U" "$TESTDIR/sbin" "$TESTDIR/man/man8" "$TESTDIR/man/man5" || hard_error "mkdir failed"
cp "$service" "$socket" "$U/" || hard_error "cannot copy the units"

# ---- The shape of the units.
# unit_values FILE KEY: the values of KEY= in FILE, one a line, in order
unit_values() {
	sed -n "s/^$2=//p" "$1"
}
[ "$(unit_values "$U/acceptd.service" Type)" = notify ] ||
	fail "acceptd.service: Type=$(unit_values "$U/acceptd.service" Type), expected notify"
start=$(unit_values "$U/acceptd.service" ExecStart)
sbindir=$(sed -n 's|^\(/.*\)/acceptd -f$|\1|p' <<<"$start")
[ -n "$sbindir" ] || fail "acceptd.service: ExecStart=$start is not 'SBINDIR/acceptd -f'"
reload1=$(unit_values "$U/acceptd.service" ExecReload | head -n 1)
[[ $reload1 == "$sbindir/acceptd -t"* ]] ||
	fail "acceptd.service: the first ExecReload= ($reload1) does not check the file with acceptd -t"
unit_values "$U/acceptd.service" ExecReload | tail -n +2 | grep -qF -- "-HUP \$MAINPID" ||
	fail "acceptd.service: no ExecReload= sending SIGHUP to \$MAINPID after the check"
unit_values "$U/acceptd.service" RestartPreventExitStatus | grep -qw 78 ||
	fail "acceptd.service: a configuration error (exit 78) is not kept from restarting"
[ "$(unit_values "$U/acceptd.socket" Service)" = acceptd.service ] ||
	fail "acceptd.socket: Service=$(unit_values "$U/acceptd.socket" Service)"
fdname=$(unit_values "$U/acceptd.socket" FileDescriptorName)
"$ACCEPTD" -t -c "$top_srcdir/etc/acceptd.conf" >"$TESTDIR/check.out" 2>&1 ||
	fail "acceptd -t rejects etc/acceptd.conf: $(cat "$TESTDIR/check.out")"
grep -q "^$fdname: " "$TESTDIR/check.out" ||
	fail "acceptd.socket: FileDescriptorName=$fdname is no service of etc/acceptd.conf: $(cat "$TESTDIR/check.out")"
ok "Type=notify, ExecStart=$start, ExecReload= checks first ($reload1), no restart on exit 78"
ok "acceptd.socket starts acceptd.service; FileDescriptorName=$fdname is a service of etc/acceptd.conf"

# ---- The built binary at $sbindir, for this namespace only.
cp "$ACCEPTD" "$TESTDIR/sbin/acceptd" || hard_error "cannot copy the binary"
if [ -d "$sbindir" ]; then
	# An overlay keeps what $sbindir holds; a plain bind mount would hide it.
	mount -t overlay overlay -o "lowerdir=$TESTDIR/sbin:$sbindir" "$sbindir" 2>/dev/null ||
		mount --bind "$TESTDIR/sbin" "$sbindir" ||
		hard_error "cannot put the binary at $sbindir"
else
	# No mount point without creating a directory on the host: point a copy at the binary.
	note "$sbindir does not exist here: verifying a copy with ExecStart= at the built binary"
	sed -i "s|$sbindir/acceptd|$TESTDIR/sbin/acceptd|g" "$U/acceptd.service" ||
		hard_error "cannot rewrite the copy"
fi
[ -x "$sbindir/acceptd" ] || [ ! -d "$sbindir" ] || hard_error "no $sbindir/acceptd after mounting"
# verify runs `man` for each Documentation= page: make ours findable through MANPATH.
cp "$top_srcdir/src/acceptd.8" "$TESTDIR/man/man8/" || hard_error "cannot copy acceptd.8"
cp "$top_srcdir/src/acceptd.conf.5" "$TESTDIR/man/man5/" || hard_error "cannot copy acceptd.conf.5"
verify_args=()
if ! command -v man >/dev/null; then
	# Without man(1) every Documentation= check fails, whatever the pages say.
	note "man(1) missing: verify --man=no"
	verify_args+=(--man=no)
fi

# verify FILE...: systemd-analyze verify, everything it prints (stdout and stderr)
verify() {
	MANPATH=$TESTDIR/man systemd-analyze verify "${verify_args[@]}" "$@" 2>&1
}

# Self-check: in this setup, verify does report a unit problem (an unknown key only warns).
mkdir -p "$TESTDIR/bad" || hard_error "mkdir failed"
cp "$U/acceptd.service" "$U/acceptd.socket" "$TESTDIR/bad/" || hard_error "cannot copy"
sed -i 's/^\[Service\]$/[Service]\nNoSuchKeyForTheSelfCheck=1/' "$TESTDIR/bad/acceptd.service"
out=$(verify "$TESTDIR/bad/acceptd.service" "$TESTDIR/bad/acceptd.socket")
grep -q NoSuchKeyForTheSelfCheck <<<"$out" ||
	hard_error "systemd-analyze verify does not report an unknown key here: '$out'"

rc=0
out=$(verify "$U/acceptd.service" "$U/acceptd.socket") || rc=$?
if [ "$rc" != 0 ] || [ -n "$out" ]; then
	fail "systemd-analyze verify (exit $rc) on the units is not silent:
$out"
fi
ok "systemd-analyze verify acceptd.service acceptd.socket: exit 0, no output"

# ---- Exposure.
# security FILE: systemd-analyze security at $THRESHOLD; sets SEC_OUT and SEC_RC
security() {
	SEC_RC=0
	SEC_OUT=$(systemd-analyze security --offline=yes --no-pager --threshold="$THRESHOLD" "$1" 2>&1) ||
		SEC_RC=$?
}
# Self-check: a copy without the hardening block fails the threshold.
sed -i '/^# Hardening/,/^\[Install\]/{/^\[Install\]/!d}' "$TESTDIR/bad/acceptd.service"
security "$TESTDIR/bad/acceptd.service"
[ "$SEC_RC" != 0 ] ||
	hard_error "an unhardened copy passes --threshold=$THRESHOLD: $(grep 'Overall exposure' <<<"$SEC_OUT")"
security "$U/acceptd.service"
exposure=$(grep 'Overall exposure level' <<<"$SEC_OUT")
[ -n "$exposure" ] || fail "systemd-analyze security printed no exposure level:
$SEC_OUT"
note "$exposure"
[ "$SEC_RC" = 0 ] || fail "exposure above the threshold $THRESHOLD (exit $SEC_RC): $exposure
$(grep '✗' <<<"$SEC_OUT")"
ok "systemd-analyze security --offline=yes --threshold=$THRESHOLD passes: ${exposure#*: }"
