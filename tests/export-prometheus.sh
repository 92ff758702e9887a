#!/bin/bash
# Prometheus export against the real engine: three vtax --serve replaying
# three recorded hosts stand in for three nodes; a Prometheus started
# here scrapes them every second; PromQL must give the values vtax --json
# gives, and vtax --prometheus and --remote list every node's guests.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/export.sh"
need_cmd python3 python3
need_cmd promtool prometheus
need_cmd prometheus prometheus
tmp=$(mktemp -d)
pids=""
cleanup() {
	# shellcheck disable=SC2086 # a list of pids
	[ -n "$pids" ] && kill $pids 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fx=$SRCDIR/tests/fixtures

serve_replay pve "$fx/proxmox-node.jsonl" && serve_replay virt "$fx/libvirt-host.jsonl" &&
	serve_replay apps "$fx/containers-host.jsonl"
check "three vtax --serve started on 127.0.0.1" [ -n "$PORT_pve" ] && [ -n "$PORT_virt" ] && [ -n "$PORT_apps" ]
pids="$PID_pve $PID_virt $PID_apps"

# the replays end (a few samples at -d 0.3) and hold their last frame
settled() {
	http "http://127.0.0.1:$1/json" "$tmp/a.json" && sleep 0.7 &&
		http "http://127.0.0.1:$1/json" "$tmp/b.json" && cmp -s "$tmp/a.json" "$tmp/b.json"
}
for n in pve virt apps; do
	eval "port=\$PORT_$n"
	check "$n: the replay ended and /json holds its last frame" wait_until 20 settled "$port"
	http "http://127.0.0.1:$port/json" "$tmp/$n.json"
	http "http://127.0.0.1:$port/metrics" "$tmp/$n.prom"
	promtool check metrics <"$tmp/$n.prom" >"$tmp/promtool.$n" 2>&1; rc=$?
	check "$n: promtool check metrics reports nothing" sh -c "[ $rc -eq 0 ] && [ ! -s '$tmp/promtool.$n' ]" ||
		sed 's/^/  | /' "$tmp/promtool.$n"
done
"$VTAX" --json --replay "$fx/proxmox-node.jsonl" | tail -1 >"$tmp/pve-batch.json"
check "/json is the last frame vtax --json gives for the same samples" cmp -s "$tmp/pve-batch.json" "$tmp/pve.json"

# node_exporter's textfile collector: the same metrics, no timestamps
mkdir "$tmp/textfile"
"$VTAX" --textfile "$tmp/textfile" --replay "$fx/proxmox-node.jsonl" -d 0.05 2>"$tmp/tf.err"; rc=$?
check "--textfile: exit 0 at the end of the replay" [ "$rc" -eq 0 ]
check "--textfile: vtax.prom written, no temporary file left" \
	sh -c "[ -s '$tmp/textfile/vtax.prom' ] && [ \$(ls -A '$tmp/textfile' | wc -l) -eq 1 ]"
check "--textfile: promtool check metrics reports nothing" \
	sh -c "promtool check metrics <'$tmp/textfile/vtax.prom' 2>&1 | grep -q . && exit 1; exit 0"
check "--textfile: no sample has a timestamp" \
	sh -c "! grep -v '^#' '$tmp/textfile/vtax.prom' | awk '{ if (NF != 2) exit 1 }' || exit 0; exit 1"
check "--textfile: the same text as /metrics" cmp -s "$tmp/textfile/vtax.prom" "$tmp/pve.prom"

# a real Prometheus scraping the three every second
pport=$(free_port)
cat >"$tmp/prometheus.yml" <<EOT
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: vtax
    static_configs:
      - targets: ['127.0.0.1:$PORT_pve', '127.0.0.1:$PORT_virt', '127.0.0.1:$PORT_apps']
EOT
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
	--web.listen-address="127.0.0.1:$pport" >"$tmp/prometheus.log" 2>&1 &
ppid=$!
pids="$pids $ppid"
q() {  # q PROMQL OUT: an instant query's JSON reply
	python3 - "http://127.0.0.1:$pport" "$1" "$2" <<'PY'
import json, sys, urllib.parse, urllib.request
u = sys.argv[1] + "/api/v1/query?" + urllib.parse.urlencode({"query": sys.argv[2]})
r = json.load(urllib.request.urlopen(u, timeout=10))
json.dump(r["data"]["result"], open(sys.argv[3], "w"))
PY
}
all_scraped() {
	q 'count(vtax_sample_timestamp_seconds)' "$tmp/q.json" &&
		python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r and r[0]["value"][1]=="3" else 1)' "$tmp/q.json"
}
check "Prometheus scrapes the three nodes" wait_until 30 all_scraped || tail -20 "$tmp/prometheus.log"

q 'vtax_guest_memory_tax_bytes' "$tmp/mtax.json"
q 'vtax_guest_cpu_tax_ratio * 100' "$tmp/ctax.json"
q 'vtax_guest_info' "$tmp/info.json"
q 'sum by (node) (vtax_guest_memory_tax_bytes)' "$tmp/bynode.json"
check "PromQL gives every guest's tax (CPU and memory) as vtax --json does" python3 - "$tmp" <<'PY'
import json, sys
t = sys.argv[1]
obj = {"proxmox-vm": "qemu", "proxmox-ct": "lxc"}
want_m, want_c, count = {}, {}, 0
for n in ("pve", "virt", "apps"):
    d = json.load(open("%s/%s.json" % (t, n)))
    node = d["host"]["name"]
    for g in d["guests"]:
        key = (node, "%s/%s" % (obj.get(g["runtime"], g["runtime"]), g["id"]))
        want_m[key] = g["mem"]["tax"]
        want_c[key] = g["cpu"]["tax"]
        count += 1
def got(f):
    return {(r["metric"]["node"], r["metric"]["id"]): float(r["value"][1])
            for r in json.load(open("%s/%s" % (t, f)))}
gm, gc, info = got("mtax.json"), got("ctax.json"), got("info.json")
bad = [k for k, v in want_m.items() if v is not None and gm.get(k) != v]
bad += [k for k, v in want_c.items() if v is not None and abs(gc.get(k, -1e9) - v) > 0.006]
print("  %d guests on 3 nodes; memory tax e.g. %s: json %s, PromQL %s" %
      (count, list(want_m)[0], list(want_m.values())[0], gm.get(list(want_m)[0])))
if bad or len(info) != count:
    print("  differ:", bad[:5], "info series", len(info))
    sys.exit(1)
PY
check "sum by (node) of the memory tax is each node's total" python3 - "$tmp" <<'PY'
import json, sys
t = sys.argv[1]
want = {}
for n in ("pve", "virt", "apps"):
    d = json.load(open("%s/%s.json" % (t, n)))
    want[d["host"]["name"]] = sum(g["mem"]["tax"] or 0 for g in d["guests"])
got = {r["metric"]["node"]: float(r["value"][1]) for r in json.load(open(t + "/bynode.json"))}
print("  ", got)
sys.exit(0 if got == want else 1)
PY
q 'vtax_guest_network_receive_bytes_total' "$tmp/netrx.json"
q 'vtax_guest_network_transmit_packets_total' "$tmp/nettxp.json"
check "PromQL: every interface's counters as the recorded samples hold them" python3 - "$tmp" "$fx" <<'PY'
import json, sys
t, fx = sys.argv[1], sys.argv[2]
obj = {"proxmox-vm": "qemu", "proxmox-ct": "lxc"}
want = {}
for f in ("proxmox-node", "libvirt-host", "containers-host"):
    d = json.loads(open("%s/%s.jsonl" % (fx, f)).read().splitlines()[-1])
    for g in d["guests"]:
        for n in (g.get("nics") if isinstance(g.get("nics"), list) else []):
            key = (d["host"]["hostname"], "%s/%s" % (obj.get(g["runtime"], g["runtime"]), g["id"]), n["name"])
            want[key] = (n["rx_bytes"], n["tx_packets"])
def got(f):
    return {(r["metric"]["node"], r["metric"]["id"], r["metric"]["interface"]): int(float(r["value"][1]))
            for r in json.load(open("%s/%s" % (t, f)))}
rx, txp = got("netrx.json"), got("nettxp.json")
have = {k: (rx.get(k), txp.get(k)) for k in want}
print("  %d interfaces, e.g. %s" % (len(want), list(have.items())[:1]))
sys.exit(0 if want and have == want and len(rx) == len(want) else 1)
PY

# the cluster view from Prometheus: every guest of the three, with NODE
total=$(python3 -c 'import json,sys; print(sum(len(json.load(open(f))["guests"]) for f in sys.argv[1:]))' \
	"$tmp/pve.json" "$tmp/virt.json" "$tmp/apps.json")
timeout 20 "$VTAX" -b -n 1 --prometheus "http://127.0.0.1:$pport" >"$tmp/cluster.txt" 2>"$tmp/cluster.err"; rc=$?
rows=$(awk '/^NODE /{t=1; next} t && !NF {exit} t' "$tmp/cluster.txt" | wc -l)
check "vtax -b --prometheus: exit 0, a NODE column, all $total guests (got $rows)" \
	sh -c "[ $rc -eq 0 ] && grep -q '^NODE ' '$tmp/cluster.txt' && [ $rows -eq $total ]" || cat "$tmp/cluster.err"
check "vtax -b --prometheus: each node's guests under its name" \
	sh -c "grep -q '^pve1 ' '$tmp/cluster.txt' && grep -q '^virt-deb1 ' '$tmp/cluster.txt' && grep -q '^apps1 ' '$tmp/cluster.txt'"
timeout 20 "$VTAX" --json -n 2 -d 1 --prometheus "http://127.0.0.1:$pport" >"$tmp/cluster.json" 2>/dev/null
check "vtax --json --prometheus: every guest's memory figures and PIDS as the nodes' own JSON" python3 - "$tmp" <<'PY'
import json, sys
t = sys.argv[1]
def figs(g):
    m = g["mem"]
    return (m["tax"], m["host"], m["working_set"], m["page_cache"], m["guest_used"],
            m["guest_cache"], m["kernel"]["total"], m["tax_lower_bound"], g["pids"])
want = {}
for n in ("pve", "virt", "apps"):
    d = json.load(open("%s/%s.json" % (t, n)))
    for g in d["guests"]:
        want[(d["host"]["name"], g["runtime"], g["id"])] = figs(g)
d = json.loads(open(t + "/cluster.json").read().splitlines()[-1])
got = {(g["node"], g["runtime"], g["id"]): figs(g) for g in d["guests"]}
if got != want:
    print("  differ:", [(k, want[k], got.get(k)) for k in want if got.get(k) != want[k]][:4])
    sys.exit(1)
PY
check "vtax --json --prometheus: every guest's interfaces by name, as the nodes' own JSON" python3 - "$tmp" <<'PY'
import json, sys
t = sys.argv[1]
names = lambda g: sorted(n["name"] for n in (g["net"]["nics"] or []))
want = {}
for n in ("pve", "virt", "apps"):
    d = json.load(open("%s/%s.json" % (t, n)))
    for g in d["guests"]:
        want[(d["host"]["name"], g["runtime"], g["id"])] = names(g)
d = json.loads(open(t + "/cluster.json").read().splitlines()[-1])
got = {(g["node"], g["runtime"], g["id"]): names(g) for g in d["guests"]}
print("  %d guests with interfaces" % sum(1 for v in want.values() if v))
sys.exit(0 if got == want and any(want.values()) else 1)
PY

# --remote: the nodes' own /sample, one node that does not answer
dead=$(free_port)
start=$(date +%s%N)
timeout 20 "$VTAX" -b -n 1 --remote "127.0.0.1:$PORT_pve,127.0.0.1:$PORT_virt,127.0.0.1:$PORT_apps,127.0.0.1:$dead" \
	>"$tmp/remote.txt" 2>"$tmp/remote.err"; rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
rows=$(awk '/^NODE /{t=1; next} t && !NF {exit} t' "$tmp/remote.txt" | wc -l)
check "vtax -b --remote: all $total guests of the three nodes (got $rows)" [ "$rows" -eq "$total" ]
check "vtax -b --remote: the node that does not answer is shown DOWN, and said once" \
	sh -c "grep -q '127.0.0.1:$dead DOWN' '$tmp/remote.txt' && [ \$(grep -c 'is down' '$tmp/remote.err') -eq 1 ]"
check "vtax -b --remote: rates at once (TAX% of the first frame known)" \
	sh -c "grep -q '^pve1 *100 .* 6.0 ' '$tmp/remote.txt'"
check "vtax -b --remote: the dead node did not hold up the frame (${ms} ms)" [ "$ms" -lt 3000 ]
finish
