#!/bin/bash
# Per-drive disk I/O of a real TCG guest: two virtio-blk drives on raw
# images, one served by QEMU's main loop and one by an iothread. The guest
# writes and reads back known MB on each and prints its /proc/diskstats
# around that on the serial console; the test reads QMP query-blockstats
# itself before and after. vtax's per-drive figures (its record's raw
# counters, and its JSON rates over the run) must agree with both. Then
# the same VM seen by a user who may not read it: "-" and one notice.
# Both drives are aio=threads (QEMU's default for a file): the reads and
# writes are made by QEMU's thread-pool "worker" threads, whose CPU the
# test reads itself from /proc/PID/task/*/stat; vtax's pool group and
# I/O tax must agree with it.
. "$(dirname "$0")/lib/common.sh"
need_live
need_root "runs QEMU"
need_cmd python3 python3
need_cmd qemu-system-x86_64 qemu-system-x86
lib="$SRCDIR/tests/lib"
# 128 MiB: the workers copy it through the host page cache in about a
# quarter of a CPU second (16 MiB with cache=none cost them no tick at all)
MB=${VTAX_DISK_MB:-128}
work=$(mktemp -d /var/tmp/vtax-d13-disk.XXXXXX)
chmod 755 "$work"
export VTAX_GUEST_RUNDIR="$work"
ctrel="/lxc.payload.d13io$$"
cleanup() {
	[ -n "${vp:-}" ] && kill "$vp" 2>/dev/null
	[ -n "${tp:-}" ] && kill "$tp" 2>/dev/null
	[ -n "${cpid:-}" ] && kill -9 "$cpid" 2>/dev/null
	sleep 0.2
	cg_remove "$ctrel"
	bash "$lib/qemu-guest.sh" stop "$work/g.pid" >/dev/null 2>&1
	if [ -n "${VTAX_KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
bash "$lib/guest-image.sh" >/dev/null 2>"$work/img.err" || {
	rc=$?; cat "$work/img.err"; [ $rc -eq 77 ] && skip "no guest image"; fail "guest image"; finish; }
truncate -s $((MB + 8))M "$work/main.img" "$work/iot.img"
bash "$lib/qemu-guest.sh" start d13disk --mem 128 --qmp "$work/g.qmp" --pidfile "$work/g.pid" \
	--log "$work/g.log" --disk "$work/main.img" --disk-iothread "$work/iot.img" --disk-cache "${VTAX_DISK_CACHE:-writeback}" \
	--append "vtax.disk_mb=$MB vtax.disk_wait=6" >/dev/null || { fail "QEMU started"; finish; }
bash "$lib/qemu-guest.sh" wait-ready "$work/g.log" 120 >/dev/null 2>&1 || { fail "guest booted"; finish; }
pid=$(cat "$work/g.pid")
grep -aq "VTAXMOD ok virtio_blk" "$work/g.log" || { fail "the guest loaded virtio_blk"; finish; }

# query-blockstats, read by the test itself (before vtax asks, after it stopped)
blockstats() {
	python3 - "$work/g.qmp" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1]); f = s.makefile('rw')
f.readline(); f.write('{"execute":"qmp_capabilities"}\n'); f.flush(); f.readline()
f.write('{"execute":"query-blockstats"}\n'); f.flush()
while True:
    r = json.loads(f.readline())
    if 'return' in r:
        break
print(json.dumps({d['device']: d['stats'] for d in r['return'] if d['device']}))
PY
}
blockstats >"$work/q0.json" || { fail "the test's own QMP query-blockstats"; finish; }
# QEMU's threads as the test reads them, every 0.2 s: wall time, then each
# thread's tid, start time, comm and utime+stime ticks
python3 - "$pid" "$work/stop-threads" >"$work/threads.jsonl" <<'PY' &
import json, os, sys, time
pid, stop = sys.argv[1], sys.argv[2]
while not os.path.exists(stop):
    th = []
    t = time.time()
    for tid in os.listdir("/proc/%s/task" % pid):
        try:
            st = open("/proc/%s/task/%s/stat" % (pid, tid)).read()
        except OSError:
            continue
        comm = st[st.index("(") + 1:st.rindex(")")]
        f = st[st.rindex(")") + 2:].split()
        th.append([int(tid), int(f[19]), comm, int(f[11]) + int(f[12])])
    print(json.dumps({"t": (t + time.time()) / 2, "th": th}), flush=True)
    time.sleep(0.2)
PY
tp=$!
"$VTAX" --json -d 1 -n 200 --record "$work/rec.jsonl" >"$work/out.jsonl" 2>"$work/err" &
vp=$!
for _ in $(seq 240); do grep -aq VTAXDISKDONE "$work/g.log" && break; sleep 0.5; done
grep -aq VTAXDISKDONE "$work/g.log" || { fail "the guest finished its disk I/O within 120 s"; finish; }
sleep 3
kill -TERM "$vp"; wait "$vp"; vp=""
touch "$work/stop-threads"; wait "$tp"; tp=""
blockstats >"$work/q1.json"
grep -a '^VTAXDISK \|VTAXWARN' "$work/g.log" | tr -d '\r'

python3 - "$work" "$pid" "$MB" >"$work/figures" <<'PY'
import json, sys
work, pid, mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
# the guest's count: sectors of 512 bytes, after - before (vda = disk0, vdb = disk1)
ds = {}
for l in open(work + "/g.log", errors="replace"):
    p = l.strip().split()
    if len(p) > 10 and p[0] == "VTAXDISK":
        ds.setdefault(p[2], {})[p[1]] = [int(x) for x in p[3:10]]
guest = {}
for n, name in (("vda", "disk0"), ("vdb", "disk1")):
    b, a = ds[n]["before"], ds[n]["after"]
    guest[name] = ((a[2] - b[2]) * 512, (a[6] - b[6]) * 512)
q0, q1 = json.load(open(work + "/q0.json")), json.load(open(work + "/q1.json"))
qmp = {d: (q1[d]["rd_bytes"] - q0[d]["rd_bytes"], q1[d]["wr_bytes"] - q0[d]["wr_bytes"]) for d in q1}
# vtax's record: raw counters, first sample with drives to the last
recs = [json.loads(l) for l in open(work + "/rec.jsonl")]
def drives(r):
    for g in r["guests"]:
        if g["id"] == pid and g.get("drives"):
            return {d["name"]: d for d in g["drives"]}
    return None
have = [drives(r) for r in recs if drives(r)]
rec = {d: (have[-1][d]["rd_bytes"] - have[0][d]["rd_bytes"], have[-1][d]["wr_bytes"] - have[0][d]["wr_bytes"])
       for d in have[-1]} if have else {}
# vtax's JSON: each frame's per-drive rate times the time between the two
# QMP replies it divides by (the record's drv_at_ns, same samples), summed
js = [json.loads(l) for l in open(work + "/out.jsonl")]
def at(r):
    for g in r["guests"]:
        if g["id"] == pid:
            return g.get("drv_at_ns")
ats = [at(r) for r in recs]
integ, src, iotax, lat, iotax_ok = {}, set(), [], [], True
for i, f in enumerate(js):
    ddt = (ats[i] - ats[i - 1]) / 1e9 if i and i < len(ats) and ats[i] and ats[i - 1] else None
    for g in f["guests"]:
        if g["id"] != pid:
            continue
        src.add(g["io"]["source"])
        if g["cpu"]["io_tax"] is not None:
            iotax.append(g["cpu"]["io_tax"])
            t = g["cpu"]["threads"]
            iotax_ok = iotax_ok and abs(g["cpu"]["io_tax"] - t["iothread"] - t["pool"] - t["vhost"]) < 0.02
        elif f["interval"]:
            iotax_ok = False
        for d in g["io"]["drives"] or []:
            r, w = integ.get(d["name"], (0, 0))
            if d["read"] is not None and ddt:
                integ[d["name"]] = (r + d["read"] * ddt, w + d["write"] * ddt)
            if d["latency_ms"] is not None:
                lat.append(d["latency_ms"])
print(json.dumps({"guest": guest, "qmp": qmp, "rec": rec, "json": integ, "src": sorted(s or "null" for s in src),
                  "iotax_max": max(iotax) if iotax else None, "iotax_ok": iotax_ok, "lat_max": max(lat) if lat else None,
                  "frames": len(js), "mb": mb}))
PY
cat "$work/figures"
fig() { python3 -c "import json,sys; d=json.load(open('$work/figures')); sys.exit(0 if ($1) else 1)" 2>/dev/null; }
for d in disk0 disk1; do
	for k in 0 1; do
		what=$([ $k = 0 ] && echo read || echo written)
		check "$d: the guest $what $MB MB (its diskstats)" fig "d['guest']['$d'][$k] >= $MB * 1048576"
		check "$d: bytes $what, QMP (test) within 5% of the guest's count" \
			fig "abs(d['qmp']['$d'][$k] - d['guest']['$d'][$k]) <= 0.05 * d['guest']['$d'][$k]"
		check "$d: bytes $what, vtax's record within 5% of the guest's count and of QMP" \
			fig "abs(d['rec']['$d'][$k] - d['guest']['$d'][$k]) <= 0.05 * d['guest']['$d'][$k] and abs(d['rec']['$d'][$k] - d['qmp']['$d'][$k]) <= 0.05 * d['qmp']['$d'][$k]"
		check "$d: bytes $what, vtax's JSON rates x time between QMP replies within 1% of its counters" \
			fig "abs(d['json']['$d'][$k] - d['rec']['$d'][$k]) <= 0.01 * d['rec']['$d'][$k]"
	done
done
check "io.source is qmp for the VM once QMP answered (task before)" fig "'qmp' in d['src'] and set(d['src']) <= {'null', 'task', 'qmp'}"
check "a latency was measured" fig "d['lat_max'] is not None and d['lat_max'] > 0"
check "cpu.io_tax: with an iothread, the iothread, the thread pool and vhost workers alone (every frame with rates)" \
	fig "d['iotax_ok'] and d['iotax_max'] is not None"

# The thread pool against the test's own reading of the "worker" threads.
# Each frame's window runs between two vtax samples (JSON "time"); the
# test's cumulative worker ticks (a worker that exited counts with its
# last reading) are interpolated at those times. The dd phase: the frames
# in which the test saw the workers run.
python3 - "$work" "$pid" >"$work/pool" <<'PY'
import json, sys
work, pid = sys.argv[1], int(sys.argv[2])
hz = 100
reads = [json.loads(l) for l in open(work + "/threads.jsonl") if l.strip()]
seen, cum = {}, []
for r in reads:
    for tid, start, comm, ticks in r["th"]:
        if comm == "worker":
            seen[(tid, start)] = ticks
    cum.append((r["t"], sum(seen.values()) / hz))
def at(t):  # worker CPU s at wall time t, linear between readings
    if not cum or t < cum[0][0] or t > cum[-1][0]:
        return None
    for (t0, c0), (t1, c1) in zip(cum, cum[1:]):
        if t0 <= t <= t1:
            return c0 + (c1 - c0) * (t - t0) / (t1 - t0) if t1 > t0 else c1
    return cum[-1][1]
frames = []
prev = None
for l in open(work + "/out.jsonl"):
    f = json.loads(l)
    g = [g for g in f["guests"] if g.get("main_pid") == pid]
    if prev is not None and f["interval"] and g and g[0]["cpu"]["io_tax"] is not None:
        c = g[0]["cpu"]
        a, b = at(prev), at(f["time"])
        frames.append({"t": f["time"], "dt": f["interval"], "io_tax": c["io_tax"], "total": c["total"],
                       "tax": c["tax"], "pool": c["threads"]["pool"], "emu": c["threads"]["emulator"],
                       "test": None if a is None or b is None else 100 * (b - a) / (f["time"] - prev)})
    prev = f["time"]
dd = [x for x in frames if x["test"] is not None and x["test"] > 0]
vt = sum(x["pool"] * x["dt"] for x in dd) / 100
ts = sum(x["test"] * x["dt"] for x in dd) / 100
span = sum(x["dt"] for x in dd)
out = {"workers_seen": len(seen), "dd_frames": len(dd), "dd_s": round(span, 2),
       "test_worker_cpu_s": round(ts, 3), "vtax_pool_cpu_s": round(vt, 3),
       "test_worker_pct": round(100 * ts / span, 2) if span else None,
       "vtax_pool_pct": round(100 * vt / span, 2) if span else None,
       "vtax_io_tax_pct": round(sum(x["io_tax"] * x["dt"] for x in dd) / span, 2) if span else None,
       "vtax_total_pct": round(sum(x["total"] * x["dt"] for x in dd) / span, 2) if span else None,
       "io_tax_max": max((x["io_tax"] for x in frames), default=None),
       "io_over_total": [x for x in frames if x["io_tax"] > x["total"] + 0.05]}
print(json.dumps(out))
PY
echo "  pool: $(cat "$work/pool")"
pool() { python3 -c "import json,sys; d=json.load(open('$work/pool')); sys.exit(0 if ($1) else 1)" 2>/dev/null; }
check "the test saw QEMU's \"worker\" threads run during the dd phase" pool "d['workers_seen'] > 0 and d['dd_frames'] > 0 and d['test_worker_cpu_s'] > 0"
check "cpu.io_tax during the dd phase clearly above 0 (aio=threads: the workers are I/O)" \
	pool "d['vtax_io_tax_pct'] >= 0.5 and d['vtax_io_tax_pct'] >= 0.9 * d['test_worker_pct']"
check "cpu.io_tax never above the VM's total CPU (every frame)" pool "not d['io_over_total']"
check "cpu.threads.pool over the dd phase within 15% (or 2 ticks) of the worker threads' CPU the test read" \
	pool "abs(d['vtax_pool_cpu_s'] - d['test_worker_cpu_s']) <= max(0.15 * d['test_worker_cpu_s'], 0.02)"
check "refresh on time while QMP is asked each refresh" intervals_ok 1 "$work/out.jsonl"

# a user who may not read the VM: its disk I/O is unknown, never 0
if id nobody >/dev/null 2>&1; then
	cp "$VTAX" "$work/vtax"
	chmod 755 "$work/vtax"
	su nobody -s /bin/sh -c "'$work/vtax' --json -n 8 -d 0.5" >"$work/nobody.jsonl" 2>"$work/nobody.err"
	check "as nobody: the VM's disk I/O is null, not 0" pyjson "$work/nobody.jsonl" \
		"guest(id='$pid')['io']['read'] is None and guest(id='$pid')['io']['write'] is None and guest(id='$pid')['io']['drives'] is None"
	check "as nobody: one notice that VM disk I/O needs root, none more about this VM" sh -c \
		"[ \$(grep -c 'VM disk I/O (QMP sockets, /proc/PID/io)' '$work/nobody.err') -eq 1 ] && [ \$(grep -c '$work/g.qmp' '$work/nobody.err') -le 1 ] || { cat '$work/nobody.err'; false; }"
fi
# a container whose writes its v1 blkio does not see (writeback is charged
# to the root blkio cgroup on v1): vtax takes its tasks' /proc/PID/io
bash "$lib/qemu-guest.sh" stop "$work/g.pid" >/dev/null 2>&1
cg_make "$ctrel"
(cg_enter "$ctrel" "$BASHPID"; exec sh -c "sleep 3; dd if=/dev/zero of='$work/ct.file' bs=1M count=48 conv=fsync 2>/dev/null; exec sleep 60") &
cpid=$!
sleep 0.5
"$VTAX" --json -d 1 -n 9 --record "$work/ct.rec" >"$work/ct.jsonl" 2>/dev/null
check "container: disk writes from its tasks (io.source task), 48 MB within 5% (record), and its JSON rates within 10%" python3 - "$work" "d13io$$" <<'PY'
import json, sys
work, ct = sys.argv[1], sys.argv[2]
def mine(f):
    return [g for g in f["guests"] if g["id"] == ct][0]
recs = [g for g in (mine(json.loads(l)) for l in open(work + "/ct.rec")) if g["p_io_wbytes"] is not None]
w = recs[-1]["p_io_wbytes"] - recs[0]["p_io_wbytes"]
js = [json.loads(l) for l in open(work + "/ct.jsonl")]
src = {mine(f)["io"]["source"] for f in js[1:]}
integ = sum(mine(f)["io"]["write"] * f["interval"] for f in js[1:] if mine(f)["io"]["write"] is not None)
cgw = recs[-1]["cg_io_wbytes"]
print("  written by the test 50331648; vtax record", w, "JSON x interval", int(integ), "sources", src, "cgroup blkio", cgw)
sys.exit(0 if "task" in src and abs(w - 50331648) <= 0.05 * 50331648 and abs(integ - 50331648) <= 0.10 * 50331648 else 1)
PY
kill -9 "$cpid" 2>/dev/null; cpid=""

finish
