#!/bin/bash
# Contention and blame, live: a TCG VM burning its one vCPU while a
# container with ten times its CPU weight burns three loops on this
# machine's CPUs. vtax's cpu.wait for the VM must match the run delay of
# its vCPU thread (schedstat, read by this test all along) over the same
# seconds, and be high. A container writing with O_DIRECT to a file on the
# host's disk must get io.host_share >= 70 while an idle one stays <= 10.
# The blame view (B) must rank the hog and the writer first.
. "$(dirname "$0")/lib/common.sh"
need_live
need_root "creates cgroups and runs QEMU"
need_cmd python3 python3
need_cmd tmux tmux
need_cmd qemu-system-x86_64 qemu-system-x86
[ -r /proc/self/schedstat ] || skip "the kernel keeps no schedstat (CONFIG_SCHED_INFO)"
lib="$SRCDIR/tests/lib"
need_guest_image
work=$(mktemp -d /var/tmp/vtax-contention.XXXXXX)
export VTAX_GUEST_RUNDIR="$work"
sock="$work/tmux.sock"
T() { tmux -S "$sock" "$@"; }
vmid=$((9100 + $$ % 800))
vm_cg="/qemu.slice/$vmid.scope"
hog="ct24hog$$" wr="ct24wr$$" idle="ct24idle$$"
cleanup() {
	tmux_end "$sock"
	[ -n "${sampler:-}" ] && kill "$sampler" 2>/dev/null
	bash "$lib/qemu-guest.sh" stop "$work/vm.pid" --cgroup "$vm_cg" >/dev/null 2>&1
	for n in $hog $wr $idle; do cg_kill "/lxc.payload.$n"; done
	sleep 0.3
	for n in $hog $wr $idle; do cg_remove "/lxc.payload.$n"; done
	rm -rf "$work"
}
trap cleanup EXIT

# ct NAME SCRIPT: run SCRIPT in NAME's container cgroups
ct() {
	cg_make "/lxc.payload.$1"
	bash -c "$(declare -f cg_hierarchies cg_enter); cg_enter '/lxc.payload.$1' \$\$; exec sh '$2'" &
	disown $!   # killed by the clean-up, not waited for
}
# the CPU weight of a cgroup, v1 cpu.shares or v2 cpu.weight
weight() {
	local f
	for h in $(cg_hierarchies); do
		f="$h$1/cpu.shares"; [ -f "$f" ] && echo "$2" >"$f"
		f="$h$1/cpu.weight"; [ -f "$f" ] && echo $(($2 * 100 / 1024)) >"$f"
	done
	return 0
}

bash "$lib/qemu-guest.sh" start ct-vm --mem 128 --cgroup "$vm_cg" --pidfile "$work/vm.pid" \
	--log "$work/vm.log" --qmp "$work/vm.qmp" --append "vtax.burn=1" >/dev/null ||
	{ fail "QEMU guest started"; finish; }
bash "$lib/qemu-guest.sh" wait-ready "$work/vm.log" 120 >/dev/null 2>&1 ||
	{ fail "guest booted"; tail -5 "$work/vm.log"; finish; }
qpid=$(cat "$work/vm.pid")
weight "$vm_cg" 1024

printf '#!/bin/sh\nfor i in 1 2 3; do (while :; do :; done) & done\nwait\n' >"$work/hog.sh"
ct "$hog" "$work/hog.sh"
weight "/lxc.payload.$hog" 10240
printf '#!/bin/sh\nexec sleep 600\n' >"$work/idle.sh"
ct "$idle" "$work/idle.sh"
sleep 2

# ground truth: the VM's vCPU threads' run delay (schedstat, 2nd field),
# every 0.1 s, with the time it was read
cat >"$work/delay.py" <<'PY'
import json, os, sys, time
stop, pid = sys.argv[1], sys.argv[2]
while not os.path.exists(stop):
    t, wait = time.time(), 0
    for tid in os.listdir("/proc/%s/task" % pid):
        try:
            if open("/proc/%s/task/%s/comm" % (pid, tid)).read().startswith("CPU "):
                wait += int(open("/proc/%s/task/%s/schedstat" % (pid, tid)).read().split()[1])
        except OSError:
            pass
    print(json.dumps({"t": t, "wait": wait}), flush=True)
    time.sleep(max(0, 0.1 - (time.time() - t)))
PY
python3 "$work/delay.py" "$work/stop" "$qpid" >"$work/delay.jsonl" &
sampler=$!
for _ in $(seq 50); do [ -s "$work/delay.jsonl" ] && break; sleep 0.1; done
"$VTAX" --json -n 6 -d 2 >"$work/cpu.jsonl" 2>"$work/err"
sleep 0.3
touch "$work/stop"; wait $sampler; sampler=""
truth=$(python3 - "$work/delay.jsonl" "$work/cpu.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
fr = [json.loads(l) for l in open(sys.argv[2])]
def at(t):
    for a, b in zip(rows, rows[1:]):
        if a["t"] <= t <= b["t"]:
            return a["wait"] + (b["wait"] - a["wait"]) * (t - a["t"]) / (b["t"] - a["t"])
    raise SystemExit("no schedstat sample around %s" % t)
A, B = fr[0]["time"], fr[-1]["time"]
print("%.2f" % ((at(B) - at(A)) / 1e9 / (B - A) * 100))
PY
)
got=$(python3 -c "
import json
fr=[json.loads(l) for l in open('$work/cpu.jsonl')][1:]
num=den=0.0
for f in fr:
    for g in f['guests']:
        if g['id']=='$vmid' and g['cpu']['wait'] is not None:
            num+=g['cpu']['wait']*f['interval']; den+=f['interval']
print('%.2f' % (num/den) if den else -1)")
echo "VM $vmid: vtax cpu.wait $got%, its vCPU thread's schedstat $truth%"
tol=$(python3 -c "print(max(5, 0.25 * $truth))")
check "VM's cpu.wait within 5 points or 25% of its vCPU thread's run delay ($got vs $truth)" \
	near "$got" "$truth" "$tol"
check "the VM waits visibly (cpu.wait > 25%: $got)" python3 -c "import sys; sys.exit(0 if $got > 25 else 1)"
check "cpu.vcpus names its vCPU 0 with the same wait" pyjson "$work/cpu.jsonl" \
	"guest(id='$vmid')['cpu']['vcpus'][0]['index'] == 0 and abs(guest(id='$vmid')['cpu']['vcpus'][0]['wait'] - guest(id='$vmid')['cpu']['wait']) < 0.5"
check "the hog container's wait is read from its tasks (not null)" pyjson "$work/cpu.jsonl" \
	"guest(id='$hog')['cpu']['wait'] is not None and guest(id='$hog')['cpu']['wait'] > 0"
check "the idle container waits for nothing (0, not null)" pyjson "$work/cpu.jsonl" \
	"guest(id='$idle')['cpu']['wait'] == 0"

# the disk: a writer with O_DIRECT beside the idle container
printf '#!/bin/sh\nwhile :; do dd if=/dev/zero of=%s bs=1M count=64 oflag=direct conv=fsync 2>/dev/null; done\n' \
	"$work/direct.img" >"$work/writer.sh"
ct "$wr" "$work/writer.sh"
sleep 2
"$VTAX" --json -n 5 -d 2 >"$work/io.jsonl" 2>>"$work/err"
share() {  # the median of io.host_share of guest id $1 over frames with rates
	python3 -c "
import json, statistics
fr=[json.loads(l) for l in open('$work/io.jsonl')][1:]
v=[g['io']['host_share'] for f in fr for g in f['guests'] if g['id']=='$1' and g['io']['host_share'] is not None]
print('%.1f' % statistics.median(v) if v else -1)"
}
sw=$(share "$wr") si=$(share "$idle")
echo "io.host_share: writer $sw%, idle $si%"
check "the O_DIRECT writer moved >= 70% of the disk's bytes ($sw)" python3 -c "import sys; sys.exit(0 if $sw >= 70 else 1)"
check "the idle container's share stays <= 10 ($si)" python3 -c "import sys; sys.exit(0 if 0 <= $si <= 10 else 1)"
check "host disk rates are in the JSON" pyjson "$work/io.jsonl" "frames[-1]['host']['disk']['write'] > 0"

# the blame view: hog and writer first
T new-session -d -x 150 -y 40 "$VTAX -d 1"
sleep 14
T send-keys B
sleep 2.5
T capture-pane -p >"$work/blame.txt"
sed 's/^/  | /' "$work/blame.txt" | grep -A8 BLAME
first2=$(awk '/^ +# GUEST/ {on=1; next} on && NF > 2 {print $2} ' "$work/blame.txt" | head -2 | sort | tr '\n' ' ')
want=$(printf '%s\n%s\n' "$hog" "$wr" | sort | tr '\n' ' ')
check "the blame view ranks the hog and the writer first ($first2)" test "$first2" = "$want"
check "vtax wrote nothing to stderr" no_output "$work/err"
finish
