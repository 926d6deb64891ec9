#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""hvkit sched run --backend libvirt:URI when libvirt misbehaves under it
(breaker 3's findings 1, 3 and 5), on a private libvirtd with the LXC
driver (lvdaemon.py: its own socket, state and namespace; never the
system's) running two idle containers, keep (cap 10%) and drop (cap 5%):
  - SIGHUP with drop taken out of the conf: its cap is lifted (virsh
    schedinfo: no vcpu_quota) and the log says so; keep's stays;
  - keep destroyed and made again (a new UUID) while the daemon is
    stopped (SIGSTOP, so that it happens between two ticks): no
    --metrics-file written after it shows keep absent, i.e. the tick that
    finds it gone finds the new one and caps it (virsh: 10000), not a
    tick later;
  - libvirtd SIGSTOPped (hung: the socket accepts, nothing answers): the
    daemon goes on ticking (--metrics-file rewritten), says "cannot read
    domain stats" once, leaves the caps in place (the cgroup's quota),
    and exits on SIGTERM; a daemon started against the hung libvirtd
    gives up with one line, exit 1.  Before, each of these waited for
    libvirtd for ever (libvirt's poll(), deaf to signals).
"No answer" is judged by the daemon's own words and exits; the waits
here are hang detectors (60 s), never speed bounds.
Skips (77), saying why, when not root, libvirtd or its LXC driver are
missing, or the driver cannot start containers here."""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from lib import HVKIT, check, done  # noqa: E402
from lvdaemon import Libvirtd, Partition, machine_name, run_hvkit, teardown  # noqa: E402

DOMAIN = """<domain type='lxc'>
  <name>{name}</name>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <resource><partition>/{part}</partition></resource>
  <os>
    <type>exe</type>
    <init>/bin/sh</init>
    <initarg>-c</initarg>
    <initarg>while :; do sleep 1; done</initarg>
  </os>
  <devices><console type='pty'/></devices>
</domain>
"""
HANG = 60       # seconds: past this, a wait is a hang


def wait_for(pred, limit=HANG):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    return pred()


def no_quota(v):
    return v is not None and re.fullmatch(r"-?\d+", v) is not None and \
        (int(v) < 0 or int(v) >= 17592186044415)


def metrics(path):
    """{guest: present} of a --metrics-file, None when unreadable."""
    try:
        text = open(path).read()
    except OSError:
        return None
    return {m.group(1): m.group(2) == "1"
            for m in re.finditer(r'^hvkit_sched_guest_present\{guest="([^"]+)"[^}]*\} (\d)', text, re.M)}


def main():
    tmp = tempfile.mkdtemp(prefix="hvkit-lvh-")
    lv = hv = part = None
    stopped = False
    try:
        lv = Libvirtd(tmp, "lxc")
        part = Partition(f"hvkit-e2e-{os.getpid()}")
        for name in ("keep", "drop"):
            lv.create(name, DOMAIN.format(name=name, part=part.name))
        conf = f"{tmp}/h.conf"
        with open(conf, "w") as f:
            f.write("guest keep (libvirt:keep) { cap 10% }\nguest drop (libvirt:drop) { cap 5% }\n")
        prom = f"{tmp}/m.prom"
        hv, log = run_hvkit(part, tmp, conf, lv.uri, "--metrics-file", prom,
                            "--knob-every", "0", "--save-every", "1h")
        capped = wait_for(lambda: lv.schedinfo("keep").get("vcpu_quota") == "10000" and
                          lv.schedinfo("drop").get("vcpu_quota") == "5000")
        check(capped, f"both capped (keep 10000, drop 5000): {open(log).read()[-500:]!r}")
        if not capped:
            done()

        # 3: drop leaves the policy.
        with open(conf, "w") as f:
            f.write("guest keep (libvirt:keep) { cap 10% }\n")
        hv.send_signal(signal.SIGHUP)
        said = wait_for(lambda: "drop: left the policy; cap 5% lifted" in open(log).read())
        q = lv.schedinfo("drop").get("vcpu_quota")
        check(said and no_quota(q), f"SIGHUP without drop: its cap is lifted (vcpu_quota {q}) and "
              f"said ({open(log).read()[-300:]!r})")
        check(lv.schedinfo("keep").get("vcpu_quota") == "10000", "... keep's cap stays")

        # 5: keep destroyed and made again between two ticks.
        hv.send_signal(signal.SIGSTOP)
        check(lv.virsh("destroy", "keep").returncode == 0, "virsh destroy keep")
        p = lv.virsh("create", f"{tmp}/keep.xml")
        check(p.returncode == 0, f"virsh create keep again ({p.stderr.strip()})")
        seen = []
        base = open(log).read().count("keep: gone")
        hv.send_signal(signal.SIGCONT)
        # Every version of the metrics file until the tick after the one
        # that saw the old keep gone (a tick lasts 1 s: each version is
        # read many times).
        end = time.monotonic() + HANG
        while time.monotonic() < end:
            m = metrics(prom)
            if m is not None and (not seen or m != seen[-1]):
                seen.append(m)
            text = open(log).read()
            if text.count("keep: gone") > base and text.count("keep: found") >= 2:
                break
            time.sleep(0.02)
        time.sleep(2.5)         # two more ticks' files
        seen.append(metrics(prom))
        text = open(log).read()
        check(text.count("keep: gone") == base + 1 and all(m.get("keep") for m in seen if m is not None),
              f"keep made again between two ticks: no metrics file shows it absent ({seen}; "
              f"{text[-400:]!r})")
        # The state is saved on each tick that changes something (never
        # on time: --save-every 1h): the tick that saw keep gone is one of
        # the last two generations, whatever the polling above missed.
        gens = [open(f"{tmp}/state{x}").read() for x in ("", ".prev")]
        absent = [g for g in gens if re.search(r"^guest keep libvirt:keep present 0", g, re.M)]
        check(not absent, f"... nor any state saved since ({len(absent)} generation(s) with keep "
              "absent)")
        check(lv.schedinfo("keep").get("vcpu_quota") == "10000",
              "... and the new keep is capped (vcpu_quota 10000)")

        # 1: libvirtd hangs.
        pid = lv.proc.pid
        check(open(f"/proc/{pid}/comm").read().strip() == "libvirtd", f"process {pid} is libvirtd")
        cpu = part.domain_dir("cpu", machine_name("keep"))
        quota_file = f"{cpu}/cpu.max" if part.v2 else f"{cpu}/cpu.cfs_quota_us"
        os.kill(pid, signal.SIGSTOP)
        stopped = True
        said = wait_for(lambda: "cannot read domain stats" in open(log).read())
        check(said, "libvirtd stopped: 'cannot read domain stats' said")
        # The daemon still ticks: three more metrics files.
        inodes = set()

        def three():
            try:
                inodes.add(os.stat(prom).st_ino)
            except OSError:
                pass
            return len(inodes) >= 4
        check(wait_for(three), f"... and it goes on ticking ({len(inodes) - 1} metrics files since)")
        text = open(log).read()
        check(text.count("cannot read domain stats") == 1, "... said once")
        q = open(quota_file).read().split()[0]
        check(q == "10000", f"... keep's cap stays in place (cgroup quota {q})")
        hv.send_signal(signal.SIGTERM)
        try:
            rc = hv.wait(timeout=HANG)
        except subprocess.TimeoutExpired:
            rc = None
        check(rc == 0 and "exiting on signal" in open(log).read(),
              f"SIGTERM while libvirtd hangs: the daemon exits (exit {rc})")
        # A daemon started against the hung libvirtd.
        try:
            r = subprocess.run([HVKIT, "sched", "run", conf, "--backend", f"libvirt:{lv.uri}",
                                "--state", f"{tmp}/s2", "--ticks", "2"], capture_output=True,
                               text=True, timeout=HANG)
            lines = [x for x in r.stderr.splitlines() if x.strip()]
            check(r.returncode == 1 and len(lines) == 1 and "no answer" in lines[0],
                  f"started against a hung libvirtd: one line, exit 1 ({r.stderr.strip()!r})")
        except subprocess.TimeoutExpired:
            check(False, f"started against a hung libvirtd: still waiting after {HANG} s")
        os.kill(pid, signal.SIGCONT)
        stopped = False
    finally:
        if stopped:
            os.kill(lv.proc.pid, signal.SIGCONT)
        teardown(hv, lv, part, tmp)
    done()


if __name__ == "__main__":
    main()
