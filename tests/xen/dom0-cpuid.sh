#!/bin/sh
# SPDX-License-Identifier: MIT
# hvkit cpuid in the box's dom0 (busybox sh), called by dom0-tests.sh after
# its domUs (or run alone: HVXEN_TESTS=tests/xen/dom0-cpuid.sh tests/xen/run.sh).
#   - `hvkit cpuid` says it runs under Xen (the version xl info gives) in a
#     PV domain, and `hvkit cpuid decode` decodes Xen's leaves;
#   - the policies `hvkit cpuid policy "host,-avx2" --for xl` and
#     `--for xl-xend` go into the cpuid= of two PV domUs, booted together;
#     in each guest's /proc/cpuinfo exactly the features the policy removes
#     (avx2 and the dependents of it this CPU has, e.g. vaes) are gone
#     compared with a default domU (dom0-tests.sh's domu1, or one started
#     here when run alone), and avx (kept) is there.
# Names are compared folded ('-', '_', '.' dropped): the policy speaks
# Xen's names, /proc/cpuinfo Linux's.  host-cpuid.py repeats the check on
# the host with the feature table's Linux names.  Writes TAP lines to
# out/tap.txt and its files to out/cpuid-*.  About 40-60 s of box time.
H=/mnt/host
O=$H/out
. $H/config
HVKIT=$H/hvkit/hvkit
RAMDISK=$H/domu/domU.cpio.gz
[ -f $H/domu/domU-hvkit.cpio.gz ] && RAMDISK=$H/domu/domU-hvkit.cpio.gz
tap() { echo "$*" >>$O/tap.txt; echo "HVTAP: $*"; }
ok() { tap "ok - $*"; }
not_ok() { tap "not ok - $*"; }
diag() { tap "# $*"; }
check() { # COND-EXIT-STATUS DESCRIPTION
	if [ "$1" = 0 ]; then ok "$2"; else not_ok "$2"; fi
}
up() { cut -d. -f1 /proc/uptime; }
fold() { tr 'A-Z' 'a-z' | tr -d '_.-'; }
words() { tr ' ' '\n' | grep -v '^$' | fold | sort -u; }

# --- hvkit cpuid live in dom0 -------------------------------------------------
xv=$(awk -F': *' '$1 ~ /^xen_major/ { a = $2 } $1 ~ /^xen_minor/ { b = $2 } END { print a "." b }' $O/xl-info.txt 2>/dev/null)
case $xv in [0-9]*.[0-9]*) ;; *) xv=$(xl info | awk -F': *' '$1 ~ /^xen_major/ { a = $2 } $1 ~ /^xen_minor/ { b = $2 } END { print a "." b }') ;; esac
$HVKIT cpuid >$O/cpuid-dom0.txt 2>&1
$HVKIT cpuid --json >$O/cpuid-dom0.json 2>>$O/cpuid-dom0.txt
$HVKIT cpuid decode >$O/cpuid-dom0-decode.txt 2>&1
$HVKIT cpuid dump -o $O/cpuid-dom0.dump 2>>$O/cpuid-dom0.txt
grep -q "^hypervisor: *XenVMMXenVMM (Xen $xv), in a PV domain" $O/cpuid-dom0.txt
check $? "hvkit cpuid in dom0 says it runs under Xen $xv in a PV domain"
grep hypervisor: $O/cpuid-dom0.txt | sed 's/^/# /' >>$O/tap.txt
maj=${xv%.*} min=${xv#*.}
awk -v maj="$maj" -v min="$min" '/^leaf 0x40000001 \(Xen version\)/ { v = 1 }
	v && $1 == "xen_major" && $2 == maj { a = 1 } v && $1 == "xen_minor" && $2 == min { b = 1 }
	/^leaf 0x40000002 \(Xen hypercall pages\)/ { h = 1 } /^leaf 0x40000003 \(Xen time\)/ { t = 1 }
	END { exit !(a && b && h && t) }' $O/cpuid-dom0-decode.txt
check $? "hvkit cpuid decode in dom0 decodes Xen's leaves (version $xv, hypercall pages, time)"

# --- policies from hvkit on PV domUs -------------------------------------------
$HVKIT cpuid policy "host,-avx2" --for xl >$O/cpuid-policy-xl.txt 2>$O/cpuid-policy-xl.err
rx=$?
$HVKIT cpuid policy "host,-avx2" --for xl-xend >$O/cpuid-policy-xend.txt 2>$O/cpuid-policy-xend.err
re=$?
diag "hvkit: $(cat $O/cpuid-policy-xl.txt) ($(cat $O/cpuid-policy-xl.err))"
diag "hvkit: $(cat $O/cpuid-policy-xend.txt)"
if [ $rx != 0 ] || [ $re != 0 ] || ! grep -q '^cpuid = "host,.*avx2=0' $O/cpuid-policy-xl.txt; then
	not_ok "hvkit cpuid policy host,-avx2 gives xl.cfg cpuid= lines in dom0"
	exit 0
fi
# What the policy removes: its name=0 edits (Xen's names).
removed=$(sed 's/^cpuid = "host//; s/"$//' $O/cpuid-policy-xl.txt | tr ',' '\n' | sed -n 's/=0$//p' | tr '\n' ' ')

cfg() { # NAME [xl.cfg line]: xl create
	{
		echo "name = \"$1\""
		echo 'type = "pv"'
		echo "kernel = \"$H/domu/vmlinuz\""
		echo "ramdisk = \"$RAMDISK\""
		echo 'extra = "console=hvc0 quiet"'
		echo 'memory = 128'
		echo 'vcpus = 1'
		echo 'on_poweroff = "destroy"'
		echo 'on_crash = "destroy"'
		[ -n "${2:-}" ] && echo "$2"
	} >/tmp/$1.cfg
	# One xl create at a time (each returns once its domain runs, so the
	# guests still boot together): xl 4.17 crashed ("corrupted
	# double-linked list") with three at once under a loaded TCG.
	if xl create /tmp/$1.cfg >$O/xl-create-$1.log 2>&1; then
		created="$created $1"
	else
		diag "xl create $1 failed:"
		sed 's/^/# /' $O/xl-create-$1.log | tail -5 >>$O/tap.txt
		xl destroy $1 >/dev/null 2>&1
	fi
}
finish() { # NAME
	case " $created " in *" $1 "*) ;; *) return ;; esac
	end=$(($(up) + ${DOMU_TIMEOUT:-150}))
	while xl domid $1 >/dev/null 2>&1; do
		[ "$(up)" -ge "$end" ] && { diag "$1 still running: destroyed"; xl destroy $1; break; }
		sleep 1
	done
	tr -d '\r' </var/log/xen/console/guest-$1.log >$O/domu-$1.log 2>/dev/null
}
flags() { sed -n 's/^HVDOMU: flags //p' $O/domu-$1.log 2>/dev/null; }

t0=$(up)
ref=domu1 created=
if [ -z "$(flags domu1)" ]; then
	ref=cpuid-ref
	cfg $ref
fi
cfg cpuid-xl "$(cat $O/cpuid-policy-xl.txt)"
cfg cpuid-xend "$(cat $O/cpuid-policy-xend.txt)"
[ $ref = cpuid-ref ] && finish $ref
finish cpuid-xl
finish cpuid-xend
diag "cpuid domUs created, booted and powered off in $(($(up) - t0)) s (reference: $ref)"

fr=$(flags $ref)
[ -n "$fr" ] || { not_ok "a default PV domU prints its CPU flags"; exit 0; }
echo "$fr" | words >/tmp/ref.w
echo "$removed" | words >/tmp/removed.w
# Expected gone: the removed features the default guest has.  (grep -F -x
# -f: busybox here has no comm.)
grep -xF -f /tmp/removed.w /tmp/ref.w >/tmp/expect.w
for form in xl xend; do
	f=$(flags cpuid-$form)
	if [ -z "$f" ]; then
		not_ok "cpuid= from hvkit --for $(echo $form | sed 's/^xend$/xl-xend/'): the PV domU printed no flags"
		continue
	fi
	echo "$f" | words >/tmp/$form.w
	grep -vxF -f /tmp/$form.w /tmp/ref.w >/tmp/gone-$form.w
	grep -vxF -f /tmp/ref.w /tmp/$form.w >/tmp/new-$form.w
	desc="cpuid= from hvkit --for $(echo $form | sed 's/^xend$/xl-xend/') in a PV domU: exactly $(tr '\n' ' ' </tmp/expect.w)gone, avx kept"
	if cmp -s /tmp/gone-$form.w /tmp/expect.w && [ ! -s /tmp/new-$form.w ] && grep -qx avx /tmp/$form.w &&
		[ -s /tmp/expect.w ]; then
		ok "$desc"
	else
		not_ok "$desc"
		diag "gone: $(tr '\n' ' ' </tmp/gone-$form.w); new: $(tr '\n' ' ' </tmp/new-$form.w); avx: $(grep -cx avx /tmp/$form.w)"
	fi
done

# --- hvkit inside the guests: what it reads is what the policy predicted -----
# The domUs above ran hvkit cpuid in the guest (domu-init.sh prints
# "HVDOMU: hvkit-features ..." in Xen's names).  Predicted for a policy
# guest: the reference guest's features less what the policy removes.
hvf() { sed -n 's/^HVDOMU: hvkit-features //p' $O/domu-$1.log 2>/dev/null; }
if [ ! -f $H/domu/domU-hvkit.cpio.gz ]; then
	tap "ok - hvkit cpuid inside a PV domU # SKIP run.sh could not build the domU initramfs with hvkit (no cpio)"
elif [ -z "$(hvf $ref)" ]; then
	not_ok "hvkit cpuid inside a PV domU prints features"
	sed -n 's/^HVDOMU: hvkit/# hvkit/p' $O/domu-$ref.log >>$O/tap.txt
else
	grep -q "^HVDOMU: hvkit-hypervisor: *XenVMMXenVMM (Xen $xv), in a PV domain" $O/domu-$ref.log
	check $? "hvkit cpuid inside a PV domU says it runs under Xen $xv in a PV domain"
	hvf $ref | words >/tmp/href.w
	diag "hvkit in the reference domU: $(wc -l </tmp/href.w) features"
	for form in xl xend; do
		name=$(echo $form | sed 's/^xend$/xl-xend/')
		hvf cpuid-$form | words >/tmp/h$form.w
		grep -vxF -f /tmp/removed.w /tmp/href.w >/tmp/hpredict.w
		desc="policy host,-avx2 --for $name: hvkit inside the PV domU reads exactly the features hvkit predicted (reference less the policy's removals)"
		if [ -s /tmp/h$form.w ] && cmp -s /tmp/hpredict.w /tmp/h$form.w; then
			ok "$desc"
		else
			not_ok "$desc"
			diag "missing: $(grep -vxF -f /tmp/h$form.w /tmp/hpredict.w | tr '\n' ' ')"
			diag "unexpected: $(grep -vxF -f /tmp/hpredict.w /tmp/h$form.w | tr '\n' ' ')"
		fi
	done
fi
# Xen's own view of its policies, for hvkit cpuid --from (host-cpuid.py).
xen-cpuid -p >$O/xen-cpuid-p.txt 2>&1 || diag "xen-cpuid -p failed: $(head -2 $O/xen-cpuid-p.txt)"
exit 0
