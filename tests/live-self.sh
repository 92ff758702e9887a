#!/bin/bash
# The live screen's word on vtax's own cost: the title line shows it
# ("vtax 5.5% 8.1M"), and at -d 0.01 (over 2% of one CPU here) the footer
# says so after a minute, not before, and suggests a longer interval.
# About 75 s of a tenth of a CPU.
. "$(dirname "$0")/lib/common.sh"
need_live
need_cmd tmux tmux
tmp=$(mktemp -d)
sock="$tmp/tmux.sock"
T() { tmux -S "$sock" "$@"; }
cleanup() { tmux_end "$sock"; rm -rf "$tmp"; }
trap cleanup EXIT
screen() { T capture-pane -p -t t; }

T -f /dev/null new-session -d -s t -x 120 -y 30 "env LANG=C.UTF-8 XDG_CONFIG_HOME=$tmp/cfg '$VTAX' -d 0.01; sleep 60"
T set -g status off 2>/dev/null
start=$(date +%s)
sleep 3
check "the title line shows vtax's own CPU and memory" sh -c "$(declare -f screen T); sock='$sock'; screen | head -1 | grep -Eq ' - vtax [0-9]+\.[0-9]% [0-9.]+[KMG]'" ||
	screen | head -3 | sed 's/^/  | /'
said=""
while [ $(($(date +%s) - start)) -lt 80 ]; do
	if screen | grep -q 'vtax itself has used'; then said=$(($(date +%s) - start)); break; fi
	sleep 1
done
check "the footer says vtax's own CPU is high after a minute (at ${said:-never} s), not before" \
	sh -c "[ -n '$said' ] && [ '$said' -ge 59 ]"
check "... and suggests a longer interval" sh -c "$(declare -f screen T); sock='$sock'; screen | grep -q 'a longer interval costs less (d, or -d 5)'" ||
	screen | tail -2 | sed 's/^/  | /'
finish
