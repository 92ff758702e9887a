# shellcheck shell=bash
# Helpers for the export tests (sourced after common.sh): servers on
# 127.0.0.1 in the test's own directory, stopped by pid.

# free_port: a TCP port free on 127.0.0.1 now
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# http GET URL [OUT]: the body to OUT (or stdout); fails on no answer or status >= 400
http() {
	python3 - "$@" <<'PY'
import sys, urllib.request
try:
    body = urllib.request.urlopen(sys.argv[1], timeout=10).read()
except Exception as e:
    print("  GET %s: %s" % (sys.argv[1], e), file=sys.stderr)
    sys.exit(1)
(open(sys.argv[2], "wb") if len(sys.argv) > 2 else sys.stdout.buffer).write(body)
PY
}
# serve_replay NAME FIXTURE [ARGS...]: vtax --serve on a free port replaying
# FIXTURE at -d 0.3; sets PID_NAME and PORT_NAME
serve_replay() {
	local name=$1 fx=$2 i port; shift 2
	"$VTAX" --serve 127.0.0.1:0 --replay "$fx" -d 0.3 "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	eval "PID_$name=$!"
	for i in $(seq 100); do
		port=$(sed -n 's/.*on port \([0-9]*\).*/\1/p' "$tmp/$name.err")
		[ -n "$port" ] && break
		sleep 0.05
	done
	eval "PORT_$name=$port"
	[ -n "$port" ]
}
# wait_until SECONDS COMMAND...: COMMAND succeeds within SECONDS
wait_until() {
	local end=$(($(date +%s) + $1)); shift
	until "$@" 2>/dev/null; do
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.2
	done
}
