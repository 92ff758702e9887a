#!/bin/bash
# vtax's own cost (JSON self, Prometheus vtax_self_*), against what the
# kernel says of the vtax process at the same moment: its VmRSS in
# /proc/PID/status and its utime + stime in /proc/PID/stat. A replay
# shows the recorded vtax's cost, never the replayer's.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/export.sh"
need_cmd python3 python3
[ -r /proc/self/stat ] || skip "no /proc/self/stat to compare with"
tmp=$(mktemp -d)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# JSON at -d 0.02: each frame read, the process is read at once (the
# frame's figures were taken a few ms before it was written)
check "JSON self against /proc/PID of the same vtax, frame by frame" python3 - "$VTAX" "$tmp" <<'PY'
import json, os, subprocess, sys
vtax, tmp = sys.argv[1], sys.argv[2]
hz = os.sysconf("SC_CLK_TCK")
p = subprocess.Popen([vtax, "--json", "-d", "0.02", "-n", "301", "--record", tmp + "/rec.jsonl"],
                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
def kernel(pid):
    st = open("/proc/%d/status" % pid).read()
    rss = int(st.split("\nVmRSS:")[1].split()[0]) * 1024
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return rss, (int(f[11]) + int(f[12])) / hz
frames, alls = [], []
for line in p.stdout:
    alls.append(json.loads(line)["self"])
    if len(frames) < 300:   # the last: vtax may be gone as it is read
        frames.append((json.loads(line), kernel(p.pid)))
p.wait()
with open(tmp + "/live.jsonl", "w") as o:
    for x in alls:
        o.write(json.dumps(x) + "\n")
bad = []
for i, (d, (rss, _)) in enumerate(frames):
    s = d["self"]
    # the first frame's figure is read before vtax first renders a frame,
    # which grows its heap (1-2 MB): from the second on, the steady state
    if not s["rss"] or (i and abs(s["rss"] - rss) > 0.10 * rss):
        bad.append("frame %d: self.rss %s, VmRSS %d" % (i, s["rss"], rss))
    if (s["cpu"] is None) != (i == 0) or (i and not 0 <= s["cpu"] <= 100 * os.cpu_count()):
        bad.append("frame %d: self.cpu %s" % (i, s["cpu"]))
if len(frames) != 300 or bad:
    print("  %d frames;" % len(frames), bad[:4])
    sys.exit(1)
# CPU over the run: the frames' self.cpu x interval against stat's change
got = sum(d["self"]["cpu"] / 100 * d["interval"] for d, _ in frames[1:])
want = frames[-1][1][1] - frames[0][1][1]
worst = max(abs(d["self"]["rss"] - rss) / rss for d, (rss, _) in frames[1:])
print("  300 frames: VmRSS %.1f MB, self.rss %.1f MB (at worst %.1f%% apart); CPU over the run: "
      "self.cpu x interval %.3f s, /proc/PID/stat %.3f s" % (frames[-1][1][0] / 1e6,
      frames[-1][0]["self"]["rss"] / 1e6, 100 * worst, got, want))
# stat counts whole ticks at both ends: 2 ticks besides 10%; enough CPU
# (300 refreshes: vtax's refresh on a host without guests is cheap) that
# a self.cpu of 0 or of double cannot pass
sys.exit(0 if want >= 0.06 and abs(got - want) <= 2.0 / hz + 0.10 * want else 1)
PY

check "a replay shows the recorded vtax's cost, not the replayer's" python3 - "$VTAX" "$tmp" <<'PY'
import json, subprocess, sys
vtax, tmp = sys.argv[1], sys.argv[2]
out = subprocess.run([vtax, "--json", "--replay", tmp + "/rec.jsonl"], capture_output=True, text=True).stdout
got = [json.loads(l)["self"] for l in out.splitlines()]
want = [json.loads(l) for l in open(tmp + "/live.jsonl")]
if got != want:
    print("  replayed", got[:3], "recorded", want[:3])
    sys.exit(1)
PY
check "a record made before vtax kept its cost replays with self null" sh -c \
	"'$VTAX' --json --replay '$SRCDIR/tests/fixtures/proxmox-node.jsonl' | grep -c '\"self\":{\"cpu\":null,\"rss\":null}' | grep -qx 3"

# Prometheus: the series of the last sample against the process read
# right after the scrape
"$VTAX" --serve 127.0.0.1:0 -d 0.5 >/dev/null 2>"$tmp/serve.err" &
pid=$!
port=""
for _ in $(seq 100); do
	port=$(sed -n 's/.*on port \([0-9]*\).*/\1/p' "$tmp/serve.err")
	[ -n "$port" ] && break
	sleep 0.05
done
sleep 1.2
check "/metrics vtax_self_* against /proc/PID of the serving vtax" python3 - "$port" "$pid" <<'PY'
import os, sys, urllib.request
port, pid = sys.argv[1], int(sys.argv[2])
hz = os.sysconf("SC_CLK_TCK")
body = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % port, timeout=10).read().decode()
st = open("/proc/%d/status" % pid).read()
rss = int(st.split("\nVmRSS:")[1].split()[0]) * 1024
f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
cpu = (int(f[11]) + int(f[12])) / hz
val = {}
for l in body.splitlines():
    if l.startswith("vtax_self_"):
        val[l.split("{")[0]] = float(l.rsplit(" ", 1)[1])
r, c = val.get("vtax_self_resident_bytes"), val.get("vtax_self_cpu_seconds_total")
print("  vtax_self_resident_bytes %s, VmRSS %d; vtax_self_cpu_seconds_total %s, stat %.2f s" % (r, rss, c, cpu))
# the sample is up to 0.5 s older than the reading; stat counts whole ticks
sys.exit(0 if r and abs(r - rss) <= 0.10 * rss and c is not None and
         cpu - 0.3 <= c <= cpu + 2.0 / hz else 1)
PY
check "/metrics: HELP and TYPE of both" sh -c "'$VTAX' --list-metrics | grep -q '^vtax_self_cpu_seconds_total counter' &&
	'$VTAX' --list-metrics | grep -q '^vtax_self_resident_bytes gauge'"
finish
