#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""sched simulate: the engine on a trace; exact budget use, SVG plot; a
ramp ("then cap 20% over 60s") drawn and kept within the budget;
--summary is what the detailed rows of the same run add up to (CPU used,
time capped, bursts granted), on the example and on seeded random
traces (the seed is printed)."""
import os
import random
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
    # Breaker 2, finding 6: a fourth field (or a decimal comma) and hex
    # numbers were taken (",5" dropped, 0x10 as 16 s).
    for row, msg in (("0,web1,1,5", "more than 3 fields"), ("0,web1,1,", "more than 3 fields"),
                     ("0x10,web1,1", "expected 'time,guest,usage'"), ("0,web1,0x1", "bad usage '0x1'"),
                     ("0,web1,nan", "bad usage 'nan'"), ("inf,web1,1", "expected 'time,guest,usage'")):
        open(bad, "w").write(f"time,guest,usage\n{row}\n")
        p = hvkit("sched", "simulate", conf, bad, "--summary", ok=False)
        check(p.returncode == 1 and f"bad.csv:2: {msg}" in p.stderr and not p.stdout,
              f"trace row {row!r}: refused naming file:line ({p.stderr.strip()})")
    open(bad, "w").write("0,web1,1" + " " * 1100 + ",7\n")
    p = hvkit("sched", "simulate", conf, bad, "--summary", ok=False)
    check(p.returncode == 1 and "bad.csv:1: line longer than 1022 bytes" in p.stderr,
          f"a 1,100-byte row: refused as line 1, not split in two ({p.stderr.strip()})")
    for name, row, msg in (("NUL byte", "0,web1,1\0junk\n", "a NUL byte"),
                           ("terminal escape", "0,\x1b[31mweb1,1\n", "guest '.[31mweb1' is not")):
        open(bad, "w").write(row)
        p = hvkit("sched", "simulate", conf, bad, "--summary", ok=False)
        check(p.returncode == 1 and f"bad.csv:1: {msg}" in p.stderr and not p.stdout,
              f"a row with a {name}: refused, shown masked ({p.stderr.strip()!r})")
    # -o that cannot be written: nothing printed before the error.
    p = hvkit("sched", "simulate", conf, trace, "--summary", "-o", os.path.join(d, "no", "x.svg"), ok=False)
    check(p.returncode == 1 and not p.stdout and "x.svg" in p.stderr,
          f"-o in a missing directory: exit 1, no summary printed ({p.stderr.strip()})")

def summary_matches(conf, trace, tick, floors, label):
    """Runs simulate with and without --summary; checks that each summary
    line is the sum of its guest's rows (rows print 2 decimals: USED is
    off by 0.005 at most per row, and a row whose USED is within 0.01 of
    its DEMAND or floor may print on either side)."""
    rows = [l.split() for l in hvkit("sched", "simulate", conf, trace, "--tick", tick).stdout.splitlines()[1:]]
    summ = hvkit("sched", "simulate", conf, trace, "--tick", tick, "--summary").stdout.splitlines()
    check(summ[0].split() == ["GUEST", "TICKS", "DEMAND_CPU_S", "USED_CPU_S", "CAPPED_S", "BURSTS"],
          f"{label}: summary header")
    tk = float(tick.rstrip("ms")) / (1000 if tick.endswith("ms") else 1)
    got = {l.split()[0]: l.split() for l in summ[1:]}
    check(set(got) == {r[1] for r in rows}, f"{label}: one summary line per guest of the table")
    for name, s in got.items():
        mine = [r for r in rows if r[1] == name]
        n = len(mine)
        dem = sum(float(r[2]) for r in mine) * tk
        used = sum(float(r[3]) for r in mine) * tk
        capped = sum(1 for r in mine if float(r[3]) < float(r[2])) * tk
        amb = sum(1 for r in mine if abs(float(r[3]) - float(r[2])) < 0.011) * tk
        check(int(s[1]) == n, f"{label} {name}: TICKS {s[1]} = {n} rows")
        check(abs(float(s[2]) - dem) <= 0.005 * n * tk + 1e-3, f"{label} {name}: DEMAND {s[2]} = rows' {dem:.3f}")
        check(abs(float(s[3]) - used) <= 0.005 * n * tk + 1e-3, f"{label} {name}: USED {s[3]} = rows' {used:.3f}")
        check(abs(float(s[4]) - capped) <= amb + 1e-3, f"{label} {name}: CAPPED {s[4]} s = rows' {capped:.3f} s")
        fl = floors.get(name)
        if fl is None:
            check(s[5] == "-", f"{label} {name}: no burst rule, BURSTS '-'")
            continue
        above = [float(r[3]) > fl + 0.005 for r in mine]
        runs = sum(1 for i, a in enumerate(above) if a and (i == 0 or not above[i - 1]))
        near = sum(1 for r in mine if abs(float(r[3]) - fl) < 0.011)
        check(abs(int(s[5]) - runs) <= near, f"{label} {name}: BURSTS {s[5]} = runs above the floor in the rows ({runs})")
    return got


with tempfile.TemporaryDirectory() as d:
    got = summary_matches(conf, trace, "1s", {"web1": 0.2}, "example")
    check(got["web1"][5] == "2", "example: web1 was granted 2 bursts (the first hour and again as it left the window)")
    check(float(got["build"][4]) == 0, "example: build never capped below its demand")
    seed = int(os.environ.get("SEED", random.randrange(1 << 30)))
    print(f"seed {seed} (SEED=N to repeat)")
    rnd = random.Random(seed)
    c = os.path.join(d, "r.conf")
    open(c, "w").write("guest a (cgroup:/a) { burst 100% for 20s per 2m, then cap 20% }\n"
                       "guest b (cgroup:/b) { burst 150% for 10s per 1m, then cap 30% over 20s }\n"
                       "guest c (cgroup:/c) { cap 50% }\n")
    for k in range(3):
        tr = os.path.join(d, f"r{k}.csv")
        with open(tr, "w") as f:
            t = 0.0
            for _ in range(rnd.randrange(20, 80)):
                f.write(f"{t:.1f},{rnd.choice('abc')},{rnd.choice([0, 0.1, 0.5, 1, 1.5, 2])}\n")
                t += rnd.choice([1, 5, 17, 40, 90])
        tick = rnd.choice(["1s", "500ms", "2s"])
        summary_matches(c, tr, tick, {"a": 0.2, "b": 0.3}, f"seed {seed} trace {k} tick {tick}")
done()
