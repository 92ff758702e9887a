#!/bin/sh
# shellcheck shell=sh
#
# /init of the pure cgroup v2 host VM (busybox ash, PID 1); v2host-image.sh
# copies it into the initramfs, it never runs on the host. It builds the
# cgroup tree as systemd and Proxmox VE build it, starts the guests, runs
# vtax and reads the kernel's own numbers beside it, and sends both out on
# the second serial port (ttyS1) for tests/v2host.sh to compare.
#
# Kernel command line: cgroup_no_v1=all (no v1 hierarchy at all), and
#   vtax.scenario=full   the Proxmox-shaped node (default)
#   vtax.scenario=psi0   booted with psi=0: a container, a Docker scope, an
#                        nspawn machine and a container without memory, io
#                        or pids controller
#   vtax.frames=N vtax.delay=S   vtax --json -n N -d S (default 6 and 2)
#
# ttyS1, one line each (the host test parses them):
#   VTAXINFO key=value...            kernel, controllers, pids of the guests
#   VTAXCPUCG CG...                  the cgroups of the VTAXCPU columns
#   VTAXCPU UP0 UP1 USEC...          cpu.stat usage_usec of each, read
#                                    between /proc/uptime UP0 and UP1
#   VTAXLS SNAP CG FILE...           the files of a cgroup directory
#   VTAXFILE SNAP CG FILE LINE       a line of a cgroup file (SNAP s0:
#                                    before vtax ran, s1: after)
#   VTAXNOREAD SNAP CG FILE          a file that is absent or cannot be
#                                    read (VTAXLS tells which)
#   VTAXSMAPS SIZE_KB RSS_KB PERMS PATH   the nested QEMU's large mappings
#   VTAXJSON, VTAXREC, VTAXBATCH, VTAXERR   vtax --json, its --record file,
#                                    vtax -b, vtax's standard error
#   VTAXDONE                         last line
# ttyS0 (the console) gets VTAXSTEP progress lines.
#
# PID 1 must never exit: no `set -e`, and the script ends powering off.

PATH=/usr/bin:/usr/sbin:/bin:/sbin
export PATH

mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/qemu-server /run/lock /etc/pve/qemu-server /etc/pve/lxc /var/lib/lxc
hostname pve-v2
echo "127.0.0.1 localhost pve-v2" >/etc/hosts

step() { echo "VTAXSTEP $(cut -d' ' -f1 /proc/uptime) $*"; }
step init

# ---- parameters ----------------------------------------------------------
scenario=full
frames=6
delay=2
read -r cmdline </proc/cmdline
for arg in $cmdline; do
	case $arg in
		vtax.scenario=*) scenario=${arg#*=} ;;
		vtax.frames=*) frames=${arg#*=} ;;
		vtax.delay=*) delay=${arg#*=} ;;
	esac
done

# the data port: raw, so that lines leave as they are
stty -F /dev/ttyS1 raw -echo 2>/dev/null
exec 3>/dev/ttyS1
out() { printf '%s\n' "$*" >&3; }
finish() {
	out VTAXDONE
	sync
	step poweroff
	poweroff -f
	sleep 60
	while :; do sleep 3600; done
}

# ---- modules: the disk ---------------------------------------------------
while read -r mod file; do
	[ -n "$mod" ] || continue
	insmod "/lib/modules/v2/$file" 2>/dev/null || out "VTAXINFO module_failed=$mod"
done </etc/vtax-modules
i=0
while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
# The kernel drops a block device's page cache when its last opener
# closes it: hold it open, so that what a guest reads stays cached
# shellcheck disable=SC2217
sleep 2147483647 </dev/vda &

# ---- cgroup v2, as systemd mounts it -------------------------------------
CG=/sys/fs/cgroup
if ! mount -t cgroup2 -o nsdelegate,memory_recursiveprot cgroup2 $CG; then
	out "VTAXINFO error=no_cgroup2"
	finish
fi
CTL="+cpu +memory +io +pids"
# mkcg REL: a cgroup, its parents first
mkcg() { mkdir -p "$CG$1"; }
# cg_enable REL: the four controllers for REL's children
cg_enable() { echo "$CTL" >"$CG$1/cgroup.subtree_control" || out "VTAXINFO error=enable_$1"; }
# spawn REL CMD...: CMD in cgroup REL, from its first instruction; $! its pid
spawn() {
	rel=$1
	shift
	sh -c 'echo $$ >"$0/cgroup.procs" || { echo "VTAXINFO error=spawn:$0" >&3; exit 1; }
		exec "$@"' "$CG$rel" "$@" &
}
cg_enable ""
# systemd's layout: PID 1 in init.scope, services in system.slice, logins
# in user.slice
mkcg /init.scope
echo 1 >$CG/init.scope/cgroup.procs
for s in /system.slice /user.slice /user.slice/user-0.slice; do
	mkcg "$s"
	cg_enable $s
done
mkcg /user.slice/user-0.slice/session-1.scope
SESSION=/user.slice/user-0.slice/session-1.scope

# hold_anon REL MB: a process in REL holding MB MB of touched anonymous
# memory: dd fills one buffer from /dev/zero, then blocks writing it into
# a FIFO that nobody reads
nfifo=0
ANON_PIDS=
hold_anon() {
	nfifo=$((nfifo + 1))
	f=/run/anon.$nfifo
	mkfifo $f
	# shellcheck disable=SC2217
	sleep 2147483647 <$f &
	spawn "$1" dd if=/dev/zero of=$f bs="$2"M count=1 iflag=fullblock
	ANON_PIDS="$ANON_PIDS $!"
}
wait_anon() {
	for p in $ANON_PIDS; do
		i=0
		while [ $i -lt 600 ]; do
			w=
			[ -r "/proc/$p/wchan" ] || break
			read -r w <"/proc/$p/wchan"
			[ "$w" = pipe_write ] && break
			i=$((i + 1))
			sleep 0.1
		done
		[ "$w" = pipe_write ] || out "VTAXINFO error=anon_not_resident_$p"
	done
}
burn() { spawn "$1" sh -c 'while :; do :; done'; }

info() {
	read -r krel </proc/sys/kernel/osrelease
	read -r ctl <$CG/cgroup.controllers
	psi=absent
	[ -r /proc/pressure/cpu ] && psi=present
	cat /proc/pressure/cpu >/dev/null 2>&1 || psi="$psi,unreadable"
	out "VTAXINFO kernel=$krel scenario=$scenario frames=$frames delay=$delay psi=$psi" \
		"controllers=$(echo "$ctl" | tr ' ' ',') cgroup_mounts=$(grep -c cgroup /proc/mounts)" \
		"v1=$(awk '$3 == "cgroup"' /proc/mounts | wc -l) ncpu=$(nproc)"
}

# snap NAME REL...: every interface file of each cgroup (VTAXLS, VTAXFILE)
snap() {
	name=$1
	shift
	for rel in "$@"; do
		d=$CG$rel
		[ -d "$d" ] || { out "VTAXLS $name $rel -"; continue; }
		names=
		for f in "$d"/*; do
			[ -f "$f" ] && names="$names ${f##*/}"
		done
		out "VTAXLS $name $rel$names"
	done
	# the paths go through the environment: awk -v would undo \x2d
	RELS="$*" awk -v snap="$name" -v root=$CG 'BEGIN {
		n = split(ENVIRON["RELS"], rel, " ")
		m = split("cgroup.type cgroup.controllers cgroup.subtree_control cgroup.procs " \
			"cgroup.threads cpu.stat cpu.max cpu.weight memory.current memory.max " \
			"memory.high memory.stat memory.swap.current pids.current pids.max io.stat " \
			"cpu.pressure io.pressure memory.pressure", f, " ")
		for (i = 1; i <= n; i++)
			for (j = 1; j <= m; j++) {
				p = root rel[i] "/" f[j]
				got = (getline x < p)
				if (got < 0)
					print "VTAXNOREAD", snap, rel[i], f[j]
				while (got > 0) {
					print "VTAXFILE", snap, rel[i], f[j], x
					got = (getline x < p)
				}
				close(p)
			}
	}' >&3
}

# cpu_loop STOPFILE REL...: usage_usec of each cgroup every 0.2 s
cpu_loop() {
	stop=$1
	shift
	out "VTAXCPUCG $*"
	RELS="$*" awk -v root=$CG -v stop="$stop" 'BEGIN {
		n = split(ENVIRON["RELS"], r, " ")
		for (;;) {
			if ((getline x < stop) >= 0)
				break
			close(stop)
			getline u < "/proc/uptime"; close("/proc/uptime"); split(u, a, " ")
			line = ""
			for (i = 1; i <= n; i++) {
				p = root r[i] "/cpu.stat"
				v = "-"
				while ((getline l < p) > 0) {
					split(l, kv, " ")
					if (kv[1] == "usage_usec")
						v = kv[2]
				}
				close(p)
				line = line " " v
			}
			getline u < "/proc/uptime"; close("/proc/uptime"); split(u, b, " ")
			print "VTAXCPU", a[1], b[1] line
			fflush()
			system("sleep 0.2")
		}
	}' >/tmp/cpu.log
}

# cpu_past: wait (at most 20 s) until cpu_loop has a sample begun after now
cpu_past() {
	read -r now _ </proc/uptime
	i=0
	while [ $i -lt 200 ]; do
		last=$(tail -n 1 /tmp/cpu.log 2>/dev/null | cut -d' ' -f2)
		awk -v a="${last:-0}" -v b="$now" 'BEGIN { exit !(a + 0 > b + 0) }' && return 0
		i=$((i + 1))
		sleep 0.1
	done
	out "VTAXINFO error=cpu_loop_stalled"
}

# run_vtax REL...: vtax --json (and --record) while cpu_loop reads the
# cgroups REL; snapshots of their files before and after
run_vtax() {
	snap s0 "$@"
	cpu_loop /tmp/stop.cpu "$@" &
	cpu_pid=$!
	cpu_past
	step "vtax --json -n $frames -d $delay"
	spawn $SESSION vtax --json -n "$frames" -d "$delay" --record /tmp/rec.jsonl \
		>/tmp/vtax.json 2>/tmp/vtax.err
	wait $!
	out "VTAXINFO vtax_json_exit=$?"
	# the kernel's numbers must cover vtax's last sample too
	cpu_past
	: >/tmp/stop.cpu
	wait $cpu_pid
	snap s1 "$@"
	step "vtax -b"
	spawn $SESSION vtax -b -n 2 -d 1 >/tmp/vtax.txt 2>>/tmp/vtax.err
	wait $!
	out "VTAXINFO vtax_batch_exit=$?"
	cat /tmp/cpu.log >&3
	sed 's/^/VTAXJSON /' /tmp/vtax.json >&3
	sed 's/^/VTAXREC /' /tmp/rec.jsonl >&3
	sed 's/^/VTAXBATCH /' /tmp/vtax.txt >&3
	sed 's/^/VTAXERR /' /tmp/vtax.err >&3
}

# ---- the Proxmox-shaped node ---------------------------------------------
# 9801  VM   /qemu.slice/9801.scope: a nested QEMU (TCG) running a boot
#            sector that halts, QMP at /var/run/qemu-server/9801.qmp
# 9802  CT   /lxc/9802/ns with systemd-style cgroups inside: init.scope (a
#            sleep), system.slice/x.service (16 MB, burning at a 10% cap),
#            system.slice/t.service (a threaded subtree: worker threaded,
#            idle "domain invalid"); monitor /lxc.monitor/9802 (8 MB,
#            burning at a 3% cap)
# 9803  CT   /lxc/9803/ns: three loops under cpu.max 60% of a CPU, 32 MB
#            anonymous memory, 32 MB of fresh page cache (read from the
#            disk); monitor /lxc.monitor/9803 (a sleep)
# docker     /system.slice/docker-ID.scope: writes 512 KB with O_DIRECT
#            to the disk every 0.5 s
DOCKER_ID=5e1f0c2ab7d94e3f8a6b1c0d2e4f6a8b9c1d3e5f7a9b0c2d4e6f8a0b1c3d5e7f
full() {
	# /lxc/9803/ns holds the container's processes itself: a leaf
	for s in /qemu.slice /lxc /lxc.monitor /lxc/9802 /lxc/9802/ns /lxc/9802/ns/system.slice \
		/lxc/9803; do
		mkcg "$s"
		cg_enable $s
	done
	for s in /qemu.slice/9801.scope /lxc/9803/ns /lxc/9802/ns/init.scope /lxc/9802/ns/system.slice/x.service \
		/lxc.monitor/9802 /lxc.monitor/9803 /system.slice/docker-$DOCKER_ID.scope; do
		mkcg "$s"
	done
	printf 'boot: order=ide0\ncores: 1\nmemory: 64\nname: v2-vm\nostype: other\n' \
		>/etc/pve/qemu-server/9801.conf
	printf 'arch: amd64\ncores: 1\nhostname: v2-ct\nmemory: 512\nostype: debian\n' \
		>/etc/pve/lxc/9802.conf
	printf 'arch: amd64\ncpulimit: 0.6\nhostname: v2-burn\nmemory: 512\nostype: debian\n' \
		>/etc/pve/lxc/9803.conf

	step "nested qemu"
	spawn /qemu.slice/9801.scope qemu-system-x86_64 -name v2-vm,debug-threads=on -no-shutdown \
		-chardev socket,id=qmp,path=/var/run/qemu-server/9801.qmp,server=on,wait=off \
		-mon chardev=qmp,mode=control -pidfile /var/run/qemu-server/9801.pid -daemonize \
		-smbios type=1,uuid=9ee3c4d4-98b0-4b6e-a1d8-000000009801 -smp 1,sockets=1,cores=1,maxcpus=1 \
		-nodefaults -display none -machine type=pc -accel tcg,tb-size=16 -m 64 \
		-drive file=/var/lib/vz/images/9801/vm-9801-disk-0.raw,if=ide,format=raw \
		>/tmp/qemu.out 2>&1
	wait $!
	out "VTAXINFO qemu_exit=$? qemu_pid=$(cat /var/run/qemu-server/9801.pid 2>/dev/null)"
	sed 's/^/VTAXINFO qemu_said /' /tmp/qemu.out >&3

	step "containers"
	# 9802: the container's init, a service holding memory and burning
	# under a cap, a threaded subtree, and its monitor
	spawn /lxc/9802/ns/init.scope sleep 2147483647
	ct_init=$!
	echo "10000 100000" >$CG/lxc/9802/ns/system.slice/x.service/cpu.max
	burn /lxc/9802/ns/system.slice/x.service
	hold_anon /lxc/9802/ns/system.slice/x.service 16
	t=/lxc/9802/ns/system.slice/t.service
	mkcg $t/worker
	mkcg $t/idle
	echo threaded >$CG$t/worker/cgroup.type || out "VTAXINFO error=threaded"
	echo "+cpu +pids" >$CG$t/cgroup.subtree_control || out "VTAXINFO error=threaded_ctl"
	spawn $t sleep 2147483647
	tpid=$!
	sleep 0.2
	echo $tpid >$CG$t/worker/cgroup.threads || out "VTAXINFO error=thread_move"
	# a write cap on the disk (as a CT's bandwidth limit is set): the kernel
	# then lists the disk in io.stat before the container did any I/O
	read -r vda_dev </sys/block/vda/dev
	echo "$vda_dev wbps=104857600" >$CG/lxc/9802/io.max || out "VTAXINFO error=io_max"
	echo "3000 100000" >$CG/lxc.monitor/9802/cpu.max
	burn /lxc.monitor/9802
	hold_anon /lxc.monitor/9802 8
	spawn /lxc.monitor/9803 sleep 2147483647
	# 9803: the capped burner with memory and page cache
	echo "60000 100000" >$CG/lxc/9803/cpu.max
	hold_anon /lxc/9803/ns 32
	spawn /lxc/9803/ns dd if=/dev/vda of=/dev/null bs=1M count=32
	wait $!
	for _ in 1 2 3; do burn /lxc/9803/ns; done
	# docker: I/O
	spawn /system.slice/docker-$DOCKER_ID.scope sh -c 'while :; do
		dd if=/dev/zero of=/dev/vda bs=64k count=8 seek=1024 oflag=direct conv=notrunc 2>/dev/null
		sleep 0.5; done'
	wait_anon
	out "VTAXINFO ct_init=$ct_init threaded_pid=$tpid"
	info
	# past the workloads' first steps, the nested VM's boot included
	sleep 2
	step measure
	run_vtax /qemu.slice/9801.scope /lxc/9802 /lxc/9802/ns /lxc/9802/ns/init.scope \
		/lxc/9802/ns/system.slice /lxc/9802/ns/system.slice/x.service $t $t/worker $t/idle \
		/lxc.monitor/9802 /lxc/9803 /lxc/9803/ns /lxc.monitor/9803 \
		/system.slice/docker-$DOCKER_ID.scope
	qp=$(cat /var/run/qemu-server/9801.pid 2>/dev/null)
	if [ -n "$qp" ]; then
		awk '/^[0-9a-f]+-[0-9a-f]+ / { perms = $2; path = $6 }
		     /^Size:/ { size = $2 }
		     /^Rss:/ { if (size >= 16384) print "VTAXSMAPS", size, $2, perms, (path == "" ? "-" : path) }' \
			"/proc/$qp/smaps" >&3
		sed -n 's/^\(VmRSS\|RssAnon\|RssFile\|RssShmem\|Threads\):[[:space:]]*/VTAXQEMU \1 /p' \
			"/proc/$qp/status" >&3
	fi
}

# ---- psi=0: the pressure files are gone ----------------------------------
# Booted with psi=0 and kernel.task_delayacct=1:
# 9811   CT      /lxc/9811/ns burning at a 20% cap, 8 MB; monitor (a sleep)
# docker         as in the full node
# v2-ns  nspawn  /machine.slice/machine-v2\x2dns.scope: payload/ burning at
#                a 15% cap with 8 MB, supervisor/ 2 MB burning at a 2% cap
# v2-bare lxc    /bare.slice/lxc.payload.v2-bare: its parent enables only
#                +cpu, so it has no memory.*, io.* nor pids.* files; a
#                loop at a 10% cap
NS='/machine.slice/machine-v2\x2dns.scope'
psi0() {
	for s in /lxc /lxc.monitor /lxc/9811 /machine.slice "$NS"; do
		mkcg "$s"
		cg_enable "$s"
	done
	mkcg /lxc.monitor/9811
	mkcg /lxc/9811/ns
	mkcg "$NS/payload"
	mkcg "$NS/supervisor"
	mkcg /system.slice/docker-$DOCKER_ID.scope
	mkcg /bare.slice
	echo "+cpu" >$CG/bare.slice/cgroup.subtree_control || out "VTAXINFO error=enable_bare"
	mkcg /bare.slice/lxc.payload.v2-bare
	printf 'hostname: v2-psi0\n' >/etc/pve/lxc/9811.conf
	echo "20000 100000" >$CG/lxc/9811/cpu.max
	burn /lxc/9811/ns
	hold_anon /lxc/9811/ns 8
	spawn /lxc.monitor/9811 sleep 2147483647
	spawn /system.slice/docker-$DOCKER_ID.scope sh -c 'while :; do
		dd if=/dev/zero of=/dev/vda bs=64k count=8 seek=1024 oflag=direct conv=notrunc 2>/dev/null
		sleep 0.5; done'
	echo "15000 100000" >"$CG$NS/payload/cpu.max"
	burn "$NS/payload"
	hold_anon "$NS/payload" 8
	echo "2000 100000" >"$CG$NS/supervisor/cpu.max"
	burn "$NS/supervisor"
	hold_anon "$NS/supervisor" 2
	echo "10000 100000" >$CG/bare.slice/lxc.payload.v2-bare/cpu.max
	burn /bare.slice/lxc.payload.v2-bare
	wait_anon
	# without PSI, vtax takes a container's iowait from delay accounting
	sysctl -w kernel.task_delayacct=1 >/dev/null || out "VTAXINFO error=delayacct"
	info
	sleep 1
	step measure
	run_vtax /lxc/9811 /lxc.monitor/9811 /system.slice/docker-$DOCKER_ID.scope "$NS" \
		"$NS/payload" "$NS/supervisor" /bare.slice/lxc.payload.v2-bare
}

case $scenario in
	full) full ;;
	psi0) psi0 ;;
	*) out "VTAXINFO error=unknown_scenario_$scenario" ;;
esac
finish
