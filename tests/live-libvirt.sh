#!/bin/bash
# A VM that a real libvirtd runs (TCG, the test guest's kernel and
# initramfs, a virtio balloon with a statistics period, virtio-net on a
# bridge of the test's own, a virtio disk): vtax names it as libvirt does,
# takes its memory, interfaces and disks from libvirt's API and they agree
# with the guest's console and with virsh; its CPU agrees with the QEMU
# process's own utime+stime (virsh domstats --cpu-total is wrong on this
# host: see doc/accuracy.md). Then libvirtd hung: one notice, refresh on
# time. libvirtd is started here (and stopped by pid) unless one runs.
. "$(dirname "$0")/lib/common.sh"
need_root "libvirtd and its domains"
need_live
for c in virsh libvirtd virtlogd qemu-system-x86_64 python3; do need_cmd "$c" "$c"; done
tmp=$(mktemp -d /tmp/vtax-lv14.XXXXXX)
dom=vtax-lv14-test br=lv14t0 img=/var/lib/libvirt/images/vtax-lv14-test
V() { virsh -q -c qemu:///system "$@"; }
# pyjson_val FILE EXPR: EXPR's value in the last frame (guest() as pyjson)
pyjson_val() {
	python3 - "$1" "$2" <<'PY'
import json, sys
d = json.loads([l for l in open(sys.argv[1]) if l.strip()][-1])
def guest(**kw):
    return next(g for g in d["guests"] if all(g.get(k) == v for k, v in kw.items()))
print(eval(sys.argv[2]))
PY
}
started_lv=""
cleanup() {
	V destroy "$dom" >/dev/null 2>&1
	[ -n "${stopped:-}" ] && kill -CONT "$(cat "$tmp/libvirtd.pid")" 2>/dev/null
	if [ -n "$started_lv" ]; then
		for d in libvirtd virtlogd; do
			[ -s "$tmp/$d.pid" ] && kill "$(cat "$tmp/$d.pid")" 2>/dev/null
		done
	fi
	ip link del "$br" 2>/dev/null
	rm -rf "$img" "$tmp"
}
trap cleanup EXIT

# the guest image (virtio_blk and virtio_net in it)
bash "$SRCDIR/tests/lib/guest-image.sh" >"$tmp/image.log" 2>&1
rc=$?
[ $rc -eq 77 ] && skip "cannot build the test guest: $(tail -1 "$tmp/image.log")"
[ $rc -eq 0 ] || { echo "guest-image.sh failed:"; cat "$tmp/image.log"; exit 1; }
cache=${VTAX_GUEST_CACHE:-${VTAX_TEST_CACHE:-/var/cache/vtax-test}/guest}

if ! V version >/dev/null 2>&1; then
	# no libvirtd: ours, with pid files of our own
	virtlogd -d -p "$tmp/virtlogd.pid" && libvirtd -d -p "$tmp/libvirtd.pid" ||
		skip "libvirtd does not start here"
	started_lv=1
	for _ in $(seq 50); do V version >/dev/null 2>&1 && break; sleep 0.2; done
fi
V version >/dev/null 2>&1 || skip "libvirtd does not answer on qemu:///system"

mkdir -p "$img"
cp "$cache/vmlinux" "$cache/initramfs.cpio.gz" "$img/"
truncate -s 32M "$img/disk.raw"
ip link add "$br" type bridge && ip addr add 169.254.14.1/16 dev "$br" && ip link set "$br" up ||
	skip "cannot make a bridge"
cat >"$tmp/dom.xml" <<EOF
<domain type='qemu'>
  <name>$dom</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$img/vmlinux</kernel>
    <initrd>$img/initramfs.cpio.gz</initrd>
    <cmdline>console=ttyS0 quiet vtax.burn=1 vtax.vda_mb=8 vtax.ping=169.254.14.2,169.254.14.1,25</cmdline>
  </os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw' cache='none'/>
      <source file='$img/disk.raw'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='bridge'>
      <source bridge='$br'/>
      <model type='virtio'/>
    </interface>
    <serial type='file'><source path='$tmp/console.log'/></serial>
    <memballoon model='virtio'><stats period='2'/></memballoon>
  </devices>
</domain>
EOF
V create "$tmp/dom.xml" >"$tmp/create.log" 2>&1 || { cat "$tmp/create.log"; fail "virsh create"; finish; }
id=$(V domid "$dom")
pid=$(cat "/run/libvirt/qemu/$dom.pid" 2>/dev/null)
echo "domain $dom id $id pid $pid"
for _ in $(seq 300); do grep -q VTAXPING "$tmp/console.log" 2>/dev/null && break; sleep 0.2; done
check "the guest booted, wrote its disk and pinged" grep -q VTAXPING "$tmp/console.log"
sleep 4 # a balloon report after the workload

cpu_ticks() { awk '{ sub(/.*\) /, ""); split($0, f, " "); print f[12] + f[13] }' "/proc/$pid/stat"; }
virsh_cpu() { V domstats --cpu-total "$dom" | awk -F= '/cpu.time=/ { print $2 }'; }
t0=$(cpu_ticks) v0=$(virsh_cpu) s0=$(date +%s.%N)
"$VTAX" --json -n 4 -d 2 >"$tmp/out.jsonl" 2>"$tmp/err"
t1=$(cpu_ticks) v1=$(virsh_cpu) s1=$(date +%s.%N)
grep VTAXMEM "$tmp/console.log" | tail -1 >"$tmp/console.mem"
V dommemstat "$dom" >"$tmp/dommemstat"
V domifstat "$dom" vnet0 >"$tmp/domifstat" 2>/dev/null ||
	V domifstat "$dom" "$(V domiflist "$dom" | awk 'NR==1 { print $1 }')" >"$tmp/domifstat"
V domblkstat "$dom" vda >"$tmp/domblkstat"

check "vtax names it as libvirt does (id $id, $dom)" pyjson "$tmp/out.jsonl" \
	"guest(runtime='libvirt', id='$id')['name'] == '$dom' and guest(runtime='libvirt', id='$id')['main_pid'] == $pid"
gtot=$(pyjson_val "$tmp/out.jsonl" "guest(runtime='libvirt', id='$id')['mem']['guest_total']")
cons=$(sed 's/.*total_kb=\([0-9]*\).*/\1/' "$tmp/console.mem")
avail=$(awk '$1 == "available" { print $2 }' "$tmp/dommemstat")
echo "guest total: vtax $gtot B, console $cons kB, virsh dommemstat available $avail kB"
within() { python3 -c "import sys; a, b, p = map(float, sys.argv[1:]); sys.exit(0 if b > 0 and abs(a - b) <= p / 100 * b else 1)" "$@"; }
check "guest memory within 10% of the console" within "$gtot" "$((cons * 1024))" 10
check "guest memory within 10% of virsh dommemstat" within "$gtot" "$((avail * 1024))" 10
gused=$(pyjson_val "$tmp/out.jsonl" "guest(runtime='libvirt', id='$id')['mem']['guest_used']")
cav=$(sed 's/.*avail_kb=\([0-9]*\).*/\1/' "$tmp/console.mem")
echo "guest used: vtax $gused B, console total-avail $(((cons - cav) * 1024)) B"
check "guest used within 10% of the console's total - available" within "$gused" "$(((cons - cav) * 1024))" 10

for k in rx_bytes:net:rx_bytes tx_bytes:net:tx_bytes rd_bytes:block:read_bytes wr_bytes:block:write_bytes; do
	vk=${k%%:*} rest=${k#*:} grp=${rest%%:*} jk=${rest#*:}
	f=$tmp/domifstat
	[ "$grp" = block ] && f=$tmp/domblkstat
	peer=$(awk -v k="$vk" '$2 == k { print $3 }' "$f")
	mine=$(pyjson_val "$tmp/out.jsonl" "guest(runtime='libvirt', id='$id')['libvirt']['$grp']['$jk']")
	echo "$grp $jk: vtax $mine, virsh $peer"
	check "libvirt $grp $jk within 5% of virsh" within "$mine" "$peer" 5
done

# CPU: vtax's mean over its 3 rates against the QEMU process's own
# utime+stime over the run (the same interval, within a refresh)
python3 - "$tmp/out.jsonl" "$t0" "$t1" "$s0" "$s1" "$v0" "$v1" "$id" >"$tmp/cpu" <<'PY'
import json, os, sys
f, t0, t1, s0, s1, v0, v1, gid = sys.argv[1:]
hz = os.sysconf("SC_CLK_TCK")
frames = [json.loads(l) for l in open(f)][1:]
vals = [g["cpu"]["total"] for fr in frames for g in fr["guests"] if g["runtime"] == "libvirt" and g["id"] == gid]
dt = float(s1) - float(s0)
truth = (int(t1) - int(t0)) / hz / dt * 100
peer = (int(v1) - int(v0)) / 1e9 / dt * 100
print(f"{sum(vals) / len(vals):.1f} {truth:.1f} {peer:.1f}")
PY
read -r vcpu truth peer <"$tmp/cpu"
echo "CPU: vtax $vcpu%, QEMU utime+stime $truth%, virsh domstats --cpu-total $peer% (wrong here)"
check "CPU within 5 points of QEMU's own utime+stime" python3 -c "import sys; sys.exit(abs($vcpu - $truth) > 5)"
check "no notice while libvirtd answers" sh -c "! grep -q libvirt '$tmp/err'"

# libvirtd hung (ours only: never stop what another started)
if [ -n "$started_lv" ]; then
	kill -STOP "$(cat "$tmp/libvirtd.pid")" && stopped=1
	"$VTAX" --json -n 8 -d 0.5 >"$tmp/hung.jsonl" 2>"$tmp/hung.err"
	kill -CONT "$(cat "$tmp/libvirtd.pid")" && stopped=""
	cat "$tmp/hung.err"
	check "libvirtd hung: refresh stays on time" intervals_ok 0.5 "$tmp/hung.jsonl"
	check "libvirtd hung: one notice" sh -c "[ \$(grep -c 'libvirt.*no answer within' '$tmp/hung.err') -eq 1 ]"
	check "libvirtd hung: the VM still shown, its memory unknown with a note" pyjson "$tmp/hung.jsonl" \
		"guest(runtime='libvirt', id='$id')['note'] is not None"
else
	echo "libvirtd is not ours: the hung case is not run"
fi
finish
