#!/bin/sh
# SPDX-License-Identifier: MIT
# hvkit move against qemu-img in the same run: raw -> dynamic VHD of a
# 2 GiB sparse image holding 300 MiB of data, contiguous then scattered
# (64 KiB pieces); raw -> qcow2 against qemu-img convert -O qcow2; and
# raw -> XVA (xva-img's disk-import where installed); push and pull of a
# 64 GiB disk holding 1 GiB against a 1 GiB disk (bench/move-xapi.py).
#   bench/move.sh [BUILD_DIR]
set -eu
build=${1:-build}
hv=$build/hvkit
[ -x "$hv" ] || { echo "bench: build first ($hv missing)" >&2; exit 2; }
command -v qemu-img >/dev/null || { echo "bench: qemu-img missing (Debian qemu-utils)" >&2; exit 2; }
# The files live in RAM (/dev/shm) when it has room: on a disk, writing
# 2 GiB outputs measures the disk's writeback (runs varied 3x here), not
# the tools.  BENCH_DIR overrides; fsync costs nothing on tmpfs.
base=${BENCH_DIR:-}
if [ -z "$base" ]; then
	base=${TMPDIR:-/tmp}
	free_kb=$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')
	[ "${free_kb:-0}" -gt $((10 * 1024 * 1024)) ] && base=/dev/shm
fi
dir=$(mktemp -d "$base/hvkit-bench-move.XXXXXX")
echo "files in $base ($(df -PT "$base" | awk 'NR == 2 { print $2 }'))"
trap 'rm -rf "$dir"' EXIT

now() { date +%s.%N; }
# Best of 3 wall-clock seconds of a command.
best() {
	b=""
	for _ in 1 2 3; do
		t0=$(now); "$@" >/dev/null 2>&1; t1=$(now)
		t=$(echo "$t1 - $t0" | bc)
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; fi
	done
	echo "$b"
}

python3 - "$dir" <<'PY'
import os, random, sys
d = sys.argv[1]
rnd = random.Random(42)
G, M = 1 << 30, 1 << 20
with open(os.path.join(d, "contig.raw"), "wb") as f:
    f.truncate(2 * G)
    f.seek(512 * M)
    for _ in range(300):
        f.write(rnd.randbytes(M))
with open(os.path.join(d, "scatter.raw"), "wb") as f:
    f.truncate(2 * G)
    piece = 64 * 1024
    slots = rnd.sample(range(2 * G // piece), 300 * M // piece)
    for s in slots:
        f.seek(s * piece)
        f.write(rnd.randbytes(piece))
PY
sync

# qemu-img convert does not fsync its output (cache=unsafe): the fair
# comparison is --no-sync; the default (fsync before rename) is shown too.
printf '%-28s %10s %10s %10s %8s\n' "case (2 GiB, 300 MiB data)" "hvkit s" "+fsync s" "qemu-img s" "ratio"
for img in contig scatter; do
	ours=$(best "$hv" move disk --no-progress --no-sync "$dir/$img.raw" "$dir/$img.vhd" --to vhd)
	synced=$(best "$hv" move disk --no-progress "$dir/$img.raw" "$dir/$img.vhd" --to vhd)
	theirs=$(best qemu-img convert -f raw -O vpc -o subformat=dynamic "$dir/$img.raw" "$dir/$img.q.vhd")
	qemu-img compare -q -f vpc -F vpc "$dir/$img.vhd" "$dir/$img.q.vhd" || echo "bench: $img: outputs differ!" >&2
	printf '%-28s %10.3f %10.3f %10.3f %7.2fx\n' "raw -> vhd, $img" "$ours" "$synced" "$theirs" "$(echo "$theirs / $ours" | bc -l)"
	ls -l "$dir/$img.vhd" "$dir/$img.q.vhd" | awk '{ printf "  %s %d bytes\n", $9, $5 }'
done
for img in contig scatter; do
	ours=$(best "$hv" move disk --no-progress --no-sync "$dir/$img.raw" "$dir/$img.qcow2" --to qcow2)
	theirs=$(best qemu-img convert -f raw -O qcow2 "$dir/$img.raw" "$dir/$img.q.qcow2")
	qemu-img compare -q -f qcow2 -F qcow2 "$dir/$img.qcow2" "$dir/$img.q.qcow2" || echo "bench: $img: qcow2 outputs differ!" >&2
	printf '%-28s %10.3f %10s %10.3f %7.2fx\n' "raw -> qcow2, $img" "$ours" "" "$theirs" "$(echo "$theirs / $ours" | bc -l)"
	ls -l "$dir/$img.qcow2" "$dir/$img.q.qcow2" | awk '{ printf "  %s %d bytes\n", $9, $5 }'
	rm -f "$dir/$img.qcow2" "$dir/$img.q.qcow2"
done
for img in contig scatter; do
	ours=$(best "$hv" move disk --no-progress --no-sync "$dir/$img.raw" "$dir/$img.xva" --to xva)
	if command -v xva-img >/dev/null; then
		theirs=$(best sh -c "rm -rf '$dir/x' && mkdir -p '$dir/x/Ref:1' && xva-img disk-import '$dir/x/Ref:1/' '$dir/$img.raw'")
		printf '%-28s %10.3f %10.3f %7.2fx  (xva-img disk-import, SHA-1, no tar)\n' "raw -> xva, $img" "$ours" "$theirs" "$(echo "$theirs / $ours" | bc -l)"
	else
		printf '%-28s %10.3f %10s\n' "raw -> xva, $img" "$ours" "n/a (no xva-img)"
	fi
done
echo "ratio > 1: hvkit is faster"
# push and pull through the XenAPI test server on loopback: sparse.
python3 "$(dirname "$0")/move-xapi.py" "$build" "$dir"
