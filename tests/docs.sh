#!/bin/bash
# The documentation keeps up with the tables: every column the column
# table has is in the man page, and every JSON key vtax writes (over every
# recorded host in tests/fixtures) is in doc/json.md.
. "$(dirname "$0")/lib/common.sh"
need_cmd python3 python3
man="$SRCDIR/doc/vtax.1"
json="$SRCDIR/doc/json.md"

missing=""
while read -r name title _; do
	# groff writes a hyphen as \-
	t=$(printf '%s' "$title" | sed 's/-/\\-/g')
	grep -qF -- "$title" "$man" || grep -qF -- "$t" "$man" || missing="$missing $title"
done < <("$VTAX" --list-columns)
check "the man page names every column of the table (missing:${missing:- none})" [ -z "$missing" ]
n=$("$VTAX" --list-columns | wc -l)
check "the column table lists columns ($n)" [ "$n" -ge 10 ]

for fx in "$SRCDIR"/tests/fixtures/*.jsonl; do
	"$VTAX" --json --replay "$fx"
done >"$PWD/docs-json.$$" 2>/dev/null
trap 'rm -f "$PWD/docs-json.$$"' EXIT
check "doc/json.md has every key vtax writes" python3 - "$PWD/docs-json.$$" "$json" <<'PY'
import json, re, sys
keys = set()
def walk(o):
    if isinstance(o, dict):
        for k, v in o.items():
            keys.add(k)
            walk(v)
    elif isinstance(o, list):
        for v in o:
            walk(v)
for line in open(sys.argv[1]):
    if line.strip():
        walk(json.loads(line))
doc = open(sys.argv[2]).read()
quoted = set(re.findall(r'"([a-z_0-9]+)"', doc))
missing = sorted(k for k in keys if k not in quoted)
if missing:
    print("  not in doc/json.md:", " ".join(missing))
sys.exit(1 if missing or len(keys) < 30 else 0)
PY
finish
