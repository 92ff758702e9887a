#!/usr/bin/env python3
"""make record-bench: what the compact history costs.

Size: bytes per guest-sample of every history directory given with
--dir (a real recording, e.g. an hour of the lab), from the day files'
sizes and the guests of each sample (vtax --replay DIR -j).

CPU: a JSON Lines record (default: an hour of a synthetic host of
--guests guests every 10 s, grown from tests/fixtures/lab-host.jsonl by
cloning its guests with their counters moving at their own pace) is
replayed twice, with and without --record DIR/; the CPU difference
(user + system of the child, from wait4) over the samples is what
recording costs per sample: encoding, and a zstd frame every minute.

Capsule (with --capsule-bench, bench/capsule-bench): the memory the
capsule holds after --capsule-minutes (default 10) of --guests guests at
the default interval, 2 s, on the same kind of synthetic host, and the
size of the file the s key writes from it. --capsule-only skips the rest.
"""
import argparse, glob, json, os, random, resource, shutil, subprocess, sys, tempfile


def size_of(vtax, d):
    out = subprocess.run([vtax, "--replay", d, "-j"], capture_output=True, text=True, check=True)
    samples = guests = 0
    for line in out.stdout.splitlines():
        samples += 1
        guests += len(json.loads(line)["guests"])
    size = sum(os.path.getsize(f) for f in glob.glob(os.path.join(d, "vtax-*.zst")))
    return samples, guests, size


def synth(src, nguests, nsamples, path, step_s=10):
    base = [json.loads(l) for l in open(src) if l.strip()]
    first, last = base[0], base[-1]
    rnd = random.Random(17)
    tmpl = [g for g in last["guests"]]
    rates = {}
    with open(path, "w") as out:
        for i in range(nsamples):
            rec = json.loads(json.dumps(last))
            dt_ns = step_s * 10**9
            h = rec["host"]
            h["real_ms"] = first["host"]["real_ms"] + i * step_s * 1000
            h["mono_ns"] = first["host"]["mono_ns"] + i * dt_ns
            for k in ("t_user", "t_system", "t_idle"):
                if h.get(k) is not None:
                    h[k] += i * rnd.randint(300, 900)
            guests = []
            for n in range(nguests):
                g = dict(tmpl[n % len(tmpl)])
                g["id"] = "%s-%d" % (g["id"], n)
                g["name"] = "%s-%d" % (g.get("name") or "g", n)
                r = rates.setdefault(n, rnd.uniform(0.01, 0.5))
                busy = r * (1 + 0.3 * rnd.random())
                for k in ("cg_usage_ns", "cg_user_ns", "cg_system_ns", "p_utime_ns", "p_stime_ns",
                          "tg_vcpu_ns", "tg_emu_ns", "h_cpu_ns"):
                    if g.get(k) is not None:
                        g[k] += int(i * dt_ns * r + busy * dt_ns * rnd.random() * 0.1)
                for k in ("cg_mem_current", "cg_mem_anon", "cg_mem_file", "p_rss", "vm_ram_rss"):
                    if g.get(k) is not None:
                        g[k] = max(0, g[k] + rnd.randint(-64, 64) * 4096)
                if g.get("at_ns") is not None:
                    g["at_ns"] = h["mono_ns"] + rnd.randint(0, 3000000)
                guests.append(g)
            rec["guests"] = guests
            out.write(json.dumps(rec) + "\n")


def cpu_of(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def capsule(a):
    work = tempfile.mkdtemp(prefix="vtax-capsule-bench.")
    try:
        rec = os.path.join(work, "synth.jsonl")
        # two minutes more than it keeps: it drops chunks as it goes
        synth(a.fixture, a.guests, (a.capsule_minutes + 2) * 30, rec, step_s=2)
        out = subprocess.run([a.capsule_bench, rec, str(a.capsule_minutes)], check=True,
                             capture_output=True, text=True).stdout.strip()
        print("%s (%d guests, %d min at 2 s)" % (out, a.guests, a.capsule_minutes))
        runs = []
        n = (a.capsule_minutes + 2) * 30
        for _ in range(3):
            off = cpu_of([a.vtax, "--replay", rec, "-b", "-o", "id", "--capsule-minutes", "0"])
            on = cpu_of([a.vtax, "--replay", rec, "-b", "-o", "id",
                         "--capsule-minutes", str(a.capsule_minutes)])
            runs.append((on - off) / n * 1000)
        print("capsule cpu: %.3f ms per sample at %d guests (median of 3; runs %s)" %
              (sorted(runs)[1], a.guests, ", ".join("%.3f" % r for r in runs)))
    finally:
        shutil.rmtree(work)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vtax", default="./src/vtax")
    ap.add_argument("--dir", action="append", default=[], help="a history directory to size")
    ap.add_argument("--guests", type=int, default=100)
    ap.add_argument("--samples", type=int, default=360)
    ap.add_argument("--fixture", default=os.path.join(os.path.dirname(__file__), "..", "tests",
                                                      "fixtures", "lab-host.jsonl"))
    ap.add_argument("--capsule-bench", help="bench/capsule-bench: measure the capsule")
    ap.add_argument("--capsule-minutes", type=int, default=10)
    ap.add_argument("--capsule-only", action="store_true")
    a = ap.parse_args()
    if a.capsule_bench:
        capsule(a)
        if a.capsule_only:
            return 0
    for d in a.dir:
        s, g, b = size_of(a.vtax, d)
        print("size %s: %d samples, %d guest-samples (%.1f guests), %d bytes: "
              "%.1f bytes per guest-sample" % (d, s, g, g / max(s, 1), b, b / max(g, 1)))
    work = tempfile.mkdtemp(prefix="vtax-record-bench.")
    try:
        rec = os.path.join(work, "synth.jsonl")
        synth(a.fixture, a.guests, a.samples, rec)
        runs = []
        for _ in range(3):
            hist = os.path.join(work, "hist")
            shutil.rmtree(hist, ignore_errors=True)
            os.mkdir(hist)
            plain = cpu_of([a.vtax, "--replay", rec, "-b", "-o", "id"])
            recd = cpu_of([a.vtax, "--replay", rec, "-b", "-o", "id", "--record", hist + "/"])
            runs.append((recd - plain) / a.samples * 1000)
        s, g, b = size_of(a.vtax, hist)
        print("cpu: %d guests, %d samples 10 s apart: recording costs %.3f ms per sample "
              "(median of 3; runs %s); synthetic history %.1f bytes per guest-sample" %
              (a.guests, a.samples, sorted(runs)[1], ", ".join("%.3f" % r for r in runs),
               b / max(g, 1)))
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    sys.exit(main())
