#!/bin/bash
# Hostile guest names: escape sequences, BEL, invalid UTF-8, C1 controls
# and 10 KB lengths, from cgroup directory names and Proxmox configs.
# Nothing may reach the terminal, the batch text or a snapshot raw; JSON
# must escape them and stay valid.
. "$(dirname "$0")/lib/common.sh"
need_cmd python3 python3
need_cmd tmux tmux
tmp=$(mktemp -d)
sock="$tmp/tmux.sock"
cleanup() { tmux_end "$sock"; rm -rf "$tmp"; }
trap cleanup EXIT
root="$tmp/cg"
mkdir -p "$root" "$tmp/pve/lxc" "$tmp/snap"
: >"$root/cgroup.controllers"
esc=$'\e'
mkdir "$root/lxc.payload.${esc}[2J${esc}]0;pwned"$'\a'"x"
mkdir "$root/lxc.payload.bad"$'\xff\xfe'"utf8"$'\xc2\x9b'"c1"
mkdir -p "$root/lxc/900"
{ printf 'hostname: '; printf '%s' "${esc}[31mred${esc}[0m"; head -c 10000 /dev/zero | tr '\0' A; printf '\n'; } \
	>"$tmp/pve/lxc/900.conf"
for g in "$root"/lxc.payload.* "$root/lxc/900"; do echo 1048576 >"$g/memory.current"; done

"$VTAX" -b -n 1 --cgroup-root "$root" --pve-dir "$tmp/pve" >"$tmp/out.txt" 2>"$tmp/err"
check "batch text: three guests listed" sh -c "[ \$(sed -n '/^ID /,\$p' '$tmp/out.txt' | grep -c ' lxc \\| pve-ct ') -eq 3 ]"
check "batch text: no control character, no C1, valid UTF-8" python3 -c "
import sys
b = open('$tmp/out.txt', 'rb').read()
b.decode('utf-8')
bad = [c for c in b if (c < 0x20 and c != 10) or c == 0x7f]
sys.exit(1 if bad or b'\xc2\x9b' in b else 0)"
check "batch text: the escapes are shown as ?" grep -q '?\[2J?\]0;pwned?x' "$tmp/out.txt"

"$VTAX" --json -n 1 --cgroup-root "$root" --pve-dir "$tmp/pve" >"$tmp/out.json"
check "JSON stays valid and carries the name escaped, invalid bytes as U+FFFD" python3 -c "
import json, sys
d = json.load(open('$tmp/out.json'))
names = [g['name'] for g in d['guests']]
ok = '\x1b[2J\x1b]0;pwned\x07x' in names and 'bad\ufffd\ufffdutf8\ufffd\ufffdc1' in names
sys.exit(0 if ok else 1)" 
check "a 10 KB name is cut, not carried whole" python3 -c "
import json, sys
d = json.load(open('$tmp/out.json'))
n = [g['name'] for g in d['guests'] if g['id'] == '900'][0]
sys.exit(0 if n.startswith('\x1b[31mred') and len(n) < 300 else 1)"
grep -q 'Sanitizer\|runtime error' "$tmp/err" && fail "sanitizer report"

tmux -S "$sock" -f /dev/null new-session -d -s t -x 120 -y 24 \
	"cd '$tmp/snap' && LANG=C.UTF-8 '$VTAX' -d 0.3 --cgroup-root '$root' --pve-dir '$tmp/pve'; sleep 20"
for _ in $(seq 40); do tmux -S "$sock" capture-pane -p -t t | grep -q '^ID ' && break; sleep 0.1; done
sleep 0.5
tmux -S "$sock" capture-pane -p -t t >"$tmp/screen.txt"
check "screen: the header survived (no clear-screen from a name)" grep -q '^vtax ' "$tmp/screen.txt"
check "screen: the name appears defused" grep -q '?\[2J?\]0;pwned?x' "$tmp/screen.txt"
check "screen: the window title was not changed by a name" \
	sh -c "! tmux -S '$sock' display -p -t t '#{pane_title}' | grep -q pwned"
tmux -S "$sock" send-keys -t t j Enter s
for _ in $(seq 150); do ls "$tmp"/snap/*.txt >/dev/null 2>&1 && break; sleep 0.1; done
snap=$(ls "$tmp"/snap/*.txt 2>/dev/null | head -1)
check "snapshot written" test -s "$snap"
check "snapshot: no control character" python3 -c "
import sys
b = open('$snap', 'rb').read()
b.decode('utf-8')
sys.exit(1 if [c for c in b if (c < 0x20 and c != 10) or c == 0x7f] else 0)"

# the same guests through the history and vtax report: text without
# control characters, valid JSON, CSV and SVG (XML)
"$VTAX" -b -n 2 -d 0.2 --cgroup-root "$root" --pve-dir "$tmp/pve" --record "$tmp/hist/" >/dev/null
"$VTAX" report --plot "$tmp/r.svg" "$tmp/hist" >"$tmp/r.txt" 2>/dev/null
check "report text holds no control character" python3 -c "
import sys
b = open('$tmp/r.txt', 'rb').read()
b.decode('utf-8')
sys.exit(1 if [c for c in b if (c < 0x20 and c != 10) or c == 0x7f] else 0)"
check "report's chart is well-formed XML" python3 -c "import xml.dom.minidom as m; m.parse('$tmp/r.svg')"
check "report --json is valid JSON" sh -c "'$VTAX' report --json '$tmp/hist' | python3 -m json.tool >/dev/null"
check "report --csv parses, one row per guest" python3 -c "
import csv, io, subprocess, sys
out = subprocess.run(['$VTAX', 'report', '--csv', '$tmp/hist'], capture_output=True).stdout
rows = list(csv.DictReader(io.StringIO(out.decode('utf-8', 'replace'))))
sys.exit(0 if rows and all(r['runtime'] for r in rows) else 1)"
finish
