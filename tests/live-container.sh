#!/bin/bash
# A real namespace container in cgroups of its own (named like LXC does),
# burning a CFS-quota-capped share of CPU, holding known anonymous memory
# and writing a fresh file. vtax's numbers against the kernel's own.
. "$(dirname "$0")/lib/common.sh"
need_live
need_root "creates cgroups and namespaces"
need_cmd python3 python3
need_cmd unshare util-linux
name="vtaxct$$"
rel="/lxc.payload.$name"
work=$(mktemp -d /var/tmp/vtax-live.XXXXXX)
cleanup() {
	[ -n "${cpid:-}" ] && kill -9 "$cpid" 2>/dev/null
	for h in $(cg_hierarchies); do
		[ -f "$h$rel/cgroup.procs" ] && for p in $(cat "$h$rel/cgroup.procs"); do kill -9 "$p" 2>/dev/null; done
	done
	sleep 0.3
	cg_remove "$rel"
	rm -rf "$work"
}
trap cleanup EXIT
cg_make "$rel"
# 30% of one CPU by CFS quota, v1 or v2
if [ -f "/sys/fs/cgroup/cpu$rel/cpu.cfs_quota_us" ]; then
	echo 100000 >"/sys/fs/cgroup/cpu$rel/cpu.cfs_period_us"
	echo 30000 >"/sys/fs/cgroup/cpu$rel/cpu.cfs_quota_us"
elif [ -f "/sys/fs/cgroup$rel/cpu.max" ]; then
	echo "30000 100000" >"/sys/fs/cgroup$rel/cpu.max"
else
	skip "no CPU controller to set a quota with"
fi
ANON_MB=160 FILE_MB=48
cat >"$work/inside.sh" <<IN
#!/bin/sh
while :; do :; done &
echo \$! >/vtax-burn.pid 2>/dev/null || true
python3 -c 'import time; x = bytearray(b"\\1") * ($ANON_MB << 20); open("$work/anon.ready", "w").close(); time.sleep(3600)' &
dd if=/dev/urandom of=$work/fresh.bin bs=1M count=$FILE_MB status=none
touch $work/file.ready
wait
IN
chmod +x "$work/inside.sh"
bash -c "$(declare -f cg_hierarchies cg_enter); cg_enter '$rel' \$\$; exec unshare --fork --pid --mount-proc --uts --ipc sh '$work/inside.sh'" &
cpid=$!
for _ in $(seq 300); do [ -e "$work/anon.ready" ] && [ -e "$work/file.ready" ] && break; sleep 0.1; done
[ -e "$work/anon.ready" ] || { fail "container workload started"; finish; }
sleep 1

# ground truth from the kernel: the container's processes' CPU ticks
procs_file=$(cg_file "$rel" cgroup.procs)
# shellcheck disable=SC2046 # word splitting of stat fields is the point
ticks() { local t=0 p; for p in $(cat "$procs_file"); do
	set -- $(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null); [ $# -gt 13 ] && t=$((t + ${12} + ${13})); done; echo $t; }
t0=$(ticks); w0=$(date +%s.%N)
"$VTAX" --json -n 4 -d 1 >"$work/out.jsonl" 2>"$work/err"
t1=$(ticks); w1=$(date +%s.%N)
hz=$(getconf CLK_TCK)
truth_cpu=$(python3 -c "print(($t1-$t0)/$hz/($w1-$w0)*100)")
rss_kb=0
for p in $(cat "$procs_file"); do
	r=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null); rss_kb=$((rss_kb + ${r:-0}))
done
echo "ground truth: cpu ${truth_cpu}% rss ${rss_kb} kB file ${FILE_MB} MB"
pyjson "$work/out.jsonl" "guest(id='$name')" || true
check "found as an LXC container with its name" pyjson "$work/out.jsonl" "guest(id='$name')['kind'] == 'container' and guest(id='$name')['runtime'] == 'lxc' and guest(id='$name')['name'] == '$name'"
cpu=$(python3 -c "
import json
fr=[json.loads(l) for l in open('$work/out.jsonl')][1:]
v=[g['cpu']['total'] for f in fr for g in f['guests'] if g['id']=='$name']
print(sum(v)/len(v))")
check "CPU within 5 points of the kernel's ticks ($cpu vs $truth_cpu)" near "$cpu" "$truth_cpu" 5
check "CPU near the 30% quota" near "$cpu" 30 5
check "usr+sys = total, no guest time for a container" pyjson "$work/out.jsonl" "abs(guest(id='$name')['cpu']['usr'] + guest(id='$name')['cpu']['sys'] - guest(id='$name')['cpu']['total']) < 0.02 and guest(id='$name')['cpu']['guest'] is None"
check "page cache within 10% of the fresh file ($FILE_MB MB)" pyjson "$work/out.jsonl" "abs(guest(id='$name')['mem']['page_cache'] - $FILE_MB*1048576) <= 0.1*$FILE_MB*1048576"
check "working set within 10% of the processes' RSS" pyjson "$work/out.jsonl" "abs(guest(id='$name')['mem']['working_set'] - $rss_kb*1024) <= 0.1*$rss_kb*1024"
check "host memory within 10% of RSS + file" pyjson "$work/out.jsonl" "abs(guest(id='$name')['mem']['host'] - ($rss_kb*1024 + $FILE_MB*1048576)) <= 0.1*($rss_kb*1024 + $FILE_MB*1048576)"
check "process count (sh, burner, python, unshare)" pyjson "$work/out.jsonl" "guest(id='$name')['pids'] >= 3"
check "no helper, no tax" pyjson "$work/out.jsonl" "guest(id='$name')['mem']['tax'] == 0 and guest(id='$name')['cpu']['tax'] == 0.0"
check "no errors printed (but notices about other tests' peers)" no_own_output "$work/err" "$work"

# the container vanishes mid-run: no error, it just leaves the table
"$VTAX" --json -n 3 -d 0.5 >"$work/gone.jsonl" 2>"$work/err" &
vp=$!
sleep 0.7; cleanup; cpid=""; trap - EXIT
wait $vp; rc=$?
check "vanishing container: exit 0, no message" sh -c "[ $rc -eq 0 ] && [ ! -s '$work/err' ]"
finish
