# SPDX-License-Identifier: MIT
# The two commands of the README, and a few helpers.  Meson and ninja do
# the building; this file only chains them.

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 20
PREFIX     ?= /usr/local
DESTDIR    ?=
MESON_TEST_ARGS ?= --print-errorlogs

.PHONY: all deps build demo check check-unit check-asan check-diff deb check-deb check-xen check-xen-or-skip fuzz-smoke bench pictures install clean

all: build

deps:
	@scripts/install-deps.sh build

$(BUILD)/build.ninja:
	@scripts/install-deps.sh build
	meson setup $(BUILD)

build: $(BUILD)/build.ninja
	ninja -C $(BUILD)

# Draws this machine: the SVG picture and the text tree.
demo: build
	./$(BUILD)/hvkit topo -o topo.svg
	@echo "wrote topo.svg"
	./$(BUILD)/hvkit topo

# Everything: unit and end-to-end tests, then again under ASan+UBSan.
check: build
	@scripts/install-deps.sh test
	meson test -C $(BUILD) $(MESON_TEST_ARGS)
	$(MAKE) check-deb
	$(MAKE) check-asan
	$(MAKE) check-xen-or-skip

# hvkit topo against lstopo on SEEDS generated sysfs trees (make check
# runs 200 of them); a failure prints the seed and how to replay it.
SEEDS ?= 20000
SEED_START ?= 1
check-diff: build
	@scripts/install-deps.sh test
	HVKIT=$(CURDIR)/$(BUILD)/hvkit python3 tests/e2e/topo/0110-diff-lstopo.py \
		--seeds $(SEEDS) --start $(SEED_START)

check-asan:
	@scripts/install-deps.sh build test
	@[ -f $(ASAN_BUILD)/build.ninja ] || \
		meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false
	ninja -C $(ASAN_BUILD)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		meson test -C $(ASAN_BUILD) $(MESON_TEST_ARGS) --timeout-multiplier 4

# hvkit in dom0 of a real Xen 4.17 booted in QEMU (tests/xen/run.sh).
# Images are cached in $(BUILD)/xen-cache.
check-xen: build
	@scripts/install-deps.sh test xen
	HVKIT=$(CURDIR)/$(BUILD)/hvkit tests/xen/run.sh

# `check` runs the Xen box when QEMU and the Xen packages can be had, and
# otherwise says loudly why not; a box that runs and fails fails `check`.
check-xen-or-skip: build
	@if ! scripts/install-deps.sh test xen; then \
		echo "SKIP: real-Xen tests (tests/xen): QEMU or the Xen packages cannot be installed here"; \
	elif ! tests/xen/run.sh --check-prereqs && \
	     ! { [ "$$(id -u)" = 0 ] && apt-get update -qq && tests/xen/run.sh --check-prereqs; }; then \
		echo "SKIP: real-Xen tests (tests/xen): prerequisites missing (see the line above)"; \
	else \
		HVKIT=$(CURDIR)/$(BUILD)/hvkit tests/xen/run.sh; \
	fi

# Each libFuzzer target for a short time on its seed corpus.
fuzz-smoke:
	@scripts/install-deps.sh build fuzz
	@[ -f $(FUZZ_BUILD)/build.ninja ] || \
		CC=clang meson setup $(FUZZ_BUILD) -Dfuzz=true -Db_lundef=false
	ninja -C $(FUZZ_BUILD)
	@set -e; for t in $(FUZZ_BUILD)/fuzz/fuzz-*; do \
		[ -f "$$t" ] && [ -x "$$t" ] || continue; \
		name=$${t##*/fuzz-}; \
		echo "fuzz-smoke: $$name for $(FUZZ_SECONDS) s"; \
		mkdir -p $(FUZZ_BUILD)/corpus-$$name; \
		"$$t" -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
			-print_final_stats=0 $(FUZZ_BUILD)/corpus-$$name fuzz/corpus/$$name \
			2>$(FUZZ_BUILD)/fuzz-$$name.log || \
			{ tail -40 $(FUZZ_BUILD)/fuzz-$$name.log; exit 1; }; \
	done

# The README's pictures (docs/pictures/), drawn from test fixtures: a VM
# capture, the 2-socket Dell with its PCI tree, the 256-PU POWER7 and the
# synthetic 4096-PU machine (factorised: 1352 x 1727).
pictures: build
	./$(BUILD)/hvkit topo --from tests/data/captures/h200-vm.tar.gz -o docs/pictures/h200-vm.png
	./$(BUILD)/hvkit topo --from tests/data/hwloc/32em64t-2n8c+dax+nvme+mic+dimms.tar.bz2 \
		-o docs/pictures/dell-dcs8000z.png
	./$(BUILD)/hvkit topo --from tests/data/hwloc/256ppc-8n8s4t.tar.bz2 -o docs/pictures/power7-256pu.png
	./$(BUILD)/hvkit topo --synthetic "pack:16 core:128 pu:2 pci:300" \
		-o docs/pictures/synthetic-4096pu.svg

bench: build
	@scripts/install-deps.sh test
	bench/topo.sh ./$(BUILD)/hvkit
	bench/topo-scale.sh ./$(BUILD)/hvkit

# The Debian package, hvkit_VERSION_amd64.deb in this directory
# (dpkg-buildpackage writes to ..; the .deb is moved here, the rest removed).
deb:
	@scripts/install-deps.sh build deb
	DEB_BUILD_OPTIONS="noddebs nocheck" dpkg-buildpackage -us -uc -b
	@v=$$(dpkg-parsechangelog -S Version); \
		mv ../hvkit_$${v}_amd64.deb . && \
		rm -f ../hvkit_$${v}_amd64.buildinfo ../hvkit_$${v}_amd64.changes && \
		echo "wrote hvkit_$${v}_amd64.deb (install: apt install ./hvkit_$${v}_amd64.deb)"

# lintian, then the package installed, used and purged (tests/pkg/deb.sh).
check-deb: deb
	@v=$$(dpkg-parsechangelog -S Version); rc=0; \
		tests/pkg/deb.sh hvkit_$${v}_amd64.deb || rc=$$?; \
		if [ $$rc = 77 ]; then echo "SKIP: the package test (tests/pkg/deb.sh) did not run"; \
		elif [ $$rc != 0 ]; then exit $$rc; fi

install: build
	meson configure $(BUILD) --prefix=$(PREFIX)
	DESTDIR=$(DESTDIR) meson install -C $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
