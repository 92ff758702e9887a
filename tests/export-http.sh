#!/bin/bash
# The HTTP side of --serve under abuse: 1,000 idle connections, a 1 MB
# request, a slow client, a malformed request line, wrong credentials,
# plain HTTP to the TLS port. The refreshes stay on time, each bad
# request gets a clear HTTP error (or, for plain HTTP on TLS, a closed
# connection), nothing crashes.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/export.sh"
need_cmd python3 python3
need_cmd openssl openssl
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

# TLS and basic auth from a web configuration, as the exporters have it
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$tmp/key.pem" -out "$tmp/cert.pem" >/dev/null 2>&1
hash=$(python3 -c 'import crypt; print(crypt.crypt("s3cret", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 10)))' 2>/dev/null)
cat >"$tmp/web.yml" <<EOT
# vtax web configuration
tls_server_config:
  cert_file: cert.pem
  key_file: key.pem
basic_auth_users:
  prometheus: '$hash'
EOT
# the server under test refreshes a cluster view of a held replay (so it
# refreshes for ever) and prints each frame: its pace is visible
serve_replay node "$fx/proxmox-node.jsonl"
pids="$PID_node"
port=$(free_port)
"$VTAX" --json -d 0.2 --remote "127.0.0.1:$PORT_node" --serve "127.0.0.1:$port" \
	--web-config "$tmp/web.yml" >"$tmp/frames.jsonl" 2>"$tmp/serve.err" &
vpid=$!
pids="$pids $vpid"
wait_until 10 grep -q "on port $port" "$tmp/serve.err"
check "--serve with TLS and basic auth starts" grep -q "on port $port" "$tmp/serve.err"
sleep 1

l0=$(wc -l <"$tmp/frames.jsonl"); t0=$(date +%s%N)
python3 - "$port" "$tmp/cert.pem" "$vpid" >"$tmp/abuse.txt" 2>&1 <<'PY'
import base64, socket, ssl, sys, threading, time
port, cafile = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=cafile)
def tls():
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    return ctx.wrap_socket(s, server_hostname="127.0.0.1")
def ask(raw, conn=None):
    s = conn or tls()
    s.sendall(raw)
    data = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
    except (socket.timeout, ssl.SSLError, ConnectionResetError):
        pass
    s.close()
    return data.split(b"\r\n", 1)[0].decode(errors="replace")
good = "Basic " + base64.b64encode(b"prometheus:s3cret").decode()
bad = "Basic " + base64.b64encode(b"prometheus:wrong").decode()
def req(path, auth=None, extra=""):
    h = "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" % path
    if auth:
        h += "Authorization: %s\r\n" % auth
    return (h + extra + "\r\n").encode()
print("good:", ask(req("/metrics", good)))
print("nocreds:", ask(req("/metrics")))
print("wrong:", ask(req("/metrics", bad)))
print("malformed:", ask(b"GET /metrics HTTP/1.1 extra words\r\nHost: x\r\n\r\n"))
print("post:", ask(b"POST /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: " + good.encode() +
                   b"\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"))
print("1MB:", ask(req("/metrics", good, "X-Big: " + "a" * (1 << 20) + "\r\n")))
# plain HTTP to the TLS port: no answer in plain HTTP, the connection closes
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
try:
    d = s.recv(100)
except Exception as e:
    d = b"closed"
print("plain:", "closed" if not d or d == b"closed" or not d.startswith(b"HTTP/1.1 200") else d[:20])
# a slow client drips a byte a second while others are served
slow = tls()
def drip():
    for ch in b"GET /metrics HTTP/1.1\r\n":
        try:
            slow.send(bytes([ch]))
        except Exception:
            return
        time.sleep(1)
t = threading.Thread(target=drip); t.start()
time.sleep(2)
t0 = time.time(); r = ask(req("/json", good))
print("beside a slow client: %s in %.0f ms" % (r, (time.time() - t0) * 1000))
# 1,000 idle connections
idle = []
for i in range(1000):
    try:
        idle.append(socket.create_connection(("127.0.0.1", port), timeout=5))
    except OSError as e:
        print("connect", i, e); break
time.sleep(3)
import os
print("server sockets: %d" % sum(1 for f in os.listdir("/proc/%s/fd" % sys.argv[3])
                                 if os.readlink("/proc/%s/fd/%s" % (sys.argv[3], f)).startswith("socket:")))
alive = 0
for c in idle:
    c.setblocking(False)
    try:
        alive += c.recv(1) != b""
    except BlockingIOError:
        alive += 1
    except OSError:
        pass
print("idle kept: %d of %d" % (alive, len(idle)))
for c in idle:
    c.close()
time.sleep(0.5)
t0 = time.time(); r = ask(req("/metrics", good))
print("after the idle ones: %s in %.0f ms" % (r, (time.time() - t0) * 1000))
t.join()
PY
l1=$(wc -l <"$tmp/frames.jsonl"); t1=$(date +%s%N)
want=$(((t1 - t0) / 200000000))
sed 's/^/  | /' "$tmp/abuse.txt"
a() { grep -q "^$1: $2" "$tmp/abuse.txt"; }
check "good credentials over TLS: 200" a good "HTTP/1.1 200"
check "no credentials: 401" a nocreds "HTTP/1.1 401"
check "wrong credentials: 401" a wrong "HTTP/1.1 401"
check "malformed request line: 400" a malformed "HTTP/1.1 400"
check "a request with a body: 405 (only GET and HEAD)" a post "HTTP/1.1 405"
check "a 1 MB request: 431 (headers too large)" a 1MB "HTTP/1.1 4[13][0-9]"
check "plain HTTP to the TLS port: connection closed, no page" a plain closed
check "others are served beside a slow client" a "beside a slow client" "HTTP/1.1 200"
check "1,000 idle connections: vtax holds at most 256 (+ its own few sockets)" \
	sh -c "n=\$(sed -n 's/^server sockets: \([0-9]*\)/\1/p' '$tmp/abuse.txt'); [ -n \"\$n\" ] && [ \"\$n\" -le 266 ]"
check "served again once the idle ones close" a "after the idle ones" "HTTP/1.1 200"
kill -0 "$vpid" 2>/dev/null
check "vtax still runs" kill -0 "$vpid"
check "refreshes stayed on time under abuse ($((l1 - l0)) frames in $(((t1 - t0) / 1000000)) ms at -d 0.2)" \
	sh -c "[ $((l1 - l0)) -ge $((want * 9 / 10)) ] && [ $((l1 - l0)) -le $((want + 2)) ]"
kill "$vpid"; wait "$vpid" 2>/dev/null
finish
