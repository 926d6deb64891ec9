#!/bin/sh
# SPDX-License-Identifier: MIT
# hvkit cpuid: decode of one dump (in-process, --repeat N; goal < 1 ms),
# baseline of 1,000 dumps (whole command; goal < 100 ms), and the baseline
# of a pair against `virsh -c test:///default cpu-baseline` in the same
# run (goal: hvkit at least 10x faster).  Prints medians and ratios.
#   bench/cpuid.sh [HVKIT] [RUNS]
set -eu
HVKIT=${1:-build/hvkit}
RUNS=${2:-11}
DATA=$(dirname "$0")/../tests/data/cpuid
BENCH_DECIMALS=3
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

# 1. decode of one dump, in-process
one=$DATA/libvirt/x86_64-cpuid-Xeon-Gold-6130.xml
"$HVKIT" cpuid dump --from "$one" -o "$tmp/one.dump"
for f in "$one" "$tmp/one.dump"; do
	us=$("$HVKIT" cpuid decode --from "$f" --repeat 2000 2>&1 >/dev/null |
		sed -n 's/.* \([0-9.]*\) us each/\1/p')
	echo "decode (read + parse + decode + render) of $(basename "$f"): $us us each (2000 runs in one process; goal < 1000 us)"
done

# 2. baseline of 1,000 dumps: the Intel fixture dumps, each copied with
# one feature bit of leaf 1 ecx or leaf 7 ebx cleared (a different one per copy).
i=0
for f in "$DATA"/libvirt/x86_64-cpuid-*.xml; do
	case $f in *-host.xml | *-json.xml | *baseline*) continue ;; esac
	grep -q "<cpuid eax_in='0x00000000'.*ebx='0x756e6547'" "$f" || continue
	"$HVKIT" cpuid dump --from "$f" -o "$tmp/base-$i.dump"
	i=$((i + 1))
done
python3 - "$tmp" "$i" <<'PY'
import re, sys
d, nbase = sys.argv[1], int(sys.argv[2])
bits = {"0x00000001": ("ecx", [9, 12, 19, 20, 25]), "0x00000007": ("ebx", [3, 4, 8, 11, 18])}
for k in range(1000):
    leaf = "0x00000001" if k % 2 == 0 else "0x00000007"
    reg, choices = bits[leaf]
    bit = choices[(k // 2) % 5]
    out = []
    for line in open(f"{d}/base-{k % nbase}.dump"):
        if line.startswith(f"   {leaf} 0x00:"):
            v = int(re.search(reg + r"=0x([0-9a-f]+)", line).group(1), 16) & ~(1 << bit)
            line = re.sub(reg + r"=0x[0-9a-f]+", f"{reg}=0x{v:08x}", line)
        out.append(line)
    open(f"{d}/host-{k}.dump", "w").writelines(out)
PY
"$HVKIT" cpuid baseline "$tmp"/host-*.dump >"$tmp/b1000.txt" || { echo "bench: baseline of 1000 failed" >&2; exit 1; }
ms=$(median_ms "$HVKIT" cpuid baseline "$tmp"/host-*.dump)
echo "baseline of 1000 dumps ($(ls "$tmp"/host-*.dump | wc -l) files from $i Intel fixtures): $ms ms (goal < 100 ms); $(sed -n 's/^closest: *//p' "$tmp/b1000.txt")"

# 3. a pair: hvkit on the hosts' CPUID (hvkit dumps, and libvirt <cpudata>
# XML, read by hvkit's own reader of that shape: no libxml2 is loaded) vs
# virsh on libvirt 9.0's decodes of the same hosts.  Each is run RUNS x 5 times back to back and the mean taken
# (a process start of a few ms is what is measured: date's own cost would
# blur a median of single runs).
mean_ms() {
	n=$((RUNS * 5))
	s=$(date +%s%N)
	k=0
	while [ $k -lt $n ]; do
		"$@" >/dev/null 2>&1
		k=$((k + 1))
	done
	e=$(date +%s%N)
	awk -v t=$((e - s)) -v n=$n 'BEGIN { printf "%.2f", t / n / 1e6 }'
}
a=Xeon-Platinum-8268 b=Xeon-Gold-6130
"$HVKIT" cpuid dump --from "$DATA/libvirt/x86_64-cpuid-$a.xml" -o "$tmp/a.dump"
"$HVKIT" cpuid dump --from "$DATA/libvirt/x86_64-cpuid-$b.xml" -o "$tmp/b.dump"
ours=$(mean_ms "$HVKIT" cpuid baseline "$tmp/a.dump" "$tmp/b.dump")
oursx=$(mean_ms "$HVKIT" cpuid baseline "$DATA/libvirt/x86_64-cpuid-$a.xml" "$DATA/libvirt/x86_64-cpuid-$b.xml")
start=$(mean_ms "$HVKIT" --version)
if command -v virsh >/dev/null && virsh -c test:///default version >/dev/null 2>&1; then
	cat "$DATA/libvirt-9.0/x86_64-cpuid-$a-host.xml" "$DATA/libvirt-9.0/x86_64-cpuid-$b-host.xml" >"$tmp/pair.xml"
	theirs=$(mean_ms virsh -c test:///default cpu-baseline "$tmp/pair.xml")
	echo "baseline of a pair ($a + $b): virsh cpu-baseline $theirs ms;" \
		"hvkit on dumps $ours ms, ratio $(bench_ratio "$ours" "$theirs");" \
		"hvkit on libvirt XML $oursx ms, ratio $(bench_ratio "$oursx" "$theirs") (goal >= 10x; hvkit --version alone: $start ms)"
else
	echo "baseline of a pair ($a + $b): hvkit $ours ms (dumps), $oursx ms (XML);" \
		"virsh -c test:///default cannot run here: no ratio"
fi
