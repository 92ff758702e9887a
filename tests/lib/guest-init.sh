#!/bin/sh
# shellcheck shell=sh
#
# /init of the vtax test guest (busybox ash, PID 1).  guest-image.sh copies
# this file into the initramfs; it never runs on the host.
#
# Kernel command line parameters it reads (from /proc/cmdline):
#   vtax.anon_mb=N   keep N MB of touched anonymous memory alive
#   vtax.cache_mb=N  write N MB into a tmpfs file (counts as Cached/Shmem)
#   vtax.burn=1      one busy loop on a vCPU (vtax.burn=K: K loops)
#   vtax.vda_mb=N    at boot, write N MB to /dev/vda once, then read them back
#   vtax.ping=A,P,N  eth0 gets link-local address A/16, then N pings of
#                    1000 bytes to P, 5 a second (VTAXPING when done)
#   vtax.qga=1       start the QEMU guest agent on the virtio-serial port
#                    org.qemu.guest_agent.0
#   vtax.cpuphase=N  after VTAXREADY: N s of a user-space busy loop, then a
#                    syscall-heavy loop (dd bs=1) until the guest stops;
#                    with it, the guest's /proc/stat cpu line every second
#   vtax.disk_mb=N   after VTAXREADY and vtax.disk_wait=S seconds (default
#                    5), write N MB to each virtio disk (/dev/vd*) and sync,
#                    drop the page cache, read the N MB back
#   vtax.net=A,P,PORT,KB  eth0 (virtio_net) gets address A/16 (link-local);
#                    the guest sends KB KiB to P:PORT (busybox nc, retried
#                    until the peer listens) and reads what it sends back
#   vtax.fill_mb=N   keep N MB of anonymous memory holding one fixed 16-byte
#                    pattern (every page alike, in every guest: KSM merges it)
#
# Serial console protocol (one line each, ttyS0):
#   VTAXMOD ok|fail NAME       per module, at boot
#   VTAXMODS loaded=a,b failed=c
#   VTAXFILL mb=.. rss_kb=..   once, when the pattern is resident
#   VTAXWORK anon_mb=.. cache_mb=.. burn=.. anon_rss_kb=.. shmem_kb=.. anon_pages_kb=..
#   VTAXMEM total_kb=.. avail_kb=.. free_kb=.. cached_kb=.. buffers_kb=..  (every 2 s)
#   VTAXREADY                  once, after the workload is in place
#   VTAXQGA ok DEV | VTAXQGA fail WHY   (vtax.qga=1)
#   VTAXPHASE user | VTAXPHASE sys      (vtax.cpuphase=N) as each phase starts
#   VTAXSTAT cpu USER NICE SYSTEM IDLE IOWAIT IRQ SOFTIRQ STEAL ...  (every 1 s)
#   VTAXDISK before|after <the disk's /proc/diskstats line>   around the I/O
#   VTAXDISKDONE               once the disk I/O is done
#   VTAXNET start|done|now rx_bytes=.. rx_packets=.. tx_bytes=.. tx_packets=.. [got=..]
#                              eth0 in /proc/net/dev before and after the
#                              transfer (got: bytes read back), and every 2 s
#
# PID 1 must never exit: there is no `set -e` here and the script ends in
# an endless loop.

PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH

mount -t devtmpfs devtmpfs /dev 2>/dev/null
# The kernel gave us /dev/console from the initramfs; make sure anyway.
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mkdir -p /run /tmp
mount -t tmpfs -o mode=0755,size=1m tmpfs /run

# ---- modules -------------------------------------------------------------
loaded=
failed=
if [ -r /etc/vtax-modules ]; then
    while read -r mod file; do
        [ -n "$mod" ] || continue
        case $mod in '#'*) continue ;; esac
        if insmod "/lib/modules/$file" 2>/dev/null; then
            echo "VTAXMOD ok $mod"
            loaded="${loaded:+$loaded,}$mod"
        else
            echo "VTAXMOD fail $mod"
            failed="${failed:+$failed,}$mod"
        fi
    done </etc/vtax-modules
fi
echo "VTAXMODS loaded=$loaded failed=$failed"

# ---- parameters ----------------------------------------------------------
anon_mb=0
cache_mb=0
burn=0
disk_mb=0
vda_mb=0
net=
ping=
qga=0
cpuphase=0
disk_wait=5
fill_mb=0
num() {
    case $1 in
        '' | *[!0-9]*) echo 0 ;;
        *) echo "$1" ;;
    esac
}
read -r cmdline </proc/cmdline
for arg in $cmdline; do
    case $arg in
        vtax.anon_mb=*) anon_mb=$(num "${arg#*=}") ;;
        vtax.cache_mb=*) cache_mb=$(num "${arg#*=}") ;;
        vtax.burn=*) burn=$(num "${arg#*=}") ;;
        vtax.disk_mb=*) disk_mb=$(num "${arg#*=}") ;;
        vtax.vda_mb=*) vda_mb=$(num "${arg#*=}") ;;
        vtax.net=*) net=${arg#*=} ;;
        vtax.ping=*) ping=${arg#*=} ;;
        vtax.qga=*) qga=$(num "${arg#*=}") ;;
        vtax.cpuphase=*) cpuphase=$(num "${arg#*=}") ;;
        vtax.disk_wait=*) disk_wait=$(num "${arg#*=}") ;;
        vtax.fill_mb=*) fill_mb=$(num "${arg#*=}") ;;
    esac
done

# ---- helpers -------------------------------------------------------------
# field NAME FILE: value (first number) of "NAME: value ..." in FILE.
field() {
    while read -r k v _; do
        if [ "$k" = "$1:" ]; then
            echo "$v"
            return 0
        fi
    done <"$2"
    echo 0
}

meminfo_line() {
    t=0 a=0 f=0 c=0 b=0
    while read -r k v _; do
        case $k in
            MemTotal:) t=$v ;;
            MemAvailable:) a=$v ;;
            MemFree:) f=$v ;;
            Cached:) c=$v ;;
            Buffers:) b=$v ;;
        esac
    done </proc/meminfo
    echo "VTAXMEM total_kb=$t avail_kb=$a free_kb=$f cached_kb=$c buffers_kb=$b"
}

# ---- workload: page cache (tmpfs = shmem, counted in Cached) --------------
if [ "$cache_mb" -gt 0 ]; then
    mkdir -p /cache
    mount -t tmpfs -o "size=$((cache_mb + 8))m" tmpfs /cache
    dd if=/dev/zero of=/cache/fill bs=1M count="$cache_mb" 2>/dev/null ||
        echo "VTAXWARN cache fill failed"
fi

# ---- workload: anonymous memory ------------------------------------------
# There is no compiler in the guest.  busybox dd allocates one malloc()ed
# buffer of bs bytes (glibc serves it with an anonymous mmap), fills it from
# /dev/zero (which writes, i.e. touches, every page), then writes it to a
# FIFO whose only reader (a sleep) never reads: dd blocks in write(2)
# forever with the whole buffer resident.  Chunks of at most 256 MB.
anon_pids=
if [ "$anon_mb" -gt 0 ]; then
    mkfifo /run/anon.fifo
    # The reader: holds the FIFO open, never reads from it.
    # shellcheck disable=SC2217
    sleep 2147483647 </run/anon.fifo &
    left=$anon_mb
    while [ "$left" -gt 0 ]; do
        chunk=$left
        [ "$chunk" -gt 256 ] && chunk=256
        dd if=/dev/zero of=/run/anon.fifo bs="${chunk}M" count=1 \
            iflag=fullblock 2>/dev/null &
        anon_pids="$anon_pids $!:$chunk"
        left=$((left - chunk))
    done
    # Wait (up to ~120 s) until every dd has filled its buffer: it then
    # sleeps in pipe_write.  (RssAnon alone lags: the kernel syncs per-task
    # RSS counters in batches, so it can stay ~64 pages short.)
    tries=0
    while [ "$tries" -lt 1200 ]; do
        done_all=1
        for pc in $anon_pids; do
            pid=${pc%%:*}
            [ -r "/proc/$pid/wchan" ] || continue # died (OOM?): reported below
            wchan=
            read -r wchan <"/proc/$pid/wchan"
            [ "$wchan" = pipe_write ] && continue
            want=$((${pc#*:} * 1024))
            have=$(field RssAnon "/proc/$pid/status" 2>/dev/null)
            [ "${have:-0}" -ge "$want" ] || done_all=0
        done
        [ "$done_all" = 1 ] && break
        tries=$((tries + 1))
        sleep 0.1
    done
    [ "$done_all" = 1 ] || echo "VTAXWARN anon memory not fully resident"
fi

# ---- workload: a fixed pattern for KSM ------------------------------------
# As the anonymous memory above, from yes(1) instead of /dev/zero: 16-byte
# lines, and glibc's mmap()ed buffer starts 16 bytes into a page, so every
# page holds the same bytes (zero pages would be KSM's special case).
if [ "$fill_mb" -gt 0 ]; then
    mkfifo /run/fill.fifo
    # shellcheck disable=SC2217
    sleep 2147483647 </run/fill.fifo &
    yes vtax-ksm-fill-k | dd of=/run/fill.fifo bs="${fill_mb}M" count=1 \
        iflag=fullblock 2>/dev/null &
    fill_pid=$!
    tries=0 wchan=
    while [ "$tries" -lt 1200 ] && [ "$wchan" != pipe_write ]; do
        [ -r "/proc/$fill_pid/wchan" ] || break
        read -r wchan <"/proc/$fill_pid/wchan" # no newline: read's status is 1
        tries=$((tries + 1))
        sleep 0.1
    done
    echo "VTAXFILL mb=$fill_mb rss_kb=$(field RssAnon "/proc/$fill_pid/status")"
fi

# ---- workload: CPU burn --------------------------------------------------
i=0
while [ "$i" -lt "$burn" ]; do
    (while :; do :; done) &
    i=$((i + 1))
done

# ---- workload: virtio disk and network -----------------------------------
if [ "$vda_mb" -gt 0 ]; then
    if dd if=/dev/zero of=/dev/vda bs=1M count="$vda_mb" conv=fsync 2>/dev/null &&
        dd if=/dev/vda of=/dev/null bs=1M count="$vda_mb" iflag=direct 2>/dev/null; then
        echo "VTAXDISK wrote_mb=$vda_mb read_mb=$vda_mb"
    else
        echo "VTAXWARN disk workload failed"
    fi
fi
if [ -n "$ping" ]; then
    addr=${ping%%,*} rest=${ping#*,}
    peer=${rest%%,*} count=$(num "${rest#*,}")
    ip link set eth0 up && ip addr add "$addr/16" dev eth0 ||
        echo "VTAXWARN eth0 setup failed"
    (ping -q -c "$count" -i 0.2 -s 1000 "$peer" >/dev/null 2>&1
        echo "VTAXPING pings=$count peer=$peer") &
fi

# ---- workload: network ---------------------------------------------------
# netdev: eth0's counters from /proc/net/dev on the console ($what, $extra)
netdev() {
    while read -r l; do
        case $l in
            eth0:*)
                # shellcheck disable=SC2086 # the fields are the point
                set -- ${l#eth0:}
                echo "VTAXNET $what rx_bytes=$1 rx_packets=$2 tx_bytes=$9 tx_packets=${10}$extra"
                ;;
        esac
    done </proc/net/dev
}
if [ -n "${net:-}" ]; then
    old_ifs=$IFS
    IFS=,
    # shellcheck disable=SC2086 # split on commas
    set -- $net
    IFS=$old_ifs
    net_ip=$1 net_peer=$2 net_port=$(num "$3") net_kb=$(num "$4")
    ip link set lo up
    ip addr add "$net_ip/16" dev eth0 && ip link set eth0 up
    (
        what=start extra= netdev
        tries=0
        while [ "$tries" -lt 600 ]; do
            dd if=/dev/zero bs=1024 count="$net_kb" 2>/dev/null |
                nc "$net_peer" "$net_port" >/tmp/net.got 2>/dev/null &&
                [ -s /tmp/net.got ] && break
            tries=$((tries + 1))
            sleep 0.2
        done
        what=done extra=" got=$(wc -c </tmp/net.got)" netdev
    ) &
fi

# ---- report --------------------------------------------------------------
rss=0
for pc in $anon_pids; do
    if [ -r "/proc/${pc%%:*}/status" ]; then
        r=$(field RssAnon "/proc/${pc%%:*}/status")
        rss=$((rss + ${r:-0}))
    else
        echo "VTAXWARN anon holder ${pc%%:*} (${pc#*:} MB) died"
    fi
done
# ---- the QEMU guest agent -----------------------------------------------
if [ "$qga" -gt 0 ]; then
    dev=
    for p in /sys/class/virtio-ports/*; do
        [ -r "$p/name" ] || continue
        read -r n <"$p/name"
        [ "$n" = org.qemu.guest_agent.0 ] && dev=/dev/${p##*/}
    done
    if [ -z "$dev" ]; then
        echo "VTAXQGA fail no-port"
    elif [ ! -x /usr/sbin/qemu-ga ]; then
        echo "VTAXQGA fail no-binary"
    else
        mkdir -p /run/qga
        /usr/sbin/qemu-ga -m virtio-serial -p "$dev" -t /run/qga -f /run/qga/pid \
            -l /run/qga/log &
        echo "VTAXQGA ok $dev"
    fi
fi

echo "VTAXWORK anon_mb=$anon_mb cache_mb=$cache_mb burn=$burn" \
    "anon_rss_kb=$rss shmem_kb=$(field Shmem /proc/meminfo)" \
    "anon_pages_kb=$(field AnonPages /proc/meminfo)"
meminfo_line
echo VTAXREADY

# ---- workload: CPU phases, with the guest's own view ---------------------
if [ "$cpuphase" -gt 0 ]; then
    (while :; do
        read -r l </proc/stat
        echo "VTAXSTAT $l"
        sleep 1
    done) &
    echo "VTAXPHASE user"
    (while :; do :; done) &
    userpid=$!
    sleep "$cpuphase"
    kill "$userpid"
    echo "VTAXPHASE sys"
    # one byte per read and write: the guest kernel's syscall path
    (while :; do dd if=/dev/zero of=/dev/null bs=1 count=1000000 2>/dev/null; done) &
fi

# ---- workload: disk I/O (after VTAXREADY: the host starts measuring first)
diskstat() {  # ash has no locals: names of its own
    while read -r _ _ ds_name ds_rest; do
        [ "$ds_name" = "$2" ] && echo "VTAXDISK $1 $ds_name $ds_rest"
    done </proc/diskstats
}
if [ "$disk_mb" -gt 0 ]; then
    (
        sleep "$disk_wait"
        for d in /sys/block/vd*; do
            [ -e "$d" ] || continue
            n=${d##*/}
            diskstat before "$n"
            dd if=/dev/zero of="/dev/$n" bs=1M count="$disk_mb" conv=fsync 2>/dev/null ||
                echo "VTAXWARN write to $n failed"
            echo 3 >/proc/sys/vm/drop_caches
            dd if="/dev/$n" of=/dev/null bs=1M count="$disk_mb" 2>/dev/null ||
                echo "VTAXWARN read of $n failed"
            diskstat after "$n"
        done
        echo VTAXDISKDONE
    ) &
fi

while :; do
    sleep 2
    meminfo_line
    [ -n "${net:-}" ] && what=now extra= netdev
done
# not reached
exec sleep 2147483647
