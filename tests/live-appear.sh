#!/bin/bash
# A QEMU started while vtax runs, the way launchers start it (a shell that
# then execs QEMU), must show up within one /proc scan (5 s), found through
# the new process ids rather than a full listing of /proc.
. "$(dirname "$0")/lib/common.sh"
need_live
need_cmd qemu-system-x86_64 qemu-system-x86
need_cmd python3 python3
work=$(mktemp -d)
cleanup() { [ -f "$work/q.pid" ] && kill "$(cat "$work/q.pid")" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
{ printf '\xfa\xf4\xeb\xfd'; head -c 506 /dev/zero; printf '\x55\xaa'; } >"$work/halt.img"
"$VTAX" --json -n 20 -d 0.5 >"$work/out.jsonl" 2>"$work/err" &
vp=$!
sleep 2
sh -c "sleep 0.2; exec qemu-system-x86_64 -accel tcg -display none -nodefaults \
	-drive format=raw,file=$work/halt.img -m 32 -name late-vm -pidfile $work/q.pid" &
wait $vp
check "the QEMU started mid-run is found, by name" pyjson "$work/out.jsonl" \
	"any(g['name'] == 'late-vm' and g['runtime'] == 'qemu' for g in d['guests'])"
check "within 6 s of its start" python3 -c "
import json, sys
fr = [json.loads(l) for l in open('$work/out.jsonl')]
first = [i for i, f in enumerate(fr) if any(g['name'] == 'late-vm' for g in f['guests'])]
print('  first seen in frame', first[0] if first else None, 'of', len(fr))
sys.exit(0 if first and first[0] <= 4 + 12 else 1)"
check "shown once, not once per thread" pyjson "$work/out.jsonl" \
	"sum(1 for g in d['guests'] if g['name'] == 'late-vm') == 1"
finish
