#!/bin/bash
# Real Docker and Podman daemons: containers with known names must show
# by name, with their shim and conmon charged as tax. Then the faults: a
# missing socket, a socket that accepts and never answers, a daemon killed
# mid-request. The refresh interval must stay within 10% of the delay.
. "$(dirname "$0")/lib/common.sh"
need_live
need_root "runs dockerd and podman"
need_cmd python3 python3
need_cmd dockerd docker.io
need_cmd podman podman
need_cmd busybox busybox-static
T=$(mktemp -d /var/tmp/vtax-engine.XXXXXX)
P="podman --root $T/proot --runroot $T/prun --cgroup-manager cgroupfs --events-backend file"
D="docker -H unix://$T/docker.sock"
cleanup() {
	$P rm -f -t 0 vtax-pod >/dev/null 2>&1
	$P system reset -f >/dev/null 2>&1
	[ -n "${ppid_:-}" ] && kill "$ppid_" 2>/dev/null
	$D rm -f vtax-web >/dev/null 2>&1
	[ -f "$T/docker.pid" ] && kill "$(cat "$T/docker.pid")" 2>/dev/null
	[ -n "${hang:-}" ] && kill "$hang" 2>/dev/null
	sleep 1
	pkill -9 -f "containerd.*$T" 2>/dev/null
	# whatever the killed daemon left running in its containers' cgroups
	for rel in "/docker/${did:-none}" "/libpod_parent/libpod-${pod:-none}"; do
		for h in $(cg_hierarchies); do
			[ -f "$h$rel/cgroup.procs" ] && xargs -r kill -9 <"$h$rel/cgroup.procs" 2>/dev/null
		done
	done
	sleep 0.3
	for rel in "/docker/${did:-none}" "/libpod_parent/libpod-${pod:-none}" /libpod_parent/conmon; do
		cg_remove "$rel"
	done
	for h in $(cg_hierarchies); do rmdir "$h/docker" "$h/libpod_parent" 2>/dev/null; done
	grep " $T" /proc/mounts | awk '{print $2}' | sort -r | xargs -r umount 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

mkdir -p "$T/rootfs/bin"
cp "$(command -v busybox)" "$T/rootfs/bin/"
ln -s busybox "$T/rootfs/bin/sh"
ln -s busybox "$T/rootfs/bin/sleep"
tar -C "$T/rootfs" -cf "$T/rootfs.tar" .

dockerd --iptables=false --ip6tables=false --bridge=none -H "unix://$T/docker.sock" \
	--data-root "$T/data" --exec-root "$T/exec" --pidfile "$T/docker.pid" >"$T/dockerd.log" 2>&1 &
for _ in $(seq 100); do $D info >/dev/null 2>&1 && break; sleep 0.1; done
$D info >/dev/null 2>&1 || { tail -5 "$T/dockerd.log"; skip "dockerd does not start here"; }
$D import "$T/rootfs.tar" vtax-busybox:test >/dev/null
$D run -d --name vtax-web --network none vtax-busybox:test sleep 3600 >"$T/did" ||
	{ fail "docker run"; finish; }
did=$(cat "$T/did")

$P system service --time=0 "unix://$T/podman.sock" >"$T/podman.log" 2>&1 &
ppid_=$!
for _ in $(seq 50); do [ -S "$T/podman.sock" ] && break; sleep 0.1; done
$P import "$T/rootfs.tar" vtax-busybox:test >/dev/null 2>&1
pod=
if $P run -d --name vtax-pod --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 \
	vtax-busybox:test sleep 3600 >"$T/pid_" 2>"$T/podman-run.log"; then
	pod=$(tail -1 "$T/pid_")
else
	# the runtime, not vtax: Podman's runc refuses to start a container here
	echo "note: podman cannot run a container on this host, its checks are left out:"
	sed 's/^/  | /' "$T/podman-run.log"
fi

socks="--docker-socket $T/docker.sock --podman-socket $T/podman.sock"
"$VTAX" --json -n 3 -d 0.5 $socks >"$T/out.jsonl" 2>"$T/err"
check "Docker container shown by its name" pyjson "$T/out.jsonl" "guest(id='$did')['name'] == 'vtax-web' and guest(id='$did')['runtime'] == 'docker' and guest(id='$did')['kind'] == 'container'"
shim_rss=$(awk '/^VmRSS/ {print $2 * 1024}' "/proc/$(pgrep -f "containerd-shim.*-id $did")/status")
check "containerd-shim charged to its container as tax (RSS $shim_rss)" pyjson "$T/out.jsonl" "guest(id='$did')['helpers'] == 1 and abs(guest(id='$did')['mem']['tax'] - $shim_rss) <= 0.1 * $shim_rss"
if [ -n "$pod" ]; then
	check "Podman container shown by its name" pyjson "$T/out.jsonl" "guest(id='$pod')['name'] == 'vtax-pod' and guest(id='$pod')['runtime'] == 'podman'"
	conmon_rss=$(awk '/^VmRSS/ {print $2 * 1024}' "/proc/$(pgrep -f "conmon.*-c $pod")/status")
	check "conmon charged to its container as tax (RSS $conmon_rss)" pyjson "$T/out.jsonl" "guest(id='$pod')['helpers'] == 1 and abs(guest(id='$pod')['mem']['tax'] - $conmon_rss) <= 0.1 * $conmon_rss"
fi
check "no notice when the daemons answer" sh -c "! grep -q '$T/' '$T/err'"

"$VTAX" --json -n 6 -d 0.5 --docker-socket "$T/missing.sock" --podman-socket "$T/podman.sock" \
	>"$T/miss.jsonl" 2>"$T/err"
check "missing Docker socket: refresh stays on time" intervals_ok 0.5 "$T/miss.jsonl"
check "missing Docker socket: one clear notice" sh -c "[ \$(grep -c 'docker API at $T/missing.sock' '$T/err') -eq 1 ]"
check "missing Docker socket: container still shown, by id" pyjson "$T/miss.jsonl" "guest(id='$did')['name'] == '${did:0:12}'"

python3 -c "
import socket, time, os
s = socket.socket(socket.AF_UNIX); s.bind('$T/hang.sock'); s.listen(8)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
" &
hang=$!
for _ in $(seq 100); do [ -S "$T/hang.sock" ] && break; sleep 0.1; done
# long enough for the first ask to time out even on a busy machine
"$VTAX" --json -n 10 -d 0.5 --docker-socket "$T/hang.sock" --podman-socket "$T/podman.sock" \
	>"$T/hang.jsonl" 2>"$T/err"
check "socket that never answers: refresh stays on time" intervals_ok 0.5 "$T/hang.jsonl"
check "socket that never answers: one notice naming the timeout" sh -c "[ \$(grep -c 'hang.sock: Timeout' '$T/err') -eq 1 ] || { cat '$T/err'; false; }"

"$VTAX" --json -n 8 -d 0.5 $socks >"$T/kill.jsonl" 2>"$T/err" &
vt=$!
sleep 1.2
kill -STOP "$(cat "$T/docker.pid")"
sleep 0.8
kill -9 "$(cat "$T/docker.pid")"
wait $vt
check "daemon stopped then killed mid-run: refresh stays on time" intervals_ok 0.5 "$T/kill.jsonl"
check "daemon killed: the container is still measured" pyjson "$T/kill.jsonl" "guest(id='$did')['mem']['host'] is not None"
finish
