#!/bin/sh
# SPDX-License-Identifier: MIT
# /etc/xen/scripts/block of the test box's dom0 (mkimages.sh installs it):
# what Xen's bash script does for a "phy" disk, in busybox sh.  libxl runs
# it with "add" or "remove" and XENBUS_PATH=backend/vbd/DOMID/DEVID; for
# "add" it puts a file target on a free loop device and tells blkback the
# device's major:minor (physical-device), which is what connects the disk.
dir=$XENBUS_PATH
fail() {
	xenstore-write "$dir/hotplug-error" "$*" "$dir/hotplug-status" error
	echo "block: $*" >&2
	exit 1
}
case $1 in
add)
	p=$(xenstore-read "$dir/params") || fail "no params at $dir"
	if [ -b "$p" ]; then
		dev=$p
	elif [ -f "$p" ]; then
		dev=$(losetup -f) || fail "no free loop device for $p"
		mode=$(xenstore-read "$dir/mode" 2>/dev/null)
		if [ "$mode" = r ]; then ro=-r; else ro=; fi
		# shellcheck disable=SC2086
		losetup $ro "$dev" "$p" || fail "losetup $dev $p failed"
	else
		fail "$p is neither a block device nor a file"
	fi
	mm=$(stat -L -c '%t:%T' "$dev") || fail "stat $dev failed"
	xenstore-write "$dir/physical-device" "$mm" "$dir/physical-device-path" "$dev" ||
		fail "xenstore-write $dir failed"
	;;
remove)
	dev=$(xenstore-read "$dir/physical-device-path" 2>/dev/null)
	case $dev in /dev/loop*) losetup -d "$dev" 2>/dev/null ;; esac
	;;
esac
exit 0
