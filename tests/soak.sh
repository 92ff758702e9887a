#!/bin/bash
# Churn soak: guests come and go every ~100 ms (pids reused on purpose),
# QEMU starts and dies, while vtax --json -d 0.05 watches. Every frame must
# be valid JSON with sane numbers and no guest wearing another's counters;
# vtax must not crash, trip a sanitizer, or grow. SOAK_SECONDS (default 30;
# make soak: 600).
. "$(dirname "$0")/lib/common.sh"
need_live
need_root "creates cgroups and changes kernel.pid_max for the run"
need_cmd python3 python3
need_cmd qemu-system-x86_64 qemu-system-x86
secs=${SOAK_SECONDS:-30}
work=$(mktemp -d /tmp/vtax-soak.XXXXXX)
old_max=$(cat /proc/sys/kernel/pid_max)
# below the kernel's default: a soak that was killed before it could put
# it back (or one that runs beside this one) lowered it; restore the default
[ "$old_max" -lt 32768 ] && { echo "soak: kernel.pid_max $old_max was left low: 32768 restored at the end"; old_max=32768; }
cleanup() {
	echo "$old_max" >/proc/sys/kernel/pid_max
	[ -n "${vp:-}" ] && kill "$vp" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap "exit 1" INT TERM HUP
# a small pid space, so that pids come back within the run
nproc_now=$(ls /proc | grep -c '^[0-9]')
echo $((nproc_now + 300 > 500 ? nproc_now + 300 : 500)) >/proc/sys/kernel/pid_max
echo "soak: ${secs} s, kernel.pid_max $(cat /proc/sys/kernel/pid_max) (was $old_max)"

# a capsule of 6 s in chunks of 1 s: full before the first RSS reading,
# so its chunks come and go under the churn and growth would be a leak
VTAX_HIST_CHUNK_MS=1000 "$VTAX" --json -d 0.05 --capsule-minutes 0.1 >"$work/out.jsonl" 2>"$work/err" &
vp=$!
sleep 1
python3 "$SRCDIR/tests/lib/churn.py" "$secs" "$work" >"$work/churn.log" 2>&1 &
cp=$!
third=$(python3 -c "print(max(2, $secs / 3))")
sleep "$third"
rss1=$(awk '/^VmRSS/ {print $2}' "/proc/$vp/status")
wait $cp
cat "$work/churn.log"
alive=0; kill -0 "$vp" 2>/dev/null && alive=1
rss2=$(awk '/^VmRSS/ {print $2}' "/proc/$vp/status" 2>/dev/null)
kill -TERM "$vp" 2>/dev/null
wait "$vp"; rc=$?
vp=""
check "vtax survived the churn" [ "$alive" -eq 1 ]
check "vtax exits 0 on SIGTERM (status $rc)" [ $rc -eq 0 ]
check "no sanitizer report, no error output" sh -c "! grep -q 'Sanitizer\|runtime error' '$work/err' && [ ! -s '$work/err' ] || { head -20 '$work/err'; false; }"
left=$(for h in $(cg_hierarchies); do ls -d "$h"/lxc.payload.soak-* 2>/dev/null; done | wc -l)
check "the churn left no cgroup behind ($left)" [ "$left" -eq 0 ]
check "pids were reused during the run" sh -c "grep -Eq ', [1-9][0-9]* pids reused' '$work/churn.log'"
python3 - "$work/out.jsonl" "$secs" >"$work/check.log" <<'PY'
import json, re, sys
lines = open(sys.argv[1]).read().splitlines()
bad = []
capped, capped_lines = set(), []
frames = 0
soak_seen = set()
for i, l in enumerate(lines):
    if i == len(lines) - 1 and not l.endswith("}"):
        break  # the last line may be cut by SIGTERM
    try:
        d = json.loads(l)
    except ValueError as e:
        bad.append("line %d: invalid JSON: %s" % (i + 1, e))
        continue
    frames += 1
    cpus = d["host"]["cpus"]
    total = d["host"]["mem"]["total"]
    names = set()
    for g in d["guests"]:
        key = (g["runtime"], g["id"])
        if key in names:
            bad.append("line %d: guest %s twice" % (i + 1, key))
        names.add(key)
        for k, v in g["cpu"].items():
            if not isinstance(v, (int, float)) or isinstance(v, bool):
                continue
            # vtax scales a guest whose counters say more than every CPU
            # could run down to 100 x CPUs and marks it capped; anything
            # above the limit (or below 0) is a bug
            if v < 0 or v > 100 * cpus + 0.01:
                bad.append("line %d: %s cpu.%s = %s" % (i + 1, g["name"], k, v))
        if g["cpu"].get("capped"):
            # counted and listed; more than 1 frame in 100 would point to
            # counters read wrong rather than clock-tick rounding: a failure
            capped.add(i)
            capped_lines.append("line %d: %s capped at %s" % (i + 1, g["name"], g["cpu"]["total"]))
        for k, v in g["mem"].items():
            if isinstance(v, int) and not isinstance(v, bool) and (v < 0 or v > total):
                bad.append("line %d: %s mem.%s = %s" % (i + 1, g["name"], k, v))
        m = re.match(r"soak-m(\d+)-\d+$", g["name"] or "")
        if m:
            soak_seen.add(g["name"])
            # the shell holds its X MB twice while building the variable
            limit = (2 * int(m.group(1)) + 6) << 20
            if g["mem"]["host"] is not None and g["mem"]["host"] > limit:
                bad.append("line %d: %s holds %d bytes, far more than its %s MB: another guest's counters?"
                           % (i + 1, g["name"], g["mem"]["host"], m.group(1)))
if len(capped) * 100 > max(frames, 100):
    bad.append("%d frames with a guest capped at 100%% of every CPU: more than 1 in 100" % len(capped))
print("frames %d, soak containers seen %d, problems %d, frames with a guest capped at every CPU %d"
      % (frames, len(soak_seen), len(bad), len(capped)))
for b in bad[:20] + capped_lines[:10]:
    print("  " + b)
expect = float(sys.argv[2]) / 0.05 * 0.3
sys.exit(0 if not bad and frames >= expect and soak_seen else 1)
PY
r=$?; cat "$work/check.log"
check "every frame valid JSON, sane numbers, no guest with another's counters" [ $r -eq 0 ]
if ldd "$VTAX" 2>/dev/null | grep -q libasan; then
	echo "note: RSS growth not judged under AddressSanitizer (its quarantine holds freed memory); the plain build judges it"
else
	check "RSS after warm-up grows by less than 1 MB ($rss1 kB -> $rss2 kB)" \
		sh -c "[ -n '$rss1' ] && [ -n '$rss2' ] && [ \$(($rss2 - $rss1)) -lt 1024 ]"
fi
finish
