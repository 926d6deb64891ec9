#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""hvkit sched run --backend libvirt:URI on a REAL QEMU domain of a
private libvirtd (tests/e2e/sched/lvdaemon.py; QEMU TCG, no KVM needed):
2 vCPUs booting a floppy whose boot sector is 'jmp $', so one vCPU spins
and the other waits for a start-up IPI, under "cap 20%".  Judged on the
cgroup libvirt made for it, the qemu process's CPU time (/proc/PID/stat,
all its threads) and libvirt's own view (virsh domstats cpu.time, virsh
schedinfo):
  - hvkit says it caps through global_quota, and virsh schedinfo shows
    global_period 100000, global_quota 20000 with vcpu_quota untouched
    (-1); the domain's cgroup holds the quota, its vcpuN cgroups none;
  - over 8 s the guest uses 20% of ONE CPU in total, within 3% of one
    CPU, by the kernel and by libvirt, and is throttled: with the quota
    split per vCPU (vcpu_quota 10000 each) its one busy vCPU would get
    10%, and the emulator thread nothing at all of the cap;
  - before the daemon, uncapped, it uses more than 20% (the cap is what
    holds it).
Skips (77), saying why, when not root, libvirtd, its QEMU driver or
qemu-system-x86_64 are missing, or the driver cannot start here."""
import os
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from lib import check, done, skip  # noqa: E402
from lvdaemon import (Libvirtd, judge_cap, machine_name, partition_for,  # noqa: E402
                      run_hvkit, stop_and_judge, teardown)

Q, HOLD, TOL = 0.2, 8.0, 0.03
NAME = "hvkit q"
DOMAIN = """<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>16</memory>
  <vcpu>2</vcpu>
  <resource><partition>/{part}</partition></resource>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='fd'/></os>
  <devices>
    <emulator>{qemu}</emulator>
    <disk type='file' device='floppy'>
      <source file='{img}'/><target dev='fda' bus='fdc'/>
    </disk>
  </devices>
</domain>
"""


def main():
    qemu = shutil.which("qemu-system-x86_64")
    if not qemu:
        skip("qemu-system-x86_64 missing (Debian package qemu-system-x86)")
    tmp = tempfile.mkdtemp(prefix="hvkit-qemu-")
    lv = hv = part = None
    try:
        lv = Libvirtd(tmp, "qemu")
        part = partition_for(lv)
        img = f"{tmp}/boot.img"
        sector = bytearray(512)
        sector[0:2] = b"\xeb\xfe"           # jmp $
        sector[510:512] = b"\x55\xaa"
        with open(img, "wb") as f:
            f.write(bytes(sector) + bytes(1474560 - 512))
        lv.create(NAME, DOMAIN.format(name=NAME, part=part.name, qemu=qemu, img=img))
        dom = part.domain_dir("cpu", machine_name(NAME))
        check(dom is not None, f"libvirt made the domain's cgroup under /{part.name}")
        if dom is None:
            done()      # exits 1: the failure is counted
        procs = open(f"{dom}/emulator/cgroup.procs").read().split()
        check(len(procs) == 1, f"one qemu process ({procs})")
        pid = int(procs[0])
        tick = os.sysconf("SC_CLK_TCK")

        def kernel():       # (monotonic time, CPU-s of every qemu thread)
            t = time.monotonic()
            f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            return t, (int(f[11]) + int(f[12])) / tick

        def libvirt():
            p = lv.virsh("domstats", NAME, "--cpu-total")
            m = re.search(r"cpu\.time=(\d+)", p.stdout)
            return time.monotonic(), int(m.group(1)) / 1e9 if m else None

        def throttled():
            return int(dict(x.split() for x in open(f"{dom}/cpu.stat"))["nr_throttled"])

        time.sleep(2)       # SeaBIOS, then the loop
        (t0, k0), (_, l0) = kernel(), libvirt()
        time.sleep(2)
        (t1, k1), (_, l1) = kernel(), libvirt()
        check((k1 - k0) / (t1 - t0) > Q + 0.1,
              f"uncapped, the guest uses {(k1 - k0) / (t1 - t0):.0%} of one CPU (more than its cap)")

        conf = f"{tmp}/q.conf"
        with open(conf, "w") as f:
            f.write(f'guest q (libvirt:"{NAME}") {{\n    cap {Q:.0%}\n}}\n')
        hv, hvlog = run_hvkit(part, tmp, conf, lv.uri)
        for _ in range(300):
            if open(f"{dom}/cpu.cfs_quota_us").read().strip() == "20000" or hv.poll() is not None:
                break
            time.sleep(0.1)
        quota = open(f"{dom}/cpu.cfs_quota_us").read().strip()
        check(quota == "20000", f"the domain's cgroup gets quota 20000 ({quota})")
        vq = {v: open(f"{dom}/{v}/cpu.cfs_quota_us").read().strip() for v in ("vcpu0", "vcpu1")}
        check(set(vq.values()) == {"-1"}, f"its vCPUs' cgroups have no quota of their own ({vq})")
        si = lv.schedinfo(NAME)
        check(si.get("global_period") == "100000" and si.get("global_quota") == "20000" and
              si.get("vcpu_quota") == "-1",
              f"virsh schedinfo: global_period 100000, global_quota 20000, vcpu_quota -1 ({si})")
        (t0, k0), (_, l0), n0 = kernel(), libvirt(), throttled()
        time.sleep(HOLD)
        (t1, k1), (_, l1), n1 = kernel(), libvirt(), throttled()
        span = t1 - t0
        judge_cap("q, by the kernel's count", k1 - k0, span, Q, TOL, n1 - n0)
        check(l0 is not None and l1 is not None and abs((l1 - l0) - Q * span) <= TOL * span,
              f"libvirt's cpu.time: {l1 - l0:.2f} CPU-s in {span:.2f} s (20% +- 3%)")
        # CPU time from the domain stats, not virDomainGetInfo.
        stop_and_judge(hv, hvlog, {"q": "global_period/global_quota (the domain's cgroup: all its "
                                        "threads together)"}, absent=["virDomainGetInfo"])
    finally:
        teardown(hv, lv, part, tmp)
    done()


if __name__ == "__main__":
    main()
