#!/bin/bash
# A real LXC 5 container (busybox template): found as runtime lxc by its
# name, its lxc monitor charged as tax through the lxc.monitor cgroup.
. "$(dirname "$0")/lib/common.sh"
need_live
need_root "runs LXC"
need_cmd python3 python3
need_cmd lxc-create lxc
need_cmd busybox busybox-static
name="vtaxlxc$$"
work=$(mktemp -d /tmp/vtax-lxc.XXXXXX)
cleanup() {
	lxc-stop -n "$name" -k >/dev/null 2>&1
	lxc-destroy -n "$name" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
printf 'lxc.net.0.type = empty\nlxc.apparmor.profile = unconfined\n' >"$work/conf"
lxc-create -n "$name" -t busybox -f "$work/conf" >"$work/create.log" 2>&1 ||
	{ tail -5 "$work/create.log"; skip "lxc-create with the busybox template does not work here"; }
lxc-start -n "$name" || { fail "lxc-start"; finish; }
for _ in $(seq 50); do [ "$(lxc-info -n "$name" -sH 2>/dev/null)" = RUNNING ] && break; sleep 0.1; done
sleep 1
"$VTAX" --json -n 3 -d 0.5 >"$work/out.jsonl" 2>"$work/err"
mon=$(cat "$(cg_file "/lxc.monitor.$name" memory.current || cg_file "/lxc.monitor.$name" memory.usage_in_bytes)")
check "found as an LXC container by its name" pyjson "$work/out.jsonl" \
	"guest(id='$name')['name'] == '$name' and guest(id='$name')['runtime'] == 'lxc' and guest(id='$name')['kind'] == 'container'"
check "its processes counted (init and shell)" pyjson "$work/out.jsonl" "guest(id='$name')['pids'] >= 1"
check "the lxc monitor cgroup is charged as tax ($mon bytes)" pyjson "$work/out.jsonl" \
	"abs(guest(id='$name')['mem']['tax'] - $mon) <= max(0.1 * $mon, 65536) and guest(id='$name')['mem']['tax'] > 0"
check "the monitor is not a guest of its own" pyjson "$work/out.jsonl" \
	"all(not g['id'].startswith('lxc.monitor') for g in d['guests'])"
finish
