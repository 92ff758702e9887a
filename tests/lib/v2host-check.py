#!/usr/bin/env python3
"""Compare vtax with the kernel on the pure cgroup v2 host VM.

v2host-check.py full|psi0 DATA.LOG TABLE.OUT

DATA.LOG is what tests/lib/v2host-init.sh wrote on the VM's second serial
port. Prints one line per check, "1<TAB>what" or "0<TAB>what", and writes
the comparison table (markdown) to TABLE.OUT.
"""
import json
import sys

scenario, path, table_out = sys.argv[1:4]
MB = 1 << 20
DOCKER_ID = "5e1f0c2ab7d94e3f8a6b1c0d2e4f6a8b9c1d3e5f7a9b0c2d4e6f8a0b1c3d5e7f"
DOCKER_CG = "/system.slice/docker-%s.scope" % DOCKER_ID
NS = "/machine.slice/machine-v2\\x2dns.scope"
BARE = "/bare.slice/lxc.payload.v2-bare"


def out(ok, what):
    print("%d\t%s" % (1 if ok else 0, what))


info, files, ls, noread, cpu, smaps, qemu = {}, {}, {}, set(), [], [], {}
cpu_cgs = []
json_lines, rec_lines, batch, err = [], [], [], []
done = False
for raw in open(path, "rb"):
    line = raw.decode("utf-8", "replace").rstrip("\r\n")
    tag, _, rest = line.partition(" ")
    if tag == "VTAXINFO":
        for kv in rest.split():
            k, _, v = kv.partition("=")
            info.setdefault(k, v)
        if rest.startswith("qemu_said "):
            info.setdefault("qemu_said", rest[10:])
    elif tag == "VTAXFILE":
        snap, cg, f, val = (rest.split(" ", 3) + [""])[:4]
        files.setdefault((snap, cg, f), []).append(val)
    elif tag == "VTAXLS":
        snap, cg, *names = rest.split(" ")
        ls[(snap, cg)] = names
    elif tag == "VTAXNOREAD":
        noread.add(tuple(rest.split(" ")))
    elif tag == "VTAXCPUCG":
        cpu_cgs = rest.split()
    elif tag == "VTAXCPU":
        f = rest.split()
        if len(f) == len(cpu_cgs) + 2 and "-" not in f:
            cpu.append(((float(f[0]) + float(f[1])) / 2, [int(x) for x in f[2:]]))
    elif tag == "VTAXSMAPS":
        smaps.append(rest.split())
    elif tag == "VTAXQEMU":
        k, v = rest.split(" ", 1)
        qemu[k] = int(v.split()[0]) * 1024
    elif tag == "VTAXJSON":
        json_lines.append(rest)
    elif tag == "VTAXREC":
        rec_lines.append(rest)
    elif tag == "VTAXBATCH":
        batch.append(rest)
    elif tag == "VTAXERR":
        err.append(rest)
    elif tag == "VTAXDONE":
        done = True

out(done, "the v2 host VM ran to its end (VTAXDONE)")
errors = [k for k in info if k == "error"] + ["%s=%s" % (k, v) for k, v in info.items()
                                               if k.startswith("module_failed")]
out(not errors, "the VM set up its guests without an error %s" % (info.get("error", "")))
out(info.get("v1") == "0" and info.get("cgroup_mounts") == "1",
    "pure cgroup v2: one cgroup2 mount, no v1 hierarchy (kernel %s, booted with cgroup_no_v1=all)"
    % info.get("kernel"))
ctl = set(info.get("controllers", "").split(","))
out({"cpu", "memory", "io", "pids"} <= ctl, "controllers cpu, memory, io, pids at the root (%s)"
    % info.get("controllers"))
out(info.get("vtax_json_exit") == "0" and info.get("vtax_batch_exit") == "0",
    "vtax --json --record and vtax -b exited 0 inside the VM")
# The notices vtax may give here: no Docker API in the VM; and the nested
# QEMU, TCG inside a TCG VM on a loaded 2-core host, can take longer than
# vtax's 600 ms to answer QMP (seen at a load average of 15): vtax says so
# and goes on
own_err = [e for e in err if "docker API at /var/run/docker.sock: no such socket" not in e
           and "QMP socket /var/run/qemu-server/9801.qmp: no complete answer within" not in e
           and "--record: made the file /tmp/rec.jsonl" not in e]
out(not own_err, "vtax wrote nothing on stderr but its notices about the Docker API, a slow "
    "QMP answer and the record file it made %s" % own_err[:3])
try:
    frames = [json.loads(l) for l in json_lines]
    recs = [json.loads(l) for l in rec_lines]
except ValueError as e:
    out(False, "vtax's JSON and record lines parse (%s)" % e)
    sys.exit(0)
out(len(frames) == int(info.get("frames", 0)) and len(recs) == len(frames),
    "%d JSON frames and %d recorded samples (-n %s)" % (len(frames), len(recs), info.get("frames")))
if len(frames) < 3 or len(recs) != len(frames):
    sys.exit(0)
out(all(r["cg_version"] == 2 for r in recs), "the record says cgroup v2")


def fv(snap, cg, f, key=None):
    """A cgroup file's value: the whole first line, or key's value."""
    v = files.get((snap, cg, f))
    if v is None:
        return None
    if key is None:
        return int(v[0]) if v[0].isdigit() else v[0]
    for l in v:
        k, _, x = l.partition(" ")
        if k == key:
            return int(x.split()[0]) if x.split()[0].isdigit() else x
        if l.startswith(key + " "):
            return l
    return None


def psi_total(snap, cg, res):
    v = files.get((snap, cg, res + ".pressure"))
    if not v:
        return None
    for l in v:
        if l.startswith("some "):
            return int(l.split("total=")[1])
    return None


def iostat(snap, cg):
    r = w = 0
    for l in files.get((snap, cg, "io.stat"), []):
        for t in l.split()[1:]:
            k, _, x = t.partition("=")
            if k == "rbytes":
                r += int(x)
            elif k == "wbytes":
                w += int(x)
    return r, w


def usage_at(cg, t):
    """cpu.stat usage_usec of cg at uptime t, linear between samples."""
    i = cpu_cgs.index(cg)
    for (ta, a), (tb, b) in zip(cpu, cpu[1:]):
        if ta <= t <= tb and tb > ta:
            return a[i] + (b[i] - a[i]) * (t - ta) / (tb - ta)
    return None


def truth_cpu(cgs, k, key):
    """% of one CPU the cgroups used between samples k-1 and k, at the
    times vtax read the guest's counters."""
    g0, g1 = rguest(recs[k - 1], key), rguest(recs[k], key)
    if not g0 or not g1 or g0.get("at_ns") is None:
        return None
    t0, t1 = g0["at_ns"] / 1e9, g1["at_ns"] / 1e9
    tot = 0.0
    for cg in cgs:
        a, b = usage_at(cg, t0), usage_at(cg, t1)
        if a is None or b is None:
            return None
        tot += (b - a) / (t1 - t0) / 1e4
    return tot


def rguest(rec, key):
    for g in rec["guests"]:
        if (g["runtime"], g["id"]) == key:
            return g
    return None


def vguest(fr, key):
    for g in fr["guests"]:
        if (g["runtime"], g["id"]) == key:
            return g
    return None


def mean(xs):
    xs = [x for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else None


def fmt(x, unit=""):
    if x is None:
        return "-"
    if unit == "M":
        return "%.1fM" % (x / MB)
    return "%.1f" % x


def within(got, a, b, rel=0.10, floor=256 << 10):
    """got within rel of the range [a, b] the kernel showed before and
    after vtax read it (floor: an absolute margin for tiny values)"""
    if got is None or a is None or b is None:
        return False
    lo, hi = min(a, b), max(a, b)
    return lo - max(rel * lo, floor) <= got <= hi + max(rel * hi, floor)


def span(a, b):
    return fmt(a, "M") if fmt(a, "M") == fmt(b, "M") else "%s..%s" % (fmt(a, "M"), fmt(b, "M"))


# guests: (kind, runtime, id, name, cgroup, cgroups whose CPU is the
# guest's, helper cgroup or None)
if scenario == "full":
    X = "/lxc/9802/ns/system.slice"
    want = [
        ("vm", "proxmox-vm", "9801", "v2-vm", "/qemu.slice/9801.scope",
         ["/qemu.slice/9801.scope"], None),
        ("container", "proxmox-ct", "9802", "v2-ct", "/lxc/9802",
         ["/lxc/9802/ns/init.scope", X + "/x.service", X + "/t.service"], "/lxc.monitor/9802"),
        ("container", "proxmox-ct", "9803", "v2-burn", "/lxc/9803", ["/lxc/9803"],
         "/lxc.monitor/9803"),
        ("container", "docker", DOCKER_ID, DOCKER_ID[:12], DOCKER_CG, [DOCKER_CG], None),
    ]
else:
    want = [
        ("container", "proxmox-ct", "9811", "v2-psi0", "/lxc/9811", ["/lxc/9811"],
         "/lxc.monitor/9811"),
        ("container", "docker", DOCKER_ID, DOCKER_ID[:12], DOCKER_CG, [DOCKER_CG], None),
        # pure v2: payload/ is the guest, supervisor/ its tax, CPU and memory
        ("container", "nspawn", "v2-ns", "v2-ns", NS + "/payload", [NS + "/payload"],
         NS + "/supervisor"),
        # no memory, io or pids controller: memory and I/O unknown
        ("container", "lxc", "v2-bare", "v2-bare", BARE, [BARE], None),
    ]

# ---- who is there --------------------------------------------------------
wantset = sorted((w[0], w[1], w[2], w[3], w[4]) for w in want)
bad = []
for i, fr in enumerate(frames):
    got = sorted((g["kind"], g["runtime"], g["id"], g["name"], g["cgroup"]) for g in fr["guests"])
    if got != wantset:
        bad.append((i, got))
out(not bad, "every frame has exactly the %d guests, kinds, runtimes, ids, names and cgroups exact "
    "(nested cgroups and monitors are no guests of their own)%s"
    % (len(want), "" if not bad else ": frame %d has %s" % bad[0]))
if scenario == "full":
    vm = vguest(frames[-1], ("proxmox-vm", "9801"))
    out(vm is not None and str(vm["main_pid"]) == info.get("qemu_pid"),
        "the VM's QEMU pid %s (nested qemu-system-x86_64, TCG)" % info.get("qemu_pid"))
    b2 = batch[[i for i, l in enumerate(batch) if l.startswith("vtax ")][-1]:] if batch else []
    # the table: from its header to the blank line before the I/O block
    head = [i for i, l in enumerate(b2) if l.startswith("ID ")]
    tab = b2[head[0] + 1:] if head else []
    tab = tab[:[i for i, l in enumerate(tab) if not l.strip()][0]] if any(not l.strip() for l in tab) else tab
    rows = [l.split() for l in tab if l.split() and l.split()[0] in ("9801", "9802", "9803",
                                                                        DOCKER_ID[:12])]
    names = sorted((r[0], r[1], r[2]) for r in rows)
    out(names == sorted([("9801", "v2-vm", "pve-vm"), ("9802", "v2-ct", "pve-ct"),
                         ("9803", "v2-burn", "pve-ct"),
                         (DOCKER_ID[:12], DOCKER_ID[:12], "docker")]),
        "batch text: the four guests, ids, names and runtimes (%s)" % names)

# ---- CPU: every frame against the kernel at the very times vtax read -----
table = []
for kind, rt, gid, name, cg, cpu_of, helper in want:
    key = (rt, gid)
    diffs, vs, ts, taxv, taxt = [], [], [], [], []
    for k in range(1, len(frames)):
        g = vguest(frames[k], key)
        t = truth_cpu(cpu_of, k, key)
        v = g["cpu"]["total"] if g else None
        vs.append(v)
        ts.append(t)
        if v is None or t is None:
            diffs.append(None)
        else:
            diffs.append(abs(v - t))
        if helper and g:
            taxv.append(g["cpu"]["tax"])
            taxt.append(truth_cpu([helper], k, key))
    worst = max([d for d in diffs if d is not None], default=None)
    out(None not in diffs and worst <= 5,
        "%s %s: CPU within 5 points of the kernel's cpu.stat usage_usec over each of vtax's "
        "intervals (vtax %s, kernel %s%s)" % (rt, gid[:12], [fmt(x) for x in vs],
                                             [fmt(x) for x in ts],
                                             "; cgroups %s" % " + ".join(cpu_of) if len(cpu_of) > 1 else ""))
    row = {"guest": "%s %s (%s)" % (rt, gid[:12] if rt != "docker" else "docker-" + gid[:12] + "…", name),
           "cpu": (mean(vs), mean(ts))}
    last = frames[-1]
    g = vguest(last, key)
    if cg == BARE:
        out(("s1", cg, "memory.current") in noread and ("s1", cg, "io.stat") in noread
            and ("s1", cg, "pids.current") in noread
            and not any(n.startswith(("memory.", "io.", "pids.")) for n in ls.get(("s1", cg), [])),
            "%s: the kernel gives it no memory.*, io.* nor pids.* files (parent enables +cpu only)" % cg)
        # no io.stat: I/O is unknown, or read from its tasks' /proc/PID/io
        # (io.source "task"), never a cgroup's 0
        out(all(vguest(f, key)["mem"][m] is None for f in frames for m in ("host", "working_set", "page_cache"))
            and all(vguest(f, key)["io"].get("source") == "task" or
                    all(vguest(f, key)["io"][m] is None for m in ("read", "write")) for f in frames[1:]),
            "%s %s: memory unknown (null), not 0; I/O unknown or from its tasks" % (rt, gid))
        procs = files.get(("s1", cg, "cgroup.procs"), [])
        out(g["pids"] == len(procs), "%s %s: %s processes counted from cgroup.procs (%d)" % (
            rt, gid, g["pids"], len(procs)))
        row.update(host=(None, None), cache=(None, None), wset=(None, None), mtax=(None, 0))
        table.append(row)
        continue
    if kind == "vm":
        out(g is not None and all(vguest(f, key)["cpu"]["tax"] == vguest(f, key)["cpu"]["total"]
                                  for f in frames[1:]),
            "%s: TCG: the VM's CPU tax is all its CPU (no guest time)" % gid)
    if helper:
        worst = max([abs(a - b) for a, b in zip(taxv, taxt) if a is not None and b is not None],
                    default=None)
        out(len(taxv) == len(frames) - 1 and None not in taxv and None not in taxt and worst <= 5,
            "%s %s: CPU tax within 5 points of the monitor cgroup %s (vtax %s, kernel %s)"
            % (rt, gid, helper, [fmt(x) for x in taxv], [fmt(x) for x in taxt]))
        row["cputax"] = (mean(taxv), mean(taxt))
    # ---- memory ---------------------------------------------------------
    c0, c1 = fv("s0", cg, "memory.current"), fv("s1", cg, "memory.current")
    h0 = fv("s0", helper, "memory.current") if helper else 0
    h1 = fv("s1", helper, "memory.current") if helper else 0
    host0, host1 = (c0 or 0) + (h0 or 0), (c1 or 0) + (h1 or 0)
    out(within(g["mem"]["host"], host0, host1),
        "%s %s: host memory %s within 10%% of memory.current%s %s" % (
            rt, gid[:12], fmt(g["mem"]["host"], "M"), " + the monitor's" if helper else "",
            span(host0, host1)))
    row["host"] = (g["mem"]["host"], host1)
    f0, f1 = fv("s0", cg, "memory.stat", "file"), fv("s1", cg, "memory.stat", "file")
    out(within(g["mem"]["page_cache"], f0, f1),
        "%s %s: page cache %s within 10%% of memory.stat file %s" % (
            rt, gid[:12], fmt(g["mem"]["page_cache"], "M"), span(f0, f1)))
    row["cache"] = (g["mem"]["page_cache"], f1)
    if kind == "vm":
        ram = [s for s in smaps if s[2] == "rw-p" and s[3] == "-" and int(s[0]) == 65536]
        rss = int(ram[0][1]) * 1024 if len(ram) == 1 else None
        out(within(g["mem"]["working_set"], rss, rss),
            "%s %s: working set %s within 10%% of the Rss of QEMU's 64 MiB guest-RAM mapping "
            "%s (no balloon: guest RAM the host holds)" % (rt, gid, fmt(g["mem"]["working_set"], "M"),
                                                           fmt(rss, "M")))
        out(g["mem"]["tax_lower_bound"] is True and g["mem"]["tax"] == g["mem"]["host"] - g["mem"]["working_set"],
            "%s: memory tax = host - guest RAM, a lower bound (%s)" % (gid, fmt(g["mem"]["tax"], "M")))
        row["wset"] = (g["mem"]["working_set"], rss)
        row["mtax"] = (g["mem"]["tax"], None)
    else:
        i0 = fv("s0", cg, "memory.stat", "inactive_file")
        i1 = fv("s1", cg, "memory.stat", "inactive_file")
        ws0 = c0 - i0 if c0 is not None and i0 is not None else None
        ws1 = c1 - i1 if c1 is not None and i1 is not None else None
        out(within(g["mem"]["working_set"], ws0, ws1),
            "%s %s: working set %s within 10%% of memory.current - inactive_file %s" % (
                rt, gid[:12], fmt(g["mem"]["working_set"], "M"), span(ws0, ws1)))
        row["wset"] = (g["mem"]["working_set"], ws1)
        if helper:
            out(within(g["mem"]["tax"], h0, h1, floor=64 << 10) and g["mem"]["tax"] == g["mem"]["helpers"],
                "%s %s: the monitor's memory is the tax: %s, %s memory.current %s" % (
                    rt, gid, fmt(g["mem"]["tax"], "M"), helper, span(h0, h1)))
        else:
            out(g["mem"]["tax"] == 0 and g["cpu"]["tax"] == 0, "%s %s: no helper, no tax" % (rt, gid[:12]))
        row["mtax"] = (g["mem"]["tax"], h1 if helper else 0)
    # ---- tasks ----------------------------------------------------------
    p0, p1 = fv("s0", cg, "pids.current"), fv("s1", cg, "pids.current")
    if p0 == p1:
        # the count vtax saw most often: a guest that forks now and then
        # (the docker one runs a dd every 0.5 s) may be caught between two
        # children in any one frame
        seen = [vguest(f, key)["pids"] for f in frames if vguest(f, key)]
        most = max(set(seen), key=seen.count) if seen else None
        out(most == p1, "%s %s: %s tasks (most frames; all: %s) = pids.current %s" % (
            rt, gid[:12], most, ",".join(str(x) for x in seen), p1))
    # ---- pressure and io.stat --------------------------------------------
    psi_on = scenario == "full"
    nulls = [f for f in frames[1:] for r in ("cpu", "io", "memory")
             if (vguest(f, key)["pressure"][r] is None) == psi_on]
    out(not nulls, "%s %s: per-guest pressure (cpu, io, memory) %s in every frame" % (
        rt, gid[:12], "present" if psi_on else "null, as the kernel has none (psi=0)"))
    r0, w0 = iostat("s0", cg)
    r1, w1 = iostat("s1", cg)
    rl = rguest(recs[-1], key)
    out(rl is not None and None not in (rl["cg_io_rbytes"], rl["cg_io_wbytes"])
        and r0 <= rl["cg_io_rbytes"] <= r1 and w0 <= rl["cg_io_wbytes"] <= w1,
        "%s %s: io.stat read %s / written %s bytes, between the kernel's %s..%s / %s..%s" % (
            rt, gid[:12], rl and rl["cg_io_rbytes"], rl and rl["cg_io_wbytes"], r0, r1, w0, w1))
    out(all(vguest(f, key)["io"]["read"] is not None and vguest(f, key)["io"]["write"] is not None
            for f in frames[1:]), "%s %s: io read and write rates present" % (rt, gid[:12]))
    table.append(row)

# ---- what must move ------------------------------------------------------
def gi(key):
    return [vguest(f, key) for f in frames[1:]]


d = ("docker", DOCKER_ID)
wsum = sum(g["io"]["write"] * f["interval"] for g, f in zip(gi(d), frames[1:]) if g["io"]["write"])
_, w0 = iostat("s0", DOCKER_CG)
_, w1 = iostat("s1", DOCKER_CG)
out(all(g["io"]["write"] > 0 for g in gi(d)) and 0.5 * (w1 - w0) <= wsum <= 1.05 * (w1 - w0),
    "docker: io.stat wbytes moving: vtax's writes %s over its frames, the kernel's %s between "
    "the snapshots around them" % (fmt(wsum, "M"), fmt(w1 - w0, "M")))
if scenario == "full":
    b = ("proxmox-ct", "9803")
    s0, s1 = psi_total("s0", "/lxc/9803", "cpu"), psi_total("s1", "/lxc/9803", "cpu")
    out(s1 is not None and s0 is not None and s1 > s0 and all(g["pressure"]["cpu"] > 0 for g in gi(b)),
        "9803: cpu.pressure moving under its cpu.max cap (vtax %s%%; kernel some total +%.1f s)" % (
            [fmt(g["pressure"]["cpu"]) for g in gi(b)], ((s1 or 0) - (s0 or 0)) / 1e6))
    s0, s1 = psi_total("s0", DOCKER_CG, "io"), psi_total("s1", DOCKER_CG, "io")
    out(s1 is not None and s0 is not None and s1 > s0 and any(g["pressure"]["io"] > 0 for g in gi(d)),
        "docker: io.pressure moving with its O_DIRECT writes (vtax %s%%; kernel some total +%d us)" % (
            [fmt(g["pressure"]["io"]) for g in gi(d)], (s1 or 0) - (s0 or 0)))
    b = ("proxmox-ct", "9803")
    g = vguest(frames[-1], b)
    out(g["mem"]["page_cache"] >= 31 * MB and g["mem"]["working_set"] >= 32 * MB,
        "9803: its 32 MiB of fresh page cache and 32 MiB of anonymous memory are charged to it "
        "(cache %s, working set %s)" % (fmt(g["mem"]["page_cache"], "M"), fmt(g["mem"]["working_set"], "M")))
    # nested cgroups roll up
    c = ("proxmox-ct", "9802")
    g = vguest(frames[-1], c)
    xs = fv("s1", X + "/x.service", "memory.current")
    out(g["mem"]["host"] - g["mem"]["helpers"] >= xs and g["pids"] == 4,
        "9802: nested cgroups rolled up: its memory %s holds ns/system.slice/x.service's %s, "
        "its 4 tasks are in init.scope, x.service and the threaded t.service/worker" % (
            fmt(g["mem"]["host"] - g["mem"]["helpers"], "M"), fmt(xs, "M")))
    out(("s0", X + "/t.service/worker", "cgroup.procs") in noread
        and fv("s0", X + "/t.service/worker", "cgroup.type") == "threaded"
        and fv("s0", X + "/t.service/idle", "cgroup.type") == "domain invalid",
        "9802: the kernel refuses cgroup.procs of the threaded worker; idle is domain invalid")
else:
    out(all(not any(n.endswith(".pressure") for n in names) for names in ls.values()),
        "psi=0: the kernel has no *.pressure files in any cgroup")
    out(all(f["host"]["pressure"][r] is None for f in frames for r in ("cpu", "io", "memory")),
        "psi=0: host pressure null")
    out(all(g["cpu"]["iowait_source"] == "delayacct" and g["cpu"]["iowait"] is not None
            for f in frames[1:] for g in f["guests"]),
        "psi=0: iowait from delay accounting (kernel.task_delayacct=1) for every guest")
    out(not any(r.get("psi_guest") for r in recs), "psi=0: the record says no guest PSI")

with open(table_out, "w") as t:
    t.write("| guest | CPU % vtax / kernel | host memory vtax / kernel | working set vtax / kernel "
            "| page cache vtax / kernel | tax vtax / monitor cgroup |\n|---|---|---|---|---|---|\n")
    for r in table:
        tax = "-"
        if "cputax" in r:
            tax = "CPU %s / %s, memory %s / %s" % (fmt(r["cputax"][0]), fmt(r["cputax"][1]),
                                                   fmt(r["mtax"][0], "M"), fmt(r["mtax"][1], "M"))
        elif r["host"] == (None, None):
            tax = "- (no memory controller)"
        elif r["mtax"][1] is None:
            tax = "CPU all (TCG), memory %s (host - guest RAM)" % fmt(r["mtax"][0], "M")
        elif r["mtax"][0] == 0:
            tax = "0 (no helper)"
        t.write("| %s | %s / %s | %s / %s | %s / %s | %s / %s | %s |\n" % (
            r["guest"], fmt(r["cpu"][0]), fmt(r["cpu"][1]), fmt(r["host"][0], "M"),
            fmt(r["host"][1], "M"), fmt(r["wset"][0], "M"), fmt(r["wset"][1], "M"),
            fmt(r["cache"][0], "M"), fmt(r["cache"][1], "M"), tax))
