#!/bin/sh
# SPDX-License-Identifier: MIT
# Captures QEMU's QMP view of a CPU model for tests/data/cpuid/qmp/:
#   MODEL.qmp                    QEMU's whole QMP output (one reply per line)
#   MODEL-feature-words.json     the qom-get "feature-words" reply
#   MODEL-filtered-features.json the qom-get "filtered-features" reply
#   MODEL-expansion.json         the query-cpu-model-expansion type=full reply
# usage: capture.sh MODEL...   (run in this directory; needs qemu-system-x86)
set -eu
for cpu in "$@"; do
	{
		echo '{"execute":"qmp_capabilities"}'
		echo '{"execute":"query-cpus-fast"}'
		echo '{"execute":"qom-get","arguments":{"path":"/machine/unattached/device[0]","property":"feature-words"}}'
		echo '{"execute":"qom-get","arguments":{"path":"/machine/unattached/device[0]","property":"filtered-features"}}'
		echo "{\"execute\":\"query-cpu-model-expansion\",\"arguments\":{\"type\":\"full\",\"model\":{\"name\":\"$cpu\"}}}"
		sleep 2
		echo '{"execute":"quit"}'
	} | timeout 60 qemu-system-x86_64 -machine pc -accel tcg -cpu "$cpu" -nodefaults \
		-display none -S -qmp stdio >"$cpu.qmp" 2>/dev/null
	# replies in order: greeting, capabilities, cpus, words, filtered, expansion
	sed -n 4p "$cpu.qmp" >"$cpu-feature-words.json"
	sed -n 5p "$cpu.qmp" >"$cpu-filtered-features.json"
	sed -n 6p "$cpu.qmp" >"$cpu-expansion.json"
	grep -q '"cpuid-register"' "$cpu-feature-words.json"
	grep -q '"cpuid-register"' "$cpu-filtered-features.json"
	grep -q '"props"' "$cpu-expansion.json"
done
