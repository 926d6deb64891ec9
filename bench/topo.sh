#!/bin/sh
# SPDX-License-Identifier: MIT
# hvkit topo against lstopo, in the same run: discovery to JSON/XML,
# live and on three snapshots.  Prints the median of N runs of each and
# the ratio (lstopo time / hvkit time; above 1 means hvkit is faster).
#   bench/topo.sh [HVKIT] [RUNS]
set -eu
HVKIT=${1:-build/hvkit}
RUNS=${2:-21}
DATA=$(dirname "$0")/../tests/data/hwloc
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
bench_need lstopo-no-graphics hwloc

printf '%-34s %12s %12s %8s\n' "case" "hvkit ms" "lstopo ms" "ratio"
report() {
	printf '%-34s %12s %12s %8s\n' "$1" "$2" "$3" \
		"$(bench_ratio "$2" "$3")"
}

# Live: the whole machine, I/O included on both sides.
h=$(median_ms "$HVKIT" topo --json)
l=$(median_ms lstopo-no-graphics --whole-system --whole-io --of xml)
report "live (this machine)" "$h" "$l"

# Snapshots: both read the same extracted tree, so decompression is not
# counted for either.
for snap in 32em64t-2n8c+dax+nvme+mic+dimms 256ppc-8n8s4t memorysidecaches; do
	mkdir -p "$tmp/$snap"
	tar xjf "$DATA/$snap.tar.bz2" -C "$tmp/$snap"
	root=$(echo "$tmp/$snap"/*)
	h=$(median_ms "$HVKIT" topo --json --sysroot "$root")
	l=$(HWLOC_FSROOT=$root HWLOC_COMPONENTS=-x86 median_ms lstopo-no-graphics --whole-system --whole-io --of xml)
	report "$snap" "$h" "$l"
done

# Instructions executed (valgrind --tool=callgrind): the same count for
# the same binary and input whatever else the machine is doing, so the
# ratio holds on a loaded or shared machine.  System-call time is not in it.
if command -v valgrind >/dev/null; then
	ir() {
		valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
			sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
	}
	printf '\n%-34s %12s %12s %8s\n' "case (instructions)" "hvkit" "lstopo" "ratio"
	report "live (this machine)" "$(ir "$HVKIT" topo --json)" \
		"$(ir lstopo-no-graphics --whole-system --whole-io --of xml)"
	for snap in 32em64t-2n8c+dax+nvme+mic+dimms 256ppc-8n8s4t memorysidecaches; do
		root=$(echo "$tmp/$snap"/*)
		report "$snap" "$(ir "$HVKIT" topo --json --sysroot "$root")" \
			"$(HWLOC_FSROOT=$root HWLOC_COMPONENTS=-x86 ir lstopo-no-graphics --whole-system --whole-io --of xml)"
	done
fi
