#!/bin/bash
# KVM exits per second, read from debugfs kvm/PID-FD/exits. This machine
# has no usable KVM, so a real QEMU process gets a directory shaped like
# debugfs whose counter the test moves at a known rate: vtax must find the
# VM's entry by its pid and report that rate; where there is no entry the
# rate is unknown (null, "-"), never 0.
. "$(dirname "$0")/lib/common.sh"
need_live
need_cmd qemu-system-x86_64 qemu-system-x86
need_cmd python3 python3
work=$(mktemp -d /tmp/vtax-kvm.XXXXXX)
cleanup() {
	[ -n "${writer:-}" ] && kill "$writer" 2>/dev/null
	[ -f "$work/q.pid" ] && kill "$(cat "$work/q.pid")" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
{ printf '\xfa\xf4\xeb\xfd'; head -c 506 /dev/zero; printf '\x55\xaa'; } >"$work/halt.img"
qemu-system-x86_64 -accel tcg -display none -nodefaults -drive "format=raw,file=$work/halt.img" \
	-m 32 -name exits-vm -daemonize -pidfile "$work/q.pid" || { fail "QEMU started"; finish; }
qpid=$(cat "$work/q.pid")
kvm="$work/kvm"
# the VM's own entry, another VM's, and the global files debugfs has too
mkdir -p "$kvm/$qpid-11" "$kvm/999999-7"
echo 0 >"$kvm/$qpid-11/exits"
echo 123456 >"$kvm/999999-7/exits"
echo 777 >"$kvm/exits"
# the counter grows 20,000 a second of wall time, rewritten every 20 ms
python3 -c "
import os, time
t0 = time.monotonic()
while True:
    v = int((time.monotonic() - t0) * 20000)
    with open('$kvm/$qpid-11/exits.new', 'w') as f:
        f.write('%d\n' % v)
    os.rename('$kvm/$qpid-11/exits.new', '$kvm/$qpid-11/exits')
    time.sleep(0.02)
" &
writer=$!
for _ in $(seq 100); do [ "$(cat "$kvm/$qpid-11/exits")" -gt 0 ] 2>/dev/null && break; sleep 0.05; done
"$VTAX" --json -n 4 -d 0.5 --kvm-debugfs "$kvm" >"$work/out.jsonl" 2>"$work/err"
check "exits/s of the VM within 10% of the rate the test drives (20000/s)" pyjson "$work/out.jsonl" \
	"[g['kvm_exits'] for f in frames[1:] for g in f['guests'] if g['id'] == '$qpid'] if not all(abs(g['kvm_exits'] - 20000) <= 2000 for f in frames[1:] for g in f['guests'] if g['id'] == '$qpid') else True"
check "the first frame has no rate yet" pyjson "$work/out.jsonl" \
	"[g for g in frames[0]['guests'] if g['id'] == '$qpid'][0]['kvm_exits'] is None"
"$VTAX" -b -n 2 -d 0.5 -o id,name,exits --kvm-debugfs "$kvm" >"$work/out.txt"
check "text: the EXITS/s column shows about 20k" sh -c "grep -Eq '^$qpid +exits-vm +(19|20|21|22|18)(\.[0-9])?k\$' '$work/out.txt' || { cat '$work/out.txt'; false; }"
kill "$writer"; writer=""
rm -rf "$kvm/$qpid-11"
"$VTAX" --json -n 2 -d 0.5 --kvm-debugfs "$kvm" >"$work/gone.jsonl" 2>"$work/err"
check "the VM's entry gone: exits unknown, not 0" pyjson "$work/gone.jsonl" "guest(id='$qpid')['kvm_exits'] is None"
"$VTAX" --json -n 2 -d 0.5 --kvm-debugfs "$work/nonexistent" >"$work/none.jsonl" 2>"$work/err"
check "no debugfs at all: exits unknown" pyjson "$work/none.jsonl" "all(g['kvm_exits'] is None for g in d['guests'])"
check "no debugfs at all: nothing said about it" sh -c "! grep -qi 'kvm\|debugfs' '$work/err'"
finish
