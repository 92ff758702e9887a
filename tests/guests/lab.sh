#!/bin/bash
# lab.sh: one real guest of every kind that runs on this host, each in
# cgroups of its own and placed as its runtime places it, to prove vtax's
# numbers against the kernel and against the usual peers (tests/lab.sh).
#
#   lab.sh start [--workload SPEC] [--only TAGS] [--quota PCT] [--vm-quota PCT]
#                [--vm-mem MB]
#       SPEC: idle, or a comma list of burn, anon=MB, cache=MB, hot
#       (default idle). hot: containers read their cache file every 2 s,
#       keeping it from proactive reclaim (and in their working set).
#       burn is one busy loop per guest, capped at --quota % of one
#       CPU by CFS for containers (default 30) and at --vm-quota for VMs
#       (default: not capped). TAGS: comma list of pvevm lvvm lxc pvect
#       docker podman nspawn ns (default all). Installs missing packages
#       with apt. A runtime that cannot start here is skipped with a reason.
#       --vm-mem: the VMs' RAM (default 256). lvvm is a domain of a real
#       libvirtd (one that answers, else the lab's own), on the lab bridge
#       vtaxlab0 with a virtio balloon, disk and NIC.
#       Network: every container has a veth with a link-local address
#       (LXC and the Proxmox CT on vtaxlab0, the CT's named veth9971i0;
#       nspawn --network-veth; the namespace container a veth made by hand;
#       Docker on a user-defined bridge vtaxlabd0; Podman in a namespace the
#       lab makes, --network ns:, with a veth on vtaxlab0), the
#       Proxmox VM a tap tap9970i0 on vtaxlab0. The far end of every
#       transfer is the namespace vtaxlab-peer (169.254.71.250 and, on
#       Docker's bridge, 169.254.72.250). The guest records say net_ip,
#       net_dev (its interface inside) and net_srv (the far end).
#   lab.sh status      each guest: runtime, id, name, pids, cgroup; the
#                      vtax options that see all of them
#   lab.sh vtax-opts   just those options, on one line
#   lab.sh stop        removes everything start made and checks that nothing
#                      is left (process, cgroup, mount, container, image,
#                      daemon); exit 1 if something is
#   lab.sh taxtable [--phases idle,burn,mem] [--only TAGS] [--quota PCT]
#                   [--vm-mem MB]                     (tests/guests/taxtable.sh)
#       one guest at a time, each phase: a Markdown row per guest from
#       vtax's own numbers, with the host RAM it took (MemTotal-MemAvailable
#       against a baseline taken just before the guest started)
#
# State lives in VTAX_LAB_DIR (default /var/tmp/vtax-lab). VTAX is the vtax
# binary (default: the one built in this tree).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
: "${SRCDIR:=$(cd "$HERE/../.." && pwd)}"
: "${VTAX:=$SRCDIR/src/vtax}"
# shellcheck source=../lib/common.sh
. "$SRCDIR/tests/lib/common.sh"
LIB=$SRCDIR/tests/lib
LAB=${VTAX_LAB_DIR:-/var/tmp/vtax-lab}
ALL_TAGS="pvevm lvvm lxc pvect docker podman nspawn ns"
PVE_VMID=9970 PVE_CTID=9971
PVE_VM_CG="/qemu.slice/$PVE_VMID.scope"
# the libvirt domain: its name, the lab bridge, its images (libvirt's dir)
LV_NAME=lab-lv LV_IMG=/var/lib/libvirt/images/vtax-lab-lv
# the lab's network (lab_net): a bridge, and a namespace of the lab's own
# at the far end of every transfer; Docker's containers sit on a
# user-defined bridge of Docker's own, which that namespace also joins.
# Link-local addresses only: nothing is routed off the machine
LAB_BR=vtaxlab0 LAB_NS=vtaxlab-peer LAB_SRV=169.254.71.250
DK_NET=vtaxlab DK_BR=vtaxlabd0 DK_SRV=169.254.72.250
LV_BR=$LAB_BR
# each guest's address on it
declare -A NET_IP=([lvvm]=169.254.71.2 [lxc]=169.254.71.11 [pvect]=169.254.71.12
	[docker]=169.254.72.13 [podman]=169.254.71.14 [nspawn]=169.254.71.15 [ns]=169.254.71.16)
NS_CG='/lxc.payload.lab-ns'
NSPAWN_CG='/machine.slice/machine-lab\x2dnspawn.scope'
# cgroup parents the runtimes create and may leave: removed at stop only
# when start found them missing (another user of the host may own them)
# the daemons the lab starts (dockerd and its containerd and shims, the
# podman service) run here, not in the cgroup of the shell that started them
DAEMON_CG=/vtax-lab-daemons-$(basename "$LAB")
SHARED_PARENTS="/qemu.slice /machine.slice /machine /lxc /lxc.monitor /lxc.pivot /docker /libpod_parent/conmon /libpod_parent"

say() { printf 'lab: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
D() { docker -H "unix://$LAB/docker.sock" "$@"; }
P() { podman --root "$LAB/podman/root" --runroot "$LAB/podman/run" --tmpdir "$LAB/podman/tmp" \
	--cgroup-manager cgroupfs --events-backend file "$@"; }

# --- small helpers --------------------------------------------------------

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
# need_pkgs PKG...: apt-get install those missing; 1 when that fails
need_pkgs() {
	local p missing=()
	for p in "$@"; do installed "$p" || missing+=("$p"); done
	[ ${#missing[@]} -eq 0 ] && return 0
	say "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q "${missing[@]}" >"$LAB/apt.log" 2>&1 ||
		{ apt-get update -q >>"$LAB/apt.log" 2>&1 && apt-get install -y -q "${missing[@]}" >>"$LAB/apt.log" 2>&1; }
}
alive() { [ -e "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
# kill_wait PID [SECS]: TERM, then KILL after SECS (default 5)
kill_wait() {
	local i
	alive "$1" || return 0
	kill -TERM "$1" 2>/dev/null
	for ((i = 0; i < ${2:-5} * 10; i++)); do alive "$1" || return 0; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null
	for ((i = 0; i < 30; i++)); do alive "$1" || return 0; sleep 0.1; done
	return 1
}
# pid_of_cmd STRING: pids whose whole command line contains STRING
pid_of_cmd() {
	ps -eo pid=,args= | awk -v s="$1" -v me="$$" '$1 != me && index($0, s) > 0 && !/awk -v s=/ { print $1 }'
}
# cg_procs REL: pids in REL and below (first hierarchy that has it)
cg_procs() {
	local h
	for h in $(cg_hierarchies); do
		[ -d "$h$1" ] || continue
		find "$h$1" -name cgroup.procs -exec cat {} + 2>/dev/null
		return 0
	done
}
cg_kill() {  # cg_kill REL: SIGKILL everything in REL, every hierarchy
	local h p
	for h in $(cg_hierarchies); do
		[ -d "$h$1" ] || continue
		for p in $(find "$h$1" -name cgroup.procs -exec cat {} + 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	done
	return 0
}
# cg_quota REL PCT: cap REL at PCT % of one CPU (v1 cpu or v2 cpu.max)
cg_quota() {
	local d
	if [ -f "/sys/fs/cgroup/cpu$1/cpu.cfs_quota_us" ]; then
		d=/sys/fs/cgroup/cpu$1
		echo 100000 >"$d/cpu.cfs_period_us" && echo $(($2 * 1000)) >"$d/cpu.cfs_quota_us"
	elif [ -f "/sys/fs/cgroup$1/cpu.max" ]; then
		echo "$(($2 * 1000)) 100000" >"/sys/fs/cgroup$1/cpu.max"
	elif [ -f "/sys/fs/cgroup/unified$1/cpu.max" ]; then
		echo "$(($2 * 1000)) 100000" >"/sys/fs/cgroup/unified$1/cpu.max"
	else
		say "no CPU controller for $1: burn not capped"
	fi
}
# made WHAT...: remember something start made, for stop
made() { echo "$*" >>"$LAB/made"; }
# guest TAG key=value...: the record status and tests/lab.sh read
guest() {
	local tag=$1; shift
	printf '%s\n' "$@" >"$LAB/g/$tag"
	echo "$tag" >>"$LAB/tags"
}
skipped() { echo "$1: $2" >>"$LAB/skipped"; say "SKIP $1: $2"; }
# broken TAG WHY: the guest did not start for an error of the lab's own (a
# broken guest image, say), not for something this host lacks: a skip
# too, but tests/lab.sh fails on it
broken() { echo "$1: $2" >>"$LAB/broken"; skipped "$1" "$2"; }
# wait_file F SECS
wait_file() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do [ -e "$1" ] && return 0; sleep 0.1; done
	return 1
}

# wait_log F STRING SECS
wait_log() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do grep -aq "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}

# --- the lab's network ------------------------------------------------------

# lab_net: the bridge (169.254.71.1 on the host's side) and the far end,
# namespace LAB_NS at LAB_SRV; 1 (and guests without a network) if the
# kernel refuses
lab_net() {
	made link "$LAB_BR"
	ip link add "$LAB_BR" type bridge && ip addr add 169.254.71.1/16 dev "$LAB_BR" &&
		ip link set "$LAB_BR" up || { say "cannot make the bridge $LAB_BR: guests without a network"; return 1; }
	made netns "$LAB_NS"
	made link vtaxlabp0
	ip netns add "$LAB_NS" && ip link add vtaxlabp0 type veth peer name eth0 netns "$LAB_NS" &&
		ip link set vtaxlabp0 master "$LAB_BR" up && ip -n "$LAB_NS" addr add "$LAB_SRV/16" dev eth0 &&
		ip -n "$LAB_NS" link set eth0 up && ip -n "$LAB_NS" link set lo up ||
		{ say "cannot make the namespace $LAB_NS: guests without a network"; return 1; }
}
has_net() { [ -n "${NET_IP[$1]:-}" ] && [ -e "/run/netns/$LAB_NS" ] && ip link show "$LAB_BR" >/dev/null 2>&1; }
# ct_addr PID DEV IP: the container's side of its veth, set up from the host
ct_addr() {
	nsenter -t "$1" -n sh -c "ip addr add $3/16 dev $2 && ip link set $2 up && ip link set lo up"
}
# ns_wait PID: until PID is in a network namespace of its own
ns_wait() {
	local i
	for ((i = 0; i < 50; i++)); do
		[ "$(readlink "/proc/$1/ns/net" 2>/dev/null)" != "$(readlink /proc/self/ns/net)" ] && return 0
		sleep 0.1
	done
	return 1
}
# net_rec TAG DEV SERVER: the guest record's network keys (empty without one)
net_rec() {
	has_net "$1" && echo "net_ip=${NET_IP[$1]}" "net_dev=$2" "net_srv=$3"
}

# --- the shared busybox root and workload -------------------------------

# busybox sh; every step leaves a file the host can see (READY)
workload_script() {
	cat <<'EOF'
#!/bin/sh
# lab workload: BURN loops, ANON MB of touched anonymous memory held by a
# dd blocked on a fifo, CACHE MB written to a fresh file in DIR (page
# cache charged to this cgroup); then READY. With HOT 1 the file is read
# again every 2 s, so that proactive reclaim (DAMON here) does not take
# its pages as cold while the lab checks them (they count as active, in
# the working set, then).
burn=$1 anon=$2 cache=$3 hot=$4 dir=$5 ready=$6
mkdir -p "$dir"
i=0
while [ "$i" -lt "$burn" ]; do sh -c 'while :; do :; done' & i=$((i + 1)); done
if [ "$anon" -gt 0 ]; then
	rm -f "$dir/anon.fifo"; mkfifo "$dir/anon.fifo"
	dd if=/dev/zero of="$dir/anon.fifo" bs="${anon}M" count=1 2>/dev/null &
	dd=$!
	sleep 999999 <"$dir/anon.fifo" &
	while :; do
		rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$dd/status")
		[ "${rss:-0}" -ge $((anon * 1000)) ] && break
		sleep 0.2
	done
fi
[ "$cache" -gt 0 ] && dd if=/dev/zero of="$dir/cache.bin" bs=1M count="$cache" 2>/dev/null
touch "$ready"
if [ "$cache" -gt 0 ] && [ "$hot" = 1 ]; then
	while :; do cat "$dir/cache.bin" >/dev/null; sleep 2; done
fi
while :; do sleep 3600; done
EOF
}

make_rootfs() {  # $LAB/rootfs and $LAB/rootfs.tar, once
	[ -f "$LAB/rootfs.tar" ] && return 0
	local r=$LAB/rootfs a
	mkdir -p "$r/bin" "$r/usr" "$r/etc" "$r/tmp" "$r/proc" "$r/sys" "$r/dev" "$r/run" "$r/lab" "$r/rdy" "$r/var/tmp"
	cp "$(command -v busybox)" "$r/bin/busybox"
	for a in $(busybox --list); do [ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"; done
	echo 'ID=busybox' >"$r/etc/os-release"
	workload_script >"$r/lab-work.sh"
	chmod +x "$r/lab-work.sh"
	tar -C "$r" -cf "$LAB/rootfs.tar" .
}

# --- workload spec ----------------------------------------------------------

BURN=0 ANON=0 CACHE=0 HOT=0
parse_workload() {
	local w
	BURN=0 ANON=0 CACHE=0 HOT=0
	for w in ${1//,/ }; do
		case $w in
			idle) ;;
			burn) BURN=1 ;;
			anon=[0-9]*) ANON=${w#anon=} ;;
			cache=[0-9]*) CACHE=${w#cache=} ;;
			hot) HOT=1 ;;
			*) die "bad workload '$w' (idle, burn, anon=MB, cache=MB, hot)" ;;
		esac
	done
}
vm_append() { echo "vtax.burn=$BURN vtax.anon_mb=$ANON vtax.cache_mb=$CACHE"; }
ct_args() { echo "$BURN $ANON $CACHE $HOT"; }

# --- one start function per runtime --------------------------------------
# Each returns 0 and writes its guest record, or prints why it skipped and
# returns 1 after undoing what it made.

start_vm() {  # start_vm TAG CGROUP NAME
	local tag=$1 cg=$2 name=$3 pid bal=() rc=0
	need_pkgs qemu-system-x86 busybox-static cpio xz-utils ||
		{ skipped "$tag" "apt-get install qemu-system-x86 failed (see $LAB/apt.log)"; return 1; }
	# the Proxmox VM: a virtio NIC on a tap named as qemu-server names it
	local tap=()
	[ "$tag" = pvevm ] && bal=(--balloon --proxmox-monitors --qga "$LAB/$tag.qga") &&
		[ -e "/run/netns/$LAB_NS" ] && tap=(--tap "tap${5}i0")
	VTAX_GUEST_RUNDIR=$LAB/vm VTAX_INSTALL_DEPS=1 bash "$LIB/qemu-guest.sh" start "$name" \
		--mem "$VM_MEM" "${bal[@]}" "${tap[@]}" --cgroup "$cg" --qmp "$LAB/$tag.qmp" --log "$LAB/$tag.log" \
		--pidfile "$LAB/$tag.pid" --append "$(vm_append)" >"$LAB/$tag.start" 2>&1 || rc=$?
	if [ $rc -eq 77 ]; then
		skipped "$tag" "QEMU did not start: $(tail -1 "$LAB/$tag.start")"
		return 1
	elif [ $rc -ne 0 ]; then
		broken "$tag" "QEMU did not start: $(tail -1 "$LAB/$tag.start")"
		return 1
	fi
	pid=$(cat "$LAB/$tag.pid")
	made vm "$tag" "$cg"
	[ ${#tap[@]} -gt 0 ] && { made link "${tap[1]}"; ip link set "${tap[1]}" master "$LAB_BR" up; }
	[ -n "$VM_QUOTA" ] && [ "$BURN" = 1 ] && cg_quota "$cg" "$VM_QUOTA"
	guest "$tag" "kind=vm" "runtime=$4" "id=$5" "name=$name" "cgroup=$cg" "pid=$pid" \
		"helper=" "helper_pid=" "log=$LAB/$tag.log" "qmp=$LAB/$tag.qmp" "ready=vm"
}
start_pvevm() {
	mkdir -p "$LAB/pve/qemu-server"
	printf 'agent: 1\ncores: 1\nmemory: %s\nname: lab-pve-vm\nballoon: %s\n' "$VM_MEM" "$VM_MEM" \
		>"$LAB/pve/qemu-server/$PVE_VMID.conf"
	start_vm pvevm "$PVE_VM_CG" lab-pve-vm proxmox-vm "$PVE_VMID"
}
# The libvirt VM: a domain a real libvirtd runs (TCG, the test guest's
# kernel and initramfs, a virtio balloon reporting every 2 s, virtio-net
# on a lab bridge with link-local addresses, a virtio disk). A libvirtd
# that already answers (another user's) is used, never stopped; else the
# lab starts virtlogd and libvirtd with pid files of its own.
V() { timeout 20 virsh -q -c qemu:///system "$@"; }
lv_pid() {  # lv_pid D: pid in D's pid file, if that daemon is alive
	local p
	p=$(cat "$LAB/libvirt/$1.pid" 2>/dev/null) && alive "$p" && echo "$p"
}
ensure_libvirtd() {
	local i pid
	V version >/dev/null 2>&1 && return 0
	need_pkgs qemu-system-x86 busybox-static cpio xz-utils libvirt-daemon-system libvirt-clients ||
		{ echo "apt-get install libvirt-daemon-system failed (see $LAB/apt.log)"; return 1; }
	mkdir -p "$LAB/libvirt"
	# libvirt-daemon-system's own instance is not running (no systemd);
	# in the lab's daemon cgroup, as dockerd (its domains get their own)
	(cg_enter "$DAEMON_CG" "$BASHPID"; exec virtlogd -d -p "$LAB/libvirt/virtlogd.pid") 2>"$LAB/libvirt/start.err"
	pid=$(lv_pid virtlogd) && made daemon virtlogd "$pid"
	(cg_enter "$DAEMON_CG" "$BASHPID"; exec libvirtd -d -p "$LAB/libvirt/libvirtd.pid") 2>>"$LAB/libvirt/start.err"
	for ((i = 0; i < 100; i++)); do V version >/dev/null 2>&1 && break; sleep 0.1; done
	pid=$(lv_pid libvirtd) && made daemon libvirtd "$pid"
	V version >/dev/null 2>&1 || { echo "libvirtd does not answer: $(tail -1 "$LAB/libvirt/start.err")"; return 1; }
}
start_lvvm() {
	local img=$LV_IMG pid id cg why
	why=$(ensure_libvirtd) || { skipped lvvm "$why"; return 1; }
	V dominfo "$LV_NAME" >/dev/null 2>&1 &&
		{ skipped lvvm "libvirt already has a domain $LV_NAME (another lab?)"; return 1; }
	local rc=0
	VTAX_INSTALL_DEPS=1 bash "$LIB/guest-image.sh" >"$LAB/lvvm.image" 2>&1 || rc=$?
	[ $rc -eq 77 ] && { skipped lvvm "no guest image: $(tail -1 "$LAB/lvvm.image")"; return 1; }
	[ $rc -ne 0 ] && { broken lvvm "no guest image: $(tail -1 "$LAB/lvvm.image")"; return 1; }
	local cache=${VTAX_GUEST_CACHE:-${VTAX_TEST_CACHE:-/var/cache/vtax-test}/guest}
	made path "$img"
	mkdir -p "$img"
	cp "$cache/vmlinux" "$cache/initramfs.cpio.gz" "$img/"
	truncate -s 32M "$img/disk.raw"
	ip link show "$LV_BR" >/dev/null 2>&1 || { skipped lvvm "no lab bridge $LV_BR (see the lab's start)"; return 1; }
	# the lab's workload, then 8 MB written to the disk and read back and
	# 25 pings to the bridge: quiet once done, so that the counters hold
	# still while vtax and virsh are compared. The test guest's knobs for
	# that: vda_mb and ping (VTAXPING when done), in older images disk_mb
	# and net (VTAXNET)
	local work="vtax.vda_mb=8 vtax.ping=169.254.71.2,169.254.71.1,25" done=VTAXPING
	if ! grep -q 'vtax\.ping=' "$LIB/guest-init.sh"; then
		work="vtax.disk_mb=8 vtax.net=169.254.71.2,169.254.71.1,25" done=VTAXNET
	fi
	cat >"$LAB/lvvm.xml" <<XML
<domain type='qemu'>
  <name>$LV_NAME</name>
  <memory unit='MiB'>$VM_MEM</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$img/vmlinux</kernel>
    <initrd>$img/initramfs.cpio.gz</initrd>
    <cmdline>console=ttyS0 quiet panic=-1 $(vm_append) $work</cmdline>
  </os>
  <on_reboot>destroy</on_reboot>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw' cache='none'/>
      <source file='$img/disk.raw'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='bridge'>
      <source bridge='$LV_BR'/>
      <model type='virtio'/>
    </interface>
    <serial type='file'><source path='$LAB/lvvm.log'/></serial>
    <memballoon model='virtio'><stats period='2'/></memballoon>
  </devices>
</domain>
XML
	made lvdom "$LV_NAME"
	V create "$LAB/lvvm.xml" >"$LAB/lvvm.start" 2>&1 ||
		{ skipped lvvm "virsh create failed: $(grep . "$LAB/lvvm.start" | tail -1)"; return 1; }
	id=$(V domid "$LV_NAME") pid=$(cat "/run/libvirt/qemu/$LV_NAME.pid" 2>/dev/null)
	# libvirt's own layout without systemd: /machine/qemu-ID-NAME.libvirt-qemu
	cg=$(awk -F: '$2 == "memory" { print $3 }' "/proc/$pid/cgroup" 2>/dev/null)
	[ -n "$id" ] && [ -n "$pid" ] && [ -n "$cg" ] ||
		{ skipped lvvm "libvirt's domain has no id, pid or memory cgroup ($id, $pid, $cg)"; return 1; }
	[ -n "$VM_QUOTA" ] && [ "$BURN" = 1 ] && cg_quota "$cg" "$VM_QUOTA"
	guest lvvm "kind=vm" "runtime=libvirt" "id=$id" "name=$LV_NAME" "cgroup=$cg" "pid=$pid" \
		"helper=" "helper_pid=" "log=$LAB/lvvm.log" "qmp=" "ready=vm" "settled=$done"
}

lxc_conf() {  # lxc_conf FILE NAME ROOT TAG [pve]
	{
		if has_net "$4"; then
			# on the lab bridge; the Proxmox CT's host end named as
			# pve-container names it
			echo 'lxc.net.0.type = veth'
			echo "lxc.net.0.link = $LAB_BR"
			echo 'lxc.net.0.flags = up'
			echo 'lxc.net.0.name = eth0'
			echo "lxc.net.0.ipv4.address = ${NET_IP[$4]}/16"
			[ "${5:-}" = pve ] && echo "lxc.net.0.veth.pair = veth${PVE_CTID}i0"
		else
			echo 'lxc.net.0.type = empty'
		fi
		echo 'lxc.apparmor.profile = unconfined'
		echo "lxc.rootfs.path = dir:$3"
		echo 'lxc.mount.auto = proc:mixed sys:mixed cgroup:mixed'
		echo 'lxc.autodev = 1'
		echo "lxc.uts.name = $2"
		if [ "${5:-}" = pve ]; then
			# what pve-container writes (LXC 4+/5 keys)
			echo "lxc.cgroup.dir.container = lxc/$PVE_CTID"
			echo "lxc.cgroup.dir.monitor = lxc.monitor/$PVE_CTID"
			echo 'lxc.cgroup.dir.container.inner = ns'
			echo 'lxc.cgroup.dir.monitor.pivot = lxc.pivot'
		fi
		if [ "$BURN" = 1 ]; then
			if [ -d /sys/fs/cgroup/cpu ]; then
				echo 'lxc.cgroup.cpu.cfs_period_us = 100000'
				echo "lxc.cgroup.cpu.cfs_quota_us = $((QUOTA * 1000))"
			else
				echo "lxc.cgroup2.cpu.max = $((QUOTA * 1000)) 100000"
			fi
		fi
	} >"$1"
}
start_lxc_common() {  # TAG NAME PAYLOAD_CG MONITOR_CG [pve]
	local tag=$1 name=$2 lxcp=$LAB/lxc pid mon
	need_pkgs lxc busybox-static || { skipped "$tag" "apt-get install lxc failed"; return 1; }
	# the busybox template's root, built here: lxc-create -t busybox takes
	# 12 s on a busy 2-core machine, this takes none
	make_rootfs
	local root=$lxcp/$name/rootfs
	mkdir -p "$lxcp/$name"
	cp -a "$LAB/rootfs" "$root"
	lxc_conf "$LAB/$tag.conf" "$name" "$root" "$tag" "${5:-}"
	if ! lxc-create -P "$lxcp" -n "$name" -t none -f "$LAB/$tag.conf" >"$LAB/$tag.create" 2>&1; then
		skipped "$tag" "lxc-create failed: $(tail -1 "$LAB/$tag.create")"
		lxc-destroy -P "$lxcp" -n "$name" >/dev/null 2>&1
		return 1
	fi
	made lxc "$name"
	# shellcheck disable=SC2046 # the workload's three numbers
	if ! lxc-start -P "$lxcp" -n "$name" -o "$LAB/$tag.lxclog" -- /bin/sh /lab-work.sh $(ct_args) /lab /rdy/ready; then
		skipped "$tag" "lxc-start failed: $(tail -1 "$LAB/$tag.lxclog" 2>/dev/null)"
		return 1
	fi
	pid=$(lxc-info -P "$lxcp" -n "$name" -pH 2>/dev/null)
	mon=$(pid_of_cmd "[lxc monitor] $lxcp $name" | head -1)
	# shellcheck disable=SC2046 # key=value words
	guest "$tag" "kind=container" "runtime=$6" "id=$7" "name=$8" "cgroup=$3" "pid=$pid" \
		"helper=lxc monitor" "helper_pid=$mon" "helper_cg=$4" "ready=$root/rdy/ready" \
		"disk_dir=$root/lab" $(net_rec "$tag" eth0 "$LAB_SRV")
}
start_lxc() {
	start_lxc_common lxc lab-lxc /lxc.payload.lab-lxc /lxc.monitor.lab-lxc "" lxc lab-lxc lab-lxc
}
start_pvect() {
	mkdir -p "$LAB/pve/lxc"
	printf 'arch: amd64\ncores: 1\nhostname: lab-pve-ct\nmemory: 512\n' >"$LAB/pve/lxc/$PVE_CTID.conf"
	start_lxc_common pvect "$PVE_CTID" "/lxc/$PVE_CTID" "/lxc.monitor/$PVE_CTID" pve \
		proxmox-ct "$PVE_CTID" lab-pve-ct
}

ensure_dockerd() {
	[ -S "$LAB/docker.sock" ] && D info >/dev/null 2>&1 && return 0
	need_pkgs docker.io || { echo "apt-get install docker.io failed"; return 1; }
	mkdir -p "$LAB/docker"
	(cg_enter "$DAEMON_CG" "$BASHPID"
		exec dockerd --iptables=false --ip6tables=false --bridge=none -H "unix://$LAB/docker.sock" \
		--data-root "$LAB/docker/data" --exec-root "$LAB/docker/exec" \
		--pidfile "$LAB/docker/dockerd.pid" >"$LAB/docker/dockerd.log" 2>&1) &
	made daemon dockerd $!
	local i
	for ((i = 0; i < 150; i++)); do D info >/dev/null 2>&1 && break; sleep 0.1; done
	D info >/dev/null 2>&1 || { echo "dockerd does not answer: $(tail -1 "$LAB/docker/dockerd.log")"; return 1; }
	make_rootfs
	D import "$LAB/rootfs.tar" vtax-lab-busybox:1 >/dev/null || { echo "docker import failed"; return 1; }
}
start_docker() {
	local why id pid shim
	why=$(ensure_dockerd) || { skipped docker "$why"; return 1; }
	mkdir -p "$LAB/rdy/docker"
	local cpus=()
	[ "$BURN" = 1 ] && cpus=(--cpus "$(awk -v q="$QUOTA" 'BEGIN { printf "%.2f", q / 100 }')")
	local net=(--network none)
	docker_net && net=(--network "$DK_NET" --ip "${NET_IP[docker]}")
	# shellcheck disable=SC2046
	id=$(D run -d --name lab-docker "${net[@]}" "${cpus[@]}" -v "$LAB/rdy/docker:/rdy" \
		vtax-lab-busybox:1 /bin/sh /lab-work.sh $(ct_args) /lab /rdy/ready 2>"$LAB/docker/run.err") ||
		{ skipped docker "docker run failed: $(tail -1 "$LAB/docker/run.err")"; return 1; }
	made ctcg "/docker/$id"
	pid=$(D inspect -f '{{.State.Pid}}' "$id")
	shim=$(pid_of_cmd "-id $id" | head -1)
	local nr=()
	[ "${net[1]}" = "$DK_NET" ] && nr=("net_ip=${NET_IP[docker]}" net_dev=eth0 "net_srv=$DK_SRV")
	guest docker "kind=container" "runtime=docker" "id=$id" "name=lab-docker" "cgroup=/docker/$id" \
		"pid=$pid" "helper=containerd-shim" "helper_pid=$shim" "ready=$LAB/rdy/docker/ready" \
		"disk_exec=docker" "${nr[@]}"
}
# docker_net: Docker's user-defined bridge network DK_NET (its bridge
# device DK_BR), joined by the lab's namespace as DK_SRV; 1 without
docker_net() {
	has_net docker || return 1
	D network inspect "$DK_NET" >/dev/null 2>&1 && return 0
	made link "$DK_BR"
	D network create --driver bridge --subnet 169.254.72.0/24 --gateway 169.254.72.1 \
		-o com.docker.network.bridge.name="$DK_BR" "$DK_NET" >/dev/null 2>"$LAB/docker/net.err" ||
		{ say "docker network create failed: $(tail -1 "$LAB/docker/net.err"); lab-docker without a network"; return 1; }
	made link vtaxlabp1
	ip link add vtaxlabp1 type veth peer name eth1 netns "$LAB_NS" && ip link set vtaxlabp1 master "$DK_BR" up &&
		ip -n "$LAB_NS" addr add "$DK_SRV/24" dev eth1 && ip -n "$LAB_NS" link set eth1 up ||
		{ say "cannot join $LAB_NS to $DK_BR: lab-docker without a network"; return 1; }
}

ensure_podman() {
	[ -S "$LAB/podman.sock" ] && return 0
	need_pkgs podman || { echo "apt-get install podman failed"; return 1; }
	mkdir -p "$LAB/podman/tmp"
	(cg_enter "$DAEMON_CG" "$BASHPID"; exec podman --root "$LAB/podman/root" --runroot "$LAB/podman/run" \
		--tmpdir "$LAB/podman/tmp" --cgroup-manager cgroupfs --events-backend file \
		system service --time=0 "unix://$LAB/podman.sock" >"$LAB/podman/service.log" 2>&1) &
	made daemon podman $!
	local i
	for ((i = 0; i < 100; i++)); do [ -S "$LAB/podman.sock" ] && break; sleep 0.1; done
	[ -S "$LAB/podman.sock" ] || { echo "podman system service did not listen"; return 1; }
	make_rootfs
	P import "$LAB/rootfs.tar" vtax-lab-busybox:1 >/dev/null 2>&1 || { echo "podman import failed"; return 1; }
}
start_podman() {
	local why id pid conmon
	why=$(ensure_podman) || { skipped podman "$why"; return 1; }
	mkdir -p "$LAB/rdy/podman"
	local cpus=()
	[ "$BURN" = 1 ] && cpus=(--cpus "$(awk -v q="$QUOTA" 'BEGIN { printf "%.2f", q / 100 }')")
	# its network: a namespace the lab makes, with a veth on the lab
	# bridge (podman's own network stack would write the host's firewall)
	local net=(--network none) nr=()
	if has_net podman; then
		made netns vtaxlab-pod
		made link vtaxlabpo0
		if ip netns add vtaxlab-pod && ip link add vtaxlabpo0 type veth peer name eth0 netns vtaxlab-pod &&
			ip link set vtaxlabpo0 master "$LAB_BR" up &&
			ip -n vtaxlab-pod addr add "${NET_IP[podman]}/16" dev eth0 && ip -n vtaxlab-pod link set eth0 up &&
			ip -n vtaxlab-pod link set lo up; then
			net=(--network ns:/run/netns/vtaxlab-pod)
			nr=("net_ip=${NET_IP[podman]}" net_dev=eth0 "net_srv=$LAB_SRV")
		else
			say "podman: its namespace could not be set up: lab-podman without a network"
		fi
	fi
	# shellcheck disable=SC2046
	id=$(P run -d --name lab-podman "${net[@]}" --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 \
		"${cpus[@]}" -v "$LAB/rdy/podman:/rdy" vtax-lab-busybox:1 \
		/bin/sh /lab-work.sh $(ct_args) /lab /rdy/ready 2>"$LAB/podman/run.err" | tail -1) ||
		{ skipped podman "podman run failed: $(tail -1 "$LAB/podman/run.err")"; return 1; }
	[ -n "$id" ] || { skipped podman "podman run failed: $(tail -1 "$LAB/podman/run.err")"; return 1; }
	made ctcg "/libpod_parent/libpod-$id"
	pid=$(P inspect -f '{{.State.Pid}}' "$id")
	conmon=$(pid_of_cmd "-c $id" | head -1)
	guest podman "kind=container" "runtime=podman" "id=$id" "name=lab-podman" \
		"cgroup=/libpod_parent/libpod-$id" "pid=$pid" "helper=conmon" "helper_pid=$conmon" \
		"ready=$LAB/rdy/podman/ready" "disk_exec=podman" "${nr[@]}"
}

start_nspawn() {
	need_pkgs systemd-container || { skipped nspawn "apt-get install systemd-container failed"; return 1; }
	make_rootfs
	local root=$LAB/nspawn-root pid i child
	rm -rf "$root"
	cp -a "$LAB/rootfs" "$root"
	[ -d /run/systemd/nspawn ] || made rundir /run/systemd/nspawn
	cg_make "$NSPAWN_CG"
	[ "$BURN" = 1 ] && cg_quota "$NSPAWN_CG" "$QUOTA"
	# nspawn makes payload/ and supervisor/ below the cgroup it starts in
	# shellcheck disable=SC2046
	local veth=()
	has_net nspawn && veth=(--network-veth) && made link ve-lab-nspawn
	(cg_enter "$NSPAWN_CG" "$BASHPID"; exec setsid systemd-nspawn --register=no --keep-unit -q "${veth[@]}" \
		-D "$root" -M lab-nspawn --console=pipe /bin/sh /lab-work.sh $(ct_args) /lab /rdy/ready \
		</dev/null >"$LAB/nspawn.log" 2>&1) &
	pid=$!
	# stop sends nspawn SIGTERM first: it then kills its payload and
	# removes what it keeps in /run/systemd/nspawn
	made cgroup "$NSPAWN_CG"
	# what nspawn keeps for this machine (removed by nspawn itself, unless
	# it had to be killed)
	made nspawnstate /run/systemd/nspawn/propagate/lab-nspawn \
		"/run/systemd/nspawn/locks/inode-$(stat -c '%d:%i' "$root")"
	made daemon nspawn "$pid"
	for ((i = 0; i < 50; i++)); do
		child=$(cat "/sys/fs/cgroup/unified$NSPAWN_CG/payload/cgroup.procs" 2>/dev/null | head -1)
		[ -n "$child" ] && break
		alive "$pid" || break
		sleep 0.1
	done
	alive "$pid" || { skipped nspawn "systemd-nspawn exited: $(tail -1 "$LAB/nspawn.log")"; return 1; }
	# --network-veth: host0 inside, ve-lab-nspawn outside, which the lab
	# puts on its bridge (nspawn leaves both down without networkd)
	local nr=()
	if [ ${#veth[@]} -gt 0 ] && [ -n "${child:-}" ]; then
		if ip link set ve-lab-nspawn master "$LAB_BR" up && ct_addr "$child" host0 "${NET_IP[nspawn]}"; then
			nr=("net_ip=${NET_IP[nspawn]}" net_dev=host0 "net_srv=$LAB_SRV")
		else
			say "nspawn: its veth could not be set up: lab-nspawn without a network"
		fi
	fi
	guest nspawn "kind=container" "runtime=nspawn" "id=lab-nspawn" "name=lab-nspawn" \
		"cgroup=$NSPAWN_CG" "pid=${child:-}" "helper=nspawn supervisor" "helper_pid=$pid" \
		"helper_cg=$NSPAWN_CG/supervisor" "ready=$root/rdy/ready" "disk_dir=$root/lab" "${nr[@]}"
}

start_ns() {
	local d=$LAB/ns pid
	need_pkgs util-linux busybox-static || { skipped ns "apt-get install util-linux failed"; return 1; }
	mkdir -p "$d"
	workload_script >"$d/work.sh"
	cg_make "$NS_CG"
	[ "$BURN" = 1 ] && cg_quota "$NS_CG" "$QUOTA"
	# busybox for the workload's applets; a plain namespace container
	# shares the host's root
	# shellcheck disable=SC2046
	(cg_enter "$NS_CG" "$BASHPID"; exec setsid unshare --fork --pid --mount-proc --uts --ipc --net \
		busybox sh "$d/work.sh" $(ct_args) "$d" "$d/ready" </dev/null >"$d/log" 2>&1) &
	pid=$!
	made daemon unshare "$pid"
	# stop kills the cgroup first, then waits for the daemon
	made cgroup "$NS_CG"
	# a veth made by hand: eth0 inside, vtaxlabns0 on the lab bridge
	local nr=()
	if has_net ns; then
		made link vtaxlabns0
		if ns_wait "$pid" && ip link add vtaxlabns0 type veth peer name eth0 netns "$pid" &&
			ip link set vtaxlabns0 master "$LAB_BR" up && ct_addr "$pid" eth0 "${NET_IP[ns]}"; then
			nr=("net_ip=${NET_IP[ns]}" net_dev=eth0 "net_srv=$LAB_SRV")
		else
			say "ns: its veth could not be set up: lab-ns without a network"
		fi
	fi
	guest ns "kind=container" "runtime=lxc" "id=lab-ns" "name=lab-ns" "cgroup=$NS_CG" "pid=$pid" \
		"helper=" "helper_pid=" "ready=$d/ready" "disk_dir=$d" "${nr[@]}"
}

# --- start / status / stop ------------------------------------------------

# lab_opts ARGS...: the options start and taxtable share
lab_opts() {
	SPEC=idle ONLY=$ALL_TAGS QUOTA=30 VM_QUOTA="" VM_MEM=256 PHASES="idle,burn,mem"
	while [ $# -gt 0 ]; do
		case $1 in
			--workload) SPEC=${2:?}; shift 2 ;;
			--only) ONLY=${2:?}; ONLY=${ONLY//,/ }; shift 2 ;;
			--quota) QUOTA=${2:?}; shift 2 ;;
			--vm-quota) VM_QUOTA=${2:?}; shift 2 ;;
			--vm-mem) VM_MEM=${2:?}; shift 2 ;;
			--phases) PHASES=${2:?}; shift 2 ;;
			*) die "unknown option $1" ;;
		esac
	done
	local tag
	for tag in $ONLY; do
		case " $ALL_TAGS " in *" $tag "*) ;; *) die "unknown guest $tag ($ALL_TAGS)" ;; esac
	done
}

# tag_cgroups TAG...: the fixed cgroups of those guests (one per line)
tag_cgroups() {
	local tag
	for tag in "$@"; do
		case $tag in
			pvevm) echo "$PVE_VM_CG" ;;
			lxc) printf '%s\n' /lxc.payload.lab-lxc /lxc.monitor.lab-lxc ;;
			pvect) printf '%s\n' "/lxc/$PVE_CTID" "/lxc.monitor/$PVE_CTID" ;;
			nspawn) echo "$NSPAWN_CG" ;;
			ns) echo "$NS_CG" ;;
		esac
	done
}

# lab_init: a fresh state directory
lab_init() {
	[ "$(id -u)" -eq 0 ] || die "needs root"
	[ -e "$LAB/made" ] && die "$LAB: a lab is running (lab.sh stop first)"
	# the guests' names are fixed: a second lab would collide with the
	# first, unless it starts only guests the first does not run
	local rel h p
	# shellcheck disable=SC2086 # a list of tags
	for rel in $(tag_cgroups $ONLY); do
		for h in $(cg_hierarchies); do
			[ -d "$h$rel" ] && die "cgroup $h$rel exists: another lab runs (VTAX_LAB_DIR=... lab.sh stop)"
		done
	done
	ip link show "$LAB_BR" >/dev/null 2>&1 &&
		die "link $LAB_BR exists: another lab runs (VTAX_LAB_DIR=... lab.sh stop)"
	[ -e "/run/netns/$LAB_NS" ] && die "network namespace $LAB_NS exists: another lab runs (VTAX_LAB_DIR=... lab.sh stop)"
	mkdir -p "$LAB/g"
	: >"$LAB/made"; : >"$LAB/tags"; : >"$LAB/skipped"; : >"$LAB/broken"
	echo "$SPEC" >"$LAB/workload"
	echo "$ONLY" >"$LAB/only"
	cg_make "$DAEMON_CG"
	made cgroup "$DAEMON_CG"
	lab_net || true
	for p in $SHARED_PARENTS; do
		for h in $(cg_hierarchies); do [ -d "$h$p" ] || echo "$h$p"; done
	done >"$LAB/parents-missing"
}

# wait_ready: until every guest's workload is in place
wait_ready() {
	local tag ready settled
	for tag in $(cat "$LAB/tags"); do
		ready=$(sed -n 's/^ready=//p' "$LAB/g/$tag")
		if [ "$ready" = vm ]; then
			bash "$LIB/qemu-guest.sh" wait-ready "$LAB/$tag.log" 120 >/dev/null 2>&1 ||
				say "$tag: the guest did not report ready; see $LAB/$tag.log"
			# and, where it has one, until its last line of work
			settled=$(sed -n 's/^settled=//p' "$LAB/g/$tag")
			[ -n "$settled" ] && ! wait_log "$LAB/$tag.log" "$settled" 120 &&
				say "$tag: no $settled from the guest after 120 s; see $LAB/$tag.log"
		else
			wait_file "$ready" 60 || say "$tag: workload not ready after 60 s"
		fi
	done
}

cmd_start() {
	local tag
	lab_opts "$@"
	parse_workload "$SPEC"
	lab_init
	for tag in $ONLY; do "start_$tag" || true; done
	wait_ready
	cmd_status
}

cmd_vtax_opts() {
	local o=""
	[ -d "$LAB/pve" ] && o+=" --pve-dir $LAB/pve"
	[ -S "$LAB/docker.sock" ] && o+=" --docker-socket $LAB/docker.sock"
	[ -S "$LAB/podman.sock" ] && o+=" --podman-socket $LAB/podman.sock"
	[ -S "$LAB/pvevm.qmp" ] && o+=" --enable-balloon-stats"
	echo "${o# }"
}

declare -A G
load() {  # load TAG: its record into G
	local k v
	G=()
	while IFS='=' read -r k v; do G[$k]=$v; done <"$LAB/g/$1"
}

cmd_status() {
	[ -e "$LAB/tags" ] || { echo "no lab in $LAB"; return 1; }
	local tag
	printf 'lab in %s, workload %s\n' "$LAB" "$(cat "$LAB/workload")"
	printf '%-7s %-10s %-12s %-11s %-8s %-22s %s\n' TAG RUNTIME ID NAME PID HELPER CGROUP
	for tag in $(cat "$LAB/tags"); do
		load "$tag"
		printf '%-7s %-10s %-12s %-11s %-8s %-22s %s\n' "$tag" "${G[runtime]}" "${G[id]:0:12}" \
			"${G[name]}" "${G[pid]}" "${G[helper]:+${G[helper]} ${G[helper_pid]}}" "${G[cgroup]}"
	done
	[ -s "$LAB/skipped" ] && { echo "skipped:"; sed 's/^/  /' "$LAB/skipped"; }
	if [ -f "$LAB/g/lvvm" ]; then
		local p
		p=$(sed -n 's/^daemon libvirtd //p' "$LAB/made")
		if [ -n "$p" ]; then echo "libvirtd: the lab's, pid $p"; else echo "libvirtd: one that already ran (the lab leaves it running)"; fi
	fi
	echo "vtax options: $(cmd_vtax_opts)"
}

# every lab leftover, one per line (empty: clean)
leftovers() {
	local h p rel
	# processes the lab made: anything whose command line names the lab
	# directory, or that sits in a lab cgroup
	for p in $(pid_of_cmd "$LAB"); do
		[ "$p" = "$$" ] || [ "$p" = "$BASHPID" ] && continue
		grep -q "^PPid:[[:space:]]*$$\$" "/proc/$p/status" 2>/dev/null && continue
		echo "process $p: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-120)"
	done
	# (only the guests this lab started: another may run the others)
	# shellcheck disable=SC2046 # lists of tags and of cgroups
	for rel in "$DAEMON_CG" $(tag_cgroups $(cat "$LAB/only" 2>/dev/null || echo "$ALL_TAGS")) \
		$(sed -n 's/^ctcg //p' "$LAB/made" 2>/dev/null); do
		for h in $(cg_hierarchies); do [ -d "$h$rel" ] && echo "cgroup $h$rel"; done
	done
	# libvirt's cgroups of the lab's domain, wherever libvirtd put them
	grep -q '^lvdom ' "$LAB/made" && for h in $(cg_hierarchies); do
		find "$h" -maxdepth 4 -type d -name "qemu-*-$LV_NAME.libvirt-qemu" 2>/dev/null | sed 's/^/cgroup /'
	done
	while read -r what a _; do
		case $what in
			link) ip link show "$a" >/dev/null 2>&1 && echo "link $a" ;;
			netns) [ -e "/run/netns/$a" ] && echo "network namespace $a" ;;
			path) [ -e "$a" ] && echo "path $a" ;;
			lvdom) V dominfo "$a" >/dev/null 2>&1 && echo "libvirt domain $a" ;;
		esac
	done <"$LAB/made"
	awk -v l="$LAB" 'index($2, l) == 1 { print "mount " $2 }' /proc/self/mounts
	sed -n 's/^nspawnstate //p' "$LAB/made" | tr ' ' '\n' | while read -r p; do
		[ -e "$p" ] && echo "nspawn state $p"
	done
	while read -r what a b; do
		case $what in
			daemon) alive "$b" && echo "daemon $a pid $b still running" ;;
		esac
	done <"$LAB/made"
	[ -d "$LAB/lxc" ] && lxc-ls -P "$LAB/lxc" 2>/dev/null | tr ' ' '\n' | grep . | sed 's/^/lxc container /'
	return 0
}

cmd_stop() {
	[ -e "$LAB/made" ] || { [ -d "$LAB" ] && rm -rf "$LAB"; echo "no lab in $LAB"; return 0; }
	local what a b c rc=0 p i
	# in reverse order of making
	while read -r what a b c; do
		case $what in
			vm) VTAX_GUEST_RUNDIR=$LAB/vm bash "$LIB/qemu-guest.sh" stop "$LAB/$a.pid" --cgroup "$b" >/dev/null 2>&1 ;;
			lxc) lxc-stop -P "$LAB/lxc" -n "$a" -k >/dev/null 2>&1
				lxc-destroy -P "$LAB/lxc" -n "$a" >/dev/null 2>&1 ;;
			cgroup) cg_kill "$a"; sleep 0.3; cg_remove "$a" ;;
			nspawnstate) rmdir "$a" 2>/dev/null; rm -f "$b" ;;
			lvdom) V destroy "$a" >/dev/null 2>&1
				for ((i = 0; i < 50; i++)); do V dominfo "$a" >/dev/null 2>&1 || break; sleep 0.1; done
				rm -f "/var/log/libvirt/qemu/$a.log" ;;
			link) ip link del "$a" 2>/dev/null ;;
			netns) ip netns del "$a" 2>/dev/null ;;
			path) rm -rf "$a" ;;
			daemon)
				case $a in
					dockerd)
						D ps -aq 2>/dev/null | xargs -r docker -H "unix://$LAB/docker.sock" rm -f >/dev/null 2>&1
						D network rm "$DK_NET" >/dev/null 2>&1
						D rmi -f vtax-lab-busybox:1 >/dev/null 2>&1
						# dockerd stops the containerd it started
						c=$(cat "$LAB/docker/exec/containerd/containerd.pid" 2>/dev/null)
						kill_wait "$b" 10
						[ -n "$c" ] && kill_wait "$c" 5 ;;
					podman)
						P rm -a -f -t 0 >/dev/null 2>&1
						P rmi -a -f >/dev/null 2>&1
						kill_wait "$b" 5
						P system reset -f >/dev/null 2>&1 ;;
					nspawn) kill_wait "$b" 10 ;;
					libvirtd)
						# it removes its sockets on SIGTERM, not when killed:
						# stale ones would read as a refusing libvirtd
						kill_wait "$b" 15 || true
						if [ -S /run/libvirt/libvirt-sock ] && ! V version >/dev/null 2>&1; then
							rm -f /run/libvirt/libvirt-sock /run/libvirt/libvirt-sock-ro /run/libvirt/libvirt-admin-sock
						fi ;;
					*) kill_wait "$b" 2 ;;
				esac ;;
		esac
		[ -n "${LAB_TRACE:-}" ] && say "$SECONDS s: $what $a"
	done < <(tac "$LAB/made")
	# containerd-shims or conmons of containers a killed daemon left
	for p in $(pid_of_cmd "$LAB"); do
		[ "$p" = "$$" ] || [ "$p" = "$BASHPID" ] && continue
		grep -q "^PPid:[[:space:]]*$$\$" "/proc/$p/status" 2>/dev/null && continue
		kill_wait "$p" 3
	done
	awk -v l="$LAB" 'index($2, l) == 1 { print $2 }' /proc/self/mounts | sort -r | xargs -r umount -l 2>/dev/null
	# run-time directories only the lab's runtimes made
	sed -n 's/^rundir //p' "$LAB/made" | while read -r p; do
		[ -d "$p" ] && find "$p" -depth -type d | while read -r d; do rmdir "$d" 2>/dev/null; done
	done
	# parents the lab created (deepest first; only when empty: another
	# user of the host may have put guests there since)
	sort -r "$LAB/parents-missing" | while read -r p; do
		[ -d "$p" ] && find "$p" -depth -type d | while read -r d; do rmdir "$d" 2>/dev/null; done
	done
	local left
	left=$(leftovers)
	if [ -n "$left" ]; then
		say "left behind:"; echo "$left" | sed 's/^/  /' >&2
		rc=1
	else
		rm -rf "$LAB" || rc=1
		[ -e "$LAB" ] && { say "cannot remove $LAB"; rc=1; }
		[ $rc -eq 0 ] && say "stopped; nothing left (processes, cgroups, mounts, containers, daemons)"
	fi
	return $rc
}

case ${1:-} in
	start) shift; cmd_start "$@" ;;
	status) cmd_status ;;
	vtax-opts) cmd_vtax_opts ;;
	stop) cmd_stop ;;
	taxtable) shift; . "$HERE/taxtable.sh"; taxtable "$@" ;;
	*) sed -n '2,/^set -u/s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
esac
