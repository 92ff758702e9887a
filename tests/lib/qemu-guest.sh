#!/bin/bash
#
# qemu-guest.sh: run the tiny vtax test guest (see guest-image.sh) under
# QEMU with TCG.
#
#   qemu-guest.sh start NAME --mem MB [--cpus N] [--balloon] [--cgroup REL]
#                 [--qmp PATH] [--log F] [--pidfile F] [--append "ARGS"]
#                 [--proxmox-monitors] [--initrd F] [--disk F] [--data-log F]
#                 [--tap IFNAME]
#                 [--proxmox-monitors]
#       Boots the guest daemonized; prints QEMU's pid.  With --cgroup REL
#       (e.g. /qemu.slice/100.scope) the directory REL is created in every
#       mounted cgroup hierarchy (v1 and v2) and QEMU runs in it in each,
#       from before its first instruction.  Defaults: --cpus 1,
#       --log/--pidfile/--qmp RUNDIR/NAME.{log,pid,qmp}.
#       --balloon-noid: the balloon without an id, as a hand-written QEMU
#       command line often has it (QOM names it device[N]).
#       --disk IMG: a raw image as a virtio-blk drive served by the main
#       loop (drive id diskN); --disk-iothread IMG: one with an iothread of
#       its own (iothread iotN).  cache=none where the file system allows it,
#       or --disk-cache MODE (writeback: QEMU's default, through the host's
#       page cache).
#       --proxmox-monitors: QMP as Proxmox gives it (-chardev and -mon,
#       then a second control monitor that connects out to qmeventd).
#       --initrd F: boot F instead of the test guest's initramfs (the
#       kernel stays the test guest's).
#       --data-log F: a second serial port (ttyS1 in the guest) into F.
#       --qga PATH: a QEMU guest agent port as Proxmox gives it (a
#       virtio-serial port org.qemu.guest_agent.0 on a socket chardev QEMU
#       listens on at PATH); the guest starts qemu-ga on it (vtax.qga=1).
#       Guest parameters go in --append: vtax.anon_mb=N vtax.cache_mb=N
#       vtax.burn=1.  State for `stop` is kept in PIDFILE.state.
#   qemu-guest.sh wait-ready LOG [TIMEOUT_S]
#       Waits (default 60 s) for the guest's VTAXREADY line.
#   qemu-guest.sh meminfo LOG
#       Prints the guest's last VTAXMEM line.
#   qemu-guest.sh stop PIDFILE [--cgroup REL]
#       Kills QEMU, waits for it, removes the cgroup directories `start`
#       created (deepest first, every hierarchy), the QMP socket and the
#       pidfile; the log is kept.
#
# Environment: VTAX_GUEST_CACHE (image dir, default
# $VTAX_TEST_CACHE/guest, that /var/cache/vtax-test/guest), VTAX_GUEST_RUNDIR (default CACHE/run),
# VTAX_INSTALL_DEPS=1 (apt-get install missing packages).
# Exit status 77: something the host lacks (skip the test); 1: error.

set -eu

LIBDIR=$(cd "$(dirname "$0")" && pwd)
CACHE=${VTAX_GUEST_CACHE:-${VTAX_TEST_CACHE:-/var/cache/vtax-test}/guest}
RUNDIR=${VTAX_GUEST_RUNDIR:-$CACHE/run}
QEMU=${VTAX_QEMU:-qemu-system-x86_64}

say() { printf 'qemu-guest: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
skip() { say "SKIP: $*"; exit 77; }
usage() {
    sed -n '5,30s/^# \{0,1\}//p' "$0" >&2
    exit 2
}

is_uint() { case $1 in '' | *[!0-9]*) return 1 ;; *) return 0 ;; esac; }

# ---------------------------------------------------------------------------
# cgroups

# cg_mounts: "FSTYPE MOUNTPOINT" for every mounted cgroup hierarchy, each
# hierarchy once (a hierarchy mounted twice has one device number).
cg_mounts() {
    awk '{
        for (i = 7; i <= NF && $i != "-"; i++) ;
        fs = $(i + 1)
        if ((fs == "cgroup" || fs == "cgroup2") && !seen[$3]++) print fs, $5
    }' /proc/self/mountinfo
}

# cg_check_rel REL: a path below the root, no . or .. components.
cg_check_rel() {
    case $1 in
        /*) ;;
        *) die "--cgroup must start with /: $1" ;;
    esac
    case /$1/ in
        */./* | */../*) die "--cgroup must not contain . or ..: $1" ;;
    esac
    [ -n "${1//\//}" ] || die "--cgroup must not be the root cgroup"
}

# cg_make REL STATE: mkdir REL in every hierarchy, recording each directory
# made as "cgroup DIR" in STATE.
cg_make() {
    local rel=$1 state=$2 fs mnt dir part parent f
    local -a parts
    IFS=/ read -r -a parts <<<"${rel#/}"
    while read -r fs mnt; do
        dir=$mnt
        for part in "${parts[@]}"; do
            [ -n "$part" ] || continue
            parent=$dir
            dir=$dir/$part
            [ -d "$dir" ] && continue
            mkdir "$dir" || die "cannot create cgroup $dir"
            printf 'cgroup %s\n' "$dir" >>"$state"
            # v1 cpuset: a new cgroup starts with no cpus/mems and refuses
            # tasks; inherit the parent's.
            if [ "$fs" = cgroup ]; then
                for f in cpuset.cpus cpuset.mems; do
                    if [ -f "$dir/$f" ] && [ -z "$(cat "$dir/$f")" ]; then
                        cat "$parent/$f" >"$dir/$f"
                    fi
                done
            fi
        done
    done < <(cg_mounts)
}

# cg_rmdir DIR: rmdir, retrying while the kernel still holds it busy.
cg_rmdir() {
    local i=0
    [ -d "$1" ] || return 0
    while ! rmdir "$1" 2>/dev/null; do
        [ -d "$1" ] || return 0
        i=$((i + 1))
        if [ "$i" -ge 50 ]; then
            say "cannot remove cgroup $1"
            return 1
        fi
        sleep 0.1
    done
}

# cg_remove_state STATE: rmdir the recorded directories, deepest first.
cg_remove_state() {
    local rc=0 d
    [ -f "$1" ] || return 0
    while read -r d; do
        cg_rmdir "$d" || rc=1
    done < <(sed -n 's/^cgroup //p' "$1" | awk '{ print length($0) "\t" $0 }' |
        sort -rn | cut -f2-)
    return "$rc"
}

# cg_verify PID REL: PID sits in REL in every hierarchy it belongs to.
cg_verify() {
    local line bad=0
    while IFS= read -r line; do
        case $line in
            *:"$2") ;;
            *) say "pid $1 not in $2: $line"; bad=1 ;;
        esac
    done <"/proc/$1/cgroup"
    return "$bad"
}

# ---------------------------------------------------------------------------
# processes

# alive PID: exists and is not a zombie.
alive() {
    local st
    [ -r "/proc/$1/stat" ] || return 1
    st=$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

is_qemu() {
    local exe
    exe=$(readlink "/proc/$1/exe" 2>/dev/null) || return 1
    case ${exe##*/} in qemu-system-*) return 0 ;; *) return 1 ;; esac
}

ensure_qemu() {
    command -v "$QEMU" >/dev/null && return 0
    [ "${VTAX_INSTALL_DEPS:-0}" = 1 ] ||
        skip "$QEMU not found (apt-get install qemu-system-x86, or set VTAX_INSTALL_DEPS=1)"
    say "installing qemu-system-x86"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q qemu-system-x86 >&2 || {
        DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q qemu-system-x86 >&2
    } || die "apt-get install qemu-system-x86 failed"
}

# ---------------------------------------------------------------------------
# subcommands

cmd_start() {
    local name mem="" cpus=1 balloon=0 cgroup="" qmp="" log="" pidfile="" append="" pvemon=0 tap=""
    local initrd="" datalog="" dcache=""
    local qga=""
    local -a disks=()
    [ $# -ge 1 ] || usage
    name=$1
    shift
    [ -n "$name" ] || die "empty NAME"
    while [ $# -gt 0 ]; do
        case $1 in
            --mem) mem=${2?--mem needs MB}; shift 2 ;;
            --cpus) cpus=${2?--cpus needs N}; shift 2 ;;
            --balloon) balloon=1; shift ;;
            --balloon-noid) balloon=2; shift ;;
            --proxmox-monitors) pvemon=1; shift ;;
            --disk) disks+=("main:${2?--disk needs IMG}"); shift 2 ;;
            --disk-iothread) disks+=("iot:${2?--disk-iothread needs IMG}"); shift 2 ;;
            --disk-cache) dcache=${2?--disk-cache needs a cache mode}; shift 2 ;;
            --cgroup) cgroup=${2?--cgroup needs REL}; shift 2 ;;
            --qmp) qmp=${2?--qmp needs PATH}; shift 2 ;;
            --qga) qga=${2?--qga needs PATH}; shift 2 ;;
            --log) log=${2?--log needs FILE}; shift 2 ;;
            --pidfile) pidfile=${2?--pidfile needs FILE}; shift 2 ;;
            --append) append=${2?--append needs ARGS}; shift 2 ;;
            --initrd) initrd=${2?--initrd needs FILE}; shift 2 ;;
            --data-log) datalog=${2?--data-log needs FILE}; shift 2 ;;
            --tap) tap=${2?--tap needs an interface name}; shift 2 ;;
            *) die "start: unknown option $1" ;;
        esac
    done
    if ! is_uint "$mem" || [ "$mem" -eq 0 ]; then
        die "start: --mem MB is required"
    fi
    if ! is_uint "$cpus" || [ "$cpus" -eq 0 ]; then
        die "start: bad --cpus $cpus"
    fi
    [ -z "$cgroup" ] || cg_check_rel "$cgroup"

    local base=${name//[^A-Za-z0-9._-]/_}
    if [ -z "$qmp" ] || [ -z "$log" ] || [ -z "$pidfile" ]; then
        mkdir -p "$RUNDIR"
    fi
    qmp=${qmp:-$RUNDIR/$base.qmp}
    log=${log:-$RUNDIR/$base.log}
    pidfile=${pidfile:-$RUNDIR/$base.pid}
    [ "${#qmp}" -lt 108 ] || die "QMP socket path too long (max 107): $qmp"
    [ "${#qga}" -lt 108 ] || die "agent socket path too long (max 107): $qga"
    [ -z "$qga" ] || append="vtax.qga=1${append:+ $append}"

    ensure_qemu
    local rc=0
    "$LIBDIR/guest-image.sh" "$CACHE" || rc=$?
    [ "$rc" = 0 ] || exit "$rc"

    if [ -f "$pidfile" ]; then
        local old
        old=$(cat "$pidfile" 2>/dev/null || true)
        if is_uint "$old" && alive "$old" && is_qemu "$old"; then
            die "$pidfile: QEMU $old is still running"
        fi
    fi
    local state=$pidfile.state
    rm -f "$pidfile" "$state" "$log"
    [ -S "$qmp" ] && rm -f "$qmp"
    {
        printf 'name %s\n' "$name"
        printf 'qmp %s\n' "$qmp"
        [ -z "$qga" ] || printf 'qga %s\n' "$qga"
        printf 'log %s\n' "$log"
    } >"$state"

    # On any failure from here: undo the cgroups, state file, QMP socket.
    START_STATE=$state
    START_QMP=$qmp
    trap 'cg_remove_state "$START_STATE" || true
        rm -f "$START_STATE"
        if [ -S "$START_QMP" ]; then rm -f "$START_QMP"; fi' EXIT
    local -a targets=()
    if [ -n "$cgroup" ]; then
        cg_make "$cgroup" "$state"
        local fs mnt
        while read -r fs mnt; do
            targets+=("$mnt$cgroup/cgroup.procs")
        done < <(cg_mounts)
    fi

    local -a args=(
        -accel tcg
        -nodefaults -no-reboot
        -display none -daemonize
        -name "${name//,/,,},debug-threads=on"
        -m "$mem" -smp "$cpus"
        -kernel "$CACHE/vmlinux" -initrd "${initrd:-$CACHE/initramfs.cpio.gz}"
        -append "console=ttyS0 quiet panic=-1${append:+ $append}"
        -serial "file:$log"
        -pidfile "$pidfile"
    )
    [ -z "$datalog" ] || args+=(-serial "file:$datalog")
    if [ "$pvemon" = 1 ]; then
        # as Proxmox starts a VM: the QMP socket QEMU listens on, then a
        # second control monitor that connects out to qmeventd (absent
        # here: QEMU keeps retrying)
        args+=(-chardev "socket,id=qmp,path=$qmp,server=on,wait=off"
               -mon "chardev=qmp,mode=control"
               -chardev "socket,id=qmp-event,path=${qmp%.qmp}.qmeventd.sock,reconnect=5"
               -mon "chardev=qmp-event,mode=control")
    else
        args+=(-qmp "unix:$qmp,server=on,wait=off")
    fi
    [ "$balloon" = 1 ] && args+=(-device "virtio-balloon-pci,id=balloon0")
    [ "$balloon" = 2 ] && args+=(-device "virtio-balloon-pci")
    if [ -n "$qga" ]; then
        [ -S "$qga" ] && rm -f "$qga"
        args+=(-chardev "socket,path=$qga,server=on,wait=off,id=qga0"
               -device virtio-serial,id=qga0
               -device "virtserialport,chardev=qga0,name=org.qemu.guest_agent.0")
    fi
    local i=0 d img cache
    for d in ${disks[@]+"${disks[@]}"}; do
        img=${d#*:}
        [ -f "$img" ] || die "no disk image $img"
        # O_DIRECT is refused by tmpfs: the host page cache then
        cache=none
        dd if="$img" of=/dev/null bs=4096 count=1 iflag=direct 2>/dev/null || cache=writeback
        cache=${dcache:-$cache}
        args+=(-drive "file=${img//,/,,},if=none,id=disk$i,format=raw,cache=$cache,aio=threads")
        if [ "${d%%:*}" = iot ]; then
            args+=(-object "iothread,id=iot$i" -device "virtio-blk-pci,drive=disk$i,iothread=iot$i")
        else
            args+=(-device "virtio-blk-pci,drive=disk$i")
        fi
        i=$((i + 1))
    done
    # a virtio NIC on a tap QEMU makes (named TAP); the caller plugs it in
    [ -n "$tap" ] && args+=(-netdev "tap,id=net0,ifname=$tap,script=no,downscript=no"
                            -device "virtio-net-pci,netdev=net0")

    # The subshell joins the cgroups, then becomes QEMU: QEMU and all its
    # threads run in them from the start.  -daemonize returns once the QMP
    # socket listens and the pidfile is written.
    (
        for t in ${targets[@]+"${targets[@]}"}; do
            echo "$BASHPID" >"$t"
        done
        exec "$QEMU" "${args[@]}" </dev/null
    ) || die "QEMU failed to start (command: $QEMU ${args[*]})"

    local pid
    pid=$(cat "$pidfile" 2>/dev/null) || die "QEMU wrote no pidfile $pidfile"
    is_uint "$pid" || die "bad pidfile $pidfile"
    printf 'pid %s\n' "$pid" >>"$state"
    if [ -n "$cgroup" ]; then
        # Already there; written again so the daemonized pid is explicit.
        for t in "${targets[@]}"; do
            echo "$pid" >"$t" || die "cannot move $pid into ${t%/cgroup.procs}"
        done
        cg_verify "$pid" "$cgroup" || {
            kill -KILL "$pid" 2>/dev/null || true
            die "QEMU is not in $cgroup in every hierarchy"
        }
    fi
    trap - EXIT
    echo "$pid"
}

cmd_wait_ready() {
    [ $# -ge 1 ] || usage
    local log=$1 timeout=${2:-60} start now
    is_uint "$timeout" || die "bad timeout $timeout"
    start=${EPOCHREALTIME/[.,]/}
    SECONDS=0
    while [ "$SECONDS" -lt "$timeout" ]; do
        if [ -f "$log" ]; then
            if grep -aq VTAXREADY "$log"; then
                now=${EPOCHREALTIME/[.,]/}
                say "$log: VTAXREADY after $(((now - start) / 1000))ms of waiting"
                return 0
            fi
            if grep -aq -e 'Kernel panic' -e 'end Kernel panic' "$log"; then
                tail -n 30 "$log" >&2
                die "$log: guest kernel panicked"
            fi
        fi
        sleep 0.1
    done
    [ -f "$log" ] && tail -n 30 "$log" | tr -d '\r' >&2
    die "$log: no VTAXREADY within ${timeout}s"
}

cmd_meminfo() {
    [ $# -eq 1 ] || usage
    local line
    [ -f "$1" ] || die "no log $1"
    # The UART emits byte by byte: drop a last line still being written.
    line=$(
        if [ -n "$(tail -c 1 "$1")" ]; then sed '$d' "$1"; else cat "$1"; fi |
            grep -ao 'VTAXMEM total_kb=[0-9]* avail_kb=[0-9]* free_kb=[0-9]* cached_kb=[0-9]* buffers_kb=[0-9]*' |
            tail -n 1
    ) || true
    [ -n "$line" ] || die "$1: no VTAXMEM line yet"
    printf '%s\n' "$line"
}

cmd_stop() {
    [ $# -ge 1 ] || usage
    local pidfile=$1 cgroup="" pid="" state key val qmp="" qga="" rc=0 i
    shift
    while [ $# -gt 0 ]; do
        case $1 in
            --cgroup) cgroup=${2?--cgroup needs REL}; shift 2 ;;
            *) die "stop: unknown option $1" ;;
        esac
    done
    [ -z "$cgroup" ] || cg_check_rel "$cgroup"
    state=$pidfile.state
    [ -f "$pidfile" ] && pid=$(cat "$pidfile" 2>/dev/null || true)
    if [ -f "$state" ]; then
        while read -r key val; do
            case $key in
                pid) [ -n "$pid" ] || pid=$val ;;
                qmp) qmp=$val ;;
                qga) qga=$val ;;
            esac
        done <"$state"
    fi

    if is_uint "$pid" && alive "$pid"; then
        if ! is_qemu "$pid"; then
            say "pid $pid is not QEMU any more; not killing it"
        else
            kill -TERM "$pid" 2>/dev/null || true
            i=0
            while alive "$pid" && [ "$i" -lt 100 ]; do
                sleep 0.1
                i=$((i + 1))
            done
            if alive "$pid"; then
                say "QEMU $pid ignored SIGTERM; SIGKILL"
                kill -KILL "$pid" 2>/dev/null || true
                i=0
                while alive "$pid" && [ "$i" -lt 50 ]; do
                    sleep 0.1
                    i=$((i + 1))
                done
            fi
            if alive "$pid"; then
                say "QEMU $pid does not die"
                rc=1
            fi
        fi
    fi

    cg_remove_state "$state" || rc=1
    if [ -n "$cgroup" ]; then
        local fs mnt
        while read -r fs mnt; do
            cg_rmdir "$mnt$cgroup" || rc=1
        done < <(cg_mounts)
    fi
    [ -n "$qmp" ] && [ -S "$qmp" ] && rm -f "$qmp"
    [ -n "$qga" ] && [ -S "$qga" ] && rm -f "$qga"
    if [ "$rc" = 0 ]; then
        rm -f "$pidfile" "$state"
    fi
    return "$rc"
}

[ $# -ge 1 ] || usage
sub=$1
shift
case $sub in
    start) cmd_start "$@" ;;
    wait-ready) cmd_wait_ready "$@" ;;
    meminfo) cmd_meminfo "$@" ;;
    stop) cmd_stop "$@" ;;
    -h | --help | help) usage ;;
    *) say "unknown subcommand $sub"; usage ;;
esac
