#!/bin/sh
# Host and QEMU facts from a fixture /proc tree, pointed at with
# --proc-root: pressure, load, uptime, the ZFS ARC, kernel.task_delayacct
# and a QEMU's smaps. libproc2 still reads /proc/stat, /proc/meminfo and
# each process's stat, command line and cgroup from the real /proc, so
# the QEMU is a real process whose argv[0] says qemu-system-x86_64 (its
# real comm is python3: vtax instances on the real /proc pass it by);
# the fixture gives its comm and its smaps.
. "$(dirname "$0")/lib/common.sh"
need_cmd python3 python3
tmp=$(mktemp -d)
qpid=""
cleanup() { [ -n "$qpid" ] && kill "$qpid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
mk() { mkdir -p "$(dirname "$1")"; printf '%b' "$2" >"$1"; }

# the pid is python's own: python3 may be a wrapper script that forks it
python3 -c 'import os, sys
open(sys.argv[1], "w").write("%d\n" % os.getpid())
os.execvp(sys.executable, ["qemu-system-x86_64", "-c", "import time; time.sleep(120)",
                           "-name", "fx-vm", "-m", "256"])' "$tmp/q.pid" &
for _ in $(seq 150); do
	qpid=$(cat "$tmp/q.pid" 2>/dev/null)
	[ -n "$qpid" ] && tr '\0' ' ' <"/proc/$qpid/cmdline" 2>/dev/null | grep -q '^qemu-system-x86_64 ' && break
	sleep 0.1
done
[ -n "$qpid" ] || { fail "the fake QEMU started"; finish; }

pr="$tmp/proc"
psi() { mk "$pr/pressure/$1" "some avg10=0.00 avg60=0.00 avg300=0.00 total=$2\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=$3\n"; }
psi cpu 1000000 0
psi io 5000000 2000000
psi memory 300 100
mk "$pr/loadavg" "1.50 0.75 0.25 2/345 6789\n"
mk "$pr/uptime" "12345.67 23456.78\n"
mk "$pr/spl/kstat/zfs/arcstats" "13 1 0x01 123 33456 1234 5678\nname                            type data\nhits                            4    100\nsize                            4    1073741824\n"
mk "$pr/sys/kernel/task_delayacct" "1\n"
mk "$pr/$qpid/comm" "qemu-system-x86\n"
mk "$pr/$qpid/ksm_stat" "ksm_rmap_items 900\nksm_zero_pages 0\nksm_merging_pages 2560\nksm_process_profit -57600\nksm_merge_any: no\nksm_mergeable: yes\n"
# guest RAM: 256 MiB anonymous, 100 MiB of it resident; 2 MiB of hugetlb apart
mk "$pr/$qpid/smaps" "7f0000000000-7f0010000000 rw-p 00000000 00:00 0 \nSize:             262144 kB\nRss:              102400 kB\nPrivate_Hugetlb:       0 kB\n7f0020000000-7f0020200000 rw-s 00000000 00:0e 1234                       /dev/hugepages/qemu_back_mem\nSize:               2048 kB\nRss:                   0 kB\nPrivate_Hugetlb:    2048 kB\n"

# a container without io.pressure: with delay accounting its threads are listed
cg="$tmp/cg"
mkdir -p "$cg/lxc.payload.fx"; : >"$cg/cgroup.controllers"
mk "$cg/lxc.payload.fx/memory.current" "4096\n"
mk "$cg/lxc.payload.fx/cgroup.procs" "1\n"
mk "$cg/lxc.payload.fx/cgroup.threads" "1\n2\n3\n"

"$VTAX" --json -n 2 -d 2 --proc-root "$pr" --cgroup-root "$cg" >"$tmp/on.json" 2>"$tmp/err" &
vp=$!
sleep 1
psi cpu 1500000 0
psi io 5200000 2000000
wait $vp || fail "vtax on the fixture /proc ran"
check "pressure: cpu stall from the fixture's totals (0.5 s in the interval)" pyjson "$tmp/on.json" \
	"abs(d['host']['pressure']['cpu'] - 50 / d['interval']) < 0.5"
check "pressure: io and memory too" pyjson "$tmp/on.json" \
	"abs(d['host']['pressure']['io'] - 20 / d['interval']) < 0.5 and d['host']['pressure']['memory'] == 0"
check "load and uptime from the fixture" pyjson "$tmp/on.json" \
	"d['host']['load'] == [1.5, 0.75, 0.25] and d['host']['uptime'] == 12346"
check "ZFS ARC size from arcstats" pyjson "$tmp/on.json" "d['host']['mem']['zfs_arc'] == 1073741824"
check "the process list is the fixture's: its QEMU alone" pyjson "$tmp/on.json" \
	"[g['id'] for g in d['guests'] if g['kind'] == 'vm'] == ['$qpid']"
check "QEMU: name from -name, working set from smaps" pyjson "$tmp/on.json" \
	"guest(id='$qpid')['name'] == 'fx-vm' and guest(id='$qpid')['mem']['working_set'] == 104857600"
check "QEMU: hugetlb from smaps counts towards its memory" pyjson "$tmp/on.json" \
	"guest(id='$qpid')['mem']['host'] - guest(id='$qpid')['mem']['qemu']['rss'] == 2097152"
check "QEMU: KSM merged pages from ksm_stat, a negative profit as 0" pyjson "$tmp/on.json" \
	"guest(runtime='qemu')['mem']['ksm'] == 2560 * $(getconf PAGESIZE) and guest(runtime='qemu')['mem']['ksm_profit'] == 0"
check "task_delayacct 1: QEMU iowait from delay accounting" pyjson "$tmp/on.json" \
	"guest(id='$qpid')['cpu']['iowait_source'] == 'delayacct'"
check "task_delayacct 1: the container's threads listed (3)" pyjson "$tmp/on.json" \
	"guest(id='fx')['pids'] == 3"
check "no error output" no_output "$tmp/err"

mk "$pr/sys/kernel/task_delayacct" "0\n"
"$VTAX" --json -n 2 -d 0.2 --proc-root "$pr" --cgroup-root "$cg" >"$tmp/off.json" 2>"$tmp/err" ||
	fail "vtax with task_delayacct 0 ran"
check "task_delayacct 0: no iowait for the QEMU" pyjson "$tmp/off.json" \
	"guest(id='$qpid')['cpu']['iowait'] is None and guest(id='$qpid')['cpu']['iowait_source'] is None"
check "task_delayacct 0: the container's processes counted (1)" pyjson "$tmp/off.json" \
	"guest(id='fx')['pids'] == 1"

mkdir -p "$tmp/empty"
"$VTAX" --json -n 2 -d 0.2 --proc-root "$tmp/empty" --cgroup-root "$cg" >"$tmp/empty.json" 2>"$tmp/err" ||
	fail "vtax on an empty proc root ran"
check "empty proc root: pressure and ZFS unknown, no process looked at" pyjson "$tmp/empty.json" \
	"d['host']['pressure']['cpu'] is None and d['host']['mem']['zfs_arc'] is None and [g['id'] for g in d['guests']] == ['fx']"
"$VTAX" --json -n 1 --proc-root "$tmp/nonexistent" >/dev/null 2>"$tmp/err"
check "a proc root that does not exist: exit 1 and says which" sh -c "[ $? -eq 1 ] && grep -q 'proc root $tmp/nonexistent' '$tmp/err'"
finish
