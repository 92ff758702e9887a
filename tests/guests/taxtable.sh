# shellcheck shell=bash
# The tax table (sourced by lab.sh: lab.sh taxtable [--phases P,...]
# [--only TAGS] [--vm-mem MB] [--quota PCT]). The same workload runs in
# each kind of guest, one guest at a time; each gets one Markdown row from
# vtax's own numbers, beside the host RAM it took: MemTotal - MemAvailable
# against a baseline read just before the guest started (after its
# runtime's daemon was up, so the row is the guest's, not the daemon's).
#
# Phases: idle; burn (one busy loop capped at --quota % of a CPU by CFS,
# VMs and containers alike); mem (256 MB page cache + 128 MB anonymous).

# host_used: MemTotal - MemAvailable in bytes, the mean of 3 reads 0.5 s apart
host_used() {
	local i s=0 v
	for i in 1 2 3; do
		v=$(awk '/^MemTotal:/ { t = $2 } /^MemAvailable:/ { a = $2 } END { printf "%d\n", (t - a) * 1024 }' /proc/meminfo)
		s=$((s + v))
		[ $i -lt 3 ] && sleep 0.5
	done
	echo $((s / 3))
}

phase_spec() {
	case $1 in
		idle) echo idle ;;
		burn) echo burn ;;
		mem) echo "cache=256,anon=128" ;;
		*) die "unknown phase $1 (idle, burn, mem)" ;;
	esac
}

taxtable() {
	local phase tag base after spec out=$LAB.taxtable
	lab_opts --vm-mem 512 --quota 50 "$@"
	VM_QUOTA=$QUOTA
	mkdir -p "$out"
	say "one guest at a time: $ONLY; phases $PHASES; raw vtax output in $out"
	echo "| guest | runtime | workload | host RAM used (MemAvailable) | vtax MEM (host) | WSET | CACHE | MTAX | host CPU % | CPU tax % |"
	echo "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"
	for phase in ${PHASES//,/ }; do
		spec=$(phase_spec "$phase")
		for tag in $ONLY; do
			SPEC=$spec
			parse_workload "$spec"
			lab_init
			case $tag in
				docker) ensure_dockerd >/dev/null || { cmd_stop >/dev/null 2>&1; continue; } ;;
				podman) ensure_podman >/dev/null || { cmd_stop >/dev/null 2>&1; continue; } ;;
				lvvm) ensure_libvirtd >/dev/null || { cmd_stop >/dev/null 2>&1; continue; } ;;
			esac
			make_rootfs
			sleep 2
			base=$(host_used)
			if ! "start_$tag"; then
				cmd_stop >/dev/null 2>&1
				continue
			fi
			wait_ready
			sleep 3  # past the first page faults and the first balloon report
			# shellcheck disable=SC2046
			"$VTAX" --json -n 6 -d 1 $(cmd_vtax_opts) >"$out/$phase-$tag.jsonl" 2>/dev/null
			after=$(host_used)
			cp "$LAB/g/$tag" "$out/$phase-$tag.guest"
			cmd_stop >/dev/null 2>&1 || say "$tag: stop left something behind"
			python3 - "$out/$phase-$tag.jsonl" "$out/$phase-$tag.guest" "$base" "$after" "$phase" <<'PY'
import json, sys
frames = [json.loads(l) for l in open(sys.argv[1])]
g = dict(l.rstrip("\n").split("=", 1) for l in open(sys.argv[2]) if "=" in l)
base, after, phase = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
def pick(f):
    for x in f["guests"]:
        if x["runtime"] == g["runtime"] and x["id"] == g["id"]:
            return x
gs = [pick(f) for f in frames]
last = gs[-1]
def avg(key):
    v = [(x["cpu"][key], f["interval"]) for x, f in zip(gs[1:], frames[1:]) if x and x["cpu"][key] is not None]
    return sum(a * b for a, b in v) / sum(b for a, b in v) if v else None
def mb(x):
    return "-" if x is None else "%.0f" % (x / 1048576)
def p(x):
    return "-" if x is None else "%.1f" % x
m = last["mem"]
tax = (">" if m["tax_lower_bound"] else "") + mb(m["tax"])
print("| %s | %s | %s | %+.0f MB | %s | %s | %s | %s | %s | %s |" % (
    g["name"], g["runtime"], phase, (after - base) / 1048576, mb(m["host"]), mb(m["working_set"]),
    mb(m["page_cache"]), tax, p(avg("total")), p(avg("tax"))))
PY
		done
	done
}
