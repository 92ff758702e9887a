#!/bin/bash
# The compact history on real guests: two TCG VMs placed as Proxmox
# places them (one busy under a CPU cap, one idle) and two containers.
# vtax records HISTORY_SECONDS (default 50; the issue asks 180, kept
# shorter for CI's time) every 2 s while printing
# --json; then the history must take at most 100 bytes per guest-sample,
# replay into exactly the frames printed live, step in the screen with
# t, T and b onto the frames printed live, and `vtax report` must give
# the mean and maximum tax this test computes from the live frames.
. "$(dirname "$0")/lib/common.sh"
need_live
need_root "creates cgroups and runs QEMU"
need_cmd python3 python3
need_cmd tmux tmux
need_cmd qemu-system-x86_64 qemu-system-x86
lib="$SRCDIR/tests/lib"
need_guest_image
secs=${HISTORY_SECONDS:-50}
work=$(mktemp -d /tmp/vtax-h17-hist.XXXXXX)
export VTAX_GUEST_RUNDIR="$work"
vm1=$((171700 + $$ % 90)) vm2=$((171800 + $$ % 90))
ct1=/lxc.payload.h17-hist-a-$$ ct2=/lxc.payload.h17-hist-b-$$
tsock=h17-hist-$$
pids=()
cleanup() {
	# the screen's vtax ended by pid too, not only by the hang-up
	tmux_end "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$tsock"
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	bash "$lib/qemu-guest.sh" stop "$work/vm1.pid" --cgroup "/qemu.slice/$vm1.scope" >/dev/null 2>&1
	bash "$lib/qemu-guest.sh" stop "$work/vm2.pid" --cgroup "/qemu.slice/$vm2.scope" >/dev/null 2>&1
	for p in "${pids[@]}"; do while kill -0 "$p" 2>/dev/null; do sleep 0.1; done; done
	cg_remove "$ct1"
	cg_remove "$ct2"
	rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/pve/qemu-server" "$work/hist" "$work/snaps"
printf 'memory: 128\nname: h17-hist-busy\n' >"$work/pve/qemu-server/$vm1.conf"
printf 'memory: 128\nname: h17-hist-idle\n' >"$work/pve/qemu-server/$vm2.conf"

bash "$lib/qemu-guest.sh" start h17-hist-busy --mem 128 --cgroup "/qemu.slice/$vm1.scope" \
	--pidfile "$work/vm1.pid" --log "$work/vm1.log" --qmp "$work/vm1.qmp" \
	--append "vtax.burn=1" >/dev/null || { fail "VM 1 started"; finish; }
bash "$lib/qemu-guest.sh" start h17-hist-idle --mem 128 --cgroup "/qemu.slice/$vm2.scope" \
	--pidfile "$work/vm2.pid" --log "$work/vm2.log" --qmp "$work/vm2.qmp" >/dev/null ||
	{ fail "VM 2 started"; finish; }
# the busy VM under a CFS cap of 25% of a CPU, so the tax moves but the
# host keeps room for everything else
q=$(cg_file "/qemu.slice/$vm1.scope" cpu.cfs_quota_us) && echo 25000 >"$q"
for ct in "$ct1" "$ct2"; do
	cg_make "$ct"
	sleep 100000 &
	pids+=($!)
	cg_enter "$ct" $!
done
bash "$lib/qemu-guest.sh" wait-ready "$work/vm1.log" 120 >/dev/null 2>&1 || fail "VM 1 ready"
bash "$lib/qemu-guest.sh" wait-ready "$work/vm2.log" 120 >/dev/null 2>&1 || fail "VM 2 ready"

n=$((secs / 2))
echo "# recording $n samples every 2 s"
"$VTAX" --record "$work/hist/" -j -d 2 -n "$n" --pve-dir "$work/pve" >"$work/live.json" \
	2>"$work/rec.err" || fail "recording ran"
check "the live run printed $n frames" [ "$(wc -l <"$work/live.json")" -eq "$n" ]
check "one day file or two (midnight)" sh -c "ls '$work/hist' | grep -cE '^vtax-[0-9-]+\.zst$' | grep -qE '^[12]$'"

# size per guest-sample, all guests of the host counted
python3 - "$work" <<'PY' >"$work/size" || fail "size computed"
import glob, json, os, sys
w = sys.argv[1]
gs = sum(len(json.loads(l)["guests"]) for l in open(w + "/live.json"))
size = sum(os.path.getsize(f) for f in glob.glob(w + "/hist/vtax-*.zst"))
print("%.1f %d %d" % (size / gs, size, gs))
PY
read -r per size gs <"$work/size"
echo "# history: $size bytes for $gs guest-samples: $per bytes per guest-sample"
check "at most 100 bytes per guest-sample ($per)" python3 -c "import sys; sys.exit(not $per <= 100)"

# replay: the same frames, byte for byte
"$VTAX" --replay "$work/hist" -j >"$work/replay.json" 2>"$work/replay.err"
check "the history replays into the frames printed live" cmp -s "$work/live.json" "$work/replay.json"

# the report against the live frames of the same run
"$VTAX" report --json "$work/hist" >"$work/report.json" 2>"$work/report.err" || fail "report ran"
"$VTAX" report --csv "$work/hist" >"$work/report.csv" 2>/dev/null || fail "report --csv ran"
"$VTAX" report --plot "$work/tax.svg" "$work/hist" >"$work/report.txt" 2>/dev/null || fail "report --plot ran"
check "report text names the busy VM" grep -q "h17-hist-busy" "$work/report.txt"
check "the chart is SVG naming the busy VM" sh -c "head -2 '$work/tax.svg' | grep -q '<svg' && grep -q 'h17-hist-busy' '$work/tax.svg'"
python3 - "$work" "$vm1" "$vm2" <<'PY'
import csv, json, sys
w, vm1, vm2 = sys.argv[1:4]
frames = [json.loads(l) for l in open(w + "/live.json")]
rep = json.load(open(w + "/report.json"))
rows = {(r["runtime"], r["id"]): r for r in csv.DictReader(open(w + "/report.csv"))}
bad = 0
def say(ok, what):
    global bad
    print(("ok: " if ok else "FAIL: ") + what)
    bad += not ok
for vid in (vm1, vm2):
    cpu, mem = [], []
    for f in frames[1:]:
        for g in f["guests"]:
            if g["runtime"] == "proxmox-vm" and g["id"] == vid:
                if g["cpu"]["tax"] is not None:
                    cpu.append(g["cpu"]["tax"])
                if g["mem"]["tax"] is not None:
                    mem.append(g["mem"]["tax"])
    r = [x for x in rep["guests"] if x["runtime"] == "proxmox-vm" and x["id"] == vid]
    say(len(r) == 1 and cpu and mem, "VM %s in the report and the live frames" % vid)
    if not (r and cpu and mem):
        continue
    r = r[0]
    # live JSON rounds CPU to 0.1 points (memory is exact)
    for what, got, want, tol in (
            ("CPU tax mean", r["cpu_tax"]["mean"], sum(cpu) / len(cpu), 0.06),
            ("CPU tax max", r["cpu_tax"]["max"], max(cpu), 0.06),
            ("memory tax mean", r["mem_tax"]["mean"], sum(mem) / len(mem), 1e-4 * max(mem) + 1),
            ("memory tax max", r["mem_tax"]["max"], max(mem), 1)):
        say(abs(got - want) <= tol, "VM %s %s: report %.4f, live frames %.4f" % (vid, what, got, want))
    c = rows.get(("proxmox-vm", vid))
    say(c is not None and abs(float(c["cpu_tax_mean_pct"]) - r["cpu_tax"]["mean"]) < 1e-3,
        "VM %s: CSV and JSON agree" % vid)
busy = [x for x in rep["guests"] if x["id"] == vm1]
say(busy and busy[0]["cpu_tax"]["mean"] > 5, "the busy VM's tax is seen (%s)" %
    (busy[0]["cpu_tax"]["mean"] if busy else None))
sys.exit(1 if bad else 0)
PY
[ $? -eq 0 ] && pass "report numbers match the live frames" || fail "report numbers match the live frames"

# the screen: step with t, T and b, save a snapshot at each stop and
# compare its JSON with the frame printed live at that moment
tmux -L "$tsock" new-session -d -x 200 -y 50 \
	"cd '$work'; HOME='$work' '$VTAX' --replay '$work/hist' --snapshot-dir '$work/snaps'; sleep 60"
sleep 1
key() { tmux -L "$tsock" send-keys "$@"; sleep 0.4; }
tat() { python3 -c "import json; print(int(json.loads(open('$work/live.json').readlines()[$1])['time']))"; }
key Space                  # pause
key b; tmux -L "$tsock" send-keys -l -- "@$(tat 0)"; key Enter   # the first sample
# a message lasts as long as it is true: T at the first sample says so,
# and the step to the second takes the message away
key T
check "T at the first sample says so" sh -c "tmux -L '$tsock' capture-pane -p | grep -q 'this is the first sample of the period'"
key t
check "... and the next sample clears that message" sh -c "! tmux -L '$tsock' capture-pane -p | grep -q 'first sample of the period'"
key T                      # the first again
for k in t t t t T s; do key "$k"; done   # the fourth
key b; tmux -L "$tsock" send-keys -l -- "-3s"; key Enter; key s   # the third (2 s apart)
at=$(tat $((n - 10)))
key b; tmux -L "$tsock" send-keys -l -- "@$at"; key Enter; key s
sleep 0.5
tmux -L "$tsock" capture-pane -p >"$work/screen.txt"
check "the header shows the position" grep -qE "\[[0-9-]{10} \[[-|]{10}\] [0-9]+/$n paused\]" "$work/screen.txt"
python3 - "$work" <<'PY'
import glob, json, sys
w = sys.argv[1]
live = {}
for l in open(w + "/live.json"):
    f = json.loads(l)
    live[f["time"]] = f
snaps = sorted(glob.glob(w + "/snaps/*.json"))
bad = 0
if len(snaps) != 3:
    print("FAIL: 3 snapshots saved, found %d" % len(snaps)); bad += 1
times = []
for s in snaps:
    f = json.load(open(s))
    times.append(f["time"])
    if live.get(f["time"]) != f:
        print("FAIL: snapshot %s is not the live frame at %s" % (s, f["time"])); bad += 1
ts = sorted(live)
want = [ts[3], ts[2], ts[len(ts) - 10]]
if sorted(times) != sorted(want):
    print("FAIL: snapshots at %s, want %s" % (times, want)); bad += 1
else:
    print("ok: t, T and b stopped on samples 4, 3 and %d" % (len(ts) - 9))
sys.exit(1 if bad else 0)
PY
[ $? -eq 0 ] && pass "the replayed screen's frames are the live ones" ||
	fail "the replayed screen's frames are the live ones"
finish
