#!/bin/bash
# The capsule, live: two namespace containers in cgroups of their own
# (named like LXC's), vtax's screen at -d 1 for 45 s in tmux, then s. The
# capsule beside the snapshot replays 30 frames or more holding both
# guests, and the capped container's CPU over the capsule's frames
# matches what its cgroup's own counter says over the same seconds.
. "$(dirname "$0")/lib/common.sh"
need_live
need_root "creates cgroups and namespaces"
need_cmd tmux tmux
need_cmd python3 python3
need_cmd unshare util-linux
SECONDS_LIVE=${CAPSULE_SECONDS:-45}
work=$(mktemp -d /var/tmp/vtax-live.XXXXXX)
sock="$work/tmux.sock"
T() { tmux -S "$sock" "$@"; }
a="vtaxcapa$$" b="vtaxcapb$$"
pids=""
cleanup() {
	tmux_end "$sock"
	# shellcheck disable=SC2086 # a list of pids
	[ -n "$pids" ] && kill -9 $pids 2>/dev/null
	for n in "$a" "$b"; do cg_kill "/lxc.payload.$n"; done
	sleep 0.3
	cg_remove "/lxc.payload.$a"
	cg_remove "/lxc.payload.$b"
	rm -rf "$work"
}
trap cleanup EXIT

# container a burns 20% of one CPU (CFS quota); b sleeps and wakes
start_ct() {  # start_ct NAME COMMAND
	local rel="/lxc.payload.$1"
	cg_make "$rel"
	bash -c "$(declare -f cg_hierarchies cg_enter); cg_enter '$rel' \$\$; exec unshare --fork --pid --mount-proc --uts sh -c '$2'" &
	pids="$pids $!"
	disown $!
}
cg_make "/lxc.payload.$a"
if [ -f "/sys/fs/cgroup/lxc.payload.$a/cpu.max" ]; then
	echo "20000 100000" >"/sys/fs/cgroup/lxc.payload.$a/cpu.max"
	usage() { sed -n 's/^usage_usec //p' "/sys/fs/cgroup/lxc.payload.$a/cpu.stat"; }
elif [ -f "/sys/fs/cgroup/cpu/lxc.payload.$a/cpu.cfs_quota_us" ]; then
	echo 100000 >"/sys/fs/cgroup/cpu/lxc.payload.$a/cpu.cfs_period_us"
	echo 20000 >"/sys/fs/cgroup/cpu/lxc.payload.$a/cpu.cfs_quota_us"
	usage() { echo $(($(cat "/sys/fs/cgroup/cpuacct/lxc.payload.$a/cpuacct.usage") / 1000)); }
else
	skip "no CPU controller to set a quota with"
fi
start_ct "$a" 'while :; do :; done'
start_ct "$b" 'while :; do sleep 0.2; done'
sleep 1

snap="$work/snap"
mkdir "$snap"
u0=$(usage); w0=$(date +%s.%N)
T -f /dev/null new-session -d -s t -x 160 -y 40 \
	"env LANG=C.UTF-8 '$VTAX' -d 1 --snapshot-dir '$snap' 2>'$work/err'; sleep 60"
screen() { T capture-pane -p -t t; }
wait_for() {
	local i
	for i in $(seq 300); do screen | grep -Eq "$1" && return 0; sleep 0.1; done
	echo "  screen did not show /$1/:"; screen | sed 's/^/  | /'
	return 1
}
both_shown() { wait_for "$a" && wait_for "$b"; }
check "the screen shows both containers" both_shown
sleep $((SECONDS_LIVE - 3))
T send-keys -t t s
u1=$(usage); w1=$(date +%s.%N)
check "the footer names the snapshot's three files" \
	wait_for "snapshot saved: $snap/vtax-.*\.txt \(and \.json, \.zst\)"
cap=$(ls "$snap"/vtax-*.zst 2>/dev/null | head -1)
check "the capsule is beside the .txt and .json, one stem" \
	sh -c "[ -s '$cap' ] && [ -s '${cap%.zst}.txt' ] && [ -s '${cap%.zst}.json' ]"
tmux_end "$sock"
check "zstdcat reads the capsule as a zstd file" sh -c "zstdcat '$cap' >/dev/null 2>&1 || ! command -v zstdcat >/dev/null"

"$VTAX" --replay "$cap" -j >"$work/replay.jsonl" 2>"$work/replay.err"
check "the capsule replays without a word on stderr" no_output "$work/replay.err"
read -r frames both cpu <<<"$(python3 - "$work/replay.jsonl" "$a" "$b" <<'PY'
import json, sys
frames = both = 0
cpus = []
for line in open(sys.argv[1]):
    d = json.loads(line)
    frames += 1
    ids = {g["id"]: g for g in d["guests"]}
    if sys.argv[2] in ids and sys.argv[3] in ids:
        both += 1
    c = ids.get(sys.argv[2], {}).get("cpu", {}).get("total")
    if c is not None:
        cpus.append(c)
print(frames, both, sum(cpus) / len(cpus) if cpus else -1)
PY
)"
cpu=$(printf %.2f "$cpu")
echo "  capsule: $frames frames, $both with both guests; container a: mean CPU $cpu% of one CPU"
check "the capsule replays 30 frames or more ($frames)" test "$frames" -ge 30
check "30 frames or more hold both containers ($both)" test "$both" -ge 30
truth=$(python3 -c "print('%.2f' % (($u1 - $u0) / 1e6 / ($w1 - $w0) * 100))")
check "container a's CPU in the capsule ($cpu%) is its cgroup's over the same time ($truth%), within 3 points" \
	near "$cpu" "$truth" 3
"$VTAX" report "$cap" >"$work/report.txt" 2>"$work/report.err"
check "vtax report summarises the capsule, both containers" \
	sh -c "grep -q '$a' '$work/report.txt' && grep -q '$b' '$work/report.txt'"

# time travel in the capsule, and s under --replay: the capsule then
# holds the replayed samples up to the one shown
snap2="$work/snap2"
mkdir "$snap2"
T -f /dev/null new-session -d -s t -x 160 -y 40 \
	"env LANG=C.UTF-8 '$VTAX' --replay '$cap' --snapshot-dir '$snap2'; sleep 60"
key() { T send-keys -t t "$@"; sleep 0.4; }
at() { screen | grep -Eo "[0-9]+/$frames( paused)?\]" | head -1 | cut -d/ -f1; }
check "the capsule plays in the screen with its position" wait_for "[0-9]+/$frames\]"
sleep 5   # it plays at the recorded pace, 1 s a frame
key Space
p0=$(at)
key T; key T
p1=$(at)
check "T steps back in the capsule ($p0 -> $p1)" test "$p1" -eq $((p0 - 2))
first=$(python3 -c "import json; print(int(json.loads(open('$work/replay.jsonl').readline())['time']))")
key b; T send-keys -t t -l -- "@$((first + 20))"; key Enter
p2=$(at)
check "b jumps to a time in the capsule (@first+20 s: $p2 of $frames)" sh -c "[ '$p2' -ge 15 ] && [ '$p2' -le 25 ]"
key t
p3=$(at)
check "t steps forward ($p2 -> $p3)" test "$p3" -eq $((p2 + 1))
key s
check "s under --replay saves a snapshot with its capsule" wait_for "snapshot saved: .*\(and \.json, \.zst\)"
cap2=$(ls "$snap2"/vtax-*.zst 2>/dev/null | head -1)
n2=$("$VTAX" --replay "$cap2" -j 2>/dev/null | wc -l)
check "... holding the replayed samples up to the one shown ($n2 for position $p3)" test "$n2" -eq "$p3"
tmux_end "$sock"
finish
