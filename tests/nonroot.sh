#!/bin/bash
# vtax as an unprivileged user: it starts, shows what it can read, "-"
# where it cannot, and says once what root would add.
. "$(dirname "$0")/lib/common.sh"
need_live
need_root "switches to user nobody and starts a QEMU of root's"
need_cmd qemu-system-x86_64 qemu-system-x86
need_cmd tmux tmux
id nobody >/dev/null 2>&1 || skip "no user nobody"
work=$(mktemp -d /tmp/vtax-nonroot.XXXXXX)
chmod 755 "$work"
cleanup() {
	[ -f "$work/q.pid" ] && kill "$(cat "$work/q.pid")" 2>/dev/null
	tmux -S "$work/tmux.sock" kill-server 2>/dev/null
	pkill -f "$work/vtax" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
# vtax must be reachable by nobody: copy the binary out of root's tree
cp "$VTAX" "$work/vtax"
chmod 755 "$work/vtax"
code=$(printf '\xfa\xf4\xeb\xfd')
{ printf '%s' "$code"; head -c 506 /dev/zero; printf '\x55\xaa'; } >"$work/halt.img"
qemu-system-x86_64 -accel tcg -display none -nodefaults -drive "format=raw,file=$work/halt.img" \
	-m 32 -name rootvm -daemonize -pidfile "$work/q.pid"
qpid=$(cat "$work/q.pid")
su nobody -s /bin/sh -c "'$work/vtax' -b -n 2 -d 0.5" >"$work/out" 2>"$work/err"; rc=$?
check "as nobody: exit 0" [ "$rc" -eq 0 ]
check "as nobody: root's VM is listed" grep -Eq "^$qpid +rootvm +qemu " "$work/out"
check "as nobody: its working set and memory tax show -, not 0" \
	sh -c "grep -E '^$qpid ' '$work/out' | tail -1 | awk '{exit !(\$(NF-2) == \"-\" && \$NF == \"-\")}'"
check "as nobody: one notice on stderr, saying what root would add" \
	sh -c "[ \$(wc -l <'$work/err') -eq 1 ] && grep -q 'not root: VM working sets' '$work/err'"
su nobody -s /bin/sh -c "'$work/vtax' -b -n 1" >/dev/null 2>"$work/err1"
tmux -S "$work/tmux.sock" -f /dev/null new-session -d -s t -x 120 -y 24 \
	"su nobody -s /bin/sh -c 'LANG=C.UTF-8 TERM=xterm $work/vtax -d 0.5'; sleep 20"
chmod 777 "$work/tmux.sock" 2>/dev/null
for _ in $(seq 40); do tmux -S "$work/tmux.sock" capture-pane -p -t t | grep -q 'not root' && break; sleep 0.1; done
check "the screen says it once in the footer" sh -c "tmux -S '$work/tmux.sock' capture-pane -p -t t | tail -1 | grep -q 'not root: VM working sets'"
# the terminal goes away while su stands between it and vtax (no SIGHUP
# reaches vtax): it must exit, not spin on a dead terminal
tmux -S "$work/tmux.sock" kill-server
for _ in $(seq 30); do pgrep -f "$work/vtax -d" >/dev/null || break; sleep 0.1; done
vtax_gone() { ! pgrep -f "$work/vtax -d" >/dev/null; }
check "terminal gone without a SIGHUP: vtax exits instead of spinning" vtax_gone
finish
