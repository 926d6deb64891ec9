#!/bin/sh
# SPDX-License-Identifier: MIT
# hvkit sched's pool mode on a real Xen, in the box's dom0 (busybox sh),
# called by dom0-tests.sh (or alone: HVXEN_TESTS=tests/xen/dom0-sched-pool.sh
# tests/xen/run.sh).  One etcd (Debian's binary, copied into the share by
# run.sh) on dom0's loopback, one busy PV domU under
#     burst 100% for 40s per 600s, then cap 20%   (B = 80% x 40 s = 32 CPU-s)
# and two daemons standing for two hosts (--host-id hostA, hostB) of one
# pool, at a 5 s tick: under QEMU TCG etcd's answers often take longer
# than half a second, so at a 1 s tick (half of it for etcd) the daemons
# saw etcd "unreachable" most ticks and their leases lapsed.  The policy
# is scaled so that the budget dwarfs what a tick can get wrong.  A
# polices the domU (--knob-every 0: it does not take back the floor set
# below) until it has spent at least half of B (its --metrics-file); then
# the domU "migrates": it lands at its floor (xl sets 20%), B starts and
# sees it while A owns it (B holds it at its floor and charges nothing),
# A charges it for two more ticks and is stopped (SIGTERM to its pid), and
# B takes it over at its next tick.
# Checks, from the pool's record and Xen's own CPU time (xl list):
#   1. B takes the guest over with what A left: its log's "budget left" is
#      what A's metrics said at its last tick within 0.3 CPU-s, not a
#      fresh budget (nor a refund of A's last writes);
#   2. one budget over both hosts: the CPU time the domU got above its
#      capped rate over the whole run is B within TOL, and so is what Xen
#      says it got above that rate until the floor plus what B had left;
#      TOL (1.0 CPU-s, 3% of B): xl list's 0.1 s resolution over three
#      differences and the capped rate, measured over the last 30 s,
#      extrapolated over the run (at most 0.6 CPU-s), and a tick or cap
#      write late under TCG at the end of B's burst (0.8 x 0.5 s).  A
#      fresh budget on B adds what A spent, 16 CPU-s or more.
# The window (600 s) is longer than the run: no refill; the whole run is
# the one window that holds the most.  Every wait is bounded (the daemons
# are stopped by their recorded pid, SIGKILL after 30 s); the box's own
# hang guard is not relied on.  About 4-5 minutes of box time.
H=/mnt/host
O=$H/out
. $H/config
HVKIT=$H/hvkit/hvkit
TOL=${SCHED_TOL:-1.0}
T=5		# the daemons' tick, s
BUDGET=32	# B, CPU-s: (100% - 20%) x 40 s
TTL=15s		# --lease-ttl: three ticks
tap() { echo "$*" >>$O/tap.txt; echo "HVTAP: $*"; }
ok() { tap "ok - $*"; }
not_ok() { tap "not ok - $*"; }
diag() { tap "# $*"; }
up() { cut -d' ' -f1 /proc/uptime; }
upi() { cut -d. -f1 /proc/uptime; }
mark() { echo "$1 $(up)" >>$O/pool-marks.txt; }
T1="hvkit sched (xen, pool on etcd): host B continues from what host A left"
T2="hvkit sched (xen, pool on etcd): one budget over both hosts (Xen's CPU time)"
skip_all() {
	tap "ok - $T1 # SKIP $1"
	tap "ok - $T2 # SKIP $1"
	exit 0
}
fail_all() {
	not_ok "$T1"
	not_ok "$T2 ($1)"
}
running() { # PID: alive, not a zombie
	[ "$(sed 's/.*) //; s/ .*//' /proc/$1/stat 2>/dev/null)" ] &&
		[ "$(sed 's/.*) //; s/ .*//' /proc/$1/stat 2>/dev/null)" != Z ]
}
stop_pid() { # PID SECS: SIGTERM, up to SECS for it to exit, then SIGKILL; $? its exit status (137: killed)
	[ -n "$1" ] || return 0
	kill -TERM $1 2>/dev/null
	e=$(($(upi) + $2))
	while running $1; do
		if [ "$(upi)" -ge $e ]; then
			diag "pool: pid $1 still running $2 s after SIGTERM: SIGKILL"
			kill -KILL $1 2>/dev/null
			e2=$(($(upi) + 5))
			while running $1 && [ "$(upi)" -lt $e2 ]; do sleep 0.2; done
			break
		fi
		sleep 0.2
	done
	running $1 || wait $1
}
pids=""
cleanup() { # every process this script started, by pid, and the domU
	for p in $pids; do running $p && stop_pid $p 10 >/dev/null; done
	xl destroy $n 2>/dev/null
}

[ "$DOMU" = 1 ] || skip_all "domUs not asked for"
[ -x $H/etcd/etcd ] || skip_all "no etcd in the share (Debian's etcd-server not installed on the host)"
command -v mkfifo >/dev/null || skip_all "no mkfifo in dom0's busybox"
: >$O/pool-marks.txt
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up 2>/dev/null
URL=etcd://127.0.0.1:2379/pool
n=pool1
# etcd boots while the domU does (each takes 30-60 s under TCG).
$H/etcd/etcd --name box --data-dir /tmp/etcd --listen-client-urls http://127.0.0.1:2379 \
	--advertise-client-urls http://127.0.0.1:2379 --listen-peer-urls http://127.0.0.1:2380 \
	--initial-advertise-peer-urls http://127.0.0.1:2380 --initial-cluster box=http://127.0.0.1:2380 \
	>$O/pool-etcd.log 2>&1 &
etcd=$!
pids=$etcd
mark etcd
t0=$(upi)
sh $H/dom0-busy-domu.sh $n >>$O/tap.txt
case $? in
0) ;;
2)
	cleanup
	skip_all "xl create $n failed (see above)"
	;;
*)
	cleanup
	fail_all "the busy domU $n did not start its loop within 90 s"
	exit 0
	;;
esac
xl sched-credit2 -d $n -c 20 >/dev/null 2>&1
end=$(($(upi) + 180))
until $HVKIT sched status --state $URL >/dev/null 2>&1; do
	if [ "$(upi)" -ge $end ] || ! running $etcd; then
		tail -5 $O/pool-etcd.log | sed 's/^/# etcd: /' >>$O/tap.txt
		cleanup
		skip_all "etcd did not answer within 180 s of its start in dom0"
	fi
	sleep 1
done
mark etcd-up
diag "pool: etcd answers in dom0, $(($(upi) - t0)) s after it started with the domU"

cat >/tmp/pool.conf <<EOF
guest $n (xen:$n) {
    burst 100% for 40s per 600s, then cap 20%
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
pids="$pids $sampler"
mark precap
sleep 6
daemon() { # HOST [OPTION...]: its daemon, pid in $dpid; its log, each line stamped with dom0's uptime
	h=$1
	shift
	rm -f /tmp/pool-$h.fifo
	mkfifo /tmp/pool-$h.fifo
	while IFS= read -r l; do echo "$(up) $l"; done </tmp/pool-$h.fifo >$O/pool-daemon-$h.txt &
	pids="$pids $!"
	$HVKIT sched run /tmp/pool.conf --tick ${T}s --state $URL --host-id "$h" --lease-ttl $TTL \
		--metrics-file /tmp/pool-$h.prom "$@" -v >/tmp/pool-$h.fifo 2>&1 &
	dpid=$!
	pids="$pids $dpid"
}
metric() { # HOST NAME: a value of its --metrics-file
	awk -v k="$2" '$1 == k || index($1, k "{") == 1 { print $2; exit }' /tmp/pool-$1.prom 2>/dev/null
}
left() { # the budget left in the pool's record, CPU-s
	$HVKIT sched status --state $URL --json 2>/dev/null |
		sed -n 's/.*"budget_left_cpu_s": *\([0-9.-]*\).*/\1/p' | head -1
}
atick() { # waits (up to 4 ticks) for A's next tick; false if none came
	s0=$(metric hostA hvkit_sched_last_update_timestamp_seconds)
	e=$(($(upi) + 4 * T))
	while [ "$(metric hostA hvkit_sched_last_update_timestamp_seconds)" = "$s0" ]; do
		[ "$(upi)" -ge $e ] || ! running $pidA && return 1
		sleep 0.3
	done
}
mark startA
daemon hostA --knob-every 0
pidA=$dpid
end=$(($(upi) + 150))
until awk -v l="$(metric hostA hvkit_sched_guest_budget_left_seconds)" -v b=$BUDGET \
	'BEGIN { exit !(l != "" && l <= b / 2) }'; do
	[ "$(upi)" -ge $end ] || ! running $pidA && break
	sleep 0.3
done
# The domU "migrates": at its floor, B starts and sees it (A owns it: B
# holds it at its floor and charges nothing), A charges two more ticks
# (the first after the floor may have read before it) and goes.
xl sched-credit2 -d $n -c 20 >/dev/null 2>&1
mark floor
mark startB
daemon hostB
pidB=$dpid
end=$(($(upi) + 120))
until grep -q "$n: cap " $O/pool-daemon-hostB.txt 2>/dev/null; do
	[ "$(upi)" -ge $end ] || ! running $pidB && break
	sleep 0.5
done
atick && atick
mark stopA
stop_pid $pidA 30
rcA=$?
leftA=$(metric hostA hvkit_sched_guest_budget_left_seconds)
spentA=$(awk -v l="$leftA" -v b=$BUDGET 'BEGIN { if (l != "") printf "%.3f", b - l }')
end=$(($(upi) + 120))
until grep -Eq "$n: cap .* -> 20(\.0+)?% \(budget spent\)" $O/pool-daemon-hostB.txt 2>/dev/null; do
	[ "$(upi)" -ge $end ] || ! running $pidB && break
	sleep 0.5
done
mark floorB
sleep 30
mark stopB
stop_pid $pidB 30
rcB=$?
touch /tmp/pool.stop
stop_pid $sampler 10 >/dev/null
$HVKIT sched status --state $URL >$O/pool-status.txt 2>&1
cleanup
for h in hostA hostB; do
	sed "s/^/# $h: /" $O/pool-daemon-$h.txt >>$O/tap.txt
done
sed 's/^/# /' $O/pool-status.txt $O/pool-marks.txt >>$O/tap.txt
diag "pool: daemons' exit status: A $rcA, B $rcB (0: a clean SIGTERM);" \
	"'etcd unreachable' said: A $(grep -c 'etcd unreachable' $O/pool-daemon-hostA.txt)," \
	"B $(grep -c 'etcd unreachable' $O/pool-daemon-hostB.txt); lease lapsed: A" \
	"$(grep -c 'lease lapsed' $O/pool-daemon-hostA.txt), B $(grep -c 'lease lapsed' $O/pool-daemon-hostB.txt)"

leftB=$(sed -n 's/.*charged here now.*budget left \([0-9.]*\) s.*/\1/p' $O/pool-daemon-hostB.txt | head -1)
diag "pool: A charged ${spentA:-?} of $BUDGET CPU-s (its last tick); B took over with ${leftB:-?} left"
if [ -n "$leftB" ] && [ -n "$spentA" ] && [ $rcA = 0 ] &&
	awk -v a="$spentA" -v l="$leftB" -v b=$BUDGET \
		'BEGIN { d = l - (b - a); exit !(a >= b / 2 && d <= 0.3 && d >= -0.3) }'; then
	ok "$T1"
else
	not_ok "$T1"
fi
# Xen's CPU time: samples "start end seconds", taken at their middle.  S:
# the last sample before A starts (capped at 20% since precap), G: the
# last one before A stops (at the floor since "floor"), F: the first one
# a second after B's floor, Z: the last one; r: the capped rate over
# [F, Z].  x: the excess over the run; xa: until G, which A charged.
res=$(awk -v tol="$TOL" -v b=$BUDGET -v lb="$leftB" '
	FILENAME ~ /marks/ { m[$1] = $2; next }
	NF == 3 && $3 != "" { n++; a[n] = $1; e[n] = $2; t[n] = ($1 + $2) / 2; c[n] = $3 }
	END {
		for (i = 1; i <= n; i++) {
			if (a[i] >= m["precap"] && e[i] < m["startA"]) S = i
			if (a[i] >= m["floor"] + 1 && e[i] < m["stopA"]) G = i
			if (!F && a[i] >= m["floorB"] + 1) F = i
		}
		Z = n
		if (!S || !F || !G || t[Z] - t[F] < 20 || lb == "") {
			print "bad_run samples=" n " S=" S " G=" G " F=" F " leftB=" lb; exit
		}
		r = (c[Z] - c[F]) / (t[Z] - t[F])
		x = c[Z] - c[S] - r * (t[Z] - t[S])
		xa = c[G] - c[S] - r * (t[G] - t[S])
		printf "excess=%.2f until_floor=%.2f until_floor+leftB=%.2f capped_rate=%.3f bound=[%.2f,%.2f] samples=%d ok=%d\n",
			x, xa, xa + lb, r, b - tol, b + tol, n,
			(x >= b - tol && x <= b + tol && xa + lb >= b - tol && xa + lb <= b + tol && r > 0.1 && r < 0.25)
	}' $O/pool-marks.txt $O/pool-xl.txt)
diag "pool: $res (Xen CPU-s above the capped rate, both hosts, B = $BUDGET; A charged ${spentA:-?})"
case $res in
*ok=1*) ok "$T2" ;;
*) not_ok "$T2" ;;
esac
