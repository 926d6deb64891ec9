#!/bin/sh
# SPDX-License-Identifier: MIT
# PID 1 of the test box's PV dom0 (baked into dom0.cpio.gz by mkimages.sh).
# Brings the xl toolstack up by hand (what Debian's init scripts do), mounts
# the host's run directory (9p, tag "hvxen") at /mnt/host, runs
# /mnt/host/dom0-tests.sh there, and powers off: dom0's poweroff makes Xen
# enter ACPI S5, and QEMU exits.  "HVXEN: " lines are what the host follows;
# it reports a run that stops before "HVXEN: done" as a failure of the box.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/xen-4.17/bin
mark() { echo "HVXEN: $*"; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }
halt_box() {
	sync
	umount /mnt/host 2>/dev/null
	poweroff -f
	sleep 5
	echo o >/proc/sysrq-trigger
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mkdir -p /run/xen /run/xenstored /run/lock /var/log/xen/console /var/lib/xen /var/lib/xenstored
exec </dev/console >/dev/console 2>&1
mark "dom0 init, kernel $(uname -r), uptime $(uptime_s) s"

while read -r ko; do
	insmod "$ko" || mark "FAIL insmod $ko"
done </etc/hvxen-modules
mount -t xenfs xenfs /proc/xen || { mark "FAIL mount xenfs"; halt_box; }

# The C xenstored (Debian's /usr/sbin names are wrapper scripts around these).
XENSTORED_ROOTDIR=/var/lib/xenstored xenstored --pid-file /run/xenstore.pid
end=$(($(cut -d. -f1 /proc/uptime) + 60))
until xenstore-read -s / >/dev/null 2>&1; do
	[ "$(cut -d. -f1 /proc/uptime)" -lt "$end" ] || { mark "FAIL xenstored did not start"; halt_box; }
	sleep 1
done
xen-init-dom0 >/dev/null 2>&1 || mark "WARN xen-init-dom0 failed"
# --log=guest: each domU's console goes to /var/log/xen/console/guest-NAME.log
xenconsoled --pid-file /run/xenconsoled.pid --log=guest --log-dir=/var/log/xen/console
mark "toolstack up, uptime $(uptime_s) s"

mkdir -p /mnt/host
if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 hvxen /mnt/host; then
	mark "FAIL cannot mount the host's 9p share"
	halt_box
fi
if [ -x /mnt/host/dom0-tests.sh ]; then
	mark "tests start, uptime $(uptime_s) s"
	/mnt/host/dom0-tests.sh
	mark "done rc=$? uptime $(uptime_s) s"
else
	mark "FAIL no /mnt/host/dom0-tests.sh"
fi
halt_box
