#!/bin/bash
# KSM per VM, live: two TCG VMs (Proxmox-placed) whose guests keep 64 MB
# of one fixed pattern, KSM switched on with fast scanning for the test
# and restored afterwards (also on failure); vtax's mem.ksm of each VM is
# within 10% of the kernel's per-process counter (/proc/PID/ksm_stat
# ksm_merging_pages x page size) read by the test right after, and
# mem.ksm_profit within 10% of ksm_process_profit.
. "$(dirname "$0")/lib/common.sh"
need_live
need_root "switches KSM on, creates cgroups and runs QEMU"
need_cmd python3 python3
need_cmd qemu-system-x86_64 qemu-system-x86
ksm=/sys/kernel/mm/ksm
[ -w "$ksm/run" ] || skip "no KSM here ($ksm/run missing or read-only)"
lib="$SRCDIR/tests/lib"
fill_mb=64
page=$(getconf PAGESIZE)
work=$(mktemp -d /tmp/vtax-ksm14.XXXXXX)
export VTAX_GUEST_RUNDIR="$work"
bash "$lib/guest-image.sh" >"$work/image.log" 2>&1
rc=$?
[ $rc -eq 77 ] && { rm -rf "$work"; skip "cannot build the test guest: $(tail -1 "$work/image.log")"; }
[ $rc -eq 0 ] || { cat "$work/image.log"; rm -rf "$work"; echo "guest-image.sh failed"; exit 1; }
[ -r "/proc/self/ksm_stat" ] || [ -r "/proc/self/ksm_merging_pages" ] ||
	{ rm -rf "$work"; skip "this kernel has no per-process KSM counters (/proc/PID/ksm_stat)"; }

# KSM is host-wide: one test at a time switches it
exec 9>>/tmp/vtax-tests-ksm.lock # (QEMU is started without it: the lock ends with the test)
flock -x 9
vmid_a=$((91400 + $$ % 50)) vmid_b=$((91450 + $$ % 50))
saved_run=$(cat "$ksm/run") saved_scan=$(cat "$ksm/pages_to_scan") saved_sleep=$(cat "$ksm/sleep_millisecs")
ksm_touched=""
cleanup() {
	for t in a b; do
		v=vmid_$t
		bash "$lib/qemu-guest.sh" stop "$work/$t.pid" --cgroup "/qemu.slice/${!v}.scope" >/dev/null 2>&1
	done
	if [ -n "$ksm_touched" ]; then
		# KSM was off: undo the merging it did (other VMs' pages too)
		[ "$saved_run" = 0 ] && echo 2 >"$ksm/run"
		echo "$saved_run" >"$ksm/run"
		echo "$saved_scan" >"$ksm/pages_to_scan"
		echo "$saved_sleep" >"$ksm/sleep_millisecs"
		echo "KSM restored: run $(cat "$ksm/run"), pages_to_scan $(cat "$ksm/pages_to_scan"), sleep_millisecs $(cat "$ksm/sleep_millisecs")"
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap "exit 1" INT TERM HUP

mkdir -p "$work/pve/qemu-server"
for t in a b; do
	v=vmid_$t
	printf 'cores: 1\nmemory: 160\nname: k14-ksm-%s\n' "$t" >"$work/pve/qemu-server/${!v}.conf"
	bash "$lib/qemu-guest.sh" start "k14-ksm-$t" --mem 160 --cgroup "/qemu.slice/${!v}.scope" \
		--pidfile "$work/$t.pid" --log "$work/$t.log" --append "vtax.fill_mb=$fill_mb" >/dev/null 9>&- ||
		{ fail "QEMU guest $t started"; finish; }
done
for t in a b; do
	bash "$lib/qemu-guest.sh" wait-ready "$work/$t.log" 120 >/dev/null 2>&1 ||
		{ fail "guest $t booted"; tail -5 "$work/$t.log"; finish; }
	grep -a VTAXFILL "$work/$t.log"
done
pid_a=$(cat "$work/a.pid") pid_b=$(cat "$work/b.pid")
check "both guests hold the pattern (RssAnon >= 90% of $fill_mb MB)" sh -c \
	"for t in a b; do grep -a VTAXFILL '$work'/\$t.log | awk '{ split(\$3, r, \"=\"); exit !(r[2] >= 0.9 * $fill_mb * 1024) }' || exit 1; done"

# ksm KEY PID: KEY of PID's ksm_stat (ksm_merging_pages also without it)
ksm() {
	if [ -r "/proc/$2/ksm_stat" ]; then
		awk -v k="$1" '$1 == k { print $2 }' "/proc/$2/ksm_stat"
	elif [ "$1" = ksm_merging_pages ]; then
		cat "/proc/$2/ksm_merging_pages"
	fi
}
vtax_json() { "$VTAX" --json -n 1 --pve-dir "$work/pve" >"$1" 2>>"$work/err"; }

if [ "$saved_run" = 0 ]; then
	vtax_json "$work/off.json"
	check "KSM off: mem.ksm 0 for both VMs (known, not null)" pyjson "$work/off.json" \
		"guest(id='$vmid_a')['mem']['ksm'] == 0 and guest(id='$vmid_b')['mem']['ksm'] == 0"
fi

ksm_touched=1
echo 4000 >"$ksm/pages_to_scan"
echo 10 >"$ksm/sleep_millisecs"
echo 1 >"$ksm/run"
# wait until both are merged (>= 90% of the fill) and stable (< 1% change in 1 s)
want=$((fill_mb * 1024 * 1024 / page * 9 / 10))
stable=""
t0=$(date +%s)
for _ in $(seq 90); do
	a0=$(ksm ksm_merging_pages "$pid_a") b0=$(ksm ksm_merging_pages "$pid_b")
	sleep 1
	a1=$(ksm ksm_merging_pages "$pid_a") b1=$(ksm ksm_merging_pages "$pid_b")
	if [ "$a1" -ge "$want" ] && [ "$b1" -ge "$want" ] &&
		[ $(((a1 - a0) * 100)) -le "$a1" ] && [ $(((a0 - a1) * 100)) -le "$a1" ] &&
		[ $(((b1 - b0) * 100)) -le "$b1" ] && [ $(((b0 - b1) * 100)) -le "$b1" ]; then
		stable=1
		break
	fi
done
echo "merging pages after $(($(date +%s) - t0)) s: VM a $a1, VM b $b1 (want >= $want, full scans $(cat "$ksm/full_scans"))"
check "KSM merged the pattern in both VMs and settled" [ -n "$stable" ]

k0a=$(ksm ksm_merging_pages "$pid_a") k0b=$(ksm ksm_merging_pages "$pid_b")
vtax_json "$work/on.json"
k1a=$(ksm ksm_merging_pages "$pid_a") k1b=$(ksm ksm_merging_pages "$pid_b")
p1a=$(ksm ksm_process_profit "$pid_a") p1b=$(ksm ksm_process_profit "$pid_b")
for t in a b; do
	v=vmid_$t k0=k0$t k1=k1$t p1=p1$t
	got=$(python3 -c "import json; g = [g for g in json.load(open('$work/on.json'))['guests'] if g['id'] == '${!v}'][0]['mem']; print(g['ksm'], g['ksm_profit'])")
	echo "VM $t (${!v}): vtax mem.ksm ${got% *} B, kernel ksm_merging_pages ${!k0} -> ${!k1} pages ($((${!k1} * page)) B); vtax ksm_profit ${got#* }, kernel ksm_process_profit ${!p1}"
	check "VM $t: mem.ksm within 10% of the kernel's ksm_merging_pages x page" \
		pyjson "$work/on.json" "abs(guest(id='${!v}')['mem']['ksm'] - ${!k1} * $page) <= 0.1 * ${!k1} * $page"
	if [ -n "${!p1}" ]; then
		check "VM $t: mem.ksm_profit within 10% of the kernel's ksm_process_profit" \
			pyjson "$work/on.json" "abs(guest(id='${!v}')['mem']['ksm_profit'] - max(${!p1}, 0)) <= 0.1 * abs(${!p1}) + $page"
	fi
done
"$VTAX" -b -n 1 --pve-dir "$work/pve" -o id,name,ksm >"$work/out.txt" 2>>"$work/err"
sed 's/^/  | /' "$work/out.txt" | grep -E 'KSM|k14-ksm'
check "text: the KSM column of each VM (not '-')" sh -c \
	"grep -Eq '^$vmid_a +k14-ksm-a +[0-9.]+M\$' '$work/out.txt' && grep -Eq '^$vmid_b +k14-ksm-b +[0-9.]+M\$' '$work/out.txt'"
check "no errors printed (but notices about other tests' peers)" no_own_output "$work/err" "$work"
finish
