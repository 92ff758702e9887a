#!/bin/bash
# vtax live on a pure cgroup v2 host shaped like a Proxmox VE node. This
# machine is a v1/v2 hybrid, so the test builds that host as a VM: the
# test guest's Debian kernel booted with cgroup_no_v1=all, cgroup2 at
# /sys/fs/cgroup with +cpu +memory +io +pids down the tree as systemd
# enables them, and the vtax built here in its initramfs
# (tests/lib/v2host-image.sh, v2host-init.sh). Inside it, placed as
# Proxmox VE places them and named from an /etc/pve written in the VM: a
# VM (/qemu.slice/9801.scope, a nested QEMU under TCG running a halted
# boot sector, QMP at /var/run/qemu-server/9801.qmp), a container with
# systemd-style cgroups and a threaded subtree inside (/lxc/9802/ns/...)
# and its monitor (/lxc.monitor/9802), a container burning under cpu.max
# with known anonymous memory and page cache (/lxc/9803), and a
# Docker-shaped scope doing I/O. vtax runs inside the VM (--json with
# --record, then -b), the VM reads the kernel's own numbers beside it, and
# both come out on a serial port; tests/lib/v2host-check.py compares them.
# A second boot with psi=0 and delay accounting on adds an nspawn-shaped
# machine and a container whose parent enables only the cpu controller.
#
# VTAX_V2_RECORD=FILE keeps the VM's --record file (how
# tests/fixtures/pve-v2-host.jsonl was made); VTAX_V2_KEEP=DIR keeps the
# serial logs and the comparison table.
. "$(dirname "$0")/lib/common.sh"
need_live
need_root "boots a VM in a cgroup of its own"
need_cmd python3 python3
command -v "${VTAX_QEMU:-qemu-system-x86_64}" >/dev/null ||
	skip "needs qemu-system-x86_64 (apt-get install qemu-system-x86)"
lib="$SRCDIR/tests/lib"
base=${VTAX_V2_DIR:-/var/tmp}
mkdir -p "$base"
work=$(mktemp -d "$base/vtax-v2host.XXXXXX")
cgroup=/vtax-v2host-$$
running=""
cleanup() {
	local p
	for p in $running; do
		bash "$lib/qemu-guest.sh" stop "$work/$p.pid" >/dev/null 2>&1
	done
	if [ -n "${VTAX_V2_KEEP:-}" ]; then
		mkdir -p "$VTAX_V2_KEEP"
		cp "$work"/*.log "$work"/*.md "$VTAX_V2_KEEP/" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rc=0
bash "$lib/v2host-image.sh" "$work/v2.cpio" "$VTAX" 2>"$work/image.err" || rc=$?
if [ "$rc" = 77 ]; then
	skip "$(grep SKIP "$work/image.err" | head -1)"
elif [ "$rc" != 0 ]; then
	cat "$work/image.err"
	fail "the v2 host's initramfs was built"
	finish
fi
echo "[${SECONDS}s] initramfs: $(tail -1 "$work/image.err")"

# boot NAME MB CPUS APPEND: run the VM to its end (VTAXDONE on its data
# port, at most 240 s), then stop it
boot() {
	local name=$1 start=$SECONDS rc=0
	truncate -s 128M "$work/$name.disk"
	bash "$lib/qemu-guest.sh" start "v2host-$name-$$" --mem "$2" --cpus "$3" \
		--initrd "$work/v2.cpio" --disk "$work/$name.disk" --data-log "$work/$name.data.log" \
		--log "$work/$name.console.log" --pidfile "$work/$name.pid" --qmp "$work/$name.qmp" \
		--cgroup "$cgroup-$name" --append "cgroup_no_v1=all $4" >/dev/null 2>"$work/$name.start.err" ||
		rc=$?
	if [ "$rc" = 77 ]; then
		skip "$(grep SKIP "$work/$name.start.err" | head -1)"
	elif [ "$rc" != 0 ]; then
		cat "$work/$name.start.err"
		return 1
	fi
	running="$running $name"
	local pid
	pid=$(cat "$work/$name.pid")
	while [ $((SECONDS - start)) -lt 240 ]; do
		grep -aq VTAXDONE "$work/$name.data.log" 2>/dev/null && break
		[ -d "/proc/$pid" ] || break
		sleep 0.5
	done
	bash "$lib/qemu-guest.sh" stop "$work/$name.pid" >/dev/null 2>&1 ||
		fail "$name: QEMU stopped and its cgroup removed"
	running=${running/ $name/}
	echo "[${SECONDS}s] $name: the VM ran $((SECONDS - start)) s"
	grep -aq VTAXDONE "$work/$name.data.log" || {
		tr -d '\r' <"$work/$name.console.log" | tail -20
		return 1
	}
}

compare() {  # compare SCENARIO: one check per line of v2host-check.py
	local what ok
	python3 "$lib/v2host-check.py" "$1" "$work/$1.data.log" "$work/$1.table.md" \
		>"$work/$1.checks" 2>"$work/$1.check.err" ||
		{ cat "$work/$1.check.err"; fail "$1: the comparison ran"; }
	while IFS=$'\t' read -r ok what; do
		check "$1: $what" [ "$ok" = 1 ]
	done <"$work/$1.checks"
	echo "vtax against the kernel on the v2 host ($1):"
	sed 's/^/  /' "$work/$1.table.md"
}

if boot full 1280 2 "vtax.scenario=full"; then
	compare full
	if [ -n "${VTAX_V2_RECORD:-}" ]; then
		sed -n 's/^VTAXREC //p' "$work/full.data.log" >"$VTAX_V2_RECORD"
		echo "recording kept in $VTAX_V2_RECORD"
	fi
	# the recording replays into what vtax printed live
	sed -n 's/^VTAXREC //p' "$work/full.data.log" >"$work/rec.jsonl"
	sed -n 's/^VTAXJSON //p' "$work/full.data.log" >"$work/live.jsonl"
	"$VTAX" --json --replay "$work/rec.jsonl" >"$work/replay.jsonl" 2>"$work/replay.err"
	check "full: the VM's --record replays into the JSON vtax printed live" \
		cmp -s "$work/live.jsonl" "$work/replay.jsonl"
else
	fail "full: the v2 host VM booted and ran to its end"
fi
if boot psi0 768 2 "psi=0 vtax.scenario=psi0 vtax.frames=4"; then
	compare psi0
else
	fail "psi0: the v2 host VM booted and ran to its end"
fi
check "no QEMU of this test left" sh -c "! pgrep -f 'v2host-(full|psi0)-$$,' >/dev/null"
check "no cgroup of this test left" sh -c "! ls -d /sys/fs/cgroup/*/vtax-v2host-$$-* /sys/fs/cgroup/vtax-v2host-$$-* 2>/dev/null | grep -q ."
finish
