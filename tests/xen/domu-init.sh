#!/bin/sh
# SPDX-License-Identifier: MIT
# PID 1 of the test box's PV domUs (domU.cpio.gz): prints a marker and the
# CPU flags the guest sees; with a disk (xvda), its first line of text and
# its md5sum; with hvkit in the initramfs (run.sh appends /hvkit to the
# domUs that need it), the features hvkit reads from CPUID inside the
# guest; runs the command from the kernel command line's hvxen_cmd= (if
# any; spaces written as %20), and powers off.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "HVDOMU: hello from PV domU $(uname -r)"
echo "HVDOMU: flags $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2)"
while read -r ko; do
	insmod "$ko" || echo "HVDOMU: insmod $ko failed"
done </etc/hvxen-modules
if [ -d /sys/bus/xen/devices/vbd-51712 ]; then
	i=0
	while [ ! -b /dev/xvda ] && [ $i -lt 20 ]; do sleep 0.5; i=$((i + 1)); done
	if [ -b /dev/xvda ]; then
		echo "HVDOMU: disk $(head -c 4096 /dev/xvda | tr -c 'A-Za-z0-9 :=._-' '\n' | grep -m1 .)"
		echo "HVDOMU: disk-md5 $(md5sum </dev/xvda | cut -d' ' -f1) $(cat /sys/block/xvda/size) sectors"
	else
		echo "HVDOMU: disk xvda did not appear"
	fi
fi
if [ -x /hvkit/hvkit ]; then
	echo "HVDOMU: hvkit-features $(/hvkit/hvkit cpuid features --names xen 2>&1 | tr '\n' ' ')"
	echo "HVDOMU: hvkit-$(/hvkit/hvkit cpuid 2>&1 | grep -m1 '^hypervisor:')"
fi
for w in $(cat /proc/cmdline); do
	case $w in hvxen_cmd=*) c=${w#hvxen_cmd=}; echo "HVDOMU: run $c"; eval "$(echo "$c" | sed 's/%20/ /g')" ;; esac
done
echo "HVDOMU: halting"
poweroff -f
