# SPDX-License-Identifier: MIT
# shellcheck shell=sh
# What the bench scripts share; each sources it after setting RUNS:
#   . "$(dirname "$0")/lib.sh"
# It makes $tmp, a scratch directory removed on exit.

# bench_need TOOL PACKAGE: stops the bench, naming the Debian package,
# when TOOL is not installed.
bench_need() {
	command -v "$1" >/dev/null || { echo "bench: $1 missing (Debian package $2)" >&2; exit 1; }
}

# The median wall time in milliseconds of RUNS runs of "$@", with
# BENCH_DECIMALS decimals (default 2); a run that fails stops the bench
# (the caller's `x=$(median_ms ...)` under set -e).
median_ms() {
	i=0
	: > "$tmp/times"
	while [ "$i" -lt "$RUNS" ]; do
		s=$(date +%s%N)
		"$@" > /dev/null 2>&1 || { echo "bench: failed: $*" >&2; exit 1; }
		e=$(date +%s%N)
		echo $((e - s)) >> "$tmp/times"
		i=$((i + 1))
	done
	sort -n "$tmp/times" | awk -v d="${BENCH_DECIMALS:-2}" \
		'{ t[NR] = $1 } END { printf("%." d "f", t[int((NR + 1) / 2)] / 1e6) }'
}

# bench_ratio A B: B / A as "2.5x" (above 1: A, hvkit's figure, is the
# smaller); "0.0x" when A is 0.
bench_ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", (a > 0 ? b / a : 0) }'
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
