#!/bin/sh
# A Proxmox-like cgroup v2 node replayed: KVM guest time, balloon
# statistics, ZFS ARC, an LXC container with its monitor. The figures are
# those measured on a real 4-core node (see fixtures/make-proxmox.py).
. "$(dirname "$0")/lib/common.sh"
need_cmd python3 python3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fx="$SRCDIR/tests/fixtures/proxmox-node.jsonl"
"$VTAX" --json --replay "$fx" >"$tmp/out.jsonl" || fail "replay ran"
MiB=1048576
check "three frames" [ "$(wc -l <"$tmp/out.jsonl")" -eq 3 ]
check "first frame: no rates (null), memory known" pyjson "$tmp/out.jsonl" \
	'frames[0]["guests"][0]["cpu"]["total"] is None and frames[0]["host"]["cpu"] is None and frames[0]["guests"][0]["mem"]["host"] is not None'
check "VM found by vmid with its config name" pyjson "$tmp/out.jsonl" \
	'guest(id="100")["name"] == "debian-vm" and guest(id="100")["kind"] == "vm" and guest(id="100")["runtime"] == "proxmox-vm"'
check "VM memory tax near 1.5 GB (host 2031 MB - guest used 510 MB)" pyjson "$tmp/out.jsonl" \
	"abs(guest(id='100')['mem']['tax'] - 1521*$MiB) < 10*$MiB and guest(id='100')['mem']['tax_lower_bound'] is False"
check "VM working set is the guest's used memory" pyjson "$tmp/out.jsonl" \
	"guest(id='100')['mem']['working_set'] == 510*$MiB and guest(id='100')['mem']['guest_cache'] == 1524*$MiB and guest(id='100')['mem']['guest_total'] == 1974*$MiB"
check "VM CPU: usr 3, sys 3, guest 1 (KVM guest time), tax 6" pyjson "$tmp/out.jsonl" \
	"[guest(id='100')['cpu'][k] for k in ('usr','sys','guest','total','tax')] == [3.0, 3.0, 1.0, 7.0, 6.0]"
check "VM iowait from PSI" pyjson "$tmp/out.jsonl" "guest(id='100')['cpu']['iowait_source'] == 'psi'"
check "VM thread groups (a record from before the thread pool was counted apart: pool unknown)" pyjson "$tmp/out.jsonl" \
	"guest(id='100')['cpu']['threads'] == {'vcpu': 2.5, 'emulator': 3.5, 'iothread': 0.75, 'pool': None, 'vhost': 0.25}"
check "container memory tax near zero (monitor only)" pyjson "$tmp/out.jsonl" \
	"guest(id='101')['mem']['tax'] < 4*$MiB and guest(id='101')['name'] == 'debian-ct'"
check "container working set = usage - inactive file" pyjson "$tmp/out.jsonl" \
	"guest(id='101')['mem']['working_set'] == (1961-1750)*$MiB and guest(id='101')['mem']['page_cache'] == 1851*$MiB"
check "container CPU tax ~0.3% (lxc monitor)" pyjson "$tmp/out.jsonl" \
	"guest(id='101')['cpu']['tax'] == 0.3 and guest(id='101')['cpu']['guest'] is None"
check "host CPU split sums to 100 with guest time apart" pyjson "$tmp/out.jsonl" \
	"abs(sum(d['host']['cpu'].values()) - 100) < 0.05 and d['host']['cpu']['guest'] == 0.5"
check "host ZFS ARC and KSM" pyjson "$tmp/out.jsonl" \
	"d['host']['mem']['zfs_arc'] == 1536*$MiB and d['host']['mem']['ksm_shared'] == 180*$MiB"
check "host tax sums guests" pyjson "$tmp/out.jsonl" \
	"d['host']['tax']['mem'] == guest(id='100')['mem']['tax'] + guest(id='101')['mem']['tax'] and abs(d['host']['tax']['cpu'] - 6.3) < 0.01"
"$VTAX" -b --replay "$fx" >"$tmp/out.txt"
check "text: VM row shows MTAX 1.5G and sorts first by tax" sh -c \
	"grep -A1 '^ID ' '$tmp/out.txt' | tail -1 | grep -Eq '^100 +debian-vm +pve-vm +7\.0 +3\.0 +3\.0 +1\.0 +0\.0 +- +6\.0 +2\.0G +510M +12M +1\.5G\$'"
check "text: container row MTAX 1.5M" sh -c "grep -Eq '^101 +debian-ct +pve-ct .* 1\.5M\$' '$tmp/out.txt'"
check "KVM exits: 850/s for the VM, none for the container" pyjson "$tmp/out.jsonl" \
	"guest(id='100')['kvm_exits'] == 850.0 and guest(id='101')['kvm_exits'] is None"
"$VTAX" -b --replay "$fx" -o +exits,pids >"$tmp/cols.txt"
check "-o +exits,pids: the defaults plus EXITS/s and PIDS" sh -c \
	"grep -Eq '^ID +NAME +RUNTIME +PIDS +CPU%.* MTAX +EXITS/s\$' '$tmp/cols.txt' && grep -Eq '^100 .* 1\.5G +850\$' '$tmp/cols.txt'"
"$VTAX" -b --replay "$fx" -o id,exits >"$tmp/cols.txt"
check "-o id,exits: only those" sh -c "grep -Eq '^ID +EXITS/s\$' '$tmp/cols.txt'"
"$VTAX" -b --replay "$fx" -o id,nosuch >/dev/null 2>"$tmp/err"; rc=$?
check "-o with an unknown column: exit 2 and its name" sh -c "[ $rc -eq 2 ] && grep -q nosuch '$tmp/err'"
"$VTAX" -b --replay "$fx" -s mem -r >"$tmp/asc.txt"
check "--sort mem --reverse puts the container first" sh -c \
	"grep -A1 '^ID ' '$tmp/asc.txt' | tail -1 | grep -q '^101 '"

# a VM on a ZFS zvol: io.stat counts nothing, QMP counts its writes
zfx="$SRCDIR/tests/fixtures/proxmox-zfs.jsonl"
"$VTAX" --json --replay "$zfx" >"$tmp/zfs.jsonl"
check "ZFS zvol VM: disk from QMP, 12 MiB/s written, 96 writes/s" pyjson "$tmp/zfs.jsonl" \
	"guest(id='102')['io']['source'] == 'qmp' and guest(id='102')['io']['write'] == 12582912 and guest(id='102')['io']['write_ops'] == 96.0"
check "ZFS zvol VM: per drive, latency 2.385 ms, an idle drive without latency" pyjson "$tmp/zfs.jsonl" \
	"[d['name'] for d in guest(id='102')['io']['drives']] == ['drive-scsi0', 'drive-ide2'] and guest(id='102')['io']['drives'][0]['latency_ms'] == 2.385 and guest(id='102')['io']['drives'][1]['latency_ms'] is None"
check "ZFS zvol VM: no iothread, so the emulator threads are its I/O tax (12%); balloon 1.5G" pyjson "$tmp/zfs.jsonl" \
	"guest(id='102')['cpu']['io_tax'] == 12.0 and guest(id='102')['mem']['balloon_target'] == 1610612736"
check "without QMP drives or a cgroup count, io is null, never 0" pyjson "$tmp/zfs.jsonl" \
	"guest(id='100')['io']['read'] is None and guest(id='100')['io']['source'] is None"
"$VTAX" -b --replay "$zfx" -o id,read,write,io_tax,balloon >"$tmp/zcols.txt"
check "DISK R/s, DISK W/s, IOTAX%, BALLOON columns" sh -c \
	"grep -Eq '^ID +IOTAX% +BALLOON +DISK R/s +DISK W/s\$' '$tmp/zcols.txt' && grep -Eq '^102 +12\.0 +1\.5G +512K +12M\$' '$tmp/zcols.txt'"
finish
