#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""sched simulate: the engine on a trace; exact budget use, SVG plot; a
ramp ("then cap 20% over 60s") drawn and kept within the budget."""
import os
import sys
import tempfile
import xml.dom.minidom

sys.path.insert(0, os.path.dirname(__file__))
from lib import DATA, check, done, hvkit  # noqa: E402

conf = os.path.join(DATA, "sched", "live-example.conf")
trace = os.path.join(DATA, "sched", "trace-web1.csv")
with tempfile.TemporaryDirectory() as d:
    svg = os.path.join(d, "plot.svg")
    p = hvkit("sched", "simulate", conf, trace, "-o", svg)
    rows = [l.split() for l in p.stdout.splitlines()[1:]]
    web = [r for r in rows if r[1] == "web1"]
    used = sum(float(r[3]) for r in web if float(r[0]) < 3600)
    # flat out for 400 s: 300 s at 1.0 then 0.2 (B = 0.8 x 300 = 240 CPU-s)
    check(abs(used - (300 * 1.0 + 100 * 0.2)) < 0.01, f"web1 used {used:.2f} CPU-s in its first burst, expected 320")
    full = [r for r in web if float(r[0]) >= 300 and float(r[0]) < 400]
    check(all(float(r[4]) == 0.2 for r in full), "web1 capped at 20% after 5 minutes")
    # Sliding window: at 3600 s the first burst is still inside the hour;
    # from 3601 s its seconds leave the window one by one and web1 runs at
    # 100% again (each second refills 0.8 CPU-s), until 3900 s.
    at = {float(r[0]): r for r in web}
    check(float(at[3600.0][3]) == 0.2, "web1 still capped at 3600 s (first burst inside the window)")
    check(all(float(at[t][3]) == 1.0 for t in (3601.0, 3700.0, 3899.0)), "web1 bursts again as the first burst leaves the window")
    build = [r for r in rows if r[1] == "build"]
    check(all(float(r[3]) == 1.2 for r in build), "build: 1.2 CPUs under a 150% cap at night (time 0 = midnight)")
    doc = xml.dom.minidom.parse(svg)
    check(len(doc.getElementsByTagName("polyline")) == 6, "SVG: 3 lines per guest, 2 guests")
    # "then cap 20% over 60s": 30 s at 100% (D - R/2), then a linear ramp
    # to 20% over about 60 s, paid from the same 48 CPU-s budget.
    ramp = os.path.join(d, "ramp.conf")
    open(ramp, "w").write("guest web (cgroup:/web) { burst 100% for 60s per 10m, then cap 20% over 60s }\n"
                          "guest step (cgroup:/step) { burst 100% for 60s per 10m, then cap 20% }\n")
    rtrace = os.path.join(d, "ramp.csv")
    open(rtrace, "w").write("0,web,1\n0,step,1\n700,web,1\n700,step,1\n")
    rsvg = os.path.join(d, "ramp.svg")
    p = hvkit("sched", "simulate", ramp, rtrace, "-o", rsvg)
    rows = [l.split() for l in p.stdout.splitlines()[1:]]
    for name, first_below, last_above in (("web", 29, 86), ("step", 59, 59)):
        caps = [(float(r[0]), float(r[4]), float(r[3]), float(r[5])) for r in rows if r[1] == name]
        below = min(t for t, c, u, l in caps if c < 1.0)
        floor = min(t for t, c, u, l in caps if c <= 0.2)
        check(first_below <= below <= first_below + 3, f"{name}: cap leaves 100% at {below:.0f} s")
        check(last_above <= floor <= last_above + 4, f"{name}: cap reaches 20% at {floor:.0f} s")
        steps = [a[1] - b[1] for a, b in zip(caps, caps[1:])]
        used = sum(u for t, c, u, l in caps if t < 600)
        check(used <= 0.2 * 600 + 48 + 0.01, f"{name}: {used:.2f} CPU-s in the first window <= Q x W + B = 168")
        check(min(l for t, c, u, l in caps) >= 0, f"{name}: never in debt")
        if name == "web":
            check(max(steps) <= 0.8 / 60 * 2.5, f"web: the cap falls by at most {max(steps):.3f} per second (gentle)")
        else:
            check(max(steps) >= 0.7, "step: the cap falls at once without 'over'")
    doc = xml.dom.minidom.parse(rsvg)
    check(len(doc.getElementsByTagName("polyline")) == 6, "SVG of the ramp: 3 lines per guest")
    bad = os.path.join(d, "bad.csv")
    open(bad, "w").write("0,web1,1\n1,nobody,1\n")
    p = hvkit("sched", "simulate", conf, bad, ok=False)
    check(p.returncode == 1 and "bad.csv:2: guest 'nobody' is not in the policy" in p.stderr, "trace error names file:line")
done()
