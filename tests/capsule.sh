#!/bin/bash
# The capsule outside the screen: SIGUSR1 in batch and headless modes
# writes one into --snapshot-dir and the output goes on; it replays and
# reports; a torn capsule replays up to the damage and says so; the
# capsule off, a bad --capsule-minutes and an unusable directory each
# get a clear message. Reads this host (no guests needed), 0.1 s apart.
. "$(dirname "$0")/lib/common.sh"
tmp=$(mktemp -d)
cleanup() {
	[ -n "${vp:-}" ] && kill "$vp" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
export VTAX_HIST_CHUNK_MS=500   # chunks of half a second: a torn file keeps some
export VTAX_CAPSULE_STEP_MS=0   # every sample of a 0.1 s refresh (by default about one a second)
wait_line() {  # wait_line FILE PATTERN
	local i
	for i in $(seq 100); do grep -Eq "$2" "$1" && return 0; sleep 0.1; done
	echo "  $1 did not say /$2/:"; sed 's/^/  | /' "$1" | head -5
	return 1
}

# batch: 60 frames at 0.1 s, SIGUSR1 after about 3 s
mkdir "$tmp/snap"
"$VTAX" -b -d 0.1 -n 60 -o id --snapshot-dir "$tmp/snap" >"$tmp/out" 2>"$tmp/err" &
vp=$!
sleep 3
kill -USR1 "$vp"
check "SIGUSR1 in batch mode: stderr names the capsule" \
	wait_line "$tmp/err" "capsule saved: $tmp/snap/vtax-.*\.zst \([0-9]+ samples"
wait "$vp"; rc=$?; vp=
check "batch mode goes on to its 60 frames and exits 0 (rc $rc)" \
	sh -c "[ $rc -eq 0 ] && [ \$(grep -c '^vtax ' '$tmp/out') -eq 60 ]"
cap=$(ls "$tmp"/snap/vtax-*.zst | head -1)
said=$(sed -n 's/.*capsule saved: .* (\([0-9]*\) samples.*/\1/p' "$tmp/err")
"$VTAX" --replay "$cap" -j >"$tmp/full.jsonl" 2>"$tmp/full.err"
n=$(wc -l <"$tmp/full.jsonl")
check "the capsule replays the samples it said it held ($n of $said, 20 or more)" \
	sh -c "[ '$n' -eq '$said' ] && [ '$n' -ge 20 ]"
check "... with nothing on stderr" no_output "$tmp/full.err"
check "vtax report summarises it" sh -c "'$VTAX' report '$cap' | grep -q '$n frames\|$((n - 1)) frames'"

# torn: cut the file at 60%; the frames before the cut replay, the reader says so
size=$(stat -c %s "$cap")
cp "$cap" "$tmp/torn.zst"
truncate -s $((size * 6 / 10)) "$tmp/torn.zst"
"$VTAX" --replay "$tmp/torn.zst" -j >"$tmp/torn.jsonl" 2>"$tmp/torn.err"; rc=$?
k=$(wc -l <"$tmp/torn.jsonl")
check "a torn capsule replays (exit $rc) part of its frames ($k of $n)" \
	sh -c "[ $rc -eq 0 ] && [ '$k' -gt 0 ] && [ '$k' -lt '$n' ]"
same() {
	python3 - "$tmp/full.jsonl" "$tmp/torn.jsonl" <<'PY'
import json, sys
full = [json.loads(l)["time"] for l in open(sys.argv[1])]
torn = [json.loads(l)["time"] for l in open(sys.argv[2])]
sys.exit(0 if torn == full[:len(torn)] else 1)
PY
}
check "... the frames up to the cut, the same as the whole capsule's" same
check "... and says what it skipped" grep -q "torn.zst: " "$tmp/torn.err"
sed 's/^/  | /' "$tmp/torn.err"

# headless (--record DIR alone): SIGUSR1 too
"$VTAX" --record "$tmp/hist/" -d 0.1 --snapshot-dir "$tmp/snap2" 2>"$tmp/herr" &
vp=$!
mkdir "$tmp/snap2"
sleep 2
kill -USR1 "$vp"
check "SIGUSR1 in headless mode writes a capsule" wait_line "$tmp/herr" "capsule saved: $tmp/snap2/"
kill "$vp"; wait "$vp"; vp=
hc=$(ls "$tmp"/snap2/vtax-*.zst | head -1)
check "... that replays" sh -c "[ \$('$VTAX' --replay '$hc' -j | wc -l) -ge 10 ]"

# by default a refresh faster than a second keeps about one sample a
# second: 3 s at 0.1 s are 2 to 5 samples, not 30
mkdir "$tmp/snap3"
env -u VTAX_CAPSULE_STEP_MS "$VTAX" -b -d 0.1 -n 40 -o id --snapshot-dir "$tmp/snap3" >/dev/null 2>"$tmp/err3" &
vp=$!
sleep 3
kill -USR1 "$vp"
wait_line "$tmp/err3" "capsule saved: " >/dev/null
wait "$vp"; vp=
thin=$(sed -n 's/.*capsule saved: .* (\([0-9]*\) samples.*/\1/p' "$tmp/err3")
check "a 0.1 s refresh keeps about one sample a second ($thin in 3 s)" sh -c "[ '${thin:-0}' -ge 2 ] && [ '${thin:-0}' -le 5 ]"

# the capsule off; a directory that is not one; a bad number
usr1_run() {  # usr1_run OUT ERR ARGS...: 30 frames, SIGUSR1 after 1.5 s; sets rc
	local out=$1 err=$2
	shift 2
	"$VTAX" -b -d 0.1 -n 30 -o id "$@" >"$out" 2>"$err" &
	vp=$!
	sleep 1.5
	kill -USR1 "$vp"
	wait "$vp"; rc=$?; vp=
}
usr1_run /dev/null "$tmp/oerr" --capsule-minutes 0 --snapshot-dir "$tmp/snap3"
check "--capsule-minutes 0: SIGUSR1 says the capsule is off, the run goes on (rc $rc)" \
	sh -c "[ $rc -eq 0 ] && grep -q 'the capsule is off (--capsule-minutes 0)' '$tmp/oerr'"
touch "$tmp/afile"
usr1_run "$tmp/fout" "$tmp/ferr" --snapshot-dir "$tmp/afile"
check "a snapshot directory that is a file: one clear line, the output goes on (rc $rc)" \
	sh -c "[ $rc -eq 0 ] && grep -q 'cannot save the capsule in $tmp/afile: Not a directory' '$tmp/ferr' && [ \$(grep -c '^vtax ' '$tmp/fout') -eq 30 ]"
"$VTAX" --capsule-minutes ten -n 1 >/dev/null 2>"$tmp/berr"; rc=$?
check "a bad --capsule-minutes: exit 2 and why (rc $rc)" \
	sh -c "[ $rc -eq 2 ] && grep -q 'invalid number of minutes (0 to 1440, fractions allowed):' '$tmp/berr'"
finish
