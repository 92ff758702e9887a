#!/bin/bash
# The recorder against what goes wrong on a real host: killed with
# SIGKILL, a torn write left at the end of a day file, a full disk (a
# small tmpfs), its directory removed while it records, damage in the
# middle of a day file. It must keep running with one notice and resume,
# and replay and report must read every intact chunk and say what they
# skipped. Chunks close every second here (VTAX_HIST_CHUNK_MS).
. "$(dirname "$0")/lib/common.sh"
need_root "mounts a small tmpfs"
need_cmd python3 python3
work=$(mktemp -d /tmp/vtax-h17-faults.XXXXXX)
rec=
cleanup() {
	[ -n "$rec" ] && kill "$rec" 2>/dev/null && wait "$rec" 2>/dev/null
	mountpoint -q "$work/small" && umount "$work/small"
	rm -rf "$work"
}
trap cleanup EXIT
export VTAX_HIST_CHUNK_MS=1000
start() {  # start DIR: a headless recorder, 5 samples a second
	"$VTAX" --record "$1/" -d 0.2 2>>"$work/rec.err" &
	rec=$!
}
stop() { kill "$rec"; wait "$rec"; rc=$?; rec=; return $rc; }
samples() { "$VTAX" --replay "$1" -j 2>"$work/replay.err" | wc -l; }

# SIGKILL: what reached the disk stays readable
start "$work/k"
sleep 3.5
kill -9 "$rec"; wait "$rec" 2>/dev/null; rec=
n1=$(samples "$work/k")
size1=$(stat -c %s "$work"/k/vtax-*.zst)
check "after SIGKILL the history replays ($n1 samples)" [ "$n1" -ge 8 ]
check "... without a complaint" [ ! -s "$work/replay.err" ]
# a torn write at the end, then a new recorder appending after it
head -c 123 /dev/urandom >>"$work/k"/vtax-*.zst
start "$work/k"
sleep 2.5
check "the recorder stops cleanly on SIGTERM" stop
n2=$(samples "$work/k")
check "samples after the torn write are read too ($n1 then $n2)" [ "$n2" -ge $((n1 + 8)) ]
check "the skipped bytes are told" grep -q "skipped 123 damaged bytes" "$work/replay.err"

# damage in the middle of a day file (inside the first recorder's
# chunks, not the torn bytes): the chunks around it are read
f=$(ls "$work"/k/vtax-*.zst)
printf 'XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX' |
	dd of="$f" bs=1 seek=$((size1 / 2)) conv=notrunc status=none
n3=$(samples "$work/k"); rc=$?
check "a file damaged in the middle still replays ($n3 of $n2 samples)" \
	sh -c "[ $n3 -ge $((n2 / 2)) ] && [ $n3 -lt $n2 ]"
check "... and says what it skipped" grep -qE "damaged|chunk at offset" "$work/replay.err"
"$VTAX" report "$work/k" >"$work/report.txt" 2>"$work/report.err"
check "report reads it too, exit 0" [ $? -eq 0 ]
check "... and says what it skipped" grep -q "skipped" "$work/report.err"

# the disk full: one notice, then it resumes when there is room
mkdir -p "$work/small"
mount -t tmpfs -o size=256k tmpfs "$work/small" || skip "cannot mount a tmpfs"
mkdir "$work/small/h"
dd if=/dev/zero of="$work/small/fill" bs=4k status=none 2>/dev/null
: >"$work/rec.err"
start "$work/small/h"
sleep 3
check "the recorder runs on with the disk full" kill -0 "$rec"
check "one notice for the full disk" \
	sh -c "[ \$(grep -c 'No space left' '$work/rec.err') -eq 1 ]"
rm -f "$work/small/fill"
sleep 3
check "stops cleanly" stop
check "it says it writes again" grep -q "written to .* again" "$work/rec.err"
n4=$(samples "$work/small/h")
check "samples recorded after the disk had room ($n4)" [ "$n4" -ge 8 ]
check "... with nothing damaged" [ ! -s "$work/replay.err" ]

# the directory removed while recording: made again
: >"$work/rec.err"
start "$work/gone"
sleep 2
rm -rf "$work/gone"
sleep 2.5
check "stops cleanly" stop
check "the directory is made again" sh -c "ls '$work'/gone/vtax-*.zst >/dev/null"
n5=$(samples "$work/gone")
check "samples after the removal ($n5)" [ "$n5" -ge 5 ]
finish
