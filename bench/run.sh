#!/bin/sh
# make bench: install the peers if missing, then run bench.py and scrape.py
# on the built vtax.
set -eu
cd "$(dirname "$0")/.."
for p in htop atop tmux python3 qemu-system-x86 procps systemd; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="${missing:-} $p"
done
if [ -n "${missing:-}" ]; then
	echo "bench: installing$missing"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/dev/null
fi
python3 bench/bench.py --vtax "${VTAX:-./src/vtax}" "$@"
# what the capsule holds: 100 guests, 10 minutes at 2 s (a synthetic host)
if [ -n "${CAPSULE_BENCH:-}" ]; then
	python3 bench/record-bench.py --capsule-bench "$CAPSULE_BENCH" --capsule-only
fi
# what a /metrics scrape costs at 300 guests (a recorded host; 10 s)
exec python3 bench/scrape.py --vtax "${VTAX:-./src/vtax}"
