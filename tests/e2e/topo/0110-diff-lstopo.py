#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Differential test: hvkit topo against lstopo on generated sysfs trees.

For each seed, gensysfs.gen() writes a synthetic sysfs tree; lstopo reads
it (HWLOC_FSROOT) and so does hvkit (--sysroot); structure.compare() then
compares, per PU, the chain of ancestors (type and cpuset), per NUMA node
its parent's cpuset, and every cache's cpuset.  Deliberate differences
are the named rules of structure.RULES, applied, not skipped.

  0110-diff-lstopo.py                 the default seeds (DIFF_SEEDS, 200)
  0110-diff-lstopo.py --seeds 20000   more (make check-diff SEEDS=20000)
  0110-diff-lstopo.py --seed 1234     replay one seed, and keep its tree
  0110-diff-lstopo.py --start 5000    begin at another seed
"""
import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import HVKIT, need  # noqa: E402
import gensysfs  # noqa: E402
import structure  # noqa: E402

need("lstopo-no-graphics", "hwloc")

ap = argparse.ArgumentParser()
ap.add_argument("--seeds", type=int, default=int(os.environ.get("DIFF_SEEDS", "200")))
ap.add_argument("--start", type=int, default=int(os.environ.get("DIFF_START", "1")))
ap.add_argument("--seed", type=int, help="replay one seed (keeps the tree)")
ap.add_argument("--keep-going", action="store_true", help="count every failure")
ap.add_argument("-v", "--verbose", action="store_true")
args = ap.parse_args()

seeds = [args.seed] if args.seed is not None else range(args.start, args.start + args.seeds)
failed = []
tmpbase = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
applied = collections.Counter()
classes = collections.defaultdict(lambda: [0, 0])   # class -> [equal, seeds]
t0 = time.time()
for seed in seeds:
    d = tempfile.mkdtemp(prefix=f"hvkit-diff-{seed}-", dir=tmpbase)
    try:
        shape = gensysfs.gen(seed, d)
        hw = structure.from_hwloc_xml(structure.lstopo_xml(d))
        p = subprocess.run([HVKIT, "topo", "--sysroot", d, "--json"],
                           capture_output=True, text=True)
        if p.returncode != 0:
            diffs = [f"hvkit exited {p.returncode}: {p.stderr.strip()}"]
        else:
            ours, hw, rules = structure.apply_rules(
                structure.from_hvkit_json(json.loads(p.stdout)), hw,
                dict(structure.tree_ctx(d), stderr=p.stderr))
            applied.update(rules)
            diffs = structure.compare(hw, ours)
        if args.verbose or args.seed is not None:
            print(f"seed {seed}: {shape}")
            if args.seed is not None:
                print(f"tree kept in {d}; warnings: {p.stderr.strip()}")
        for cls in shape.get("extra") or ["plain"]:
            classes[cls][0] += not diffs
            classes[cls][1] += 1
        if diffs:
            failed.append(seed)
            print(f"FAIL: seed {seed} (replay: {sys.argv[0]} --seed {seed}): {shape}")
            for line in diffs:
                print("   ", line)
            if not args.keep_going and len(failed) >= 10:
                print("stopping after 10 failures (--keep-going for all)")
                break
    finally:
        if args.seed is None:
            shutil.rmtree(d, ignore_errors=True)

n = len(seeds)
print(f"{n - len(failed)}/{n} seeds structurally equal to lstopo "
      f"({time.time() - t0:.1f} s); rules applied: "
      + (", ".join(f"{k} x{v}" for k, v in applied.items()) or "none"))
print("per class (gensysfs shape['extra']; plain: none of them): " + ", ".join(
    f"{k} {v[0]}/{v[1]}" for k, v in sorted(classes.items())))
for name, (reason, _) in structure.RULES.items():
    print(f"  rule {name}: {reason}")
if failed:
    print("failed seeds: " + " ".join(map(str, failed)))
    sys.exit(1)
print("ok")
