#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""hvkit sched's Xen backend against a stand-in libxenlight.so.4.17
(tests/unit/fake-libxl.c: 1,000 domains that exist only in it, every
call counted), loaded by hvkit's own lazy loader through LD_LIBRARY_PATH,
in a private mount namespace whose /dev has a xen/privcmd:
  - every domain's CPU time comes from ONE libxl_list_domain per tick
    (plus one at start): 10 ticks, 11 calls for 1,000 guests; each guest
    is looked up by name once; its cap and weight are written once each
    (2,000 sets), not every tick, and hold what the policy says;
  - another hand on the knob (an admin's `xl sched-credit2 -c 77` on d3):
    noticed at the next --knob-every check, one warning naming the
    domain, both values and xl; --foreign ours writes 30 back,
    --foreign theirs leaves 77 and marks the guest unmanaged.
The real-Xen box (tests/xen/dom0-sched.sh) judges the effect on Xen.
Skips (77) without root, unshare(1) or the stand-in library."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from lib import check, done, logged, ticks, wait_for, xen_fake, xen_fake_cmd  # noqa: E402

N = 1000


def run(tmp, conf, args, until=None, foreign_after=None):
    """Runs the daemon under the stand-in; returns (stderr, calls lines).
    With `until`, SIGTERM once stderr holds it and two more ticks have
    passed (or at lib.wait_for's hang guard).  Ticks are counted in the
    daemon's metrics file (lib.ticks), not guessed from the clock."""
    xl = os.path.join(tmp, "xl")
    shutil.rmtree(xl, ignore_errors=True)
    for f in ("state", "state.prev", "prom"):
        if os.path.exists(os.path.join(tmp, f)):
            os.unlink(os.path.join(tmp, f))
    os.mkdir(xl)
    open(os.path.join(xl, "doms"), "w").write(f"{N}\n")
    err = os.path.join(tmp, "err")
    cmd, env = xen_fake_cmd(tmp, xl, "sched", "run", conf, "--state", os.path.join(tmp, "state"), *args)
    metrics = os.path.join(tmp, "prom")
    if until:
        cmd += ["--metrics-file", metrics]
    with open(err, "w") as ef:
        p = subprocess.Popen(cmd, env=env, stderr=ef)
        if foreign_after is not None:
            # Once the daemon has set every guest (its first tick saved the
            # state) and checked them a few times, the admin turns d3's cap.
            wait_for(lambda: os.path.exists(os.path.join(tmp, "state")))
            ticks(metrics, foreign_after)
            # Whole or not at all: the stand-in reads it at any get.
            open(os.path.join(xl, "xl-set.tmp"), "w").write("d3 77\n")
            os.rename(os.path.join(xl, "xl-set.tmp"), os.path.join(xl, "xl-set"))
        if until:
            if wait_for(logged(err, until)):
                ticks(metrics, 2)	# a check or two more: no tug of war
            p.send_signal(signal.SIGTERM)
        p.wait(timeout=120)
    calls = open(os.path.join(xl, "calls")).read().splitlines() if os.path.exists(os.path.join(xl, "calls")) else []
    return p.returncode, open(err).read(), calls


def params(calls):
    return {l.split()[0]: (int(l.split()[2]), int(l.split()[4])) for l in calls[1:]}


def main():
    tmp = tempfile.mkdtemp()
    try:
        xen_fake(tmp)
        conf = os.path.join(tmp, "x.conf")
        with open(conf, "w") as f:
            for i in range(N):
                f.write(f"guest d{i} (xen:d{i}) {{ weight 512\n  cap 30% }}\n")
        rc, err, calls = run(tmp, conf, ["--tick", "100ms", "--ticks", "10", "--knob-every", "0"])
        check(rc == 0 and calls, f"10 ticks under the stand-in: exit {rc} ({err.strip()[-300:]})")
        if not calls:
            done()
        c = calls[0].split()
        counts = dict(zip(c[0::2], map(int, c[1::2])))
        print(f"calls: {calls[0]}")
        check(counts["list"] == 11, f"libxl_list_domain: {counts['list']} calls for 10 ticks of {N} "
              "guests (one a tick, one at start)")
        check(counts["name"] == N, f"libxl_name_to_domid: {counts['name']} (each guest once)")
        check(counts["set"] == 2 * N, f"libxl_domain_sched_params_set: {counts['set']} "
              f"(cap and weight once per guest, not per tick)")
        pm = params(calls)
        check(len(pm) == N and all(v == (30, 512) for v in pm.values()),
              "every domain holds cap 30 and weight 512")
        # An admin's xl sched-credit2 -d d3 -c 77, daemon checking every 200 ms.
        for mode in ("ours", "theirs"):
            rc, err, calls = run(tmp, conf, ["--tick", "200ms", "--ticks", "3000", "--knob-every", "200ms",
                                             "--foreign", mode],
                                 until="changed behind our back", foreign_after=2)
            warns = [l for l in err.splitlines() if "changed behind our back" in l]
            if not warns:
                print(f"daemon exit {rc}; xl-set {'still there' if os.path.exists(os.path.join(tmp, 'xl', 'xl-set')) else 'consumed'}; "
                      f"stderr: {err[-500:]!r}; calls {calls[:1]}")
            check(len(warns) == 1 and "d3: changed behind our back: domain d3: Xen reads cap 77 weight 512 "
                  "(we wrote cap 30 weight 512); by an admin's xl sched-credit2 -c/-w" in warns[0],
                  f"--foreign {mode}: one warning naming d3, both caps and xl: {warns}")
            pm = params(calls)
            if mode == "ours":
                check(pm.get("d3") == (30, 512), f"ours wins: d3's cap written back to 30 ({pm.get('d3')})")
            else:
                check(pm.get("d3") == (77, 512) and "unmanaged" in warns[0] if warns else False,
                      f"theirs wins: d3 keeps 77 and is unmanaged ({pm.get('d3')})")
            check(all(v == (30, 512) for k, v in pm.items() if k != "d3"), f"--foreign {mode}: the others untouched")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    done()


if __name__ == "__main__":
    main()
