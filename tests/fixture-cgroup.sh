#!/bin/sh
# Discovery and cgroup parsing on fixture trees: a pure cgroup v2 host
# and a v1/v2 hybrid like this machine, pointed at with --cgroup-root.
. "$(dirname "$0")/lib/common.sh"
need_cmd python3 python3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

v2="$tmp/v2"
mk() { mkdir -p "$(dirname "$1")"; printf '%b' "$2" >"$1"; }
mkdir -p "$v2"; : >"$v2/cgroup.controllers"
D=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
for g in "qemu.slice/100.scope" "lxc/101" "lxc/101/ns/init.scope" "lxc.monitor/101" \
	"system.slice/docker-$D.scope" "machine.slice/machine-qemu\\x2d3\\x2dwin11.scope" \
	"machine.slice/machine-qemu\\x2d3\\x2dwin11.scope/libvirt/vcpu0" \
	"machine.slice/machine-build.scope/payload" "machine.slice/machine-build.scope/supervisor" \
	"system.slice/ssh.service"; do
	mkdir -p "$v2/$g"
done
mk "$v2/lxc/101/cpu.stat" "usage_usec 3000000\nuser_usec 2000000\nsystem_usec 1000000\n"
mk "$v2/lxc/101/memory.current" "1048576000\n"
mk "$v2/lxc/101/memory.max" "max\n"
mk "$v2/lxc/101/memory.stat" "anon 104857600\nfile 900000000\nactive_file 100000000\ninactive_file 800000000\nshmem 0\n"
mk "$v2/lxc/101/io.pressure" "some avg10=0.00 avg60=0.00 avg300=0.00 total=1000\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=10\n"
mk "$v2/lxc/101/cgroup.procs" "10\n11\n"
mk "$v2/lxc/101/ns/init.scope/cgroup.procs" "12\n13\n14\n"
mk "$v2/lxc.monitor/101/cpu.stat" "usage_usec 500000\nuser_usec 300000\nsystem_usec 200000\n"
mk "$v2/lxc.monitor/101/memory.current" "3145728\n"
mk "$v2/system.slice/docker-$D.scope/memory.current" "truncated"
mk "$v2/system.slice/docker-$D.scope/memory.stat" "anon\nfile x\n"
mk "$v2/machine.slice/machine-build.scope/payload/memory.current" "52428800\n"
mk "$v2/machine.slice/machine-build.scope/supervisor/memory.current" "2097152\n"
mkdir -p "$tmp/pve/qemu-server" "$tmp/pve/lxc"
mk "$tmp/pve/lxc/101.conf" "arch: amd64\nhostname: ct-web\nmemory: 2048\n[snap]\nhostname: old\n"
mk "$tmp/pve/qemu-server/100.conf" "name: vm-db\n"

"$VTAX" --json -n 1 --cgroup-root "$v2" --pve-dir "$tmp/pve" >"$tmp/v2.json" 2>"$tmp/err" ||
	fail "vtax on the v2 fixture ran"
check "v2: Proxmox VM found (id, name from config)" pyjson "$tmp/v2.json" 'guest(id="100")["name"] == "vm-db" and guest(id="100")["runtime"] == "proxmox-vm"'
check "v2: Proxmox CT name from hostname:, not the snapshot" pyjson "$tmp/v2.json" 'guest(id="101")["name"] == "ct-web"'
check "v2: CT counters" pyjson "$tmp/v2.json" "guest(id='101')['mem']['host'] == 1048576000 + 3145728 and guest(id='101')['mem']['page_cache'] == 900000000 and guest(id='101')['mem']['working_set'] == 1048576000 - 800000000"
check "v2: CT helper cgroup charged as tax" pyjson "$tmp/v2.json" "guest(id='101')['mem']['tax'] == 3145728"
check "v2: nested cgroups roll up (5 processes)" pyjson "$tmp/v2.json" "guest(id='101')['pids'] == 5"
check "v2: memory.max 'max' is no limit" pyjson "$tmp/v2.json" "guest(id='101')['mem']['limit'] is None"
check "v2: docker scope with broken files: unknown, not 0" pyjson "$tmp/v2.json" "guest(runtime='docker')['mem']['host'] is None and guest(runtime='docker')['mem']['page_cache'] is None and guest(runtime='docker')['name'] == '$(echo $D | cut -c1-12)'"
check "v2: libvirt VM unescaped" pyjson "$tmp/v2.json" "guest(runtime='libvirt')['id'] == '3' and guest(runtime='libvirt')['name'] == 'win11'"
check "v2: nspawn payload measured, supervisor as tax" pyjson "$tmp/v2.json" "guest(runtime='nspawn')['name'] == 'build' and guest(runtime='nspawn')['mem']['host'] == 52428800 + 2097152 and guest(runtime='nspawn')['mem']['tax'] == 2097152"
check "v2: five guests, nothing else (live QEMU processes aside)" pyjson "$tmp/v2.json" "len([g for g in d['guests'] if g['runtime'] != 'qemu']) == 5"
# the fixture's Docker container may make vtax say, once, that no Docker
# API answers here (it depends on how soon the ask fails): that is all
grep -v '^vtax: docker API at .*: no such socket' "$tmp/err" >"$tmp/err2"
check "v2: no error output (but the Docker API notice)" no_output "$tmp/err2"

# hybrid: v1 memory and cpuacct, cgroup2 'unified' with cpu.stat and pressure
hy="$tmp/hy"
for h in memory cpuacct unified; do mkdir -p "$hy/$h/lxc.payload.web" "$hy/$h/lxc.monitor.web"; done
mk "$hy/memory/lxc.payload.web/memory.usage_in_bytes" "209715200\n"
mk "$hy/memory/lxc.payload.web/memory.limit_in_bytes" "9223372036854771712\n"
mk "$hy/memory/lxc.payload.web/memory.stat" "cache 1\nrss 2\ntotal_cache 104857600\ntotal_rss 94371840\ntotal_inactive_file 83886080\ntotal_shmem 0\n"
mk "$hy/memory/lxc.payload.web/cgroup.procs" "100\n"
mk "$hy/cpuacct/lxc.payload.web/cpuacct.usage" "5000000000\n"
mk "$hy/cpuacct/lxc.payload.web/cpuacct.usage_user" "4000000000\n"
mk "$hy/cpuacct/lxc.payload.web/cpuacct.usage_sys" "1000000000\n"
mk "$hy/unified/lxc.payload.web/io.pressure" "some avg10=0.00 avg60=0.00 avg300=0.00 total=77\n"
mk "$hy/memory/lxc.monitor.web/memory.usage_in_bytes" "1048576\n"
"$VTAX" --json -n 1 --cgroup-root "$hy" >"$tmp/hy.json" 2>"$tmp/err" || fail "vtax on the hybrid fixture ran"
check "hybrid: LXC found with v1 memory numbers" pyjson "$tmp/hy.json" "guest(id='web')['mem']['host'] == 209715200 + 1048576 and guest(id='web')['mem']['page_cache'] == 104857600 and guest(id='web')['mem']['working_set'] == 209715200 - 83886080"
check "hybrid: huge v1 limit is no limit" pyjson "$tmp/hy.json" "guest(id='web')['mem']['limit'] is None"
check "hybrid: monitor cgroup is tax, not a guest" pyjson "$tmp/hy.json" "len([g for g in d['guests'] if g['runtime'] != 'qemu']) == 1 and guest(id='web')['mem']['tax'] == 1048576"

# hybrid nspawn: payload/ and supervisor/ exist only in the unified tree,
# the memory tree has the scope alone. CPU splits (payload is the guest's,
# supervisor its tax); memory stays whole. Counters move between frames.
ns="machine.slice/machine-build.scope"
for h in memory cpuacct; do mkdir -p "$hy/$h/$ns"; done
mkdir -p "$hy/unified/$ns/payload" "$hy/unified/$ns/supervisor"
mk "$hy/memory/$ns/memory.usage_in_bytes" "62914560\n"
mk "$hy/memory/$ns/memory.stat" "total_cache 10485760\ntotal_rss 52428800\ntotal_inactive_file 4194304\n"
mk "$hy/cpuacct/$ns/cpuacct.usage" "1000000000\n"
mk "$hy/unified/$ns/payload/cpu.stat" "usage_usec 800000\nuser_usec 600000\nsystem_usec 200000\n"
mk "$hy/unified/$ns/supervisor/cpu.stat" "usage_usec 200000\nuser_usec 100000\nsystem_usec 100000\n"
"$VTAX" --json -n 2 -d 1 --cgroup-root "$hy" >"$tmp/hyn.json" 2>"$tmp/err" &
hp=$!
sleep 0.5
mk "$hy/cpuacct/$ns/cpuacct.usage" "1600000000\n"
mk "$hy/unified/$ns/payload/cpu.stat" "usage_usec 1300000\nuser_usec 1000000\nsystem_usec 300000\n"
mk "$hy/unified/$ns/supervisor/cpu.stat" "usage_usec 300000\nuser_usec 150000\nsystem_usec 150000\n"
wait $hp || fail "vtax on the hybrid nspawn fixture ran"
tail -1 "$tmp/hyn.json" >"$tmp/hyn1.json"
check "hybrid nspawn: CPU of payload/ (0.5 s), supervisor/ (0.1 s) as CPU tax" pyjson "$tmp/hyn1.json" \
	"abs(guest(runtime='nspawn')['cpu']['total'] - 50 / d['interval']) < 0.5 and abs(guest(runtime='nspawn')['cpu']['tax'] - 10 / d['interval']) < 0.5"
check "hybrid nspawn: memory of the whole scope, no memory tax without a supervisor process" pyjson "$tmp/hyn1.json" \
	"guest(runtime='nspawn')['mem']['host'] == 62914560 and guest(runtime='nspawn')['mem']['tax'] == 0"
# its supervisor process (in the unified supervisor/): its RssAnon (3 MiB)
# leaves the guest's memory for the memory tax; the whole stays the scope's
sp=4190001
mk "$hy/unified/$ns/supervisor/cgroup.procs" "$sp\n"
mkdir -p "$tmp/proc/$sp"
mk "$tmp/proc/$sp/status" "Name:\tsystemd-nspawn\nVmRSS:\t    9216 kB\nRssAnon:\t    3072 kB\nRssFile:\t    6144 kB\n"
"$VTAX" --json -n 1 --cgroup-root "$hy" --proc-root "$tmp/proc" >"$tmp/hyns.json" 2>"$tmp/err" ||
	fail "vtax on the hybrid nspawn fixture with its supervisor ran"
check "hybrid nspawn: supervisor's RssAnon 3M is memory tax, out of the guest's working set" pyjson "$tmp/hyns.json" \
	"guest(runtime='nspawn')['mem']['host'] == 62914560 and guest(runtime='nspawn')['mem']['tax'] == 3145728 and guest(runtime='nspawn')['mem']['working_set'] == 62914560 - 3145728 - 4194304 and guest(runtime='nspawn')['helpers'] == 1"

# v1 only, with a combined cpu,cpuacct hierarchy and the old cpuacct.stat
v1="$tmp/v1"
mkdir -p "$v1/cpu,cpuacct/docker/$D" "$v1/memory/docker/$D"
mk "$v1/cpu,cpuacct/docker/$D/cpuacct.stat" "user 150\nsystem 50\n"
mk "$v1/memory/docker/$D/memory.usage_in_bytes" "10485760\n"
"$VTAX" --json -n 2 -d 0.1 --cgroup-root "$v1" >"$tmp/v1.json" 2>"$tmp/err" || fail "vtax on the v1 fixture ran"
check "v1: docker found under /docker, cpu from cpuacct.stat" pyjson "$tmp/v1.json" "guest(runtime='docker')['cpu']['usr'] == 0.0 and guest(runtime='docker')['mem']['host'] == 10485760"
finish
