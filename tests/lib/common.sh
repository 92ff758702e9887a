# shellcheck shell=bash
# Shared helpers for the shell tests (sourced). Exit 77 = skipped.
set -u
: "${VTAX:=$(cd "$(dirname "$0")/.." && pwd)/src/vtax}"
: "${SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
FAILS=0
PASSES=0

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
pass() { echo "ok: $*"; PASSES=$((PASSES + 1)); }
check() {  # check "description" command...
	local what=$1; shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}
finish() {
	echo "$PASSES checks passed, $FAILS failed"
	echo "# elapsed: $SECONDS s"  # .ci/run lists the slowest tests by it
	[ "$FAILS" -eq 0 ]
	exit $?
}
need_root() { [ "$(id -u)" -eq 0 ] || skip "needs root ($1)"; }
need_cmd() { command -v "$1" >/dev/null 2>&1 || skip "needs $1 (install: $2)"; }
need_live() { [ "${VTAX_NO_LIVE:-0}" = 1 ] && skip "live tests disabled by VTAX_NO_LIVE=1"; return 0; }

# Every mounted cgroup hierarchy (v1 controllers and cgroup2), one per line.
cg_hierarchies() {
	awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/self/mounts
}
# cg_make REL: create REL in every hierarchy (cpuset gets cpus/mems).
cg_make() {
	local h
	for h in $(cg_hierarchies); do
		mkdir -p "$h$1" 2>/dev/null || continue
		if [ -f "$h$1/cpuset.cpus" ] && [ -z "$(cat "$h$1/cpuset.cpus")" ]; then
			cat "$h/cpuset.cpus" >"$h$1/cpuset.cpus" 2>/dev/null
			cat "$h/cpuset.mems" >"$h$1/cpuset.mems" 2>/dev/null
		fi
	done
}
# cg_enter REL PID: move PID into REL everywhere it exists.
cg_enter() {
	local h
	for h in $(cg_hierarchies); do
		[ -d "$h$1" ] && echo "$2" >"$h$1/cgroup.procs" 2>/dev/null
	done
	return 0
}
# cg_remove REL: remove REL (deepest first) everywhere.
cg_remove() {
	local h d
	for h in $(cg_hierarchies); do
		[ -d "$h$1" ] || continue
		find "$h$1" -depth -type d 2>/dev/null | while read -r d; do rmdir "$d" 2>/dev/null; done
	done
	return 0
}
# cg_kill REL: kill -9 every process in REL, in every hierarchy.
cg_kill() {
	local h p
	for h in $(cg_hierarchies); do
		[ -f "$h$1/cgroup.procs" ] || continue
		for p in $(cat "$h$1/cgroup.procs"); do kill -9 "$p" 2>/dev/null; done
	done
	return 0
}
# need_guest_image: build the test guest's image (tests/lib/guest-image.sh)
# or skip (77) when the host lacks what it needs; an error of its own fails.
need_guest_image() {
	local log="${TMPDIR:-/tmp}/vtax-guest-image.$$" rc=0
	bash "$SRCDIR/tests/lib/guest-image.sh" >/dev/null 2>"$log" || rc=$?
	[ $rc -ne 0 ] && cat "$log"
	rm -f "$log"
	[ $rc -eq 77 ] && skip "no guest image (see above)"
	[ $rc -ne 0 ] && { fail "guest image built"; finish; }
	return 0
}
# cg_file REL FILE: path of FILE for REL in the first hierarchy having it.
cg_file() {
	local h
	for h in $(cg_hierarchies); do
		[ -f "$h$1/$2" ] && { echo "$h$1/$2"; return 0; }
	done
	return 1
}

# jq-like checks in python: pyjson FILE 'python expression over d'
pyjson() {
	python3 - "$1" "$2" <<'PY'
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
d = json.loads(lines[-1])
frames = [json.loads(l) for l in lines]
def fguest(f, **kw):  # a guest of frame f
    for g in f["guests"]:
        if all(g.get(k) == v for k, v in kw.items()):
            return g
    raise SystemExit("no guest %r in a frame" % (kw,))
def guest(**kw):
    for g in d["guests"]:
        if all(g.get(k) == v for k, v in kw.items()):
            return g
    raise SystemExit("no guest %r in %s" % (kw, [(g["runtime"], g["id"], g["name"]) for g in d["guests"]]))
r = eval(sys.argv[2])
if r is not True:
    print("  got:", r)
    sys.exit(1)
PY
}
near() {  # near GOT WANT TOL: |got-want| <= tol
	python3 -c "import sys; g,w,t=map(float,sys.argv[1:]); sys.exit(0 if abs(g-w)<=t else 1)" "$1" "$2" "$3" ||
		{ echo "  got $1, want $2 +- $3"; return 1; }
}

# intervals_ok DELAY FILE: every --json frame after the first came within
# 10% of DELAY seconds after the one before.
intervals_ok() {
	python3 - "$2" "$1" <<'PY'
import json, sys
iv = [json.loads(l)["interval"] for l in open(sys.argv[1])][1:]
d = float(sys.argv[2])
bad = [x for x in iv if x is None or abs(x - d) > 0.1 * d]
print("  intervals:", iv)
sys.exit(1 if bad or not iv else 0)
PY
}

# tmux_end SOCK: end a tmux server and what its panes started. A sanitizer
# build still in its exit-time leak check when the pty's hang-up SIGCONT
# arrives never finishes (LeakSanitizer's tracer waits for a stop that
# SIGCONT cancelled) and spins: what is left after 2 s is killed, so it
# cannot load the machine for the tests that follow.
tmux_end() {
	local p kids="" alive
	for p in $(tmux -S "$1" list-panes -a -F '#{pane_pid}' 2>/dev/null); do
		kids="$kids $(pgrep -P "$p" | tr '\n' ' ')"
	done
	tmux -S "$1" kill-server 2>/dev/null
	for _ in $(seq 20); do
		alive=""
		for p in $kids; do
			[ -r "/proc/$p/stat" ] && [ "$(sed 's/.*) //' "/proc/$p/stat" | cut -d' ' -f1)" != Z ] &&
				alive="$alive $p"
		done
		[ -z "$alive" ] && return 0
		sleep 0.1
	done
	# shellcheck disable=SC2086 # a list of pids
	kill -9 $alive 2>/dev/null
	return 0
}
# no_output FILE: FILE is empty; else show it (the check fails)
no_output() { [ ! -s "$1" ] || { sed 's/^/  | /' "$1" | head -20; false; }; }
# no_own_output FILE WORK: as no_output, but a notice about a QMP socket or
# an Engine API outside WORK is passed by: make -j2 check runs the tests
# side by side, and a host-wide vtax sees the fake peers and daemons of
# the others
no_own_output() {
	# libvirt's socket is the host's: a notice about it is about a daemon
	# (another test's, or one gone) this test did not start
	awk -v w="$2" '!((/QMP socket \// || / API at \// || /^vtax: libvirt: /) && index($0, w) == 0)' "$1" >"$1.own"
	no_output "$1.own"
}
# A vtax run with --enable-balloon-stats sets the balloon polling interval
# of every VM it sees, the VMs of tests running beside it too; live-qmp.sh
# checks that a vtax without the option leaves its VM alone. So tests that
# pass the option hold this lock shared while they run, and live-qmp.sh
# holds it exclusive from its VM's start to that check.
balloon_lock() {  # balloon_lock -s|-x
	exec 8>>/tmp/vtax-tests-balloon.lock
	flock "$1" 8
}
balloon_unlock() { flock -u 8 2>/dev/null; exec 8>&-; }
