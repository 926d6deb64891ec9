#!/bin/sh
# SPDX-License-Identifier: MIT
# hvkit topo against lstopo as the PU count grows, in the same run: the
# synthetic machine "pack:P core:64 pu:1" drawn by both (hwloc's own
# synthetic input, lstopo-no-graphics --if synthetic), to XML/JSON, to
# text and to an SVG picture; `topo check` has no counterpart and is
# timed alone.  Prints the median wall time of RUNS runs, the peak RSS
# (/usr/bin/time -v) and the ratios (lstopo / hvkit; above 1 means hvkit
# is faster or smaller).  The growth columns compare each size with the
# one before (4 times the PUs): about 4 means linear.
#   bench/topo-scale.sh [HVKIT] [RUNS] [PACKAGES...]
# Default packages 16 64 256 (1024, 4096 and 16384 PUs); add 1024 for
# 65536 PUs, the most --synthetic takes (lstopo needs minutes there).
set -eu
HVKIT=${1:-build/hvkit}
RUNS=${2:-3}
[ $# -ge 2 ] && shift 2 || shift $#
SIZES=${*:-16 64 256}
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
bench_need lstopo-no-graphics hwloc
bench_need lstopo hwloc
bench_need /usr/bin/time time

# "MS KB": median wall ms and the largest peak RSS of RUNS runs of "$@"
# (output to $tmp/out).
measure() {
	i=0
	: > "$tmp/times"
	while [ $i -lt "$RUNS" ]; do
		s=$(date +%s%N)
		/usr/bin/time -v -o "$tmp/tv" "$@" > "$tmp/out" 2> /dev/null ||
			{ echo "bench: failed: $*" >&2; exit 1; }
		e=$(date +%s%N)
		awk -F': ' -v ms=$(( (e - s) / 1000000 )) \
			'/Maximum resident set size/ { m = $2 }
			 END { printf "%d %d\n", ms, m }' "$tmp/tv" >> "$tmp/times"
		i=$((i + 1))
	done
	sort -n "$tmp/times" | awk '{ t[NR] = $1; if ($2 > m) m = $2 }
		END { printf "%d %d", t[int((NR + 1) / 2)], m }'
}

printf '%-8s %-6s %9s %9s %7s %9s %9s %7s %7s %7s\n' "PUs" "output" "hvkit ms" "lstopo ms" "ratio" \
	"hvkit MB" "lstopo MB" "ratio" "growth" "RSSgrow"
prev_pus=""
for p in $SIZES; do
	spec="pack:$p core:64 pu:1"
	pus=$((p * 64))
	for out in xml text svg check; do
		case $out in
		xml) h=$(measure "$HVKIT" topo --synthetic "$spec" --json)
		     l=$(measure lstopo-no-graphics --if synthetic --input "$spec" --of xml) ;;
		text) h=$(measure "$HVKIT" topo --synthetic "$spec" --color=never)
		      l=$(measure lstopo-no-graphics --if synthetic --input "$spec" --of console) ;;
		svg) h=$(measure "$HVKIT" topo --synthetic "$spec" -o "$tmp/h.svg")
		     l=$(measure lstopo --if synthetic --input "$spec" -f --of svg "$tmp/l.svg") ;;
		check) h=$(measure "$HVKIT" topo check --synthetic "$spec")
		       l="0 0" ;;
		esac
		hms=${h% *} hkb=${h#* } lms=${l% *} lkb=${l#* }
		eval "cur_ms_$out=$hms cur_kb_$out=$hkb"
		grow=- rgrow=-
		if [ -n "$prev_pus" ]; then
			eval "pm=\$prev_ms_$out pk=\$prev_kb_$out"
			grow=$(bench_ratio "$pm" "$hms") rgrow=$(bench_ratio "$pk" "$hkb")
		fi
		if [ "$out" = check ]; then
			printf '%-8s %-6s %9s %9s %7s %9s %9s %7s %7s %7s\n' "$pus" "$out" "$hms" - - \
				"$((hkb / 1024))" - - "$grow" "$rgrow"
		else
			printf '%-8s %-6s %9s %9s %7s %9s %9s %7s %7s %7s\n' "$pus" "$out" "$hms" "$lms" \
				"$(bench_ratio "$hms" "$lms")" "$((hkb / 1024))" "$((lkb / 1024))" \
				"$(bench_ratio "$hkb" "$lkb")" "$grow" "$rgrow"
		fi
	done
	for out in xml text svg check; do
		eval "prev_ms_$out=\$cur_ms_$out prev_kb_$out=\$cur_kb_$out"
	done
	prev_pus=$pus
done
