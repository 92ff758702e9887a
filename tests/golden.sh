#!/bin/bash
# Golden tests: every recorded host in tests/fixtures replayed into batch
# text, JSON, snapshots and screens (table, detail pane, help) at 80x24
# and 200x50, compared byte for byte with tests/golden/. After a
# deliberate change to what users see, `make golden` writes them anew;
# the commit then says why.
. "$(dirname "$0")/lib/common.sh"
: "${GOLDEN_VIEW:=$(dirname "$VTAX")/../tests/golden-view}"
[ -x "$GOLDEN_VIEW" ] || skip "needs tests/golden-view (make check builds it)"
export TZ=UTC LC_ALL=C.UTF-8 NO_COLOR=
gold="$SRCDIR/tests/golden"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# variant NAME COMMAND...: the output of COMMAND against tests/golden/FIXTURE.NAME
variant() {
	local name=$1 out="$tmp/$fx_name.$1" want="$gold/$fx_name.$1"; shift
	if ! "$@" >"$out" 2>"$tmp/err"; then
		fail "$fx_name $name: exit status $? ($(head -c 300 "$tmp/err"))"
		return
	fi
	if [ "${GOLDEN_UPDATE:-0}" = 1 ]; then
		mkdir -p "$gold"
		cp "$out" "$want"
		pass "$fx_name $name written"
	elif [ ! -f "$want" ]; then
		fail "$fx_name $name: no $want (make golden writes it)"
	elif cmp -s "$out" "$want"; then
		pass "$fx_name $name"
	else
		fail "$fx_name $name differs from $want:"
		diff -u "$want" "$out" | cut -c1-240 | head -40 | sed "s/^/  /"
	fi
}

for fx in "$SRCDIR"/tests/fixtures/*.jsonl; do
	fx_name=$(basename "$fx" .jsonl)
	variant txt "$VTAX" -b --replay "$fx"
	variant json "$VTAX" --json --replay "$fx"
	variant wide.txt "$VTAX" -b --replay "$fx" -s mem -r \
		-o +pids,read,write,guest_total,guest_used,guest_cache,exits
	for size in 80x24 200x50; do
		w=${size%x*} h=${size#*x}
		variant "snapshot-$w" "$GOLDEN_VIEW" "$fx" snapshot "$w" 0
		variant "screen-$size" "$GOLDEN_VIEW" "$fx" screen "$w" "$h"
		variant "detail-$size" "$GOLDEN_VIEW" "$fx" detail "$w" "$h"
	done
	if [ "$fx_name" = contention-host ]; then
		variant blame-80x24 "$GOLDEN_VIEW" "$fx" blame 80 24
		variant blame-200x50 "$GOLDEN_VIEW" "$fx" blame 200 50
	fi
	if [ "$fx_name" = proxmox-node ]; then
		variant screen-80x24-ascii "$GOLDEN_VIEW" "$fx" screen 80 24 ascii
		variant help-80x24 "$GOLDEN_VIEW" "$fx" help 80 24
		variant help-200x50 "$GOLDEN_VIEW" "$fx" help 200 50
	fi
done
finish
