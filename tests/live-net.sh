#!/bin/bash
# Per-guest network I/O against the kernel's own counters, with real
# traffic that never leaves the machine: a namespace container (cgroups
# named like LXC's) on a veth, and a QEMU TCG guest with a virtio NIC on
# a tap, both in a bridge this test makes, talking TCP to a network
# namespace of the test's own over link-local addresses. Known transfers
# each way; vtax's per-NIC bytes within 5% of what the guest itself
# counted (its /proc/net/dev) and of the host-side veth's or tap's
# counters.
# Then the faults: the veth deleted between two refreshes, made again
# under the same name (a new counter, never a jump), and a run as nobody
# (unknown, one notice, never 0).
. "$(dirname "$0")/lib/common.sh"
need_live
need_root "creates cgroups, namespaces, veths and a bridge"
need_cmd python3 python3
need_cmd unshare util-linux
need_cmd ip iproute2
need_cmd nsenter util-linux
s=$(($$ % 100000))
name="vtaxn13ct$$"
rel="/lxc.payload.$name"
br="vn13b$s" hc="vn13c$s" hs="vn13s$s" pc="vn13p$s" ps="vn13q$s" tap="vn13t$s"
ns="vtaxn13s$$"
work=$(mktemp -d /var/tmp/vtax-net.XXXXXX)
lib="$SRCDIR/tests/lib"
cleanup() {
	[ -n "${srv:-}" ] && kill "$srv" 2>/dev/null
	[ -e "$work/vm.pid" ] && bash "$lib/qemu-guest.sh" stop "$work/vm.pid" >/dev/null 2>&1
	[ -n "${cpid:-}" ] && kill -9 "$cpid" 2>/dev/null
	for h in $(cg_hierarchies); do
		[ -f "$h$rel/cgroup.procs" ] && for p in $(cat "$h$rel/cgroup.procs"); do kill -9 "$p" 2>/dev/null; done
	done
	sleep 0.3
	cg_remove "$rel"
	ip link del "$hc" 2>/dev/null
	ip link del "$hs" 2>/dev/null
	ip link del "$br" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# the container: its own network namespace, in its own cgroups
cg_make "$rel"
bash -c "$(declare -f cg_hierarchies cg_enter); cg_enter '$rel' \$\$; exec unshare --fork --pid --mount-proc --uts --ipc --net sh -c 'touch $work/ct.ready; exec sleep 600'" &
cpid=$!
for _ in $(seq 100); do [ -e "$work/ct.ready" ] && break; sleep 0.05; done
inner=$(cat "$(cg_file "$rel" cgroup.procs)" | tail -n 1)
[ -n "$inner" ] || { fail "container started"; finish; }
ip netns add "$ns"
export VTAX_GUEST_RUNDIR="$work"
ip link add "$br" type bridge
ip link set "$br" up
# container link: the host side on the bridge, the peer as eth0 inside
ip link add "$hc" type veth peer name "$pc"
ip link set "$pc" netns "$inner"
nsenter -t "$inner" -n sh -c "ip link set '$pc' name eth0 && ip addr add 169.254.13.2/16 dev eth0 && ip link set eth0 up && ip link set lo up"
ip link set "$hc" master "$br" up
# server link
ip link add "$hs" type veth peer name "$ps"
ip link set "$ps" netns "$ns"
ip -n "$ns" addr add 169.254.13.1/16 dev "$ps"
ip -n "$ns" link set "$ps" up
ip link set "$hs" master "$br" up

# the transfer: the container sends UP bytes, then receives DOWN bytes
UP=$((24 << 20)) DOWN=$((9 << 20)) PORT=$((20000 + s % 20000))
xfer="$lib/xfer.py"
ip netns exec "$ns" timeout 60 python3 "$xfer" serve 169.254.13.1 "$PORT" "$DOWN" "$work/srv.ready" >"$work/srv.got" &
srv=$!
for _ in $(seq 100); do [ -e "$work/srv.ready" ] && break; sleep 0.05; done
sleep 2   # IPv6 autoconfiguration chatter settles

# ground truth: the container's own counters and the host-side veth's
ctdev() { nsenter -t "$inner" -n cat /proc/net/dev | awk '$1 == "eth0:" {print $2, $10}'; }
hostdev() { echo "$(cat /sys/class/net/$hc/statistics/rx_bytes) $(cat /sys/class/net/$hc/statistics/tx_bytes)"; }
read -r crx0 ctx0 < <(ctdev); read -r hrx0 htx0 < <(hostdev)
"$VTAX" --json -n 7 -d 1 >"$work/out.jsonl" 2>"$work/err" &
vt=$!
sleep 1.5
nsenter -t "$inner" -n timeout 60 python3 "$xfer" send 169.254.13.1 "$PORT" "$UP" >"$work/cli.got"
wait "$vt"
read -r crx1 ctx1 < <(ctdev); read -r hrx1 htx1 < <(hostdev)
wait "$srv"; srv=""
echo "application: sent $(cat "$work/cli.got" 2>/dev/null) received, server got $(cat "$work/srv.got" 2>/dev/null) (want $DOWN, $UP)"
check "the transfer completed both ways" [ "$(cat "$work/cli.got" 2>/dev/null)" = "$DOWN" ] && [ "$(cat "$work/srv.got" 2>/dev/null)" = "$UP" ]
ct_rx=$((crx1 - crx0)) ct_tx=$((ctx1 - ctx0)) h_rx=$((hrx1 - hrx0)) h_tx=$((htx1 - htx0))
read -r v_rx v_tx nic < <(python3 - "$work/out.jsonl" "$name" <<'PY'
import json, sys
rx = tx = 0; nic = "-"
for l in open(sys.argv[1]):
    f = json.loads(l)
    for g in f["guests"]:
        if g["id"] == sys.argv[2] and f["interval"]:
            n = g["net"]
            if n["rx"] is not None:
                rx += n["rx"] * f["interval"]; tx += n["tx"] * f["interval"]
            if n["nics"]:
                nic = ",".join(x["name"] for x in n["nics"])
print(int(rx), int(tx), nic)
PY
)
echo "vtax (guest's view, summed over its intervals): rx $v_rx tx $v_tx on $nic"
echo "container /proc/net/dev eth0: rx $ct_rx tx $ct_tx; host $hc: rx $h_rx tx $h_tx"
check "the container's interface is its host-side veth $hc ($nic)" [ "$nic" = "$hc" ]
check "received: vtax within 5% of the container's own counters ($v_rx vs $ct_rx)" near "$v_rx" "$ct_rx" "$((ct_rx / 20))"
check "sent: vtax within 5% of the container's own counters ($v_tx vs $ct_tx)" near "$v_tx" "$ct_tx" "$((ct_tx / 20))"
check "seen from the guest: its receive is the host veth's transmit ($v_rx vs $h_tx)" near "$v_rx" "$h_tx" "$((h_tx / 20))"
check "and its send the veth's receive ($v_tx vs $h_rx)" near "$v_tx" "$h_rx" "$((h_rx / 20))"
check "no errors printed (but notices about other tests' peers)" no_own_output "$work/err" "$work"

# a QEMU guest: virtio-net on a tap in the bridge; it sends UPK KiB and
# reads DOWN bytes back, then prints its /proc/net/dev on the console
vm_part() {
	bash "$lib/guest-image.sh" >/dev/null 2>"$work/image.err" || {
		rc=$?; cat "$work/image.err"
		[ $rc -eq 77 ] && { echo "note: no guest image (above): VM part not run"; return; }
		fail "guest image built"; return
	}
	local UPK=3072 VDOWN=$((1 << 20)) VPORT=$((PORT + 1))
	bash "$lib/qemu-guest.sh" start n13net --mem 128 --tap "$tap" --pidfile "$work/vm.pid" \
		--log "$work/vm.log" --qmp "$work/vm.qmp" \
		--append "vtax.net=169.254.14.2,169.254.13.1,$VPORT,$UPK" >/dev/null ||
		{ fail "QEMU guest with a tap started"; return; }
	ip link set "$tap" master "$br" up
	bash "$lib/qemu-guest.sh" wait-ready "$work/vm.log" 120 >/dev/null 2>&1 ||
		{ fail "guest booted"; tail -5 "$work/vm.log"; return; }
	check "the guest loaded virtio_net" grep -q "VTAXMOD ok virtio_net" "$work/vm.log"
	local qpid; qpid=$(cat "$work/vm.pid")
	taprx() { echo "$(cat /sys/class/net/$tap/statistics/rx_bytes) $(cat /sys/class/net/$tap/statistics/tx_bytes)"; }
	local trx0 ttx0 trx1 ttx1
	read -r trx0 ttx0 < <(taprx)
	"$VTAX" --json -n 40 -d 0.5 >"$work/vm.jsonl" 2>"$work/vmerr" &
	local vt=$!
	sleep 1.2
	# busybox nc does not half-close: the server counts the bytes it wants
	ip netns exec "$ns" timeout 60 python3 "$xfer" serve 169.254.13.1 "$VPORT" "$VDOWN" "" $((UPK * 1024)) >/dev/null &
	srv=$!
	for _ in $(seq 300); do grep -q "VTAXNET done" "$work/vm.log" && break; sleep 0.1; done
	wait "$srv"; srv=""
	wait "$vt"
	read -r trx1 ttx1 < <(taprx)
	check "the guest's transfer finished within vtax's run" grep -q "VTAXNET done.*got=$VDOWN" "$work/vm.log" ||
		{ grep VTAXNET "$work/vm.log" | tail -3; return; }
	local g; g=$(python3 - "$work/vm.log" <<'PY'
import re, sys
v = {}
for l in open(sys.argv[1]):
    m = re.match(r"VTAXNET (start|done) rx_bytes=(\d+) rx_packets=\d+ tx_bytes=(\d+)", l)
    if m: v[m.group(1)] = (int(m.group(2)), int(m.group(3)))
print(v["done"][0] - v["start"][0], v["done"][1] - v["start"][1])
PY
)
	local g_rx=${g% *} g_tx=${g#* }
	local t_rx=$((trx1 - trx0)) t_tx=$((ttx1 - ttx0))
	read -r v_rx v_tx nic < <(python3 - "$work/vm.jsonl" "$qpid" <<'PY'
import json, sys
rx = tx = 0; nic = "-"
for l in open(sys.argv[1]):
    f = json.loads(l)
    for g in f["guests"]:
        if g.get("main_pid") == int(sys.argv[2]) and f["interval"]:
            n = g["net"]
            if n["rx"] is not None:
                rx += n["rx"] * f["interval"]; tx += n["tx"] * f["interval"]
            if n["nics"]:
                nic = ",".join(x["name"] for x in n["nics"])
print(int(rx), int(tx), nic)
PY
)
	echo "VM: vtax rx $v_rx tx $v_tx on $nic; guest eth0 (serial) rx $g_rx tx $g_tx; tap $tap rx $t_rx tx $t_tx"
	check "the VM's interface is its tap, found through QEMU's tun fd ($nic)" [ "$nic" = "$tap" ]
	check "VM received: vtax within 5% of the guest's own count ($v_rx vs $g_rx)" near "$v_rx" "$g_rx" "$((g_rx / 20 + 2048))"
	check "VM sent: vtax within 5% of the guest's own count ($v_tx vs $g_tx)" near "$v_tx" "$g_tx" "$((g_tx / 20 + 2048))"
	check "VM: its receive is the tap's transmit ($v_rx vs $t_tx)" near "$v_rx" "$t_tx" "$((t_tx / 20))"
	check "VM: its send is the tap's receive ($v_tx vs $t_rx)" near "$v_tx" "$t_rx" "$((t_rx / 20))"
	check "no errors printed in the VM run" no_own_output "$work/vmerr" "$work"
}
vm_part

# faults: the veth deleted, then made again under the same name
"$VTAX" --json -n 12 -d 0.5 >"$work/fault.jsonl" 2>"$work/ferr" &
vt=$!
sleep 1.2
ip link del "$hc"
sleep 1.1
ip link add "$hc" type veth peer name "$pc"
ip link set "$pc" netns "$inner"
nsenter -t "$inner" -n sh -c "ip link set '$pc' name eth1 && ip addr add 169.254.13.2/16 dev eth1 && ip link set eth1 up"
ip link set "$hc" master "$br" up
# 200 KB/s of datagrams until vtax is done
nsenter -t "$inner" -n timeout 20 python3 -c "
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end = time.time() + 5
while time.time() < end: s.sendto(b'x' * 1000, ('169.254.13.1', 9)); time.sleep(0.005)" 2>/dev/null &
wait "$vt"
check "deleted and made again: never a negative or absurd rate, the new veth found" python3 - "$work/fault.jsonl" "$name" "$hc" <<'PY'
import json, sys
seen = []
for l in open(sys.argv[1]):
    f = json.loads(l)
    for g in f["guests"]:
        if g["id"] == sys.argv[2]:
            n = g["net"]
            names = [x["name"] for x in n["nics"] or []]
            seen.append((names, n["tx"]))
            for v in (n["rx"], n["tx"]):
                assert v is None or 0 <= v < 1e9, n
print("  ", seen)
gone = [i for i, (names, _) in enumerate(seen) if names == []]
assert gone, "a refresh without the veth"
back = [i for i, (names, _) in enumerate(seen) if i > gone[-1] and names == [sys.argv[3]]]
assert back, "the new veth under the old name"
assert seen[back[0]][1] is None, "a new counter: no rate on its first sample"
assert any(seen[i][1] is not None and seen[i][1] > 50000 for i in back), "its traffic counted"
PY
check "no errors printed in the fault run" no_own_output "$work/ferr" "$work"

# not root: the container's namespace cannot be looked into
if id nobody >/dev/null 2>&1; then
	cp "$VTAX" "$work/vtax" && chmod 755 "$work" "$work/vtax"
	su nobody -s /bin/sh -c "'$work/vtax' --json -n 12 -d 0.3" >"$work/nr.jsonl" 2>"$work/nrerr"
	check "as nobody: the container's network is unknown (null), not 0" pyjson "$work/nr.jsonl" "guest(id='$name')['net']['rx'] is None and guest(id='$name')['net']['nics'] is None"
	# notices of other tests' QEMUs and sockets come first, one a refresh
	check "as nobody: one notice that says network figures need root" sh -c "[ \$(grep -c 'not root.*network figures' '$work/nrerr') -eq 1 ] || { cat '$work/nrerr'; false; }"
fi
finish
