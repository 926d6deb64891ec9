#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""sched simulate: the engine on a trace; exact budget use, SVG plot."""
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
    bad = os.path.join(d, "bad.csv")
    open(bad, "w").write("0,web1,1\n1,nobody,1\n")
    p = hvkit("sched", "simulate", conf, bad, ok=False)
    check(p.returncode == 1 and "bad.csv:2: guest 'nobody' is not in the policy" in p.stderr, "trace error names file:line")
done()
