#!/bin/bash
# InfluxDB export against the real engine (Debian's influxdb, started here
# on 127.0.0.1): Proxmox's measurement and tags with vtax's values, over
# HTTP and UDP; InfluxDB killed or stopped mid-run costs one notice, no
# late refresh and no memory growth.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/export.sh"
need_cmd python3 python3
need_cmd influxd influxdb
tmp=$(mktemp -d)
pids=""
cleanup() {
	# shellcheck disable=SC2086 # a list of pids
	[ -n "$pids" ] && kill -CONT $pids 2>/dev/null && kill $pids 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fx=$SRCDIR/tests/fixtures
iport=$(free_port) rport=$(free_port) uport=$(free_port)
cat >"$tmp/influxdb.conf" <<EOT
reporting-disabled = true
bind-address = "127.0.0.1:$rport"
[meta]
  dir = "$tmp/meta"
[data]
  dir = "$tmp/data"
  wal-dir = "$tmp/wal"
  query-log-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:$iport"
  log-enabled = false
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
[[udp]]
  enabled = true
  bind-address = "127.0.0.1:$uport"
  database = "pve_udp"
  batch-timeout = "200ms"
EOT
influxd -config "$tmp/influxdb.conf" >"$tmp/influxd.log" 2>&1 &
ipid=$!
pids="$ipid"
iq() {  # iq QUERY [DB]: the JSON reply of /query
	python3 - "http://127.0.0.1:$iport" "$1" "${2:-}" <<'PY'
import json, sys, urllib.parse, urllib.request
args = {"q": sys.argv[2]}
if sys.argv[3]:
    args["db"] = sys.argv[3]
data = urllib.parse.urlencode(args).encode()
print(urllib.request.urlopen(sys.argv[1] + "/query", data=data, timeout=10).read().decode())
PY
}
iq_up() { iq "SHOW DATABASES" >/dev/null; }
check "influxd answers on 127.0.0.1" wait_until 30 iq_up || tail "$tmp/influxd.log"
iq 'CREATE DATABASE pve' >/dev/null

"$VTAX" --influx "http://127.0.0.1:$iport/write?db=pve" --replay "$fx/proxmox-node.jsonl" -d 0.1 \
	2>"$tmp/push.err"; rc=$?
check "--influx over HTTP: exit 0, nothing to say" sh -c "[ $rc -eq 0 ] && [ ! -s '$tmp/push.err' ]" ||
	cat "$tmp/push.err"
"$VTAX" --json --replay "$fx/proxmox-node.jsonl" | tail -1 >"$tmp/last.json"
iq 'SELECT * FROM "system" GROUP BY * ORDER BY time DESC LIMIT 1' pve >"$tmp/select.json"
check "SELECT gives Proxmox's measurement, tags and fields with vtax's values" python3 - "$tmp" <<'PY'
import json, sys
t = sys.argv[1]
r = json.load(open(t + "/select.json"))["results"][0]["series"]
d = json.load(open(t + "/last.json"))
rows = {}
for s in r:
    assert s["name"] == "system", s["name"]
    row = dict(zip(s["columns"], s["values"][0]))
    rows[(s["tags"]["object"], s["tags"]["vmid"])] = (s["tags"], row)
obj = {"proxmox-vm": "qemu", "proxmox-ct": "lxc"}
ok = len(rows) == len(d["guests"])
for g in d["guests"]:
    tags, row = rows[(obj[g["runtime"]], g["id"])]
    want = {"nodename": "pve1", "host": g["name"]}
    ok &= all(tags.get(k) == v for k, v in want.items())
    ok &= row["tax_mem"] == g["mem"]["tax"] and row["memhost"] == g["mem"]["host"]
    ok &= row["wset"] == g["mem"]["working_set"] and row["mem"] == g["mem"]["working_set"]
    ok &= abs(row["tax_cpu"] * 100 - g["cpu"]["tax"]) < 0.006
    ok &= all(k in row for k in ("cpu", "maxmem", "cpus", "page_cache"))
    print("  %s/%s: tags %s; tax_mem %s (json %s), tax_cpu %s (json %s%%)" % (
        tags["object"], tags["vmid"], {k: tags[k] for k in ("nodename", "host")},
        row["tax_mem"], g["mem"]["tax"], row["tax_cpu"], g["cpu"]["tax"]))
sys.exit(0 if ok else 1)
PY
iq 'SELECT * FROM "nics" GROUP BY * ORDER BY time DESC LIMIT 1' pve >"$tmp/nics.json"
check "Proxmox's netin, netout, name and status, and its nics lines per interface, as the samples hold them" \
	python3 - "$tmp" "$fx/proxmox-node.jsonl" <<'PY'
import json, sys
t, fx = sys.argv[1], sys.argv[2]
rec = json.loads(open(fx).read().splitlines()[-1])
obj = {"proxmox-vm": "qemu", "proxmox-ct": "lxc"}
sys_rows = {}
for s in json.load(open(t + "/select.json"))["results"][0]["series"]:
    sys_rows[s["tags"]["vmid"]] = dict(zip(s["columns"], s["values"][0]))
nic_rows = {}
for s in json.load(open(t + "/nics.json"))["results"][0].get("series", []):
    nic_rows[(s["tags"]["object"], s["tags"]["vmid"], s["tags"]["instance"])] = dict(zip(s["columns"], s["values"][0]))
ok = bool(nic_rows)
for g in rec["guests"]:
    row = sys_rows[g["id"]]
    rx = sum(n["rx_bytes"] for n in g["nics"])
    tx = sum(n["tx_bytes"] for n in g["nics"])
    ok &= row["netin"] == rx and row["netout"] == tx and row["name"] == g["name"] and row["status"] == "running"
    for n in g["nics"]:
        r = nic_rows.get((obj[g["runtime"]], g["id"], n["name"]))
        ok &= r is not None and r["netin"] == n["rx_bytes"] and r["netout"] == n["tx_bytes"]
    print("  %s: netin %s (sample %s), netout %s, name %r, %d nics line(s)" % (
        g["id"], row["netin"], rx, row["netout"], row["name"], len(g["nics"])))
sys.exit(0 if ok else 1)
PY

"$VTAX" --influx "udp://127.0.0.1:$uport" --replay "$fx/big-host.jsonl" -d 0.05 2>"$tmp/udp.err"
n=$(python3 -c 'import json; print(len(json.loads(open("'"$fx/big-host.jsonl"'").readlines()[-1])["guests"]))')
udp_count() {
	iq 'SELECT count(tax_mem) FROM "system" GROUP BY "vmid", "object"' pve_udp >"$tmp/udp.json" &&
		python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0].get("series",[]); sys.exit(0 if len(r)>=int(sys.argv[2]) else 1)' "$tmp/udp.json" "$n"
}
check "--influx over UDP: every one of the $n guests of the last sample arrives" wait_until 10 udp_count

# InfluxDB gone mid-run: a cluster view of a held replay refreshes forever
serve_replay pve "$fx/proxmox-node.jsonl"
pids="$pids $PID_pve"
"$VTAX" --json -d 0.2 --remote "127.0.0.1:$PORT_pve" --influx "http://127.0.0.1:$iport/write?db=pve" \
	>"$tmp/run.jsonl" 2>"$tmp/run.err" &
vpid=$!
pids="$pids $vpid"
sleep 1.5
kill -STOP "$ipid"             # slow: connections hang until the push times out
sleep 1
l0=$(wc -l <"$tmp/run.jsonl"); rss0=$(awk '/VmRSS/{print $2}' "/proc/$vpid/status")
sleep 4
l1=$(wc -l <"$tmp/run.jsonl"); rss1=$(awk '/VmRSS/{print $2}' "/proc/$vpid/status")
kill -CONT "$ipid"
sleep 3
kill -9 "$ipid"                # gone: connection refused
sleep 2
l2=$(wc -l <"$tmp/run.jsonl")
kill "$vpid"; wait "$vpid" 2>/dev/null
check "InfluxDB stopped: refreshes on time ($((l1 - l0)) frames in 4 s at -d 0.2)" \
	sh -c "[ $((l1 - l0)) -ge 18 ] && [ $((l1 - l0)) -le 22 ]"
# AddressSanitizer keeps freed memory in quarantine (up to 256 MB): the
# bound there is the queue's 8 MiB, not its RSS
bound=2048
ldd "$VTAX" 2>/dev/null | grep -q libasan && bound=$((16 * 1024))
check "InfluxDB stopped: memory bounded (RSS $rss0 -> $rss1 kB)" [ $((rss1 - rss0)) -lt $bound ]
check "InfluxDB killed: refreshes go on ($((l2 - l1)) frames in 5 s)" [ $((l2 - l1)) -ge 22 ]
sed 's/^/  | /' "$tmp/run.err"
check "one notice when it went, one when it came back, one when it went again" \
	sh -c "[ \$(grep -c 'dropping data until it answers' '$tmp/run.err') -eq 2 ] && [ \$(grep -c 'answers again' '$tmp/run.err') -eq 1 ]"
finish
