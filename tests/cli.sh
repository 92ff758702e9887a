#!/bin/sh
# The command line as a user meets it: help, version, bad input, pipes.
. "$(dirname "$0")/lib/common.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

check "--help exits 0 and shows usage" sh -c '"$VTAX" --help | grep -q "^Usage: vtax"'
check "--version names the version" sh -c '"$VTAX" --version | grep -Eq "^vtax [0-9]+\.[0-9]+"'
"$VTAX" --bogus >"$tmp/out" 2>"$tmp/err"; rc=$?
check "unknown option exits 2" [ "$rc" -eq 2 ]
check "unknown option: one clear line plus the hint" sh -c "grep -q \"unknown option '--bogus'\" '$tmp/err' && [ \$(wc -l <'$tmp/err') -eq 2 ]"
"$VTAX" -d abc >/dev/null 2>"$tmp/err"; rc=$?
check "bad delay exits 2" [ "$rc" -eq 2 ]
"$VTAX" -n 0 >/dev/null 2>"$tmp/err"; rc=$?
check "-n 0 is refused" [ "$rc" -eq 2 ]
"$VTAX" --sort nosuch >/dev/null 2>"$tmp/err"; rc=$?
check "unknown sort column exits 2" [ "$rc" -eq 2 ]
"$VTAX" --replay /nonexistent/file.jsonl >/dev/null 2>"$tmp/err"; rc=$?
check "unreadable replay file exits 2" [ "$rc" -eq 2 ]
check "unreadable replay file: message names it" grep -q "/nonexistent/file.jsonl" "$tmp/err"
echo "not json" >"$tmp/bad.jsonl"
"$VTAX" --replay "$tmp/bad.jsonl" >/dev/null 2>"$tmp/err"; rc=$?
check "malformed replay file exits 2 with line number" sh -c "[ $rc -eq 2 ] && grep -q 'bad.jsonl:1:' '$tmp/err'"
: >"$tmp/empty.jsonl"
"$VTAX" -b --replay "$tmp/empty.jsonl" >/dev/null 2>"$tmp/err"; rc=$?
check "empty replay file exits 2 with one line" sh -c "[ $rc -eq 2 ] && grep -q 'no samples' '$tmp/err' && [ \$(wc -l <'$tmp/err') -eq 1 ]"
"$VTAX" -b --replay "$tmp" >/dev/null 2>"$tmp/err"; rc=$?
check "a directory without history exits 2" sh -c "[ $rc -eq 2 ] && grep -q 'no history files' '$tmp/err'"
cp "$SRCDIR/tests/fixtures/proxmox-node.jsonl" "$tmp/same.jsonl"
timeout 10 "$VTAX" --json --replay "$tmp/same.jsonl" --record "$tmp/same.jsonl" >/dev/null 2>"$tmp/err"; rc=$?
check "--record onto the --replay file is refused (exit 2), the file untouched" sh -c "[ $rc -eq 2 ] && cmp -s '$SRCDIR/tests/fixtures/proxmox-node.jsonl' '$tmp/same.jsonl'"
"$VTAX" --cgroup-root /nonexistent -b -n 1 >/dev/null 2>"$tmp/err"; rc=$?
check "missing cgroup root: exit 1 and a message" sh -c "[ $rc -eq 1 ] && grep -q '/nonexistent' '$tmp/err'"
check "--list-columns lists cpu_tax" sh -c '"$VTAX" --list-columns | grep -q "^cpu_tax"'

# batch is the default when stdout is not a terminal
"$VTAX" -n 1 >"$tmp/out" 2>&1
check "batch by default into a pipe" grep -q "^CPU " "$tmp/out"
# | head -1 exits quietly with 0
out=$(sh -c '"$VTAX" -d 0.1 | head -1; echo "rc=$?"' 2>&1)
check "vtax | head -1 exits quietly" sh -c "echo \"\$1\" | grep -q '^vtax ' && echo \"\$1\" | grep -q 'rc=0' && ! echo \"\$1\" | grep -qi 'error\|broken'" _ "$out"
"$VTAX" -b -n 2 -d 0.2 >"$tmp/out"; rc=$?
check "-n 2 prints two frames and exits 0" sh -c "[ $rc -eq 0 ] && [ \$(grep -c '^CPU ' '$tmp/out') -eq 2 ]"
check "first frame shows no rates, second does" sh -c "grep -q 'first sample, no rates yet' '$tmp/out' && grep -q 'interval 0.2s' '$tmp/out'"

# record then replay gives the same numbers as live
"$VTAX" --json -n 3 -d 0.2 --record "$tmp/rec.jsonl" >"$tmp/live.jsonl"
"$VTAX" --json --replay "$tmp/rec.jsonl" >"$tmp/replay.jsonl"
check "record has 3 samples" [ "$(wc -l <"$tmp/rec.jsonl")" -eq 3 ]
check "replay reproduces live output exactly" cmp -s "$tmp/live.jsonl" "$tmp/replay.jsonl"
head -c 300 "$tmp/rec.jsonl" >"$tmp/cut.jsonl"
cat "$tmp/rec.jsonl" "$tmp/cut.jsonl" >"$tmp/trunc.jsonl"
"$VTAX" --json --replay "$tmp/trunc.jsonl" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "truncated record: every whole sample replayed" [ "$(wc -l <"$tmp/out")" -eq 3 ]
check "truncated record: says it ended early, exit 0" sh -c "[ $rc -eq 0 ] && grep -q 'ends early' '$tmp/err'"
sed -E 's/"vtax_record":[0-9]+/"vtax_record":7/' "$tmp/rec.jsonl" >"$tmp/v7.jsonl"
"$VTAX" --json --replay "$tmp/v7.jsonl" >/dev/null 2>"$tmp/err"; rc=$?
check "unknown record version: one clear error, exit 2" sh -c "[ $rc -eq 2 ] && grep -q 'version 7 is not supported' '$tmp/err'"
# the README's sample frame is what the fixture really gives
awk '/^    vtax [0-9.]* - pve1 /{n=12} n-- > 0' "$SRCDIR/README" | sed 's/^    //' >"$tmp/readme.txt"
"$VTAX" -b --replay "$SRCDIR/tests/fixtures/proxmox-node.jsonl" | tail -12 >"$tmp/frame.txt"
check "README sample frame matches the replayed fixture" cmp "$tmp/readme.txt" "$tmp/frame.txt"

# the history: a headless recorder prints nothing, replay and report read it
"$VTAX" --record "$tmp/hist/" -d 0.1 -n 3 >"$tmp/out" 2>/dev/null
check "a headless recorder prints nothing on stdout" [ ! -s "$tmp/out" ]
check "its history replays into 3 frames" sh -c "[ \$('$VTAX' --replay '$tmp/hist' -j | wc -l) -eq 3 ]"
check "report reads it" sh -c "'$VTAX' report '$tmp/hist' | grep -q '^vtax report: '"
fx="$SRCDIR/tests/fixtures/proxmox-node.jsonl"
"$VTAX" --replay "$fx" --record "$tmp/conv/" -b >/dev/null
"$VTAX" --replay "$tmp/conv" -j >"$tmp/a.json"; "$VTAX" --replay "$fx" -j >"$tmp/b.json"
check "a JSON Lines record converted to a history replays the same" cmp -s "$tmp/a.json" "$tmp/b.json"
"$VTAX" --replay "$tmp/hist" --record "$tmp/hist/" -b >/dev/null 2>&1; rc=$?
check "--record into the replayed history is refused (exit 2)" [ $rc -eq 2 ]
"$VTAX" report >/dev/null 2>&1; rc=$?
check "report without a path exits 2" [ $rc -eq 2 ]
"$VTAX" report --since yesterday "$tmp/hist" >/dev/null 2>&1; rc=$?
check "report with a bad time exits 2" [ $rc -eq 2 ]
"$VTAX" -b --since -1h >/dev/null 2>&1; rc=$?
check "--since without --replay exits 2" [ $rc -eq 2 ]
"$VTAX" --replay "$fx" --until @0 -b >"$tmp/until0" 2>&1; rc=$?
check "a period before the recording is exit 2 and says what it covers" \
	sh -c "[ $rc -eq 2 ] && grep -q 'no sample from its start to 1970-01-01 .* the recording covers' '$tmp/until0'"
# an empty period: batch, JSON, the screen's start and vtax report give the
# same answer (exit 2) and name the span the recording covers
fx=$SRCDIR/tests/fixtures/proxmox-node.jsonl
for mode in "-b" "--json" "report"; do
	if [ "$mode" = report ]; then
		"$VTAX" report --since -1h "$fx" >"$tmp/empty.out" 2>"$tmp/empty.err"; rc=$?
	else
		"$VTAX" $mode --replay "$fx" --since -1h >"$tmp/empty.out" 2>"$tmp/empty.err"; rc=$?
	fi
	check "empty period, $mode: exit 2, nothing on stdout, the span the recording covers" \
		sh -c "[ $rc -eq 2 ] && [ ! -s '$tmp/empty.out' ] && grep -q 'no sample from .* the recording covers 2026-11-18 .* to 2026-11-18 ' '$tmp/empty.err'"
done
# vtax report as a user reads it: IDs, cut names marked, a lower bound
# kept, the ledger's parts, and a chart it names, labelled and whole
lab=$SRCDIR/tests/fixtures/lab-host.jsonl
"$VTAX" report --plot "$tmp/r.svg" "$lab" >"$tmp/r.txt" 2>"$tmp/r.err"
check "report: the ID column, a cut id marked ~" sh -c "grep -q '^ID  *NAME' '$tmp/r.txt' && grep -q '^9970 ' '$tmp/r.txt' && grep -Eq '^[0-9a-f]{11}~ +lab-docker' '$tmp/r.txt'"
# the text table's columns are rfigs[] entries with a .text place: each
# place once, none lost (a gap would end the table there)
check "report: every text column, under its group" sh -c "grep -q '^ID  *NAME  *RUNTIME  *MEAN  *P95  *MAX  *CPU-h  *MEAN  *P95  *MAX  *GiB-h\$' '$tmp/r.txt' && grep -q '^  *---- CPU tax, % of one CPU  ----- memory tax, bytes -----\$' '$tmp/r.txt'"
check "report: a lower bound keeps its > (the libvirt VM without balloon statistics)" grep -Eq '^71 +lab-lv .* >65\.5M +>65\.5M +>65\.5M' "$tmp/r.txt"
check "report: the ledger's parts under a guest" grep -q 'CPU tax: vcpu .*; memory tax: host_cache' "$tmp/r.txt"
check "report: --plot says where it wrote" grep -q "chart written to $tmp/r.svg" "$tmp/r.err"
"$VTAX" report --csv "$lab" >"$tmp/r.csv"
check "report --csv: the lower-bound flag and a column per part" python3 -c "
import csv, sys
rows = {r['id']: r for r in csv.DictReader(open('$tmp/r.csv'))}
sys.exit(0 if rows['71']['mem_tax_lower_bound'] == 'true' and rows['9970']['mem_tax_lower_bound'] == 'false' and float(rows['9970']['cpu_tax_vcpu_mean_pct']) > 0 else 1)"
"$VTAX" report --plot "$tmp/big.svg" "$SRCDIR/tests/fixtures/big-host.jsonl" >"$tmp/big.txt" 2>/dev/null
check "report: a long name is cut with ~ in text, whole in the chart's legend" sh -c "grep -q 'monitoring-promethe~' '$tmp/big.txt' && grep -q '>monitoring-prometheus-grafana-01 (pve-vm)<' '$tmp/big.svg'"
check "report: the chart labels both ends of its time axis" python3 -c "
import re, sys
t = open('$tmp/big.svg').read()
sys.exit(0 if len(re.findall(r'text-anchor=.(start|end).>[0-9:]+<', t)) == 4 else 1)"
finish
