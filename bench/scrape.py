#!/usr/bin/env python3
"""What a Prometheus scrape of vtax --serve costs at 300 guests, and what
the server costs while it waits.

The host is recorded, not live: tests/fixtures/big-host.jsonl (39-40
Proxmox guests) with every guest copied under new vmids until there are at
least --guests (not kept in tests/fixtures/, which tests/golden.sh replays
whole). vtax replays it with --serve and holds the last frame; the
benchmark then scrapes /metrics --scrapes times over one kept-alive
connection (as Prometheus does) and again with a new connection each time,
and reads the CPU the vtax process used: utime+stime from /proc/PID/stat
(ticks) and the sum of the threads' /proc/PID/task/*/schedstat run times
(ns). Idle: the same over --idle seconds with no scrape, then on the live
host (--serve -d 10, a window between two refreshes), by thread. It fails
when a scrape costs more than --limit-ms; idle figures are reported."""
import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "tests", "fixtures", "big-host.jsonl")
HZ = os.sysconf("SC_CLK_TCK")


def make_host(path, want):
    """Write a record with the fixture's guests copied until >= want."""
    lines = [json.loads(l) for l in open(SRC) if l.strip()]
    steady = min(len(s["guests"]) for s in lines)
    copies = -(-want // steady)
    with open(path, "w") as out:
        for s in lines:
            guests = []
            for k in range(copies):
                for g in s["guests"]:
                    g = dict(g)
                    if k:
                        old = g["id"]
                        g["id"] = str(int(old) + 1000 * k)
                        g["name"] = "%s-%d" % (g["name"], k)
                        for key in ("cgroup", "helper_cg"):
                            if g.get(key):
                                g[key] = g[key].replace(old, g["id"])
                        if g.get("main_pid"):
                            g["main_pid"] += 100000 * k
                    guests.append(g)
            s["guests"] = guests
            out.write(json.dumps(s, separators=(",", ":")) + "\n")
    return [len(s["guests"]) for s in lines]


def cpu(pid):
    """(utime+stime ticks, run ns of every thread) of a process."""
    with open("/proc/%d/stat" % pid) as f:
        st = f.read().rsplit(")", 1)[1].split()
    ticks = int(st[11]) + int(st[12])
    ns = 0
    for t in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, t)) as f:
                ns += int(f.read().split()[0])
        except OSError:
            pass
    return ticks, ns


def threads(pid):
    """{tid: (comm, run ns)} of a process's threads."""
    r = {}
    for t in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, t)) as f:
                comm = f.read().strip()
            with open("/proc/%d/task/%s/schedstat" % (pid, t)) as f:
                r[t] = (comm, int(f.read().split()[0]))
        except OSError:
            pass
    return r


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start(vtax, args, err):
    port = free_port()
    p = subprocess.Popen([vtax, "--serve", "127.0.0.1:%d" % port] + args,
                         stdout=subprocess.DEVNULL, stderr=err)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return p, port
        except OSError:
            time.sleep(0.05)
    p.kill()
    sys.exit("bench: vtax --serve did not listen; see %s" % err.name)


def scrape(port, n, keep):
    size = 0
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for _ in range(n):
        if not keep:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/metrics")
        r = c.getresponse()
        body = r.read()
        if r.status != 200:
            sys.exit("bench: /metrics answered %d" % r.status)
        size = len(body)
        if not keep:
            c.close()
    c.close()
    return size, body


def measure(pid, what, *args):
    t0, n0 = cpu(pid)
    w0 = time.monotonic()
    res = what(*args)
    w1 = time.monotonic()
    t1, n1 = cpu(pid)
    return res, (t1 - t0) * 1000.0 / HZ, (n1 - n0) / 1e6, w1 - w0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vtax", default="./src/vtax")
    ap.add_argument("--guests", type=int, default=300)
    ap.add_argument("--scrapes", type=int, default=200)
    ap.add_argument("--idle", type=float, default=4.0)
    ap.add_argument("--limit-ms", type=float, default=2.0, help="at most this much CPU a scrape")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="vtax-scrape.")
    rec = os.path.join(work, "host.jsonl")
    counts = make_host(rec, a.guests)
    print("recorded host: %s guests in its %d samples" % (
        "-".join(str(c) for c in sorted(set((min(counts), max(counts))))), len(counts)))
    err = open(os.path.join(work, "serve.err"), "w")
    p, port = start(a.vtax, ["--replay", rec, "-d", "0.1"], err)
    ok = True
    try:
        time.sleep(1.5)  # the replay's frames are served; the last is held
        size, body = scrape(port, 1, True)
        series = sum(1 for l in body.splitlines() if l and not l.startswith(b"#"))
        guests = len({l.split(b'id="')[1].split(b'"')[0] for l in body.splitlines()
                      if l.startswith(b"vtax_guest_") and b'id="' in l})
        print("/metrics: %d bytes, %d series, %d guests" % (size, series, guests))
        for keep in (True, False):
            _, ms_t, ms_ns, wall = measure(p.pid, scrape, port, a.scrapes, keep)
            per = ms_ns / a.scrapes
            print("%d scrapes, %s: vtax CPU %.0f ms by ticks, %.1f ms by schedstat = %.3f ms a scrape"
                  " (%.2f s wall)" % (a.scrapes, "one kept-alive connection" if keep else
                                      "a new connection each", ms_t, ms_ns, per, wall))
            ok = ok and per <= a.limit_ms
        time.sleep(1)  # the server closes the last connections
        _, ms_t, ms_ns, _ = measure(p.pid, time.sleep, a.idle)
        print("held replay, no scrape, %.0f s: vtax CPU %.0f ms by ticks, %.3f ms by schedstat"
              % (a.idle, ms_t, ms_ns))
    finally:
        p.terminate()
        p.wait()
    # live: a window between two refreshes with no scrape
    p, port = start(a.vtax, ["-d", "10"], err)
    try:
        time.sleep(2)
        before = threads(p.pid)
        _, ms_t, ms_ns, _ = measure(p.pid, time.sleep, a.idle)
        after = threads(p.pid)
        print("live host, -d 10, between refreshes, no scrape, %.0f s: vtax CPU %.0f ms by ticks,"
              " %.3f ms by schedstat; by thread: %s" % (a.idle, ms_t, ms_ns, ", ".join(
                  "%s %.3f ms" % (before[t][0], (after[t][1] - before[t][1]) / 1e6)
                  for t in sorted(before, key=int) if t in after)))
    finally:
        p.terminate()
        p.wait()
    err.close()
    subprocess.run(["rm", "-rf", work])
    print("scrape bench: %s (limit %.1f ms of CPU a scrape)"
          % ("ok" if ok else "FAILED", a.limit_ms))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
