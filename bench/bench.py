#!/usr/bin/env python3
"""vtax against top, htop, systemd-cgtop and atop on a synthetic busy host.

For each size N processes x G guests: build the host (N sleeping
processes spread over G guest cgroups named the way real runtimes name
them, in every cgroup hierarchy, plus a few halted QEMU guests; each
container in a network namespace of its own with one veth into it, each
VM guest a tap named as its runtime names them), run every
tool for the same number of refreshes, and measure from the kernel's own
accounting: CPU (user + system) per refresh, peak RSS, and the time to the
first complete frame. Prints a Markdown table; cleans up everything."""
import argparse
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

MOUNTS = [l.split()[1] for l in open("/proc/self/mounts") if l.split()[2] in ("cgroup", "cgroup2")]
HZ = os.sysconf("SC_CLK_TCK")


def guest_paths(g):
    """G cgroup paths, cycling through the runtimes' naming schemes."""
    out = []
    for i in range(g):
        k = i % 5
        if k == 0:
            out.append("/docker/%064x" % (0xbe00 + i))
        elif k == 1:
            out.append("/lxc.payload.bench%d" % i)
        elif k == 2:
            out.append("/lxc/%d" % (5000 + i))
        elif k == 3:
            out.append("/qemu.slice/%d.scope" % (6000 + i))
        else:
            out.append("/machine.slice/machine-qemu\\x2d%d\\x2dbench%d.scope" % (i, i))
    return out


def cg_make(rel):
    for h in MOUNTS:
        parts = rel.strip("/").split("/")
        for j in range(1, len(parts) + 1):
            d = h + "/" + "/".join(parts[:j])
            try:
                os.mkdir(d)
            except FileExistsError:
                pass
            except OSError:
                break
            if os.path.exists(d + "/cpuset.cpus"):
                for f in ("cpuset.cpus", "cpuset.mems"):
                    try:
                        open(d + "/" + f, "w").write(open(os.path.dirname(d) + "/" + f).read())
                    except OSError:
                        pass


def cg_enter(rel, pid):
    for h in MOUNTS:
        try:
            open(h + rel + "/cgroup.procs", "w").write(str(pid))
        except OSError:
            pass


def cg_remove(rel):
    for h in MOUNTS:
        parts = rel.strip("/").split("/")
        for j in range(len(parts), 0, -1):
            try:
                os.rmdir(h + "/" + "/".join(parts[:j]))
            except OSError:
                break


def is_vm(rel):
    return rel.startswith("/qemu.slice") or rel.startswith("/machine.slice")


def ip_batch(cmds):
    if cmds:
        subprocess.run(["ip", "-force", "-batch", "-"], input="\n".join(cmds) + "\n", text=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


class Host:
    def __init__(self, n, g, work, net=True):
        self.paths = guest_paths(g)
        self.leaders = []
        self.qemus = []
        self.links = []
        per = [n // g + (1 if i < n % g else 0) for i in range(g)]
        for rel, k in zip(self.paths, per):
            cg_make(rel)
            # a leader joins the cgroup, then starts k sleepers there; a
            # container's leader in a network namespace of its own
            argv = ["sh", "-c", 'i=0; while [ $i -lt %d ]; do sleep 100000 & i=$((i+1)); done; wait' % k]
            if net and not is_vm(rel):
                argv = ["unshare", "--net"] + argv
            p = subprocess.Popen(argv, preexec_fn=lambda rel=rel: (os.setpgrp(), cg_enter(rel, os.getpid())))
            self.leaders.append(p)
        if net:
            cmds = []
            for i, (rel, p) in enumerate(zip(self.paths, self.leaders)):
                if rel.startswith("/qemu.slice"):
                    name = "tap%si0" % rel[12:16]
                    cmds.append("tuntap add dev %s mode tap" % name)
                elif is_vm(rel):
                    name = "vtbv%d" % i
                    cmds.append("tuntap add dev %s mode tap" % name)
                else:
                    name = "vtbh%d" % i
                    cmds.append("link add %s type veth peer name eth0 netns %d" % (name, p.pid))
                cmds.append("link set %s up" % name)
                self.links.append(name)
            time.sleep(0.2)  # the leaders have unshared
            ip_batch(cmds)
        img = os.path.join(work, "halt.img")
        with open(img, "wb") as f:
            f.write(b"\xfa\xf4\xeb\xfd" + b"\0" * 506 + b"\x55\xaa")
        vms = [p for p in self.paths if p.startswith("/qemu.slice")][:3]
        for rel in vms:
            q = subprocess.Popen(["qemu-system-x86_64", "-accel", "tcg", "-display", "none", "-nodefaults",
                                  "-drive", "format=raw,file=" + img, "-m", "32", "-name", "bench" + rel[12:16]],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 preexec_fn=lambda rel=rel: cg_enter(rel, os.getpid()))
            self.qemus.append(q)
        want = n + g + len(vms)
        for _ in range(600):
            if self.count() >= want:
                break
            time.sleep(0.1)
        time.sleep(1)

    def count(self):
        return sum(1 for d in os.listdir("/proc") if d.isdigit())

    def close(self):
        ip_batch(["link del %s" % name for name in self.links])
        for q in self.qemus:
            q.kill()
            q.wait()
        for p in self.leaders:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
            p.wait()
        for rel in self.paths:
            for h in MOUNTS:
                try:
                    for pid in open(h + rel + "/cgroup.procs").read().split():
                        os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass
        time.sleep(0.5)
        for rel in self.paths:
            cg_remove(rel)


def run_batch(argv, env=None):
    """Run to completion; CPU seconds (wait4) and peak RSS in kB. The peak
    is VmHWM sampled from /proc after the exec: wait4's maxrss would count
    the forked copy of this Python before the exec."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    exe = os.path.basename(argv[0])
    hwm = 0
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        try:
            if open("/proc/%d/comm" % p.pid).read().strip() == exe[:15]:
                for l in open("/proc/%d/status" % p.pid):
                    if l.startswith("VmHWM"):
                        hwm = max(hwm, int(l.split()[1]))
        except OSError:
            pass
        time.sleep(0.01)
    p.returncode = 0
    wall = time.monotonic() - t0
    return ru.ru_utime + ru.ru_stime, hwm, wall


def first_frame(argv, marker, runs=5):
    """Median over runs of the wall time until the first frame's marker
    line is printed: one start alone can land on the kernel's clean-up of
    the previous host and take several times as long."""
    times = [first_frame_once(argv, marker) for _ in range(runs)]
    times = sorted(t for t in times if t is not None)
    return times[len(times) // 2] if times else None


def first_frame_once(argv, marker, cpu=False):
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    t = c = None
    for line in p.stdout:
        if marker in line:
            t = time.monotonic() - t0
            c = task_cpu(p.pid) if cpu else None
            break
    p.kill()
    p.wait()
    return (t, c) if cpu else t


def task_cpu(pid):
    """CPU time (s) of every thread of pid so far, from the scheduler's
    own clock (/proc/PID/task/TID/schedstat, ns): what a process has
    spent up to a moment, finer than the 10 ms ticks of /proc/PID/stat."""
    ns = 0
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            try:
                ns += int(open("/proc/%d/task/%s/schedstat" % (pid, tid)).read().split()[0])
            except (OSError, ValueError, IndexError):
                pass
    except OSError:
        return None
    return ns / 1e9


def first_frame_cpu(argv, marker, runs=5):
    """Median over runs of the CPU a tool has spent when its first frame
    is out (start-up and the first look; not what it does after, such as
    reading bases for the next frame or exiting)."""
    cpus = sorted(c for _, c in (first_frame_once(argv, marker, cpu=True) for _ in range(runs))
                  if c is not None)
    return cpus[len(cpus) // 2] if cpus else None


def htop_run(seconds, delay, work):
    """htop has no batch mode: run it in tmux, read its CPU from /proc."""
    sock = os.path.join(work, "tmux.sock")
    subprocess.run(["tmux", "-S", sock, "-f", "/dev/null", "new-session", "-d", "-s", "h", "-x", "200", "-y", "50",
                    "htop -d %d" % max(1, int(delay * 10))], check=False)
    pid = None
    for _ in range(50):
        out = subprocess.run(["pgrep", "-n", "-x", "htop"], capture_output=True, text=True).stdout.strip()
        if out:
            pid = int(out)
            break
        time.sleep(0.1)
    if not pid:
        return None, None
    time.sleep(1.0)  # past start-up
    s0 = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    time.sleep(seconds)
    s1 = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    hwm = [l for l in open("/proc/%d/status" % pid) if l.startswith("VmHWM")][0].split()[1]
    subprocess.run(["tmux", "-S", sock, "kill-server"], check=False)
    cpu = (int(s1[11]) + int(s1[12]) - int(s0[11]) - int(s0[12])) / HZ
    return cpu / (seconds / delay), int(hwm)


def screen_idle(vtax, work):
    """CPU of the interactive screen between two refreshes, in ms."""
    sock = os.path.join(work, "tmux-idle.sock")
    subprocess.run(["tmux", "-S", sock, "-f", "/dev/null", "new-session", "-d", "-s", "v", "-x", "120", "-y", "40",
                    "%s -d 5" % vtax], check=False)
    pid = None
    for _ in range(50):
        out = subprocess.run(["pgrep", "-n", "-f", "%s -d 5" % vtax], capture_output=True, text=True).stdout.strip()
        if out:
            pid = int(out)
            break
        time.sleep(0.1)
    cpu = None
    if pid:
        time.sleep(5.5)  # past the first refresh at 5 s
        s0 = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
        time.sleep(4)
        s1 = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
        cpu = (int(s1[11]) + int(s1[12]) - int(s0[11]) - int(s0[12])) * 1000.0 / HZ
    subprocess.run(["tmux", "-S", sock, "kill-server"], check=False)
    return cpu


def measure(vtax, refreshes, delay, work):
    res = {}
    # steady state: the CPU of refreshes + 2 frames less that of 2, so
    # what is done once is out of it: start-up, the first look at every
    # process, and the bases vtax reads once the first frame is out
    n = refreshes + 2
    ms = lambda s: s * 1000.0
    tools = [
        ("vtax", [vtax, "-b", "-n", str(n), "-d", str(delay)], [vtax, "-b", "-d", str(delay)], "ID "),
        ("top", ["top", "-b", "-n", str(n), "-d", str(delay)], ["top", "-b", "-d", str(delay)], "PID "),
        ("systemd-cgtop", ["systemd-cgtop", "-b", "-n", str(n), "-d", str(delay)],
         ["systemd-cgtop", "-b", "-d", str(delay)], "/"),
    ]
    for name, argv, ffargv, marker in tools:
        if not shutil.which(argv[0]):
            continue
        cpu, rss, wall = run_batch(argv)
        two = argv[:argv.index("-n") + 1] + ["2"] + argv[argv.index("-n") + 2:]
        cpu2, _, _ = run_batch(two)
        ff = first_frame(ffargv, marker.encode())
        res[name] = (ms(max(cpu - cpu2, 0) / refreshes), rss, ms(ff) if ff is not None else None)
    if shutil.which("atop"):
        # atop takes whole seconds; CPU per sample is what counts
        samples = 5
        cpu, rss, wall = run_batch(["atop", "-P", "PRC,PRM", "1", str(samples)])
        res["atop"] = (ms(cpu / samples), rss, None)
    if shutil.which("htop") and shutil.which("tmux"):
        cpu, rss = htop_run(refreshes * delay, delay, work)
        if cpu is not None:
            res["htop"] = (ms(cpu), rss, None)
    return res


def measure_turns(vtaxes, refreshes, delay, turns):
    """vtax (one or more builds) and systemd-cgtop only, in turns on the
    same host: each turn runs every tool once, so load from other work
    falls on all of them alike; the median of the turns is reported."""
    n = refreshes + 2   # less 2 frames: see measure()
    tools = [(name, [path, "-b", "-n", str(n), "-d", str(delay)]) for name, path in vtaxes]
    if shutil.which("systemd-cgtop"):
        tools.append(("systemd-cgtop", ["systemd-cgtop", "-b", "-n", str(n), "-d", str(delay)]))
    markers = {name: b"ID " for name, _ in vtaxes}
    markers["systemd-cgtop"] = b"/"
    per = {name: [] for name, _ in tools}
    first = {name: [] for name, _ in tools}
    until = {name: [] for name, _ in tools}
    for _ in range(turns):
        for name, argv in tools:
            cpu, _, _ = run_batch(argv)
            cpu2, _, _ = run_batch(argv[:3] + ["2"] + argv[4:])
            cpu1, _, _ = run_batch(argv[:3] + ["1"] + argv[4:])
            per[name].append(max(cpu - cpu2, 0) * 1000.0 / refreshes)
            first[name].append(cpu1 * 1000.0)
            c = first_frame_cpu(argv[:2] + argv[4:], markers[name], runs=3)
            if c is not None:
                until[name].append(c * 1000.0)
    res = {name: sorted(v) for name, v in per.items()}
    res.update({name + " until first frame": sorted(v) for name, v in until.items() if v})
    # the whole CPU of a run of one frame: start-up and the first look
    res.update({name + " first frame": sorted(v) for name, v in first.items()})
    return res


def cpu_model():
    """The CPU every result is from: ratios to systemd-cgtop differ from
    one CPU model to another (doc/performance.md keeps them apart)."""
    model, n = "unknown CPU", 0
    for l in open("/proc/cpuinfo"):
        if l.startswith("model name") and model == "unknown CPU":
            model = l.split(":", 1)[1].strip()
        if l.startswith("processor"):
            n += 1
    return "%s, %d CPUs, kernel %s" % (model, n, os.uname().release)


def main_turns(a, vtaxes, work):
    rows = []
    for size in a.sizes.split(","):
        n, g = (int(x) for x in size.split("x"))
        print("bench: %d processes in %d guests ..." % (n, g), file=sys.stderr, flush=True)
        host = Host(n, g, work, net=not a.no_net)
        try:
            procs = host.count()
            links = len(host.links)
            load0 = open("/proc/loadavg").read().split()[0]
            res = measure_turns(vtaxes, a.refreshes, a.delay, a.turns)
            load1 = open("/proc/loadavg").read().split()[0]
        finally:
            host.close()
        rows.append((n, g, procs, links, res, (load0, load1)))
        for name, v in res.items():
            print("bench:   %s: %s ms" % (name, " ".join("%.2f" % x for x in v)), file=sys.stderr, flush=True)
    med = lambda v: v[len(v) // 2] if v else 0.0
    names = [name for name, _ in vtaxes]
    print("CPU per refresh (ms, user + system: %d frames less 2, over %d, delay %.1f s), the median of %d turns "
          "of every tool in turn; network %s; %s\n" % (a.refreshes + 2, a.refreshes, a.delay, a.turns,
                                                        "off" if a.no_net else "on", cpu_model()))
    print("| processes | guests | " + " | ".join(names) + " | systemd-cgtop | " +
          " | ".join("%s/cgtop" % x for x in names) + " | load (1 min, start-end) |")
    print("|---|---|" + "---|" * (2 * len(names) + 2))
    for n, g, procs, links, res, load in rows:
        c = med(res.get("systemd-cgtop", []))
        print("| %d (%d on host) | %d | %s | %.2f ms | %s | %s-%s |" % (
            n, procs, g, " | ".join("%.2f ms" % med(res[x]) for x in names), c,
            " | ".join(("%.2f" % (med(res[x]) / c)) if c else "-" for x in names), load[0], load[1]))
    for title, key in (("CPU of a whole run of one frame (start-up and the first frame)", " first frame"),
                       ("CPU spent when the first frame is out (all threads, schedstat)",
                        " until first frame")):
        print()
        print(title + ", median of the turns:")
        for n, g, procs, links, res, load in rows:
            print("- %d processes, %d guests: %s" % (n, g, ", ".join(
                "%s %.1f ms" % (x, med(res[x + key])) for x in names + ["systemd-cgtop"]
                if x + key in res)))
    print()
    for x in names:
        cost = {(n, g): med(res[x]) for n, g, _, _, res, _ in rows}
        for g in sorted({g for _, g in cost}):
            have = sorted(n for n, gg in cost if gg == g)
            if len(have) > 1 and cost[(have[0], g)] > 0:
                print("%s CPU per refresh at %d guests, %d -> %d processes: x%.2f" %
                      (x, g, have[0], have[-1], cost[(have[-1], g)] / cost[(have[0], g)]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vtax", required=True)
    ap.add_argument("--sizes", default="1000x10,1000x100,1000x300,3000x10,3000x100,3000x300,10000x10,10000x100,10000x300")
    ap.add_argument("--refreshes", type=int, default=50)
    ap.add_argument("--delay", type=float, default=0.1)
    ap.add_argument("--profile", help="run this shell command on the first size's host instead")
    ap.add_argument("--no-net", action="store_true", help="no veths, taps or network namespaces")
    ap.add_argument("--turns", type=int, default=0,
                    help="only vtax and systemd-cgtop, in turns this many times; report the medians")
    ap.add_argument("--vtax-before", help="with --turns: another vtax build measured in the same turns")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench: needs root (creates cgroups)")
    work = tempfile.mkdtemp(prefix="vtax-bench.")
    if a.turns:
        vtaxes = ([("vtax before", a.vtax_before)] if a.vtax_before else []) + [("vtax", a.vtax)]
        try:
            main_turns(a, vtaxes, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return
    rows = []
    try:
        for size in a.sizes.split(","):
            n, g = (int(x) for x in size.split("x"))
            print("bench: %d processes in %d guests ..." % (n, g), file=sys.stderr, flush=True)
            host = Host(n, g, work, net=not a.no_net)
            try:
                procs = host.count()
                if a.profile:
                    subprocess.run(a.profile, shell=True, check=False)
                    return
                res = measure(a.vtax, a.refreshes, a.delay, work)
            finally:
                host.close()
            rows.append((n, g, procs, res))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    idle = None
    if shutil.which("tmux"):
        idle_dir = tempfile.mkdtemp(prefix="vtax-bench-idle.")
        try:
            idle = screen_idle(os.path.abspath(a.vtax), idle_dir)
        finally:
            shutil.rmtree(idle_dir, ignore_errors=True)
    tools = ["vtax", "top", "htop", "systemd-cgtop", "atop"]
    print("CPU per refresh (ms, user + system, steady state: the CPU of %d frames less that of 2, "
          "over %d), peak RSS (MB), time to the first frame (ms, wall); delay %.1f s "
          "(atop: 1 s samples, all its CPU; htop: in tmux, CPU over the run); %s\n"
          % (a.refreshes + 2, a.refreshes, a.delay, cpu_model()))
    print("| processes | guests | " + " | ".join(tools) + " | vtax/top | vtax/cgtop |")
    print("|---|---|" + "---|" * len(tools) + "---|---|")
    for n, g, procs, res in rows:
        cells = []
        for t in tools:
            if t not in res:
                cells.append("-")
                continue
            cpu, rss, ff = res[t]
            cell = "%.1f ms, %.1f MB" % (cpu, rss / 1024.0)
            if ff is not None:
                cell += ", %.0f ms" % ff
            cells.append(cell)
        r1 = "%.3f" % (res["vtax"][0] / res["top"][0]) if "top" in res and res["top"][0] else "-"
        r2 = "%.2f" % (res["vtax"][0] / res["systemd-cgtop"][0]) if "systemd-cgtop" in res and res["systemd-cgtop"][0] else "-"
        print("| %d (%d on host) | %d | %s | %s | %s |" % (n, procs, g, " | ".join(cells), r1, r2))
    # the targets: flat in processes at a fixed number of guests, roughly
    # linear in guests at a fixed number of processes
    cost = {(n, g): res["vtax"][0] for n, g, _, res in rows if "vtax" in res}
    ns = sorted({n for n, _ in cost})
    gs = sorted({g for _, g in cost})
    print()
    for g in gs:
        have = [n for n in ns if (n, g) in cost]
        if len(have) > 1 and cost[(have[0], g)] > 0:
            print("vtax CPU per refresh at %d guests, %d -> %d processes: x%.2f" %
                  (g, have[0], have[-1], cost[(have[-1], g)] / cost[(have[0], g)]))
    for n in ns:
        have = [g for g in gs if (n, g) in cost]
        if len(have) > 1 and cost[(n, have[0])] > 0:
            print("vtax CPU per refresh at %d processes, %d -> %d guests (x%.0f): x%.2f" %
                  (n, have[0], have[-1], have[-1] / have[0], cost[(n, have[-1])] / cost[(n, have[0])]))
    if idle is not None:
        print("vtax screen idle between refreshes (tmux, -d 5, CPU over 4 s between two refreshes): "
              "%.1f ms" % idle)


if __name__ == "__main__":
    main()
