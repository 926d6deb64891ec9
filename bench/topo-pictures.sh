#!/bin/sh
# SPDX-License-Identifier: MIT
# hvkit topo pictures against lstopo, in the same run: -o x.svg and
# -o x.png against lstopo --of svg / --of png, on this machine and three
# large snapshots, then the synthetic 4096-PU, 300-device machine.
# Prints the median wall time of RUNS runs of each and the ratio
# (lstopo time / hvkit time; above 1 means hvkit is faster).
#   bench/topo-pictures.sh [HVKIT] [RUNS]
set -eu
HVKIT=${1:-build/hvkit}
RUNS=${2:-11}
DATA=$(dirname "$0")/../tests/data/hwloc
SYNTH="pack:16 core:128 pu:2 pci:300"
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
bench_need lstopo hwloc
lstopo --help 2>&1 | grep -q 'png' || { echo "bench: this lstopo cannot write PNG (lstopo-no-graphics?)" >&2; exit 1; }

printf '%-38s %10s %10s %8s\n' "case" "hvkit ms" "lstopo ms" "ratio"
report() {
	printf '%-38s %10s %10s %8s\n' "$1" "$2" "$3" \
		"$(bench_ratio "$2" "$3")"
}

# One case: both tools draw the same input into a file of each format.
# $1: label; $2: hvkit input options; $3: HWLOC_FSROOT or "" for live.
bench_case() {
	for fmt in svg png; do
		# shellcheck disable=SC2086
		h=$(median_ms "$HVKIT" topo $2 -o "$tmp/h.$fmt")
		if [ -n "$3" ]; then
			l=$(export HWLOC_FSROOT="$3" HWLOC_COMPONENTS=-x86; median_ms lstopo -f --of "$fmt" "$tmp/l.$fmt")
		else
			l=$(median_ms lstopo -f --of "$fmt" "$tmp/l.$fmt")
		fi
		report "$1 $fmt" "$h" "$l"
	done
}

bench_case "live (this machine)" "" ""
# Snapshots: both read the same extracted tree, so decompression is not
# counted for either.
for snap in 256ppc-8n8s4t 32em64t-2n8c+dax+nvme+mic+dimms memorysidecaches; do
	mkdir -p "$tmp/$snap"
	tar xjf "$DATA/$snap.tar.bz2" -C "$tmp/$snap"
	root=$(echo "$tmp/$snap"/*)
	bench_case "$snap" "--sysroot $root" "$root"
done

# The synthetic giant (no lstopo counterpart): goal under 100 ms for SVG.
for fmt in svg png; do
	h=$(median_ms "$HVKIT" topo --synthetic "$SYNTH" -o "$tmp/s.$fmt")
	printf '%-38s %10s %10s %8s\n' "synthetic 4096 PU $fmt" "$h" "-" \
		"$( [ "$fmt" = svg ] && awk -v a="$h" 'BEGIN { print (a < 100 ? "<100ms" : "SLOW") }' || echo -)"
done
