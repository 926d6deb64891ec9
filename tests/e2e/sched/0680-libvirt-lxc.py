#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""hvkit sched run --backend libvirt:URI on REAL libvirt domains: a
private libvirtd (Debian's libvirt-daemon-driver-lxc; its own socket,
state and config in a temporary folder, in a mount namespace of its own,
never the system's libvirtd) runs two LXC containers whose init is a
busy shell loop:
  "hvkit one"  1 vCPU, one loop    (a name with a blank: selected in the
                                     conf as libvirt:"hvkit one")
  hvkit-two    2 vCPUs, two loops  (could use both CPUs of the machine)
both under "burst 100% for 4s per 30s, then cap 20%".  Judged on the
cgroups libvirt made for them (cpuacct.usage, cpu.cfs_quota_us and
cpu.stat's nr_throttled; cgroup v2: cpu.stat, cpu.max), sampled every
0.1 s, and on libvirt's own view (virsh schedinfo, virsh dominfo):
  - the burst is granted: from the daemon's first cap (quota 100 ms per
    100 ms) to the tick it falls to 20%, each guest used B = 0.8 x 4 =
    3.2 CPU-s above 20% of the interval, within 3% of one CPU over it
    (plus one sampling step);
  - then the cap holds: over the next 8 s each guest used 20% of ONE CPU
    in total, within 3% of one CPU, and was throttled: the 2-vCPU guest
    gets the same 20% as the 1-vCPU one (neither 10%: a quota split over
    its vCPUs, nor 40%: one per vCPU);
  - the knob: hvkit says it caps through vcpu_quota, which libvirt's LXC
    driver writes to the container's cgroup (LXC has no global_quota;
    virsh schedinfo refuses it), and virsh schedinfo shows vcpu_period
    100000 and vcpu_quota 20000, the value in the cgroup;
  - CPU time: libvirt's (virsh dominfo; LXC has no domstats, so hvkit
    reads virDomainGetInfo per guest and says so once) is the cgroup's;
  - hvkit's read-back is libvirt's: virsh schedinfo --set vcpu_quota
    behind the daemon's back is noticed at the next knob check, named
    with the value virsh wrote, and the daemon's 20% is written again.
Bounds come from the measured intervals, never from assumed speed: the
containers' partition gets the highest cgroup weight so that the busy
loops get the CPU they ask for on a loaded machine.
Skips (77), saying why, when not root, libvirtd or its LXC driver are
missing, or the driver cannot start containers here."""
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from lib import check, done, hvkit, HVKIT, skip  # noqa: E402

CG = "/sys/fs/cgroup"
P, Q, D, W = 1.0, 0.2, 4, 30
B = (P - Q) * D
HOLD = 8.0                      # seconds of capped running measured
STEP = 0.1                      # sampling period
TOL = 0.03                      # of one CPU, over the measured interval
GUESTS = {                      # conf name -> (domain name, vCPUs, busy loops)
    "one": ("hvkit one", 1, 1),
    "two": ("hvkit-two", 2, 2),
}
LOOP = "while :; do :; done"

DOMAIN = """<domain type='lxc'>
  <name>{name}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>{vcpus}</vcpu>
  <resource><partition>/{part}</partition></resource>
  <os>
    <type>exe</type>
    <init>/bin/sh</init>
    <initarg>-c</initarg>
    <initarg>{init}</initarg>
  </os>
  <devices><console type='pty'/></devices>
</domain>
"""

# In a mount namespace of its own: libvirtd's run, state, cache and log
# folders are empty tmpfs (nothing of a system libvirtd is seen or
# touched), /etc/libvirt is our folder (no autostarted domains), only the
# LXC driver is loaded, and a hybrid host's cgroup2 mount is hidden (libvirt
# 9.0's LXC cannot bind-mount it into a container: "Unable to create
# directory /sys/fs/cgroup/unified").
START = """set -e
for d in /run /var/lib /var/cache /var/log; do
    mount -t tmpfs hvkit-e2e "$d"; mkdir -p "$d/libvirt"
done
if [ -d /etc/libvirt ]; then mount --bind "$T/etc" /etc/libvirt; fi
if mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified; fi
export LIBVIRT_DRIVER_DIR="$T/drivers"
exec /usr/sbin/libvirtd --config "$T/etc/libvirtd.conf"
"""


def run(*args, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=60, **kw)


class Cgroups:
    """The partition our domains live in, v1 (every hierarchy: libvirt
    needs the partition in each) or v2."""

    def __init__(self, part):
        self.part = part
        self.v2 = not os.path.exists(f"{CG}/cpu/cpu.cfs_quota_us")
        if self.v2:
            if not os.path.exists(f"{CG}/cgroup.controllers") or \
                    "cpu" not in open(f"{CG}/cgroup.controllers").read().split():
                skip(f"no cgroup v1 cpu controller nor v2 with cpu under {CG}")
            self.dirs = [f"{CG}/{part}"]
        else:
            self.dirs = [h + part for h in sorted(glob.glob(f"{CG}/*/"))
                         if os.path.exists(h + "cgroup.procs") and not h.endswith("/unified/")]
        try:
            for d in self.dirs:
                os.mkdir(d)
                if d.startswith(f"{CG}/cpuset/"):
                    for f in ("cpuset.cpus", "cpuset.mems"):
                        open(f"{d}/{f}", "w").write(open(f"{CG}/cpuset/{f}").read())
            if self.v2:
                ctl = open(f"{self.dirs[0]}/cgroup.controllers").read().split()
                open(f"{self.dirs[0]}/cgroup.subtree_control", "w").write(
                    " ".join("+" + c for c in ctl if c in ("cpu", "cpuset", "memory", "pids", "io")))
                open(f"{self.dirs[0]}/cpu.weight", "w").write("10000")
            else:
                open(f"{CG}/cpu/{part}/cpu.shares", "w").write("262144")
        except OSError as e:
            self.remove()
            skip(f"cannot create the test's cgroup partition: {e}")

    def domain_dir(self, ctl, machine):
        """The folder libvirt made for a domain (its machine name is the
        domain name without characters outside [A-Za-z0-9-_.])."""
        base = f"{CG}/{self.part}" if self.v2 else f"{CG}/{ctl}/{self.part}"
        m = [d for d in glob.glob(f"{base}/lxc-*.libvirt-lxc") if d.endswith(f"-{machine}.libvirt-lxc")]
        return m[0] if len(m) == 1 else None

    def reader(self, machine):
        cpu, acct = self.domain_dir("cpu", machine), self.domain_dir("cpuacct", machine)
        if not cpu or not acct:
            return None
        if self.v2:
            def read():
                st = dict(x.split() for x in open(f"{cpu}/cpu.stat"))
                q = open(f"{cpu}/cpu.max").read().split()
                return (int(st["usage_usec"]) * 1000, -1 if q[0] == "max" else int(q[0]),
                        int(st.get("nr_throttled", 0)))
        else:
            def read():
                st = dict(x.split() for x in open(f"{cpu}/cpu.stat"))
                return (int(open(f"{acct}/cpuacct.usage").read()),
                        int(open(f"{cpu}/cpu.cfs_quota_us").read()), int(st["nr_throttled"]))
        return read

    def procs(self):
        out = []
        for d in self.dirs:
            for f in glob.glob(f"{d}/**/cgroup.procs", recursive=True):
                try:
                    out += [int(x) for x in open(f).read().split()]
                except OSError:
                    pass
        return set(out)

    def remove(self):
        for d in self.dirs:
            for sub in sorted(glob.glob(f"{d}/**/", recursive=True), key=len, reverse=True):
                try:
                    os.rmdir(sub)
                except OSError:
                    pass


def wait_socket(path, daemon, log):
    for _ in range(300):
        if os.path.exists(path):
            return
        if daemon.poll() is not None:
            break
        time.sleep(0.1)
    tail = " | ".join(open(log).read().strip().splitlines()[-3:])
    skip(f"a private libvirtd with the LXC driver does not start here: {tail or 'no socket'}")


def schedinfo(uri, name):
    p = run("virsh", "-c", uri, "schedinfo", name)
    return dict(re.findall(r"^(\w+)\s*:\s*(\S+)", p.stdout, re.M))


def main():
    if os.geteuid() != 0:
        skip("needs root: libvirt's LXC driver and cgroups")
    drv = glob.glob("/usr/lib/*/libvirt/connection-driver/libvirt_driver_lxc.so")
    if not os.path.exists("/usr/sbin/libvirtd") or not drv:
        skip("libvirtd or its LXC driver missing (Debian packages libvirt-daemon, "
             "libvirt-daemon-driver-lxc)")
    for tool in ("virsh", "unshare", "mountpoint"):
        if not shutil.which(tool):
            skip(f"{tool} missing")
    tmp = tempfile.mkdtemp(prefix="hvkit-lxc-")
    part = f"hvkit-e2e-{os.getpid()}"
    cg = Cgroups(part + ".partition")   # libvirt's name for partition /PART
    daemon = hv = None
    uri = f"lxc:///system?socket={tmp}/sock/libvirt-sock"
    try:
        for d in ("etc", "sock", "drivers"):
            os.mkdir(f"{tmp}/{d}")
        os.symlink(drv[0], f"{tmp}/drivers/libvirt_driver_lxc.so")
        with open(f"{tmp}/etc/libvirtd.conf", "w") as f:
            f.write(f'unix_sock_dir = "{tmp}/sock"\nlog_outputs = "3:stderr"\n')
        log = f"{tmp}/libvirtd.log"
        daemon = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sh", "-c", START],
                                  env={**os.environ, "T": tmp}, stdout=open(log, "w"),
                                  stderr=subprocess.STDOUT, start_new_session=True)
        wait_socket(f"{tmp}/sock/libvirt-sock", daemon, log)
        readers = {}
        for g, (name, vcpus, loops) in GUESTS.items():
            xml = f"{tmp}/{g}.xml"
            with open(xml, "w") as f:
                f.write(DOMAIN.format(name=name, vcpus=vcpus, part=part,
                                      init=" &amp; ".join([LOOP] * loops)))
            p = run("virsh", "-c", uri, "create", xml)
            if p.returncode != 0:
                skip(f"libvirt's LXC driver cannot start a container here: {p.stderr.strip()}")
            readers[g] = cg.reader(re.sub(r"[^A-Za-z0-9_.-]", "", name))
            check(readers[g] is not None, f"{g}: libvirt made its cgroup under /{part}")
        if None in readers.values():
            return
        si = schedinfo(uri, GUESTS["one"][0])
        check(si.get("Scheduler") == "posix" and "vcpu_quota" in si and "global_quota" not in si,
              f"LXC's scheduler is posix with vcpu_quota and no global_quota ({si})")
        p = run("virsh", "-c", uri, "schedinfo", GUESTS["one"][0], "--set", "global_quota=20000", "--live")
        check(p.returncode != 0 and "global_quota" in p.stderr,
              f"libvirt's LXC driver refuses global_quota ({p.stderr.strip()})")

        conf = f"{tmp}/lxc.conf"
        rule = f"burst {P:.0%} for {D}s per {W}s, then cap {Q:.0%}"
        with open(conf, "w") as f:
            f.write(f'guest one (libvirt:"{GUESTS["one"][0]}") {{\n    {rule}\n}}\n'
                    f'guest two (libvirt:{GUESTS["two"][0]}) {{\n    {rule}\n}}\n')
        hvlog = f"{tmp}/hvkit.log"
        hv = subprocess.Popen([HVKIT, "sched", "run", conf, "--backend", f"libvirt:{uri}",
                               "--state", f"{tmp}/state", "--tick", "1s", "--knob-every", "1s", "-v"],
                              stdout=subprocess.DEVNULL, stderr=open(hvlog, "w"))
        samples = []        # (t, {guest: (usage_ns, quota_us, nr_throttled)})

        def sample():
            t = time.monotonic()
            samples.append((t, {g: r() for g, r in readers.items()}))
            return samples[-1]

        def first(pred, since=0):
            for i in range(since, len(samples)):
                if pred(samples[i]):
                    return i
            return None

        # Until both are capped at 20% (or 60 s: a guest that never
        # spends its budget), then HOLD more seconds.
        start = time.monotonic()
        t_b = {}
        while time.monotonic() - start < 60 and hv.poll() is None:
            t, s = sample()
            for g in GUESTS:
                if g not in t_b and s[g][1] == int(Q * 100000):
                    t_b[g] = len(samples) - 1
            if len(t_b) == len(GUESTS) and t - samples[max(t_b.values())][0] >= HOLD:
                break
            time.sleep(STEP)
        if not check(hv.poll() is None, "the daemon runs"):
            print(open(hvlog).read()[-2000:])
        check(len(t_b) == len(GUESTS), f"both guests reach the 20% cap within 60 s ({sorted(t_b)})")
        if len(t_b) != len(GUESTS):
            print(open(hvlog).read()[-2000:])
            return
        # libvirt's view now (both capped).
        for g, (name, vcpus, loops) in GUESTS.items():
            si = schedinfo(uri, name)
            _, s = sample()
            check(si.get("vcpu_period") == "100000" and si.get("vcpu_quota") == "20000" and
                  s[g][1] == 20000,
                  f"{g} ({vcpus} vCPU): virsh schedinfo shows vcpu_period 100000, vcpu_quota "
                  f"20000 (20% of ONE CPU for the whole guest), as the cgroup ({si}, "
                  f"cfs_quota_us {s[g][1]})")
            u0 = readers[g]()[0]
            d = run("virsh", "-c", uri, "dominfo", name)
            u1 = readers[g]()[0]
            m = re.search(r"CPU time:\s*([\d.]+)s", d.stdout)
            check(m is not None and u0 / 1e9 - 0.1 <= float(m.group(1)) <= u1 / 1e9 + 0.1,
                  f"{g}: libvirt's CPU time (virsh dominfo {m and m.group(1)} s) is the cgroup's "
                  f"({u0 / 1e9:.2f}..{u1 / 1e9:.2f} s)")
        for g, (name, vcpus, loops) in GUESTS.items():
            i_a = first(lambda x: x[1][g][1] == int(P * 100000))
            i_b = t_b[g]
            check(i_a is not None and i_a < i_b,
                  f"{g}: the daemon's first cap is the burst's 100% (quota 100000) before 20%")
            if i_a is None or i_a >= i_b:
                continue
            (ta, sa), (tb, sb), (tp, sp) = samples[i_a], samples[i_b], samples[i_b - 1]
            # The switch to 20% came between samples i_b - 1 and i_b: B
            # was spent by then, and not before the one ahead of it.
            got, before = (sb[g][0] - sa[g][0]) / 1e9 - Q * (tb - ta), (sp[g][0] - sa[g][0]) / 1e9 - Q * (tp - ta)
            check(got >= B - TOL * (tb - ta) and (i_b - 1 == i_a or before <= B + TOL * (tp - ta)),
                  f"{g}: burst granted: {got:.2f} CPU-s above 20% in the {tb - ta:.2f} s to the "
                  f"20% cap, {before:.2f} a sample earlier (B = {B:.2f} +- 3% of one CPU)")
            # Capped: from the 20% tick on, up to HOLD s (and never once
            # the first charges may leave the window).
            i_e = first(lambda x: x[0] - tb >= HOLD or x[0] - ta >= W - 2, i_b)
            i_e = i_e if i_e is not None else len(samples) - 1
            te, se = samples[i_e]
            hold = te - tb
            used = (se[g][0] - sb[g][0]) / 1e9
            quotas = {x[1][g][1] for x in samples[i_b:i_e + 1]}
            check(hold >= 4 and abs(used - Q * hold) <= TOL * hold,
                  f"{g} ({vcpus} vCPU, {loops} loop(s)): capped: {used:.3f} CPU-s in {hold:.2f} s = "
                  f"{used / hold:.1%} of one CPU (20% +- 3%)")
            check(quotas == {20000}, f"{g}: the quota stays 20000 while capped ({quotas})")
            # The whole run lies in one window: it holds Q x its length
            # + B at most (a late tick's overshoot included).
            used = (se[g][0] - sa[g][0]) / 1e9
            check(used <= Q * (te - ta) + B + TOL * (te - ta),
                  f"{g}: the window's total: {used:.2f} CPU-s in {te - ta:.2f} s <= 20% of it + B "
                  f"= {Q * (te - ta) + B:.2f} (+ 3% of one CPU: {TOL * (te - ta):.2f})")
            check(se[g][2] > sb[g][2], f"{g}: the kernel throttled it ({se[g][2] - sb[g][2]} periods)")
        # Another hand: virsh sets vcpu_quota behind the daemon's back.
        name = GUESTS["one"][0]
        p = run("virsh", "-c", uri, "schedinfo", name, "--set", "vcpu_quota=50000", "--live")
        check(p.returncode == 0, f"virsh schedinfo --set vcpu_quota=50000 ({p.stderr.strip()})")
        back = None
        for _ in range(50):
            time.sleep(0.1)
            if "vcpu_quota reads 50000" in open(hvlog).read() and readers["one"]()[1] == 20000:
                back = schedinfo(uri, name).get("vcpu_quota")
                break
        err = open(hvlog).read()
        check(re.search(r"one: changed behind our back: domain hvkit one: vcpu_quota reads 50000 "
                        r"\(we wrote 20000\).*ours wins", err) is not None and back == "20000",
              f"hvkit reads back what virsh wrote (50000), says so, and writes 20000 again "
              f"(virsh schedinfo: {back})")
        hv.send_signal(signal.SIGTERM)
        hv.wait(timeout=30)
        err = open(hvlog).read()
        for g in GUESTS:
            check(err.count(f"{g}: cap through vcpu_period/vcpu_quota (LXC: the container's cgroup, "
                            "the whole guest)") == 1, f"{g}: hvkit names its knob, once")
        check(err.count("the driver has no virConnectGetAllDomainStats") == 1,
              "no domain stats on LXC: virDomainGetInfo per guest, said once")
        check("did not take" not in err and "cannot set" not in err,
              "every cap read back as written")
        st = json.loads(hvkit("sched", "status", "--state", f"{tmp}/state", "--json").stdout)
        gs = {x["name"]: x for x in st["guests"]}
        check(all(gs[g]["present"] and gs[g]["cap_cpus"] == Q for g in GUESTS),
              f"status: both present, cap 0.2 CPU ({[(g, gs[g]['cap_cpus']) for g in GUESTS]})")
        check(all(gs[g]["selector"] == f"libvirt:{GUESTS[g][0]}" for g in GUESTS),
              f"status: the selectors as written, blank kept ({[gs[g]['selector'] for g in GUESTS]})")
    finally:
        if hv and hv.poll() is None:
            hv.kill()
            hv.wait()
        if daemon:
            for name, _, _ in GUESTS.values():
                run("virsh", "-c", uri, "destroy", name)
            daemon.terminate()
            try:
                daemon.wait(timeout=20)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait()
        for pid in cg.procs():     # containers libvirt did not stop
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        for _ in range(50):
            cg.remove()
            if not any(os.path.exists(d) for d in cg.dirs):
                break
            time.sleep(0.1)
        check(not any(os.path.exists(d) for d in cg.dirs), f"the partition /{part} is gone")
        shutil.rmtree(tmp, ignore_errors=True)
    done()


if __name__ == "__main__":
    main()
