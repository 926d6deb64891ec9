# SPDX-License-Identifier: MIT
"""A private libvirtd with one real driver (LXC or QEMU) for the tests of
hvkit sched's libvirt backend, and the cgroup partition its domains run
in.  Never the system's libvirtd: a mount namespace of its own where
libvirtd's run, state, cache and log folders are empty tmpfs, /etc/libvirt
is the test's folder (no autostarted domains), and only the one driver is
loaded; its socket lies in the test's temporary folder.  Skips (77),
saying why, where that cannot start."""
import glob
import os
import re
import shutil
import signal
import subprocess
import time

from lib import HVKIT, check, skip

CG = "/sys/fs/cgroup"

# A hybrid host's cgroup2 mount is hidden from it: libvirt 9.0's LXC
# cannot bind-mount it into a container ("Unable to create directory
# /sys/fs/cgroup/unified").  QEMU runs as root, unconfined, with its
# output in a file (no virtlogd), and the passwd/group it looks its
# default user up in hold one (libvirt-daemon-system, which makes it and
# enables the system's libvirtd, is not installed).
START = """set -e
for d in /run /var/lib /var/cache /var/log; do
    mount -t tmpfs hvkit-e2e "$d"; mkdir -p "$d/libvirt"
done
if [ -d /etc/libvirt ]; then mount --bind "$T/etc" /etc/libvirt; fi
if mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified; fi
if [ -f "$T/passwd" ]; then mount --bind "$T/passwd" /etc/passwd; mount --bind "$T/group" /etc/group; fi
export LIBVIRT_DRIVER_DIR="$T/drivers"
exec /usr/sbin/libvirtd --config "$T/etc/libvirtd.conf"
"""


def run(*args):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=120)


class Partition:
    """Cgroup partition /NAME for the domains (libvirt's <partition>,
    which it names NAME.partition), in every v1 hierarchy (libvirt wants
    it in each) or in v2, with the highest CPU weight: the busy guests get
    the CPU they ask for on a loaded machine."""

    def __init__(self, name):
        self.name = name
        d = name + ".partition"
        self.v2 = not os.path.exists(f"{CG}/cpu/cpu.cfs_quota_us")
        if self.v2:
            if not os.path.exists(f"{CG}/cgroup.controllers") or \
                    "cpu" not in open(f"{CG}/cgroup.controllers").read().split():
                skip(f"no cgroup v1 cpu controller nor v2 with cpu under {CG}")
            self.dirs = [f"{CG}/{d}"]
        else:
            self.dirs = [h + d for h in sorted(glob.glob(f"{CG}/*/"))
                         if os.path.exists(h + "cgroup.procs") and not h.endswith("/unified/")]
        try:
            for x in self.dirs:
                os.mkdir(x)
                if x.startswith(f"{CG}/cpuset/"):
                    for f in ("cpuset.cpus", "cpuset.mems"):
                        open(f"{x}/{f}", "w").write(open(f"{CG}/cpuset/{f}").read())
            if self.v2:
                ctl = open(f"{self.dirs[0]}/cgroup.controllers").read().split()
                open(f"{self.dirs[0]}/cgroup.subtree_control", "w").write(
                    " ".join("+" + c for c in ctl if c in ("cpu", "cpuset", "memory", "pids", "io")))
                open(f"{self.dirs[0]}/cpu.weight", "w").write("10000")
            else:
                open(f"{CG}/cpu/{d}/cpu.shares", "w").write("262144")
        except OSError as e:
            self.remove()
            skip(f"cannot create the test's cgroup partition: {e}")

    def boost(self, pid):
        """Moves process pid (libvirtd, the daemon under test) into a cgroup
        of the same weight, so that the busy guests do not starve it (late
        ticks would be its measured overshoot)."""
        d = f"{CG}/{self.name}-daemons" if self.v2 else f"{CG}/cpu/{self.name}-daemons"
        try:
            if not os.path.isdir(d):
                os.mkdir(d)
                self.dirs.append(d)
                open(f"{d}/cpu.weight" if self.v2 else f"{d}/cpu.shares", "w").write(
                    "10000" if self.v2 else "262144")
            open(f"{d}/cgroup.procs", "w").write(str(pid))
        except OSError as e:
            print(f"note: cannot raise the weight of process {pid}: {e}")

    def domain_dir(self, ctl, machine):
        """The folder libvirt made for a domain: DRIVER-ID-MACHINE.libvirt-
        DRIVER (MACHINE: machine_name() of the domain's)."""
        base = self.dirs[0] if self.v2 else f"{CG}/{ctl}/{self.name}.partition"
        m = glob.glob(f"{base}/*-{glob.escape(machine)}.libvirt-*")
        return m[0] if len(m) == 1 else None

    def procs(self):
        out = set()
        for x in self.dirs:
            for f in glob.glob(f"{x}/**/cgroup.procs", recursive=True):
                try:
                    out |= {int(p) for p in open(f).read().split()}
                except OSError:
                    pass
        return out

    def remove(self):
        """True when every folder is gone (killing what libvirt left)."""
        for _ in range(50):
            for pid in self.procs():
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            for x in self.dirs:
                for sub in sorted(glob.glob(f"{glob.escape(x)}/**/", recursive=True), key=len, reverse=True):
                    try:
                        os.rmdir(sub)
                    except OSError:
                        pass
            if not any(os.path.exists(x) for x in self.dirs):
                return True
            time.sleep(0.1)
        return False


def machine_name(name):
    return re.sub(r"[^A-Za-z0-9_.-]", "", name)


class Libvirtd:
    """libvirtd with only DRIVER ('lxc' or 'qemu') in tmp; .uri connects."""

    def __init__(self, tmp, driver):
        if os.geteuid() != 0:
            skip(f"needs root: libvirt's {driver} driver and cgroups")
        so = glob.glob(f"/usr/lib/*/libvirt/connection-driver/libvirt_driver_{driver}.so")
        if not os.path.exists("/usr/sbin/libvirtd") or not so:
            skip(f"libvirtd or its {driver} driver missing (Debian packages libvirt-daemon, "
                 f"libvirt-daemon-driver-{driver})")
        for tool in ("virsh", "unshare", "nsenter", "mountpoint"):
            if not shutil.which(tool):
                skip(f"{tool} missing")
        self.tmp = tmp
        self.domains = []
        for d in ("etc", "sock", "drivers"):
            os.mkdir(f"{tmp}/{d}")
        os.symlink(so[0], f"{tmp}/drivers/libvirt_driver_{driver}.so")
        with open(f"{tmp}/etc/libvirtd.conf", "w") as f:
            f.write(f'unix_sock_dir = "{tmp}/sock"\nlog_outputs = "3:stderr"\n')
        if driver == "qemu":
            with open(f"{tmp}/etc/qemu.conf", "w") as f:
                f.write('user = "root"\ngroup = "root"\nstdio_handler = "file"\n'
                        'security_driver = "none"\nnamespaces = []\n')
            for db, line in (("passwd", "libvirt-qemu:x:64055:64055::/var/lib/libvirt:/usr/sbin/nologin\n"),
                             ("group", "libvirt-qemu:x:64055:\nkvm:x:64056:\n")):
                text = open(f"/etc/{db}").read()
                with open(f"{tmp}/{db}", "w") as f:
                    f.write(text + "".join(x + "\n" for x in line.splitlines()
                                           if not re.search(rf"^{x.split(':')[0]}:", text, re.M)))
        self.uri = f"{driver}:///system?socket={tmp}/sock/libvirt-sock"
        self.log = f"{tmp}/libvirtd.log"
        self.proc = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sh", "-c", START],
                                     env={**os.environ, "T": tmp}, stdout=open(self.log, "w"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        for _ in range(300):
            if os.path.exists(f"{tmp}/sock/libvirt-sock") or self.proc.poll() is not None:
                break
            time.sleep(0.1)
        if not os.path.exists(f"{tmp}/sock/libvirt-sock"):
            tail = " | ".join(open(self.log).read().strip().splitlines()[-3:])
            self.stop()
            skip(f"a private libvirtd with the {driver} driver does not start here: {tail or 'no socket'}")

    def restart(self, part):
        """Stops libvirtd and starts another in the same mount namespace
        (entered through a libvirt_lxc process there, which keeps it and
        its containers alive): it finds the running containers again.
        False when there is no such process."""
        ours = os.readlink("/proc/self/ns/mnt")
        lxc = []
        for pid in part.procs():
            try:
                if open(f"/proc/{pid}/comm").read().strip() == "libvirt_lxc" and \
                        os.readlink(f"/proc/{pid}/ns/mnt") != ours:
                    lxc.append(pid)
            except OSError:
                pass
        if not lxc:
            return False
        self.proc.terminate()
        self.proc.wait(timeout=20)
        sock = f"{self.tmp}/sock/libvirt-sock"
        for _ in range(50):
            if not os.path.exists(sock):
                break
            time.sleep(0.1)
        time.sleep(1)
        self.proc = subprocess.Popen(["nsenter", "-t", str(lxc[0]), "-m", "--", "sh", "-c",
                                      'export LIBVIRT_DRIVER_DIR="$T/drivers"; '
                                      'exec /usr/sbin/libvirtd --config "$T/etc/libvirtd.conf"'],
                                     env={**os.environ, "T": self.tmp}, stdout=open(self.log, "a"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        part.boost(self.proc.pid)
        for _ in range(300):
            if os.path.exists(sock):
                return True
            time.sleep(0.1)
        return False

    def virsh(self, *args):
        return run("virsh", "-c", self.uri, *args)

    def create(self, name, xml_text):
        """Starts a transient domain; skips when the driver cannot."""
        path = f"{self.tmp}/{machine_name(name)}.xml"
        with open(path, "w") as f:
            f.write(xml_text)
        p = self.virsh("create", path)
        if p.returncode != 0:
            skip(f"libvirt cannot start a domain here: {p.stderr.strip()}")
        self.domains.append(name)

    def schedinfo(self, name):
        return dict(re.findall(r"^(\w+)\s*:\s*(\S+)", self.virsh("schedinfo", name).stdout, re.M))

    def stop(self):
        for name in self.domains:
            self.virsh("destroy", name)
        self.domains = []
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def partition_for(lv):
    """The tests' partition (/hvkit-e2e-PID), with libvirtd's weight."""
    part = Partition(f"hvkit-e2e-{os.getpid()}")
    part.boost(lv.proc.pid)
    return part


def run_hvkit(part, tmp, conf, uri, *args):
    """hvkit sched run CONF --backend libvirt:URI in the background, with
    the guests' weight (Partition.boost); returns it and its log's path."""
    log = f"{tmp}/hvkit.log"
    hv = subprocess.Popen([HVKIT, "sched", "run", conf, "--backend", f"libvirt:{uri}",
                           "--state", f"{tmp}/state", "--tick", "1s", "-v", *args],
                          stdout=subprocess.DEVNULL, stderr=open(log, "w"))
    part.boost(hv.pid)
    return hv, log


def teardown(hv, lv, part, tmp):
    """Stops what the test started, checks that the partition is gone and
    removes tmp; each of hv, lv, part may be None."""
    if hv and hv.poll() is None:
        hv.kill()
        hv.wait()
    if lv:
        lv.stop()
    if part:
        check(part.remove(), f"the partition /{part.name} is gone")
    shutil.rmtree(tmp, ignore_errors=True)


def judge_cap(who, used, span, q, tol, periods):
    """The measuring tail of a capped guest: over span seconds it used
    `used` CPU-s, q of one CPU within tol of one CPU, and the kernel
    throttled it (periods: its nr_throttled moved that much)."""
    check(abs(used - q * span) <= tol * span,
          f"{who}: {used:.3f} CPU-s in {span:.2f} s = {used / span:.1%} of one CPU "
          f"({q:.0%} +- {tol:.0%})")
    check(periods > 0, f"{who}: throttled by the kernel ({periods} periods)")


def stop_and_judge(hv, hvlog, knobs, once=(), absent=()):
    """Stops the daemon (SIGTERM) and judges its log: each guest of knobs
    ({guest: its knob, as hvkit names it}) named its knob once, each line
    of `once` was said once, every cap read back as written, and nothing
    of `absent` was said.  Returns the log."""
    hv.send_signal(signal.SIGTERM)
    hv.wait(timeout=30)
    err = open(hvlog).read()
    for g, knob in knobs.items():
        check(err.count(f"{g}: cap through {knob}") == 1, f"{g}: hvkit names its knob ({knob}), once")
    for line in once:
        check(err.count(line) == 1, f"said once: {line}")
    said = [x for x in ("did not take", "cannot set", *absent) if x in err]
    check(not said, f"every cap read back as written, and none of {list(absent)} said "
          f"({said}: {err.strip()[-300:]!r})")
    return err
