#!/bin/sh
# SPDX-License-Identifier: MIT
# hvkit move on the box (busybox sh in dom0), called by dom0-tests.sh (or
# alone: HVXEN_TESTS=tests/xen/dom0-move.sh tests/xen/run.sh): a small PV
# guest defined in an xl.cfg with a raw disk image is exported to XVA with
# hvkit, imported back to an xl.cfg and a raw disk, and started with
# `xl create` from what the import wrote.  The guest (domu-init.sh) prints
# the marker written at the start of its disk and the disk's md5sum, which
# must equal the original image's.  Writes TAP lines to out/tap.txt and its
# files to out/move-*.  About 30-60 s of box time.
H=/mnt/host
O=$H/out
. $H/config
HVKIT=$H/hvkit/hvkit
tap() { echo "$*" >>$O/tap.txt; echo "HVTAP: $*"; }
ok() { tap "ok - $*"; }
not_ok() { tap "not ok - $*"; }
diag() { tap "# $*"; }
up() { cut -d. -f1 /proc/uptime; }

if [ "$DOMU" != 1 ]; then
	tap "ok - hvkit move: a PV guest exported to XVA and imported back boots from the converted disk # SKIP domUs not asked for"
	exit 0
fi
W=/tmp/move
rm -rf $W
mkdir -p $W
# The disk: 24 MiB, a marker at the start, data further in, holes between.
marker="HVMOVE-MARKER-$(head -c 8 /dev/urandom | md5sum | cut -c1-12)"
dd if=/dev/zero of=$W/disk.img bs=1M count=0 seek=24 2>/dev/null
printf '%s\n' "$marker" | dd of=$W/disk.img conv=notrunc 2>/dev/null
head -c 1048576 /dev/urandom | dd of=$W/disk.img bs=1M seek=5 conv=notrunc 2>/dev/null
printf 'tail of the disk\n' | dd of=$W/disk.img bs=512 seek=$((24 * 2048 - 1)) conv=notrunc 2>/dev/null
want=$(md5sum <$W/disk.img | cut -d' ' -f1)
cat >$W/mvguest.cfg <<CFG
name = "mvguest"
type = "pv"
kernel = "$H/domu/vmlinuz"
ramdisk = "$H/domu/domU.cpio.gz"
extra = "console=hvc0 quiet"
memory = 128
vcpus = 1
on_poweroff = "destroy"
on_crash = "destroy"
disk = [ "format=raw,vdev=xvda,access=rw,target=$W/disk.img" ]
CFG
cp $W/mvguest.cfg $O/move-original.cfg
# The pre-flight: the guest boots a dom0 kernel (direct kernel boot), which a
# pool does not have; its disk holds no file system to boot from instead.
$HVKIT move check $W/mvguest.cfg --for xapi >$O/move-check.log 2>&1
rc=$?
if [ $rc = 1 ] && grep -q "^block  kernel: '$H/domu/vmlinuz'" $O/move-check.log &&
   grep -q "whole disk: no file system found" $O/move-check.log &&
   ! $HVKIT move export $W/mvguest.cfg --to xva -o $W/refused.xva >$O/move-refused.log 2>&1 &&
   [ ! -e $W/refused.xva ]; then
	ok "hvkit move check names the dom0 kernel as a blocker and looks into the disk; export refuses without --force"
else
	not_ok "hvkit move check of the dom0 guest (exit $rc)"
	sed 's/^/# /' $O/move-check.log | tail -8 >>$O/tap.txt
fi
if ! $HVKIT move export $W/mvguest.cfg --to xva -o $W/mvguest.xva --force >$O/move-export.log 2>&1; then
	not_ok "hvkit move export of a PV guest to XVA in dom0"
	sed 's/^/# /' $O/move-export.log | tail -5 >>$O/tap.txt
	exit 0
fi
ok "hvkit move export of a PV guest to XVA in dom0 ($(wc -c <$W/mvguest.xva) bytes for a 24 MiB disk with 1 MiB of data)"
rm $W/disk.img # the guest must boot from the converted disk, not this one
# The package names dom0 files (kernel, ramdisk): hvkit never writes such
# settings from a package unless told to, and says so.
$HVKIT move import $W/mvguest.xva --to xl -o $W/out-default >$O/move-import-default.log 2>&1
if grep -q "^kernel\|^ramdisk" $W/out-default/*.cfg 2>/dev/null ||
   ! grep -q "setting 'kernel'.*not written" $O/move-import-default.log; then
	not_ok "hvkit move import leaves out the package's dom0 kernel and ramdisk paths by default"
	sed 's/^/# /' $O/move-import-default.log | tail -5 >>$O/tap.txt
else
	ok "hvkit move import leaves out the package's dom0 kernel and ramdisk paths by default, and says so"
fi
# This package is our own: its admin accepts the two on purpose.
if ! $HVKIT move import $W/mvguest.xva --to xl -o $W/out --allow-setting kernel --allow-setting ramdisk \
	>$O/move-import.log 2>&1; then
	not_ok "hvkit move import of the XVA to xl.cfg + raw in dom0"
	sed 's/^/# /' $O/move-import.log | tail -5 >>$O/tap.txt
	exit 0
fi
cfg=$(ls $W/out/*.cfg 2>/dev/null | head -1)
cp "$cfg" $O/move-imported.cfg 2>/dev/null
if [ -z "$cfg" ] || ! grep -q "target=$W/out/" "$cfg"; then
	not_ok "hvkit move import writes an xl.cfg whose disk is the imported raw image"
	sed 's/^/# /' "$cfg" $O/move-import.log 2>/dev/null | tail -20 >>$O/tap.txt
	exit 0
fi
ok "hvkit move import of the XVA to xl.cfg + raw in dom0"
t0=$(up)
if ! xl create "$cfg" >$O/move-xl-create.log 2>&1; then
	not_ok "xl create of the imported guest"
	sed 's/^/# /' $O/move-xl-create.log | tail -10 >>$O/tap.txt
	exit 0
fi
end=$(($(up) + ${DOMU_TIMEOUT:-150}))
while xl domid mvguest >/dev/null 2>&1; do
	if [ "$(up)" -ge "$end" ]; then
		diag "mvguest still running after ${DOMU_TIMEOUT:-150} s: destroyed"
		xl destroy mvguest
		break
	fi
	sleep 1
done
tr -d '\r' </var/log/xen/console/guest-mvguest.log >$O/domu-mvguest.log 2>/dev/null
grep '^HVDOMU: disk' $O/domu-mvguest.log | sed 's/^/# /' >>$O/tap.txt
diag "imported guest created, booted and powered off in $(($(up) - t0)) s"
got=$(sed -n 's/^HVDOMU: disk-md5 \([0-9a-f]*\) .*/\1/p' $O/domu-mvguest.log)
if grep -qx "HVDOMU: disk $marker" $O/domu-mvguest.log && [ "$got" = "$want" ]; then
	ok "hvkit move: the guest imported from XVA boots with xl create and reads its disk: marker $marker, md5 $want as the original"
else
	not_ok "hvkit move: the guest imported from XVA boots with xl create and reads its disk (want marker $marker, md5 $want; got md5 '${got:-none}')"
	tail -15 $O/domu-mvguest.log | sed 's/^/# /' >>$O/tap.txt
fi
exit 0
