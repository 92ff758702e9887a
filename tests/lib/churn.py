#!/usr/bin/env python3
"""Guest churn for the soak test: every ~100 ms create a container (a
cgroup in every hierarchy named lxc.payload.soak-mX-N holding a shell
with about X MB of memory) and destroy the oldest; every 2 s start a
halted boot-sector QEMU and kill the one before. Runs SECONDS, then
removes everything it made and prints what it did."""
import errno
import os
import signal
import subprocess
import sys
import time

seconds = float(sys.argv[1])
workdir = sys.argv[2]
mounts = [l.split()[1] for l in open("/proc/self/mounts") if l.split()[2] in ("cgroup", "cgroup2")]
SIZES = [1, 4, 8, 16]


def cg_make(rel):
    for h in mounts:
        d = h + rel
        try:
            os.mkdir(d)
        except FileExistsError:
            pass
        except OSError:
            continue
        if os.path.exists(d + "/cpuset.cpus"):
            for f in ("cpuset.cpus", "cpuset.mems"):
                try:
                    open(d + "/" + f, "w").write(open(h + "/" + f).read())
                except OSError:
                    pass


def cg_remove(rel):
    """rmdir rel everywhere; a killed task may take a moment to leave
    (EBUSY until then), so try again for up to 2 s."""
    for h in mounts:
        for _ in range(200):
            try:
                os.rmdir(h + rel)
                break
            except FileNotFoundError:
                break
            except OSError as e:
                if e.errno != errno.EBUSY:
                    break
                time.sleep(0.01)


def enter(rel):
    def f():
        for h in mounts:
            try:
                open(h + rel + "/cgroup.procs", "w").write(str(os.getpid()))
            except OSError:
                pass
    return f


boot = os.path.join(workdir, "halt.img")
with open(boot, "wb") as b:
    code = b"\xfa\xf4\xeb\xfd"  # cli; hlt; jmp back
    b.write(code + b"\0" * (510 - len(code)) + b"\x55\xaa")

alive = []      # (rel, Popen)
qemus = []
seen = set()
reused = created = qstarts = 0
n = 0
t_end = time.monotonic() + seconds
next_q = time.monotonic()
try:
    while time.monotonic() < t_end:
        size = SIZES[n % len(SIZES)]
        rel = "/lxc.payload.soak-m%d-%d" % (size, n)
        n += 1
        cg_make(rel)
        p = subprocess.Popen(["sh", "-c", 'x=$(head -c %d /dev/zero | tr "\\0" a); sleep 1000' % (size << 20)],
                             preexec_fn=enter(rel))
        created += 1
        if p.pid in seen:
            reused += 1
        seen.add(p.pid)
        alive.append((rel, p))
        while len(alive) > 4:
            orel, op = alive.pop(0)
            for h in mounts:
                try:
                    for pid in open(h + orel + "/cgroup.procs").read().split():
                        os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass
            op.wait()
            time.sleep(0.01)
            cg_remove(orel)
        if time.monotonic() >= next_q:
            q = subprocess.Popen(["qemu-system-x86_64", "-accel", "tcg", "-display", "none", "-nodefaults",
                                  "-drive", "format=raw,file=" + boot, "-m", "32", "-name", "soak-qemu"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            qstarts += 1
            if q.pid in seen:
                reused += 1
            seen.add(q.pid)
            qemus.append(q)
            while len(qemus) > 1:
                qemus.pop(0).kill()
            next_q = time.monotonic() + 2
        time.sleep(0.1)
finally:
    for rel, p in alive:
        for h in mounts:
            try:
                for pid in open(h + rel + "/cgroup.procs").read().split():
                    os.kill(int(pid), signal.SIGKILL)
            except OSError:
                pass
        p.wait()
    for q in qemus:
        q.kill()
        q.wait()
    time.sleep(0.1)
    for rel, p in alive:
        cg_remove(rel)
print("churn: %d containers, %d QEMU starts, %d pids reused" % (created, qstarts, reused))
