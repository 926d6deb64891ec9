#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Link states that lie, PCIe 7.0 and big synthetic NUMA machines
(breaker round 2, pictures).  The lspci -xxx dumps are generated here: a
host bridge, a root port and an endpoint whose Link Capabilities and
Link Status are given.  Proves: speed code 7 is Gen7 (128 GT/s) and a
Gen7 link trained at Gen6 is a pcie_link_degraded warning; a link that
is up (DLActive) with width 0 is a pcie_link_no_lanes finding; a link
trained above its capability is a pcie_link_impossible finding, for
seeded random codes exactly when status exceeds capability (the seed is
printed); `where` writes an unknown-speed link "? x4" without a
bandwidth and still names it as the narrowest; pack x numa above 1024 is
a usage error naming the token, and the text output omits a matrix of
more than 32 nodes while --json keeps it whole; two bridges claiming one
secondary bus are named in one warning."""
import json
import os
import random
import struct
import tempfile

import lib
from lib import check, done, hvkit


def dev(bus, d, hdr, cls, ptype, cap, sta, sec=None):
    c = bytearray(256)
    struct.pack_into("<HH", c, 0, 0x8086, 0x10fb if cls == 0x0200 else 0x2030 + d)
    struct.pack_into("<H", c, 6, 0x10)
    c[0x0a], c[0x0b], c[0x0e] = cls & 0xff, cls >> 8, hdr
    if hdr == 1:
        c[0x18], c[0x19], c[0x1a] = bus, sec, sec
    c[0x34], c[0x40] = 0x40, 0x10
    struct.pack_into("<H", c, 0x42, 2 | (ptype << 4))
    struct.pack_into("<I", c, 0x4c, cap[0] | (cap[1] << 4) | (1 << 20))
    struct.pack_into("<H", c, 0x52, sta[0] | (sta[1] << 4) | (1 << 13))
    out = "%02x:%02x.0 Class %04x\n" % (bus, d, cls)
    for i in range(0, 256, 16):
        out += "%02x: " % i + " ".join("%02x" % b for b in c[i:i + 16]) + "\n"
    return out + "\n"


def dump(tmp, name, rp_cap, rp_sta, ep_cap, ep_sta):
    s = dev(0, 0, 0, 0x0600, 0, (0, 0), (0, 0))
    s += dev(0, 1, 1, 0x0604, 4, rp_cap, rp_sta, sec=1)
    s += dev(1, 0, 0, 0x0200, 0, ep_cap, ep_sta)
    p = os.path.join(tmp, name + ".txt")
    with open(p, "w") as f:
        f.write(s)
    return p


def findings(path, kind):
    j = json.loads(hvkit("topo", "check", "--json", "--fail-on", "none",
                         "--from", path).stdout)
    return [f for f in j["findings"] if f["kind"] == kind]


with tempfile.TemporaryDirectory() as tmp:
    # PCIe 7.0: both ends can do code 7 x16, trained at Gen6 x16.
    p = dump(tmp, "gen7", (7, 16), (7, 16), (7, 16), (6, 16))
    out = hvkit("topo", "--from", p).stdout
    check("(Gen6 x16 128.0 GB/s, capable Gen7 x16 256.0 GB/s)" in out,
          f"gen7: link not spelled Gen7:\n{out}")
    f = findings(p, "pcie_link_degraded")
    check(len(f) == 1 and f[0]["object"] == "0000:01:00.0" and f[0]["severity"] == "warning",
          f"gen7: Gen6 on a Gen7 link not a warning: {f}")

    # Up with no lanes.
    p = dump(tmp, "sta0", (3, 16), (3, 16), (3, 16), (3, 0))
    f = findings(p, "pcie_link_no_lanes")
    check([x["object"] for x in f] == ["0000:01:00.0"], f"sta0: {f}")

    # Impossible states, seeded: a finding exactly when status > capability.
    seed = int(os.environ.get("LINK_STATE_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    for i in range(12):
        cap = (rng.randint(1, 7), rng.choice([1, 2, 4, 8, 16]))
        sta = (rng.randint(1, 7), rng.choice([1, 2, 4, 8, 16, 32]))
        p = dump(tmp, f"r{i}", (7, 32), (7, 32), cap, sta)
        got = {x["object"] for x in findings(p, "pcie_link_impossible")}
        want = {"0000:01:00.0"} if sta[0] > cap[0] or sta[1] > cap[1] else set()
        check(got == want, f"seed {seed}: cap {cap} sta {sta}: {got} != {want}")

    # `where` on a link with an unknown (reserved, 0) speed and 4 of 16 lanes.
    p = dump(tmp, "unk", (3, 16), (3, 16), (3, 16), (0, 4))
    out = hvkit("topo", "where", "01:00.0", "--from", p).stdout
    check("0.0 GB/s" not in out and "[Endpoint]: ? x4 DEGRADED" in out and
          "narrowest   0000:01:00.0 at a degraded link: ? x4 (speed unknown)" in out,
          f"where unknown speed:\n{out}")
    j = json.loads(hvkit("topo", "where", "01:00.0", "--from", p, "--json").stdout)
    check(j["narrowest"] == {"address": "0000:01:00.0", "gbps": None, "degraded": True},
          f"where --json narrowest: {j['narrowest']}")

    # Two root ports claiming bus 1: one warning naming both.
    s = dev(0, 0, 0, 0x0600, 0, (0, 0), (0, 0))
    s += dev(0, 1, 1, 0x0604, 4, (3, 8), (3, 8), sec=1)
    s += dev(0, 2, 1, 0x0604, 4, (3, 8), (3, 8), sec=1)
    s += dev(1, 0, 0, 0x0200, 0, (3, 8), (3, 8))
    p = os.path.join(tmp, "dup.txt")
    with open(p, "w") as f:
        f.write(s)
    r = hvkit("topo", "--from", p)
    w = [x for x in r.stderr.splitlines() if "claim secondary bus 0000:01" in x]
    check(len(w) == 1 and "0000:00:01.0" in w[0] and "0000:00:02.0" in w[0],
          f"dup secondary bus: {r.stderr!r}")
    r = hvkit("topo", "--from", dump(tmp, "one", (3, 8), (3, 8), (3, 8), (3, 8)))
    check("claim" not in r.stderr, f"one bridge warned: {r.stderr!r}")

# Synthetic NUMA nodes: at most 1024 in all.
r = hvkit("topo", "--synthetic", "pack:1024 numa:64 core:1", ok=False)
check(r.returncode == 2 and "'numa:64'" in r.stderr and len(r.stderr.splitlines()) == 1
      and not r.stdout, f"numa 65536: rc {r.returncode} {r.stderr!r}")
r = hvkit("topo", "--synthetic", "pack:1025", ok=False)
check(r.returncode == 2, "pack:1025 accepted")
for spec, n in (("pack:4 numa:8", 32), ("pack:3 numa:11", 33), ("pack:16 numa:64", 1024)):
    out = hvkit("topo", "--synthetic", spec).stdout
    omitted = f"NUMA distances (synthetic): {n}x{n}, omitted; --json shows them" in out
    check(omitted == (n > 32), f"{spec}: text matrix omitted={omitted}")
    j = lib.topo_json("--synthetic", spec)
    d, npk = j["distances"], n // int(spec.split("numa:")[1])
    per = n // npk
    check(len(d) == n and all(len(row) == n for row in d) and
          all(d[a][b] == (10 if a == b else 12 if a // per == b // per else 32)
              for a in range(0, n, 7) for b in range(n)),
          f"{spec}: --json distances not the whole {n}x{n} matrix")
done()
