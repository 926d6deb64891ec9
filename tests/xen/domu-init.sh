#!/bin/sh
# SPDX-License-Identifier: MIT
# PID 1 of the test box's PV domUs (domU.cpio.gz): prints a marker and the
# CPU flags the guest sees, runs the command from the kernel command line's
# hvxen_cmd= (if any; spaces written as %20), and powers off.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo "HVDOMU: hello from PV domU $(uname -r)"
echo "HVDOMU: flags $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2)"
for w in $(cat /proc/cmdline); do
	case $w in hvxen_cmd=*) c=${w#hvxen_cmd=}; echo "HVDOMU: run $c"; eval "$(echo "$c" | sed 's/%20/ /g')" ;; esac
done
echo "HVDOMU: halting"
poweroff -f
