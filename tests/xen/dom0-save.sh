#!/bin/sh
# SPDX-License-Identifier: MIT
# "Can this saved guest be restored here?" in the box's dom0 (busybox sh),
# called by dom0-tests.sh (or run alone: HVXEN_TESTS=tests/xen/dom0-save.sh
# tests/xen/run.sh).
#   - a PV domU whose xl.cfg cpuid= removes avx2 ("host,avx2=0") is started,
#     keeps running (a loop printing "HVDOMU: tick"), and is `xl save`d;
#   - hvkit reads the CPUID policy of the saved image (`--from IMAGE`): avx
#     there, avx2 gone;
#   - `hvkit cpuid compare IMAGE XEN-CPUID-P` against dom0's `xen-cpuid -p`
#     (its PV Max policy) says restorable (exit 0); against the same output
#     with avx cleared in PV Max, not restorable (exit 1), naming avx;
#     with avx2 cleared instead (the guest does not have it), restorable;
#   - the ground truth: `xl restore` of the image works and the guest runs
#     on (new ticks on its console after the restore).
# Leaves out/save-* (the image's first 256 KiB: headers and policy records,
# for tests/data) and writes TAP lines to out/tap.txt.  About 60 s of box time.
H=/mnt/host
O=$H/out
HVKIT=$H/hvkit/hvkit
IMG=/tmp/save-pv.img
tap() { echo "$*" >>$O/tap.txt; echo "HVTAP: $*"; }
ok() { tap "ok - $*"; }
not_ok() { tap "not ok - $*"; }
diag() { tap "# $*"; }
check() { # EXIT-STATUS DESCRIPTION
	if [ "$1" = 0 ]; then ok "$2"; else not_ok "$2"; fi
}
up() { cut -d. -f1 /proc/uptime; }
ticks() { # how many ticks the guest printed so far
	n=$(tr -d '\r' </var/log/xen/console/guest-save-pv.log 2>/dev/null | grep -c '^HVDOMU: tick')
	echo "${n:-0}"
}
# xen-cpuid -p output IN with bit BIT of register REG (0 eax .. 3 edx) of
# LEAF:SUBLEAF cleared in the PV Max policy, into OUT.
clear_bit() { # IN OUT LEAF:SUBLEAF REG BIT
	# (busybox awk only finds the line: its arithmetic on hex lost lines)
	n=$(awk -v ls="$3" '/ policy: / { sec = ($0 ~ /^PV Max policy:/) }
		sec && $1 == ls && $2 == "->" { print NR; exit }' "$1")
	if [ -z "$n" ]; then
		cp "$1" "$2"
		return
	fi
	set -- "$1" "$2" "$3" "$4" "$5" $(sed -n "${n}p" "$1" | sed 's/.*-> *//' | tr ':' ' ')
	i=0 new=
	for r in "$6" "$7" "$8" "$9"; do
		[ $i = "$4" ] && r=$(printf %08x $((0x$r & ~(1 << $5))))
		new="$new${new:+:}$r"
		i=$((i + 1))
	done
	sed "${n}s/-> .*/-> $new/" "$1" >"$2"
}

# Little-endian u32 of FILE at OFFSET; writes; where a leaf's eax is.
u32() { od -An -tu4 -j"$2" -N4 "$1" | tr -d ' '; }
put32() { # FILE OFFSET VALUE: written little-endian
	v=$3
	printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $((v & 255)) $((v >> 8 & 255)) $((v >> 16 & 255)) $((v >> 24 & 255)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
leaf_at() { # FILE LEAF SUBLEAF: offset of that leaf's eax in the image's X86_CPUID_POLICY record
	o=$((48 + $(u32 "$1" 44) + 16))
	while [ "$(u32 "$1" $o)" != 1 ]; do o=$((o + 8 + ($(u32 "$1" $((o + 4))) + 7) / 8 * 8)); done
	o=$((o + 8 + 24 + 16))
	while :; do
		t=$(u32 "$1" $o) n=$(u32 "$1" $((o + 4)))
		[ "$t" = 17 ] && break
		case $t in 0 | 16 | "") return 1 ;; esac
		o=$((o + 8 + (n + 7) / 8 * 8))
	done
	e=$((o + 8))
	while [ $e -lt $((o + 8 + n)) ]; do
		if [ "$(u32 "$1" $e)" = "$2" ] && [ "$(u32 "$1" $((e + 4)))" = "$3" ]; then
			echo $((e + 8))
			return 0
		fi
		e=$((e + 24))
	done
	return 1
}

# --- a running PV guest with a policy, saved -----------------------------------
cat >/tmp/save-pv.cfg <<EOF
name = "save-pv"
type = "pv"
kernel = "$H/domu/vmlinuz"
ramdisk = "$H/domu/domU.cpio.gz"
extra = "console=hvc0 quiet hvxen_cmd=while%20:;%20do%20echo%20HVDOMU:%20tick;%20sleep%202;%20done"
memory = 128
vcpus = 1
on_poweroff = "destroy"
on_crash = "destroy"
cpuid = "host,avx2=0"
EOF
t0=$(up)
if ! xl create /tmp/save-pv.cfg >$O/save-create.log 2>&1; then
	not_ok "a PV domU with cpuid=\"host,avx2=0\" starts for xl save"
	sed 's/^/# /' $O/save-create.log | tail -5 >>$O/tap.txt
	exit 0
fi
end=$(($(up) + 150))
while [ "$(ticks)" -lt 1 ] && [ "$(up)" -lt $end ]; do sleep 1; done
if [ "$(ticks)" -lt 1 ]; then
	not_ok "the PV domU to save runs its loop (no tick on its console)"
	tr -d '\r' </var/log/xen/console/guest-save-pv.log 2>/dev/null | tail -5 | sed 's/^/# /' >>$O/tap.txt
	xl destroy save-pv
	exit 0
fi
# Xen's own view of the guest's policy: what the image must carry.
xen-cpuid -p "$(xl domid save-pv)" >$O/save-domain-policy.txt 2>&1
t1=$(up)
xl save save-pv $IMG >$O/save-save.log 2>&1
rc=$?
t2=$(up)
check $rc "xl save of a running PV domU with cpuid=\"host,avx2=0\" ($(wc -c <$IMG 2>/dev/null) bytes)"
diag "guest up in $((t1 - t0)) s, xl save took $((t2 - t1)) s"
if [ $rc != 0 ]; then
	sed 's/^/# /' $O/save-save.log | tail -5 >>$O/tap.txt
	xl destroy save-pv 2>/dev/null
	exit 0
fi
head -c 262144 $IMG >$O/save-pv.head
xen-cpuid -p >$O/save-xen-cpuid-p.txt 2>&1
xen-cpuid -p >/dev/null 2>&1 || diag "xen-cpuid -p failed: $(head -2 $O/save-xen-cpuid-p.txt)"

# --- hvkit reads the image ------------------------------------------------------
$HVKIT cpuid --from $IMG >$O/save-summary.txt 2>&1
rs=$?
$HVKIT cpuid features --from $IMG --names xen >$O/save-features.txt 2>>$O/save-summary.txt
rf=$?
$HVKIT cpuid dump --from $IMG -o $O/save-pv.dump 2>>$O/save-summary.txt
if [ $rs = 0 ] && [ $rf = 0 ] && grep -qx avx $O/save-features.txt && ! grep -qx avx2 $O/save-features.txt; then
	ok "hvkit cpuid reads the CPUID policy of the saved image: avx there, avx2 gone ($(wc -l <$O/save-features.txt) features)"
else
	not_ok "hvkit cpuid reads the CPUID policy of the saved image: avx there, avx2 gone"
	head -5 $O/save-summary.txt | sed 's/^/# /' >>$O/tap.txt
fi

# --- restorable here? -------------------------------------------------------------
$HVKIT cpuid compare $IMG $O/save-xen-cpuid-p.txt >$O/save-compare-dom0.txt 2>&1
check $? "hvkit cpuid compare IMAGE dom0's xen-cpuid -p: restorable (exit 0)"
sed 's/^/# /' $O/save-compare-dom0.txt | head -6 >>$O/tap.txt
clear_bit $O/save-xen-cpuid-p.txt $O/save-noavx.txt 00000001:ffffffff 2 28
$HVKIT cpuid compare $IMG $O/save-noavx.txt >$O/save-compare-noavx.txt 2>&1
rc=$?
if [ $rc = 1 ] && grep missing $O/save-compare-noavx.txt | grep -qw avx; then
	ok "hvkit cpuid compare IMAGE against a PV Max policy without avx: refused (exit 1), naming avx"
else
	not_ok "hvkit cpuid compare IMAGE against a PV Max policy without avx: refused (exit 1), naming avx (exit $rc)"
fi
sed 's/^/# /' $O/save-compare-noavx.txt | head -6 >>$O/tap.txt
clear_bit $O/save-xen-cpuid-p.txt $O/save-noavx2.txt 00000007:00000000 1 5
$HVKIT cpuid compare $IMG $O/save-noavx2.txt >$O/save-compare-noavx2.txt 2>&1
check $? "hvkit cpuid compare IMAGE against a PV Max policy without avx2 (which the guest lacks): restorable"

# --- the ground truth: xl restore -------------------------------------------------
n0=$(ticks)
t3=$(up)
xl restore $IMG >$O/save-restore.log 2>&1
rc=$?
t4=$(up)
check $rc "xl restore of the saved image works here (took $((t4 - t3)) s)"
[ $rc = 0 ] || sed 's/^/# /' $O/save-restore.log | tail -5 >>$O/tap.txt
cputime() { xl list save-pv 2>/dev/null | awk 'NR == 2 { print int($6 * 10) }'; }
c0=$(cputime)
end=$(($(up) + 60))
while [ "$(ticks)" -le "$n0" ] && [ "$(up)" -lt $end ]; do sleep 1; done
n1=$(ticks)
c1=$(cputime)
if [ $rc = 0 ]; then
	[ "$n1" -gt "$n0" ] || [ "${c1:-0}" -gt "${c0:-0}" ]
	check $? "the restored PV domU runs on ($n0 ticks before the save, $n1 after the restore; CPU time ${c0:-?} -> ${c1:-?} tenths of s)"
	xl list save-pv 2>&1 | sed 's/^/# /' >>$O/tap.txt
fi
tr -d '\r' </var/log/xen/console/guest-save-pv.log >$O/domu-save-pv.log 2>/dev/null
xl destroy save-pv >/dev/null 2>&1

# --- Xen's own answer for policies it must refuse or would mask --------------
# The image edited in place (and put back): (a) the maximum basic leaf
# raised to 0x20, above PV Max's: Xen's audit refuses the restore, as hvkit
# says; (b) avx512f set, which PV Max lacks: Xen 4.17 restores it with the
# bit masked (the guest saw it), which hvkit calls not restorable.
a=$(leaf_at $IMG 0 4294967295)
b=$(leaf_at $IMG 7 0)
if [ -z "$a" ] || [ -z "$b" ]; then
	not_ok "leaves 0 and 7 found in the image's X86_CPUID_POLICY record (for the edits)"
else
	old0=$(u32 $IMG $a)
	put32 $IMG $a 32
	$HVKIT cpuid compare $IMG $O/save-xen-cpuid-p.txt >$O/save-compare-maxleaf.txt 2>&1
	rh=$?
	xl restore $IMG >$O/save-restore-maxleaf.log 2>&1
	rx=$?
	xl destroy save-pv >/dev/null 2>&1
	put32 $IMG $a "$old0"
	[ $rh = 1 ] && grep -q "Xen refuses it (the guest's maximum basic leaf 0x20" $O/save-compare-maxleaf.txt && [ $rx != 0 ]
	check $? "maximum basic leaf 0x20 in the image: hvkit says Xen refuses it (exit $rh), and xl restore fails (exit $rx)"
	grep -i -m2 'error\|fail' $O/save-restore-maxleaf.log | sed 's/^/# xl: /' >>$O/tap.txt
	ebx=$(u32 $IMG $((b + 4)))
	if [ $((ebx >> 16 & 1)) = 1 ]; then
		tap "ok - avx512f added to the image's policy # SKIP the guest has avx512f already"
	else
		put32 $IMG $((b + 4)) $((ebx | 1 << 16))
		$HVKIT cpuid compare $IMG $O/save-xen-cpuid-p.txt >$O/save-compare-avx512f.txt 2>&1
		rh=$?
		xl restore $IMG >$O/save-restore-avx512f.log 2>&1
		rx=$?
		xen-cpuid -p "$(xl domid save-pv 2>/dev/null)" >$O/save-avx512f-domain.txt 2>&1
		got=$(awk '$1 == "00000007:00000000" { split($3, r, ":"); print r[2] }' $O/save-avx512f-domain.txt)
		xl destroy save-pv >/dev/null 2>&1
		put32 $IMG $((b + 4)) "$ebx"
		grep missing $O/save-compare-avx512f.txt | grep -qw avx512f
		hv=$?
		[ $rh = 1 ] && [ $hv = 0 ]
		check $? "avx512f (PV Max lacks it) added to the image: hvkit says not restorable, missing avx512f (exit $rh)"
		case $got in
		???[02468ace]????) m=masked ;;
		"") m="no policy read" ;;
		*) m=kept ;;
		esac
		[ $rx = 0 ] && [ "$m" = masked ]
		check $? "and Xen 4.17 restores it anyway with avx512f masked, under the guest (xl restore exit $rx, leaf 7 ebx $got: $m)"
	fi
fi
rm -f $IMG
diag "save/restore checks took $(($(up) - t0)) s"
exit 0
