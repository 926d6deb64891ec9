#!/bin/sh
# SPDX-License-Identifier: MIT
# hvkit sched's pool mode on a real Xen, in the box's dom0 (busybox sh),
# called by dom0-tests.sh (or alone: HVXEN_TESTS=tests/xen/dom0-sched-pool.sh
# tests/xen/run.sh).  One etcd (Debian's static-ish binary, copied into the
# share by run.sh) on dom0's loopback, one busy PV domU under
#     burst 100% for 5s per 60s, then cap 20%   (B = 80% x 5 s = 4 CPU-s)
# and two daemons standing for two hosts (--host-id hostA, hostB) of one
# pool: A polices the domU until it has spent more than half its budget;
# then the domU "migrates": A stops, the domU lands at its floor (xl sets
# 20%, as a guest arriving on a host no daemon has seen yet would be held),
# and B takes it over.  Checks, from Xen's own CPU time (xl list) and the
# pool's record:
#   - B takes the guest over with what A left (its log's "budget left" is
#     below B - what A spent + 0.3), not a fresh budget;
#   - the CPU time the domU got above its capped rate over the whole run,
#     both hosts, is B within TOL (0.3 CPU-s) plus what it could use
#     uncharged between A's last tick and the floor cap (0.8 x that gap):
#     a fresh budget on B would add the 2.5+ CPU-s A had spent.
# The window (60 s) is longer than the run: no refill.  About 60-90 s of box
# time besides the domU's boot.
H=/mnt/host
O=$H/out
. $H/config
HVKIT=$H/hvkit/hvkit
TOL=${SCHED_TOL:-0.3}
tap() { echo "$*" >>$O/tap.txt; echo "HVTAP: $*"; }
ok() { tap "ok - $*"; }
not_ok() { tap "not ok - $*"; }
diag() { tap "# $*"; }
up() { cut -d' ' -f1 /proc/uptime; }
upi() { cut -d. -f1 /proc/uptime; }
T1="hvkit sched (xen, pool on etcd): host B continues from what host A left"
T2="hvkit sched (xen, pool on etcd): one budget over both hosts (Xen's CPU time)"
skip_all() {
	tap "ok - $T1 # SKIP $1"
	tap "ok - $T2 # SKIP $1"
	exit 0
}

[ "$DOMU" = 1 ] || skip_all "domUs not asked for"
[ -x $H/etcd/etcd ] || skip_all "no etcd in the share (Debian's etcd-server not installed on the host)"
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up 2>/dev/null
URL=etcd://127.0.0.1:2379/pool
$H/etcd/etcd --name box --data-dir /tmp/etcd --listen-client-urls http://127.0.0.1:2379 \
	--advertise-client-urls http://127.0.0.1:2379 --listen-peer-urls http://127.0.0.1:2380 \
	--initial-advertise-peer-urls http://127.0.0.1:2380 --initial-cluster box=http://127.0.0.1:2380 \
	>$O/pool-etcd.log 2>&1 &
etcd=$!
end=$(($(upi) + 120))
until $HVKIT sched status --state $URL >/dev/null 2>&1; do
	if [ "$(upi)" -ge $end ] || ! kill -0 $etcd 2>/dev/null; then
		tail -5 $O/pool-etcd.log | sed 's/^/# etcd: /' >>$O/tap.txt
		kill $etcd 2>/dev/null
		skip_all "etcd did not answer within 120 s in dom0"
	fi
	sleep 1
done
diag "pool: etcd answers in dom0"

n=pool1
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
t0=$(upi)
if ! xl create /tmp/$n.cfg >$O/xl-create-$n.log 2>&1; then
	kill $etcd
	skip_all "xl create $n failed"
fi
log=/var/log/xen/console/guest-$n.log
end=$((t0 + 90))
until grep -q '^HVDOMU: run' $log 2>/dev/null; do
	if [ "$(upi)" -ge $end ] || ! xl domid $n >/dev/null 2>&1; then
		xl destroy $n 2>/dev/null
		kill $etcd
		not_ok "$T1"
		not_ok "$T2 (the busy domU $n did not start its loop within 90 s)"
		exit 0
	fi
	sleep 1
done
cat >/tmp/pool.conf <<EOF
guest $n (xen:$n) {
    burst 100% for 5s per 60s, then cap 20%
}
EOF
(
	while [ ! -e /tmp/pool.stop ]; do
		a=$(up)
		v=$(xl list $n 2>/dev/null | awk 'NR == 2 { print $6 }')
		echo "$a $(up) $v"
		sleep 0.5
	done
) >$O/pool-xl.txt &
sampler=$!
xl sched-credit2 -d $n -c 20 >/dev/null 2>&1
echo "precap $(up)" >$O/pool-marks.txt
sleep 4
daemon() { # HOST: the daemon's log, each line stamped with dom0's uptime
	(
		$HVKIT sched run /tmp/pool.conf --tick 1s --state $URL --host-id "$1" --lease-ttl 3s -v 2>&1
		echo "rc=$?"
	) | while IFS= read -r l; do echo "$(up) $l"; done >$O/pool-daemon-$1.txt
}
left() { # the budget left in the pool's record, CPU-s
	$HVKIT sched status --state $URL --json 2>/dev/null |
		sed -n 's/.*"budget_left_cpu_s": *\([0-9.-]*\).*/\1/p' | head -1
}
echo "startA $(up)" >>$O/pool-marks.txt
daemon hostA &
dA=$!
end=$(($(upi) + 40))
until awk -v l="$(left)" 'BEGIN { exit !(l != "" && l <= 1.5) }'; do
	[ "$(upi)" -ge $end ] && break
	sleep 0.3
done
spentA=$(awk -v l="$(left)" 'BEGIN { printf "%.2f", 4 - l }')
echo "stopA $(up)" >>$O/pool-marks.txt
pkill -TERM -f 'host-id hostA' 2>/dev/null || killall hvkit 2>/dev/null
wait $dA
xl sched-credit2 -d $n -c 20 >/dev/null 2>&1
echo "floor $(up)" >>$O/pool-marks.txt
daemon hostB &
dB=$!
end=$(($(upi) + 40))
until grep -Eq "$n: cap .* -> (20|20\.[0-9]+)% " $O/pool-daemon-hostB.txt 2>/dev/null; do
	[ "$(upi)" -ge $end ] && break
	sleep 0.5
done
echo "floorB $(up)" >>$O/pool-marks.txt
sleep 8
pkill -TERM -f 'host-id hostB' 2>/dev/null || killall hvkit 2>/dev/null
wait $dB
touch /tmp/pool.stop
wait $sampler
$HVKIT sched status --state $URL >$O/pool-status.txt 2>&1
xl destroy $n 2>/dev/null
kill $etcd 2>/dev/null
for h in hostA hostB; do
	sed "s/^/# $h: /" $O/pool-daemon-$h.txt | grep -v ': tick ' >>$O/tap.txt
done
sed 's/^/# /' $O/pool-status.txt $O/pool-marks.txt >>$O/tap.txt

leftB=$(sed -n 's/.*charged here now.*budget left \([0-9.]*\) s.*/\1/p' $O/pool-daemon-hostB.txt | head -1)
diag "pool: A spent $spentA of 4 CPU-s (its record); B took over with ${leftB:-?} left"
if [ -n "$leftB" ] && awk -v a="$spentA" -v b="$leftB" 'BEGIN { exit !(a >= 1 && b <= 4 - a + 0.3) }'; then
	ok "$T1"
else
	not_ok "$T1"
fi
# Xen's CPU time: samples "start end seconds" at their middle.  S: the last
# sample before A starts (capped at 20% since precap), Z: the last one
# (capped since floorB); r: the capped rate over [floorB + 1, Z].
res=$(awk -v tol="$TOL" '
	FILENAME ~ /marks/ { m[$1] = $2; next }
	NF == 3 && $3 != "" { n++; a[n] = $1; b[n] = $2; t[n] = ($1 + $2) / 2; c[n] = $3 }
	END {
		for (i = 1; i <= n; i++) {
			if (a[i] >= m["precap"] && b[i] < m["startA"]) S = i
			if (!F && a[i] >= m["floorB"] + 1) F = i
		}
		Z = n
		if (!S || !F || t[Z] - t[F] < 4 || !m["stopA"] || !m["floor"]) {
			print "bad_run samples=" n " S=" S " F=" F; exit
		}
		r = (c[Z] - c[F]) / (t[Z] - t[F])
		x = c[Z] - c[S] - r * (t[Z] - t[S])
		gap = m["floor"] - m["stopA"] + 1
		hi = 4 + tol + 0.8 * gap
		printf "excess=%.2f capped_rate=%.3f gap=%.1fs bound=[%.2f,%.2f] samples=%d ok=%d\n",
			x, r, gap, 4 - tol, hi, n, (x >= 4 - tol && x <= hi)
	}' $O/pool-marks.txt $O/pool-xl.txt)
diag "pool: $res (Xen CPU-s above the capped rate, both hosts; B = 4)"
case $res in
*ok=1*) ok "$T2" ;;
*) not_ok "$T2" ;;
esac
