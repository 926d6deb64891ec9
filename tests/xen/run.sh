#!/bin/bash
# SPDX-License-Identifier: MIT
# hvkit on a real Xen: boots Debian's Xen 4.17 with a PV dom0 inside QEMU
# (TCG: /dev/kvm here has no VMX/SVM), runs dom0-tests.sh in dom0 with the
# freshly built hvkit, checks what it left on the host (host-checks.py), and
# prints TAP.  Any failure of the box itself (no QEMU, Xen or dom0 does not
# come up, a panic, the timeout) is a "Bail out!" with the last console lines.
#
#   tests/xen/run.sh [-v] [--no-domu] [--topology numa2|flat]
#   tests/xen/run.sh --check-prereqs   # one line; exit 0, or 77 (skip) with the reason
#
#   -v               the whole serial console (Xen, dom0, domUs), not only markers
#   --no-domu        skip the PV domU tests
#   --topology T     numa2 (default): 2 sockets x 2 cores, 2 NUMA nodes, so Xen's
#                    physical topology differs from dom0's 2 vCPUs; flat: 2 CPUs, 1 node
# Environment: HVKIT (build/hvkit), HVXEN_CACHE (build/xen-cache: packages and
# images, keyed on package versions), HVXEN_RUN (build/xen-run: the share, out/
# and console.txt of the last run), HVXEN_TIMEOUT (seconds for the box, 3600:
# a hang guard: the box ran 139 s in CI on a quiet 2-core VM, and a loaded
# machine stretches TCG's time as much as its load),
# HVXEN_TESTS (another script to run in dom0 instead of dom0-tests.sh: it
# writes TAP lines to /mnt/host/out/tap.txt; the host checks are then skipped),
# HVXEN_SAVE=1 (also xl save/restore of a PV guest checked by hvkit cpuid
# compare, dom0-save.sh: about 3 more minutes; HVXEN_TESTS=tests/xen/dom0-save.sh
# runs it alone), HVXEN_POOL=0 (leaves out sched's pool mode: one etcd, two daemons,
# dom0-sched-pool.sh, about 2-5 minutes).
# Exit: 0 all passed, 1 a test or the box failed, 77 cannot run here, 2 usage.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
HVKIT=${HVKIT:-$top/build/hvkit}
CACHE=${HVXEN_CACHE:-$top/build/xen-cache}
RUN=${HVXEN_RUN:-$top/build/xen-run}
TIMEOUT=${HVXEN_TIMEOUT:-3600} # dom0-save.sh (HVXEN_SAVE=1) adds 3-6 minutes: within it too
verbose=0 domu=1 topology=numa2 prereqs_only=0
while [ $# -gt 0 ]; do
	case $1 in
	--check-prereqs) prereqs_only=1 ;;
	-v | --verbose) verbose=1 ;;
	--no-domu) domu=0 ;;
	--topology) topology=${2:-}; shift ;;
	--topology=*) topology=${1#*=} ;;
	-h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
case $topology in
numa2)
	smp=(-smp 4,sockets=2,cores=2,threads=1
		-object memory-backend-ram,id=m0,size=1024M -object memory-backend-ram,id=m1,size=1024M
		-numa node,nodeid=0,cpus=0-1,memdev=m0 -numa node,nodeid=1,cpus=2-3,memdev=m1)
	expect_cpus=4 expect_nodes=2 ;;
flat) smp=(-smp 2) expect_cpus=2 expect_nodes=1 ;;
*) echo "run.sh: --topology is numa2 or flat" >&2; exit 2 ;;
esac

# --- prerequisites: one line, quickly ---------------------------------------
prereq_problem() {
	local t
	for t in qemu-system-x86_64:qemu-system-x86 timeout:coreutils python3:python3; do
		command -v "${t%%:*}" >/dev/null || { echo "${t%%:*} not installed (Debian package ${t#*:})"; return; }
	done
	[ -x "$HVKIT" ] || { echo "no hvkit binary at $HVKIT (build it first)"; return; }
	if [ -f "$CACHE/image/manifest" ]; then return; fi # images built: no packages needed
	for t in apt-get:apt apt-cache:apt dpkg-deb:dpkg cpio:cpio modinfo:kmod zcat:gzip ldd:libc-bin; do
		command -v "${t%%:*}" >/dev/null || { echo "${t%%:*} not installed (Debian package ${t#*:})"; return; }
	done
	# Not a pipe into grep -q: under pipefail, grep quitting early makes
	# apt-cache die of SIGPIPE and the check fail at random.
	local policy
	policy=$(apt-cache policy xen-hypervisor-4.17-amd64 2>/dev/null)
	[[ $policy == *"Candidate: "[0-9]* ]] ||
		echo "apt knows no xen-hypervisor-4.17-amd64 (not Debian 12, or no 'apt-get update')"
}
problem=$(prereq_problem)
if [ -n "$problem" ]; then
	echo "SKIP: $problem"
	exit 77
fi
if [ $prereqs_only = 1 ]; then
	echo "ready: qemu-system-x86_64 and the Xen images (or the packages to make them) are available"
	exit 0
fi

# --- images (cached) --------------------------------------------------------
mkdir -p "$CACHE"
t_start=$EPOCHREALTIME
exec 9>"$CACHE/.lock"
flock 9
"$here/mkimages.sh" "$CACHE" || { echo "Bail out! could not make the Xen box's images"; exit 1; }
img=$CACHE/image
case "$img" in *,*) echo "Bail out! the cache path must not contain a comma: $img"; exit 1 ;; esac

# --- the run directory, shared with dom0 over 9p ----------------------------
rm -rf "$RUN"
mkdir -p "$RUN/share/out" "$RUN/share/hvkit/bin" "$RUN/share/hvkit/lib" "$RUN/share/domu"
S=$RUN/share
TESTS=${HVXEN_TESTS:-$here/dom0-tests.sh}
cp "$TESTS" "$S/dom0-tests.sh"
# Parts that dom0-tests.sh calls (one file per tool).
cp "$here/dom0-sched.sh" "$here/dom0-sched-pool.sh" "$here/dom0-busy-domu.sh" "$here/dom0-cpuid.sh" "$here/dom0-move.sh" "$here/dom0-save.sh" "$S/"
printf 'EXPECT_NODES=%s\nEXPECT_CPUS=%s\nDOMU=%s\nSAVE=%s\nPOOL=%s\n' "$expect_nodes" "$expect_cpus" "$domu" \
	"${HVXEN_SAVE:-0}" "${HVXEN_POOL:-1}" >"$S/config"
# hvkit runs in dom0 with the host's loader and libraries (those it was built
# against), from the share: rebuilding hvkit does not rebuild the initramfs.
cp "$HVKIT" "$S/hvkit/bin/hvkit"
copy_libs() { # the shared libraries of ELF files $@ into the share's lib/
	local l
	for l in $(ldd "$@" 2>/dev/null | grep -o '/[^ ]*\.so[^ ]*' | sort -u); do
		[ -e "$S/hvkit/lib/${l##*/}" ] || cp -L "$l" "$S/hvkit/lib/"
	done
}
copy_libs "$HVKIT"
# dlopen()ed, so not in ldd's list: libarchive (captures), libblkid (move
# check), libgcc_s (glibc's pthread_cancel).  Missing ones only fail the
# tests that need them.
for soname in libarchive.so.13 libblkid.so.1 libgcc_s.so.1 libcurl.so.4; do
	l=$(ldconfig -p | awk -v s="$soname" '$1 == s && /x86-64/ { print $NF; exit }')
	[ -n "$l" ] && cp -L "$l" "$S/hvkit/lib/" && copy_libs "$l"
done
cat >"$S/hvkit/hvkit" <<'WRAP'
#!/bin/sh
d=${0%/*}
exec "$d/lib/ld-linux-x86-64.so.2" --library-path "$d/lib" "$d/bin/hvkit" "$@"
WRAP
chmod 755 "$S/hvkit/hvkit" "$S/dom0-tests.sh" "$S/dom0-sched.sh" "$S/dom0-sched-pool.sh" "$S/dom0-busy-domu.sh" "$S/dom0-cpuid.sh" "$S/dom0-move.sh" "$S/dom0-save.sh"
# etcd for the pool test (dom0-sched-pool.sh), with the same loader and libc.
if etcd_bin=$(command -v etcd); then
	mkdir -p "$S/etcd"
	cp "$etcd_bin" "$S/etcd/etcd.bin"
	copy_libs "$etcd_bin"
	printf '#!/bin/sh\nd=${0%%/*}\nexec "$d/../hvkit/lib/ld-linux-x86-64.so.2" --library-path "$d/../hvkit/lib" "$d/etcd.bin" "$@"\n' >"$S/etcd/etcd"
	chmod 755 "$S/etcd/etcd"
fi
ln "$img/vmlinuz" "$S/domu/vmlinuz" 2>/dev/null || cp "$img/vmlinuz" "$S/domu/vmlinuz"
ln "$img/domU.cpio.gz" "$S/domu/domU.cpio.gz" 2>/dev/null || cp "$img/domU.cpio.gz" "$S/domu/domU.cpio.gz"
# domUs that run hvkit inside (dom0-cpuid.sh): the domU initramfs with
# /hvkit appended as a second cpio (the kernel reads both): hvkit, its
# loader and the libraries ldd lists (not the dlopen()ed ones: cpuid needs none).
if command -v cpio >/dev/null; then
	hu=$RUN/domu-hvkit
	mkdir -p "$hu/hvkit/bin" "$hu/hvkit/lib"
	cp "$HVKIT" "$hu/hvkit/bin/hvkit"
	for l in $(ldd "$HVKIT" 2>/dev/null | grep -o '/[^ ]*\.so[^ ]*' | sort -u); do cp -L "$l" "$hu/hvkit/lib/"; done
	cp "$S/hvkit/hvkit" "$hu/hvkit/hvkit"
	# One gzip stream: Xen's domain builder gunzips a PV ramdisk itself, and
	# only its first gzip member (two concatenated .gz lose the second).
	{ zcat "$S/domu/domU.cpio.gz"; (cd "$hu" && find hvkit | LC_ALL=C sort | cpio -o -H newc --quiet); } |
		gzip -1 >"$S/domu/domU-hvkit.cpio.gz"
	rm -rf "$hu"
fi

# --- boot -------------------------------------------------------------------
# Pitfalls (each hit): TCG only; -cpu max,-smap (with SMAP dom0 dies at its
# first exception bounce); bootscrub=0 (scrubbing all RAM is slow under TCG);
# noreboot keeps a crash on screen, so QEMU runs under timeout; in -initrd,
# "file args,file args" lists the multiboot modules.
xen_cmdline="console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M dom0_max_vcpus=2"
xen_cmdline+=" loglvl=all guest_loglvl=all noreboot bootscrub=0"
dom0_cmdline="console=hvc0 earlyprintk=xen loglevel=4 rdinit=/init"
qemu=(qemu-system-x86_64 -machine pc -accel tcg,thread=multi,tb-size=512 -cpu max,-smap
	"${smp[@]}" -m 2048
	-kernel "$img/xen.elf" -append "$xen_cmdline"
	-initrd "$img/vmlinuz $dom0_cmdline,$img/dom0.cpio.gz"
	-virtfs "local,path=$S,mount_tag=hvxen,security_model=none,id=hvxen"
	-display none -vga none -monitor none -serial stdio -no-reboot -net none)
console=$RUN/console.raw
: >"$console"
: >"$RUN/console.txt"
t_boot=$EPOCHREALTIME
timeout -k 10 "$TIMEOUT" "${qemu[@]}" </dev/null >"$console" 2>"$RUN/qemu.err" &
qpid=$!
secs() { # seconds since $1 (an EPOCHREALTIME), with tenths, into REPLY
	local d=$(((${EPOCHREALTIME/./} - ${1/./}) / 100000))
	REPLY=$((d / 10)).$((d % 10))
}
echo "# xen box: QEMU TCG, topology $topology, timeout ${TIMEOUT}s; console: $RUN/console.txt"
t_xl=""
fatal=""
while IFS= read -r line; do
	line=${line%$'\r'}
	case $line in
	*"HVXEN: xl info ok"*) secs "$t_boot"; t_xl=$REPLY ;;
	*"Panic on CPU"* | *"Kernel panic - not syncing"* | *"Hardware Dom0 crashed"* | *"Hardware Dom0 shutdown"*)
		if [ -z "$fatal" ]; then
			fatal=$line
			(sleep 3; kill "$qpid" 2>/dev/null) &
		fi ;;
	esac
	secs "$t_boot"
	printf -v stamped '[%6ss] %s' "$REPLY" "$line"
	echo "$stamped" >>"$RUN/console.txt"
	if [ $verbose = 1 ]; then
		echo "$stamped"
	else
		case $line in
		*HVXEN:* | *HVTAP:* | *HVDOMU:* | *"Panic on CPU"* | *"Kernel panic"* | *"Dom0 crashed"*)
			echo "# $stamped" ;;
		esac
	fi
done < <(tail -n +1 -F --pid="$qpid" "$console" 2>/dev/null)
wait "$qpid"
qrc=$?
secs "$t_start"
t_total=$REPLY

# --- results ----------------------------------------------------------------
has() { grep -q -- "$1" "$RUN/console.txt"; }
box=""
if [ $qrc = 124 ] || [ $qrc = 137 ]; then box="timeout: the box did not power off within ${TIMEOUT}s"; fi
if [ -n "$fatal" ]; then box="crash: $fatal"; fi
if [ -z "$box" ] && ! has 'HVXEN: done'; then box="QEMU exited (rc=$qrc) before dom0's tests were done"; fi
if [ -n "$box" ]; then
	if ! has '(XEN) Xen version'; then box="Xen did not boot ($box)"
	elif ! has 'HVXEN: dom0 init'; then box="dom0 did not reach /init ($box)"
	elif ! has 'HVXEN: toolstack up'; then box="dom0's toolstack did not come up ($box)"
	fi
	[ -s "$RUN/qemu.err" ] && sed 's/^/# qemu: /' "$RUN/qemu.err" | tail -5
fi
{
	if [ -f "$S/out/tap.txt" ]; then cat "$S/out/tap.txt"; fi
	if [ -z "$box" ] && [ -z "${HVXEN_TESTS:-}" ]; then python3 "$here/host-checks.py" "$S/out" "$HVKIT"; fi
} | awk -v box="$box" '
	/^(ok|not ok) / { n++; sub(/^(ok|not ok)/, "& " n) }
	/^not ok / && !/# TODO/ { failed++ }
	/^ok / && !/# SKIP/ { passed++ }
	/# TODO/ { todo++ }
	/# SKIP/ { skipped++ }
	{ print }
	END {
		if (box != "") { print "Bail out! box failure: " box; exit 1 }
		printf "1..%d\n", n
		printf "# %d todo (not ok # TODO: expected to fail until hvkit does it)\n", todo
		printf "xen: %d passed, %d failed, %d skipped\n", passed, failed + 0, skipped + 0
		exit (failed > 0)
	}'
rc=${PIPESTATUS[1]}
echo "# timing: xl info at ${t_xl:-never} s after QEMU start; whole run ${t_total} s; cache $(du -sh "$CACHE" | cut -f1)"
if [ -n "$box" ]; then
	echo "# last 30 console lines ($RUN/console.txt):"
	tail -30 "$RUN/console.txt" | sed 's/^/#   /'
	exit 1
fi
exit $rc
