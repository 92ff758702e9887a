#!/bin/bash
# The documentation keeps up with the tables: every column the column
# table has is in the man page, and every JSON key vtax writes (over every
# recorded host in tests/fixtures) is in doc/json.md.
. "$(dirname "$0")/lib/common.sh"
need_cmd python3 python3
man="$SRCDIR/doc/vtax.1"
json="$SRCDIR/doc/json.md"

"$VTAX" --list-columns >"$PWD/docs-cols.$$"
trap 'rm -f "$PWD/docs-cols.$$" "$PWD/docs-json.$$"' EXIT
n=$(grep -c '^[a-z]' "$PWD/docs-cols.$$")
check "the column table lists columns ($n)" [ "$n" -ge 10 ]
# Both ways: every title --list-columns prints is in the man page, and
# every column title the man page names is one --list-columns knows (a
# merge once left READ/s and WRITE/s there, columns that do not exist).
check "the man page and --list-columns name the same columns" python3 - "$PWD/docs-cols.$$" "$man" <<'PY'
import re, sys
titles = set()
for line in open(sys.argv[1]):
    if line[:1].isalpha():  # "%-12s %-8s help": the title may hold a space
        titles.add(line[13:21].strip())
roff = open(sys.argv[2]).read()
text = re.sub(r"\\f[BIRP]", "", roff).replace("\\-", "-").replace("\\(bu", "")
ok = True
missing = sorted(t for t in titles if t not in text)
if missing:
    print("  the man page lacks:", ", ".join(missing)); ok = False
unknown = set()
# titles shaped like columns anywhere: CPU%, DISK R/s, EXITS/s
for m in re.finditer(r"(?<![\w/-])([A-Z][A-Z0-9]*(?: [A-Z][A-Z0-9]*)?(?:%|/s))(?![\w])", text):
    t = m.group(1)
    if t not in titles and t.split(" ")[-1] not in titles:
        unknown.add(t)
# the COLUMNS section: its .B entries and every capitalised name in a list
sec = text[text.index("\n.SH COLUMNS"):]
sec = sec[:sec.index("\n.SH ", 1)]
words = {"CPU", "VM", "VMs", "JSON", "QMP", "KVM", "QEMU", "RAM", "RSS", "ZFS", "LXC", "TCG", "KSM's", "GB", "I/O", "OOM's", "CJK"}
for m in re.finditer(r"^\.B (.+)$", sec, re.M):
    if m.group(1) not in titles:
        unknown.add(m.group(1))
for piece in re.split(r",|;|:|\(|\)|\band\b|\bor\b|\n", sec):
    t = piece.strip().rstrip(".")
    if re.fullmatch(r"[A-Z][A-Z0-9]+(?: [A-Z][A-Z0-9]+)?(?:%|/s)?", t) and t not in titles and t not in words and not re.fullmatch(r"F[0-9]+", t):
        unknown.add(t)
if unknown:
    print("  the man page names columns --list-columns does not know:", ", ".join(sorted(unknown))); ok = False
sys.exit(0 if ok else 1)
PY
# doc/export.md lists every Prometheus family --list-metrics knows, and
# names none it does not (both come from the metric registry and the
# column table)
"$VTAX" --list-metrics | awk '{ print $1 }' | sort -u >"$PWD/docs-metrics.$$"
grep -o 'vtax_[a-z_]*[a-z]' "$SRCDIR/doc/export.md" | sort -u >"$PWD/docs-metrics-doc.$$"
nm=$(wc -l <"$PWD/docs-metrics.$$")
check "--list-metrics lists the Prometheus families ($nm)" [ "$nm" -ge 40 ]
undoc=$(comm -23 "$PWD/docs-metrics.$$" "$PWD/docs-metrics-doc.$$" | tr '\n' ' ')
check "doc/export.md names every metric vtax exports (missing: ${undoc:-none})" [ -z "$undoc" ]
unknown=$(comm -13 "$PWD/docs-metrics.$$" "$PWD/docs-metrics-doc.$$" | tr '\n' ' ')
check "doc/export.md names no metric vtax does not export (unknown: ${unknown:-none})" [ -z "$unknown" ]
rm -f "$PWD/docs-metrics.$$" "$PWD/docs-metrics-doc.$$"

for fx in "$SRCDIR"/tests/fixtures/*.jsonl; do
	"$VTAX" --json --replay "$fx"
done >"$PWD/docs-json.$$" 2>/dev/null
check "doc/json.md has every key vtax writes, and no other" python3 - "$PWD/docs-json.$$" "$json" <<'PY'
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
# the other way: every key the first example documents is one vtax
# writes (a key stands after {, [ or a comma, a value after : or |);
# "node" only a cluster view writes
block = doc.split("```")[1]
block = re.sub(r"//[^\n]*", "", block)
documented = set(re.findall(r'(?:^|[{\[,])\s*"([a-z_0-9]+)"', block, re.M))
unknown = sorted(k for k in documented - keys if k != "node")
if unknown:
    print("  doc/json.md documents keys vtax does not write:", " ".join(unknown))
sys.exit(1 if missing or unknown or len(keys) < 30 else 0)
PY
finish
