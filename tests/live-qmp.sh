#!/bin/bash
# The guest's own memory view over QMP: a real TCG guest with a virtio
# balloon fills known page cache and anonymous memory; vtax's guest_total,
# guest_used and guest_cache must match what the guest prints on its
# serial console. Then a QMP socket held by another client.
. "$(dirname "$0")/lib/common.sh"
need_live
need_root "runs QEMU"
need_cmd python3 python3
need_cmd qemu-system-x86_64 qemu-system-x86
lib="$SRCDIR/tests/lib"
work=$(mktemp -d /tmp/vtax-qmp.XXXXXX)
export VTAX_GUEST_RUNDIR="$work"
cleanup() {
	[ -n "${holder:-}" ] && kill "$holder" 2>/dev/null
	bash "$lib/qemu-guest.sh" stop "$work/g.pid" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
bash "$lib/guest-image.sh" >/dev/null 2>"$work/img.err" || {
	rc=$?; cat "$work/img.err"; [ $rc -eq 77 ] && skip "no guest image"; fail "guest image"; finish; }
balloon_lock -x
# the balloon has no id: vtax must find it through qom-list
bash "$lib/qemu-guest.sh" start qmpvm --mem 256 --balloon-noid --qmp "$work/g.qmp" --pidfile "$work/g.pid" \
	--log "$work/g.log" --append "vtax.cache_mb=64 vtax.anon_mb=32" >/dev/null || { fail "QEMU started"; finish; }
bash "$lib/qemu-guest.sh" wait-ready "$work/g.log" 120 >/dev/null 2>&1 || { fail "guest booted"; finish; }
pid=$(cat "$work/g.pid")

"$VTAX" --json -n 3 -d 1 >"$work/off.jsonl" 2>"$work/err"
check "statistics off: no guest view, and the note says how to get it" pyjson "$work/off.jsonl" \
	"guest(id='$pid')['mem']['guest_total'] is None and 'enable-balloon-stats' in guest(id='$pid')['note'] and guest(id='$pid')['mem']['tax_lower_bound'] is True"
check "statistics off: vtax did not change the VM" sh -c "python3 - '$work/g.qmp' <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile('rw')
f.readline(); f.write(json.dumps({'execute': 'qmp_capabilities'}) + '\n'); f.flush(); f.readline()
f.write(json.dumps({'execute': 'qom-list', 'arguments': {'path': '/machine/peripheral-anon'}}) + '\n'); f.flush()
dev = [d['name'] for d in json.loads(f.readline())['return'] if 'virtio-balloon' in d['type']][0]
f.write(json.dumps({'execute': 'qom-get', 'arguments': {'path': '/machine/peripheral-anon/' + dev, 'property': 'guest-stats-polling-interval'}}) + '\n'); f.flush()
sys.exit(0 if json.loads(f.readline())['return'] == 0 else 1)
PY"
balloon_unlock

"$VTAX" --json -n 6 -d 1 --enable-balloon-stats >"$work/on.jsonl" 2>"$work/err"
read -r total avail cached < <(bash "$lib/qemu-guest.sh" meminfo "$work/g.log" |
	python3 -c "import sys; kv=dict(x.split('=') for x in sys.stdin.read().split()[1:]); print(int(kv['total_kb'])*1024, int(kv['avail_kb'])*1024, int(kv['cached_kb'])*1024)")
echo "guest console: total $total available $avail cached $cached"
check "guest_total within 10% of the guest's MemTotal" pyjson "$work/on.jsonl" "abs(guest(id='$pid')['mem']['guest_total'] - $total) <= 0.1 * $total"
check "guest_used within 10% of the guest's MemTotal - MemAvailable" pyjson "$work/on.jsonl" "abs(guest(id='$pid')['mem']['guest_used'] - ($total - $avail)) <= 0.1 * ($total - $avail)"
check "guest_cache within 10% of the guest's Cached (64 MB tmpfs inside)" pyjson "$work/on.jsonl" "abs(guest(id='$pid')['mem']['guest_cache'] - $cached) <= 0.1 * $cached"
check "working set is the guest's used memory; tax = host - working set, exact" pyjson "$work/on.jsonl" \
	"guest(id='$pid')['mem']['working_set'] == guest(id='$pid')['mem']['guest_used'] and guest(id='$pid')['mem']['tax'] == guest(id='$pid')['mem']['host'] - guest(id='$pid')['mem']['working_set'] and guest(id='$pid')['mem']['tax_lower_bound'] is False"
check "no notice about this VM when QMP answers" sh -c "! grep -q '$work/g.qmp' '$work/err'"
check "refresh on time while QMP is asked" intervals_ok 1 "$work/on.jsonl"

# the balloon's target: the test inflates the balloon to leave the guest
# 200 MB; vtax's balloon_target must be query-balloon's "actual"
qmp_balloon() {  # qmp_balloon [BYTES]: set the target, wait for it; print actual
	python3 - "$work/g.qmp" "${1:-}" <<'PY'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1]); f = s.makefile('rw')
def ask(cmd, **args):
    f.write(json.dumps({'execute': cmd, 'arguments': args} if args else {'execute': cmd}) + '\n'); f.flush()
    while True:
        r = json.loads(f.readline())
        if 'return' in r or 'error' in r:
            return r.get('return')
f.readline(); ask('qmp_capabilities')
if sys.argv[2]:
    ask('balloon', value=int(sys.argv[2]))
    for _ in range(100):
        if abs(ask('query-balloon')['actual'] - int(sys.argv[2])) < 4 << 20:
            break
        time.sleep(0.2)
print(ask('query-balloon')['actual'])
PY
}
actual=$(qmp_balloon $((200 << 20)))
"$VTAX" --json -n 3 -d 1 --enable-balloon-stats >"$work/bal.jsonl" 2>/dev/null
after=$(qmp_balloon)
echo "query-balloon actual: $actual, after vtax: $after"
check "balloon target: vtax's mem.balloon_target is query-balloon's actual ($actual), about 200 MB" pyjson "$work/bal.jsonl" \
	"guest(id='$pid')['mem']['balloon_target'] in ($actual, $after) and abs($actual - (200 << 20)) < 4 << 20"
"$VTAX" -b -n 2 -d 0.5 -o id,balloon >"$work/bal.txt" 2>/dev/null
check "BALLOON column shows it" grep -Eq "^$pid +(19[0-9]|20[0-9])M\$" "$work/bal.txt"
qmp_balloon $((256 << 20)) >/dev/null

# another client holds the QMP socket (QEMU serves one at a time)
python3 -c "
import socket, time
s = socket.socket(socket.AF_UNIX); s.connect('$work/g.qmp'); s.recv(4096)
open('$work/held', 'w').close(); time.sleep(60)" &
holder=$!
for _ in $(seq 100); do [ -e "$work/held" ] && break; sleep 0.1; done
"$VTAX" --json -n 6 -d 0.5 --enable-balloon-stats >"$work/busy.jsonl" 2>"$work/err"
check "QMP held by another client: refresh stays on time" intervals_ok 0.5 "$work/busy.jsonl"
check "QMP held: one notice saying it is busy" sh -c "[ \$(grep -c 'is busy (another client holds it)' '$work/err') -eq 1 ]"
check "QMP held: the VM is still measured, its note says why the guest view is missing" pyjson "$work/busy.jsonl" \
	"guest(id='$pid')['mem']['host'] is not None and 'busy' in guest(id='$pid')['note']"
kill "$holder"; holder=""

# QEMU as Proxmox starts it: no debug-threads, so every thread is named
# after the binary; vCPUs are found through query-cpus-fast
cache=${VTAX_GUEST_CACHE:-${VTAX_TEST_CACHE:-/var/cache/vtax-test}/guest}
qemu-system-x86_64 -accel tcg -display none -nodefaults -no-reboot -kernel "$cache/vmlinux" \
	-initrd "$cache/initramfs.cpio.gz" -append "console=ttyS0 quiet panic=-1 vtax.burn=1" \
	-serial "file:$work/nd.log" -m 128 -name nodebug -qmp "unix:$work/nd.qmp,server=on,wait=off" \
	-daemonize -pidfile "$work/nd.pid"
sleep 4
"$VTAX" --json -n 4 -d 1 >"$work/nd.jsonl" 2>/dev/null
nd=$(cat "$work/nd.pid")
check "unnamed QEMU threads: the burning vCPU found by its thread id" pyjson "$work/nd.jsonl" \
	"guest(id='$nd')['cpu']['threads']['vcpu'] > 0.5 * guest(id='$nd')['cpu']['total']"
check "thread groups add up to the VM's CPU" pyjson "$work/nd.jsonl" \
	"abs(sum(guest(id='$nd')['cpu']['threads'].values()) - guest(id='$nd')['cpu']['total']) < 5"
kill "$nd"
finish
