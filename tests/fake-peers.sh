#!/bin/bash
# Peers that misbehave: an Engine API and a QMP socket that send 10 MB of
# JSON, malformed JSON, or one byte a second, and an Engine API killed
# while it holds a request. vtax must stay small, time
# out, say so once, and keep refreshing on time. No root needed: the guests
# are a fixture cgroup tree and a fake "qemu-system-x86_64" process.
. "$(dirname "$0")/lib/common.sh"
need_cmd python3 python3
balloon_lock -s
tmp=$(mktemp -d)
cleanup() { [ -n "${peer:-}" ] && kill "$peer" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
D=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
mkdir -p "$tmp/cg/docker/$D" "$tmp/cg-empty"
: >"$tmp/cg/cgroup.controllers"
: >"$tmp/cg-empty/cgroup.controllers"

cat >"$tmp/peer.py" <<'PY'
import os, socket, sys, time
kind, mode, path = sys.argv[-3:]
# the huge replies are made before the socket exists: building them while
# vtax waits would turn "too large" into "too slow" on a busy machine
huge_engine = b"[" + b",".join([b'{"Id":"%064d","Names":["/x"]}' % i for i in range(120000)]) + b"]"
huge_qmp = b'{"return": "' + b"A" * (10 << 20) + b'"}\r\n'
s = socket.socket(socket.AF_UNIX)
s.bind(path)
s.listen(8)
while True:
    c, _ = s.accept()
    try:
        if kind == "engine":
            c.recv(65536)
            if mode == "huge":
                body = huge_engine
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            elif mode == "die":
                # the daemon is killed while it holds the request
                os._exit(9)
            elif mode == "bad":
                body = b'[{"Id":"abc","Names":["/x"]'
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            else:
                for ch in b"HTTP/1.1 200 OK\r\n":
                    c.send(bytes([ch])); time.sleep(1)
        else:
            if mode == "huge":
                c.sendall(b'{"QMP": {"version": {}}}\r\n')
                c.recv(65536)
                c.sendall(huge_qmp)
            elif mode == "bad":
                c.sendall(b"\x00\xffnot qmp at all\r\n")
            else:
                for ch in b'{"QMP": {"version": {}}}\r\n':
                    c.send(bytes([ch])); time.sleep(1)
    except OSError:
        pass
    finally:
        c.close()
PY
# a python named like QEMU, so vtax takes it for a VM and asks its -qmp socket
# (the distribution's interpreter: a python3 on PATH may be a wrapper script)
realpy=$(readlink -f /usr/bin/python3 2>/dev/null || readlink -f "$(command -v python3)")
cp "$realpy" "$tmp/qemu-system-x86_64"
pyhome=$("$realpy" -c 'import sys; print(sys.base_prefix)')

run_case() {  # run_case KIND MODE EXPECT
	rm -f "$tmp/peer.sock"
	# the peer answers at once (its first byte is what tells "drips" from
	# "busy"): on two cores loaded by the tests beside it, it must not wait
	# half a second to be scheduled, so it runs at a higher priority
	if [ "$1" = engine ]; then
		nice -n -10 python3 "$tmp/peer.py" -- engine "$2" "$tmp/peer.sock" &
	else
		PYTHONHOME=$pyhome nice -n -10 "$tmp/qemu-system-x86_64" "$tmp/peer.py" -qmp "unix:$tmp/peer.sock,server=on" \
			-name fakevm qmp "$2" "$tmp/peer.sock" &
	fi
	peer=$!
	for _ in $(seq 100); do [ -S "$tmp/peer.sock" ] && break; sleep 0.1; done
	local root="$tmp/cg"
	[ "$1" = qmp ] && root="$tmp/cg-empty"
	"$VTAX" --json -n 8 -d 0.5 --enable-balloon-stats --cgroup-root "$root" \
		--docker-socket "$tmp/peer.sock" >"$tmp/out.jsonl" 2>"$tmp/err" &
	local vp=$!
	sleep 3.2
	local hwm
	hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$vp/status" 2>/dev/null)
	wait $vp
	kill "$peer" 2>/dev/null; wait "$peer" 2>/dev/null; peer=""
	check "$1 $2: refresh stays on time" intervals_ok 0.5 "$tmp/out.jsonl"
	check "$1 $2: one notice: $3" sh -c "[ \$(grep -c -- '$3' '$tmp/err') -eq 1 ] || { cat '$tmp/err'; false; }"
	check "$1 $2: memory stays bounded (peak RSS ${hwm:-?} kB < 64 MB)" sh -c "[ -n '$hwm' ] && [ '$hwm' -lt 65536 ]"
}
run_case engine huge "reply larger than 8 MiB"
run_case engine bad "malformed JSON reply"
run_case engine drip "Timeout was reached"
run_case engine die "Server returned nothing"
if ! PYTHONHOME=$pyhome "$tmp/qemu-system-x86_64" -c 'import sys' 2>/dev/null; then
	echo "note: a renamed python cannot start here; QMP cases not run"
else
	run_case qmp huge "reply larger than 8 MiB"
	run_case qmp bad "no QMP greeting"
	run_case qmp drip "no complete answer within"
fi
finish
