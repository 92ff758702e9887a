#!/bin/bash
# What the package installs besides the binary: the bash completion
# completes options and column names from the vtax under test, and the
# exporter unit keeps its hardening (systemd-analyze OK or better, one
# capability, the ExecStart its default file is written for).
. "$(dirname "$0")/lib/common.sh"
comp=/usr/share/bash-completion/bash_completion
[ -r "$comp" ] || skip "needs bash-completion (install: bash-completion)"
unit="$SRCDIR/dist/vtax-exporter.service"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/bin"
ln -s "$VTAX" "$tmp/bin/vtax"

# complete WORDS...: what _vtax offers for the last word
complete_words() {
	PATH="$tmp/bin:$PATH" bash -c '
		. "$1"; . "$2"; shift 2
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_vtax vtax 2>/dev/null; printf "%s\n" "${COMPREPLY[@]}"' \
		_ "$comp" "$SRCDIR/dist/vtax.bash-completion" vtax "$@"
}
complete_words --so >"$tmp/o1"
check "--so completes to --sort=" grep -qx -- "--sort=" "$tmp/o1"
complete_words --li >"$tmp/o2"
check "--li completes to --list-columns" grep -qx -- "--list-columns" "$tmp/o2"
complete_words -s cpu_ >"$tmp/o3"
check "-s cpu_ completes to the column cpu_tax" grep -qx cpu_tax "$tmp/o3"
complete_words -o id,na >"$tmp/o4"
check "-o id,na completes the last name of the list" grep -qx id,name "$tmp/o4"
complete_words -o +mem_ >"$tmp/o5"
check "-o +mem_ completes after the +" grep -qx +mem_tax "$tmp/o5"
# every column vtax lists is offered after -s
"$VTAX" --list-columns | awk '/^[a-z]/ { print $1 }' | sort >"$tmp/cols"
complete_words -s "" | sort >"$tmp/o6"
check "-s offers every column of --list-columns ($(wc -l <"$tmp/cols"))" \
	sh -c "[ -s '$tmp/cols' ] && cmp -s '$tmp/cols' '$tmp/o6'"

check "the unit runs vtax --serve with the default file's variables" \
	grep -qx 'ExecStart=/usr/bin/vtax --serve ${VTAX_LISTEN} $VTAX_OPTS' "$unit"
check "the default file sets VTAX_LISTEN and VTAX_OPTS" \
	sh -c "grep -q '^VTAX_LISTEN=' '$SRCDIR/dist/vtax-exporter.default' && grep -q '^VTAX_OPTS=' '$SRCDIR/dist/vtax-exporter.default'"
check "the unit keeps CAP_SYS_PTRACE alone" grep -qx 'CapabilityBoundingSet=CAP_SYS_PTRACE' "$unit"
if command -v systemd-analyze >/dev/null 2>&1; then
	systemd-analyze security --offline=true "$unit" >"$tmp/sec" 2>&1
	score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p' "$tmp/sec")
	check "systemd-analyze security: '$score' is OK or better" \
		sh -c "case '$score' in *' OK'|*' SAFE'|*' PERFECT') exit 0;; *) exit 1;; esac"
else
	echo "note: no systemd-analyze here (install: systemd); exposure not checked"
fi
finish
