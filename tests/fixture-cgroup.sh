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

# v2 as a live 6.1 kernel writes it (tests/v2host.sh, files copied from its
# VM): 6.1's memory.stat and a throttled cpu.stat; io.stat lists a disk
# with no counters once an io.max names it, before the container did any
# I/O (vtax showed its I/O as unknown there); a threaded subtree whose
# threaded cgroup refuses to give cgroup.procs and whose "domain invalid"
# sibling is empty; a container whose parent enables only +cpu (no
# memory.*, io.*, pids.* files) and no pressure files (psi=0)
lv="$tmp/v2live"
mkdir -p "$lv"
mk "$lv/cgroup.controllers" "cpuset cpu io memory hugetlb pids rdma misc\n"
c=lxc/9803
mkdir -p "$lv/$c/ns" "$lv/lxc.monitor/9803"
mk "$lv/$c/cgroup.controllers" "cpu io memory pids\n"
mk "$lv/$c/cpu.stat" "usage_usec 9433689\nuser_usec 8240296\nsystem_usec 1193392\nnr_periods 159\nnr_throttled 156\nthrottled_usec 17508812\nnr_bursts 0\nburst_usec 0\n"
mk "$lv/$c/cpu.max" "60000 100000\n"
mk "$lv/$c/memory.current" "68681728\n"
mk "$lv/$c/memory.max" "max\n"
mk "$lv/$c/memory.stat" "anon 33726464\nfile 34603008\nkernel 352256\nkernel_stack 0\npagetables 131072\nsec_pagetables 0\npercpu 7136\nsock 0\nvmalloc 0\nshmem 0\nzswap 0\nzswapped 0\nfile_mapped 0\nfile_dirty 0\nfile_writeback 0\nswapcached 0\nanon_thp 33554432\nfile_thp 0\nshmem_thp 0\ninactive_anon 33714176\nactive_anon 12288\ninactive_file 34603008\nactive_file 0\nunevictable 0\nslab_reclaimable 80512\nslab_unreclaimable 13040\nslab 93552\nworkingset_refault_anon 0\nworkingset_refault_file 0\nworkingset_activate_anon 0\nworkingset_activate_file 0\nworkingset_restore_anon 0\nworkingset_restore_file 0\nworkingset_nodereclaim 0\npgscan 0\npgsteal 0\npgscan_kswapd 0\npgscan_direct 0\npgsteal_kswapd 0\npgsteal_direct 0\npgfault 400\npgmajfault 0\npgrefill 0\npgactivate 1\npgdeactivate 0\npglazyfree 0\npglazyfreed 0\nzswpin 0\nzswpout 0\nthp_fault_alloc 16\nthp_collapse_alloc 0\n"
mk "$lv/$c/pids.current" "4\n"
mk "$lv/$c/io.stat" "254:0 rbytes=34603008 wbytes=0 rios=54 wios=0 dbytes=0 dios=0\n"
mk "$lv/$c/cpu.pressure" "some avg10=62.04 avg60=16.78 avg300=3.77 total=12951894\nfull avg10=49.94 avg60=13.48 avg300=3.03 total=10460410\n"
mk "$lv/$c/io.pressure" "some avg10=0.10 avg60=0.05 avg300=0.01 total=43949\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=17940\n"
mk "$lv/$c/memory.pressure" "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
mk "$lv/lxc.monitor/9803/cpu.stat" "usage_usec 4117\nuser_usec 0\nsystem_usec 4117\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\nnr_bursts 0\nburst_usec 0\n"
mk "$lv/lxc.monitor/9803/memory.current" "98304\n"
c=lxc/9802
t=$c/ns/system.slice/t.service
mkdir -p "$lv/$c/ns/init.scope" "$lv/$t/worker" "$lv/$t/idle"
mk "$lv/$c/cpu.stat" "usage_usec 1638206\nuser_usec 1392997\nsystem_usec 245209\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\nnr_bursts 0\nburst_usec 0\n"
mk "$lv/$c/memory.current" "17211392\n"
mk "$lv/$c/memory.stat" "anon 16936960\nfile 0\nkernel 274432\nshmem 0\nfile_mapped 0\nanon_thp 14680064\ninactive_anon 16924672\nactive_anon 12288\ninactive_file 0\nactive_file 0\n"
mk "$lv/$c/io.max" "254:0 rbps=max wbps=104857600 riops=max wiops=max\n"
mk "$lv/$c/io.stat" "254:0 \n"
mk "$lv/$c/io.pressure" "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
mk "$lv/$c/ns/init.scope/cgroup.procs" "134\n"
mk "$lv/$t/cgroup.type" "domain threaded\n"
mk "$lv/$t/cgroup.procs" "142\n"
mk "$lv/$t/worker/cgroup.type" "threaded\n"
mk "$lv/$t/worker/cgroup.threads" "142\n"
# the kernel answers a read of a threaded cgroup's cgroup.procs with
# EOPNOTSUPP; a directory in its place cannot be read either
mkdir -p "$lv/$t/worker/cgroup.procs"
mk "$lv/$t/idle/cgroup.type" "domain invalid\n"
mk "$lv/$t/idle/cgroup.procs" ""
b=bare.slice/lxc.payload.v2-bare
mkdir -p "$lv/$b"
mk "$lv/$b/cgroup.controllers" "cpu\n"
mk "$lv/$b/cpu.stat" "usage_usec 1007503\nuser_usec 1003301\nsystem_usec 4202\nnr_periods 100\nnr_throttled 99\nthrottled_usec 8962042\nnr_bursts 0\nburst_usec 0\n"
mk "$lv/$b/cgroup.procs" "200\n"
"$VTAX" --json -n 2 -d 0.2 --cgroup-root "$lv" --pve-dir "$tmp/pve" >"$tmp/lv.json" 2>"$tmp/err" ||
	fail "vtax on the live-v2 fixture ran"
tail -1 "$tmp/lv.json" >"$tmp/lv1.json"
check "live v2: 6.1 memory.stat and a throttled cpu.stat read right" pyjson "$tmp/lv1.json" \
	"(g := guest(id='9803'))['mem'] and g['mem']['host'] == 68681728 + 98304 and g['mem']['page_cache'] == 34603008 and g['mem']['working_set'] == 68681728 - 34603008 and g['cpu']['total'] == 0.0 and g['pids'] == 4"
check "live v2: io.stat with counters: I/O rates 0, not unknown" pyjson "$tmp/lv1.json" \
	"[guest(id='9803')['io'][k] for k in ('read', 'write')] == [0, 0]"
check "live v2: io.stat listing a disk without counters (io.max set, no I/O yet): 0, not unknown" pyjson "$tmp/lv1.json" \
	"[guest(id='9802')['io'][k] for k in ('read', 'write')] == [0, 0]"
check "live v2: a threaded subtree's processes counted once (threaded cgroup.procs unreadable, domain invalid empty)" pyjson "$tmp/lv1.json" \
	"guest(id='9802')['pids'] == 2"
check "live v2: no memory, io or pids controller: memory and I/O unknown, CPU and processes known" pyjson "$tmp/lv1.json" \
	"(g := guest(id='v2-bare'))['mem'] and g['mem']['host'] is None and g['mem']['page_cache'] is None and [g['io'][k] for k in ('read', 'write')] == [None, None] and g['cpu']['total'] == 0.0 and g['pids'] == 1"
check "live v2: no pressure files (psi=0): pressure unknown" pyjson "$tmp/lv1.json" \
	"guest(id='v2-bare')['pressure'] == {'cpu': None, 'io': None, 'memory': None} and guest(id='9803')['pressure']['io'] == 0.0"
check "live v2: three guests, nothing else (live QEMU processes aside)" pyjson "$tmp/lv1.json" \
	"len([g for g in d['guests'] if g['runtime'] != 'qemu']) == 3"
check "live v2: no error output" no_output "$tmp/err"
# v2 kernel facts: memory.stat kernel and parts, swap, OOM kills and
# throttling, over two frames in which the OOM count and throttled time rise
k2="$tmp/k2"; mkdir -p "$k2/lxc/102"; : >"$k2/cgroup.controllers"
mk "$k2/lxc/102/memory.current" "104857600\n"
mk "$k2/lxc/102/memory.stat" "anon 52428800\nfile 10485760\nkernel 8388608\nkernel_stack 262144\npagetables 1048576\nsec_pagetables 2097152\npercpu 131072\nsock 65536\nslab 4194304\n"
mk "$k2/lxc/102/memory.swap.current" "3145728\n"
mk "$k2/lxc/102/memory.events" "low 0\nhigh 0\nmax 5\noom 2\noom_kill 2\noom_group_kill 0\n"
mk "$k2/lxc/102/cpu.stat" "usage_usec 1000000\nuser_usec 800000\nsystem_usec 200000\nnr_periods 100\nnr_throttled 40\nthrottled_usec 3000000\n"
# the host's swap is the fixture's: without any (below) no guest has some
sw="Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
mk "$tmp/k2proc/swaps" "$sw/dev/vda3                               partition\t4194300\t\t0\t\t-2\n"
"$VTAX" --json -n 2 -d 1 --cgroup-root "$k2" --proc-root "$tmp/k2proc" >"$tmp/k2.json" 2>"$tmp/err" &
kp=$!
sleep 0.5
mk "$k2/lxc/102/memory.events" "low 0\nhigh 0\nmax 9\noom 3\noom_kill 3\noom_group_kill 0\n"
mk "$k2/lxc/102/cpu.stat" "usage_usec 1200000\nuser_usec 950000\nsystem_usec 250000\nnr_periods 110\nnr_throttled 48\nthrottled_usec 3800000\n"
wait $kp || fail "vtax on the v2 kernel fixture ran"
head -1 "$tmp/k2.json" >"$tmp/k20.json"; tail -1 "$tmp/k2.json" >"$tmp/k21.json"
check "v2: kernel memory and its parts" pyjson "$tmp/k21.json" "guest(id='102')['mem']['kernel'] == {'total': 8388608, 'pagetables': 1048576, 'sec_pagetables': 2097152, 'slab': 4194304, 'percpu': 131072, 'sock': 65536}"
check "v2: swap from memory.swap.current" pyjson "$tmp/k21.json" "guest(id='102')['mem']['swap'] == 3145728"
mk "$tmp/k2proc/swaps" "$sw"
"$VTAX" --json -n 1 --cgroup-root "$k2" --proc-root "$tmp/k2proc" >"$tmp/k2n.json" 2>"$tmp/err" ||
	fail "vtax on the v2 fixture without swap ran"
check "v2, no swap on the host: swap 0, memory.swap.current not read" pyjson "$tmp/k2n.json" "guest(id='102')['mem']['swap'] == 0"
check "v2: first frame: OOM kills and throttling unknown, not 0" pyjson "$tmp/k20.json" "guest(id='102')['mem']['oom_kills'] is None and guest(id='102')['cpu']['throttled'] is None and not guest(id='102')['mem']['oom_recent']"
check "v2: one OOM kill in the interval, flagged recent" pyjson "$tmp/k21.json" "guest(id='102')['mem']['oom_kills'] == 1 and guest(id='102')['mem']['oom_recent']"
check "v2: throttled 0.8 s of the interval" pyjson "$tmp/k21.json" "abs(guest(id='102')['cpu']['throttled'] - 80 / d['interval']) < 1"
check "v2: no KSM for a container" pyjson "$tmp/k21.json" "'ksm' not in guest(id='102')['mem']"

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
check "hybrid: no kmem, swap, OOM or cpu files: unknown" pyjson "$tmp/hy.json" "guest(id='web')['mem']['kernel']['total'] is None and guest(id='web')['mem']['swap'] is None and guest(id='web')['mem']['oom_kills'] is None"
mkdir -p "$hy/cpu/lxc.payload.web"
mk "$hy/memory/lxc.payload.web/memory.kmem.usage_in_bytes" "7340032\n"
mk "$hy/memory/lxc.payload.web/memory.stat" "cache 1\nrss 2\ntotal_cache 104857600\ntotal_rss 94371840\ntotal_inactive_file 83886080\ntotal_shmem 0\ntotal_swap 2097152\n"
mk "$hy/memory/lxc.payload.web/memory.oom_control" "oom_kill_disable 0\nunder_oom 0\noom_kill 4\n"
mk "$hy/cpu/lxc.payload.web/cpu.stat" "nr_periods 10\nnr_throttled 5\nthrottled_time 1000000000\n"
"$VTAX" --json -n 2 -d 1 --cgroup-root "$hy" >"$tmp/hyk.json" 2>"$tmp/err" &
kp=$!
sleep 0.5
# an OOM kill and throttling happen to running tasks: the cgroup's CPU time
# moves (an idle one's counters are carried: src/cgroup.c)
mk "$hy/cpuacct/lxc.payload.web/cpuacct.usage" "5600000000\n"
mk "$hy/memory/lxc.payload.web/memory.oom_control" "oom_kill_disable 0\nunder_oom 0\noom_kill 6\n"
mk "$hy/cpu/lxc.payload.web/cpu.stat" "nr_periods 20\nnr_throttled 12\nthrottled_time 1500000000\n"
wait $kp || fail "vtax on the hybrid kernel fixture ran"
tail -1 "$tmp/hyk.json" >"$tmp/hyk1.json"
check "hybrid: v1 kmem total (no parts), total_swap" pyjson "$tmp/hyk1.json" "guest(id='web')['mem']['kernel']['total'] == 7340032 and guest(id='web')['mem']['kernel']['slab'] is None and guest(id='web')['mem']['swap'] == 2097152"
check "hybrid: v1 oom_control: 2 kills in the interval" pyjson "$tmp/hyk1.json" "guest(id='web')['mem']['oom_kills'] == 2 and guest(id='web')['mem']['oom_recent']"
check "hybrid: throttling from the v1 cpu hierarchy (0.5 s)" pyjson "$tmp/hyk1.json" "abs(guest(id='web')['cpu']['throttled'] - 50 / d['interval']) < 1"
# v1 without a CPU quota nothing can throttle: cpu.stat is not read
# between limit reads (every 10 s) and throttling shows 0. A quota set
# in between: the throttling counted meanwhile falls in no interval
# (unknown for that refresh, never a spike), then it is read again.
mk "$hy/cpu/lxc.payload.web/cpu.cfs_quota_us" "-1\n"
mk "$hy/cpu/lxc.payload.web/cpu.stat" "nr_periods 20\nnr_throttled 12\nthrottled_time 1500000000\n"
"$VTAX" --json -n 32 -d 0.5 --cgroup-root "$hy" >"$tmp/hyq.json" 2>"$tmp/err" &
kp=$!
sleep 2
mk "$hy/cpu/lxc.payload.web/cpu.stat" "nr_periods 30\nnr_throttled 20\nthrottled_time 6500000000\n"
mk "$hy/cpu/lxc.payload.web/cpu.cfs_quota_us" "50000\n"
sleep 12
mk "$hy/cpu/lxc.payload.web/cpu.stat" "nr_periods 31\nnr_throttled 21\nthrottled_time 6750000000\n"
wait $kp || fail "vtax on the hybrid quota fixture ran"
# by id: a QEMU process running on this host shows in the table too
check "hybrid, no v1 quota: throttling 0 while cpu.stat is not read" pyjson "$tmp/hyq.json" \
	"[fguest(f, id='web')['cpu']['throttled'] for f in frames[1:5]] == [0, 0, 0, 0]"
check "hybrid, quota set: the carried interval is unknown, never a spike" pyjson "$tmp/hyq.json" \
	"None in [fguest(f, id='web')['cpu']['throttled'] for f in frames[5:]] and max(fguest(f, id='web')['cpu']['throttled'] or 0 for f in frames) < 60"
check "hybrid, quota set: then read again (0.25 s throttled in a frame)" pyjson "$tmp/hyq.json" \
	"any(fguest(f, id='web')['cpu']['throttled'] is not None and abs(fguest(f, id='web')['cpu']['throttled'] - 25 / f['interval']) < 1 for f in frames[24:])"
rm -rf "$hy/cpu" "$hy/memory/lxc.payload.web/memory.kmem.usage_in_bytes" "$hy/memory/lxc.payload.web/memory.oom_control"
check "hybrid: huge v1 limit is no limit" pyjson "$tmp/hy.json" "guest(id='web')['mem']['limit'] is None"
check "hybrid: monitor cgroup is tax, not a guest" pyjson "$tmp/hy.json" "len([g for g in d['guests'] if g['runtime'] != 'qemu']) == 1 and guest(id='web')['mem']['tax'] == 1048576"

# hybrid nspawn: payload/ and supervisor/ exist only in the unified tree,
# the memory tree has the scope alone. CPU splits (payload is the guest's,
# supervisor its tax); memory stays whole; the v1 cpu tree has the scope
# alone, and its quota's throttling is read there. Counters move between
# frames.
ns="machine.slice/machine-build.scope"
for h in memory cpuacct cpu; do mkdir -p "$hy/$h/$ns"; done
mk "$hy/cpu/$ns/cpu.cfs_quota_us" "50000\n"
mk "$hy/cpu/$ns/cpu.stat" "nr_periods 10\nnr_throttled 5\nthrottled_time 1000000000\n"
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
mk "$hy/cpu/$ns/cpu.stat" "nr_periods 20\nnr_throttled 9\nthrottled_time 1200000000\n"
wait $hp || fail "vtax on the hybrid nspawn fixture ran"
tail -1 "$tmp/hyn.json" >"$tmp/hyn1.json"
check "hybrid nspawn: CPU of payload/ (0.5 s), supervisor/ (0.1 s) as CPU tax" pyjson "$tmp/hyn1.json" \
	"abs(guest(runtime='nspawn')['cpu']['total'] - 50 / d['interval']) < 0.5 and abs(guest(runtime='nspawn')['cpu']['tax'] - 10 / d['interval']) < 0.5"
check "hybrid nspawn: throttling of the scope's v1 quota (0.2 s)" pyjson "$tmp/hyn1.json" \
	"abs(guest(runtime='nspawn')['cpu']['throttled'] - 20 / d['interval']) < 0.5"
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
