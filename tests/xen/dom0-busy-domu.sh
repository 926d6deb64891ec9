#!/bin/sh
# SPDX-License-Identifier: MIT
# A busy PV domU for the sched tests in the box's dom0 (dom0-sched.sh,
# dom0-sched-pool.sh):
#     sh dom0-busy-domu.sh NAME
# creates domain NAME (1 vCPU, 128 MiB, the share's domU kernel and
# initramfs, whose /init spins: hvxen_cmd=) and waits up to 90 s for its
# loop to start.  Exit 0 once it spins; 2 when xl create failed, 1 when
# the loop did not start (the domain destroyed); then the last lines of
# xl create's log or of its console on stdout, as TAP comments.
H=/mnt/host
O=$H/out
n=$1
upi() { cut -d. -f1 /proc/uptime; }
{
	echo "name = \"$n\""
	echo 'type = "pv"'
	echo "kernel = \"$H/domu/vmlinuz\""
	echo "ramdisk = \"$H/domu/domU.cpio.gz\""
	echo 'extra = "console=hvc0 quiet hvxen_cmd=while%20:;do%20:;done"'
	echo 'memory = 128'
	echo 'vcpus = 1'
	echo 'on_poweroff = "destroy"'
	echo 'on_crash = "destroy"'
} >/tmp/$n.cfg
if ! xl create /tmp/$n.cfg >$O/xl-create-$n.log 2>&1; then
	sed 's/^/# /' $O/xl-create-$n.log | tail -10
	exit 2
fi
log=/var/log/xen/console/guest-$n.log
end=$(($(upi) + 90))
until grep -q '^HVDOMU: run' $log 2>/dev/null; do
	if [ "$(upi)" -ge $end ] || ! xl domid $n >/dev/null 2>&1; then
		tr -d '\r' <$log 2>/dev/null | tail -10 | sed 's/^/# domU: /'
		xl destroy $n 2>/dev/null
		exit 1
	fi
	sleep 1
done
