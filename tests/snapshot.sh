#!/bin/bash
# Snapshots under hostile conditions: a full filesystem, one with room
# for the text and JSON but not the capsule, a read-only directory, a
# symlink planted at the next file name. Never a partial file, never an
# overwrite, never a write through the link, nothing lost on screen.
. "$(dirname "$0")/lib/common.sh"
need_cmd tmux tmux
need_root "mounts small tmpfs filesystems"
tmp=$(mktemp -d)
sock="$tmp/tmux.sock"
T() { tmux -S "$sock" "$@"; }
cleanup() {
	tmux_end "$sock"
	umount "$tmp/full" "$tmp/ro" "$tmp/tight" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fx="$SRCDIR/tests/fixtures/proxmox-node.jsonl"
screen() { T capture-pane -p -t t; }
wait_for() {
	local i
	for i in $(seq 300); do screen | grep -Eq "$1" && return 0; sleep 0.1; done
	echo "  screen did not show /$1/:"; screen | sed 's/^/  | /'
	# what the pane's processes were doing (twice in CI's sanitizer pass
	# a start drew nothing for the whole wait)
	local p
	for p in $(T list-panes -a -F '#{pane_pid}' 2>/dev/null); do
		ps -o pid,ppid,stat,wchan:24,etime,time,args --pid "$p" --ppid "$p" 2>&1 | sed 's/^/  ps | /'
	done
	return 1
}
run_in() {  # run_in DIR [WIDTH]: vtax on the replay, saving into DIR
	tmux_end "$sock"
	T -f /dev/null new-session -d -s t -x "${2:-100}" -y 30 \
		"env LANG=C.UTF-8 TZ=UTC '$VTAX' --replay '$fx' -d 0.2 --snapshot-dir '$1'; sleep 30"
	wait_for '\[ENDED\]' >/dev/null
}

mkdir -p "$tmp/full" "$tmp/ro" "$tmp/dir"
mount -t tmpfs -o size=64k tmpfs "$tmp/full"
dd if=/dev/zero of="$tmp/full/filler" bs=4k count=100 2>/dev/null
run_in "$tmp/full"
T send-keys -t t s
check "full disk: one clear line in the footer" wait_for "cannot save snapshot in $tmp/full: No space left on device"
check "full disk: no partial or temporary file left, no capsule either" sh -c "[ \$(ls -A '$tmp/full' | wc -l) -eq 1 ]"
check "full disk: the screen still shows the guests" wait_for "debian-vm"

# room for two pages: the .txt and .json (each under one), not the capsule
mkdir -p "$tmp/tight"
mount -t tmpfs -o size=64k tmpfs "$tmp/tight"
dd if=/dev/zero of="$tmp/tight/filler" bs=4k count=$(($(stat -f -c %a "$tmp/tight") - 2)) 2>/dev/null
run_in "$tmp/tight" 160
T send-keys -t t s
check "no room for the capsule: the footer says the .txt and .json were saved, and why not the .zst" \
	wait_for "snapshot saved: $tmp/tight/vtax-pve1-20261118-110644\.txt \(and \.json; the \.zst \(the capsule\) could not be written: No space left on device\)"
check "... the .txt and .json are whole, no partial capsule, no temporary file" \
	sh -c "[ -s '$tmp/tight/vtax-pve1-20261118-110644.txt' ] && [ -s '$tmp/tight/vtax-pve1-20261118-110644.json' ] && [ \$(ls -A '$tmp/tight' | wc -l) -eq 3 ]"
check "... and the screen still shows the guests" wait_for "debian-vm"

mount -t tmpfs -o ro,size=64k tmpfs "$tmp/ro"
run_in "$tmp/ro"
T send-keys -t t s
check "read-only directory: clear error" wait_for "cannot save snapshot in $tmp/ro: Read-only file system"

echo "precious" >"$tmp/target"
ln -s "$tmp/target" "$tmp/dir/vtax-pve1-20261118-110644.txt"
run_in "$tmp/dir"
T send-keys -t t s
check "planted symlink: a fresh name is taken, the footer names three files" wait_for "snapshot saved: $tmp/dir/vtax-pve1-20261118-110644-1\.txt \(and \.json, \.zst\)"
check "planted symlink: its target is untouched" sh -c "[ \"\$(cat '$tmp/target')\" = precious ]"
check "planted symlink: still a symlink" test -L "$tmp/dir/vtax-pve1-20261118-110644.txt"
check "the three were written whole" sh -c "[ -s '$tmp/dir/vtax-pve1-20261118-110644-1.txt' ] && [ -s '$tmp/dir/vtax-pve1-20261118-110644-1.json' ] && [ -s '$tmp/dir/vtax-pve1-20261118-110644-1.zst' ]"
# the capsule holds the replay's samples up to the key, all six
check "the capsule replays the replayed samples" sh -c "[ \$('$VTAX' --replay '$tmp/dir/vtax-pve1-20261118-110644-1.zst' -j | wc -l) -eq \$(wc -l <'$fx') ]"
ln -s "$tmp/target" "$tmp/dir/vtax-pve1-20261118-110644-3.zst"

check "no temporary files left" sh -c "! ls -A '$tmp/dir' | grep -q '^\.vtax-tmp'"
echo "old" >"$tmp/dir/vtax-pve1-20261118-110644-2.json"
T send-keys -t t s
check "an existing file (or a symlink at the capsule's name) is never overwritten" wait_for "snapshot saved: $tmp/dir/vtax-pve1-20261118-110644-4\.txt"
check "... and keeps its content" sh -c "[ \"\$(cat '$tmp/dir/vtax-pve1-20261118-110644-2.json')\" = old ]"
check "... and no half set was left under its name" sh -c "[ ! -e '$tmp/dir/vtax-pve1-20261118-110644-2.txt' ] && [ ! -e '$tmp/dir/vtax-pve1-20261118-110644-3.txt' ]"
check "... the symlink's target still untouched" sh -c "[ \"\$(cat '$tmp/target')\" = precious ]"

# settings: W writes them atomically (0600), the next start reads them
tmux_end "$sock"
T -f /dev/null new-session -d -s t -x 100 -y 30 \
	"env LANG=C.UTF-8 XDG_CONFIG_HOME='$tmp/cfg' '$VTAX' --replay '$fx' -d 0.2; sleep 30"
wait_for 'tax CPU 1.6%' >/dev/null
T send-keys -t t M v W
check "W writes the settings file" wait_for "settings written to $tmp/cfg/vtax/vtaxrc"
check "settings hold the sort and no columns the admin did not choose, mode 0600" sh -c "grep -q '^sort=mem$' '$tmp/cfg/vtax/vtaxrc' && ! grep -q '^columns=' '$tmp/cfg/vtax/vtaxrc' && [ \$(stat -c %a '$tmp/cfg/vtax/vtaxrc') = 600 ]"
# columns chosen in the picker (F6, Space toggles one) are written by name
T send-keys -t t F6 Down Space Escape W
check "chosen columns are written by name" sh -c "sleep 0.5; grep -q '^columns=id,name,' '$tmp/cfg/vtax/vtaxrc'"
sed -i '/^columns=/d' "$tmp/cfg/vtax/vtaxrc"
tmux_end "$sock"
T -f /dev/null new-session -d -s t -x 100 -y 30 \
	"env LANG=C.UTF-8 XDG_CONFIG_HOME='$tmp/cfg' '$VTAX' --replay '$fx' -d 0.2; sleep 30"
check "the next start reads them (sort by MEM, VMs only)" wait_for '▾MEM .*|showing 1 of 2: VMs'
check "... both" sh -c "tmux -S '$sock' capture-pane -p -t t | grep -q '▾MEM' && tmux -S '$sock' capture-pane -p -t t | grep -q 'showing 1 of 2: VMs'"
echo "columns=id,nosuch,cpu" >"$tmp/cfg/vtax/vtaxrc"
tmux_end "$sock"
T -f /dev/null new-session -d -s t -x 100 -y 30 \
	"env LANG=C.UTF-8 XDG_CONFIG_HOME='$tmp/cfg' '$VTAX' --replay '$fx' -d 0.2; sleep 30"
check "a bad settings line is named in the footer, the rest applies" wait_for "vtaxrc: unknown column: nosuch"
finish
