#!/bin/bash
# The interactive screen as a person uses it: tmux, send-keys, capture-pane.
# Deterministic against the Proxmox replay; one live run too.
. "$(dirname "$0")/lib/common.sh"
need_cmd tmux tmux
need_cmd python3 python3
tmp=$(mktemp -d)
sock="$tmp/tmux.sock"
T() { tmux -S "$sock" "$@"; }
cleanup() { tmux_end "$sock"; rm -rf "$tmp"; }
trap cleanup EXIT
fx="$SRCDIR/tests/fixtures/proxmox-node.jsonl"

# start CMD in a fresh session of WxH, inside $tmp/run, printing its exit code
# (a fresh tmux server each time: a new session on the socket of one that
# is still shutting down can fail)
nstart=0
start() {
	tmux_end "$sock"
	rm -f "$tmp/stty"  # the last start's must not answer for this one
	nstart=$((nstart + 1))
	sock="$tmp/tmux.$nstart.sock"
	mkdir -p "$tmp/run"
	T -f /dev/null new-session -d -s t -x "$1" -y "$2" \
		"cd '$tmp/run' && $3; echo EXIT=\$?; stty -a >'$tmp/stty' 2>&1; sleep 60"
	T set -g status off 2>/dev/null
}
screen() { T capture-pane -p -t t; }
# restored WORD...: the pane's stty -a, once written whole (it runs just
# after EXIT= shows), has every WORD
# (plain sh: the checks below hand every function to sh -c)
restored() {
	n=0
	while [ $n -lt 50 ] && ! grep -q 'icanon' "$tmp/stty" 2>/dev/null; do sleep 0.1; n=$((n + 1)); done
	for w in "$@"; do grep -q " $w " "$tmp/stty" 2>/dev/null || return 1; done
}
# this test's vtax: the child of its pane's shell. Never by pattern: other
# tests run vtax on the same fixture side by side (a pkill -HUP here once
# ended snapshot.sh's vtax, whose screen then stayed blank)
pane_vtax() {
	local pp
	pp=$(T list-panes -t t -F '#{pane_pid}' 2>/dev/null | head -1)
	[ -n "$pp" ] && pgrep -P "$pp" -f vtax | head -1
}
wait_for() {  # wait_for REGEX [tries]: until the screen shows it
	local i
	for i in $(seq "${2:-150}"); do screen | grep -Eq "$1" && return 0; sleep 0.1; done
	echo "  screen did not show /$1/:"; screen | sed 's/^/  | /'
	return 1
}
row() { screen | grep -A"$1" '^ID ' | tail -1; }

vt="env LANG=C.UTF-8 XDG_CONFIG_HOME=$tmp/cfg '$VTAX' --replay '$fx' -d 0.2"
start 80 24 "$vt"
check "header, bars and column titles appear" wait_for '^ID +NAME +RUNTIME +CPU% +USR +SYS +GUEST +IOW.*TAX% +MEM +WSET +CACHE +MTAX'
check "CPU and MEM bars with legends" sh -c "$(declare -f); T() { tmux -S '$sock' \"\$@\"; }; screen | grep -q '^CPU  4 \[' && screen | grep -q '^MEM 16G\[.*guests.*tax 1.5G'"
wait_for 'tax CPU 1.6%' >/dev/null
check "end of the replay: the header says [ENDED], the last frame stays" wait_for '^vtax .*\[ENDED\]'
check "rates after the second sample; default sort by CPU tax puts the VM first" sh -c "[ \"\$(echo '$(row 1)' | awk '{print \$1}')\" = 100 ]"
check "VM row: guest time, tax 6.0, MTAX 1.5G" sh -c "echo '$(row 1)' | grep -Eq '^100 +debian-vm +pve-vm +7\.0 +3\.0 +3\.0 +1\.0 +0\.0 +6\.0 +2\.0G +510M +12M +1\.5G( |$)'"
T send-keys -t t '>'
check "> moves the sort to MEM" wait_for ' ▾MEM '
T send-keys -t t I
check "I inverts: the container comes first" wait_for '^101 +debian-ct' 
sleep 0.2
check "... and it is the first row" sh -c "echo '$(row 1)' | grep -q '^101 '"
T send-keys -t t Enter
check "until the admin moves it, the selection is the top row (detail of 101)" wait_for '── 101 debian-ct'
T send-keys -t t Enter
wait_for '^101 ' >/dev/null
T send-keys -t t T
check "T sorts by tax again, biggest first" wait_for '▾TAX%'
sleep 0.2
check "... the VM first" sh -c "echo '$(row 1)' | grep -q '^100 '"
T send-keys -t t k
check "80 columns: the key bar keeps Help, Save and Quit" wait_for '^hHelp .*sSave qQuit *$'
T send-keys -t t Enter
check "Enter opens the detail pane with threads and the why" wait_for '^ why +CPU tax 6.0%, mostly QEMU.s device emulation in its main loop \(3.5%\);'
check "the detail pane's ledger: each tax as the sum of its parts" wait_for '^ ledger CPU 6.00% = emulator 3.50 \+ vcpu 1.50 \+ iothread 0.75 \+ vhost 0.25'
check "... memory too, the guest's cache never more than the tax" wait_for '^ +RAM 1.49G = guest_cache 1.47G \+ host_cache 12.0M \+ kvm_pagetables 8.00M'
check "the host line is a sum: held = wset + tax" wait_for 'held 1.98G = wset 510M \+ tax 1.49G'

check "detail pane: thread groups" wait_for '^ threads +vcpu 2.5%'
check "detail pane: the guest's own memory bar" wait_for '^ guest \[.*total 1.93G: used 510M, cache 1.49G'
T send-keys -t t s
check "s saves a snapshot and the footer shows its path" wait_for "snapshot saved: $tmp/run/vtax-pve1-[0-9]{8}-[0-9]{6}\.txt"
snap=$(ls "$tmp"/run/vtax-pve1-*.txt 2>/dev/null | head -1)
check "snapshot .txt and .json exist" sh -c "[ -s '$snap' ] && [ -s '${snap%.txt}.json' ]"
screen >"$tmp/screen.txt"
# the snapshot is the screen without the empty rows and the footer
python3 - "$snap" "$tmp/screen.txt" >"$tmp/cmp.out" <<'PY'
import sys
snap = [l.rstrip() for l in open(sys.argv[1], encoding="utf-8")]
scr = [l.rstrip() for l in open(sys.argv[2], encoding="utf-8")][:-1]
scr = [l for l in scr if l]
print("\n".join(a + "  |  " + b for a, b in zip(snap, scr)))
sys.exit(0 if snap == scr else 1)
PY
check "snapshot text matches the captured screen line for line" test $? -eq 0 || cat "$tmp/cmp.out"
check "snapshot JSON is the --json schema" python3 -c "import json,sys; d=json.load(open('${snap%.txt}.json')); sys.exit(0 if d['guests'][0]['mem']['tax'] is not None and 'host' in d else 1)"
T send-keys -t t s
sleep 0.3
check "a second snapshot in the same second gets a fresh name" sh -c "[ \$(ls '$tmp'/run/vtax-pve1-*.txt | wc -l) -eq 2 ]"
T send-keys -t t Enter
T send-keys -t t / c t
check "/ filters as you type" wait_for 'Filter: ct_'
T send-keys -t t Enter
sleep 0.2
check "filter keeps only the container" sh -c "$(declare -f); T() { tmux -S '$sock' \"\$@\"; }; screen | grep -q '^101 ' && ! screen | grep -q '^100 '"
T send-keys -t t Escape
sleep 0.3
check "Esc clears the filter" wait_for '^100 '
T send-keys -t t m
check "m sorts by the memory tax, its mark in a cell of its own" wait_for ' ▾MTAX'
T send-keys -t t d
check "d shows the current delay and the real limit" wait_for 'Delay, seconds \(at least 0\.01\): 0\.2_'
T send-keys -t t 5 Enter
check "d: the first key replaces the value (5, not 0.25)" wait_for 'refreshing every 5\.0 s'
T send-keys -t t d 0 Enter
check "d: 0 is refused with the limit" wait_for 'delay must be a number of seconds, at least 0\.01'
T send-keys -t t d 0 . 2 Enter T
T send-keys -t t v
check "v shows only VMs" wait_for '^showing 1 of 2: VMs \| 1 VM'
T send-keys -t t v v
T send-keys -t t h
check "h shows help" wait_for '^vtax help'
for _ in 1 2 3 4 5 6; do  # a page at a time, until the column is in view
	screen | grep -Eq '^MTAX +host RAM beyond' && break
	T send-keys -t t PageDown
	sleep 0.2
done
check "help scrolls to every column's definition, taken from the column table" wait_for '^MTAX +host RAM beyond the working set'
T send-keys -t t x
check "any key leaves help" wait_for '^ID '
T resize-window -t t -x 40 -y 10; sleep 0.3
check "40x10 still draws the table" wait_for '^ID +NAME'
T resize-window -t t -x 39 -y 9; sleep 0.3
check "below 40x10: a clear 'too small' line" wait_for 'too small \(39x9\): need 40x10'
T resize-window -t t -x 1 -y 1; sleep 0.3
T resize-window -t t -x 20 -y 5; sleep 0.3
check "20x5: the short message" wait_for '^need 40x10'
T resize-window -t t -x 200 -y 50; sleep 0.3
check "back to 200x50: full screen again, nothing crashed" wait_for '^ID +NAME +RUNTIME'
T send-keys -t t q
check "q quits with status 0" wait_for '^EXIT=0'
check "terminal left usable: echo back on, canonical mode" restored echo icanon
check "alternate screen left" sh -c "[ \"\$(tmux -S '$sock' display -p -t t '#{alternate_on}')\" = 0 ]"

# the mouse, as an xterm sends it (X10 encoding: ESC [ M button x+33 y+33)
click() {  # click X Y (0-based)
	local bx by
	printf -v bx "\\x$(printf %x $((33 + $1)))"
	printf -v by "\\x$(printf %x $((33 + $2)))"
	T send-keys -t t -l $'\e[M '"$bx$by"
	T send-keys -t t -l $'\e[M#'"$bx$by"
}
start 100 24 "$vt"
wait_for '\[ENDED\]' >/dev/null
x=$(screen | sed -n 5p | awk '{print index($0, " MEM")}')
click "$x" 4
check "a click on the MEM header sorts by it" wait_for '▾MEM '
click "$x" 4
check "a second click inverts" wait_for '▴MEM '
click 5 6
T send-keys -t t Enter
check "a click on a row selects it (detail of the second row)" wait_for '── 100 debian-vm'
T send-keys -t t q
wait_for '^EXIT=0' >/dev/null

# every size an admin really uses, on a host with 8 guests (the lab,
# recorded) and one with 40: the tax columns, the sort column and the
# sort keys always show; ID and NAME share their room; a wide screen
# shows more columns instead of padding NAME
for fx_sz in "lab-host:8" "big-host:40"; do
	f="$SRCDIR/tests/fixtures/${fx_sz%%:*}.jsonl"
	[ -f "$f" ] || { fail "fixture $f missing"; continue; }
	for size in 40x10 60x20 80x24 120x40 200x50; do
		w=${size%x*} h=${size#*x}
		start "$w" "$h" "env LANG=C.UTF-8 '$VTAX' --replay '$f' -d 0.2"
		wait_for '\[ENDED\]' 30 >/dev/null
		T send-keys -t t Escape # any key: the key bar again instead of "end of the replay"
		sleep 0.3
		screen >"$tmp/size.txt"
		at="${fx_sz%%:*} $size"
		check "$at: TAX% and MTAX shown, sorted by TAX%" grep -Eq '^ID .*▾TAX%.*MTAX|^NAME .*▾TAX%.*MTAX' "$tmp/size.txt"
		check "$at: the key bar has T, P and M" sh -c "tail -1 '$tmp/size.txt' | grep -q 'TTax PCPU MMem'"
		check "$at: the summary says the tax" grep -q '| tax ' "$tmp/size.txt"
		check "$at: nothing wider than the screen" python3 -c "import sys; sys.exit(max(len(l.rstrip('\n')) for l in open('$tmp/size.txt', encoding='utf-8')) > $w)"
		T send-keys -t t q
	done
done
# ID and NAME at 80 columns on the lab: the names whole, a name that is
# its id once
f="$SRCDIR/tests/fixtures/lab-host.jsonl"
start 80 24 "env LANG=C.UTF-8 '$VTAX' --replay '$f' -d 0.2"
wait_for '\[ENDED\]' 30 >/dev/null
screen >"$tmp/lab80.txt"
check "lab at 80: every name whole (no ~)" sh -c "! sed -n '/^ID /,/^\$/p' '$tmp/lab80.txt' | grep -q '~'"
check "lab at 80: lab-lxc once, across ID and NAME" sh -c "grep -Eq '^lab-lxc +[a-z]' '$tmp/lab80.txt' && ! grep -q 'lab-lxc +lab-lxc' '$tmp/lab80.txt'"
T send-keys -t t q
# 200 columns: the 40-guest host's longest name whole, and more columns
f="$SRCDIR/tests/fixtures/big-host.jsonl"
start 200 50 "env LANG=C.UTF-8 '$VTAX' --replay '$f' -d 0.2"
wait_for '\[ENDED\]' 30 >/dev/null
check "200 columns: the 35-character name whole" wait_for 'customer-portal-staging-frontend-01 '
check "200 columns: hidden columns shown instead of padding (DISK R/s, EXITS/s)" wait_for '^ID .*DISK R/s.*EXITS/s'
T send-keys -t t q

# NO_COLOR: the header and a selected first row look different
start 80 24 "env NO_COLOR=1 LANG=C.UTF-8 '$VTAX' --replay '$fx' -d 0.2"
wait_for '\[ENDED\]' >/dev/null
T capture-pane -e -p -t t >"$tmp/attr.txt"
hdr=$(grep -a 'NAME' "$tmp/attr.txt" | head -1 | grep -o $'\e\\[[0-9;]*m' | sort -u | tr -d '\n')
sel=$(grep -a 'debian-vm' "$tmp/attr.txt" | head -1 | grep -o $'\e\\[[0-9;]*m' | sort -u | tr -d '\n')
check "NO_COLOR: header underlined, selected row reversed, not alike ($(printf %q "$hdr") / $(printf %q "$sel"))" \
	sh -c "printf %s '$hdr' | grep -q '4' && printf %s '$sel' | grep -q '7' && [ '$hdr' != '$sel' ]"
T send-keys -t t q

# the Linux console in a UTF-8 locale: ASCII only (its font may lack the blocks)
start 80 24 "env TERM=linux NCURSES_GPM_TERMS= LANG=C.UTF-8 '$VTAX' --replay '$fx' -d 0.2"
wait_for '\[ENDED\]' >/dev/null
T send-keys -t t Enter
sleep 0.3
screen >"$tmp/linux.txt"
check "TERM=linux, LANG=C.UTF-8: no byte outside ASCII" sh -c "! LC_ALL=C grep -q '[^ -~]' '$tmp/linux.txt'"
check "TERM=linux: the bars in ASCII" grep -q '^CPU  4 \[.*\] #usr' "$tmp/linux.txt"
T send-keys -t t q

# every TERM an admin is likely to have over SSH
for term in xterm xterm-256color screen tmux-256color linux vt100; do
	if ! infocmp "$term" >/dev/null 2>&1; then
		echo "note: no terminfo entry for $term here, not tried"
		continue
	fi
	# For TERM=linux ncurses dlopens libgpm, which LeakSanitizer then reports
	# as 10 bytes from an unloaded module; not ours, so GPM stays off here.
	start 80 24 "env TERM=$term NCURSES_GPM_TERMS= LANG=C.UTF-8 '$VTAX' --replay '$fx' -d 0.2"
	check "TERM=$term: the table appears" wait_for '^100 +debian-vm'
	T send-keys -t t q
	check "TERM=$term: q quits with status 0" wait_for '^EXIT=0'
done

# ASCII only under LANG=C
start 80 24 "env LANG=C LC_ALL=C '$VTAX' --replay '$fx' -d 0.2"
wait_for 'tax CPU 1.6%' >/dev/null
T send-keys -t t Enter
sleep 0.3
screen >"$tmp/ascii.txt"
check "LANG=C: no byte outside ASCII on screen" sh -c "! LC_ALL=C grep -q '[^ -~]' '$tmp/ascii.txt'"
check "LANG=C: bars drawn with ASCII characters" grep -q '^CPU  4 \[.*\] #usr' "$tmp/ascii.txt"
T send-keys -t t q

# NO_COLOR
start 80 24 "env NO_COLOR=1 LANG=C.UTF-8 '$VTAX' --replay '$fx' -d 0.2"
check "NO_COLOR works" wait_for '^100 +debian-vm'
T send-keys -t t q
check "NO_COLOR: q quits with status 0" wait_for '^EXIT=0'

# signals restore the terminal and exit 0
start 80 24 "env LANG=C.UTF-8 '$VTAX' --replay '$fx' -d 0.2"
wait_for '^ID ' >/dev/null
kill -HUP "$(pane_vtax)"
check "SIGHUP (SSH gone): exit 0" wait_for '^EXIT=0'
check "SIGHUP: terminal restored" restored icanon

start 80 24 "env LANG=C.UTF-8 '$VTAX' --replay '$fx' -d 0.2"
wait_for '^ID ' >/dev/null
vp=$(pane_vtax)
# a storm of window-size changes: 300 signals and resizes in a row
for i in $(seq 100); do
	kill -WINCH "$vp" 2>/dev/null
	T resize-window -t t -x $((40 + i % 60)) -y $((10 + i % 30)) 2>/dev/null
	kill -WINCH "$vp" 2>/dev/null
done
T resize-window -t t -x 100 -y 30
check "SIGWINCH storm: still alive and redrawn at the final size" wait_for '^ID +NAME +RUNTIME'
kill -TERM "$vp"
check "SIGTERM: exit 0" wait_for '^EXIT=0'
check "SIGTERM: terminal restored" restored icanon

# live: the screen on this host, idle, costs no CPU while it waits
# (-d 10: the window measured below, 1 s to 4 s after start, holds no
# refresh even when a slow sanitizer build takes a while to start)
start 100 30 "env LANG=C.UTF-8 '$VTAX' -d 10"
check "live screen comes up" wait_for '^ID +NAME'
pid=$(pane_vtax)
sleep 1
t0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
sleep 3
t1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
check "idle between refreshes: at most 2 ticks in 3 s ($((t1 - t0)))" [ $((t1 - t0)) -le 2 ]
t0=$(date +%s%N)
T send-keys -t t h
wait_for 'vtax help' 20 >/dev/null
t1=$(date +%s%N)
check "a key is answered at once, not at the next refresh ($(((t1 - t0) / 1000000)) ms)" [ $(((t1 - t0) / 1000000)) -lt 1500 ]
T send-keys -t t q q
check "live: q quits" wait_for '^EXIT=0'
finish
