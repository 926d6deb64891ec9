#!/bin/sh
# SPDX-License-Identifier: MIT
# The tests run inside the box's dom0 (busybox sh), from the host's run
# directory shared at /mnt/host (copied there by run.sh on each run, so
# editing this file does not rebuild the initramfs).  Results are TAP lines
# without numbers, written to out/tap.txt and echoed to the console as
# "HVTAP: ..."; run.sh numbers them and adds the checks made on the host
# (host-checks.py) from the files this script leaves in out/.
#
# Available here: /mnt/host/config (EXPECT_NODES, EXPECT_CPUS, DOMU),
# /mnt/host/hvkit/hvkit (the freshly built hvkit with its own libraries),
# /mnt/host/domu/{vmlinuz,domU.cpio.gz} (a PV domU: kernel + busybox initramfs
# whose /init prints "HVDOMU: " lines and powers off), and the xl toolstack.
H=/mnt/host
O=$H/out
. $H/config
HVKIT=$H/hvkit/hvkit
crashed() { # after a failed command: the kernel's segfault line, if any, as a TAP comment
	dmesg | grep -E 'segfault|trap' | tail -2 | sed 's/^/# /' >>$O/tap.txt
}

tap() { echo "$*" >>$O/tap.txt; echo "HVTAP: $*"; }
ok() { tap "ok - $*"; }
not_ok() { tap "not ok - $*"; }
diag() { tap "# $*"; }
mark() { echo "HVXEN: $*"; }
up() { cut -d. -f1 /proc/uptime; }
field() { awk -F': *' -v k="$1" '$1 ~ "^"k" *$" { print $2; exit }' "$2"; }
has_flag() { echo " $2 " | grep -q " $1 "; } # FLAG "FLAGS..."

# --- 1. the box itself ------------------------------------------------------
if xl info >$O/xl-info.txt 2>&1 && grep -q '^xen_version' $O/xl-info.txt; then
	mark "xl info ok"
	ok "xl info runs in dom0"
	diag "xen_version $(field xen_version $O/xl-info.txt), scheduler $(field xen_scheduler $O/xl-info.txt)," \
		"dom0 vCPUs $(grep -c '^processor' /proc/cpuinfo), uptime $(up) s"
else
	not_ok "xl info runs in dom0"
	sed 's/^/# /' $O/xl-info.txt | head -20 >>$O/tap.txt
fi

xl info -n >$O/xl-info-n.txt 2>&1
nodes=$(field nr_nodes $O/xl-info-n.txt)
cpus=$(field nr_cpus $O/xl-info-n.txt)
sockets=$(awk '/^cpu_topology/ { t = 1; next } t && /^ *[0-9]+:/ { s[$3] = 1 } t && /^[a-z]/ && !/^cpu:/ { t = 0 }
	END { n = 0; for (k in s) n++; print n }' $O/xl-info-n.txt)
diag "xl info -n: $cpus CPUs, $sockets sockets, $nodes NUMA nodes," \
	"cores_per_socket $(field cores_per_socket $O/xl-info-n.txt), threads_per_core $(field threads_per_core $O/xl-info-n.txt)"
if [ "$nodes" = "$EXPECT_NODES" ] && [ "$cpus" = "$EXPECT_CPUS" ]; then
	ok "xl info -n shows the QEMU machine: $EXPECT_NODES NUMA nodes, $EXPECT_CPUS CPUs"
else
	not_ok "xl info -n shows the QEMU machine: $EXPECT_NODES NUMA nodes, $EXPECT_CPUS CPUs (got $nodes, $cpus)"
fi
xl list >$O/xl-list.txt 2>&1
xl vcpu-list >$O/xl-vcpu-list.txt 2>&1

# --- 2. hvkit topo in dom0 --------------------------------------------------
if $HVKIT topo --json >$O/topo-dom0.json 2>$O/topo-dom0.err && [ -s $O/topo-dom0.json ]; then
	ok "hvkit topo --json runs in dom0"
else
	not_ok "hvkit topo --json runs in dom0"
	sed 's/^/# /' $O/topo-dom0.err | head -20 >>$O/tap.txt
	crashed
fi
$HVKIT topo >$O/topo-dom0.txt 2>&1

# --- 3. hvkit topo capture in dom0 (read back on the host) ------------------
if $HVKIT topo capture -o $O/capture.tar.gz 2>$O/capture.err && [ -s $O/capture.tar.gz ]; then
	ok "hvkit topo capture writes an archive in dom0 ($(wc -c <$O/capture.tar.gz) bytes)"
else
	not_ok "hvkit topo capture writes an archive in dom0"
	sed 's/^/# /' $O/capture.err | head -20 >>$O/tap.txt
	crashed
fi

# --- 4, 5. PV domUs ---------------------------------------------------------
# The domU initramfs with hvkit in it when run.sh could build one.
RAMDISK=$H/domu/domU.cpio.gz
[ -f $H/domu/domU-hvkit.cpio.gz ] && RAMDISK=$H/domu/domU-hvkit.cpio.gz
domu_cfg() { # NAME [xl.cfg lines...]
	n=$1
	shift
	{
		echo "name = \"$n\""
		echo 'type = "pv"'
		echo "kernel = \"$H/domu/vmlinuz\""
		echo "ramdisk = \"$RAMDISK\""
		echo 'extra = "console=hvc0 quiet"'
		echo 'memory = 128'
		echo 'vcpus = 1'
		echo 'on_poweroff = "destroy"'
		echo 'on_crash = "destroy"'
		for l in "$@"; do echo "$l"; done
	} >/tmp/$n.cfg
}
start_domu() { # NAME [xl.cfg lines...]: xl create in the background (pid in $!)
	domu_cfg "$@"
	xl create /tmp/$1.cfg >$O/xl-create-$1.log 2>&1 &
}
finish_domu() { # NAME PID: waits for its xl create and for it to power off
	n=$1
	if ! wait $2; then
		diag "xl create $n failed:"
		sed 's/^/# /' $O/xl-create-$n.log | tail -10 >>$O/tap.txt
	fi
	end=$(($(up) + ${DOMU_TIMEOUT:-150}))
	while xl domid $n >/dev/null 2>&1; do
		if [ "$(up)" -ge "$end" ]; then
			diag "$n still running after ${DOMU_TIMEOUT:-150} s: destroyed"
			xl destroy $n
			break
		fi
		sleep 1
	done
	tr -d '\r' </var/log/xen/console/guest-$n.log >$O/domu-$n.log 2>/dev/null
	grep '^HVDOMU:' $O/domu-$n.log | grep -v '^HVDOMU: flags'
	mark "$n gone at uptime $(up) s"
}
domu_flags() { sed -n 's/^HVDOMU: flags //p' $O/domu-$1.log; }

if [ "$DOMU" != 1 ]; then
	tap "ok - a PV domU boots and prints its marker # SKIP domUs not asked for"
	tap "ok - xl.cfg cpuid=\"host,avx2=0\" removes avx2 in a PV domU # SKIP domUs not asked for"
	tap "ok - Xen removes vaes along with avx2 # SKIP domUs not asked for"
else
	# Both at once: each xl create is slow under TCG, and they overlap well.
	t0=$(up)
	start_domu domu1
	p1=$!
	start_domu domu2 'cpuid = "host,avx2=0"'
	p2=$!
	finish_domu domu1 $p1
	finish_domu domu2 $p2
	diag "two PV domUs created, booted and powered off in $(($(up) - t0)) s"
	if grep -q '^HVDOMU: hello from PV domU' $O/domu-domu1.log 2>/dev/null; then
		ok "a PV domU boots and prints its marker"
	else
		not_ok "a PV domU boots and prints its marker"
		sed 's/^/# /' $O/domu-domu1.log 2>/dev/null | tail -10 >>$O/tap.txt
	fi
	f1=$(domu_flags domu1)
	f2=$(domu_flags domu2)
	has() { if has_flag "$1" "$2"; then echo "$1"; else echo "no $1"; fi; }
	diag "dom0: $(has avx2 "$(grep -m1 ^flags /proc/cpuinfo)"), $(has vaes "$(grep -m1 ^flags /proc/cpuinfo)");" \
		"default domU: $(has avx2 "$f1"), $(has vaes "$f1"); cpuid=\"host,avx2=0\" domU: $(has avx2 "$f2"), $(has vaes "$f2")"
	if [ -z "$f1" ] || [ -z "$f2" ]; then
		not_ok "xl.cfg cpuid=\"host,avx2=0\" removes avx2 in a PV domU (no flags from a domU)"
	elif ! has_flag avx2 "$f1"; then
		tap "ok - xl.cfg cpuid=\"host,avx2=0\" removes avx2 in a PV domU # SKIP a default domU has no avx2"
	elif has_flag avx2 "$f2"; then
		not_ok "xl.cfg cpuid=\"host,avx2=0\" removes avx2 in a PV domU"
	else
		ok "xl.cfg cpuid=\"host,avx2=0\" removes avx2 in a PV domU (a default domU has it)"
		# A fact for hvkit cpuid: Xen derives features from others, so a
		# policy that removes avx2 also loses vaes (and must say so).
		if ! has_flag vaes "$f1"; then
			tap "ok - Xen removes vaes along with avx2 # SKIP a default domU has no vaes"
		elif has_flag vaes "$f2"; then
			not_ok "Xen removes vaes along with avx2 (vaes kept: Xen's dependencies changed?)"
		else
			ok "Xen removes vaes along with avx2 (vaes depends on avx2 in Xen's policy)"
		fi
	fi
	xl list >$O/xl-list-end.txt 2>&1
fi

# --- hvkit move: a guest through XVA and back boots (its own file) -----------
sh $H/dom0-move.sh
if [ -f $H/dom0-cpuid.sh ]; then sh $H/dom0-cpuid.sh; else tap "not ok - hvkit cpuid on Xen # TODO run.sh does not copy dom0-cpuid.sh into the share yet"; fi
# xl save of a PV guest, hvkit cpuid compare on the image, xl restore (its own file)
if [ "${SAVE:-0}" = 1 ] && [ "$DOMU" = 1 ]; then
	sh $H/dom0-save.sh
else
	tap "ok - a saved PV guest: hvkit cpuid compare agrees with xl restore # SKIP HVXEN_SAVE=1 runs it (about 3 min of box time)"
fi
# --- 6. hvkit sched with the Xen backend (its own file) ---------------------
$H/dom0-sched.sh
# --- 7. hvkit sched's pool mode on etcd, two daemons, one domain ------------
# On by default (HVXEN_POOL=0 leaves it out): it stops host B past its
# lease's TTL, so the lapse a starved dom0 causes is part of every run.
if [ "${POOL:-1}" = 1 ] && [ "$DOMU" = 1 ]; then
	$H/dom0-sched-pool.sh
else
	tap "ok - hvkit sched pool: two daemons, one etcd, one domain # SKIP HVXEN_POOL=0"
fi
